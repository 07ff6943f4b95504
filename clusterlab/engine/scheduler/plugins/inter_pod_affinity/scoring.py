"""InterPodAffinity PreScore/Score/NormalizeScore: preferred terms, both ways.

PreScore builds a score per topology pair from every existing pod it looks at:
- + weight for each of the incoming pod's preferred affinity terms the existing pod matches,
  − weight for each preferred anti-affinity term it matches;
- + `hardPodAffinityWeight` (default 1) for each of the existing pod's *required* affinity
  terms the incoming pod matches, + weight / − weight for its preferred affinity /
  anti-affinity terms the incoming pod matches;
each added to the pair (term's topologyKey, the existing pod's node's value). With no
preferred terms of its own the incoming pod is only compared with pods that carry affinity
(`NodeInfo.pods_with_affinity`); with `ignorePreferredTermsOfExistingPods` such a pod skips
scoring outright. PreScore says Skip when no pair got a score.

Score sums the pairs whose key the node has, with the node's value. NormalizeScore maps the
feasible nodes' scores from [min, max] onto 0–100 (all 0 when they are equal), so a negative
(anti-affinity) score ends at 0 and the best node at 100.
"""

from __future__ import annotations

from typing import Any

from ...framework import MAX_NODE_SCORE, NodeInfo
from .terms import AffinityTerm, PodTerms, WeightedTerm, pod_terms

Obj = dict[str, Any]
TopologyScore = dict[str, dict[str, int]]


def _process_term(
    scores: TopologyScore,
    term: AffinityTerm,
    weight: int,
    pod: Obj,
    ns_labels: dict[str, str] | None,
    node_labels: dict[str, str],
    multiplier: int,
) -> None:
    if term.matches(pod, ns_labels) and term.topology_key in node_labels:
        by_value = scores.setdefault(term.topology_key, {})
        value = node_labels[term.topology_key]
        by_value[value] = by_value.get(value, 0) + weight * multiplier


def _process_terms(
    scores: TopologyScore,
    terms: tuple[WeightedTerm, ...],
    pod: Obj,
    ns_labels: dict[str, str] | None,
    node_labels: dict[str, str],
    multiplier: int,
) -> None:
    for w in terms:
        _process_term(scores, w.term, w.weight, pod, ns_labels, node_labels, multiplier)


def process_existing_pod(
    scores: TopologyScore,
    incoming: Obj,
    incoming_terms: PodTerms,
    ns_labels: dict[str, str],
    existing: Obj,
    node: NodeInfo,
    hard_pod_affinity_weight: int,
) -> None:
    labels = node.labels
    if not labels:
        return
    # The incoming pod's preferences (namespaceSelector already merged: no labels needed).
    _process_terms(scores, incoming_terms.preferred_affinity, existing, None, labels, 1)
    _process_terms(scores, incoming_terms.preferred_anti_affinity, existing, None, labels, -1)
    theirs = pod_terms(existing)
    if hard_pod_affinity_weight > 0:
        for term in theirs.required_affinity:
            _process_term(scores, term, hard_pod_affinity_weight, incoming, ns_labels, labels, 1)
    _process_terms(scores, theirs.preferred_affinity, incoming, ns_labels, labels, 1)
    _process_terms(scores, theirs.preferred_anti_affinity, incoming, ns_labels, labels, -1)


def topology_score(
    incoming: Obj,
    incoming_terms: PodTerms,
    ns_labels: dict[str, str],
    nodes: list[NodeInfo],
    hard_pod_affinity_weight: int,
) -> TopologyScore:
    has_constraints = bool(incoming_terms.preferred_affinity or incoming_terms.preferred_anti_affinity)
    scores: TopologyScore = {}
    for info in nodes:
        pods = info.pods if has_constraints else info.pods_with_affinity
        for existing in pods.values():
            process_existing_pod(
                scores, incoming, incoming_terms, ns_labels, existing, info, hard_pod_affinity_weight
            )
    return scores


def node_score(scores: TopologyScore, node: NodeInfo) -> int:
    total = 0
    for key, by_value in scores.items():
        value = node.labels.get(key)
        if value is not None:
            total += by_value.get(value, 0)
    return total


def normalize(scores: dict[str, int]) -> None:
    """Min–max onto 0–100, truncated, as the plugin's NormalizeScore."""
    if not scores:
        return
    low, high = min(scores.values()), max(scores.values())
    diff = high - low
    for name, s in scores.items():
        scores[name] = int(MAX_NODE_SCORE * ((s - low) / diff)) if diff > 0 else 0
