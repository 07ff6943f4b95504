"""Pods waiting to be scheduled, grouped by why they wait.

`kubectl get pods` says `Pending` for a pod that waits for a node and for one that has a node
but whose containers have not started; only the first waits for the scheduler. Among those,
Kubernetes distinguishes (in the pod's `PodScheduled` condition and the scheduler's queue):

- `SchedulingGated`: the pod has `spec.schedulingGates`; the API server sets the condition
  "Scheduling is blocked due to non-empty scheduling gates" and the scheduler's SchedulingGates
  PreEnqueue plugin keeps it out of the active queue until every gate is removed;
- no scheduler: no running scheduler answers to the pod's `schedulerName` (none leads, or the
  pod names a scheduler that does not exist), so nothing ever tries;
- `Unschedulable`: the scheduler tried and no node fit; the condition's message is the
  FitError (`0/4 nodes are available: ...`);
- queued: the scheduler has it but has not tried yet (or is backing off after a failed bind).

Pods that are bound (`spec.nodeName` set), finished, or being deleted are not in any group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

Obj = dict[str, Any]

SCHEDULING_GATED = "SchedulingGated"
UNSCHEDULABLE = "Unschedulable"
NO_SCHEDULER = "NoScheduler"
QUEUED = "Queued"
GATED_MESSAGE = "Scheduling is blocked due to non-empty scheduling gates"
QUEUED_MESSAGE = "In the scheduler's queue: not tried yet, or retried after a backoff."
DEFAULT_SCHEDULER = "default-scheduler"


class _Cluster(Protocol):
    """What this module reads of a Cluster (kept structural: the facade imports the scheduler)."""

    def observe(self, kind: str, namespace: str | None = None) -> list[Obj]: ...

    @property
    def scheduler(self) -> Any: ...


@dataclass
class PendingGroup:
    """Pods that wait for the same reason: the condition's reason word and its message."""

    reason: str
    message: str
    pods: list[Obj] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.pods)


def _condition(pod: Obj) -> Obj | None:
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == "PodScheduled":
            return c
    return None


def waits_for_scheduler(pod: Obj) -> bool:
    """Unbound, not finished, not being deleted."""
    return (
        not (pod.get("spec") or {}).get("nodeName")
        and (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
        and not pod["metadata"].get("deletionTimestamp")
    )


def pending_reason(pod: Obj, scheduler_names: set[str], scheduler_leads: bool) -> tuple[str, str]:
    """(reason, message) for one pod that waits for the scheduler."""
    spec = pod.get("spec") or {}
    if spec.get("schedulingGates"):
        gates = ", ".join(g.get("name", "") for g in spec["schedulingGates"])
        return SCHEDULING_GATED, f"{GATED_MESSAGE} ({gates})"
    name = spec.get("schedulerName") or DEFAULT_SCHEDULER
    if name not in scheduler_names:
        if name == DEFAULT_SCHEDULER and not scheduler_leads:
            return (
                NO_SCHEDULER,
                "No kube-scheduler leads: nothing schedules the pod until one runs and leads.",
            )
        return NO_SCHEDULER, f"No scheduler named {name} is running: nothing will schedule the pod."
    cond = _condition(pod)
    if cond is not None and cond.get("status") == "False" and cond.get("reason") == UNSCHEDULABLE:
        return UNSCHEDULABLE, str(cond.get("message") or "")
    return QUEUED, QUEUED_MESSAGE


def scheduler_names(scheduler: Any) -> set[str]:
    """The schedulerNames the leading kube-scheduler answers to: one per profile."""
    if scheduler is None:
        return set()
    frameworks = getattr(scheduler, "frameworks", None)  # one framework per profile
    return set(frameworks) if frameworks else {scheduler.profile.scheduler_name}


def _order(pod: Obj) -> tuple[str, str, str]:
    meta = pod["metadata"]
    return (meta.get("creationTimestamp") or "", meta.get("namespace") or "", meta.get("name") or "")


def pending_by_reason(cluster: _Cluster) -> list[PendingGroup]:
    """Every pod that waits for the scheduler, grouped by (reason, message), oldest pod's group
    first and each group's pods oldest first."""
    scheduler = cluster.scheduler
    names = scheduler_names(scheduler)
    groups: dict[tuple[str, str], PendingGroup] = {}
    for pod in sorted((p for p in cluster.observe("pods") if waits_for_scheduler(p)), key=_order):
        reason, message = pending_reason(pod, names, scheduler is not None)
        group = groups.get((reason, message))
        if group is None:
            group = groups[(reason, message)] = PendingGroup(reason, message)
        group.pods.append(pod)
    return list(groups.values())
