"""ServiceAccounts: the controller that gives every namespace `default`, and the admission
plugin that makes every pod run as an account with its API token volume."""

from __future__ import annotations

from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.errors import Forbidden

from .conftest import web

Obj = dict[str, Any]
MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"


def pod(name: str = "solo", **spec: Any) -> Obj:
    containers = [{"name": "app", "image": "nginx:1.27"}]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": containers, **spec},
    }


def test_every_bootstrap_namespace_has_a_default_account_from_the_start() -> None:
    c = Cluster(seed=1)
    accounts = {(a["metadata"]["namespace"], a["metadata"]["name"]) for a in c.list("serviceaccounts")}
    assert {("default", "default"), ("kube-system", "default"), ("kube-public", "default")} <= accounts
    assert ("kube-node-lease", "default") in accounts


def test_a_new_namespace_gets_default_and_a_deleted_default_comes_back() -> None:
    c = Cluster(seed=1)
    c.advance(1)
    c.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
    assert c.list("serviceaccounts", namespace="team") == []
    c.advance(0.01)
    [sa] = c.list("serviceaccounts", namespace="team")
    assert sa["metadata"]["name"] == "default" and "secrets" not in sa
    creator = [
        call
        for call in c.api_calls()
        if call.verb == "create" and call.resource == "serviceaccounts" and call.namespace == "team"
    ]
    assert [(call.actor, call.code) for call in creator] == [
        ("system:serviceaccount:kube-system:service-account-controller", 201)
    ]
    c.delete("serviceaccount", "default", "team")
    c.advance(0.01)
    assert [a["metadata"]["name"] for a in c.list("serviceaccounts", namespace="team")] == ["default"]


def test_a_pod_runs_as_default_with_the_token_volume_as_kubernetes_1_32_adds_it() -> None:
    c = Cluster(seed=1)
    [created] = c.apply(pod(initContainers=[{"name": "init", "image": "busybox:1.36"}]))
    spec = created["spec"]
    assert (spec["serviceAccountName"], spec["serviceAccount"]) == ("default", "default")
    [volume] = spec["volumes"]
    name = volume["name"]
    assert name.startswith("kube-api-access-") and len(name) == len("kube-api-access-") + 5
    assert volume == {
        "name": name,
        "projected": {
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {
                    "downwardAPI": {
                        "items": [
                            {
                                "path": "namespace",
                                "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                            }
                        ]
                    }
                },
            ],
            "defaultMode": 420,
        },
    }
    mount = {"name": name, "readOnly": True, "mountPath": MOUNT}
    assert spec["containers"][0]["volumeMounts"] == [mount]
    assert spec["initContainers"][0]["volumeMounts"] == [mount]


def test_automount_off_and_an_existing_mount_are_respected() -> None:
    c = Cluster(seed=1)
    [off] = c.apply(pod("off", automountServiceAccountToken=False))
    assert "volumes" not in off["spec"] and "volumeMounts" not in off["spec"]["containers"][0]
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "quiet"},
            "automountServiceAccountToken": False,
        }
    )
    [quiet] = c.apply(pod("quiet", serviceAccountName="quiet"))
    assert quiet["spec"]["serviceAccountName"] == "quiet" and "volumes" not in quiet["spec"]
    own = pod("own", volumes=[{"name": "mine", "emptyDir": {}}])
    own["spec"]["containers"][0]["volumeMounts"] = [{"name": "mine", "mountPath": MOUNT}]
    [kept] = c.apply(own)
    assert kept["spec"]["volumes"] == [{"name": "mine", "emptyDir": {}}]
    assert kept["spec"]["containers"][0]["volumeMounts"] == [{"name": "mine", "mountPath": MOUNT}]


def test_a_missing_account_is_refused_and_the_replicaset_retries_until_it_exists() -> None:
    c = Cluster(seed=1)
    with pytest.raises(Forbidden) as err:
        c.apply(pod(serviceAccountName="builder"))
    assert err.value.message == (
        'pods "solo" is forbidden: error looking up service account default/builder: '
        'serviceaccount "builder" not found'
    )
    deployment = web(replicas=1)
    deployment["spec"]["template"]["spec"]["serviceAccountName"] = "builder"
    c.apply(deployment)
    c.advance(2)
    [failed] = [e for e in c.events() if e["reason"] == "FailedCreate"]
    assert failed["message"] == (
        'Error creating: pods "web-7685d9c675-" is forbidden: error looking up service account '
        'default/builder: serviceaccount "builder" not found'
    )
    # the ReplicaSet controller's per-item backoff: 5 ms doubling, nine attempts in two seconds
    assert (failed["count"], failed["firstTimestamp"], failed["lastTimestamp"]) == (
        9,
        "2026-01-01T09:00:00Z",
        "2026-01-01T09:00:01Z",
    )
    assert c.list("pods", namespace="default") == []
    c.apply({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "builder"}})
    c.advance(1)
    [created] = c.list("pods", namespace="default")
    assert created["spec"]["serviceAccountName"] == "builder"
    attempts = [
        (round(a.time, 4), a.code)
        for a in c.api_calls()
        if a.verb == "create" and a.resource == "pods" and a.namespace == "default"
    ]
    # the ninth refusal at 1.265 s; the tenth attempt 1.28 s later finds the account
    assert attempts[-2:] == [(1.265, 403), (2.545, 201)]
