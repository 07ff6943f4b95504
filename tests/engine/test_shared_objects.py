"""What the engine shares instead of copying stays correct: stored objects are never mutated
by a write that shares their parts, and counts remembered between writes follow the pods."""

from __future__ import annotations

from typing import Any

from clusterlab.engine import Cluster
from clusterlab.engine.jsonutil import copy_json, merge_patch, merge_patch_shared
from clusterlab.engine.scheduler.framework import NodeInfo
from clusterlab.engine.scheduler.plugins.pod_topology_spread.common import count_matching_on
from clusterlab.engine.selectors import parse_label_selector

Obj = dict[str, Any]


def test_merge_patch_shared_is_merge_patch_without_copying_the_untouched() -> None:
    target = {"spec": {"a": [1, 2], "b": {"c": 1}}, "status": {"phase": "Pending", "x": {"y": 1}}}
    before = copy_json(target)
    patch = {"status": {"phase": "Running", "x": None, "podIP": "10.244.1.5"}, "z": [{"k": 1}]}
    shared = merge_patch_shared(target, patch)
    assert shared == merge_patch(target, patch)
    assert list(shared["status"]) == ["phase", "podIP"]  # key order as merge_patch gives it
    assert target == before  # the target is left as it was
    assert shared["spec"] is target["spec"]  # untouched parts are the target's own
    assert shared["status"] is not target["status"]
    assert shared["z"] is not patch["z"] and shared["z"][0] is not patch["z"][0]  # the patch's are copied


def test_status_patch_leaves_the_previous_stored_version_untouched() -> None:
    c = Cluster.from_scenario("default", seed=1)
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p", "labels": {"app": "p"}},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
        }
    )
    old = c.store.get("pods", "default", "p")
    assert old is not None
    snapshot = copy_json(old)
    c.server.patch(
        c.learner, "pods", "p", {"status": {"phase": "Pending", "message": "m"}}, "default", "status"
    )
    new = c.store.get("pods", "default", "p")
    assert new is not old and new["status"]["message"] == "m"
    assert old == snapshot  # resourceVersion, managedFields and status of the old version kept
    assert new["spec"] is old["spec"]  # the spec, which a status write cannot change, is shared
    assert int(new["metadata"]["resourceVersion"]) > int(old["metadata"]["resourceVersion"])


def pod(name: str, labels: dict[str, str], namespace: str = "default", deleting: bool = False) -> Obj:
    meta: Obj = {"name": name, "namespace": namespace, "labels": labels}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T09:00:00Z"
    return {"metadata": meta, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}


def test_topology_spread_counts_follow_the_nodes_pods() -> None:
    info = NodeInfo({"metadata": {"name": "worker-1", "labels": {}}, "status": {}})
    web = parse_label_selector("app=web")
    info.add_pod("default/a", pod("a", {"app": "web"}))
    info.add_pod("other/b", pod("b", {"app": "web"}, namespace="other"))
    assert count_matching_on(info, web, "default") == 1
    assert count_matching_on(info, web, "other") == 1
    info.add_pod("default/c", pod("c", {"app": "web"}))
    assert count_matching_on(info, web, "default") == 2
    # the same pod, now terminating: its footprint is the same, the count is not
    info.add_pod("default/c", pod("c", {"app": "web"}, deleting=True))
    assert count_matching_on(info, web, "default") == 1
    info.remove_pod("default/a")
    assert count_matching_on(info, web, "default") == 0
    assert count_matching_on(info, parse_label_selector(""), "other") == 1
    copy = info.clone()
    copy.add_pod("default/d", pod("d", {"app": "web"}))
    assert count_matching_on(copy, web, "default") == 1
    assert count_matching_on(info, web, "default") == 0  # a clone's pods are its own
