"""kube-scheduler: watch for unscheduled pods, pick a node for each, bind.

The loop is the real one in miniature (`pkg/scheduler/scheduler.go`). Informers keep a cache of
nodes and of the pods assigned to them (`event_handlers.py`). Pods without `spec.nodeName`
whose `schedulerName` names one of the profiles wait in the scheduling queue (`queue.py`). Each
cycle takes one pod and runs its profile's plugins (`scheduling_cycle.py`, scoring in
`prioritize.py`, the runners plugins call back in `framework_runtime.py`); the node chosen is
bound through `pods/binding` (`binding_cycle.py`) and the kubelet takes it from there.

A pod that fits nowhere waits in the unschedulable pool until a cluster event that one of the
plugins which rejected it registered could help (`queue.py`, `events.py`). Every attempt's
Diagnosis is kept for the UI's "why is my pod Pending?"; `queue_snapshot()` tells which pool
each pending pod waits in.

Simplified: one scheduling loop on the virtual clock (a cycle is a `call_soon` while the queue
holds pods), not a goroutine per binding; no extenders, no metrics.
"""

from __future__ import annotations

import random
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ..apiserver import APIServer
from ..audit import User
from ..clock import Clock, Timer
from ..controllers.base import InformerFactory
from ..recorder import EventRecorder
from .event_handlers import STORAGE_EVENTS, queue_movers
from .framework import Diagnosis, Handle, NodeInfo, Plugin
from .node_columns import NodeTable
from .nominator import Nominator
from .profiles import Framework, new_map
from .queue import QueuedPodSnapshot, SchedulingQueue
from .registry import DEFAULT_PROFILE, Profile
from .scheduling_cycle import SchedulingCycle


class Scheduler(SchedulingCycle):
    """One scheduler with its profiles, its cache, its queue and its loop."""

    def __init__(
        self,
        server: APIServer,
        clock: Clock,
        rng: random.Random,
        profiles: Profile | Sequence[Profile] = DEFAULT_PROFILE,
    ) -> None:
        """One framework per profile (`profiles.py`), by schedulerName; a single Profile is
        a configuration of one. Raises `FrameworkError` for a profile that cannot be built."""
        self.server = server
        self.clock = clock
        self.rng = rng
        self.user = User("system:kube-scheduler", "kube-scheduler")
        self.informers = InformerFactory(server, self.user)
        # Nodes list first: a restarted scheduler then counts each assigned pod on its node
        # (kube-scheduler's cache keeps pods whose node it has not seen yet; this one does not).
        self.nodes = self.informers.get("nodes")
        self.pods = self.informers.get("pods")
        # Namespaces' labels, for pod affinity terms' namespaceSelector (InterPodAffinity).
        self.namespaces = self.informers.get("namespaces")
        self.node_infos: dict[str, NodeInfo] = {}
        self.node_table = NodeTable()  # their numbers as arrays, for the batch plugins
        self._order: tuple[list[NodeInfo], npt.NDArray[np.intp]] | None = None  # node_infos' rows
        self.pod_node: dict[str, str] = {}  # assigned pod key → node it is counted on
        self.queue = SchedulingQueue(clock, self._wake)
        self.diagnoses: OrderedDict[str, Diagnosis] = OrderedDict()
        self.next_start_node_index = 0
        self.running = False
        self._cycle_timer: Timer | None = None

        def make_handle(profile: Profile) -> Handle:
            recorder = EventRecorder(server, self.user, profile.scheduler_name)  # events name it
            handle = Handle(server, self.user, clock, recorder, self.node_infos, self.informers)
            handle.framework = self
            return handle

        listed = [profiles] if isinstance(profiles, Profile) else list(profiles)
        self.frameworks = new_map(listed, make_handle)
        # The framework of the pod being scheduled (`_schedule_one` routes by schedulerName).
        self.framework: Framework = next(iter(self.frameworks.values()))
        for name, fw in self.frameworks.items():  # PreEnqueue plugins, and who waits on what
            self.queue.configure(name, fw.pre_enqueues, _may_reject(fw))
        self.nominator = Nominator()  # pods preemption nominated, per node
        self.nodes.add_handler(self._node_added, self._node_updated, self._node_deleted)
        self.pods.add_handler(self._pod_added, self._pod_updated, self._pod_deleted)
        # the storage objects VolumeBinding waits on: their changes move the pods it rejected
        for resource, kind, label in STORAGE_EVENTS:
            self.informers.get(resource).add_handler(*queue_movers(self.queue, kind, label))

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        self.running = True
        self.informers.start()
        self.queue.start()
        self._wake()

    def stop(self) -> None:
        self.running = False
        self.queue.stop()
        self.informers.stop()
        if self._cycle_timer is not None:
            self._cycle_timer.cancel()
            self._cycle_timer = None

    def queue_snapshot(self) -> list[QueuedPodSnapshot]:
        """Every pod the scheduling queue holds, with its pool (active, in-flight, backoff,
        unschedulable, gated), attempts, the plugins that rejected it and when it will next be
        moved without an event: see `QueuedPodSnapshot`. A plain list, safe to keep."""
        return self.queue.snapshot()


def _may_reject(fw: Framework) -> list[Plugin]:
    """A profile's plugins that can reject a pod (PreEnqueue, PreFilter, Filter, Reserve,
    Permit), each once: the ones whose registered events the queue waits on."""
    plugins: dict[str, Plugin] = {}
    for group in (fw.pre_enqueues, fw.pre_filters, fw.filters, fw.reserves, fw.permits):
        for plugin in group:
            plugins.setdefault(plugin.name, plugin)
    return list(plugins.values())
