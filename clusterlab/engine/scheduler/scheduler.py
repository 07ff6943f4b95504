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
with the FitError message, and waits in the unschedulable pool until a cluster event could
help. Every attempt's Diagnosis is kept for the UI's "why is my pod Pending?".
"""

from __future__ import annotations

import contextlib
import random
from collections import OrderedDict
from typing import Any

from ..apiserver import APIServer
from ..audit import User
from ..clock import Clock, Timer
from ..controllers.base import InformerFactory
from ..errors import ApiError
from ..informers import key_of
from ..jsonutil import copy_json
from ..recorder import EventRecorder
from .framework import (
    SKIP,
    BindPlugin,
    CycleState,
    Diagnosis,
    FilterPlugin,
    Handle,
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
    ScorePlugin,
    Status,
)
from .queue import SchedulingQueue
from .registry import DEFAULT_PROFILE, REGISTRY, Profile

Obj = dict[str, Any]
MIN_FEASIBLE_NODES = 100
MIN_FEASIBLE_PERCENTAGE = 5
DIAGNOSES_KEPT = 2000


def num_feasible_nodes_to_find(num_nodes: int, percentage: int = 0) -> int:
    """`numFeasibleNodesToFind` from kube-scheduler's schedule_one.go."""
    if num_nodes < MIN_FEASIBLE_NODES or percentage >= 100:
        return num_nodes
    adaptive = percentage
    if adaptive <= 0:
        adaptive = max(50 - num_nodes // 125, MIN_FEASIBLE_PERCENTAGE)
    return max(num_nodes * adaptive // 100, MIN_FEASIBLE_NODES)


def _is_terminal(pod: Obj) -> bool:
    return pod.get("status", {}).get("phase") in ("Succeeded", "Failed")


class Scheduler:
    def __init__(
        self, server: APIServer, clock: Clock, rng: random.Random, profile: Profile = DEFAULT_PROFILE
    ) -> None:
        self.server = server
        self.clock = clock
        self.rng = rng
        self.profile = profile
        self.user = User("system:kube-scheduler", "kube-scheduler")
        self.recorder = EventRecorder(server, self.user, profile.scheduler_name)
        self.informers = InformerFactory(server, self.user)
        self.pods = self.informers.get("pods")
        self.nodes = self.informers.get("nodes")
        self.node_infos: dict[str, NodeInfo] = {}
        self.pod_node: dict[str, str] = {}  # assigned pod key → node it is counted on
        self.queue = SchedulingQueue(clock, self._wake)
        self.diagnoses: OrderedDict[str, Diagnosis] = OrderedDict()
        self.next_start_node_index = 0
        self.running = False
        self._cycle_timer: Timer | None = None
        self.handle = Handle(server, self.user, clock, self.recorder, self.node_infos)
        self.plugins: dict[str, Plugin] = {
            name: REGISTRY[name](profile.plugin_args.get(name), self.handle)
            for name, _ in profile.multi_point
        }

        def at(point: str, kind: type) -> list:
            return [p for n in profile.enabled(point) if isinstance(p := self.plugins[n], kind)]

        self.pre_filters: list[PreFilterPlugin] = at("preFilter", PreFilterPlugin)
        self.filters: list[FilterPlugin] = at("filter", FilterPlugin)
        self.post_filters: list[PostFilterPlugin] = at("postFilter", PostFilterPlugin)
        self.pre_scores: list[PreScorePlugin] = at("preScore", PreScorePlugin)
        self.scores = [(p, profile.weight_of(p.name)) for p in at("score", ScorePlugin)]
        self.reserves: list[ReservePlugin] = at("reserve", ReservePlugin)
        self.permits: list[PermitPlugin] = at("permit", PermitPlugin)
        self.pre_binds: list[PreBindPlugin] = at("preBind", PreBindPlugin)
        self.binders: list[BindPlugin] = at("bind", BindPlugin)
        self.post_binds: list[PostBindPlugin] = at("postBind", PostBindPlugin)
        self.nodes.add_handler(self._node_added, self._node_updated, self._node_deleted)
        self.pods.add_handler(self._pod_added, self._pod_updated, self._pod_deleted)

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

    # -- cache maintenance ----------------------------------------------------------------

    def _node_added(self, node: Obj) -> None:
        name = node["metadata"]["name"]
        info = self.node_infos.get(name)
        if info is None:
            self.node_infos[name] = NodeInfo(node)
        else:
            info.set_node(node)
        self.queue.move_all_to_active_or_backoff()

    def _node_updated(self, old: Obj, new: Obj) -> None:
        self._node_added_quiet(new)
        if (
            old.get("spec") != new.get("spec")
            or old["metadata"].get("labels") != new["metadata"].get("labels")
            or old.get("status", {}).get("allocatable") != new.get("status", {}).get("allocatable")
        ):
            self.queue.move_all_to_active_or_backoff()

    def _node_added_quiet(self, node: Obj) -> None:
        info = self.node_infos.get(node["metadata"]["name"])
        if info is None:
            self.node_infos[node["metadata"]["name"]] = NodeInfo(node)
        else:
            info.set_node(node)

    def _node_deleted(self, node: Obj) -> None:
        self.node_infos.pop(node["metadata"]["name"], None)

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
        return (
            pod["spec"].get("schedulerName", "default-scheduler") == self.profile.scheduler_name
            and not pod["spec"].get("nodeName")
            and not pod["metadata"].get("deletionTimestamp")
        )

    def _pod_added(self, pod: Obj) -> None:
        key = key_of(pod)
        if pod["spec"].get("nodeName"):
            self._account(key, pod)
        elif self._responsible(pod):
            self.queue.add(key, pod)

    def _pod_updated(self, old: Obj, new: Obj) -> None:
        key = key_of(new)
        if new["spec"].get("nodeName"):
            self.queue.delete(key)
            if (
                old["spec"] != new["spec"]
                or _is_terminal(new) != _is_terminal(old)
                or key not in self.pod_node
            ):
                self._account(key, new)
            if _is_terminal(new) and not _is_terminal(old):
                self.queue.move_all_to_active_or_backoff()
        elif not self._responsible(new):
            self.queue.delete(key)
        elif key in self.queue.unschedulable and old["spec"] != new["spec"]:
            self.queue.move_all_to_active_or_backoff()

    def _pod_deleted(self, pod: Obj) -> None:
        key = key_of(pod)
        self.queue.delete(key)
        node = self.pod_node.pop(key, None)
        if node is not None:
            info = self.node_infos.get(node)
            if info is not None:
                info.remove_pod(key)
            self.queue.move_all_to_active_or_backoff()  # AssignedPodDelete frees room

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
                self._attempt(qp.key, pod)
        self._wake()

    def _attempt(self, key: str, pod: Obj) -> None:
        diagnosis = self.find_node(pod)
        self.diagnoses[key] = diagnosis
        self.diagnoses.move_to_end(key)
        while len(self.diagnoses) > DIAGNOSES_KEPT:
            self.diagnoses.popitem(last=False)
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        if diagnosis.selected is None:
            message = (
                diagnosis.fit_error() if diagnosis.num_all_nodes else "no nodes available to schedule pods"
            )
            self.recorder.event(pod, "Warning", "FailedScheduling", message)
            self._set_unschedulable(pod, message)
            self.queue.unschedulable_pod(key)
            return
        node = diagnosis.selected
        assumed = copy_json(pod)
        assumed["spec"]["nodeName"] = node
        self._account(key, assumed)
        failed = self._reserve_permit_bind(diagnosis.state, pod, node)
        if failed is not None:
            diagnosis.bind_error = failed.message()
            info = self.node_infos.get(node)
            if info is not None:
                info.remove_pod(key)
            self.pod_node.pop(key, None)
            self.queue.requeue_with_backoff(key)
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
            for plugin in self.pre_binds:
                st = plugin.pre_bind(state, pod, node)
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

    def _set_unschedulable(self, pod: Obj, message: str) -> None:
        for c in pod.get("status", {}).get("conditions") or ():
            if c.get("type") == "PodScheduled" and c.get("status") == "False" and c.get("message") == message:
                return
        cond = {
            "type": "PodScheduled",
            "status": "False",
            "lastProbeTime": None,
            "lastTransitionTime": self.server.timestamp(),
            "reason": "Unschedulable",
            "message": message,
        }
        others = [c for c in pod.get("status", {}).get("conditions") or () if c.get("type") != "PodScheduled"]
        with contextlib.suppress(ApiError):  # the next attempt writes it again
            self.server.patch(
                self.user,
                "pods",
                pod["metadata"]["name"],
                {"status": {"conditions": [*others, cond]}},
                namespace=pod["metadata"]["namespace"],
                subresource="status",
                copy=False,
            )

    def find_node(self, pod: Obj) -> Diagnosis:
        """Run the profile for one pod against the current cache; pure apart from the rng."""
        nodes = list(self.node_infos.values())
        diagnosis = Diagnosis(pod=key_of(pod), time=self.clock.now, num_all_nodes=len(nodes))
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
        n = len(nodes)
        want = num_feasible_nodes_to_find(n, self.profile.percentage_of_nodes_to_score)
        feasible: list[NodeInfo] = []
        start = self.next_start_node_index % n
        processed = 0
        for i in range(n):
            info = nodes[(start + i) % n]
            processed += 1
            for plugin in filters:
                st = plugin.filter(state, pod, info)
                if not st.ok:
                    diagnosis.node_status[info.name] = st
                    break
            else:
                feasible.append(info)
                if len(feasible) >= want:
                    break
        self.next_start_node_index = (start + processed) % n
        diagnosis.nodes_evaluated = processed
        diagnosis.feasible = [f.name for f in feasible]
        if not feasible:
            self._post_filter(state, pod, diagnosis, nodes)
            return diagnosis
        if len(feasible) == 1:
            diagnosis.selected = feasible[0].name
            return diagnosis
        self._score(state, pod, feasible, diagnosis)
        return diagnosis

    def _post_filter(self, state: CycleState, pod: Obj, diagnosis: Diagnosis, nodes: list[NodeInfo]) -> None:
        """PostFilter plugins run in order until one nominates a node."""
        for plugin in self.post_filters:
            result = plugin.post_filter(state, pod, diagnosis, nodes)
            diagnosis.post_filter_msg = result.message
            if result.nominated_node:
                diagnosis.nominated_node = result.nominated_node
                return

    def _score(self, state: CycleState, pod: Obj, feasible: list[NodeInfo], diagnosis: Diagnosis) -> None:
        skipped: set[str] = set()
        for plugin in self.pre_scores:
            st: Status = plugin.pre_score(state, pod, feasible)
            if st.code == SKIP:
                skipped.add(plugin.name)
        diagnosis.skipped_score_plugins = sorted(skipped)
        names = [info.name for info in feasible]
        totals = [0] * len(feasible)
        for plugin, weight in self.scores:
            if plugin.name in skipped:
                continue
            score = plugin.score
            raw = {info.name: score(state, pod, info) for info in feasible}
            normalized = dict(raw)
            plugin.normalize(state, pod, normalized)
            diagnosis.plugin_scores[plugin.name] = PluginScores(weight, raw, normalized)
            for i, name in enumerate(names):
                totals[i] += normalized[name] * weight
        diagnosis.totals = dict(zip(names, totals, strict=True))
        # selectHost: the best total; ties broken by reservoir sampling, as kube-scheduler does.
        best: str | None = None
        best_score = -1
        ties = 0
        rand = self.rng.random
        for name, total in zip(names, totals, strict=True):
            if total > best_score:
                best, best_score, ties = name, total, 1
            elif total == best_score:
                ties += 1
                if rand() * ties < 1.0:
                    best = name
        diagnosis.selected = best
