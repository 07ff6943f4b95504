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

from ..framework import (
    MAX_NODE_SCORE,
    SKIP,
    SUCCESS,
    CycleState,
    NodeInfo,
    PreScorePlugin,
    ScorePlugin,
    Status,
    pod_requests,
)

STATE_KEY = "PreScoreNodeResourcesBalancedAllocation"


class NodeResourcesBalancedAllocation(PreScorePlugin, ScorePlugin):
    name = "NodeResourcesBalancedAllocation"

    def pre_score(self, state: CycleState, pod: dict[str, Any], nodes: list[NodeInfo]) -> Status:
        req = pod_requests(pod)
        if req.milli_cpu == 0 and req.memory == 0:
            return Status(SKIP)
        state[STATE_KEY] = req
        return Status(SUCCESS)

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
