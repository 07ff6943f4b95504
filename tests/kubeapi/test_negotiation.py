"""Accept and Content-Type negotiation, and request-body decoding."""

from __future__ import annotations

import pytest

from clusterlab.engine.errors import BadRequest
from clusterlab.kubeapi import negotiation
from clusterlab.kubeapi.errors import (
    MAX_BODY_BYTES,
    NotAcceptable,
    RequestEntityTooLarge,
    UnsupportedMediaType,
)

KUBECTL_TABLE = (
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,"
    "application/json"
)
KUBECTL_DISCOVERY = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
)


@pytest.mark.parametrize(
    ("accept", "table"),
    [
        (KUBECTL_TABLE, True),
        ("application/json;as=Table;v=v1beta1;g=meta.k8s.io", True),
        ("application/json", False),
        ("application/json, */*", False),
        ("", False),
        ("application/vnd.kubernetes.protobuf,application/json", False),
    ],
)
def test_table_is_served_only_when_it_is_the_first_servable_choice(accept: str, table: bool) -> None:
    assert negotiation.wants_table(accept) is table


def test_protobuf_only_is_not_acceptable() -> None:
    with pytest.raises(NotAcceptable):
        negotiation.wants_table("application/vnd.kubernetes.protobuf")
    with pytest.raises(NotAcceptable):
        negotiation.check_accepts_json("application/vnd.kubernetes.protobuf")


def test_aggregated_discovery_when_asked_legacy_otherwise() -> None:
    assert negotiation.wants_aggregated_discovery(KUBECTL_DISCOVERY)
    assert not negotiation.wants_aggregated_discovery("application/json, */*")
    assert not negotiation.wants_aggregated_discovery(
        "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
    )


@pytest.mark.parametrize(
    ("content_type", "kind"),
    [
        ("application/merge-patch+json", "merge"),
        ("application/strategic-merge-patch+json", "strategic"),
        ("application/json-patch+json", "json"),
        ("application/apply-patch+yaml", "apply"),
        ("application/apply-patch+yaml; charset=utf-8", "apply"),
    ],
)
def test_patch_types(content_type: str, kind: str) -> None:
    assert negotiation.patch_type(content_type) == kind


def test_a_patch_of_another_type_is_415() -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        negotiation.patch_type("application/json")
    assert caught.value.status()["code"] == 415


def test_bodies_decode_from_json_and_yaml() -> None:
    assert negotiation.decode_body(b'{"a": [1, 2]}', "application/json") == {"a": [1, 2]}
    assert negotiation.decode_body(b"a:\n  - 1\n  - x\n", "application/yaml") == {"a": [1, "x"]}
    assert negotiation.decode_body(b'{"kind": "Pod"}', "application/apply-patch+yaml") == {"kind": "Pod"}
    assert negotiation.decode_body(b"when: 2026-01-01\n", "application/yaml") == {"when": "2026-01-01"}
    assert negotiation.decode_body(b"  ", "application/json") is None


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        (b'{"a": ', "application/json"),
        (b"\xff\xfe", "application/json"),
        (b"a: [1, 2", "application/yaml"),
        (b'{"a": NaN}', "application/json"),
        (b"[" * 5000 + b"]" * 5000, "application/json"),
        (b"a: &x [1]\nb: *x\n", "application/yaml"),
    ],
)
def test_malformed_bodies_are_400(raw: bytes, content_type: str) -> None:
    with pytest.raises(BadRequest):
        negotiation.decode_body(raw, content_type)


def test_a_body_over_3_mib_is_413() -> None:
    with pytest.raises(RequestEntityTooLarge) as caught:
        negotiation.decode_body(b" " * (MAX_BODY_BYTES + 1), "application/json")
    assert caught.value.status()["code"] == 413


def test_other_media_types_are_415() -> None:
    with pytest.raises(UnsupportedMediaType):
        negotiation.decode_body(b"<x/>", "application/xml")
