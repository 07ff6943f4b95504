"""`metrics.k8s.io/v1beta1` through the lab API's dispatcher: discovery, reads, and refusals."""

from __future__ import annotations

from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.kubeapi.dispatch import dispatch
from clusterlab.kubeapi.messages import ApiRequest, ApiResponse
from clusterlab.kubeapi.negotiation import AGGREGATED_CONTENT_TYPE, TABLE_CONTENT_TYPE

AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
BASE = "/apis/metrics.k8s.io/v1beta1"


def call(cluster: Cluster, method: str, path: str, **kw: Any) -> ApiResponse:
    return dispatch(cluster, ApiRequest(method, path, **kw))


def metrics_group(cluster: Cluster) -> dict[str, Any]:
    resp = call(cluster, "GET", "/apis", accept=AGGREGATED)
    assert resp.content_type == AGGREGATED_CONTENT_TYPE
    return next(i for i in resp.body["items"] if i["metadata"]["name"] == "metrics.k8s.io")


@pytest.fixture
def ready() -> Cluster:
    c = Cluster.from_scenario("default", seed=3)
    c.advance(40)
    assert c.metrics_api.available()
    return c


def test_discovery_marks_the_version_stale_until_metrics_server_is_available() -> None:
    c = Cluster.from_scenario("default", seed=3)
    c.advance(5)
    assert metrics_group(c)["versions"] == [{"version": "v1beta1", "freshness": "Stale"}]
    legacy = call(c, "GET", "/apis").body
    listed = {"groupVersion": "metrics.k8s.io/v1beta1", "version": "v1beta1"}
    assert {"name": "metrics.k8s.io", "versions": [listed], "preferredVersion": listed} in legacy["groups"]
    unavailable = call(c, "GET", BASE)
    assert (unavailable.status, unavailable.body["reason"]) == (503, "ServiceUnavailable")
    nodes = call(c, "GET", f"{BASE}/nodes")
    assert (nodes.status, nodes.body["message"]) == (
        503,
        "the server is currently unable to handle the request",
    )
    c.advance(35)
    (version,) = metrics_group(c)["versions"]
    assert version["freshness"] == "Current"
    assert [
        (r["resource"], r["responseKind"]["kind"], r["scope"], r["verbs"]) for r in version["resources"]
    ] == [
        ("nodes", "NodeMetrics", "Cluster", ["get", "list"]),
        ("pods", "PodMetrics", "Namespaced", ["get", "list"]),
    ]
    resources = call(c, "GET", BASE).body
    assert [(r["name"], r["kind"], r["namespaced"]) for r in resources["resources"]] == [
        ("nodes", "NodeMetrics", False),
        ("pods", "PodMetrics", True),
    ]
    assert call(c, "GET", "/apis/metrics.k8s.io").body["preferredVersion"]["version"] == "v1beta1"


def test_reads_lists_gets_selectors_and_namespaces(ready: Cluster) -> None:
    nodes = call(ready, "GET", f"{BASE}/nodes", query={"labelSelector": "kubernetes.io/hostname=worker-1"})
    assert [n["metadata"]["name"] for n in nodes.body["items"]] == ["worker-1"]
    node = call(ready, "GET", f"{BASE}/nodes/worker-2").body
    assert node["kind"] == "NodeMetrics" and set(node["usage"]) == {"cpu", "memory"}
    everywhere = call(ready, "GET", f"{BASE}/pods").body["items"]
    # every namespace with running pods: the control plane and CoreDNS, the storage provisioner
    assert {p["metadata"]["namespace"] for p in everywhere} == {"kube-system", "local-path-storage"}
    assert call(ready, "GET", f"{BASE}/namespaces/default/pods").body["items"] == []
    one = call(ready, "GET", f"{BASE}/namespaces/kube-system/pods/etcd-control-plane").body
    assert one["kind"] == "PodMetrics" and one["containers"][0]["name"] == "etcd"
    missing = call(ready, "GET", f"{BASE}/namespaces/default/pods/nope")
    assert (missing.status, missing.body["message"]) == (
        404,
        'podmetrics.metrics.k8s.io "default/nope" not found',
    )
    bad = call(ready, "GET", f"{BASE}/pods", query={"fieldSelector": "spec.nodeName=worker-1"})
    assert (bad.status, bad.body["message"]) == (400, "field label not supported: spec.nodeName")
    assert call(ready, "GET", f"{BASE}/widgets").status == 404
    assert any(a.resource == "nodes.metrics.k8s.io" and a.verb == "list" for a in ready.api_calls())


def test_tables_carry_metrics_server_columns(ready: Cluster) -> None:
    resp = call(ready, "GET", f"{BASE}/pods", accept=TABLE)
    assert resp.content_type == TABLE_CONTENT_TYPE
    assert [c["name"] for c in resp.body["columnDefinitions"]] == ["Name", "cpu", "memory", "Window"]
    row = resp.body["rows"][0]
    # kube-system's pods come first, by name: kubeadm's CoreDNS replicas lead
    first = min(p["metadata"]["name"] for p in ready.list("pods", "kube-system"))
    assert first.startswith("coredns-")
    assert row["cells"][0] == first and row["cells"][3] == "15s"
    assert row["object"]["kind"] == "PartialObjectMetadata"
    assert row["object"]["metadata"]["namespace"] == "kube-system"


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_metrics_are_read_only(ready: Cluster, method: str) -> None:
    for path in (f"{BASE}/nodes", f"{BASE}/nodes/worker-1", f"{BASE}/namespaces/default/pods"):
        resp = call(ready, method, path, body={})
        assert (resp.status, resp.body["reason"]) == (405, "MethodNotAllowed"), (method, path)
        assert not resp.wrote


def test_watch_is_not_served(ready: Cluster) -> None:
    resp = call(ready, "GET", f"{BASE}/nodes", query={"watch": "true"})
    assert resp.status == 405


def test_metrics_never_touch_the_store(ready: Cluster) -> None:
    before = ready.revision
    call(ready, "GET", f"{BASE}/nodes")
    call(ready, "GET", f"{BASE}/pods")
    assert ready.revision == before
