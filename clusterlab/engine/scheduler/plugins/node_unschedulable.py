"""NodeUnschedulable: filter out cordoned nodes (`spec.unschedulable: true`).

A pod that tolerates the `node.kubernetes.io/unschedulable:NoSchedule` taint may still land
there (DaemonSet pods do). The failure is UnschedulableAndUnresolvable: preempting pods
would not help.
"""

from __future__ import annotations

from typing import Any

from ...taints import UNSCHEDULABLE as UNSCHEDULABLE_TAINT
from ...taints import tolerated_by_any
from ..framework import OK, UNRESOLVABLE, CycleState, FilterPlugin, NodeInfo, Status

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
