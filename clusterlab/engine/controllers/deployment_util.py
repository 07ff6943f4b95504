"""What the Deployment controller's parts share about a Deployment's ReplicaSets.

As `pkg/controller/deployment/util/deployment_util.go` and `pkg/controller/controller_utils.go`:
the annotations the controller writes on ReplicaSets (`revision`, `revision-history`,
`desired-replicas`, `max-replicas`) and those never copied to them (`annotationsToSkip`); a
template compared without its `pod-template-hash` label (`EqualIgnoreHash`); a ReplicaSet's
revision, available and actual replicas; `FilterActiveReplicaSets`, `FindActiveOrLatest` and
the orders `ReplicaSetsByCreationTimestamp`, `ReplicaSetsBySizeNewer` / `ReplicaSetsBySizeOlder`.

Simplified: none of note (ties in creation time, which the API's one-second timestamps make
common, are broken by name).
"""

from __future__ import annotations

import functools
from typing import Any

from ..jsonutil import copy_json
from .rollout_math import annotation_int, replicas_of

Obj = dict[str, Any]
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
HASH_LABEL = "pod-template-hash"
# `annotationsToSkip`: never copied from the Deployment to its ReplicaSets (nor back on rollback).
SKIPPED_ANNOTATIONS = frozenset(
    {
        "kubectl.kubernetes.io/last-applied-configuration",
        REVISION,
        REVISION_HISTORY,
        DESIRED,
        MAX_REPLICAS,
        "deprecated.deployment.rollback.to",
    }
)
MAX_REVISION_HISTORY_CHARS = 2000  # `maxRevHistoryLengthInChars`


def template_without_hash(template: Obj) -> Obj:
    t = copy_json(template)
    labels = (t.get("metadata") or {}).get("labels")
    if labels:
        labels.pop(HASH_LABEL, None)
    return t


def available_replicas(rs: Obj | None) -> int:
    return int(((rs or {}).get("status") or {}).get("availableReplicas", 0) or 0)


def actual_replicas(rs: Obj | None) -> int:
    return int(((rs or {}).get("status") or {}).get("replicas", 0) or 0)


def revision_of(rs: Obj) -> int:
    return annotation_int(rs, REVISION) or 0


def by_creation(rs: Obj) -> tuple[str, str]:
    """`ReplicaSetsByCreationTimestamp` (ties by name)."""
    return rs["metadata"].get("creationTimestamp", ""), rs["metadata"]["name"]


def filter_active(rss: list[Obj]) -> list[Obj]:
    """`FilterActiveReplicaSets`: replicas > 0."""
    return [r for r in rss if replicas_of(r) > 0]


def find_active_or_latest(new_rs: Obj | None, old: list[Obj]) -> Obj | None:
    """`FindActiveOrLatest`: the only active ReplicaSet, or the newest when none is active;
    None when several are active (they are then scaled in proportion)."""
    if new_rs is None and not old:
        return None
    newest_first = sorted(old, key=by_creation, reverse=True)
    active = filter_active([*newest_first, *([new_rs] if new_rs else [])])
    if not active:
        return new_rs if new_rs is not None else newest_first[0]
    return active[0] if len(active) == 1 else None


def size_order(rss: list[Obj], newer_first: bool) -> list[Obj]:
    """`ReplicaSetsBySizeNewer` / `ReplicaSetsBySizeOlder`: larger first, ties by age."""

    def cmp(a: Obj, b: Obj) -> int:
        if replicas_of(a) != replicas_of(b):
            return -1 if replicas_of(a) > replicas_of(b) else 1
        ka, kb = by_creation(a), by_creation(b)
        if ka == kb:
            return 0
        older = -1 if ka < kb else 1
        return -older if newer_first else older

    return sorted(rss, key=functools.cmp_to_key(cmp))
