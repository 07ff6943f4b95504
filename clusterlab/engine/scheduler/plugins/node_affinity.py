"""NodeAffinity: `nodeSelector` and node affinity, as kube-scheduler's plugin applies them.

Filter: the node's labels must match every `nodeSelector` pair and, when
`requiredDuringSchedulingIgnoredDuringExecution` is set, at least one of its
`nodeSelectorTerms` (the terms are ORed; within a term `matchExpressions` and `matchFields` are
ANDed; an empty term matches nothing). Operators In, NotIn, Exists, DoesNotExist, Gt, Lt (Gt/Lt
compare integers; a missing or non-integer label does not match); `matchFields` knows only
`metadata.name`. Failure: `node(s) didn't match Pod's node affinity/selector`,
UnschedulableAndUnresolvable.

Score: the sum of the weights of the `preferredDuringSchedulingIgnoredDuringExecution` terms the
node matches; NormalizeScore scales them onto 0–100 (`DefaultNormalizeScore`, not reversed).
Default weight 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..events import ADD, NODE, QUEUE, QUEUE_SKIP, UPDATE_NODE_LABEL, ClusterEvent, ClusterEventWithHint
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

Obj = dict[str, Any]
REASON = "node(s) didn't match Pod's node affinity/selector"


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def requirement_matches(req: Obj, values_of: dict[str, str]) -> bool:
    """One `NodeSelectorRequirement` against a node's labels (or fields)."""
    key, op, values = req.get("key", ""), req.get("operator", ""), req.get("values") or []
    present = key in values_of
    value = values_of.get(key)
    if op == "In":
        return present and value in values
    if op == "NotIn":
        return not present or value not in values
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return not present
    if op in ("Gt", "Lt"):
        have, bound = _int(value), _int(values[0] if len(values) == 1 else None)
        if have is None or bound is None:
            return False
        return have > bound if op == "Gt" else have < bound
    return False


def term_matches(term: Obj, node: Obj) -> bool:
    """A `NodeSelectorTerm`: all its expressions and fields hold; an empty term matches nothing."""
    exprs, fields = term.get("matchExpressions") or [], term.get("matchFields") or []
    if not exprs and not fields:
        return False
    labels = node["metadata"].get("labels") or {}
    node_fields = {"metadata.name": node["metadata"]["name"]}
    return all(requirement_matches(r, labels) for r in exprs) and all(
        requirement_matches(r, node_fields) for r in fields
    )


def _affinity(pod: Obj) -> Obj:
    return ((pod["spec"].get("affinity") or {}).get("nodeAffinity")) or {}


class NodeAffinity(FilterPlugin, ScorePlugin):
    name = "NodeAffinity"

    def filter(self, state: CycleState, pod: Obj, node: NodeInfo) -> Status:
        labels = node.node["metadata"].get("labels") or {}
        for key, value in (pod["spec"].get("nodeSelector") or {}).items():
            if labels.get(key) != value:
                return Status(UNRESOLVABLE, [REASON], self.name)
        required = _affinity(pod).get("requiredDuringSchedulingIgnoredDuringExecution")
        if required is not None and not any(
            term_matches(t, node.node) for t in required.get("nodeSelectorTerms") or []
        ):
            return Status(UNRESOLVABLE, [REASON], self.name)
        return OK

    def filter_many(self, state: CycleState, pod: Obj, nodes: list[NodeInfo]) -> list[Status]:
        if not pod["spec"].get("nodeSelector") and "requiredDuringSchedulingIgnoredDuringExecution" not in (
            _affinity(pod)
        ):
            return [OK] * len(nodes)  # nothing to match: every node passes
        flt = self.filter
        return [flt(state, pod, node) for node in nodes]

    def score_many(self, state: CycleState, pod: Obj, nodes: list[NodeInfo]) -> Scores:
        if not _affinity(pod).get("preferredDuringSchedulingIgnoredDuringExecution"):
            return np.zeros(len(nodes), dtype=np.int64)  # no preferred terms: every node scores 0
        score = self.score
        return [score(state, pod, node) for node in nodes]

    def score(self, state: CycleState, pod: Obj, node: NodeInfo) -> int:
        preferred = _affinity(pod).get("preferredDuringSchedulingIgnoredDuringExecution") or []
        return sum(
            int(p.get("weight") or 0) for p in preferred if term_matches(p.get("preference") or {}, node.node)
        )

    def normalize(self, state: CycleState, pod: Obj, scores: dict[str, int]) -> None:
        """`helper.DefaultNormalizeScore(MaxNodeScore, reverse=false, scores)`."""
        highest = max(scores.values(), default=0)
        if highest == 0:
            return
        for name, s in scores.items():
            scores[name] = MAX_NODE_SCORE * s // highest

    def normalize_many(self, state: CycleState, pod: Obj, names: tuple[str, ...], scores: Scores) -> Scores:
        if isinstance(scores, np.ndarray):  # all zeros (no preferred terms)
            if not len(scores) or not scores.any():
                return scores
            scores = scores.tolist()
        highest = max(scores, default=0)
        if highest == 0:
            return list(scores)
        return [MAX_NODE_SCORE * s // highest for s in scores]

    # -- queueing hints -------------------------------------------------------------------

    def events_to_register(self) -> Sequence[ClusterEventWithHint]:
        """A node added or its labels changed."""
        return (
            ClusterEventWithHint(
                ClusterEvent(NODE, ADD | UPDATE_NODE_LABEL), self.is_schedulable_after_node_change
            ),
        )

    def is_schedulable_after_node_change(self, pod: Obj, old: Obj | None, new: Obj | None) -> str:
        """Queue when the added node matches the pod's nodeSelector and required terms, or an
        updated node did not match before and does now."""
        if new is None or not required_matches(pod, new):
            return QUEUE_SKIP
        if old is not None and required_matches(pod, old):
            return QUEUE_SKIP
        return QUEUE


def required_matches(pod: Obj, node: Obj) -> bool:
    """`GetRequiredNodeAffinity(pod).Match(node)`: nodeSelector and the required terms."""
    labels = node["metadata"].get("labels") or {}
    if any(labels.get(k) != v for k, v in (pod["spec"].get("nodeSelector") or {}).items()):
        return False
    required = _affinity(pod).get("requiredDuringSchedulingIgnoredDuringExecution")
    return required is None or any(term_matches(t, node) for t in required.get("nodeSelectorTerms") or [])
