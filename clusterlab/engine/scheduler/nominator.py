"""The nominator: which pending pods have a node reserved for them by preemption.

kube-scheduler's scheduling queue embeds a `nominator` (`internal/queue/nominator.go`). When
preemption evicts victims for a pod, the pod is *nominated* to that node
(`status.nominatedNodeName`) but stays Pending until the victims are gone. Meanwhile every
other pod filtered against that node must treat the nominated pods of equal or higher priority
as if they already ran there (`addGENominatedPods`), or a lower-priority pod would take the
room the victims freed. The nominator keeps those pods per node: it learns of a nomination
from the scheduler's own PostFilter result at once (there is no waiting for the status patch
to come back through the informer) and from `status.nominatedNodeName` of pods it sees, and
forgets a pod once it is bound, deleted or its nomination is cleared.

Simplified: pods are identified by namespace/name key rather than UID.
"""

from __future__ import annotations

from typing import Any

from .framework import OK, CycleState, FilterPlugin, NodeInfo, Status

Obj = dict[str, Any]


def nominated_node_name(pod: Obj) -> str:
    return (pod.get("status") or {}).get("nominatedNodeName") or ""


class Nominator:
    def __init__(self) -> None:
        self.pods_by_node: dict[str, dict[str, Obj]] = {}  # node → pod key → pod
        self.node_of: dict[str, str] = {}  # pod key → the node it is nominated to

    def add(self, key: str, pod: Obj, node: str | None = None) -> None:
        """`AddNominatedPod`: `node` overrides the pod's own `status.nominatedNodeName`
        (the PostFilter result); without it the status says where (or nothing happens)."""
        self.delete(key)
        node = node if node is not None else nominated_node_name(pod)
        if not node or pod["spec"].get("nodeName"):
            return
        self.node_of[key] = node
        self.pods_by_node.setdefault(node, {})[key] = pod

    def update(self, key: str, old: Obj, new: Obj) -> None:
        """`UpdateNominatedPod`: a status update that has not caught up with a nomination
        made in memory (neither version names a node) keeps the in-memory one."""
        node: str | None = None
        if not nominated_node_name(old) and not nominated_node_name(new):
            node = self.node_of.get(key)
            if node is None:
                return
        self.add(key, new, node)

    def delete(self, key: str) -> None:
        node = self.node_of.pop(key, None)
        if node is None:
            return
        pods = self.pods_by_node.get(node)
        if pods is not None:
            pods.pop(key, None)
            if not pods:
                del self.pods_by_node[node]

    def pods_for_node(self, node: str) -> list[tuple[str, Obj]]:
        """`NominatedPodsForNode`: (key, pod) in nomination order."""
        return list((self.pods_by_node.get(node) or {}).items())


def pod_priority(pod: Obj) -> int:
    """`corev1helpers.PodPriority`: spec.priority, 0 when unset."""
    return int(pod["spec"].get("priority") or 0)


class NominatedPodsPass(FilterPlugin):
    """The first pass of `RunFilterPluginsWithNominatedPods`, run ahead of the profile's filters.

    On a node with nominated pods of equal or higher priority than the pod being scheduled, the
    real framework runs every filter twice: first as if those pods already ran there (on a copy
    of the NodeInfo and CycleState, with the PreFilter extensions told of each added pod), then
    without them; the node fits only if both pass, and a first-pass rejection is the node's
    status. Placed first in the filter list, this filter is that first pass; the profile's
    filters that follow are the second. Nodes without such pods pass straight through.
    """

    name = "NominatedPods"

    def __init__(self, framework: Any) -> None:
        super().__init__()
        self.framework = framework

    def filter(self, state: CycleState, pod: Obj, node: NodeInfo) -> Status:
        added, state_out, node_out, err = self.framework.add_ge_nominated_pods(state, pod, node)
        if err is not None:
            return err
        if not added:
            return OK
        return self.framework.run_filter_plugins(state_out, pod, node_out)
