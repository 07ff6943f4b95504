"""Server-side `Table`s as kube-apiserver builds them (pkg/printers/internalversion), for tests.

Only the cells the tests compare; the column definitions carry the names, types, formats
and priorities kube-apiserver sends. Ages are computed against a fixed `now`.
"""

from __future__ import annotations

from typing import Any

from clusterlab.engine import printers
from clusterlab.engine.timefmt import human_duration, parse_epoch

Obj = dict[str, Any]
NOW = "2026-01-01T09:05:00Z"


def _age(obj: Obj) -> str:
    created = obj["metadata"].get("creationTimestamp")
    if not created:
        return "<unknown>"
    return human_duration((parse_epoch(NOW) - parse_epoch(created)).total_seconds())


def _col(name: str, type_: str = "string", priority: int = 0, fmt: str = "") -> Obj:
    return {"name": name, "type": type_, "format": fmt, "description": f"{name} column", "priority": priority}


def _table(columns: list[Obj], rows: list[tuple[list[Any], Obj]]) -> Obj:
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": "100"},
        "columnDefinitions": columns,
        "rows": [
            {
                "cells": cells,
                "object": {
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": obj["metadata"],
                },
            }
            for cells, obj in rows
        ],
    }


def pods(items: list[Obj]) -> Obj:
    cols = [
        _col("Name", fmt="name"),
        _col("Ready"),
        _col("Status"),
        _col("Restarts", "string"),
        _col("Age"),
        _col("IP", priority=1),
        _col("Node", priority=1),
        _col("Nominated Node", priority=1),
        _col("Readiness Gates", priority=1),
    ]
    rows = []
    for p in items:
        st = p.get("status") or {}
        rows.append(
            (
                [
                    p["metadata"]["name"],
                    printers.pod_ready(p),
                    printers.pod_status(p),
                    printers.pod_restarts(p),
                    _age(p),
                    st.get("podIP") or "<none>",
                    (p.get("spec") or {}).get("nodeName") or "<none>",
                    st.get("nominatedNodeName") or "<none>",
                    "<none>",
                ],
                p,
            )
        )
    return _table(cols, rows)


def nodes(items: list[Obj]) -> Obj:
    cols = [
        _col("Name", fmt="name"),
        _col("Status"),
        _col("Roles"),
        _col("Age"),
        _col("Version"),
        _col("Internal-IP", priority=1),
        _col("External-IP", priority=1),
        _col("OS-Image", priority=1),
        _col("Kernel-Version", priority=1),
        _col("Container-Runtime", priority=1),
    ]
    rows = []
    for n in items:
        info = n["status"].get("nodeInfo") or {}
        addr = {a["type"]: a["address"] for a in n["status"].get("addresses") or ()}
        rows.append(
            (
                [
                    n["metadata"]["name"],
                    printers.node_status(n),
                    printers.node_roles(n),
                    _age(n),
                    info.get("kubeletVersion", ""),
                    addr.get("InternalIP", "<none>"),
                    addr.get("ExternalIP", "<none>"),
                    info.get("osImage", "<unknown>"),
                    info.get("kernelVersion", "<unknown>"),
                    info.get("containerRuntimeVersion", "<unknown>"),
                ],
                n,
            )
        )
    return _table(cols, rows)


def deployments(items: list[Obj]) -> Obj:
    cols = [
        _col("Name", fmt="name"),
        _col("Ready"),
        _col("Up-to-date", "integer"),
        _col("Available", "integer"),
        _col("Age"),
        _col("Containers", priority=1),
        _col("Images", priority=1),
        _col("Selector", priority=1),
    ]
    rows = []
    for d in items:
        st = d.get("status") or {}
        spec = d["spec"]["template"]["spec"]
        sel = d["spec"].get("selector", {}).get("matchLabels", {})
        rows.append(
            (
                [
                    d["metadata"]["name"],
                    printers.deployment_ready(d),
                    st.get("updatedReplicas", 0),
                    st.get("availableReplicas", 0),
                    _age(d),
                    ",".join(c["name"] for c in spec["containers"]),
                    ",".join(c["image"] for c in spec["containers"]),
                    ",".join(f"{k}={v}" for k, v in sorted(sel.items())),
                ],
                d,
            )
        )
    return _table(cols, rows)


def replicasets(items: list[Obj]) -> Obj:
    cols = [
        _col("Name", fmt="name"),
        _col("Desired", "integer"),
        _col("Current", "integer"),
        _col("Ready", "integer"),
        _col("Age"),
        _col("Containers", priority=1),
        _col("Images", priority=1),
        _col("Selector", priority=1),
    ]
    rows = []
    for rs in items:
        st = rs.get("status") or {}
        spec = rs["spec"]["template"]["spec"]
        sel = rs["spec"].get("selector", {}).get("matchLabels", {})
        rows.append(
            (
                [
                    rs["metadata"]["name"],
                    rs["spec"].get("replicas", 0),
                    st.get("replicas", 0),
                    st.get("readyReplicas", 0),
                    _age(rs),
                    ",".join(c["name"] for c in spec["containers"]),
                    ",".join(c["image"] for c in spec["containers"]),
                    ",".join(f"{k}={v}" for k, v in sorted(sel.items())),
                ],
                rs,
            )
        )
    return _table(cols, rows)


TABLES = {"pods": pods, "nodes": nodes, "deployments": deployments, "replicasets": replicasets}
