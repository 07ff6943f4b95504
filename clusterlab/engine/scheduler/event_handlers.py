"""The scheduler's informer event handlers: its cache of nodes and assigned pods, and its queue.

As `pkg/scheduler/eventhandlers.go`: a node added, updated or deleted changes the cache's
NodeInfo and moves the queue's waiting pods that the event may help (`NodeAdd`, the node's
scheduling properties that changed, `NodeDelete`); a pod assigned to a node is counted on it
(`AssignedPodAdd` / `Update` / `Delete` move waiting pods too); an unassigned pod that names one
of the scheduler's profiles (`responsibleForPod`) enters the scheduling queue and, when it
carries a nomination, the nominator; changes to the storage objects VolumeBinding waits on
(PersistentVolumeClaims, PersistentVolumes, StorageClasses) move the pods it rejected.

Simplified: the cache counts a pod only on a node it has seen (kube-scheduler's cache keeps
pods whose node it has not seen yet); a pod that finished (Succeeded or Failed) leaves the
cache as a delete, as it leaves the real scheduler's filtered pod informer.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from ..informers import key_of
from . import events
from .framework import NodeInfo
from .framework_runtime import FrameworkRuntime
from .node_columns import NodeTable
from .profiles import Framework
from .queue import SchedulingQueue

Obj = dict[str, Any]


def _is_terminal(pod: Obj) -> bool:
    return pod.get("status", {}).get("phase") in ("Succeeded", "Failed")


STORAGE_EVENTS = (
    ("persistentvolumeclaims", events.PERSISTENT_VOLUME_CLAIM, "PersistentVolumeClaim"),
    ("persistentvolumes", events.PERSISTENT_VOLUME, "PersistentVolume"),
    ("storageclasses", events.STORAGE_CLASS, "StorageClass"),
)


def queue_movers(queue: SchedulingQueue, resource: str, label: str) -> tuple[Any, Any, Any]:
    """Informer handlers that raise `<label>Add`/`Update`/`Delete` in the scheduling queue."""
    add = events.ClusterEvent(resource, events.ADD, f"{label}Add")
    update = events.ClusterEvent(resource, events.UPDATE, f"{label}Update")
    delete = events.ClusterEvent(resource, events.DELETE, f"{label}Delete")
    return (
        lambda new: queue.move_all(add, None, new),
        lambda old, new: queue.move_all(update, old, new),
        lambda old: queue.move_all(delete, old, None),
    )


class EventHandlers(FrameworkRuntime):
    """The node and pod informers' handlers: keep the cache and move the queue's pods."""

    frameworks: dict[str, Framework]  # by schedulerName
    node_table: NodeTable  # the nodes' numbers as arrays, for the batch plugins
    _order: tuple[list[NodeInfo], npt.NDArray[np.intp]] | None  # node_infos' rows, until one comes or goes
    pod_node: dict[str, str]  # assigned pod key → node it is counted on
    queue: SchedulingQueue

    def _node_added(self, node: Obj) -> None:
        name = node["metadata"]["name"]
        info = self.node_infos.get(name)
        if info is None:
            self.node_infos[name] = info = NodeInfo(node)
            info.attach(self.node_table)
            self._order = None
        else:
            info.set_node(node)
        self.queue.move_all(events.NODE_ADD, None, node)

    def _node_updated(self, old: Obj, new: Obj) -> None:
        self._node_added_quiet(new)
        for event in events.node_scheduling_properties_change(new, old):
            self.queue.move_all(event, old, new)

    def _node_added_quiet(self, node: Obj) -> None:
        info = self.node_infos.get(node["metadata"]["name"])
        if info is None:
            self.node_infos[node["metadata"]["name"]] = info = NodeInfo(node)
            info.attach(self.node_table)
            self._order = None
        else:
            info.set_node(node)

    def _node_deleted(self, node: Obj) -> None:
        self.queue.move_all(events.NODE_DELETE, node, None)
        info = self.node_infos.pop(node["metadata"]["name"], None)
        if info is not None:
            info.detach()
            self._order = None

    def _account(self, key: str, pod: Obj) -> None:
        node = pod["spec"].get("nodeName")
        prev = self.pod_node.get(key)
        if prev is not None and (prev != node or _is_terminal(pod)):
            info = self.node_infos.get(prev)
            if info is not None:
                info.remove_pod(key)
            del self.pod_node[key]
        if node and not _is_terminal(pod):
            info = self.node_infos.get(node)
            if info is None:
                return
            info.add_pod(key, pod)
            self.pod_node[key] = node

    def _responsible(self, pod: Obj) -> bool:
        """An unassigned, undeleted pod naming one of our profiles (a pod naming no profile is
        another scheduler's, and is left alone)."""
        return (
            pod["spec"].get("schedulerName", "default-scheduler") in self.frameworks
            and not pod["spec"].get("nodeName")
            and not pod["metadata"].get("deletionTimestamp")
        )

    def _pod_added(self, pod: Obj) -> None:
        key = key_of(pod)
        if pod["spec"].get("nodeName"):
            self._account(key, pod)
            if not _is_terminal(pod):
                self.queue.move_all(events.ASSIGNED_POD_ADD, None, pod)
        elif self._responsible(pod):
            self.queue.add(key, pod)
            self.nominator.add(key, pod)

    def _pod_updated(self, old: Obj, new: Obj) -> None:
        key = key_of(new)
        if new["spec"].get("nodeName") or not self._responsible(new):
            self.nominator.delete(key)  # bound, or no longer ours
        else:
            self.nominator.update(key, old, new)
        if new["spec"].get("nodeName"):
            self.queue.delete(key)
            if (
                old["spec"] != new["spec"]
                or _is_terminal(new) != _is_terminal(old)
                or key not in self.pod_node
            ):
                self._account(key, new)
            if _is_terminal(new) and not _is_terminal(old):
                # finished: gone from the scheduler's pod informer, as a delete
                self.queue.move_all(events.ASSIGNED_POD_DELETE, old, None)
            elif not old["spec"].get("nodeName"):  # AssignedPodAdd, as the scheduler's cache sees it
                self.queue.move_all(events.ASSIGNED_POD_ADD, None, new)
            elif not _is_terminal(new):
                for event in events.pod_scheduling_properties_change(new, old):
                    self.queue.move_all(event, old, new)
        elif not self._responsible(new):
            self.queue.delete(key)
        elif key not in self.pod_node:  # an assumed pod's updates wait for its binding
            self.queue.update(old, new)

    def _pod_deleted(self, pod: Obj) -> None:
        key = key_of(pod)
        self.queue.delete(key)
        self.nominator.delete(key)
        node = self.pod_node.pop(key, None)
        if node is not None:
            info = self.node_infos.get(node)
            if info is not None:
                info.remove_pod(key)
        if pod["spec"].get("nodeName") and not _is_terminal(pod):
            self.queue.move_all(events.ASSIGNED_POD_DELETE, pod, None)
