"""Paths → routes, and discovery documents generated from the kind registry."""

from __future__ import annotations

import pytest

from clusterlab.engine.errors import NotFound
from clusterlab.engine.kinds import KINDS
from clusterlab.kubeapi import discovery
from clusterlab.kubeapi.routing import resolve_route, subresources


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/v1/pods", ("Pod", None, None, None)),
        ("/api/v1/namespaces/default/pods", ("Pod", "default", None, None)),
        ("/api/v1/namespaces/default/pods/web-1", ("Pod", "default", "web-1", None)),
        ("/api/v1/namespaces/default/pods/web-1/log", ("Pod", "default", "web-1", "log")),
        ("/api/v1/namespaces/default/pods/web-1/eviction", ("Pod", "default", "web-1", "eviction")),
        ("/api/v1/nodes/worker-1/status", ("Node", None, "worker-1", "status")),
        ("/api/v1/namespaces", ("Namespace", None, None, None)),
        ("/api/v1/namespaces/kube-system", ("Namespace", None, "kube-system", None)),
        ("/api/v1/namespaces/kube-system/finalize", ("Namespace", None, "kube-system", "finalize")),
        ("/apis/apps/v1/deployments", ("Deployment", None, None, None)),
        ("/apis/apps/v1/namespaces/default/deployments/web/scale", ("Deployment", "default", "web", "scale")),
        (
            "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases",
            ("Lease", "kube-node-lease", None, None),
        ),
    ],
)
def test_routes(path: str, expected: tuple[str, str | None, str | None, str | None]) -> None:
    route = resolve_route(path)
    assert (route.kind.kind, route.namespace, route.name, route.subresource) == expected


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/api",
        "/api/v1/po",  # short names are kubectl's, not the URL's
        "/api/v1/deployments",  # wrong group
        "/apis/apps/v2/deployments",
        "/api/v1/pods/web-1",  # a namespaced item needs its namespace
        "/api/v1/namespaces/default/nodes",
        "/api/v1/namespaces/default/pods/web-1/exec",
        "/api/v1/namespaces/default/pods/web-1/log/extra",
        "/api/v1/namespaces/default/pods/..",
        "/api/v1/namespaces/default/pods/" + "x" * 300,
        "/apis/apps/v1/namespaces/default/deployments/web/log",
    ],
)
def test_paths_naming_nothing_are_404(path: str) -> None:
    with pytest.raises(NotFound) as caught:
        resolve_route(path)
    assert caught.value.status()["message"] == "the server could not find the requested resource"


def test_subresources_follow_the_kinds() -> None:
    by_kind = {k.kind: subresources(k) for k in KINDS}
    assert by_kind["Pod"] == ("binding", "eviction", "log", "status")
    assert by_kind["Deployment"] == ("scale", "status")
    assert by_kind["ReplicaSet"] == ("scale", "status")
    assert "status" not in by_kind["Event"]


def test_aggregated_discovery_lists_every_registered_kind() -> None:
    core = discovery.aggregated(True)
    groups = discovery.aggregated(False)
    assert core["kind"] == "APIGroupDiscoveryList" and core["apiVersion"] == "apidiscovery.k8s.io/v2"
    assert [g["metadata"]["name"] for g in core["items"]] == [""]
    served = {
        (g["metadata"]["name"], r["resource"])
        for doc in (core, groups)
        for g in doc["items"]
        for v in g["versions"]
        for r in v["resources"]
    }
    reviews = {
        ("authorization.k8s.io", "selfsubjectaccessreviews"),
        ("authorization.k8s.io", "subjectaccessreviews"),
        ("authentication.k8s.io", "selfsubjectreviews"),
    }
    assert served == {(k.group, k.plural) for k in KINDS} | reviews
    authz = next(g for g in groups["items"] if g["metadata"]["name"] == "authorization.k8s.io")
    assert len(authz["versions"]) == 1  # both reviews under one v1, as kube-apiserver lists them
    apps = next(g for g in groups["items"] if g["metadata"]["name"] == "apps")
    deploy = next(r for r in apps["versions"][0]["resources"] if r["resource"] == "deployments")
    assert deploy["shortNames"] == ["deploy"] and deploy["scope"] == "Namespaced"
    scale = next(s for s in deploy["subresources"] if s["subresource"] == "scale")
    assert scale["responseKind"] == {"group": "autoscaling", "version": "v1", "kind": "Scale"}
    pods = next(r for r in core["items"][0]["versions"][0]["resources"] if r["resource"] == "pods")
    assert {s["subresource"] for s in pods["subresources"]} == {"binding", "eviction", "log", "status"}


def test_legacy_discovery() -> None:
    assert discovery.api_versions("127.0.0.1:8000")["versions"] == ["v1"]
    names = [g["name"] for g in discovery.api_group_list()["groups"]]
    assert "apps" in names and "coordination.k8s.io" in names
    core = discovery.resource_list("", "v1")
    listed = {r["name"]: r for r in core["resources"]}
    assert listed["pods"]["shortNames"] == ["po"] and listed["pods"]["namespaced"] is True
    assert listed["nodes"]["namespaced"] is False
    assert listed["pods/log"]["kind"] == "Pod"
    apps = {r["name"]: r for r in discovery.resource_list("apps", "v1")["resources"]}
    assert (
        apps["deployments/scale"]["group"] == "autoscaling" and apps["deployments/scale"]["kind"] == "Scale"
    )
    with pytest.raises(NotFound):
        discovery.resource_list("apps", "v9")


def test_version_says_1_32() -> None:
    doc = discovery.discovery_document("/version", aggregated_wanted=False, server_address="")
    assert doc is not None and (doc["major"], doc["minor"], doc["gitVersion"]) == ("1", "32", "v1.32.0")


def test_openapi_v3_is_what_kubectl_validation_needs() -> None:
    index = discovery.openapi_document("/openapi/v3", "/k8s/KEY")
    assert index is not None
    url = index["paths"]["apis/apps/v1"]["serverRelativeURL"]
    assert url.startswith("/k8s/KEY/openapi/v3/apis/apps/v1?hash=")
    doc = discovery.openapi_document("/openapi/v3/apis/apps/v1")
    assert doc is not None
    patch = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {
        "group": "apps",
        "version": "v1",
        "kind": "Deployment",
    }
    assert patch["parameters"][0]["name"] == "fieldValidation"
    with pytest.raises(NotFound):
        discovery.openapi_document("/openapi/v2")
