"""PodTopologySpread's PreFilter and Filter: `whenUnsatisfiable: DoNotSchedule` constraints.

PreFilter counts, for each hard constraint, the matching pods per topology domain over every
node that counts (`TpValueToMatchNum`), and keeps the two least-loaded domains (the "critical
paths"). Filter then admits a node when, for every constraint,
`matching pods in the node's domain + (1 if the pod matches its own selector) - global minimum
<= maxSkew`, where the global minimum is 0 while fewer domains than `minDomains` exist. A node
without a constraint's topology key is UnschedulableAndUnresolvable (`... (missing required
label)`); a skew violation is Unschedulable.

PreFilterExtensions (AddPod/RemovePod) update a clone of the counts when preemption's dry run
or a nominated pod puts a pod on, or takes one off, a node (`update_with_pod`). Simplified:
kube-scheduler counts over goroutines; here it is one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...framework import UNRESOLVABLE, UNSCHEDULABLE, NodeInfo, Status
from .common import (
    REASON_CONSTRAINTS_NOT_MATCH,
    REASON_NODE_LABEL_NOT_MATCH,
    SpreadConstraint,
    count_matching_on,
    node_has_all_keys,
)

Obj = dict[str, Any]
MAX_INT32 = 2**31 - 1


@dataclass
class CriticalPaths:
    """The two domains with the fewest matching pods (`criticalPaths`): `paths[0]` always holds
    the minimum; `paths[1]` is at least as large but not necessarily the second minimum."""

    paths: list[tuple[str, int]] = field(default_factory=lambda: [("", MAX_INT32), ("", MAX_INT32)])

    def update(self, value: str, num: int) -> None:
        p = self.paths
        i = 0 if value == p[0][0] else 1 if value == p[1][0] else -1
        if i >= 0:
            p[i] = (value, num)
            if p[0][1] > p[1][1]:
                p[0], p[1] = p[1], p[0]
        elif num < p[0][1]:
            p[1] = p[0]
            p[0] = (value, num)
        elif num < p[1][1]:
            p[1] = (value, num)

    @property
    def min_match(self) -> int:
        return self.paths[0][1]


@dataclass
class PreFilterState:
    constraints: list[SpreadConstraint]
    critical_paths: list[CriticalPaths] = field(default_factory=list)
    # per constraint: topology value → matching pods there
    tp_value_to_match_num: list[dict[str, int]] = field(default_factory=list)

    def clone(self) -> PreFilterState:
        """`preFilterState.Clone()`: the counts and paths copied, the constraints shared."""
        return PreFilterState(
            self.constraints,
            [CriticalPaths(list(p.paths)) for p in self.critical_paths],
            [dict(counts) for counts in self.tp_value_to_match_num],
        )

    def update_with_pod(self, other: Obj, node: NodeInfo, incoming: Obj, delta: int) -> None:
        """`updateWithPod`: count (+1) or uncount (-1) `other`, added to or removed from `node`."""
        if other["metadata"].get("namespace") != incoming["metadata"].get("namespace"):
            return
        if not node_has_all_keys(node.labels, self.constraints):
            return
        labels = other["metadata"].get("labels") or {}
        for i, c in enumerate(self.constraints):
            if not c.selector.matches(labels) or not c.includes_node(incoming, node):
                continue
            value = node.labels[c.topology_key]
            counts = self.tp_value_to_match_num[i]
            counts[value] = counts.get(value, 0) + delta
            self.critical_paths[i].update(value, counts[value])

    def min_match_num(self, i: int, min_domains: int) -> int:
        """The global minimum for the skew, 0 while there are fewer domains than minDomains."""
        if len(self.tp_value_to_match_num[i]) < min_domains:
            return 0
        return self.critical_paths[i].min_match


def pre_filter_state(pod: Obj, constraints: list[SpreadConstraint], nodes: list[NodeInfo]) -> PreFilterState:
    """`calPreFilterState`: count matching pods per domain over all nodes that count."""
    state = PreFilterState(constraints)
    state.tp_value_to_match_num = [{} for _ in constraints]
    ns = pod["metadata"].get("namespace")
    for info in nodes:
        if not node_has_all_keys(info.labels, constraints):
            continue
        for i, c in enumerate(constraints):
            if not c.includes_node(pod, info):
                continue
            value = info.labels[c.topology_key]
            counts = state.tp_value_to_match_num[i]
            counts[value] = counts.get(value, 0) + count_matching_on(info, c.selector, ns)
    for counts in state.tp_value_to_match_num:
        paths = CriticalPaths()
        for value, num in counts.items():
            paths.update(value, num)
        state.critical_paths.append(paths)
    return state


def filter_node(state: PreFilterState, pod: Obj, node: NodeInfo, plugin: str) -> Status | None:
    """Filter for one node; None when it passes."""
    labels = pod["metadata"].get("labels") or {}
    for i, c in enumerate(state.constraints):
        value = node.labels.get(c.topology_key)
        if value is None:
            return Status(UNRESOLVABLE, [REASON_NODE_LABEL_NOT_MATCH], plugin)
        self_match = 1 if c.selector.matches(labels) else 0
        skew = (
            state.tp_value_to_match_num[i].get(value, 0) + self_match - state.min_match_num(i, c.min_domains)
        )
        if skew > c.max_skew:
            return Status(UNSCHEDULABLE, [REASON_CONSTRAINTS_NOT_MATCH], plugin)
    return None
