"""ConfigMaps: API validation, env and envFrom, volumes and their refresh, on the virtual clock.

Manifests follow the Kubernetes task "Configure a Pod to Use a ConfigMap"."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from clusterlab.engine import ApiError, BadRequest, Cluster
from clusterlab.engine.audit import User
from clusterlab.engine.tables import to_table

from .conftest import run_until

ADMIN = User("kubernetes-admin", "kubectl")
SPECIAL = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "special-config"},
    "data": {"special.how": "very"},
}
ENV_CONFIG = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "env-config"},
    "data": {"log_level": "INFO"},
}


def pod(name: str = "dapi-test-pod", **container: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "test-container", "image": "nginx:1.27", **container}]}
    volumes = container.pop("volumes", None)
    spec["containers"][0].pop("volumes", None)
    if volumes:
        spec["volumes"] = volumes
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def exec_out(c: Cluster, name: str, *argv: str) -> str:
    return c.server.pod_exec(ADMIN, name, "default", None, list(argv)).stdout


def waiting(c: Cluster, name: str) -> dict[str, Any]:
    status = c.get("pods", name, "default").get("status") or {}
    states = status.get("containerStatuses") or [{}]
    return dict((states[0].get("state") or {}).get("waiting") or {})


def running(c: Cluster, name: str) -> bool:
    return c.get("pods", name, "default")["status"].get("phase") == "Running"


def kubelet_events(c: Cluster, name: str = "dapi-test-pod") -> list[tuple[float, str, str]]:
    """Every event the kubelets record about pod `name` from now on, with its virtual time."""
    log: list[tuple[float, str, str]] = []
    for kubelet in c.kubelets.values():
        original = kubelet.recorder.event

        def record(obj: Any, etype: str, reason: str, message: str, *rest: Any, _orig: Any = original) -> Any:
            if (obj.get("metadata") or {}).get("name") == name:
                log.append((round(c.now, 3), reason, message))
            return _orig(obj, etype, reason, message, *rest)

        kubelet.recorder.event = record  # type: ignore[method-assign]
    return log


# -- the API server ------------------------------------------------------------------------


def test_keys_are_config_keys_and_may_not_be_in_both_bags(cluster: Cluster) -> None:
    bad = {**SPECIAL, "data": {"a b": "x", "k": "1", "..x": "y"}, "binaryData": {"k": "AA=="}}
    with pytest.raises(ApiError) as err:
        cluster.apply(bad)
    assert err.value.code == 422
    assert err.value.message == (
        'ConfigMap "special-config" is invalid: [data[..x]: Invalid value: "..x": must not start with '
        "'..', data[a b]: Invalid value: \"a b\": a valid config key must consist of alphanumeric "
        "characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for "
        "validation is '[-._a-zA-Z0-9]+'), data[k]: Invalid value: \"k\": duplicate of key present in "
        "binaryData]"
    )


def test_binary_data_must_be_base64(cluster: Cluster) -> None:
    with pytest.raises(
        BadRequest,
        match=r"^ConfigMap in version \"v1\" cannot be handled as a ConfigMap: "
        r"illegal base64 data at input byte 12$",
    ):
        cluster.apply({**SPECIAL, "data": {}, "binaryData": {"b": "aGVsbG8hd29y!bGQ="}})


def test_an_immutable_configmap_keeps_its_data(cluster: Cluster) -> None:
    cluster.apply({**SPECIAL, "immutable": True})
    with pytest.raises(ApiError, match="data: Forbidden: field is immutable when `immutable` is set"):
        cluster.apply({**SPECIAL, "data": {"special.how": "less"}, "immutable": True})
    with pytest.raises(ApiError, match="immutable: Forbidden: field is immutable when `immutable` is set"):
        cluster.apply({**SPECIAL, "immutable": False})
    cluster.apply(
        {**SPECIAL, "metadata": {"name": "special-config", "labels": {"a": "b"}}, "immutable": True}
    )


def test_the_table_counts_data_and_binary_data(cluster: Cluster) -> None:
    cluster.apply({**SPECIAL, "binaryData": {"logo": "iVBORw=="}})
    table = to_table(
        "configmaps", cluster.list("configmaps", "default"), now=cluster.now, epoch=cluster.epoch
    )
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Data", "Age"]
    assert [r["cells"] for r in table["rows"]] == [["special-config", 2, "0s"]]


# -- env ------------------------------------------------------------------------------------


def test_env_from_a_configmap_key_and_envfrom_with_prefix(cluster: Cluster) -> None:
    cluster.apply([SPECIAL, ENV_CONFIG])
    cluster.apply(
        pod(
            env=[
                {
                    "name": "SPECIAL_LEVEL_KEY",
                    "valueFrom": {"configMapKeyRef": {"name": "special-config", "key": "special.how"}},
                },
                {"name": "LOG", "value": "level=$(LOG_LEVEL) $$(LOG_LEVEL) $(NOPE)"},
            ],
            envFrom=[
                {"configMapRef": {"name": "env-config"}},
                {"prefix": "CM_", "configMapRef": {"name": "special-config"}},
            ],
        )
    )
    run_until(cluster, lambda: running(cluster, "dapi-test-pod"), limit=30)
    env = exec_out(cluster, "dapi-test-pod", "env")
    assert "SPECIAL_LEVEL_KEY=very\n" in env
    assert "log_level=INFO\n" in env
    # a key that is no C identifier is passed on as it is (the kubelet stopped skipping them in 1.30)
    assert "CM_special.how=very\n" in env
    assert "LOG=level=$(LOG_LEVEL) $(LOG_LEVEL) $(NOPE)\n" in env  # log_level ≠ LOG_LEVEL
    assert "KUBERNETES_SERVICE_HOST=10.96.0.1\n" in env
    assert not [e for e in cluster.events() if e["reason"] == "InvalidEnvironmentVariableNames"]


def test_a_missing_configmap_or_key_holds_the_container_until_it_appears(cluster: Cluster) -> None:
    log = kubelet_events(cluster)
    ref = {"configMapKeyRef": {"name": "special-config", "key": "special.how"}}
    cluster.apply(pod(env=[{"name": "SPECIAL_LEVEL_KEY", "valueFrom": ref}]))
    first = run_until(
        cluster, lambda: waiting(cluster, "dapi-test-pod").get("reason") == "CreateContainerConfigError"
    )
    assert waiting(cluster, "dapi-test-pod")["message"] == 'configmap "special-config" not found'
    cluster.advance(40)
    failures = [t for t, reason, msg in log if reason == "Failed"]
    assert {msg for _, reason, msg in log if reason == "Failed"} == {
        'Error: configmap "special-config" not found'
    }
    # the pod worker retries after wait.Jitter(10 s, 0.5); each retry finds the image again
    gaps = [round(b - a, 3) for a, b in itertools.pairwise(failures)]
    assert len(gaps) >= 2 and all(10.0 <= g <= 15.1 for g in gaps), gaps
    assert abs(failures[0] - first) < 0.2
    present = [t for t, reason, msg in log if reason == "Pulled" and "already present" in msg]
    # the image is found 0.1 s (container create) before each retry's failure
    assert [round(f - 0.1, 3) for f in failures[1:]] == present[: len(failures) - 1]
    cluster.apply({**SPECIAL, "data": {"other": "x"}})
    run_until(
        cluster, lambda: "couldn't find" in waiting(cluster, "dapi-test-pod").get("message", ""), limit=16
    )
    assert (
        waiting(cluster, "dapi-test-pod")["message"]
        == "couldn't find key special.how in ConfigMap default/special-config"
    )
    cluster.apply(SPECIAL)
    created = run_until(cluster, lambda: running(cluster, "dapi-test-pod"), limit=16)
    assert created - failures[-1] <= 15.1 + 15.1 + 0.5
    assert exec_out(cluster, "dapi-test-pod", "printenv", "SPECIAL_LEVEL_KEY") == "very\n"


def test_optional_references_are_skipped(cluster: Cluster) -> None:
    cluster.apply(SPECIAL)
    cluster.apply(
        pod(
            env=[
                {
                    "name": "A",
                    "valueFrom": {
                        "configMapKeyRef": {"name": "special-config", "key": "nope", "optional": True}
                    },
                },
                {
                    "name": "B",
                    "valueFrom": {"configMapKeyRef": {"name": "missing", "key": "x", "optional": True}},
                },
            ],
            envFrom=[{"configMapRef": {"name": "also-missing", "optional": True}}],
        )
    )
    run_until(cluster, lambda: running(cluster, "dapi-test-pod"), limit=30)
    env = exec_out(cluster, "dapi-test-pod", "env")
    assert "\nA=" not in env and "\nB=" not in env


def test_downward_api_fields_and_resources(cluster: Cluster) -> None:
    cluster.apply(
        pod(
            env=[
                {"name": "MY_NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
                {"name": "MY_POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                {"name": "MY_POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                {
                    "name": "MY_CPU_REQUEST",
                    "valueFrom": {
                        "resourceFieldRef": {"containerName": "test-container", "resource": "requests.cpu"}
                    },
                },
                {
                    "name": "MY_CPU_LIMIT_M",
                    "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "1m"}},
                },
                {
                    "name": "MY_MEM_LIMIT",
                    "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}},
                },
            ],
            resources={
                "requests": {"cpu": "125m", "memory": "32Mi"},
                "limits": {"cpu": "250m", "memory": "64Mi"},
            },
        )
    )
    stored = cluster.get("pods", "dapi-test-pod", "default")["spec"]["containers"][0]["env"]
    assert stored[0]["valueFrom"]["fieldRef"] == {"apiVersion": "v1", "fieldPath": "spec.nodeName"}
    assert stored[3]["valueFrom"]["resourceFieldRef"]["divisor"] == "0"
    run_until(cluster, lambda: running(cluster, "dapi-test-pod"), limit=30)
    p = cluster.get("pods", "dapi-test-pod", "default")
    env = exec_out(cluster, "dapi-test-pod", "env")
    assert f"MY_NODE_NAME={p['spec']['nodeName']}\n" in env
    assert "MY_POD_NAMESPACE=default\n" in env
    assert f"MY_POD_IP={p['status']['podIP']}\n" in env
    assert "MY_CPU_REQUEST=1\n" in env  # 125m rounded up to whole cores
    assert "MY_CPU_LIMIT_M=250\n" in env
    assert "MY_MEM_LIMIT=64\n" in env


# -- volumes --------------------------------------------------------------------------------

VOLUME = [{"name": "config-volume", "configMap": {"name": "special-config"}}]
MOUNT = [{"name": "config-volume", "mountPath": "/etc/config"}]


def test_volume_files_are_the_keys_or_the_items(cluster: Cluster) -> None:
    cluster.apply({**SPECIAL, "data": {"SPECIAL_LEVEL": "very", "SPECIAL_TYPE": "charm"}})
    cluster.apply(pod(volumeMounts=MOUNT, volumes=VOLUME))
    items = [
        {
            "name": "config-volume",
            "configMap": {"name": "special-config", "items": [{"key": "SPECIAL_LEVEL", "path": "keys"}]},
        }
    ]
    cluster.apply(pod("items", volumeMounts=MOUNT, volumes=items))
    stored = cluster.get("pods", "dapi-test-pod", "default")["spec"]["volumes"][0]
    assert stored["configMap"] == {"name": "special-config", "defaultMode": 420}
    run_until(cluster, lambda: running(cluster, "dapi-test-pod") and running(cluster, "items"), limit=30)
    assert exec_out(cluster, "dapi-test-pod", "ls", "/etc/config/") == "SPECIAL_LEVEL\nSPECIAL_TYPE\n"
    assert exec_out(cluster, "dapi-test-pod", "cat", "/etc/config/SPECIAL_TYPE") == "charm"
    assert exec_out(cluster, "items", "ls", "/etc/config") == "keys\n"
    assert exec_out(cluster, "items", "cat", "/etc/config/keys") == "very"


def test_a_missing_volume_source_fails_the_mount_with_backoff(cluster: Cluster) -> None:
    log = kubelet_events(cluster)
    cluster.apply(pod(volumeMounts=MOUNT, volumes=VOLUME))
    cluster.advance(20)
    mounts = [(t, msg) for t, reason, msg in log if reason == "FailedMount"]
    assert {m for _, m in mounts} == {
        'MountVolume.SetUp failed for volume "config-volume" : configmap "special-config" not found'
    }
    t0 = mounts[0][0]
    # the operation executor's exponential backoff: 0.5 s doubling
    assert [round(t - t0, 3) for t, _ in mounts] == [0.0, 0.5, 1.5, 3.5, 7.5, 15.5]
    p = cluster.get("pods", "dapi-test-pod", "default")
    assert waiting(cluster, "dapi-test-pod") == {"reason": "ContainerCreating"}
    assert "podIP" not in p["status"]
    assert not [r for _, r, _ in log if r in ("Pulling", "Pulled")]
    cluster.apply(SPECIAL)
    started = run_until(cluster, lambda: running(cluster, "dapi-test-pod"), limit=40)
    assert t0 + 31.5 <= started <= t0 + 31.5 + 5  # the next retry mounts it, then the pod starts


def test_volume_contents_follow_updates_but_env_does_not(cluster: Cluster) -> None:
    cluster.apply(SPECIAL)
    ref = {"configMapKeyRef": {"name": "special-config", "key": "special.how"}}
    cluster.apply(pod(env=[{"name": "HOW", "valueFrom": ref}], volumeMounts=MOUNT, volumes=VOLUME))
    run_until(cluster, lambda: running(cluster, "dapi-test-pod"), limit=30)
    cluster.apply({**SPECIAL, "data": {"special.how": "less"}})
    changed_at = cluster.now
    seen = run_until(
        cluster,
        lambda: exec_out(cluster, "dapi-test-pod", "cat", "/etc/config/special.how") == "less",
        limit=100,
        step=0.5,
    )
    # the next pod resync, 60–90 s (wait.Jitter(1 min, 0.5)) after the mount or the last resync
    assert 0 < seen - changed_at <= 90.5
    assert exec_out(cluster, "dapi-test-pod", "printenv", "HOW") == "very\n"
    cluster.apply({**SPECIAL, "data": {"special.how": "again"}})
    changed_at = cluster.now
    seen = run_until(
        cluster,
        lambda: exec_out(cluster, "dapi-test-pod", "cat", "/etc/config/special.how") == "again",
        limit=100,
        step=0.5,
    )
    assert 0 < seen - changed_at <= 90.5
