"""NodeResourcesFit: does the node have room for the pod's *requests*? And how empty is it?

Filter: the pod count must stay within `allocatable.pods` (110 by default, "Too many pods"),
and each requested resource must fit in allocatable minus what pods already there request
("Insufficient cpu", "Insufficient memory"). Limits play no part in scheduling. A failure is
Unschedulable (preempting lower-priority pods could free room).

Score by the profile's `scoringStrategy` (`resource_scoring.py`): by default LeastAllocated —
for cpu and memory (weight 1 each), `(allocatable - requested) * 100 / allocatable` including the
incoming pod, averaged, so the emptier node wins and load spreads; MostAllocated packs pods onto
the fullest node that fits; RequestedToCapacityRatio follows a configured shape. Containers
without requests count as 100m CPU / 200Mi memory when scoring (never when filtering). PreScore
computes the pod's requests for the strategy's resources once per attempt. Default weight 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..events import (
    ADD,
    DELETE,
    NODE,
    POD,
    QUEUE,
    QUEUE_SKIP,
    UPDATE_NODE_ALLOCATABLE,
    ClusterEvent,
    ClusterEventWithHint,
)
from ..framework import (
    MAX_NODE_SCORE,
    OK,
    SUCCESS,
    UNSCHEDULABLE,
    CycleState,
    FilterPlugin,
    Handle,
    NodeInfo,
    PreFilterPlugin,
    PreScorePlugin,
    ScorePlugin,
    Scores,
    Status,
    pod_requests,
)
from ..node_columns import columns, columns_for, in_range
from ..resource_scoring import ScoringStrategy, allocatable_and_requested, pod_request, strategy_from_args

Obj = dict[str, Any]
STATE_KEY = "PreFilterNodeResourcesFit"
PRESCORE_KEY = "PreScoreNodeResourcesFit"
DEFAULT_STRATEGY = ScoringStrategy()  # LeastAllocated, cpu and memory weighted 1
FILTER_COLUMNS = ("pods", "allowed_pods", "alloc_cpu", "alloc_mem", "req_cpu", "req_mem")


class NodeResourcesFit(PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin):
    name = "NodeResourcesFit"

    def __init__(self, args: dict[str, Any] | None = None, handle: Handle | None = None) -> None:
        super().__init__(args, handle)
        self.strategy = strategy_from_args(self.args)  # InvalidArgs: the plugin cannot start

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

    def filter_many(self, state: CycleState, pod: dict[str, Any], nodes: list[NodeInfo]) -> list[Status]:
        """`filter` for many nodes: a node with room for the pod's count, cpu and memory passes
        without a call (decided for the whole batch in array arithmetic); any other gets
        `filter`'s verdict (keep the two in step)."""
        req, _ = state[STATE_KEY]
        cpu, mem, flt = req.milli_cpu, req.memory, self.filter
        cols = columns(nodes, FILTER_COLUMNS, state) if in_range(cpu) and in_range(mem) else None
        if cols is None:
            return [
                OK
                if len(n.pods) < n.allowed_pods
                and (cpu <= 0 or cpu <= n.allocatable.milli_cpu - n.requested.milli_cpu)
                and (mem <= 0 or mem <= n.allocatable.memory - n.requested.memory)
                else flt(state, pod, n)
                for n in nodes
            ]
        pods, allowed, alloc_cpu, alloc_mem, req_cpu, req_mem = cols
        fits = pods < allowed
        if cpu > 0:
            fits &= cpu <= alloc_cpu - req_cpu
        if mem > 0:
            fits &= mem <= alloc_mem - req_mem
        out: list[Status] = [OK] * len(nodes)
        for i in np.flatnonzero(~fits).tolist():
            out[i] = flt(state, pod, nodes[i])
        return out

    def pre_score(self, state: CycleState, pod: dict[str, Any], nodes: list[NodeInfo]) -> Status:
        state[PRESCORE_KEY] = self._pod_requests(pod)
        return Status(SUCCESS)

    def _pod_requests(self, pod: dict[str, Any]) -> list[int]:
        return [pod_request(pod, name, non_zero=True) for name, _ in self.strategy.resources]

    def score_many(self, state: CycleState, pod: dict[str, Any], nodes: list[NodeInfo]) -> Scores:
        """`score` for many nodes; the default strategy (LeastAllocated over cpu and memory,
        weight 1 each) inline for nodes that offer both, anything else through `score`."""
        score = self.score
        if self.strategy != DEFAULT_STRATEGY:
            return [score(state, pod, n) for n in nodes]
        requests = state.get(PRESCORE_KEY)
        if requests is None:
            requests = state[PRESCORE_KEY] = self._pod_requests(pod)
        cpu, mem = requests
        cols = columns_for(state, nodes) if in_range(cpu) and in_range(mem) else None
        if cols is None:
            return [
                (
                    ((ac - rc) * MAX_NODE_SCORE // ac if rc <= ac else 0)
                    + ((am - rm) * MAX_NODE_SCORE // am if rm <= am else 0)
                )
                // 2
                if (ac := n.allocatable.milli_cpu) > 0
                and (am := n.allocatable.memory) > 0
                and (rc := n.non_zero_requested.milli_cpu + cpu) >= 0
                and (rm := n.non_zero_requested.memory + mem) >= 0
                else score(state, pod, n)
                for n in nodes
            ]
        ac, am, nc, nm = cols["alloc_cpu"], cols["alloc_mem"], cols["nz_cpu"], cols["nz_mem"]
        rc, rm = nc + cpu, nm + mem
        if ac.size and ac.min() > 0 and am.min() > 0 and rc.min() >= 0 and rm.min() >= 0:  # all inline
            # (rc <= ac: (ac - rc) * 100 // ac, else 0) — as the per-node formula, clipped at 0
            cpu_part = np.maximum(ac - rc, 0) * MAX_NODE_SCORE // ac
            mem_part = np.maximum(am - rm, 0) * MAX_NODE_SCORE // am
            return (cpu_part + mem_part) // 2
        inline = (ac > 0) & (am > 0) & (rc >= 0) & (rm >= 0)
        safe_ac, safe_am = np.where(inline, ac, 1), np.where(inline, am, 1)
        cpu_score = np.where(rc <= ac, (ac - rc) * MAX_NODE_SCORE // safe_ac, 0)
        mem_score = np.where(rm <= am, (am - rm) * MAX_NODE_SCORE // safe_am, 0)
        out = (cpu_score + mem_score) // 2
        for i in np.flatnonzero(~inline).tolist():
            out[i] = score(state, pod, nodes[i])
        return out

    def score(self, state: CycleState, pod: dict[str, Any], node: NodeInfo) -> int:
        requests = state.get(PRESCORE_KEY)
        if requests is None:
            requests = state[PRESCORE_KEY] = self._pod_requests(pod)
        allocatable, requested = [], []
        for (name, _), pod_req in zip(self.strategy.resources, requests, strict=True):
            alloc, req = allocatable_and_requested(node, name, pod_req)
            allocatable.append(alloc)
            requested.append(req)
        return self.strategy.score(requested, allocatable)

    # -- queueing hints -------------------------------------------------------------------

    def events_to_register(self) -> Sequence[ClusterEventWithHint]:
        """An assigned pod deleted; a node added or its allocatable changed. (Pod scale-down
        comes with in-place resize, alpha in v1.32 and not simulated.)"""
        return (
            ClusterEventWithHint(ClusterEvent(POD, DELETE), self.is_schedulable_after_pod_event),
            ClusterEventWithHint(
                ClusterEvent(NODE, ADD | UPDATE_NODE_ALLOCATABLE), self.is_schedulable_after_node_change
            ),
        )

    def is_schedulable_after_pod_event(self, pod: dict[str, Any], old: Obj | None, new: Obj | None) -> str:
        """Any assigned pod's deletion may free room; an unscheduled one's frees nothing."""
        if new is None:
            return QUEUE if old is not None and old["spec"].get("nodeName") else QUEUE_SKIP
        return QUEUE

    def is_schedulable_after_node_change(self, pod: dict[str, Any], old: Obj | None, new: Obj | None) -> str:
        """Queue when the pod would fit the node empty and, for an update, the node's
        allocatable grew in a resource the pod requests (or in pods)."""
        if new is None:
            return QUEUE_SKIP
        req, after = pod_requests(pod), NodeInfo(new)
        if (
            after.allowed_pods < 1
            or req.milli_cpu > after.allocatable.milli_cpu
            or req.memory > after.allocatable.memory
        ):
            return QUEUE_SKIP
        if old is None:
            return QUEUE
        before = NodeInfo(old)
        grew = (
            after.allowed_pods > before.allowed_pods
            or (req.milli_cpu and after.allocatable.milli_cpu > before.allocatable.milli_cpu)
            or (req.memory and after.allocatable.memory > before.allocatable.memory)
        )
        return QUEUE if grew else QUEUE_SKIP
