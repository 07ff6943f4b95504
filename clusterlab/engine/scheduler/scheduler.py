"""kube-scheduler: watch for unscheduled pods, pick a node for each, bind.

The loop is the real one in miniature. Informers keep a cache of nodes and of the pods
assigned to them (what each node's pods request). Pods without `spec.nodeName` whose
`schedulerName` is ours wait in the scheduling queue. Each cycle takes one pod and runs the
profile: PreFilter; Filter over the nodes, starting where the previous cycle stopped and
stopping once `numFeasibleNodesToFind` nodes passed (all nodes below 100, adaptive
50 % − N/125 above, at least 5 % and 100 nodes); PostFilter when none passed; PreScore, Score,
NormalizeScore and weights; the highest total wins (ties broken at random from the seeded
source). The pod is *assumed* onto the node in the cache at once and bound through
`pods/binding`; the kubelet takes it from there.

A pod that fits nowhere gets a `FailedScheduling` event and a `PodScheduled=False` condition
with the FitError message, and waits in the unschedulable pool until a cluster event that
one of the plugins which rejected it registered could help (`queue.py`, `events.py`). Every
attempt's Diagnosis is kept for the UI's "why is my pod Pending?"; `queue_snapshot()` tells
which pool each pending pod waits in.
"""

from __future__ import annotations

import contextlib
import operator
import random
from collections import OrderedDict
from collections.abc import Sequence
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt

from ..apiserver import APIServer
from ..audit import User
from ..clock import Clock, Timer
from ..controllers.base import InformerFactory
from ..errors import ApiError
from ..informers import key_of
from ..recorder import EventRecorder
from . import events
from .framework import (
    ERROR,
    OK,
    SKIP,
    UNRESOLVABLE,
    UNSCHEDULABLE,
    WAIT,
    WAIT_POLL_SECONDS,
    BindPlugin,
    CycleState,
    Diagnosis,
    FilterPlugin,
    Handle,
    NodeFacts,
    NodeInfo,
    PermitPlugin,
    Plugin,
    PluginScores,
    PostBindPlugin,
    PostFilterPlugin,
    PreBindPlugin,
    PreFilterPlugin,
    PreScorePlugin,
    ReservePlugin,
    Resources,
    ScorePlugin,
    Status,
)
from .node_columns import ROWS_KEY, NodeTable
from .node_columns import STATE_KEY as COLUMNS_KEY
from .nominator import NominatedPodsPass, Nominator, nominated_node_name, pod_priority
from .profiles import Framework, new_map
from .queue import QueuedPodSnapshot, SchedulingQueue
from .registry import DEFAULT_PROFILE, Profile
from .selection import filter_nodes, num_feasible_nodes_to_find, select_host

Obj = dict[str, Any]
DIAGNOSES_KEPT = 2000
_NAME = operator.attrgetter("name")
NODE_FACTS_KEPT = 100  # per attempt, of the nodes filtered out (what the explanation quotes)


def _is_terminal(pod: Obj) -> bool:
    return pod.get("status", {}).get("phase") in ("Succeeded", "Failed")


_STORAGE_EVENTS = (
    ("persistentvolumeclaims", events.PERSISTENT_VOLUME_CLAIM, "PersistentVolumeClaim"),
    ("persistentvolumes", events.PERSISTENT_VOLUME, "PersistentVolume"),
    ("storageclasses", events.STORAGE_CLASS, "StorageClass"),
)


def _moving(queue: SchedulingQueue, resource: str, label: str) -> tuple[Any, Any, Any]:
    """Informer handlers that raise `<label>Add`/`Update`/`Delete` in the scheduling queue."""
    add = events.ClusterEvent(resource, events.ADD, f"{label}Add")
    update = events.ClusterEvent(resource, events.UPDATE, f"{label}Update")
    delete = events.ClusterEvent(resource, events.DELETE, f"{label}Delete")
    return (
        lambda new: queue.move_all(add, None, new),
        lambda old, new: queue.move_all(update, old, new),
        lambda old: queue.move_all(delete, old, None),
    )


class Scheduler:
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
        for resource, kind, label in _STORAGE_EVENTS:
            self.informers.get(resource).add_handler(*_moving(self.queue, kind, label))

    # -- the current pod's framework -----------------------------------------------------

    @property
    def profile(self) -> Profile:
        return self.framework.profile

    @property
    def handle(self) -> Handle:
        return self.framework.handle  # type: ignore[return-value]

    @property
    def recorder(self) -> EventRecorder:
        return self.handle.recorder  # type: ignore[no-any-return]

    @property
    def plugins(self) -> dict[str, Plugin]:
        return self.framework.plugins

    @property
    def pre_filters(self) -> list[PreFilterPlugin]:
        return self.framework.pre_filters

    @property
    def filters(self) -> list[FilterPlugin]:
        return self.framework.filters

    @property
    def post_filters(self) -> list[PostFilterPlugin]:
        return self.framework.post_filters

    @property
    def pre_scores(self) -> list[PreScorePlugin]:
        return self.framework.pre_scores

    @property
    def scores(self) -> list[tuple[ScorePlugin, int]]:
        return self.framework.scores

    @property
    def reserves(self) -> list[ReservePlugin]:
        return self.framework.reserves

    @property
    def permits(self) -> list[PermitPlugin]:
        return self.framework.permits

    @property
    def pre_binds(self) -> list[PreBindPlugin]:
        return self.framework.pre_binds

    @property
    def binders(self) -> list[BindPlugin]:
        return self.framework.binders

    @property
    def post_binds(self) -> list[PostBindPlugin]:
        return self.framework.post_binds

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

    def _wake(self) -> None:
        if self.running and self._cycle_timer is None and len(self.queue):
            self._cycle_timer = self.clock.call_soon(self._schedule_one)

    def queue_snapshot(self) -> list[QueuedPodSnapshot]:
        """Every pod the scheduling queue holds, with its pool (active, in-flight, backoff,
        unschedulable, gated), attempts, the plugins that rejected it and when it will next be
        moved without an event: see `QueuedPodSnapshot`. A plain list, safe to keep."""
        return self.queue.snapshot()

    # -- cache maintenance ----------------------------------------------------------------

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

    # -- one scheduling cycle -------------------------------------------------------------

    def _schedule_one(self) -> None:
        self._cycle_timer = None
        if not self.running:
            return
        qp = self.queue.pop()
        if qp is not None:
            pod = self.pods.get(qp.key)
            if pod is None or not self._responsible(pod):
                self.queue.delete(qp.key)
            else:
                self.framework = self.frameworks[pod["spec"].get("schedulerName", "default-scheduler")]
                self._attempt(qp.key, pod)
        self._wake()

    def _attempt(self, key: str, pod: Obj) -> None:
        diagnosis = self.find_node(pod)
        self.diagnoses[key] = diagnosis
        self.diagnoses.move_to_end(key)
        while len(self.diagnoses) > DIAGNOSES_KEPT:
            self.diagnoses.popitem(last=False)
        if diagnosis.selected is None:
            message = (
                diagnosis.fit_error() if diagnosis.num_all_nodes else "no nodes available to schedule pods"
            )
            nominated = diagnosis.nominated_node  # None: PostFilter left the nomination alone
            if nominated is not None:
                self.nominator.add(key, pod, nominated)  # "" clears it
            self.recorder.event(pod, "Warning", "FailedScheduling", message)
            self._set_unschedulable(pod, message, nominated)
            self.queue.add_unschedulable(key, diagnosis.unschedulable_plugins)
            return
        node = diagnosis.selected
        # The cached pod with spec.nodeName set; everything else is shared with the informer's
        # copy, which nobody mutates (the cache's rule), so only the path to it is copied.
        assumed = {**pod, "spec": {**pod["spec"], "nodeName": node}}
        self._account(key, assumed)
        self.nominator.delete(key)
        failed = self._reserve_permit_bind(diagnosis.state, pod, node)
        if failed is not None and failed.code == WAIT:
            self._binding_waits(key, pod, node, diagnosis)
            return
        self._binding_done(key, pod, node, diagnosis, failed)

    def _binding_waits(self, key: str, pod: Obj, node: str, diagnosis: Diagnosis) -> None:
        """A PreBind plugin waits (for volumes to be bound): the pod stays assumed on the node
        while the scheduler goes on with other pods; its binding cycle resumes after a poll."""

        def resume() -> None:
            if not self.running or self.pod_node.get(key) != node:
                return  # the scheduler stopped, or the pod was deleted meanwhile
            self.framework = self.frameworks[pod["spec"].get("schedulerName", "default-scheduler")]
            failed = self._pre_bind_and_bind(diagnosis.state, pod, node)
            if failed is not None and failed.code == WAIT:
                self._binding_waits(key, pod, node, diagnosis)
                return
            self._binding_done(key, pod, node, diagnosis, failed)

        self.clock.call_later(WAIT_POLL_SECONDS, resume)

    def _binding_done(
        self, key: str, pod: Obj, node: str, diagnosis: Diagnosis, failed: Status | None
    ) -> None:
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        if failed is not None:
            diagnosis.bind_error = failed.message()
            info = self.node_infos.get(node)
            if info is not None:
                info.remove_pod(key)
            self.pod_node.pop(key, None)
            rejected = failed.code in (UNSCHEDULABLE, UNRESOLVABLE) and failed.plugin
            self.queue.add_unschedulable(key, (failed.plugin,) if rejected else ())
            return
        self.queue.done(key)
        self.recorder.event(pod, "Normal", "Scheduled", f"Successfully assigned {ns}/{name} to {node}")

    def _reserve_permit_bind(self, state: CycleState, pod: Obj, node: str) -> Status | None:
        """Reserve → Permit → PreBind → Bind → PostBind; on a failure every Reserve plugin
        is unreserved, in reverse order, and the failing status returned."""
        failed: Status | None = None
        for plugin in self.reserves:
            st = plugin.reserve(state, pod, node)
            if not st.ok:
                failed = st
                break
        if failed is None:
            for plugin in self.permits:
                st = plugin.permit(state, pod, node)
                if not st.ok:
                    failed = st
                    break
        if failed is None:
            return self._pre_bind_and_bind(state, pod, node)
        for plugin in reversed(self.reserves):
            plugin.unreserve(state, pod, node)
        return failed

    def _pre_bind_and_bind(self, state: CycleState, pod: Obj, node: str) -> Status | None:
        """PreBind → Bind → PostBind (the binding cycle); a PreBind plugin that waits returns
        its WAIT status and is asked again (PreBind plugins are idempotent)."""
        failed: Status | None = None
        for plugin in self.pre_binds:
            st = plugin.pre_bind(state, pod, node)
            if st.code == WAIT:
                return st
            if not st.ok:
                failed = st
                break
        if failed is None:
            for plugin in self.binders:
                st = plugin.bind(state, pod, node)
                if st.code == SKIP:
                    continue
                if not st.ok:
                    failed = st
                break
        if failed is not None:
            for plugin in reversed(self.reserves):
                plugin.unreserve(state, pod, node)
            return failed
        for plugin in self.post_binds:
            plugin.post_bind(state, pod, node)
        return None

    def _set_unschedulable(self, pod: Obj, message: str, nominated: str | None = None) -> None:
        """`updatePod`: the PodScheduled=False condition and, when PostFilter set or cleared
        a nomination that differs from the pod's, `status.nominatedNodeName`."""
        current = pod.get("status", {}).get("nominatedNodeName") or ""
        nominate = nominated is not None and nominated != current
        for c in pod.get("status", {}).get("conditions") or ():
            if (
                c.get("type") == "PodScheduled"
                and c.get("status") == "False"
                and c.get("message") == message
                and not nominate
            ):
                return
        since = next(  # UpdatePodCondition keeps the transition time while the status holds
            (
                c.get("lastTransitionTime")
                for c in pod.get("status", {}).get("conditions") or ()
                if c.get("type") == "PodScheduled" and c.get("status") == "False"
            ),
            None,
        )
        cond = {
            "type": "PodScheduled",
            "status": "False",
            "lastProbeTime": None,
            "lastTransitionTime": since or self.server.timestamp(),
            "reason": "Unschedulable",
            "message": message,
        }
        others = [c for c in pod.get("status", {}).get("conditions") or () if c.get("type") != "PodScheduled"]
        nnn = {"nominatedNodeName": nominated or None} if nominate else {}
        with contextlib.suppress(ApiError):  # the next attempt writes it again
            self.server.patch(
                self.user,
                "pods",
                pod["metadata"]["name"],
                {"status": {"conditions": [*others, cond], **nnn}},
                namespace=pod["metadata"]["namespace"],
                subresource="status",
                copy=False,
            )

    def _nodes(self) -> tuple[list[NodeInfo], npt.NDArray[np.intp]]:
        """The cache's nodes in order and their rows in the node table (kept until a node
        comes or goes)."""
        if self._order is None:
            nodes = list(self.node_infos.values())
            rows = np.fromiter((info.row for info in nodes), dtype=np.intp, count=len(nodes))
            self._order = (nodes, rows)
        return self._order

    def find_node(self, pod: Obj) -> Diagnosis:
        """Run the profile for one pod against the current cache; pure apart from the rng and
        what PostFilter (preemption) does when no node fits."""
        nodes, rows = self._nodes()
        diagnosis = Diagnosis(pod=key_of(pod), time=self.clock.now, num_all_nodes=len(nodes))
        diagnosis.subject = pod
        diagnosis.filter_plugins = [p.name for p in self.filters]
        diagnosis.score_weights = {p.name: weight for p, weight in self.scores}
        if not nodes:
            return diagnosis
        state = CycleState()
        diagnosis.state = state
        skipped: set[str] = set()
        for plugin in self.pre_filters:
            st = plugin.pre_filter(state, pod, nodes)
            if st.code == SKIP:
                skipped.add(plugin.name)
            elif not st.ok:
                st.plugin = st.plugin or plugin.name
                diagnosis.pre_filter_msg = st.message()
                diagnosis.pre_filter_plugin = st.plugin
                for info in nodes:  # every node has the same status (SetAbsentNodesStatus)
                    diagnosis.node_status[info.name] = st
                self._post_filter(state, pod, diagnosis, nodes)
                return diagnosis
        diagnosis.skipped_filter_plugins = sorted(skipped)
        filters = [p for p in self.filters if p.name not in skipped]
        state.skip_filter_plugins = frozenset(skipped)
        if self._fits_nominated_node(state, pod, diagnosis):
            return diagnosis
        if self.nominator.pods_by_node:  # filters run twice where pods are nominated
            filters = [NominatedPodsPass(self), *filters]
        n = len(nodes)
        want = num_feasible_nodes_to_find(n, self.profile.percentage_of_nodes_to_score)
        start = self.next_start_node_index % n
        feasible, failures, processed = filter_nodes(
            state, pod, filters, nodes, want, (self.node_table, rows), start
        )
        for info, st in failures:
            diagnosis.node_status[info.name] = st
            if len(diagnosis.node_facts) < NODE_FACTS_KEPT:
                req = info.requested
                facts = NodeFacts(info.node, Resources(req.milli_cpu, req.memory), len(info.pods))
                diagnosis.node_facts[info.name] = facts
        self.next_start_node_index = (start + processed) % n
        diagnosis.nodes_evaluated = processed
        diagnosis.feasible = names = list(map(_NAME, feasible))
        if not feasible:
            state.pop(ROWS_KEY, None)
            self._post_filter(state, pod, diagnosis, nodes)
            return diagnosis
        if len(feasible) == 1:
            diagnosis.selected = feasible[0].name
        else:
            self._score(state, pod, feasible, tuple(names), diagnosis)
        state.pop(ROWS_KEY, None)  # the batches' rows: not kept with the Diagnosis
        return diagnosis

    def _post_filter(self, state: CycleState, pod: Obj, diagnosis: Diagnosis, nodes: list[NodeInfo]) -> None:
        """PostFilter plugins run in order until one nominates a node; a result's
        `nominated_node` of "" clears the pod's nomination."""
        for plugin in self.post_filters:
            result = plugin.post_filter(state, pod, diagnosis, nodes)
            diagnosis.post_filter_msg = result.message
            if result.nominated_node is not None:
                diagnosis.nominated_node = result.nominated_node
            if result.nominated_node:
                return

    # -- what the framework offers plugins (preemption) -------------------------------------

    def _fits_nominated_node(self, state: CycleState, pod: Obj, diagnosis: Diagnosis) -> bool:
        """`evaluateNominatedNode`: a pod nominated by an earlier preemption tries that node
        first, alone; if it passes the filters it is chosen without scoring."""
        info = self.node_infos.get(nominated_node_name(pod))
        if info is None or not self.run_filters_with_nominated_pods(state, pod, info).ok:
            return False
        diagnosis.nodes_evaluated = 1
        diagnosis.feasible = [info.name]
        diagnosis.selected = info.name
        return True

    def run_filter_plugins(self, state: CycleState, pod: Obj, info: NodeInfo) -> Status:
        """`RunFilterPlugins`: the profile's filters in order (less those whose PreFilter
        said Skip); the first rejection is the node's status."""
        skip = state.skip_filter_plugins
        for plugin in self.filters:
            if plugin.name in skip:
                continue
            try:
                st = plugin.filter(state, pod, info)
            except KeyError as missing:  # its PreFilter never ran (an earlier one rejected the pod)
                detail = f'error reading "{missing.args[0]}" from cycleState: not found'
                return Status(ERROR, [f'running "{plugin.name}" filter plugin: {detail}'], plugin.name)
            if not st.ok:
                return st
        return OK

    def add_ge_nominated_pods(
        self, state: CycleState, pod: Obj, info: NodeInfo
    ) -> tuple[bool, CycleState, NodeInfo, Status | None]:
        """`addGENominatedPods`: copies of the state and NodeInfo with the pods nominated to
        this node of equal or higher priority added, and whether there were any."""
        nominated = self.nominator.pods_for_node(info.name)
        if not nominated:
            return False, state, info, None
        me, priority = key_of(pod), pod_priority(pod)
        added = False
        state_out, info_out = state, info
        for key, other in nominated:
            if key == me or pod_priority(other) < priority:
                continue
            if not added:
                state_out, info_out, added = state.clone(), info.clone(), True
            info_out.add_pod(key, other)
            st = self.run_pre_filter_extension_add_pod(state_out, pod, key, other, info_out)
            if not st.ok:
                return False, state, info, Status(ERROR, st.reasons, st.plugin)
        return added, state_out, info_out, None

    def run_filters_with_nominated_pods(self, state: CycleState, pod: Obj, info: NodeInfo) -> Status:
        """`RunFilterPluginsWithNominatedPods`: with the node's nominated pods of equal or
        higher priority counted as running there, then (if there were any and that passed)
        without them — the pod must fit either way."""
        added, state_out, info_out, err = self.add_ge_nominated_pods(state, pod, info)
        if err is not None:
            return err
        st = self.run_filter_plugins(state_out, pod, info_out)
        if not added or not st.ok:
            return st
        return self.run_filter_plugins(state, pod, info)

    def run_pre_filter_extension_add_pod(
        self, state: CycleState, pod: Obj, key: str, to_add: Obj, info: NodeInfo
    ) -> Status:
        skip = state.skip_filter_plugins
        for plugin in self.pre_filters:
            if plugin.name not in skip:
                st = plugin.add_pod(state, pod, key, to_add, info)
                if not st.ok:
                    return st
        return OK

    def run_pre_filter_extension_remove_pod(
        self, state: CycleState, pod: Obj, key: str, to_remove: Obj, info: NodeInfo
    ) -> Status:
        skip = state.skip_filter_plugins
        for plugin in self.pre_filters:
            if plugin.name not in skip:
                st = plugin.remove_pod(state, pod, key, to_remove, info)
                if not st.ok:
                    return st
        return OK

    def _score(
        self,
        state: CycleState,
        pod: Obj,
        feasible: list[NodeInfo],
        names: tuple[str, ...],
        diagnosis: Diagnosis,
    ) -> None:
        skipped: set[str] = set()
        for plugin in self.pre_scores:
            st: Status = plugin.pre_score(state, pod, feasible)
            if st.code == SKIP:
                skipped.add(plugin.name)
        diagnosis.skipped_score_plugins = sorted(skipped)
        totals = np.zeros(len(feasible), dtype=np.int64)
        exact: list[int] | None = None  # Python ints, once a column leaves int64's safe range
        for plugin, weight in self.scores:
            if plugin.name in skipped:
                continue
            raw = plugin.score_many(state, pod, feasible)
            kind = type(plugin)
            if kind.normalize is ScorePlugin.normalize and kind.normalize_many is ScorePlugin.normalize_many:
                normalized = raw  # no NormalizeScore: the column is its raw scores
            else:
                normalized = plugin.normalize_many(state, pod, names, raw)
            diagnosis.plugin_scores[plugin.name] = PluginScores(weight, names, raw, normalized)
            if len(normalized) != len(names):
                raise ValueError(f"{plugin.name} scored {len(normalized)} of {len(names)} nodes")
            column = _int64_column(normalized, weight)
            if exact is None and column is not None:
                totals += column if weight == 1 else column * weight
                continue
            if exact is None:
                exact = totals.tolist()
            exact = list(map(operator.add, exact, map(operator.mul, map(int, normalized), repeat(weight))))
        state.pop(COLUMNS_KEY, None)  # the scored nodes' columns: not kept with the Diagnosis
        diagnosis.scored_nodes = names
        if exact is None:
            diagnosis.total_scores = totals.tolist()
            diagnosis.selected = names[select_host(totals, self.rng)]
        else:
            diagnosis.total_scores = exact
            diagnosis.selected = names[select_host(exact, self.rng)]


SAFE = 1 << 30  # |score| and |weight| below this: a weighted sum of a few hundred stays in int64


def _int64_column(scores: Sequence[int] | npt.NDArray[np.int64], weight: int) -> npt.NDArray[np.int64] | None:
    """A score column as int64 when it and its weight are small enough for exact sums."""
    if not -SAFE < weight < SAFE:
        return None
    try:
        column = scores if isinstance(scores, np.ndarray) else np.array(scores, dtype=np.int64)
    except OverflowError:
        return None
    if column.dtype != np.int64 or (len(column) and (column.max() >= SAFE or column.min() <= -SAFE)):
        return None
    return column


def _may_reject(fw: Framework) -> list[Plugin]:
    """A profile's plugins that can reject a pod (PreEnqueue, PreFilter, Filter, Reserve,
    Permit), each once: the ones whose registered events the queue waits on."""
    plugins: dict[str, Plugin] = {}
    for group in (fw.pre_enqueues, fw.pre_filters, fw.filters, fw.reserves, fw.permits):
        for plugin in group:
            plugins.setdefault(plugin.name, plugin)
    return list(plugins.values())
