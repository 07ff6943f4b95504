"""Tables for `kubectl get`: the engine's printers (`engine/tables.py`), and for a kind that has
no printer yet the default kube-apiserver uses for such kinds (NAME and AGE)."""

from __future__ import annotations

from typing import Any

from clusterlab.engine import Cluster
from clusterlab.engine import tables as engine_tables
from clusterlab.engine.kinds import Kind
from clusterlab.engine.timefmt import human_duration, seconds_since

Obj = dict[str, Any]

_DEFAULT_COLUMNS = [
    {"name": "Name", "type": "string", "format": "name", "description": "Name of the object", "priority": 0},
    {"name": "Age", "type": "string", "format": "", "description": "Time since creation", "priority": 0},
]


def table_for(
    cluster: Cluster,
    kind: Kind,
    objects: list[Obj],
    include_object: str | None,
    resource_version: str | None,
    continue_token: str | None = None,
    remaining: int | None = None,
    *,
    no_headers: bool = False,
) -> Obj:
    """A `meta.k8s.io/v1` Table of ``objects`` at the cluster's virtual now."""
    include = include_object or "Metadata"
    if kind.kind in engine_tables.PRINTERS:
        return engine_tables.to_table(
            kind.plural,
            objects,
            now=cluster.now,
            epoch=cluster.epoch,
            include_object=include,
            resource_version=resource_version,
            continue_token=continue_token,
            remaining_item_count=remaining,
            no_headers=no_headers,
        )
    rows = []
    for obj in objects:
        meta = obj.get("metadata") or {}
        created = meta.get("creationTimestamp")
        age = human_duration(cluster.now - seconds_since(cluster.epoch, created)) if created else "<unknown>"
        row_obj: Obj | None = {
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": meta,
        }
        if include == "Object":
            row_obj = obj
        elif include == "None":
            row_obj = None
        rows.append({"cells": [meta.get("name", ""), age], "object": row_obj})
    list_meta: Obj = {}
    if resource_version is not None:
        list_meta["resourceVersion"] = resource_version
    if continue_token:
        list_meta["continue"] = continue_token
    if remaining is not None:
        list_meta["remainingItemCount"] = remaining
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": None if no_headers else [dict(c) for c in _DEFAULT_COLUMNS],
        "rows": rows,
    }
