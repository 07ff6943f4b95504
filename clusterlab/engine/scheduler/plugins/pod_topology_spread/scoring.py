"""PodTopologySpread's PreScore, Score and NormalizeScore: `ScheduleAnyway` constraints.

PreScore looks at the nodes that passed the filters: those lacking a topology key are ignored
(unless the constraints are the system defaults, so a cluster without zone labels still
spreads by hostname), and each constraint gets the weight `log(number of its domains + 2)`
(for hostname: the number of candidate nodes), so that spreading over a few zones is not
drowned by spreading over many nodes. It then counts matching pods per domain over all nodes
that count; hostname domains are counted per node in Score.

Score is `sum over constraints of (matching pods in the node's domain * weight + maxSkew - 1)`,
rounded: the more matching pods around, the worse. NormalizeScore turns that into
`100 * (max + min - score) / max` (100 for every node when all scores are 0), and 0 for ignored
nodes. Default weight 2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ...framework import MAX_NODE_SCORE, NodeInfo
from .common import LABEL_HOSTNAME, SpreadConstraint, count_matching_on, node_has_all_keys

Obj = dict[str, Any]


@dataclass
class PreScoreState:
    constraints: list[SpreadConstraint]
    ignored_nodes: set[str] = field(default_factory=set)
    # per constraint: topology value of a candidate node → matching pods in that domain
    tp_value_to_pod_counts: list[dict[str, int]] = field(default_factory=list)
    topology_normalizing_weight: list[float] = field(default_factory=list)


def topology_normalizing_weight(size: int) -> float:
    return math.log(size + 2)


def score_for_count(count: int, max_skew: int, weight: float) -> float:
    """`maxSkew - 1` is added so that small differences between domains are watered down."""
    return count * weight + (max_skew - 1)


def pre_score_state(
    pod: Obj,
    constraints: list[SpreadConstraint],
    filtered: list[NodeInfo],
    all_nodes: list[NodeInfo],
    require_all_topologies: bool,
) -> PreScoreState:
    """`initPreScoreState` plus PreScore's count over all nodes."""
    state = PreScoreState(constraints)
    state.tp_value_to_pod_counts = [{} for _ in constraints]
    for info in filtered:
        if require_all_topologies and not node_has_all_keys(info.labels, constraints):
            state.ignored_nodes.add(info.name)
            continue
        for i, c in enumerate(constraints):
            if c.topology_key == LABEL_HOSTNAME:
                continue  # counted per node in Score
            state.tp_value_to_pod_counts[i].setdefault(info.labels.get(c.topology_key, ""), 0)
    for i, c in enumerate(constraints):
        size = len(state.tp_value_to_pod_counts[i])
        if c.topology_key == LABEL_HOSTNAME:
            size = len(filtered) - len(state.ignored_nodes)
        state.topology_normalizing_weight.append(topology_normalizing_weight(size))
    ns = pod["metadata"].get("namespace")
    for info in all_nodes:
        if require_all_topologies and not node_has_all_keys(info.labels, constraints):
            continue
        for i, c in enumerate(constraints):
            if not c.includes_node(pod, info):
                continue
            counts = state.tp_value_to_pod_counts[i]
            value = info.labels.get(c.topology_key, "")
            if value not in counts:  # no candidate node there (or hostname: done in Score)
                continue
            counts[value] += count_matching_on(info, c.selector, ns)
    return state


def score_node(state: PreScoreState, pod: Obj, node: NodeInfo) -> int:
    if node.name in state.ignored_nodes:
        return 0
    ns = pod["metadata"].get("namespace")
    total = 0.0
    for i, c in enumerate(state.constraints):
        value = node.labels.get(c.topology_key)
        if value is None:
            continue
        if c.topology_key == LABEL_HOSTNAME:
            count = count_matching_on(node, c.selector, ns)
        else:
            count = state.tp_value_to_pod_counts[i][value]
        total += score_for_count(count, c.max_skew, state.topology_normalizing_weight[i])
    return math.floor(total + 0.5)  # Go's math.Round: half away from zero (scores are >= 0)


def normalize_scores(state: PreScoreState, scores: dict[str, int]) -> None:
    """NormalizeScore, in place."""
    counted = [s for name, s in scores.items() if name not in state.ignored_nodes]
    min_score = min(counted, default=0)
    max_score = max([0, *counted])
    for name, s in scores.items():
        if name in state.ignored_nodes:
            scores[name] = 0
        elif max_score == 0:
            scores[name] = MAX_NODE_SCORE
        else:
            scores[name] = MAX_NODE_SCORE * (max_score + min_score - s) // max_score
