"""Pod affinity terms as kube-scheduler reads them (`framework.AffinityTerm`, `PodInfo`).

A `PodAffinityTerm` says "pods matching `labelSelector`, in these namespaces, within the same
`topologyKey` domain". The namespaces are `namespaces` ∪ those whose labels match
`namespaceSelector`; with neither set, the term means the pod's own namespace. A nil
`labelSelector` matches no pod, `{}` every pod; a nil `namespaceSelector` adds no namespace,
`{}` adds all of them.

`matchLabelKeys` / `mismatchLabelKeys` never reach the scheduler: since v1.31 the API server
folds them into `labelSelector` when the pod is created (see `affinity_label_keys`).

For the incoming pod the scheduler resolves `namespaceSelector` once per cycle against its
namespace lister (`mergeAffinityTermNamespacesIfNotEmpty`): the matching namespaces' names are
added to `namespaces` and the selector becomes "nothing", so existing pods' namespaces need no
lookup. Existing pods' terms keep their selector and are matched against the incoming pod's
namespace labels.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Protocol

from ....selectors import LabelSelector, selector_from_spec

Obj = dict[str, Any]
NOTHING = LabelSelector([], nothing=True)


class NamespaceLister(Protocol):
    def get(self, key: str) -> Obj | None: ...
    def list(self) -> list[Obj]: ...


@dataclass(frozen=True)
class AffinityTerm:
    namespaces: frozenset[str]
    selector: LabelSelector
    topology_key: str
    namespace_selector: LabelSelector

    def matches(self, pod: Obj, ns_labels: dict[str, str] | None) -> bool:
        """`AffinityTerm.Matches`: the pod is in one of the term's namespaces (by name, or by
        its namespace's labels) and its labels match the selector."""
        meta = pod["metadata"]
        if meta.get("namespace", "") in self.namespaces or self.namespace_selector.matches(ns_labels):
            return self.selector.matches(meta.get("labels"))
        return False


@dataclass(frozen=True)
class WeightedTerm:
    term: AffinityTerm
    weight: int


@dataclass(frozen=True)
class PodTerms:
    """The four term lists of one pod (`framework.PodInfo`)."""

    required_affinity: tuple[AffinityTerm, ...] = ()
    required_anti_affinity: tuple[AffinityTerm, ...] = ()
    preferred_affinity: tuple[WeightedTerm, ...] = ()
    preferred_anti_affinity: tuple[WeightedTerm, ...] = ()


def affinity_term(pod: Obj, term: Obj) -> AffinityTerm:
    names = term.get("namespaces") or []
    ns_selector = term.get("namespaceSelector")
    if not names and ns_selector is None:
        names = [pod["metadata"].get("namespace", "")]
    return AffinityTerm(
        frozenset(names),
        selector_from_spec(term.get("labelSelector")),
        term.get("topologyKey", ""),
        selector_from_spec(ns_selector),
    )


def _weighted(pod: Obj, terms: list[Obj]) -> tuple[WeightedTerm, ...]:
    return tuple(
        WeightedTerm(affinity_term(pod, w.get("podAffinityTerm") or {}), int(w.get("weight") or 0))
        for w in terms
    )


def pod_terms(pod: Obj) -> PodTerms:
    aff = pod["spec"].get("affinity") or {}
    pa, paa = aff.get("podAffinity") or {}, aff.get("podAntiAffinity") or {}
    if not pa and not paa:
        return PodTerms()
    required = "requiredDuringSchedulingIgnoredDuringExecution"
    preferred = "preferredDuringSchedulingIgnoredDuringExecution"
    return PodTerms(
        tuple(affinity_term(pod, t) for t in pa.get(required) or ()),
        tuple(affinity_term(pod, t) for t in paa.get(required) or ()),
        _weighted(pod, pa.get(preferred) or []),
        _weighted(pod, paa.get(preferred) or []),
    )


def merge_namespaces(term: AffinityTerm, namespaces: NamespaceLister | None) -> AffinityTerm:
    """`mergeAffinityTermNamespacesIfNotEmpty`: resolve a non-empty namespaceSelector into
    names (an empty one, matching every namespace, is kept as it is)."""
    if term.namespace_selector.empty():
        return term
    selected = {
        ns["metadata"]["name"]
        for ns in (namespaces.list() if namespaces is not None else ())
        if term.namespace_selector.matches(ns["metadata"].get("labels"))
    }
    return replace(term, namespaces=term.namespaces | selected, namespace_selector=NOTHING)


def namespace_labels(namespace: str, namespaces: NamespaceLister | None) -> dict[str, str]:
    """`GetNamespaceLabelsSnapshot`: the labels of the pod's namespace (none if unknown)."""
    ns = namespaces.get(namespace) if namespaces is not None else None
    return dict((ns or {}).get("metadata", {}).get("labels") or {})


def matches_all(terms: tuple[AffinityTerm, ...], pod: Obj) -> bool:
    """`podMatchesAllAffinityTerms` (the incoming pod's terms are namespace-merged, so no
    namespace labels are needed); no terms match nothing."""
    return bool(terms) and all(t.matches(pod, None) for t in terms)
