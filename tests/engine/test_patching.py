"""PATCH in its three non-apply forms: JSON merge, strategic merge (with its directives), JSON patch."""

from __future__ import annotations

from typing import Any

import pytest

from clusterlab.engine import BadRequest, Cluster, Invalid
from clusterlab.engine.cluster import LEARNER
from clusterlab.engine.errors import UnsupportedMediaType
from clusterlab.engine.patching import strategic_merge_patch

from .conftest import web


def app_deployment() -> dict[str, Any]:
    d = web(2)
    d["spec"]["template"]["spec"]["containers"] = [
        {
            "name": "app",
            "image": "nginx:1.27",
            "ports": [{"containerPort": 80}, {"containerPort": 443}],
            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
        },
        {"name": "cache", "image": "redis:7"},
    ]
    d["spec"]["template"]["spec"]["tolerations"] = [{"key": "a", "operator": "Exists"}]
    return d


@pytest.fixture
def c() -> Cluster:
    cluster = Cluster.from_scenario("default", seed=7)
    cluster.apply(app_deployment())
    return cluster


def patch(c: Cluster, body: Any, patch_type: str, **kw: Any) -> dict[str, Any]:
    return c.server.patch(LEARNER, "deployments", "web", body, "default", patch_type=patch_type, **kw)


def containers(d: dict[str, Any]) -> list[dict[str, Any]]:
    return d["spec"]["template"]["spec"]["containers"]


def test_client_side_apply_patch_keeps_ports_and_other_containers(c: Cluster) -> None:
    """What kubectl apply sends when only the image changed (kube-api-wire.md)."""
    body = {
        "spec": {
            "replicas": 3,
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "app"}, {"name": "cache"}],
                    "containers": [{"image": "nginx:1.28", "name": "app"}],
                }
            },
        }
    }
    out = patch(c, body, "strategic", field_manager="kubectl-client-side-apply")
    app, cache = containers(out)
    assert (app["name"], app["image"], app["ports"]) == (
        "app",
        "nginx:1.28",
        [{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 443, "protocol": "TCP"}],
    )
    assert cache["image"] == "redis:7"
    assert out["spec"]["replicas"] == 3
    assert out["metadata"]["generation"] == 2


def test_strategic_directives() -> None:
    live = {
        "metadata": {"finalizers": ["a", "b"], "labels": {"x": "1", "y": "2"}},
        "spec": {
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
            "containers": [
                {"name": "app", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
                {"name": "side", "image": "busybox"},
            ],
            "tolerations": [{"key": "a"}],
            "args": ["x", "y"],
        },
    }
    out = strategic_merge_patch(
        live,
        {
            "metadata": {
                "$deleteFromPrimitiveList/finalizers": ["a"],
                "finalizers": ["c"],
                "labels": {"x": None},
            },
            "spec": {
                "strategy": {"$retainKeys": ["type"], "type": "Recreate"},
                "containers": [
                    {"name": "app", "env": [{"name": "B", "$patch": "delete"}, {"name": "C", "value": "3"}]},
                    {"name": "side", "$patch": "delete"},
                ],
                "tolerations": [{"key": "b"}],
                "args": ["z"],
            },
        },
    )
    assert out["metadata"] == {"finalizers": ["b", "c"], "labels": {"y": "2"}}
    assert out["spec"]["strategy"] == {"type": "Recreate"}
    assert out["spec"]["containers"] == [
        {"name": "app", "env": [{"name": "A", "value": "1"}, {"name": "C", "value": "3"}]}
    ]
    assert out["spec"]["tolerations"] == [{"key": "b"}]  # no patchMergeKey: replaced
    assert out["spec"]["args"] == ["z"]
    replaced = strategic_merge_patch(live, {"metadata": {"labels": {"$patch": "replace", "z": "9"}}})
    assert replaced["metadata"]["labels"] == {"z": "9"}
    whole_list = strategic_merge_patch(live, {"spec": {"containers": [{"$patch": "replace"}, {"name": "n"}]}})
    assert whole_list["spec"]["containers"] == [{"name": "n"}]
    assert live["spec"]["containers"][1] == {"name": "side", "image": "busybox"}  # input untouched
    with pytest.raises(BadRequest, match="does not contain declared merge key: name"):
        strategic_merge_patch(live, {"spec": {"containers": [{"image": "x"}]}})
    with pytest.raises(BadRequest, match="Unknown patch type: bogus"):
        strategic_merge_patch(live, {"spec": {"$patch": "bogus"}})


def test_cordon_is_a_strategic_patch(c: Cluster) -> None:
    node = c.server.patch(
        LEARNER, "nodes", "worker-1", {"spec": {"unschedulable": True}}, patch_type="strategic"
    )
    assert node["spec"]["unschedulable"] is True
    assert c.server.audit.records[-1].verb == "patch"


def test_json_patch_and_its_errors(c: Cluster) -> None:
    out = patch(
        c,
        [
            {"op": "replace", "path": "/spec/replicas", "value": 4},
            {"op": "add", "path": "/metadata/labels", "value": {"team": "a"}},
            {"op": "remove", "path": "/spec/template/spec/containers/1"},
            {"op": "test", "path": "/spec/replicas", "value": 4},
        ],
        "json",
    )
    assert (out["spec"]["replicas"], out["metadata"]["labels"], len(containers(out))) == (4, {"team": "a"}, 1)
    with pytest.raises(Invalid) as exc:
        patch(c, [{"op": "replace", "path": "/spec/nope/x", "value": 1}], "json")
    assert exc.value.code == 422
    assert exc.value.message == "the server rejected our request due to an error in our request"
    assert "details" not in exc.value.status()  # kube-apiserver drops the library's reason
    assert exc.value.patch_error == (
        "replace operation does not apply: doc is missing path: /spec/nope/x: missing value"
    )
    with pytest.raises(Invalid) as exc:
        patch(c, [{"op": "remove", "path": "/metadata/labels/gone"}], "json")
    assert exc.value.patch_error == (
        'remove operation does not apply: doc is missing path: "/metadata/labels/gone": missing value'
    )
    with pytest.raises(Invalid) as exc:
        patch(c, [{"op": "test", "path": "/spec/replicas", "value": 9}], "json")
    assert exc.value.patch_error == "testing value /spec/replicas failed: test failed"
    with pytest.raises(Invalid) as exc:
        patch(c, [{"op": "frobnicate", "path": "/spec"}], "json")
    assert exc.value.patch_error == "Unexpected kind: frobnicate"
    with pytest.raises(BadRequest, match=r"cannot unmarshal object into Go value of type jsonpatch\.Patch"):
        patch(c, {"op": "remove"}, "json")
    assert c.get("deployment", "web")["spec"]["replicas"] == 4  # failed patches change nothing


def test_merge_patch_replaces_lists(c: Cluster) -> None:
    out = patch(
        c,
        {"spec": {"template": {"spec": {"tolerations": None}}}, "metadata": {"labels": {"a": "b"}}},
        "merge",
    )
    assert "tolerations" not in out["spec"]["template"]["spec"]
    assert out["metadata"]["labels"] == {"a": "b"}


def test_unsupported_patch_type_and_force_outside_apply(c: Cluster) -> None:
    with pytest.raises(UnsupportedMediaType) as exc:
        patch(c, {}, "yaml")
    assert exc.value.status()["code"] == 415
    assert exc.value.message == (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, "
        "application/strategic-merge-patch+json, application/apply-patch+yaml"
    )
    with pytest.raises(Invalid) as inv:
        patch(c, {}, "merge", force=True)
    assert inv.value.message == (
        'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch'
    )


def test_patch_with_stale_resource_version_conflicts(c: Cluster) -> None:
    from clusterlab.engine import Conflict

    with pytest.raises(Conflict):
        patch(c, {"metadata": {"resourceVersion": "1"}, "spec": {"replicas": 1}}, "merge")


def test_updates_record_managed_fields(c: Cluster) -> None:
    d = c.get("deployment", "web")
    mine = next(e for e in d["metadata"]["managedFields"] if e["manager"] == "kubectl-client-side-apply")
    assert (mine["operation"], mine["apiVersion"], mine["fieldsType"]) == ("Update", "apps/v1", "FieldsV1")
    assert mine["fieldsV1"]["f:spec"]["f:replicas"] == {}
    assert mine["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"app"}']["."] == {}
    c.advance(5)
    patch(c, {"spec": {"replicas": 5}}, "merge", field_manager="kubectl-edit")
    d = c.get("deployment", "web")
    by = {e["manager"]: e for e in d["metadata"]["managedFields"] if e.get("subresource") is None}
    assert by["kubectl-edit"]["fieldsV1"] == {"f:spec": {"f:replicas": {}}}
    assert by["kubectl-edit"]["time"] == "2026-01-01T09:00:05Z"
    assert "f:replicas" not in by["kubectl-client-side-apply"]["fieldsV1"]["f:spec"]
    status = next(e for e in d["metadata"]["managedFields"] if e.get("subresource") == "status")
    assert status["manager"] == "kube-controller-manager"
    assert list(status) == [
        "manager",
        "operation",
        "apiVersion",
        "time",
        "fieldsType",
        "fieldsV1",
        "subresource",
    ]
