"""A Deployment's status and conditions, as `pkg/controller/deployment` computes them.

- `calculate_status` (sync.go `calculateStatus`): replicas/updated/ready/available summed from the
  ReplicaSets' status, `unavailableReplicas` = the ReplicaSets' desired replicas − available,
  and the `Available` condition: True (`MinimumReplicasAvailable`, "Deployment has minimum
  availability.") while available ≥ replicas − maxUnavailable.
- `Progressing` (progress.go `syncRolloutStatus`), kept only while `progressDeadlineSeconds` is
  set: `NewReplicaSetAvailable` once complete; `ReplicaSetUpdated` ("ReplicaSet \"x\" is
  progressing.") with a fresh `lastUpdateTime` whenever updated replicas grow, old replicas
  shrink, or more become ready or available; `ProgressDeadlineExceeded` (status False,
  "ReplicaSet \"x\" has timed out progressing.") once `lastUpdateTime + progressDeadlineSeconds`
  has passed without progress.
- `set_condition` is `SetDeploymentCondition`: a condition with the same status and reason is
  left untouched; otherwise it replaces the old one *at the end of the list* (which is why
  `kubectl describe` usually lists Available before Progressing), keeping lastTransitionTime
  when only the reason changes.

Simplified: none of note; timestamps have the API's one-second precision, as real ones do.
"""

from __future__ import annotations

from typing import Any

from ..timefmt import seconds_since
from .rollout_math import fenceposts, replicas_of

Obj = dict[str, Any]
MAX_INT32 = 2**31 - 1

# Condition reasons (`deployment/util/deployment_util.go`).
REPLICA_SET_UPDATED = "ReplicaSetUpdated"
FAILED_RS_CREATE = "ReplicaSetCreateError"
NEW_RS_CREATED = "NewReplicaSetCreated"
FOUND_NEW_RS = "FoundNewReplicaSet"
NEW_RS_AVAILABLE = "NewReplicaSetAvailable"
TIMED_OUT = "ProgressDeadlineExceeded"
PAUSED = "DeploymentPaused"
RESUMED = "DeploymentResumed"
MINIMUM_AVAILABLE = "MinimumReplicasAvailable"
MINIMUM_UNAVAILABLE = "MinimumReplicasUnavailable"


def has_progress_deadline(d: Obj) -> bool:
    value = d["spec"].get("progressDeadlineSeconds")
    return value is not None and int(value) != MAX_INT32


def has_revision_history_limit(d: Obj) -> bool:
    value = d["spec"].get("revisionHistoryLimit")
    return value is not None and int(value) != MAX_INT32


def new_condition(ctype: str, status: str, reason: str, message: str, now: str) -> Obj:
    return {
        "type": ctype,
        "status": status,
        "lastUpdateTime": now,
        "lastTransitionTime": now,
        "reason": reason,
        "message": message,
    }


def get_condition(status: Obj, ctype: str) -> Obj | None:
    for c in status.get("conditions") or ():
        if c.get("type") == ctype:
            return c
    return None


def remove_condition(status: Obj, ctype: str) -> None:
    kept = [c for c in status.get("conditions") or () if c.get("type") != ctype]
    if kept:
        status["conditions"] = kept
    else:
        status.pop("conditions", None)


def set_condition(status: Obj, cond: Obj) -> None:
    """`SetDeploymentCondition`."""
    current = get_condition(status, cond["type"])
    if (
        current is not None
        and current["status"] == cond["status"]
        and current.get("reason") == cond["reason"]
    ):
        return
    if current is not None and current["status"] == cond["status"]:
        cond = {**cond, "lastTransitionTime": current["lastTransitionTime"]}
    remove_condition(status, cond["type"])
    status["conditions"] = [*(status.get("conditions") or ()), cond]


def _sum(rss: list[Obj | None], field: str) -> int:
    return sum(int(((r or {}).get("status") or {}).get(field, 0) or 0) for r in rss if r)


def calculate_status(all_rss: list[Obj | None], new_rs: Obj | None, d: Obj, now: str) -> Obj:
    """`calculateStatus`, with Kubernetes' omitempty: zero counters are left out."""
    available = _sum(all_rss, "availableReplicas")
    total = sum(replicas_of(r) for r in all_rss if r)
    status: Obj = {
        "observedGeneration": d["metadata"].get("generation", 1),
        "replicas": _sum(all_rss, "replicas"),
        "updatedReplicas": _sum([new_rs], "replicas"),
        "readyReplicas": _sum(all_rss, "readyReplicas"),
        "availableReplicas": available,
        "unavailableReplicas": max(total - available, 0),
    }
    status = {k: v for k, v in status.items() if v}
    old = d.get("status") or {}
    if old.get("conditions"):
        status["conditions"] = [dict(c) for c in old["conditions"]]
    _, max_unavailable = fenceposts(d)
    if available >= int(d["spec"].get("replicas", 1)) - max_unavailable:
        cond = new_condition(
            "Available", "True", MINIMUM_AVAILABLE, "Deployment has minimum availability.", now
        )
    else:
        cond = new_condition(
            "Available", "False", MINIMUM_UNAVAILABLE, "Deployment does not have minimum availability.", now
        )
    set_condition(status, cond)
    if old.get("collisionCount"):
        status["collisionCount"] = old["collisionCount"]
    return _ordered(status)


def _ordered(status: Obj) -> Obj:
    """The field order of `DeploymentStatus` (so equal statuses compare and print alike)."""
    order = (
        "observedGeneration",
        "replicas",
        "updatedReplicas",
        "readyReplicas",
        "availableReplicas",
        "unavailableReplicas",
        "conditions",
        "collisionCount",
    )
    return {k: status[k] for k in order if k in status}


def _n(status: Obj, field: str) -> int:
    return int(status.get(field, 0) or 0)


def deployment_complete(d: Obj, status: Obj) -> bool:
    """`DeploymentComplete`: every replica updated and available, no old ones, generation seen."""
    want = int(d["spec"].get("replicas", 1))
    return (
        _n(status, "updatedReplicas") == want
        and _n(status, "replicas") == want
        and _n(status, "availableReplicas") == want
        and _n(status, "observedGeneration") >= int(d["metadata"].get("generation", 1))
    )


def deployment_progressing(d: Obj, new: Obj) -> bool:
    """`DeploymentProgressing`: more updated, fewer old, more ready or more available replicas."""
    old = d.get("status") or {}
    old_old = _n(old, "replicas") - _n(old, "updatedReplicas")
    new_old = _n(new, "replicas") - _n(new, "updatedReplicas")
    return (
        _n(new, "updatedReplicas") > _n(old, "updatedReplicas")
        or new_old < old_old
        or _n(new, "readyReplicas") > _n(old, "readyReplicas")
        or _n(new, "availableReplicas") > _n(old, "availableReplicas")
    )


def deployment_timed_out(d: Obj, new: Obj, now: float, epoch: Any) -> bool:
    """`DeploymentTimedOut`: no progress since the Progressing condition's lastUpdateTime plus
    progressDeadlineSeconds (strictly before now); never after a completed rollout."""
    if not has_progress_deadline(d):
        return False
    cond = get_condition(new, "Progressing")
    if cond is None or cond.get("reason") == NEW_RS_AVAILABLE:
        return False
    if cond.get("reason") == TIMED_OUT:
        return True
    return seconds_since(epoch, cond["lastUpdateTime"]) + int(d["spec"]["progressDeadlineSeconds"]) < now


def replica_failure(all_rss: list[Obj | None], new_rs: Obj | None) -> Obj | None:
    """`getReplicaFailures` + `ReplicaSetToDeploymentCondition`: the new ReplicaSet's
    ReplicaFailure first, else any other's; both times are the ReplicaSet's transition time."""
    for rs in [new_rs, *[r for r in all_rss if r is not new_rs]]:
        for c in ((rs or {}).get("status") or {}).get("conditions") or ():
            if c.get("type") == "ReplicaFailure":
                return {
                    "type": "ReplicaFailure",
                    "status": c.get("status"),
                    "lastUpdateTime": c.get("lastTransitionTime"),
                    "lastTransitionTime": c.get("lastTransitionTime"),
                    "reason": c.get("reason"),
                    "message": c.get("message"),
                }
    return None


def rollout_status(
    all_rss: list[Obj | None], new_rs: Obj | None, d: Obj, now: float, epoch: Any, stamp: str
) -> Obj:
    """The status `syncRolloutStatus` writes (before its requeue decision)."""
    new = calculate_status(all_rss, new_rs, d, stamp)
    if not has_progress_deadline(d):
        remove_condition(new, "Progressing")
    current = get_condition(d.get("status") or {}, "Progressing")
    complete_before = (
        _n(new, "replicas") == _n(new, "updatedReplicas")
        and current is not None
        and current.get("reason") == NEW_RS_AVAILABLE
    )
    name = f'ReplicaSet "{new_rs["metadata"]["name"]}"' if new_rs else f'Deployment "{d["metadata"]["name"]}"'
    if has_progress_deadline(d) and not complete_before:
        if deployment_complete(d, new):
            msg = f"{name} has successfully progressed."
            set_condition(new, new_condition("Progressing", "True", NEW_RS_AVAILABLE, msg, stamp))
        elif deployment_progressing(d, new):
            cond = new_condition("Progressing", "True", REPLICA_SET_UPDATED, f"{name} is progressing.", stamp)
            if current is not None:
                if current["status"] == "True":
                    cond["lastTransitionTime"] = current["lastTransitionTime"]
                remove_condition(new, "Progressing")
            set_condition(new, cond)
        elif deployment_timed_out(d, new, now, epoch):
            msg = f"{name} has timed out progressing."
            set_condition(new, new_condition("Progressing", "False", TIMED_OUT, msg, stamp))
    failure = replica_failure(all_rss, new_rs)
    if failure is not None:
        set_condition(new, failure)
    else:
        remove_condition(new, "ReplicaFailure")
    return _ordered(new)
