"""NodeUnschedulable: filter out cordoned nodes (`spec.unschedulable: true`).

A pod that tolerates the `node.kubernetes.io/unschedulable:NoSchedule` taint may still land
there (DaemonSet pods do). The failure is UnschedulableAndUnresolvable: preempting pods
would not help.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...taints import UNSCHEDULABLE as UNSCHEDULABLE_TAINT
from ...taints import tolerated_by_any
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
from ..framework import OK, UNRESOLVABLE, CycleState, FilterPlugin, NodeInfo, Status
from ..node_columns import per_flagged_node

Obj = dict[str, Any]
REASON = "node(s) were unschedulable"


class NodeUnschedulable(FilterPlugin):
    name = "NodeUnschedulable"

    def filter(self, state: CycleState, pod: dict[str, Any], node: NodeInfo) -> Status:
        if not node.unschedulable:
            return OK
        taint = {"key": UNSCHEDULABLE_TAINT, "effect": "NoSchedule"}
        if tolerated_by_any(taint, pod["spec"].get("tolerations") or []):
            return OK
        return Status(UNRESOLVABLE, [REASON], self.name)

    def filter_many(self, state: CycleState, pod: dict[str, Any], nodes: list[NodeInfo]) -> list[Status]:
        """`filter` called only for cordoned nodes (the cache's flag column says which)."""
        return per_flagged_node(state, nodes, "unschedulable", lambda node: self.filter(state, pod, node), OK)

    # -- queueing hints -------------------------------------------------------------------

    def events_to_register(self) -> Sequence[ClusterEventWithHint]:
        """A node added or uncordoned (an UpdateNodeTaint event); the pod given a toleration."""
        return (
            ClusterEventWithHint(
                ClusterEvent(NODE, ADD | UPDATE_NODE_TAINT), self.is_schedulable_after_node_change
            ),
            ClusterEventWithHint(
                ClusterEvent(POD, UPDATE_POD_TOLERATIONS), self.is_schedulable_after_toleration
            ),
        )

    def is_schedulable_after_node_change(self, pod: dict[str, Any], old: Obj | None, new: Obj | None) -> str:
        """Queue for a schedulable node added, or a node uncordoned."""
        if new is None or (new.get("spec") or {}).get("unschedulable"):
            return QUEUE_SKIP
        return QUEUE if old is None or (old.get("spec") or {}).get("unschedulable") else QUEUE_SKIP

    def is_schedulable_after_toleration(self, pod: dict[str, Any], old: Obj | None, new: Obj | None) -> str:
        """Queue when the waiting pod itself now tolerates the unschedulable taint."""
        if new is None or new["metadata"].get("uid") != pod["metadata"].get("uid"):
            return QUEUE_SKIP
        taint = {"key": UNSCHEDULABLE_TAINT, "effect": "NoSchedule"}
        return QUEUE if tolerated_by_any(taint, new["spec"].get("tolerations") or []) else QUEUE_SKIP
