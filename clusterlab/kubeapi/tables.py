"""Tables for `kubectl get`, at the lab's virtual now: the engine's table convertor
(`engine/tables.py`: kubectl's columns per kind, NAME and AGE for kinds without a printer)."""

from __future__ import annotations

from typing import Any

from clusterlab.engine import Cluster
from clusterlab.engine import tables as engine_tables
from clusterlab.engine.kinds import Kind

Obj = dict[str, Any]


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
    return engine_tables.to_table(
        kind.plural,
        objects,
        now=cluster.now,
        epoch=cluster.epoch,
        include_object=include_object or "Metadata",
        resource_version=resource_version,
        continue_token=continue_token,
        remaining_item_count=remaining,
        no_headers=no_headers,
    )
