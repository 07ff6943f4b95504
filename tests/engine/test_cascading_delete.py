"""Cascading deletion: background, foreground and orphan, as kube-controller-manager's garbage
collector carries them out (exact order on the virtual clock)."""

from __future__ import annotations

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.cluster import LEARNER
from clusterlab.engine.errors import Invalid, NotFound
from clusterlab.engine.printers import pod_status

from .conftest import pods_of, web


def _delete(c: Cluster, kind: str, name: str, policy: str | None) -> dict:
    return c.server.delete(LEARNER, kind, name, "default", propagation_policy=policy)


def _exists(c: Cluster, kind: str, name: str) -> bool:
    try:
        c.get(kind, name)
    except NotFound:
        return False
    return True


@pytest.fixture
def running() -> Cluster:
    c = Cluster()
    c.apply(web(replicas=2))
    c.advance(20)
    assert all(pod_status(p) == "Running" for p in pods_of(c))
    return c


def test_background_removes_the_owner_first(running: Cluster) -> None:
    c = running
    rs = c.list("replicasets", namespace="default")[0]["metadata"]["name"]
    _delete(c, "deployment", "web", "Background")
    assert not _exists(c, "deployment", "web")  # gone at once
    assert _exists(c, "replicaset", rs)  # the collector has not acted yet
    c.advance(1)
    assert not _exists(c, "replicaset", rs)
    assert all(p["metadata"].get("deletionTimestamp") for p in pods_of(c))


def test_foreground_keeps_the_owner_until_its_dependents_are_gone(running: Cluster) -> None:
    c = running
    rs = c.list("replicasets", namespace="default")[0]["metadata"]["name"]
    answer = _delete(c, "deployment", "web", "Foreground")
    assert answer["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert answer["metadata"]["deletionTimestamp"]
    c.advance(0.1)
    deployment = c.get("deployment", "web")
    assert deployment["metadata"]["finalizers"] == ["foregroundDeletion"]
    replicaset = c.get("replicaset", rs)  # deleted in the foreground too: it owns the pods
    assert replicaset["metadata"]["finalizers"] == ["foregroundDeletion"]
    pods = pods_of(c)
    assert len(pods) == 2 and all(pod_status(p) == "Terminating" for p in pods)
    c.advance(5)  # the kubelets stop the containers and delete the pods...
    assert pods_of(c) == []
    # ...then the ReplicaSet's finalizer goes, then the Deployment's
    assert not _exists(c, "replicaset", rs)
    assert not _exists(c, "deployment", "web")


def test_orphan_leaves_the_dependents_without_their_owner(running: Cluster) -> None:
    c = running
    rs = c.list("replicasets", namespace="default")[0]["metadata"]["name"]
    _delete(c, "deployment", "web", "Orphan")
    assert c.get("deployment", "web")["metadata"]["finalizers"] == ["orphan"]
    c.advance(1)
    assert not _exists(c, "deployment", "web")
    orphan = c.get("replicaset", rs)
    assert "ownerReferences" not in orphan["metadata"]
    c.advance(30)
    assert len(pods_of(c)) == 2 and all(pod_status(p) == "Running" for p in pods_of(c))
    # the orphaned ReplicaSet still keeps its pods
    c.delete("pod", pods_of(c)[0]["metadata"]["name"])
    c.advance(10)
    assert len([p for p in pods_of(c) if not p["metadata"].get("deletionTimestamp")]) == 2


def test_unknown_policy_is_refused_in_kubernetes_words(running: Cluster) -> None:
    with pytest.raises(Invalid) as err:
        _delete(running, "deployment", "web", "Sideways")
    assert err.value.message == (
        'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Sideways": '
        'supported values: "Foreground", "Background", "Orphan"'
    )
    assert _exists(running, "deployment", "web")


def test_a_deployments_selector_is_immutable_in_kubernetes_words(running: Cluster) -> None:
    d = running.get("deployment", "web")
    d["spec"]["selector"] = {"matchLabels": {"app": "other", "tier": "web"}}
    d["spec"]["template"]["metadata"]["labels"] = {"app": "other", "tier": "web"}
    with pytest.raises(Invalid) as err:
        running.update(d)
    assert err.value.message == (
        'Deployment.apps "web" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:'
        'map[string]string{"app":"other", "tier":"web"}, '
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"
    )
