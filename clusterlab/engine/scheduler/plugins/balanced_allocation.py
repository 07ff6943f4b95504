"""NodeResourcesBalancedAllocation: prefer nodes whose cpu and memory use stay in proportion.

For each scored resource the fraction `requested / allocatable` (including the incoming pod,
capped at 1); the score is `(1 - standard deviation of the fractions) * 100`, which for two
resources is `(1 - |cpu - memory| / 2) * 100`. A node that would end up 80 % CPU and 20 %
memory scores lower than one at 50 %/50 %. Pods that request neither resource are skipped.
Default weight 1.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..framework import (
    MAX_NODE_SCORE,
    SKIP,
    SUCCESS,
    CycleState,
    NodeInfo,
    PreScorePlugin,
    ScorePlugin,
    Scores,
    Status,
    pod_requests,
)
from ..node_columns import columns_for, in_range

STATE_KEY = "PreScoreNodeResourcesBalancedAllocation"


class NodeResourcesBalancedAllocation(PreScorePlugin, ScorePlugin):
    name = "NodeResourcesBalancedAllocation"

    def pre_score(self, state: CycleState, pod: dict[str, Any], nodes: list[NodeInfo]) -> Status:
        req = pod_requests(pod)
        if req.milli_cpu == 0 and req.memory == 0:
            return Status(SKIP)
        state[STATE_KEY] = req
        return Status(SUCCESS)

    def score_many(self, state: CycleState, pod: dict[str, Any], nodes: list[NodeInfo]) -> Scores:
        """`score` for many nodes: the two-resource formula inline for nodes that offer both
        (`(1 - |cpu fraction - memory fraction| / 2) * 100`, each fraction capped at 1)."""
        req = state[STATE_KEY]
        cpu, mem = req.milli_cpu, req.memory
        cols = columns_for(state, nodes) if in_range(cpu) and in_range(mem) else None
        if cols is None:
            return self._score_each(state, pod, nodes, cpu, mem)
        ac, am, uc, um = cols["alloc_cpu"], cols["alloc_mem"], cols["req_cpu"], cols["req_mem"]
        # The same float64 operations, in the same order, as the per-node formula.
        everywhere = bool(ac.size) and ac.min() > 0 and am.min() > 0  # all offer both: no fallback
        inline = None if everywhere else (ac > 0) & (am > 0)
        fc = np.minimum((uc + cpu) / (ac if inline is None else np.where(inline, ac, 1)), 1.0)
        fm = np.minimum((um + mem) / (am if inline is None else np.where(inline, am, 1)), 1.0)
        out = ((1 - np.abs(fc - fm) / 2) * MAX_NODE_SCORE).astype(np.int64)
        if inline is None:
            return out
        for i in np.flatnonzero(~inline).tolist():
            out[i] = self.score(state, pod, nodes[i])
        return out

    def _score_each(
        self, state: CycleState, pod: dict[str, Any], nodes: list[NodeInfo], cpu: int, mem: int
    ) -> list[int]:
        out: list[int] = []
        add = out.append
        for n in nodes:
            alloc = n.allocatable
            ac, am = alloc.milli_cpu, alloc.memory
            if ac <= 0 or am <= 0:
                add(self.score(state, pod, n))
                continue
            used = n.requested
            fc, fm = (used.milli_cpu + cpu) / ac, (used.memory + mem) / am
            if fc > 1.0:
                fc = 1.0
            if fm > 1.0:
                fm = 1.0
            add(int((1 - abs(fc - fm) / 2) * MAX_NODE_SCORE))
        return out

    def score(self, state: CycleState, pod: dict[str, Any], node: NodeInfo) -> int:
        req = state[STATE_KEY]
        fractions = []
        for used, cap in (
            (node.requested.milli_cpu + req.milli_cpu, node.allocatable.milli_cpu),
            (node.requested.memory + req.memory, node.allocatable.memory),
        ):
            if cap <= 0:
                continue
            fractions.append(min(used / cap, 1.0))
        if not fractions:
            return 0
        if len(fractions) == 2:
            std = abs(fractions[0] - fractions[1]) / 2
        else:
            mean = sum(fractions) / len(fractions)
            std = math.sqrt(sum((f - mean) ** 2 for f in fractions) / len(fractions))
        return int((1 - std) * MAX_NODE_SCORE)
