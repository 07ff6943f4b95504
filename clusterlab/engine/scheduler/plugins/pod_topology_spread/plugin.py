"""PodTopologySpread: spread a workload's pods over zones, nodes or any topology domain.

A pod's `topologySpreadConstraints` name a topology key (a node label such as
`topology.kubernetes.io/zone`), a selector of the pods to spread and a `maxSkew`: how much more
matching pods one domain may hold than the least loaded. `DoNotSchedule` constraints are
enforced by PreFilter/Filter (`filtering.py`), `ScheduleAnyway` ones are preferences scored by
PreScore/Score/NormalizeScore (`scoring.py`), weight 2.

A pod without constraints of its own gets the profile's default constraints
(`pluginConfig` args `defaultConstraints` with `defaultingType: List`), or with the default
`defaultingType: System` the built-in ones: hostname maxSkew 3 and zone maxSkew 5, both
ScheduleAnyway. Default constraints take their selector from the Services, ReplicaSets,
StatefulSets and ReplicationControllers that select the pod, which is why the scheduler watches
those kinds (only the kinds this cluster serves).

A pod it rejected is requeued by the pod and node events of `hints.py`; preemption's dry run
updates the PreFilter counts through AddPod/RemovePod.

Arguments are defaulted and validated as kube-scheduler does when it builds the plugin
(`args.py`); a bad one stops the scheduler from starting.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ....errors import BadRequest
from ....kinds import KINDS
from ...events import (
    ADD,
    DELETE,
    NODE,
    POD,
    QUEUE,
    UPDATE_NODE_LABEL,
    UPDATE_NODE_TAINT,
    UPDATE_POD_LABEL,
    UPDATE_POD_TOLERATIONS,
    ClusterEvent,
    ClusterEventWithHint,
)
from ...framework import (
    ERROR,
    OK,
    SKIP,
    CycleState,
    FilterPlugin,
    Handle,
    NodeInfo,
    PreFilterPlugin,
    PreScorePlugin,
    ScorePlugin,
    Status,
)
from .args import SYSTEM_DEFAULTING, validate_args
from .common import (
    DO_NOT_SCHEDULE,
    SCHEDULE_ANYWAY,
    SYSTEM_DEFAULT_CONSTRAINTS,
    SpreadConstraint,
    default_selector,
    filter_constraints,
)
from .filtering import PreFilterState, filter_node, pre_filter_state
from .hints import after_node_change, after_pod_change
from .scoring import PreScoreState, normalize_scores, pre_score_state, score_node

Obj = dict[str, Any]
PRE_FILTER_KEY = "PreFilterPodTopologySpread"
PRE_SCORE_KEY = "PreScorePodTopologySpread"
# The kinds whose selectors make up a default constraint's selector (`setListers`).
SELECTOR_SOURCES = ("services", "replicationcontrollers", "replicasets", "statefulsets")


class PodTopologySpread(PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin):
    name = "PodTopologySpread"

    def __init__(self, args: Obj | None = None, handle: Handle | None = None) -> None:
        super().__init__(args, handle)
        defaulting, constraints = validate_args(self.args)
        self.system_defaulted = defaulting == SYSTEM_DEFAULTING
        self.default_constraints = SYSTEM_DEFAULT_CONSTRAINTS if self.system_defaulted else constraints
        self._compiled_defaults: dict[str, list[SpreadConstraint]] = {}
        self.informers: dict[str, Any] = {}
        factory = handle.informers if handle is not None else None
        if self.default_constraints and factory is not None:
            served = {k.plural for k in KINDS}
            self.informers = {r: factory.get(r) for r in SELECTOR_SOURCES if r in served}

    # -- constraints ----------------------------------------------------------------------

    def _lookup(self, resource: str, key: str) -> Obj | None:
        informer = self.informers.get(resource)
        return informer.get(key) if informer is not None else None

    def _defaults(self, labels: dict[str, str], action: str) -> list[SpreadConstraint]:
        """The default constraints for `action`; the same for every pod unless one of them
        has matchLabelKeys (then they depend on the pod's labels), so compiled once."""
        if any(c.get("matchLabelKeys") for c in self.default_constraints):
            return filter_constraints(self.default_constraints, labels, action)
        compiled = self._compiled_defaults.get(action)
        if compiled is None:
            compiled = self._compiled_defaults[action] = filter_constraints(
                self.default_constraints, {}, action
            )
        return compiled

    def _constraints(self, pod: Obj, action: str) -> list[SpreadConstraint]:
        """The pod's own constraints for `action`, else the defaults with a deduced selector."""
        labels = pod["metadata"].get("labels") or {}
        own = pod["spec"].get("topologySpreadConstraints") or []
        if own:
            return filter_constraints(own, labels, action)
        constraints = self._defaults(labels, action)
        if not constraints:
            return []
        services = self.informers["services"].list() if "services" in self.informers else []
        selector = default_selector(pod, services, self._lookup)
        if selector.empty():
            return []
        return [
            SpreadConstraint(
                c.max_skew,
                c.topology_key,
                selector,
                c.min_domains,
                c.node_affinity_policy,
                c.node_taints_policy,
            )
            for c in constraints
        ]

    # -- filtering ------------------------------------------------------------------------

    def pre_filter(self, state: CycleState, pod: Obj, nodes: list[NodeInfo]) -> Status:
        try:
            constraints = self._constraints(pod, DO_NOT_SCHEDULE)
        except BadRequest as e:
            return Status(
                ERROR, [f"get constraints from pod: obtaining pod's hard topology spread constraints: {e}"]
            )
        if not constraints:
            return Status(SKIP)
        state[PRE_FILTER_KEY] = pre_filter_state(pod, constraints, nodes)
        return OK

    def filter(self, state: CycleState, pod: Obj, node: NodeInfo) -> Status:
        s: PreFilterState = state[PRE_FILTER_KEY]
        return filter_node(s, pod, node, self.name) or OK

    def add_pod(self, state: CycleState, pod: Obj, key: str, to_add: Obj, node: NodeInfo) -> Status:
        s: PreFilterState | None = state.get(PRE_FILTER_KEY)
        if s is not None:
            s.update_with_pod(to_add, node, pod, 1)
        return OK

    def remove_pod(self, state: CycleState, pod: Obj, key: str, to_remove: Obj, node: NodeInfo) -> Status:
        s: PreFilterState | None = state.get(PRE_FILTER_KEY)
        if s is not None:
            s.update_with_pod(to_remove, node, pod, -1)
        return OK

    # -- scoring --------------------------------------------------------------------------

    def pre_score(self, state: CycleState, pod: Obj, nodes: list[NodeInfo]) -> Status:
        if not (self.handle.node_infos if self.handle is not None else nodes):
            return Status(SKIP)
        try:
            constraints = self._constraints(pod, SCHEDULE_ANYWAY)
        except BadRequest as e:
            return Status(
                ERROR, [f"calculating preScoreState: obtaining pod's soft topology spread constraints: {e}"]
            )
        if not constraints:
            return Status(SKIP)
        # Nodes must carry every topology key unless these are the system defaults, so a
        # cluster without zone labels still spreads by hostname.
        require_all = bool(pod["spec"].get("topologySpreadConstraints")) or not self.system_defaulted
        all_nodes = list(self.handle.node_infos.values()) if self.handle is not None else list(nodes)
        state[PRE_SCORE_KEY] = pre_score_state(pod, constraints, nodes, all_nodes, require_all)
        return OK

    def score(self, state: CycleState, pod: Obj, node: NodeInfo) -> int:
        s: PreScoreState = state[PRE_SCORE_KEY]
        return score_node(s, pod, node)

    def normalize(self, state: CycleState, pod: Obj, scores: dict[str, int]) -> None:
        normalize_scores(state[PRE_SCORE_KEY], scores)

    # -- requeueing -----------------------------------------------------------------------

    def events_to_register(self) -> Sequence[ClusterEventWithHint]:
        pod_actions = ADD | UPDATE_POD_LABEL | UPDATE_POD_TOLERATIONS | DELETE
        return (
            ClusterEventWithHint(ClusterEvent(POD, pod_actions), self.is_schedulable_after_pod_change),
            ClusterEventWithHint(
                ClusterEvent(NODE, ADD | DELETE | UPDATE_NODE_LABEL | UPDATE_NODE_TAINT),
                self.is_schedulable_after_node_change,
            ),
        )

    def _hard_constraints(self, pod: Obj) -> list[SpreadConstraint] | None:
        try:
            return self._constraints(pod, DO_NOT_SCHEDULE)
        except BadRequest:
            return None  # an error: Queue, as kube-scheduler does

    def is_schedulable_after_pod_change(self, pod: Obj, old: Obj | None, new: Obj | None) -> str:
        constraints = self._hard_constraints(pod)
        return QUEUE if constraints is None else after_pod_change(constraints, pod, old, new)

    def is_schedulable_after_node_change(self, pod: Obj, old: Obj | None, new: Obj | None) -> str:
        constraints = self._hard_constraints(pod)
        return QUEUE if constraints is None else after_node_change(constraints, old, new)
