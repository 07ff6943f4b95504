"""InterPodAffinity PreFilter/Filter: required pod affinity, anti-affinity, and symmetry.

PreFilter counts, per topology pair (`topologyKey`, the node's value for it):
- existing pods whose required anti-affinity terms match the incoming pod (only pods listed
  in `NodeInfo.pods_with_required_anti_affinity` are looked at);
- existing pods matching *all* of the incoming pod's required affinity terms (one count per
  term's topology pair);
- existing pods matching each of the incoming pod's required anti-affinity terms.
It says Skip when the pod has no required terms and no existing pod's anti-affinity matches
it. Filter then checks, in this order (the first failure is the verdict):
- affinity: every term's topologyKey is on the node and some matching pod shares each pair —
  or no pod anywhere matches and the pod matches its own terms (the first pod of a group
  that wants to be together) → `node(s) didn't match pod affinity rules`,
  UnschedulableAndUnresolvable;
- anti-affinity: no matching pod shares any term's pair → `node(s) didn't match pod
  anti-affinity rules`, Unschedulable (preemption could remove the matching pods);
- symmetry: no counted existing anti-affinity term covers any of the node's label pairs →
  `node(s) didn't satisfy existing pods anti-affinity rules`, Unschedulable.

PreFilterExtensions (AddPod/RemovePod) update a clone of the counts when preemption or a
nominated pod puts a pod on, or takes one off, a node. Simplified: kube-scheduler spreads the
counting over goroutines; here it is one pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...framework import NodeInfo
from .terms import AffinityTerm, PodTerms, matches_all, pod_terms

Obj = dict[str, Any]
Counts = dict[tuple[str, str], int]

AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod affinity rules"
ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod anti-affinity rules"
EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't satisfy existing pods anti-affinity rules"


@dataclass
class FilterState:
    """`preFilterState`."""

    terms: PodTerms  # the incoming pod's, namespaceSelector merged
    pod: Obj
    namespace_labels: dict[str, str]
    existing_anti_affinity_counts: Counts
    affinity_counts: Counts
    anti_affinity_counts: Counts

    def clone(self) -> FilterState:
        """A copy whose counts preemption's what-if may change (terms and pod are shared)."""
        return FilterState(
            self.terms,
            self.pod,
            self.namespace_labels,
            dict(self.existing_anti_affinity_counts),
            dict(self.affinity_counts),
            dict(self.anti_affinity_counts),
        )

    def update_with_pod(self, other: Obj, node: NodeInfo, multiplier: int) -> None:
        """`updateWithPod`: count (+1) or uncount (−1) a pod added to or removed from `node`."""
        labels = node.labels
        for term in pod_terms(other).required_anti_affinity:
            if term.matches(self.pod, self.namespace_labels):
                _update(self.existing_anti_affinity_counts, labels, term.topology_key, multiplier)
        if matches_all(self.terms.required_affinity, other):
            for term in self.terms.required_affinity:
                _update(self.affinity_counts, labels, term.topology_key, multiplier)
        for term in self.terms.required_anti_affinity:
            if term.matches(other, None):
                _update(self.anti_affinity_counts, labels, term.topology_key, multiplier)


def _update(counts: Counts, labels: dict[str, str], key: str, value: int = 1) -> None:
    if key in labels:
        pair = (key, labels[key])
        counts[pair] = counts.get(pair, 0) + value
        if counts[pair] == 0:
            del counts[pair]


def existing_anti_affinity_counts(pod: Obj, ns_labels: dict[str, str], nodes: list[NodeInfo]) -> Counts:
    """Existing pods' required anti-affinity terms that match the incoming pod (`nodes`: those
    holding pods with required anti-affinity; others add nothing)."""
    counts: Counts = {}
    for info in nodes:
        for existing in info.pods_with_required_anti_affinity.values():
            for term in pod_terms(existing).required_anti_affinity:
                if term.matches(pod, ns_labels):
                    _update(counts, info.labels, term.topology_key)
    return counts


def incoming_counts(terms: PodTerms, nodes: list[NodeInfo]) -> tuple[Counts, Counts]:
    """Existing pods matching the incoming pod's required (anti-)affinity terms."""
    affinity: Counts = {}
    anti_affinity: Counts = {}
    if not terms.required_affinity and not terms.required_anti_affinity:
        return affinity, anti_affinity
    for info in nodes:
        for existing in info.pods.values():
            if matches_all(terms.required_affinity, existing):
                for term in terms.required_affinity:
                    _update(affinity, info.labels, term.topology_key)
            for term in terms.required_anti_affinity:
                if term.matches(existing, None):
                    _update(anti_affinity, info.labels, term.topology_key)
    return affinity, anti_affinity


def satisfies_pod_affinity(state: FilterState, node: NodeInfo) -> bool:
    pods_exist = True
    for term in state.terms.required_affinity:
        if term.topology_key not in node.labels:
            return False  # every topology label must exist on the node
        if state.affinity_counts.get((term.topology_key, node.labels[term.topology_key]), 0) <= 0:
            pods_exist = False
    if pods_exist:
        return True
    # The first pod of a group with affinity to itself: nothing matches anywhere yet.
    return not state.affinity_counts and matches_all(state.terms.required_affinity, state.pod)


def _pair_counted(counts: Counts, terms: tuple[AffinityTerm, ...], node: NodeInfo) -> bool:
    for term in terms:
        value = node.labels.get(term.topology_key)
        if value is not None and counts.get((term.topology_key, value), 0) > 0:
            return True
    return False


def satisfies_pod_anti_affinity(state: FilterState, node: NodeInfo) -> bool:
    if not state.anti_affinity_counts:
        return True
    return not _pair_counted(state.anti_affinity_counts, state.terms.required_anti_affinity, node)


def satisfies_existing_pods_anti_affinity(state: FilterState, node: NodeInfo) -> bool:
    counts = state.existing_anti_affinity_counts
    return not counts or not any(counts.get(pair, 0) > 0 for pair in node.labels.items())
