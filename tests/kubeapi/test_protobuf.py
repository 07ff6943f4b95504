"""The protobuf request bodies kubectl's typed clients send (create deployment/namespace, drain)."""

from __future__ import annotations

import pytest

from clusterlab.engine.errors import BadRequest
from clusterlab.kubeapi import protobuf
from clusterlab.kubeapi.errors import UnsupportedMediaType


def varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number: int, value: int | str | bytes) -> bytes:
    """One protobuf field: ints as varints, str/bytes length-delimited."""
    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    data = value.encode() if isinstance(value, str) else value
    return varint(number << 3 | 2) + varint(len(data)) + data


def entry(key: str, value: str) -> bytes:
    return field(1, key) + field(2, value)


def envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    return (
        protobuf.MAGIC
        + field(1, field(1, api_version) + field(2, kind))
        + field(2, raw)
        + field(3, "")
        + field(4, "")
    )


def test_a_deployment_from_kubectl_create() -> None:
    labels = field(11, entry("app", "web"))
    container = (
        field(1, "nginx")
        + field(2, "nginx:1.27")
        + field(3, "sleep")
        + field(3, "60")
        + field(5, "")  # empty non-pointer fields are on the wire; they drop out
        + field(6, field(3, 80) + field(4, ""))
        + field(8, b"")
        + field(16, 0)
    )
    spec = (
        field(1, 0)  # replicas: 0 is a pointer's zero, kept
        + field(2, field(1, entry("app", "web")))
        + field(3, field(1, labels + field(8, b"")) + field(2, field(2, container) + field(3, "")))
        + field(4, field(1, ""))
    )
    raw = (
        field(1, field(1, "web") + labels + field(8, b""))
        + field(2, spec)
        + field(3, field(2, 0) + field(3, 0))
    )
    obj = protobuf.decode(envelope("apps/v1", "Deployment", raw))
    assert obj == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "nginx",
                            "image": "nginx:1.27",
                            "command": ["sleep", "60"],
                            "ports": [{"containerPort": 80}],
                            "resources": {},
                        }
                    ]
                },
            },
            "strategy": {},
        },
    }


def test_an_eviction_from_kubectl_drain() -> None:
    raw = field(1, field(1, "web-1") + field(3, "default")) + field(2, field(1, 30))
    obj = protobuf.decode(envelope("policy/v1", "Eviction", raw))
    assert obj["metadata"] == {"name": "web-1", "namespace": "default"}
    assert obj["deleteOptions"] == {"gracePeriodSeconds": 30}
    negative = protobuf.decode(envelope("policy/v1", "Eviction", field(2, field(1, -1))))
    assert negative["deleteOptions"] == {"gracePeriodSeconds": -1}


def test_a_configmap_and_a_secret_from_kubectl_create() -> None:
    entry = field(1, "game.properties") + field(2, "lives=3\n")
    obj = protobuf.decode(envelope("v1", "ConfigMap", field(1, field(1, "game")) + field(2, entry)))
    assert obj == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "game"},
        "data": {"game.properties": "lives=3\n"},
    }
    raw = field(1, field(1, "db")) + field(2, field(1, "username") + field(2, "admin")) + field(3, "Opaque")
    secret = protobuf.decode(envelope("v1", "Secret", raw))
    assert secret["data"] == {"username": "YWRtaW4="} and secret["type"] == "Opaque"


def test_unread_kinds_and_unknown_fields_are_415() -> None:
    with pytest.raises(UnsupportedMediaType):
        protobuf.decode(envelope("v1", "PersistentVolumeClaim", b""))
    with pytest.raises(UnsupportedMediaType):
        protobuf.decode(envelope("v1", "Namespace", field(1, field(99, "surprise"))))


@pytest.mark.parametrize("raw", [b"not protobuf", protobuf.MAGIC + b"\x0a\xff", protobuf.MAGIC + b"\x0f"])
def test_garbage_is_400(raw: bytes) -> None:
    with pytest.raises(BadRequest):
        protobuf.decode(raw)
