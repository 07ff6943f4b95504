"""Dry-run writes: the whole pipeline runs, nothing is stored, nothing is announced."""

from __future__ import annotations

import copy
import re

import pytest

from clusterlab.engine import AlreadyExists, Cluster, Invalid
from clusterlab.engine.audit import User
from clusterlab.engine.dry_run import check_dry_run

from .conftest import web

ADMIN = User("kubernetes-admin", "kubectl")
POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"generateName": "solo-"},
    "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
}


def _watched(cluster: Cluster, resource: str) -> list[tuple[str, str]]:
    events: list[tuple[str, str]] = []
    cluster.server.watch(
        ADMIN, resource, lambda kind, obj: events.append((kind, obj["metadata"]["name"])), "default"
    )
    return events


def test_dry_create_answers_the_object_it_would_store_and_stores_nothing(cluster):
    events = _watched(cluster, "pods")
    revision = cluster.revision
    pod = cluster.server.create(ADMIN, POD, field_manager="kubectl-create", dry_run=True)
    meta = pod["metadata"]
    assert re.fullmatch(r"solo-[bcdfghjklmnpqrstvwxz2456789]{5}", meta["name"])
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", meta["uid"])
    assert meta["creationTimestamp"] == "2026-01-01T09:00:00Z"
    assert "resourceVersion" not in meta  # nothing was stored, so no version
    assert meta["managedFields"][0]["manager"] == "kubectl-create"
    assert pod["spec"]["restartPolicy"] == "Always"  # defaulted
    assert pod["status"] == {"phase": "Pending", "qosClass": "BestEffort"}
    assert cluster.revision == revision  # no resourceVersion used up
    cluster.advance(1)
    assert events == []
    assert [p["metadata"]["name"] for p in cluster.observe("pods", "default")] == []


def test_a_dry_run_does_not_shift_the_names_the_cluster_generates_later():
    plain, dried = Cluster(seed=3), Cluster(seed=3)
    dried.server.create(ADMIN, POD, dry_run=True)
    real = [c.server.create(ADMIN, POD)["metadata"] for c in (plain, dried)]
    assert real[0]["name"] == real[1]["name"] and real[0]["uid"] == real[1]["uid"]


def test_a_dry_created_deployment_never_gets_a_replicaset(cluster):
    created = cluster.server.create(ADMIN, web(replicas=2), dry_run=True)
    assert created["metadata"]["generation"] == 1
    cluster.advance(30)
    assert cluster.observe("deployments", "default") == []
    assert cluster.observe("replicasets", "default") == []
    assert cluster.observe("pods", "default") == []


def test_dry_create_fails_as_the_real_create_would(cluster):
    cluster.server.create(ADMIN, web())
    with pytest.raises(AlreadyExists, match=r'deployments.apps "web" already exists'):
        cluster.server.create(ADMIN, web(), dry_run=True)
    bad = web(name="bad", replicas=-1)
    with pytest.raises(Invalid) as real:
        cluster.server.create(ADMIN, bad)
    with pytest.raises(Invalid) as dry:
        cluster.server.create(ADMIN, bad, dry_run=True)
    assert dry.value.status() == real.value.status()


def test_dry_update_and_patch_answer_the_merged_object_at_the_current_version(cluster):
    cluster.server.create(ADMIN, web(replicas=2))
    cluster.advance(30)  # rolled out: nothing changes the Deployment any more
    stored = cluster.get("deployment", "web", "default")
    rv = stored["metadata"]["resourceVersion"]
    events = _watched(cluster, "deployments")
    changed = copy.deepcopy(stored)
    changed["spec"]["replicas"] = 5
    updated = cluster.server.update(ADMIN, changed, dry_run=True)
    assert updated["spec"]["replicas"] == 5
    assert updated["metadata"]["resourceVersion"] == rv
    assert updated["metadata"]["generation"] == 2
    patched = cluster.server.patch(
        ADMIN, "deployments", "web", {"spec": {"replicas": 7}}, "default", dry_run=True
    )
    assert (patched["spec"]["replicas"], patched["metadata"]["resourceVersion"]) == (7, rv)
    scaled = cluster.server.patch(
        ADMIN, "deployments", "web", {"spec": {"replicas": 9}}, "default", "scale", dry_run=True
    )
    assert scaled["spec"]["replicas"] == 9
    applied = cluster.server.patch(
        ADMIN,
        "deployments",
        "web",
        web(replicas=4),
        "default",
        patch_type="apply",
        field_manager="kubectl",
        force=True,
        dry_run=True,
    )
    assert applied["spec"]["replicas"] == 4
    cluster.advance(1)
    assert events == []
    live = cluster.get("deployment", "web", "default")
    assert (live["spec"]["replicas"], live["metadata"]["resourceVersion"]) == (2, rv)
    assert live["metadata"]["generation"] == 1


def test_dry_delete_answers_the_terminating_pod_and_leaves_it_running(cluster):
    cluster.apply(web(replicas=1))
    cluster.advance(20)
    [pod] = cluster.observe("pods", "default")
    name = pod["metadata"]["name"]
    answer = cluster.server.delete(ADMIN, "pods", name, "default", dry_run=True)
    assert answer["metadata"]["deletionTimestamp"] == "2026-01-01T09:00:50Z"
    assert answer["metadata"]["deletionGracePeriodSeconds"] == 30
    cluster.advance(60)
    [still] = cluster.observe("pods", "default")
    assert still["metadata"]["name"] == name and "deletionTimestamp" not in still["metadata"]
    gone = cluster.server.delete(ADMIN, "deployments", "web", "default", dry_run=True)
    assert gone["metadata"]["name"] == "web"
    assert [d["metadata"]["name"] for d in cluster.observe("deployments", "default")] == ["web"]


def test_dry_eviction_leaves_the_pod(cluster):
    cluster.apply(web(replicas=1))
    cluster.advance(20)
    [pod] = cluster.observe("pods", "default")
    name = pod["metadata"]["name"]
    cluster.server.evict(ADMIN, name, "default", {"deleteOptions": {"dryRun": ["All"]}})
    cluster.advance(1)
    assert "deletionTimestamp" not in cluster.observe("pods", "default")[0]["metadata"]


def test_only_all_is_a_dry_run_value():
    assert check_dry_run("CreateOptions", ["All"]) is True
    assert check_dry_run("CreateOptions", []) is False
    with pytest.raises(Invalid) as bad:
        check_dry_run("DeleteOptions", ["Foo"])
    assert str(bad.value) == (
        'DeleteOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Foo"}: '
        'supported values: "All"'
    )
    assert bad.value.code == 422
