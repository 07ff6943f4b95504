"""NodeName: a pod that names its node (`spec.nodeName` set before scheduling, or kube-scheduler
asked about one) fits only that node.

Pods that arrive with `spec.nodeName` never reach the scheduler at all (the kubelet runs them);
this filter matters for the Diagnosis of a pod whose chosen node is checked. Failure:
`node(s) didn't match the requested node name`, UnschedulableAndUnresolvable.
"""

from __future__ import annotations

from typing import Any

from ..framework import OK, UNRESOLVABLE, CycleState, FilterPlugin, NodeInfo, Status

REASON = "node(s) didn't match the requested node name"


class NodeName(FilterPlugin):
    name = "NodeName"

    def filter(self, state: CycleState, pod: dict[str, Any], node: NodeInfo) -> Status:
        wanted = pod["spec"].get("nodeName")
        if not wanted or wanted == node.name:
            return OK
        return Status(UNRESOLVABLE, [REASON], self.name)
