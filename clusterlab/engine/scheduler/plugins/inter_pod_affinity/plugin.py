"""InterPodAffinity: place pods relative to other pods, by topology domain.

kube-scheduler's plugin of that name (PreFilter, Filter, PreScore, Score, NormalizeScore;
default score weight 2; PreFilterExtensions AddPod/RemovePod for preemption's what-if):
`podAffinity` / `podAntiAffinity` terms of the incoming pod, and — by symmetry — existing
pods' terms about it. `filtering.py` has the required terms,
`scoring.py` the preferred ones, `terms.py` how a term is read.

Args (`InterPodAffinityArgs`): `hardPodAffinityWeight` (0–100, default 1: how much an
existing pod's *required* affinity toward the incoming pod counts when scoring) and
`ignorePreferredTermsOfExistingPods` (default false).

The namespace lister it resolves `namespaceSelector` with is the scheduler's shared
namespaces informer, reached through the Handle as the real plugin reaches it through
`SharedInformerFactory()`.

Queueing hints (v1.32's `EventsToRegister`): a pod this plugin rejected is retried on an
assigned pod's Add, label Update or Delete, and on a node's Add, label or taint Update — when
the hint finds the change relevant (see the two `is_schedulable_after_*` methods). As in
v1.32, a pod rejected only because of an existing pod's anti-affinity is not requeued by that
pod's deletion (the hint looks at the waiting pod's own anti-affinity terms); the queue's
5-minute flush retries it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...events import (
    ADD,
    DELETE,
    NODE,
    POD,
    QUEUE,
    QUEUE_SKIP,
    UPDATE_NODE_LABEL,
    UPDATE_NODE_TAINT,
    UPDATE_POD_LABEL,
    ClusterEvent,
    ClusterEventWithHint,
)
from ...framework import (
    OK,
    SKIP,
    UNRESOLVABLE,
    UNSCHEDULABLE,
    CycleState,
    FilterPlugin,
    NodeInfo,
    PreFilterPlugin,
    PreScorePlugin,
    ScorePlugin,
    Status,
)
from . import filtering, scoring
from .terms import (
    NamespaceLister,
    PodTerms,
    WeightedTerm,
    matches_all,
    merge_namespaces,
    namespace_labels,
    pod_terms,
)

Obj = dict[str, Any]
PRE_FILTER_KEY = "PreFilterInterPodAffinity"
PRE_SCORE_KEY = "PreScoreInterPodAffinity"
DEFAULT_HARD_POD_AFFINITY_WEIGHT = 1


class InterPodAffinity(PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin):
    name = "InterPodAffinity"

    @property
    def hard_pod_affinity_weight(self) -> int:
        return int(self.args.get("hardPodAffinityWeight", DEFAULT_HARD_POD_AFFINITY_WEIGHT))

    @property
    def ignore_preferred_terms_of_existing_pods(self) -> bool:
        return bool(self.args.get("ignorePreferredTermsOfExistingPods", False))

    def _namespaces(self) -> NamespaceLister | None:
        informers = getattr(self.handle, "informers", None)
        return informers.get("namespaces") if informers is not None else None

    def _all_nodes(self, fallback: list[NodeInfo]) -> list[NodeInfo]:
        if self.handle is not None and self.handle.node_infos:
            return list(self.handle.node_infos.values())
        return fallback

    def _nodes_with_affinity(self, fallback: list[NodeInfo], required_anti: bool) -> list[NodeInfo]:
        """The nodes holding pods with (required anti-)affinity: the scheduler cache's lists,
        as kube-scheduler's snapshot keeps them, rather than a walk over every node."""
        if self.handle is not None and self.handle.node_infos:
            if required_anti:
                return self.handle.nodes_with_required_anti_affinity()
            return self.handle.nodes_with_affinity()
        if required_anti:
            return [info for info in fallback if info.pods_with_required_anti_affinity]
        return [info for info in fallback if info.pods_with_affinity]

    # -- PreFilter / Filter ---------------------------------------------------------------

    def pre_filter(self, state: CycleState, pod: Obj, nodes: list[NodeInfo]) -> Status:
        lister = self._namespaces()
        own = pod_terms(pod)
        terms = PodTerms(
            tuple(merge_namespaces(t, lister) for t in own.required_affinity),
            tuple(merge_namespaces(t, lister) for t in own.required_anti_affinity),
        )
        ns_labels = namespace_labels(pod["metadata"].get("namespace", ""), lister)
        with_anti = self._nodes_with_affinity(nodes, required_anti=True)
        existing = filtering.existing_anti_affinity_counts(pod, ns_labels, with_anti)
        affinity, anti_affinity = filtering.incoming_counts(terms, nodes)
        if not existing and not terms.required_affinity and not terms.required_anti_affinity:
            return Status(SKIP, plugin=self.name)
        state[PRE_FILTER_KEY] = filtering.FilterState(
            terms, pod, ns_labels, existing, affinity, anti_affinity
        )
        return OK

    def add_pod(self, state: CycleState, pod: Obj, key: str, to_add: Obj, node: NodeInfo) -> Status:
        state[PRE_FILTER_KEY].update_with_pod(to_add, node, 1)
        return OK

    def remove_pod(self, state: CycleState, pod: Obj, key: str, to_remove: Obj, node: NodeInfo) -> Status:
        state[PRE_FILTER_KEY].update_with_pod(to_remove, node, -1)
        return OK

    def filter(self, state: CycleState, pod: Obj, node: NodeInfo) -> Status:
        s: filtering.FilterState = state[PRE_FILTER_KEY]
        if not filtering.satisfies_pod_affinity(s, node):
            return Status(UNRESOLVABLE, [filtering.AFFINITY_RULES_NOT_MATCH], self.name)
        if not filtering.satisfies_pod_anti_affinity(s, node):
            return Status(UNSCHEDULABLE, [filtering.ANTI_AFFINITY_RULES_NOT_MATCH], self.name)
        if not filtering.satisfies_existing_pods_anti_affinity(s, node):
            return Status(UNSCHEDULABLE, [filtering.EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH], self.name)
        return OK

    # -- PreScore / Score / NormalizeScore ------------------------------------------------

    def pre_score(self, state: CycleState, pod: Obj, nodes: list[NodeInfo]) -> Status:
        own = pod_terms(pod)
        has_constraints = bool(own.preferred_affinity or own.preferred_anti_affinity)
        if self.ignore_preferred_terms_of_existing_pods and not has_constraints:
            return Status(SKIP, plugin=self.name)
        if has_constraints:
            all_nodes = self._all_nodes(nodes)
        else:
            all_nodes = self._nodes_with_affinity(nodes, required_anti=False)
        lister = self._namespaces()
        terms = PodTerms(
            preferred_affinity=tuple(
                WeightedTerm(merge_namespaces(w.term, lister), w.weight) for w in own.preferred_affinity
            ),
            preferred_anti_affinity=tuple(
                WeightedTerm(merge_namespaces(w.term, lister), w.weight) for w in own.preferred_anti_affinity
            ),
        )
        ns_labels = namespace_labels(pod["metadata"].get("namespace", ""), lister)
        scores = scoring.topology_score(pod, terms, ns_labels, all_nodes, self.hard_pod_affinity_weight)
        if not scores:
            return Status(SKIP, plugin=self.name)
        state[PRE_SCORE_KEY] = scores
        return OK

    def score(self, state: CycleState, pod: Obj, node: NodeInfo) -> int:
        return scoring.node_score(state[PRE_SCORE_KEY], node)

    def normalize(self, state: CycleState, pod: Obj, scores: dict[str, int]) -> None:
        if state.get(PRE_SCORE_KEY):
            scoring.normalize(scores)

    # -- queueing hints -------------------------------------------------------------------

    def events_to_register(self) -> Sequence[ClusterEventWithHint]:
        return (
            ClusterEventWithHint(
                ClusterEvent(POD, ADD | UPDATE_POD_LABEL | DELETE), self.is_schedulable_after_pod_change
            ),
            ClusterEventWithHint(
                ClusterEvent(NODE, ADD | UPDATE_NODE_LABEL | UPDATE_NODE_TAINT),
                self.is_schedulable_after_node_change,
            ),
        )

    def is_schedulable_after_pod_change(self, pod: Obj, old: Obj | None, new: Obj | None) -> str:
        """`isSchedulableAfterPodChange`: an assigned pod added that matches all the waiting pod's
        required affinity terms; one whose labels changed to match them, or to stop matching all
        its anti-affinity terms; one deleted that matched all its anti-affinity terms."""
        if (new is not None and not new["spec"].get("nodeName")) or (
            old is not None and not old["spec"].get("nodeName")
        ):
            return QUEUE_SKIP
        own = pod_terms(pod)
        if new is not None and old is not None:
            if not matches_all(own.required_affinity, old) and matches_all(own.required_affinity, new):
                return QUEUE
            if matches_all(own.required_anti_affinity, old) and not matches_all(
                own.required_anti_affinity, new
            ):
                return QUEUE
            return QUEUE_SKIP
        if new is not None:
            return QUEUE if matches_all(own.required_affinity, new) else QUEUE_SKIP
        return QUEUE if old is not None and matches_all(own.required_anti_affinity, old) else QUEUE_SKIP

    def is_schedulable_after_node_change(self, pod: Obj, old: Obj | None, new: Obj | None) -> str:
        """`isSchedulableAfterNodeChange`: a node added or changed that has the topology key of
        one of the waiting pod's required affinity or anti-affinity terms."""
        labels = (new or {}).get("metadata", {}).get("labels") or {}
        own = pod_terms(pod)
        for term in (*own.required_affinity, *own.required_anti_affinity):
            if term.topology_key in labels:
                return QUEUE
        return QUEUE_SKIP
