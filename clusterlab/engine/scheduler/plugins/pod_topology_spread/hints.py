"""PodTopologySpread's QueueingHints: which cluster events could let a pod it rejected fit.

As kube-scheduler v1.32's `isSchedulableAfterPodChange` / `isSchedulableAfterNodeChange`, for
the pod's hard (DoNotSchedule) constraints:

- an assigned pod in the pod's namespace added or deleted whose labels match any constraint's
  selector; an assigned pod whose labels changed so that some selector's verdict flips; the
  rejected pod itself getting new tolerations while a constraint honours taints;
- a node added or deleted that carries every topology key; a node updated that starts or stops
  carrying them, or keeps them but changes a topology value or its taints.
"""

from __future__ import annotations

from typing import Any

from ...events import QUEUE, QUEUE_SKIP
from .common import HONOR, SpreadConstraint, node_has_all_keys

Obj = dict[str, Any]


def _same_pod(a: Obj, b: Obj) -> bool:
    ma, mb = a["metadata"], b["metadata"]
    if ma.get("uid") and mb.get("uid"):
        return bool(ma["uid"] == mb["uid"])
    return (ma.get("namespace"), ma.get("name")) == (mb.get("namespace"), mb.get("name"))


def _involved(changed: Obj, pod: Obj) -> bool:
    """`involvedInTopologySpreading`: the waiting pod itself, or an assigned pod beside it."""
    return _same_pod(changed, pod) or (
        bool(changed["spec"].get("nodeName"))
        and changed["metadata"].get("namespace") == pod["metadata"].get("namespace")
    )


def _matches_any(constraints: list[SpreadConstraint], labels: dict[str, str]) -> bool:
    return any(c.selector.matches(labels) for c in constraints)


def after_pod_change(constraints: list[SpreadConstraint], pod: Obj, old: Obj | None, new: Obj | None) -> str:
    if (new is not None and not _involved(new, pod)) or (old is not None and not _involved(old, pod)):
        return QUEUE_SKIP
    if new is not None and old is not None:
        if (
            _same_pod(new, pod)
            and (new["spec"].get("tolerations") or []) != (old["spec"].get("tolerations") or [])
            and any(c.node_taints_policy == HONOR for c in constraints)
        ):
            return QUEUE
        new_labels, old_labels = new["metadata"].get("labels") or {}, old["metadata"].get("labels") or {}
        if new_labels == old_labels:
            return QUEUE_SKIP
        flips = any(c.selector.matches(old_labels) != c.selector.matches(new_labels) for c in constraints)
        return QUEUE if flips else QUEUE_SKIP
    changed = new if new is not None else old
    assert changed is not None
    return QUEUE if _matches_any(constraints, changed["metadata"].get("labels") or {}) else QUEUE_SKIP


def after_node_change(constraints: list[SpreadConstraint], old: Obj | None, new: Obj | None) -> str:
    old_labels = (old["metadata"].get("labels") or {}) if old is not None else {}
    new_labels = (new["metadata"].get("labels") or {}) if new is not None else {}
    old_matching = old is not None and node_has_all_keys(old_labels, constraints)
    new_matching = new is not None and node_has_all_keys(new_labels, constraints)
    if old is not None and new is not None:
        if old_matching != new_matching:
            return QUEUE
        keys_changed = any(
            old_labels.get(c.topology_key) != new_labels.get(c.topology_key) for c in constraints
        )
        taints_changed = (old.get("spec") or {}).get("taints") != (new.get("spec") or {}).get("taints")
        return QUEUE if new_matching and (keys_changed or taints_changed) else QUEUE_SKIP
    if new is not None:
        return QUEUE if new_matching else QUEUE_SKIP
    return QUEUE if old_matching else QUEUE_SKIP
