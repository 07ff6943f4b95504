"""Secrets: stringData, base64, type rules, immutability; as env and as volumes.

Manifests follow the Kubernetes task "Distribute Credentials Securely Using Secrets"."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from clusterlab.engine import ApiError, BadRequest, Cluster
from clusterlab.engine.tables import to_table

from .conftest import run_until
from .test_configmaps import exec_out, kubelet_events, running, waiting

TEST_SECRET = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": "test-secret"},
    "data": {"username": "bXktYXBw", "password": "Mzk1MjgkdmRnN0pi"},
}


def secret(name: str, **fields: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, **fields}


def invalid(c: Cluster, obj: dict[str, Any]) -> str:
    with pytest.raises(ApiError) as err:
        c.apply(obj)
    assert err.value.code == 422
    return err.value.message


def test_string_data_is_merged_into_data_and_the_type_defaults_to_opaque(cluster: Cluster) -> None:
    cluster.apply(secret("s", data={"password": "b2xk"}, stringData={"username": "admin", "password": "new"}))
    stored = cluster.get("secrets", "s", "default")
    assert stored["type"] == "Opaque"
    assert "stringData" not in stored
    assert stored["data"] == {"password": base64.b64encode(b"new").decode(), "username": "YWRtaW4="}


def test_data_must_be_base64(cluster: Cluster) -> None:
    with pytest.raises(BadRequest) as err:
        cluster.apply(secret("s", data={"username": "admin"}))
    assert (
        err.value.message
        == 'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 4'
    )


def test_each_type_needs_its_keys(cluster: Cluster) -> None:
    assert invalid(cluster, secret("t", type="kubernetes.io/tls", data={"tls.crt": "eA=="})) == (
        'Secret "t" is invalid: data[tls.key]: Required value'
    )
    assert invalid(cluster, secret("d", type="kubernetes.io/dockerconfigjson")) == (
        'Secret "d" is invalid: data[.dockerconfigjson]: Required value'
    )
    assert invalid(
        cluster,
        secret("d", type="kubernetes.io/dockerconfigjson", stringData={".dockerconfigjson": "{auths"}),
    ) == (
        'Secret "d" is invalid: data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": '
        "invalid character 'a' looking for beginning of object key string"
    )
    assert invalid(cluster, secret("b", type="kubernetes.io/basic-auth")) == (
        'Secret "b" is invalid: [data[username]: Required value, data[password]: Required value]'
    )
    assert invalid(cluster, secret("k", type="kubernetes.io/ssh-auth")) == (
        'Secret "k" is invalid: data[ssh-privatekey]: Required value'
    )
    assert invalid(cluster, secret("sa", type="kubernetes.io/service-account-token")) == (
        'Secret "sa" is invalid: metadata.annotations[kubernetes.io/service-account.name]: Required value'
    )
    cluster.apply(secret("b", type="kubernetes.io/basic-auth", stringData={"username": "admin"}))


def test_type_is_immutable_and_so_is_data_of_an_immutable_secret(cluster: Cluster) -> None:
    cluster.apply({**TEST_SECRET, "immutable": True})
    message = invalid(cluster, {**TEST_SECRET, "type": "kubernetes.io/basic-auth", "immutable": True})
    assert message == (
        'Secret "test-secret" is invalid: type: Invalid value: "kubernetes.io/basic-auth": field is immutable'
    )
    message = invalid(cluster, {**TEST_SECRET, "stringData": {"password": "x"}, "immutable": True})
    assert (
        message
        == 'Secret "test-secret" is invalid: data: Forbidden: field is immutable when `immutable` is set'
    )


def test_the_table_shows_type_and_key_count(cluster: Cluster) -> None:
    cluster.apply(TEST_SECRET)
    table = to_table("secrets", cluster.list("secrets", "default"), now=cluster.now, epoch=cluster.epoch)
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Type", "Data", "Age"]
    assert [r["cells"] for r in table["rows"]] == [["test-secret", "Opaque", 2, "0s"]]


ENV_POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "env-single-secret"},
    "spec": {
        "containers": [
            {
                "name": "envars-test-container",
                "image": "nginx",
                "env": [
                    {
                        "name": "SECRET_USERNAME",
                        "valueFrom": {"secretKeyRef": {"name": "backend-user", "key": "backend-username"}},
                    }
                ],
            }
        ]
    },
}


def test_env_from_a_secret_key_is_the_decoded_value(cluster: Cluster) -> None:
    cluster.apply(ENV_POD)
    run_until(
        cluster,
        lambda: waiting(cluster, "env-single-secret").get("reason") == "CreateContainerConfigError",
        limit=30,
    )
    assert waiting(cluster, "env-single-secret")["message"] == 'secret "backend-user" not found'
    cluster.apply(secret("backend-user", stringData={"other": "x"}))
    run_until(
        cluster, lambda: "couldn't" in waiting(cluster, "env-single-secret").get("message", ""), limit=16
    )
    assert waiting(cluster, "env-single-secret")["message"] == (
        "couldn't find key backend-username in Secret default/backend-user"
    )
    cluster.apply(secret("backend-user", stringData={"backend-username": "backend-admin"}))
    run_until(cluster, lambda: running(cluster, "env-single-secret"), limit=16)
    assert exec_out(cluster, "env-single-secret", "printenv", "SECRET_USERNAME") == "backend-admin\n"


def test_envfrom_a_secret(cluster: Cluster) -> None:
    cluster.apply(TEST_SECRET)
    p = {**ENV_POD, "metadata": {"name": "envfrom-secret"}}
    p["spec"] = {
        "containers": [{"name": "c", "image": "nginx", "envFrom": [{"secretRef": {"name": "test-secret"}}]}]
    }
    cluster.apply(p)
    run_until(cluster, lambda: running(cluster, "envfrom-secret"), limit=30)
    env = exec_out(cluster, "envfrom-secret", "env")
    assert "username=my-app\n" in env and "password=39528$vdg7Jb\n" in env


VOLUME_POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "secret-test-pod"},
    "spec": {
        "containers": [
            {
                "name": "test-container",
                "image": "nginx",
                "volumeMounts": [
                    {"name": "secret-volume", "mountPath": "/etc/secret-volume", "readOnly": True}
                ],
            }
        ],
        "volumes": [{"name": "secret-volume", "secret": {"secretName": "test-secret"}}],
    },
}


def test_a_secret_volume_holds_the_decoded_files(cluster: Cluster) -> None:
    cluster.apply([TEST_SECRET, VOLUME_POD])
    assert cluster.get("pods", "secret-test-pod", "default")["spec"]["volumes"][0]["secret"] == {
        "secretName": "test-secret",
        "defaultMode": 420,
    }
    run_until(cluster, lambda: running(cluster, "secret-test-pod"), limit=30)
    assert exec_out(cluster, "secret-test-pod", "ls", "/etc/secret-volume") == "password\nusername\n"
    assert exec_out(cluster, "secret-test-pod", "cat", "/etc/secret-volume/username") == "my-app"
    assert exec_out(cluster, "secret-test-pod", "cat", "/etc/secret-volume/password") == "39528$vdg7Jb"


def test_a_missing_secret_or_item_key_fails_the_mount(cluster: Cluster) -> None:
    log = kubelet_events(cluster, "secret-test-pod")
    cluster.apply(VOLUME_POD)
    cluster.advance(2)
    assert log[0][1:] == (
        "FailedMount",
        'MountVolume.SetUp failed for volume "secret-volume" : secret "test-secret" not found',
    )
    cluster.apply(TEST_SECRET)
    items = {**VOLUME_POD, "metadata": {"name": "items"}}
    items["spec"] = {
        **VOLUME_POD["spec"],
        "volumes": [
            {
                "name": "secret-volume",
                "secret": {"secretName": "test-secret", "items": [{"key": "nope", "path": "x"}]},
            }
        ],
    }
    log_items = kubelet_events(cluster, "items")
    cluster.apply(items)
    cluster.advance(2)
    assert log_items[0][1:] == (
        "FailedMount",
        'MountVolume.SetUp failed for volume "secret-volume" : references non-existent secret key: nope',
    )
    assert waiting(cluster, "items") == {"reason": "ContainerCreating"}
