"""NodeName: a pod that names its node (`spec.nodeName` set before scheduling, or kube-scheduler
asked about one) fits only that node.

Pods that arrive with `spec.nodeName` never reach the scheduler at all (the kubelet runs them);
this filter matters for the Diagnosis of a pod whose chosen node is checked. Failure:
`node(s) didn't match the requested node name`, UnschedulableAndUnresolvable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..events import ADD, NODE, QUEUE, QUEUE_SKIP, ClusterEvent, ClusterEventWithHint
from ..framework import OK, UNRESOLVABLE, CycleState, FilterPlugin, NodeInfo, Status

Obj = dict[str, Any]
REASON = "node(s) didn't match the requested node name"


class NodeName(FilterPlugin):
    name = "NodeName"

    def filter(self, state: CycleState, pod: dict[str, Any], node: NodeInfo) -> Status:
        wanted = pod["spec"].get("nodeName")
        if not wanted or wanted == node.name:
            return OK
        return Status(UNRESOLVABLE, [REASON], self.name)

    def filter_many(self, state: CycleState, pod: dict[str, Any], nodes: list[NodeInfo]) -> list[Status]:
        if not pod["spec"].get("nodeName"):
            return [OK] * len(nodes)
        return [self.filter(state, pod, node) for node in nodes]

    # -- queueing hints -------------------------------------------------------------------

    def events_to_register(self) -> Sequence[ClusterEventWithHint]:
        """A node added (the one the pod names)."""
        return (ClusterEventWithHint(ClusterEvent(NODE, ADD), self.is_schedulable_after_node_add),)

    def is_schedulable_after_node_add(self, pod: dict[str, Any], old: Obj | None, new: Obj | None) -> str:
        if new is None:
            return QUEUE_SKIP
        wanted = pod["spec"].get("nodeName")
        return QUEUE if not wanted or wanted == new["metadata"]["name"] else QUEUE_SKIP
