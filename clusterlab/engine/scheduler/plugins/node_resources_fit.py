"""NodeResourcesFit: does the node have room for the pod's *requests*? And how empty is it?

Filter: the pod count must stay within `allocatable.pods` (110 by default, "Too many pods"),
and each requested resource must fit in allocatable minus what pods already there request
("Insufficient cpu", "Insufficient memory"). Limits play no part in scheduling. A failure is
Unschedulable (preempting lower-priority pods could free room).

Score with the default LeastAllocated strategy: for cpu and memory (weight 1 each),
`(allocatable - requested) * 100 / allocatable` including the incoming pod, averaged — the
emptier node wins, spreading load. Containers without requests count as 100m CPU / 200Mi
memory when scoring (never when filtering). Default weight 1.
"""

from __future__ import annotations

from typing import Any

from ..framework import (
    MAX_NODE_SCORE,
    OK,
    SUCCESS,
    UNSCHEDULABLE,
    CycleState,
    FilterPlugin,
    NodeInfo,
    PreFilterPlugin,
    ScorePlugin,
    Status,
    pod_requests,
)

STATE_KEY = "PreFilterNodeResourcesFit"


def least_requested(requested: int, capacity: int) -> int:
    if capacity == 0 or requested > capacity:
        return 0
    return (capacity - requested) * MAX_NODE_SCORE // capacity


class NodeResourcesFit(PreFilterPlugin, FilterPlugin, ScorePlugin):
    name = "NodeResourcesFit"

    def pre_filter(self, state: CycleState, pod: dict[str, Any], nodes: list[NodeInfo]) -> Status:
        state[STATE_KEY] = (pod_requests(pod), pod_requests(pod, non_zero=True))
        return Status(SUCCESS)

    def filter(self, state: CycleState, pod: dict[str, Any], node: NodeInfo) -> Status:
        req, _ = state[STATE_KEY]
        reasons = []
        if len(node.pods) + 1 > node.allowed_pods:
            reasons.append("Too many pods")
        if req.milli_cpu > 0 and req.milli_cpu > node.allocatable.milli_cpu - node.requested.milli_cpu:
            reasons.append("Insufficient cpu")
        if req.memory > 0 and req.memory > node.allocatable.memory - node.requested.memory:
            reasons.append("Insufficient memory")
        if reasons:
            return Status(UNSCHEDULABLE, reasons, self.name)
        return OK

    def score(self, state: CycleState, pod: dict[str, Any], node: NodeInfo) -> int:
        _, nz = state[STATE_KEY]
        cpu = least_requested(node.non_zero_requested.milli_cpu + nz.milli_cpu, node.allocatable.milli_cpu)
        mem = least_requested(node.non_zero_requested.memory + nz.memory, node.allocatable.memory)
        return (cpu + mem) // 2
