"""NodePorts: a pod's `hostPort`s must be free on the node.

A container port with `hostPort` set is published on the node itself (the CNI's portmap
plugin DNATs `hostIP:hostPort/protocol` to the pod), so two pods cannot hold the same one on
one node. PreFilter collects the pod's host ports — those of its regular `containers` with
`hostPort > 0`, as v1.32 does (init containers, sidecars included, are not counted) — and
says `Skip` when there are none, so the Filter does not run for the pod at all.

Filter: each wanted `(hostIP, protocol, hostPort)` is checked against what the pods already
on the node hold (`NodeInfo.used_ports`), with kube-scheduler's `HostPortInfo.CheckConflict`
rules: an empty hostIP means `0.0.0.0` and an empty protocol `TCP`; wanting `0.0.0.0` conflicts
with the same protocol/port on *any* address; wanting a specific address conflicts with that
address and with `0.0.0.0`; TCP and UDP (and SCTP) never conflict with each other. A conflict
is `node(s) didn't have free ports for the requested pod ports`, Unschedulable (preempting the
pod that holds the port could free it).

Requeueing (QueueingHints, v1.32): a pod NodePorts rejected is retried when a node is added,
or when an assigned pod that held one of the ports it wants is deleted — not for unrelated
deletions (an unscheduled pod, or one whose ports would not have conflicted).

Simplified: like kube-scheduler, no special case for the IPv6 wildcard `::`; it is an address
like any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..events import ADD, DELETE, NODE, POD, QUEUE, QUEUE_SKIP, ClusterEvent, ClusterEventWithHint
from ..framework import (
    OK,
    SKIP,
    SUCCESS,
    UNSCHEDULABLE,
    CycleState,
    FilterPlugin,
    NodeInfo,
    PreFilterPlugin,
    Status,
    host_ports,
)

REASON = "node(s) didn't have free ports for the requested pod ports"
STATE_KEY = "PreFilterNodePorts"
BIND_ALL = "0.0.0.0"

HostPort = tuple[str, str, int]


def conflicts(used: dict[HostPort, int], wanted: HostPort) -> bool:
    """`HostPortInfo.CheckConflict`: would `wanted` clash with a port in use on the node?"""
    ip, protocol, port = wanted
    if port <= 0:
        return False
    if ip == BIND_ALL:
        return any(p == port and proto == protocol for _, proto, p in used)
    return (BIND_ALL, protocol, port) in used or (ip, protocol, port) in used


def fits(wanted: list[HostPort], node: NodeInfo) -> bool:
    return not any(conflicts(node.used_ports, w) for w in wanted)


class NodePorts(PreFilterPlugin, FilterPlugin):
    name = "NodePorts"

    def pre_filter(self, state: CycleState, pod: dict[str, Any], nodes: list[NodeInfo]) -> Status:
        wanted = host_ports(pod)
        if not wanted:
            return Status(SKIP)
        state[STATE_KEY] = wanted
        return Status(SUCCESS)

    def filter(self, state: CycleState, pod: dict[str, Any], node: NodeInfo) -> Status:
        if fits(state[STATE_KEY], node):
            return OK
        return Status(UNSCHEDULABLE, [REASON], self.name)

    def events_to_register(self) -> Sequence[ClusterEventWithHint]:
        return (
            ClusterEventWithHint(ClusterEvent(POD, DELETE), self.is_schedulable_after_pod_deleted),
            ClusterEventWithHint(ClusterEvent(NODE, ADD)),
        )

    def is_schedulable_after_pod_deleted(
        self, pod: dict[str, Any], old: dict[str, Any] | None, new: dict[str, Any] | None
    ) -> str:
        """`isSchedulableAfterPodDeleted`: only an assigned (or nominated) pod's host ports were
        held; only ports the waiting pod wants matter."""
        if old is None:
            return QUEUE
        if not old["spec"].get("nodeName") and not (old.get("status") or {}).get("nominatedNodeName"):
            return QUEUE_SKIP
        freed = {triple: 1 for triple in host_ports(old)}
        if not freed:
            return QUEUE_SKIP
        return QUEUE if any(conflicts(freed, w) for w in host_ports(pod)) else QUEUE_SKIP
