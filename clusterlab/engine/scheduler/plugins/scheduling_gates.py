"""SchedulingGates (PreEnqueue): a pod with `spec.schedulingGates` is not scheduled at all.

A gate is a name some other controller (a batch queue such as Kueue, a quota system) puts on
a pod at creation and removes once it decides the pod may run; the API server allows gates
only to be removed after creation. While any gate remains this plugin keeps the pod out of
the active queue — it waits, gated, in the unschedulable pool, is never attempted, so it gets
no FailedScheduling event — and the API server's `PodScheduled=False` condition with reason
`SchedulingGated` ("Scheduling is blocked due to non-empty scheduling gates") is what
`kubectl get pods` shows as its STATUS. Removing the last gate is the one event that lets the
pod in (`UpdatePodSchedulingGatesEliminated` on that very pod); the pod then enters the
active queue without backoff, having never been tried.

The status message is kube-scheduler's: `waiting for scheduling gates: [a b]` (Go's `%v` of
the gate names), UnschedulableAndUnresolvable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..events import (
    POD,
    QUEUE,
    QUEUE_SKIP,
    UPDATE_POD_SCHEDULING_GATES_ELIMINATED,
    ClusterEvent,
    ClusterEventWithHint,
)
from ..framework import OK, UNRESOLVABLE, PreEnqueuePlugin, Status

Obj = dict[str, Any]


class SchedulingGates(PreEnqueuePlugin):
    name = "SchedulingGates"

    def pre_enqueue(self, pod: Obj) -> Status:
        gates = pod["spec"].get("schedulingGates") or []
        if not gates:
            return OK
        names = " ".join(g.get("name", "") for g in gates)
        return Status(UNRESOLVABLE, [f"waiting for scheduling gates: [{names}]"], self.name)

    def events_to_register(self) -> Sequence[ClusterEventWithHint]:
        return (
            ClusterEventWithHint(
                ClusterEvent(POD, UPDATE_POD_SCHEDULING_GATES_ELIMINATED),
                self.is_schedulable_after_gates_removed,
            ),
        )

    def is_schedulable_after_gates_removed(self, pod: Obj, old: Obj | None, new: Obj | None) -> str:
        """Only the gated pod's own update can ungate it."""
        if new is None or new["metadata"].get("uid") != pod["metadata"].get("uid"):
            return QUEUE_SKIP
        return QUEUE
