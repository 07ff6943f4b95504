"""Which pods a ReplicaSet deletes first when it has too many: Kubernetes' `ActivePodsWithRanks`.

The ReplicaSet controller (`pkg/controller/replicaset`, `getPodsToDelete`) sorts its active pods
with `controller.ActivePodsWithRanks.Less` (`pkg/controller/controller_utils.go`) and deletes
from the front. A pod sorts earlier — is deleted sooner — when, comparing criterion by criterion
until one differs:

1. it is not assigned to a node (unassigned < assigned);
2. its phase is earlier in Pending < Unknown < Running;
3. it is not Ready (not ready < ready);
4. its `controller.kubernetes.io/pod-deletion-cost` annotation is lower (default 0);
5. more pods of the same owner run on its node (its *rank*: the active pods of every
   ReplicaSet of the same Deployment on that node — "doubled up" pods go first);
6. both Ready: it became Ready more recently, compared in log2 buckets of the time since
   (`LogarithmicScaleDown`, on by default: within one bucket the lower UID goes first);
7. its containers have restarted more (the highest restart count; then sidecars');
8. it is newer (creation time, again in log2 buckets, then UID).

Simplified: timestamps have the API's one-second precision, as in a real cluster's objects, and
"now" is the virtual clock.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from typing import Any

from ..timefmt import seconds_since
from .base import is_pod_active, is_pod_ready

Obj = dict[str, Any]
DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
PHASE_ORDINAL = {"Pending": 0, "Unknown": 1, "Running": 2}


def deletion_cost(pod: Obj) -> int:
    """`GetDeletionCostFromPodAnnotations`: the annotation as int32, 0 if absent or invalid."""
    value = ((pod["metadata"].get("annotations") or {}).get(DELETION_COST)) or ""
    try:
        cost = int(value)
    except ValueError:
        return 0
    return cost if -(2**31) <= cost < 2**31 else 0


def ready_since(pod: Obj, epoch: Any) -> float | None:
    """`podReadyTime`: when the Ready condition last became True (None if not Ready)."""
    if not is_pod_ready(pod):
        return None
    for c in pod.get("status", {}).get("conditions") or ():
        if c.get("type") == "Ready" and c.get("status") == "True" and c.get("lastTransitionTime"):
            return seconds_since(epoch, c["lastTransitionTime"])
    return None


def max_restarts(pod: Obj) -> tuple[int, int]:
    """`maxContainerRestarts`: the highest restart count of the regular containers, then of the
    sidecars (init containers with `restartPolicy: Always`)."""
    status = pod.get("status") or {}
    regular = max(
        (int(c.get("restartCount", 0) or 0) for c in status.get("containerStatuses") or ()), default=0
    )
    sidecars = {
        c["name"] for c in pod["spec"].get("initContainers") or () if c.get("restartPolicy") == "Always"
    }
    sidecar = max(
        (
            int(c.get("restartCount", 0) or 0)
            for c in status.get("initContainerStatuses") or ()
            if c.get("name") in sidecars
        ),
        default=0,
    )
    return regular, sidecar


def _log_bucket(now: float, then: float) -> int:
    """`logarithmicRankDiff`'s rank: log2 of the age in nanoseconds (-1 when not in the past)."""
    nanos = (now - then) * 1e9
    return int(math.log2(nanos)) if nanos > 0 else -1


def _time_less(t1: float | None, t2: float | None, now: float, uid1: str, uid2: str) -> bool:
    """The logarithmic comparison of criteria 6 and 8 (`afterOrZero` for a missing time)."""
    if t1 is None or t2 is None:
        return t1 is None
    diff = _log_bucket(now, t1) - _log_bucket(now, t2)
    if diff == 0:
        return uid1 < uid2
    return diff < 0


class Ranked:
    """One pod with what the comparison reads, computed once."""

    __slots__ = ("cost", "created", "node", "phase", "pod", "rank", "ready", "ready_at", "restarts", "uid")

    def __init__(self, pod: Obj, rank: int, epoch: Any) -> None:
        self.pod = pod
        self.node = pod["spec"].get("nodeName") or ""
        self.phase = PHASE_ORDINAL.get((pod.get("status") or {}).get("phase", ""), 0)
        self.ready = is_pod_ready(pod)
        self.cost = deletion_cost(pod)
        self.rank = rank
        self.ready_at = ready_since(pod, epoch)
        self.restarts = max_restarts(pod)
        created = pod["metadata"].get("creationTimestamp")
        self.created = seconds_since(epoch, created) if created else None
        self.uid = pod["metadata"].get("uid", "")


def deleted_before(a: Ranked, b: Ranked, now: float) -> tuple[bool, str] | None:
    """`ActivePodsWithRanks.Less(a, b)` with the criterion that decided; None if neither is less
    (the pods tie)."""
    if a.node != b.node and (not a.node or not b.node):
        return not a.node, "unassigned before assigned"
    if a.phase != b.phase:
        return a.phase < b.phase, "Pending < Unknown < Running"
    if a.ready != b.ready:
        return not a.ready, "not ready before ready"
    if a.cost != b.cost:
        return a.cost < b.cost, "lower pod-deletion-cost first"
    if a.rank != b.rank:
        return a.rank > b.rank, "more co-located pods first"
    if a.ready and b.ready and a.ready_at != b.ready_at:
        return _time_less(a.ready_at, b.ready_at, now, a.uid, b.uid), "ready more recently first"
    if a.restarts != b.restarts:
        return a.restarts > b.restarts, "more restarts first"
    if a.created != b.created:
        return _time_less(a.created, b.created, now, a.uid, b.uid), "newer first"
    return None


def _compare(now: float, a: Ranked, b: Ranked) -> int:
    decided = deleted_before(a, b, now)
    if decided is None:
        return 0
    return -1 if decided[0] else 1


def pods_to_delete(pods: list[Obj], related: list[Obj], diff: int, now: float, epoch: Any) -> list[Ranked]:
    """`getPodsToDelete`: the first `diff` pods of `pods` in deletion order. `related` are the
    pods of every ReplicaSet with the same owner; a pod's rank is how many active ones of them
    share its node (`getPodsRankedByRelatedPodsOnSameNode`). Deleting all: no sorting."""
    on_node = Counter(p["spec"].get("nodeName") or "" for p in related if is_pod_active(p))
    ranked = [Ranked(p, on_node[p["spec"].get("nodeName") or ""], epoch) for p in pods]
    if diff < len(ranked):
        ranked.sort(key=functools.cmp_to_key(functools.partial(_compare, now)))
    return ranked[:diff]


def why_first(r: Ranked, now: float) -> str:
    """A short description of the facts the ranking read, for the decision log."""
    facts = [r.pod["metadata"]["name"]]
    if not r.node:
        facts.append("unassigned")
    facts.append({0: "Pending", 1: "Unknown", 2: "Running"}[r.phase])
    if not r.ready:
        facts.append("not ready")
    elif r.ready_at is not None:
        facts.append(f"ready {max(now - r.ready_at, 0):.0f}s")
    if r.cost:
        facts.append(f"deletion cost {r.cost}")
    if r.node:
        facts.append(f"{r.rank} on {r.node}")
    if r.restarts[0]:
        facts.append(f"{r.restarts[0]} restarts")
    return " ".join(facts[:1]) + " (" + ", ".join(facts[1:]) + ")"
