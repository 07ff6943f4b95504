"""The dispatcher serving HorizontalPodAutoscalers in autoscaling/v2 (stored, preferred) and
autoscaling/v1 (converted): routes, discovery (aggregated and legacy), every verb in v1, the
status subresource, a v1 read-modify-write that keeps v2-only fields, and watches."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.autoscaling_v1 import BEHAVIOR_SPECS_ANNOTATION, METRIC_SPECS_ANNOTATION
from clusterlab.kubeapi import discovery, watch
from clusterlab.kubeapi.dispatch import dispatch
from clusterlab.kubeapi.messages import ApiRequest, ApiResponse
from clusterlab.kubeapi.negotiation import AGGREGATED_CONTENT_TYPE
from clusterlab.kubeapi.routing import resolve_route

V1 = "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers"
V2 = "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers"
AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
REF = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}
MEMORY = {
    "type": "Resource",
    "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "100Mi"}},
}


def cpu(utilization: int) -> dict[str, Any]:
    return {
        "type": "Resource",
        "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": utilization}},
    }


def hpa_v1(name: str = "web", target: int = 50) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v1",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name},
        "spec": {"scaleTargetRef": REF, "maxReplicas": 5, "targetCPUUtilizationPercentage": target},
    }


@pytest.fixture
def cluster() -> Cluster:
    c = Cluster.from_scenario("default", seed=3)
    c.advance(2)
    return c


def call(cluster: Cluster, method: str, path: str, body: Any = None, **kw: Any) -> ApiResponse:
    return dispatch(cluster, ApiRequest(method, path, body=body, **kw))


def test_both_versions_route_to_the_one_kind() -> None:
    v1, v2 = resolve_route(V1 + "/web/status"), resolve_route(V2 + "/web")
    assert v1.kind is v2.kind and (v1.version, v1.api_version, v1.subresource) == (
        "v1",
        "autoscaling/v1",
        "status",
    )
    assert (v2.version, v2.api_version) == ("", "autoscaling/v2")


def test_aggregated_discovery_lists_v2_then_v1(cluster: Cluster) -> None:
    resp = call(cluster, "GET", "/apis", accept=AGGREGATED)
    assert resp.content_type == AGGREGATED_CONTENT_TYPE
    group = next(i for i in resp.body["items"] if i["metadata"]["name"] == "autoscaling")
    assert [v["version"] for v in group["versions"]] == ["v2", "v1"]
    v1 = group["versions"][1]["resources"][0]
    assert v1["responseKind"] == {"group": "autoscaling", "version": "v1", "kind": "HorizontalPodAutoscaler"}
    assert v1["subresources"] == [
        {
            "subresource": "status",
            "responseKind": {"group": "autoscaling", "version": "v1", "kind": "HorizontalPodAutoscaler"},
            "verbs": ["get", "patch", "update"],
        }
    ]
    assert (v1["shortNames"], v1["categories"]) == (["hpa"], ["all"])


def test_legacy_discovery_prefers_v2(cluster: Cluster) -> None:
    groups = call(cluster, "GET", "/apis").body["groups"]
    autoscaling = next(g for g in groups if g["name"] == "autoscaling")
    assert autoscaling["versions"] == [
        {"groupVersion": "autoscaling/v2", "version": "v2"},
        {"groupVersion": "autoscaling/v1", "version": "v1"},
    ]
    assert autoscaling["preferredVersion"] == {"groupVersion": "autoscaling/v2", "version": "v2"}
    index = discovery.openapi_index("/k8s/x")["paths"]
    assert "apis/autoscaling/v1" in index and "apis/autoscaling/v2" in index
    doc = discovery.openapi_gv("autoscaling", "v1")
    op = doc["paths"]["/apis/autoscaling/v1/namespaces/{namespace}/horizontalpodautoscalers"]["post"]
    assert op["x-kubernetes-group-version-kind"]["version"] == "v1"
    assert "io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler" in doc["components"]["schemas"]


def test_every_verb_answers_in_the_urls_version(cluster: Cluster) -> None:
    created = call(cluster, "POST", V1, hpa_v1())
    assert created.status == 201 and created.body["apiVersion"] == "autoscaling/v1"
    assert created.body["status"] == {"currentReplicas": 0, "desiredReplicas": 0}
    assert call(cluster, "GET", V2 + "/web").body["spec"]["metrics"] == [cpu(50)]
    listed = call(cluster, "GET", V1).body
    assert (listed["kind"], listed["apiVersion"]) == ("HorizontalPodAutoscalerList", "autoscaling/v1")
    assert listed["items"][0]["spec"]["targetCPUUtilizationPercentage"] == 50
    wrong = call(cluster, "POST", V1, {**hpa_v1("x"), "apiVersion": "autoscaling/v2"})
    assert wrong.status == 400 and wrong.body["message"] == (
        "the API version in the data (autoscaling/v2) does not match the expected API version "
        "(autoscaling/v1)"
    )
    unknown = call(
        cluster,
        "POST",
        V1,
        {**hpa_v1("y"), "spec": {**hpa_v1()["spec"], "metrics": []}},
        query={"fieldValidation": "Strict"},
    )
    assert unknown.status == 400 and 'unknown field "spec.metrics"' in unknown.body["message"]
    patched = call(
        cluster,
        "PATCH",
        V1 + "/web",
        {"spec": {"targetCPUUtilizationPercentage": 70}},
        content_type="application/merge-patch+json",
    )
    assert patched.status == 200 and patched.body["spec"]["targetCPUUtilizationPercentage"] == 70
    assert call(cluster, "GET", V2 + "/web").body["spec"]["metrics"] == [cpu(70)]
    json_patched = call(
        cluster,
        "PATCH",
        V1 + "/web",
        [{"op": "replace", "path": "/spec/maxReplicas", "value": 8}],
        content_type="application/json-patch+json",
    )
    assert json_patched.body["spec"]["maxReplicas"] == 8
    deleted = call(cluster, "DELETE", V1 + "/web")
    assert deleted.status == 200 and deleted.body["kind"] == "Status"
    assert call(cluster, "GET", V1 + "/web").status == 404


def test_a_v1_read_modify_write_keeps_what_only_v2_has(cluster: Cluster) -> None:
    body = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web"},
        "spec": {
            "scaleTargetRef": REF,
            "maxReplicas": 5,
            "metrics": [cpu(50), MEMORY],
            "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}},
        },
    }
    assert call(cluster, "POST", V2, body).status == 201
    seen = call(cluster, "GET", V1 + "/web").body
    assert json.loads(seen["metadata"]["annotations"][METRIC_SPECS_ANNOTATION]) == [
        {"type": "Resource", "resource": {"name": "memory", "targetAverageValue": "100Mi"}}
    ]
    assert json.loads(seen["metadata"]["annotations"][BEHAVIOR_SPECS_ANNOTATION])["ScaleDown"] == {
        "StabilizationWindowSeconds": 60,
        "SelectPolicy": "Max",
        "Policies": [{"Type": "Percent", "Value": 100, "PeriodSeconds": 15}],
    }
    seen["spec"]["maxReplicas"] = 6
    put = call(cluster, "PUT", V1 + "/web", seen)
    assert put.status == 200, put.body
    stored = call(cluster, "GET", V2 + "/web").body
    assert stored["spec"]["maxReplicas"] == 6
    assert stored["spec"]["metrics"] == [MEMORY, cpu(50)]  # v1's order: annotated ones first
    assert stored["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 60
    assert "annotations" not in stored["metadata"]


def test_the_status_subresource_in_v1(cluster: Cluster) -> None:
    call(cluster, "POST", V1, hpa_v1())
    status = call(cluster, "GET", V1 + "/web/status").body
    assert status["apiVersion"] == "autoscaling/v1"
    status["status"] = {"currentReplicas": 2, "desiredReplicas": 3, "currentCPUUtilizationPercentage": 90}
    put = call(cluster, "PUT", V1 + "/web/status", status)
    assert put.status == 200 and put.body["status"]["currentCPUUtilizationPercentage"] == 90
    stored = call(cluster, "GET", V2 + "/web").body["status"]
    assert stored["currentMetrics"] == [
        {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 90}}}
    ]
    assert (stored["currentReplicas"], stored["desiredReplicas"]) == (2, 3)


async def test_a_v1_watch_sends_v1_objects_and_bookmarks(cluster: Cluster) -> None:
    req = ApiRequest(
        "GET",
        V1,
        query={"watch": "true", "resourceVersion": str(cluster.revision), "allowWatchBookmarks": "true"},
    )
    watcher = watch.open_watch(cluster, resolve_route(V1), req)
    lines = watch.stream(watcher, lambda: True)
    assert await anext(lines) == b""
    call(
        cluster,
        "POST",
        V2,
        {**hpa_v1(), "apiVersion": "autoscaling/v2", "spec": {"scaleTargetRef": REF, "maxReplicas": 3}},
    )
    cluster.advance(0.1)
    chunk = await asyncio.wait_for(anext(lines), 5)
    event = json.loads(chunk)
    assert event["type"] == "ADDED" and event["object"]["apiVersion"] == "autoscaling/v1"
    assert event["object"]["spec"]["targetCPUUtilizationPercentage"] == 80  # v2's default metric
    assert json.loads(watcher.bookmark())["object"]["apiVersion"] == "autoscaling/v1"
    watcher.close()
