"""TaintToleration: a pod may only land on nodes whose NoSchedule/NoExecute taints it tolerates.

Filter: the first taint with effect NoSchedule or NoExecute that no toleration matches fails
the node, worded `node(s) had untolerated taint {key: value}` (UnschedulableAndUnresolvable).
Score: the fewer intolerable `PreferNoSchedule` taints, the better; NormalizeScore reverses
the counts onto 0–100 so the node with none scores 100. Default weight 3.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ...taints import taint_text, tolerated_by_any
from ..events import (
    ADD,
    NODE,
    POD,
    QUEUE,
    QUEUE_SKIP,
    UPDATE_NODE_TAINT,
    UPDATE_POD_TOLERATIONS,
    ClusterEvent,
    ClusterEventWithHint,
)
from ..framework import (
    MAX_NODE_SCORE,
    OK,
    UNRESOLVABLE,
    CycleState,
    FilterPlugin,
    NodeInfo,
    ScorePlugin,
    Scores,
    Status,
)
from ..node_columns import flagged, per_flagged_node

Obj = dict[str, Any]


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

    def filter_many(self, state: CycleState, pod: dict[str, Any], nodes: list[NodeInfo]) -> list[Status]:
        """`filter` called only for the tainted nodes (the cache's flag column says which)."""
        return per_flagged_node(state, nodes, "tainted", lambda node: self.filter(state, pod, node), OK)

    def score_many(self, state: CycleState, pod: dict[str, Any], nodes: list[NodeInfo]) -> Scores:
        """`score` called only for the tainted nodes; every other node scores 0."""
        score = self.score
        tainted = flagged(state, nodes, "tainted")
        if tainted is None:
            return [score(state, pod, node) if node.taints else 0 for node in nodes]
        out = np.zeros(len(nodes), dtype=np.int64)
        for i in tainted:
            out[i] = score(state, pod, nodes[i])
        return out

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

    def normalize_many(
        self, state: CycleState, pod: dict[str, Any], names: tuple[str, ...], scores: Scores
    ) -> Scores:
        if isinstance(scores, np.ndarray):  # counts of taints: small, exact in int64
            highest = int(scores.max()) if len(scores) else 0
            if highest == 0:
                return np.full(len(scores), MAX_NODE_SCORE, dtype=np.int64)
            return MAX_NODE_SCORE - (MAX_NODE_SCORE * scores // highest)
        highest = max(scores, default=0)
        if highest == 0:
            return [MAX_NODE_SCORE] * len(scores)
        return [MAX_NODE_SCORE - (MAX_NODE_SCORE * s // highest) for s in scores]

    # -- queueing hints -------------------------------------------------------------------

    def events_to_register(self) -> Sequence[ClusterEventWithHint]:
        """A node added or its taints changed; the waiting pod given a toleration."""
        return (
            ClusterEventWithHint(
                ClusterEvent(NODE, ADD | UPDATE_NODE_TAINT), self.is_schedulable_after_node_change
            ),
            ClusterEventWithHint(
                ClusterEvent(POD, UPDATE_POD_TOLERATIONS), self.is_schedulable_after_toleration
            ),
        )

    def is_schedulable_after_node_change(self, pod: dict[str, Any], old: Obj | None, new: Obj | None) -> str:
        """Queue when the node went from having a NoSchedule/NoExecute taint the pod does not
        tolerate (or not existing) to having none."""
        if new is None:
            return QUEUE_SKIP
        tolerations = pod["spec"].get("tolerations") or []
        was_untolerated = old is None or _untolerated(old, tolerations)
        return QUEUE if was_untolerated and not _untolerated(new, tolerations) else QUEUE_SKIP

    def is_schedulable_after_toleration(self, pod: dict[str, Any], old: Obj | None, new: Obj | None) -> str:
        """Only the waiting pod's own new toleration can help it."""
        same = new is not None and new["metadata"].get("uid") == pod["metadata"].get("uid")
        return QUEUE if same else QUEUE_SKIP


def _untolerated(node: Obj, tolerations: list[Obj]) -> bool:
    """`FindMatchingUntoleratedTaint` over the node's NoSchedule and NoExecute taints."""
    return any(
        t.get("effect") in ("NoSchedule", "NoExecute") and not tolerated_by_any(t, tolerations)
        for t in (node.get("spec") or {}).get("taints") or ()
    )
