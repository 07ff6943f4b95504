"""TaintToleration: a pod may only land on nodes whose NoSchedule/NoExecute taints it tolerates.

Filter: the first taint with effect NoSchedule or NoExecute that no toleration matches fails
the node, worded `node(s) had untolerated taint {key: value}` (UnschedulableAndUnresolvable).
Score: the fewer intolerable `PreferNoSchedule` taints, the better; NormalizeScore reverses
the counts onto 0–100 so the node with none scores 100. Default weight 3.
"""

from __future__ import annotations

from typing import Any

from ...taints import taint_text, tolerated_by_any
from ..framework import (
    MAX_NODE_SCORE,
    OK,
    UNRESOLVABLE,
    CycleState,
    FilterPlugin,
    NodeInfo,
    ScorePlugin,
    Status,
)


class TaintToleration(FilterPlugin, ScorePlugin):
    name = "TaintToleration"

    def filter(self, state: CycleState, pod: dict[str, Any], node: NodeInfo) -> Status:
        if not node.taints:
            return OK
        tolerations = pod["spec"].get("tolerations") or []
        for taint in node.taints:
            if taint.get("effect") not in ("NoSchedule", "NoExecute"):
                continue
            if not tolerated_by_any(taint, tolerations):
                return Status(UNRESOLVABLE, [f"node(s) had untolerated taint {taint_text(taint)}"], self.name)
        return OK

    def score(self, state: CycleState, pod: dict[str, Any], node: NodeInfo) -> int:
        if not node.taints:
            return 0
        tolerations = [
            t
            for t in pod["spec"].get("tolerations") or ()
            if not t.get("effect") or t.get("effect") == "PreferNoSchedule"
        ]
        return sum(
            1
            for taint in node.taints
            if taint.get("effect") == "PreferNoSchedule" and not tolerated_by_any(taint, tolerations)
        )

    def normalize(self, state: CycleState, pod: dict[str, Any], scores: dict[str, int]) -> None:
        """`helper.DefaultNormalizeScore(MaxNodeScore, reverse=true, scores)`."""
        highest = max(scores.values(), default=0)
        for name, s in scores.items():
            if highest == 0:
                scores[name] = MAX_NODE_SCORE
            else:
                scores[name] = MAX_NODE_SCORE - (MAX_NODE_SCORE * s // highest)
