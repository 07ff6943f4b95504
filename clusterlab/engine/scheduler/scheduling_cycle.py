"""The scheduling cycle: one pod from the queue, the profile's plugins, one node or a failure.

As `pkg/scheduler/schedule_one.go` (`ScheduleOne`, `schedulingCycle`, `schedulePod`,
`findNodesThatFitPod`, `handleSchedulingFailure`): the pod popped from the queue is routed to
its profile by `schedulerName`. A pod nominated by an earlier preemption tries that node first
(`evaluateNominatedNode`). Otherwise PreFilter runs once; Filter runs over the nodes, starting
where the previous cycle stopped and stopping once `numFeasibleNodesToFind` nodes passed (all
nodes below 100, adaptive 50 % − N/125 above, at least 5 % and 100 nodes), with the nominated
pods counted where any exist; PostFilter (preemption) runs when none passed; one feasible node
is chosen without scoring, several are scored (`prioritize.py`). The chosen node's pod is
*assumed* in the cache and handed to the binding cycle (`binding_cycle.py`).

A pod that fits nowhere gets a `FailedScheduling` event, a `PodScheduled=False` condition with
the FitError message (and the nomination PostFilter made or cleared), and waits in the
unschedulable pool until an event one of the plugins that rejected it registered could help.

Simplified: every attempt's Diagnosis is kept (the last `DIAGNOSES_KEPT` pods'), with the facts
of up to `NODE_FACTS_KEPT` of the nodes filtered out, for the "why is my pod Pending?" view;
no extenders, no parallel Filter runs, no metrics.
"""

from __future__ import annotations

import contextlib
import operator
import random
from collections import OrderedDict
from typing import Any

import numpy as np
import numpy.typing as npt

from ..apiserver import APIServer
from ..audit import User
from ..clock import Timer
from ..errors import ApiError
from ..informers import Informer, key_of
from .binding_cycle import BindingCycle
from .framework import SKIP, WAIT, CycleState, Diagnosis, NodeFacts, NodeInfo, Resources
from .node_columns import ROWS_KEY
from .nominator import NominatedPodsPass, nominated_node_name
from .prioritize import prioritize_nodes
from .selection import filter_nodes, num_feasible_nodes_to_find

Obj = dict[str, Any]
DIAGNOSES_KEPT = 2000
_NAME = operator.attrgetter("name")
NODE_FACTS_KEPT = 100  # per attempt, of the nodes filtered out (what the explanation quotes)


class SchedulingCycle(BindingCycle):
    """Pop a pod, find it a node (or fail it), hand it to the binding cycle."""

    server: APIServer
    user: User
    rng: random.Random
    pods: Informer
    diagnoses: OrderedDict[str, Diagnosis]  # each pod's last attempt, oldest first
    next_start_node_index: int
    _cycle_timer: Timer | None

    def _wake(self) -> None:
        if self.running and self._cycle_timer is None and len(self.queue):
            self._cycle_timer = self.clock.call_soon(self._schedule_one)

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
            prioritize_nodes(self.framework, self.rng, state, pod, feasible, tuple(names), diagnosis)
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
