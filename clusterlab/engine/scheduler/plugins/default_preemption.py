"""DefaultPreemption (PostFilter): could evicting lower-priority pods make room?

When no node passes the filters, kube-scheduler asks whether preemption would help. Nodes
that failed with UnschedulableAndUnresolvable (a taint, a cordon) are "Preemption is not
helpful for scheduling"; on the others it looks for lower-priority victims whose removal
would let the pod fit. The result is appended to the FailedScheduling message as
`preemption: 0/N nodes are available: ...`.

Simplified: this plugin reports what preemption would find but does not yet evict victims
(victim selection, nominatedNodeName and Preempted events arrive with the scheduler work).
Until PriorityClasses exist every pod has priority 0, so no pod is ever a victim — the
reported result is exactly what kube-scheduler reports for equal-priority pods.
"""

from __future__ import annotations

from typing import Any

from ..framework import UNRESOLVABLE, CycleState, Diagnosis, NodeInfo, PostFilterPlugin, PostFilterResult

NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"


class DefaultPreemption(PostFilterPlugin):
    name = "DefaultPreemption"

    def post_filter(
        self, state: CycleState, pod: dict[str, Any], diagnosis: Diagnosis, nodes: list[NodeInfo]
    ) -> PostFilterResult:
        total = diagnosis.num_all_nodes
        if pod["spec"].get("preemptionPolicy") == "Never":
            return PostFilterResult("preemption: not eligible due to preemptionPolicy=Never.")
        histogram: dict[str, int] = {}
        for info in nodes:
            st = diagnosis.node_status.get(info.name)
            if st is None:
                continue
            # Victims must have strictly lower priority; with every pod at 0 there are none.
            reason = NOT_HELPFUL if st.code == UNRESOLVABLE else NO_VICTIMS
            histogram[reason] = histogram.get(reason, 0) + 1
        parts = ", ".join(sorted(f"{n} {r}" for r, n in histogram.items()))
        return PostFilterResult(f"preemption: 0/{total} nodes are available: {parts}.")
