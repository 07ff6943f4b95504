"""`/apis/metrics.k8s.io/v1beta1/...`: the Metrics API, an aggregated API served by metrics-server.

kube-apiserver's aggregation layer owns the paths of an APIService's group version and proxies
them to the add-on; here the add-on is the engine's read-only provider
(`engine/metrics_server/api.py`), never stored in etcd, so its readings never reach a watch.

- Discovery: the group is listed in `/apis` and the aggregated discovery document; while the
  APIService is not Available its version is marked `Stale` there (client-go then drops it, and
  `kubectl top` says `Metrics API not available`), and `/apis/metrics.k8s.io/v1beta1` is 503.
- `nodes`, `nodes/<name>`, `pods`, `namespaces/<ns>/pods[/<name>]`: GET (list/get, label and
  field selectors, a `meta.k8s.io` Table when asked, with metrics-server's columns).
- Every other verb is 405, as metrics-server's storage implements only get and list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clusterlab.engine import Cluster
from clusterlab.engine.errors import ServiceUnavailable
from clusterlab.engine.metrics_server.api import GROUP, UNAVAILABLE, VERSION, cpu_quantity, memory_quantity
from clusterlab.engine.quantity import parse_quantity
from clusterlab.kubeapi import negotiation
from clusterlab.kubeapi.errors import method_not_allowed, resource_not_found
from clusterlab.kubeapi.messages import ApiRequest, ApiResponse
from clusterlab.kubeapi.routing import split_path

Obj = dict[str, Any]
GROUP_VERSION = f"{GROUP}/{VERSION}"
VERBS = ["get", "list"]


@dataclass(frozen=True)
class MetricsRoute:
    """A path under the group: discovery (`resource` None) or a resource collection/item."""

    resource: str | None = None  # "nodes" | "pods"
    namespace: str | None = None
    name: str | None = None
    version_doc: bool = False


def find(path: str) -> MetricsRoute | None:
    """The Metrics API path ``path`` names, or None when it is not under the group."""
    parts = split_path(path)
    if parts[:2] != ["apis", GROUP]:
        return None
    rest = parts[2:]
    if not rest:
        return MetricsRoute()
    if rest[0] != VERSION:
        raise resource_not_found()
    rest = rest[1:]
    if not rest:
        return MetricsRoute(version_doc=True)
    if rest[0] == "nodes" and len(rest) <= 2:
        return MetricsRoute("nodes", None, rest[1] if len(rest) == 2 else None)
    if rest[0] == "pods" and len(rest) == 1:
        return MetricsRoute("pods")
    if rest[0] == "namespaces" and len(rest) in (3, 4) and rest[2] == "pods":
        return MetricsRoute("pods", rest[1], rest[3] if len(rest) == 4 else None)
    raise resource_not_found()


def api_group() -> Obj:
    listed = {"groupVersion": GROUP_VERSION, "version": VERSION}
    return {
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": GROUP,
        "versions": [listed],
        "preferredVersion": listed,
    }


def resource_list() -> Obj:
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": GROUP_VERSION,
        "resources": [
            {"name": "nodes", "singularName": "", "namespaced": False, "kind": "NodeMetrics", "verbs": VERBS},
            {"name": "pods", "singularName": "", "namespaced": True, "kind": "PodMetrics", "verbs": VERBS},
        ],
    }


def add_to_discovery(doc: Obj, cluster: Cluster, aggregated: bool) -> None:
    """Add the group to `GET /apis` (legacy `APIGroupList` or aggregated discovery)."""
    if not aggregated:
        group = api_group()
        del group["kind"], group["apiVersion"]  # as an item of an APIGroupList
        doc.setdefault("groups", []).append(group)
        return
    version: Obj = {"version": VERSION, "freshness": "Current"}
    if cluster.metrics_api.available():
        version["resources"] = [
            {
                "resource": plural,
                "responseKind": {"group": GROUP, "version": VERSION, "kind": kind},
                "scope": scope,
                "singularResource": "",
                "verbs": VERBS,
            }
            for plural, kind, scope in (
                ("nodes", "NodeMetrics", "Cluster"),
                ("pods", "PodMetrics", "Namespaced"),
            )
        ]
    else:
        version["freshness"] = "Stale"
    doc.setdefault("items", []).append({"metadata": {"name": GROUP}, "versions": [version]})


def handle(cluster: Cluster, route: MetricsRoute, req: ApiRequest) -> ApiResponse:
    if req.method not in ("GET", "HEAD") or req.flag("watch"):
        raise method_not_allowed()
    api = cluster.metrics_api
    if route.resource is None:
        if not route.version_doc:
            return ApiResponse(body=api_group())
        if not api.available():
            raise ServiceUnavailable(UNAVAILABLE)
        return ApiResponse(body=resource_list())
    labels = req.query.get("labelSelector") or None
    fields = req.query.get("fieldSelector") or None
    if route.resource == "nodes":
        if route.name is None:
            body = api.list_nodes(req.user, labels, fields)
        else:
            body = api.get_node(req.user, route.name)
    elif route.name is None:
        body = api.list_pods(req.user, route.namespace, labels, fields)
    else:
        body = api.get_pod(req.user, route.namespace or "default", route.name)
    if negotiation.wants_table(req.accept):
        table = _table(body, req.query.get("includeObject") or "Metadata")
        return ApiResponse(body=table, content_type=negotiation.TABLE_CONTENT_TYPE)
    return ApiResponse(body=body)


def _row_object(item: Obj, include: str) -> Obj | None:
    if include == "None":
        return None
    if include == "Object":
        return item
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": item["metadata"]}


def _table(body: Obj, include: str) -> Obj:
    """metrics-server's `ConvertToTable`: Name, one column per resource (pods summed over
    containers), Window."""
    items = body.get("items") if "items" in body else [body]
    rows = []
    for item in items or ():
        if "usage" in item:
            usage = dict(item["usage"])
        else:
            cpu = sum(
                (parse_quantity(c["usage"]["cpu"]) for c in item["containers"]), start=parse_quantity(0)
            )
            mem = sum(
                (parse_quantity(c["usage"]["memory"]) for c in item["containers"]), start=parse_quantity(0)
            )
            usage = {"cpu": cpu_quantity(int(cpu * 10**9)), "memory": memory_quantity(int(mem))}
        rows.append(
            {
                "cells": [item["metadata"]["name"], usage["cpu"], usage["memory"], item["window"]],
                "object": _row_object(item, include),
            }
        )
    columns = [
        {
            "name": "Name",
            "type": "string",
            "format": "name",
            "description": "Name of the resource",
            "priority": 0,
        }
    ]
    columns += [
        {"name": n, "type": "string", "format": "quantity", "description": "", "priority": 0}
        for n in ("cpu", "memory")
    ]
    columns.append(
        {"name": "Window", "type": "string", "format": "duration", "description": "", "priority": 0}
    )
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {},
        "columnDefinitions": columns,
        "rows": rows,
    }
