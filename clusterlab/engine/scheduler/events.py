"""Cluster events: what changed in the cluster, in the words the scheduling queue requeues by.

As in kube-scheduler v1.32 (`framework/types.go` ClusterEvent and ActionType,
`framework/events.go`): an event is a resource (`Pod`, `Node`, ...) and an action type, a bit
set (`Add`, `Delete`, and for updates the specific kind of change: a node's allocatable,
labels, taints, conditions or annotations; a pod's labels, a scale-down of its requests, its
tolerations, its last scheduling gate removed, or any other change). The informer handlers
turn each Node or Pod change into such events (`node_scheduling_properties_change`,
`pod_scheduling_properties_change`), and every plugin says which events could make a pod it
rejected schedulable (`events_to_register`), each with an optional QueueingHint that looks at
the changed object and answers `Queue` or `QueueSkip`.

Simplified: only the resources the simulation has (Pod, Node, and the storage kinds a volume
plugin may name) exist; a wildcard resource `*` with `All` actions matches everything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..quantity import milli_value

Obj = dict[str, Any]

# ActionType bits, in v1.32's order.
ADD = 1 << 0
DELETE = 1 << 1
UPDATE_NODE_ALLOCATABLE = 1 << 2
UPDATE_NODE_LABEL = 1 << 3
UPDATE_NODE_TAINT = 1 << 4
UPDATE_NODE_CONDITION = 1 << 5
UPDATE_NODE_ANNOTATION = 1 << 6
UPDATE_POD_LABEL = 1 << 7
UPDATE_POD_SCALE_DOWN = 1 << 8
UPDATE_POD_TOLERATIONS = 1 << 9
UPDATE_POD_SCHEDULING_GATES_ELIMINATED = 1 << 10
UPDATE_POD_OTHER = 1 << 11  # `updatePodOther`: a pod update none of the above describes
ALL = (1 << 12) - 1
UPDATE = ALL & ~(ADD | DELETE)

# Resources.
POD = "Pod"
NODE = "Node"
PERSISTENT_VOLUME = "PersistentVolume"
PERSISTENT_VOLUME_CLAIM = "PersistentVolumeClaim"
STORAGE_CLASS = "storage.k8s.io/StorageClass"
WILDCARD = "*"

# QueueingHint answers.
QUEUE = "Queue"
QUEUE_SKIP = "QueueSkip"

# A QueueingHint: (the pod waiting in the unschedulable pool, the object before, after) →
# QUEUE or QUEUE_SKIP. `before` is None for an Add, `after` None for a Delete.
QueueingHintFn = Callable[[Obj, Obj | None, Obj | None], str]


@dataclass(frozen=True)
class ClusterEvent:
    resource: str
    action_type: int
    label: str = ""

    def is_wildcard(self) -> bool:
        return self.resource == WILDCARD and self.action_type == ALL

    def match(self, incoming: ClusterEvent) -> bool:
        """`ClusterEvent.Match`: does this registered event cover the incoming one?"""
        return self.is_wildcard() or (
            (self.resource == WILDCARD or self.resource == incoming.resource)
            and self.action_type & incoming.action_type != 0
        )


@dataclass(frozen=True)
class ClusterEventWithHint:
    """One entry of a plugin's `EventsToRegister`; no hint means "always Queue"."""

    event: ClusterEvent
    hint: QueueingHintFn | None = None


# The events the informer handlers and the queue raise (labels as in events.go).
NODE_ADD = ClusterEvent(NODE, ADD, "NodeAdd")
NODE_DELETE = ClusterEvent(NODE, DELETE, "NodeDelete")
ASSIGNED_POD_ADD = ClusterEvent(POD, ADD, "AssignedPodAdd")
ASSIGNED_POD_DELETE = ClusterEvent(POD, DELETE, "AssignedPodDelete")
UNSCHEDULED_POD_UPDATE = ClusterEvent(POD, UPDATE, "UnschedulablePodUpdate")
POD_LABEL_CHANGE = ClusterEvent(POD, UPDATE_POD_LABEL, "PodLabelChange")
POD_REQUEST_SCALED_DOWN = ClusterEvent(POD, UPDATE_POD_SCALE_DOWN, "PodRequestScaledDown")
POD_TOLERATION_CHANGE = ClusterEvent(POD, UPDATE_POD_TOLERATIONS, "PodTolerationChange")
POD_SCHEDULING_GATE_ELIMINATED = ClusterEvent(
    POD, UPDATE_POD_SCHEDULING_GATES_ELIMINATED, "PodSchedulingGateChange"
)
ASSIGNED_POD_OTHER_UPDATE = ClusterEvent(POD, UPDATE_POD_OTHER, "AssignedPodUpdate")
NODE_SPEC_UNSCHEDULABLE_CHANGE = ClusterEvent(NODE, UPDATE_NODE_TAINT, "NodeSpecUnschedulableChange")
NODE_ALLOCATABLE_CHANGE = ClusterEvent(NODE, UPDATE_NODE_ALLOCATABLE, "NodeAllocatableChange")
NODE_LABEL_CHANGE = ClusterEvent(NODE, UPDATE_NODE_LABEL, "NodeLabelChange")
NODE_TAINT_CHANGE = ClusterEvent(NODE, UPDATE_NODE_TAINT, "NodeTaintChange")
NODE_CONDITION_CHANGE = ClusterEvent(NODE, UPDATE_NODE_CONDITION, "NodeConditionChange")
NODE_ANNOTATION_CHANGE = ClusterEvent(NODE, UPDATE_NODE_ANNOTATION, "NodeAnnotationChange")
WILDCARD_EVENT = ClusterEvent(WILDCARD, ALL, "WildCardEvent")
UNSCHEDULABLE_TIMEOUT = ClusterEvent(WILDCARD, ALL, "UnschedulableTimeout")
FORCE_ACTIVATE = ClusterEvent(WILDCARD, ALL, "ForceActivate")

# What a plugin that names no events is requeued by (kube-scheduler registers every resource
# with All for a plugin that does not implement EnqueueExtensions).
ANY_EVENT = (ClusterEventWithHint(ClusterEvent(WILDCARD, ALL)),)


def _requests(pod: Obj) -> dict[str, int]:
    """Per resource, the pod's requests in milli-units (containers summed, at least the
    largest init container), as `resource.PodRequests` gives them."""
    total: dict[str, int] = {}
    spec = pod.get("spec") or {}
    for c in spec.get("containers") or ():
        for name, q in ((c.get("resources") or {}).get("requests") or {}).items():
            total[name] = total.get(name, 0) + milli_value(q)
    for c in spec.get("initContainers") or ():
        for name, q in ((c.get("resources") or {}).get("requests") or {}).items():
            total[name] = max(total.get(name, 0), milli_value(q))
    return total


def pod_scheduling_properties_change(new: Obj, old: Obj) -> list[ClusterEvent]:
    """`PodSchedulingPropertiesChange`: the update events a pod update amounts to, in order
    (labels, scale-down, last gate removed, tolerations), or the catch-all other update."""
    events: list[ClusterEvent] = []
    if (new["metadata"].get("labels") or {}) != (old["metadata"].get("labels") or {}):
        events.append(POD_LABEL_CHANGE)
    new_req, old_req = _requests(new), _requests(old)
    if any(name not in new_req or value > new_req[name] for name, value in old_req.items()):
        events.append(POD_REQUEST_SCALED_DOWN)
    if not new["spec"].get("schedulingGates") and old["spec"].get("schedulingGates"):
        events.append(POD_SCHEDULING_GATE_ELIMINATED)
    if len(new["spec"].get("tolerations") or ()) != len(old["spec"].get("tolerations") or ()):
        events.append(POD_TOLERATION_CHANGE)
    return events or [ASSIGNED_POD_OTHER_UPDATE]


def _condition_statuses(node: Obj) -> dict[str, str]:
    return {
        c.get("type", ""): c.get("status", "") for c in (node.get("status") or {}).get("conditions") or ()
    }


def node_scheduling_properties_change(new: Obj, old: Obj) -> list[ClusterEvent]:
    """`NodeSchedulingPropertiesChange`: the update events a node update amounts to, in order.
    A cordon is not one (only an uncordon can help a pod); condition changes count by
    status only (heartbeats change nothing)."""
    events: list[ClusterEvent] = []
    new_spec, old_spec = new.get("spec") or {}, old.get("spec") or {}
    if bool(new_spec.get("unschedulable")) != bool(old_spec.get("unschedulable")) and not new_spec.get(
        "unschedulable"
    ):
        events.append(NODE_SPEC_UNSCHEDULABLE_CHANGE)
    if (new.get("status") or {}).get("allocatable") != (old.get("status") or {}).get("allocatable"):
        events.append(NODE_ALLOCATABLE_CHANGE)
    if (new["metadata"].get("labels") or {}) != (old["metadata"].get("labels") or {}):
        events.append(NODE_LABEL_CHANGE)
    if (new_spec.get("taints") or []) != (old_spec.get("taints") or []):
        events.append(NODE_TAINT_CHANGE)
    if _condition_statuses(new) != _condition_statuses(old):
        events.append(NODE_CONDITION_CHANGE)
    if (new["metadata"].get("annotations") or {}) != (old["metadata"].get("annotations") or {}):
        events.append(NODE_ANNOTATION_CHANGE)
    return events
