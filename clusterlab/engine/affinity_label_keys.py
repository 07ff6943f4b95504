"""`matchLabelKeys` / `mismatchLabelKeys` of pod affinity terms, applied at pod creation.

Since v1.31 (feature MatchLabelKeysInPodAffinity, beta and on by default) the API server,
when it creates a pod, turns each key of a `podAffinity`/`podAntiAffinity` term's
`matchLabelKeys` into a `key In (<the pod's value>)` requirement of the term's
`labelSelector`, and each `mismatchLabelKeys` key into `key NotIn (<value>)` — so "pods of my
own rollout" (`matchLabelKeys: [pod-template-hash]`) is written down once in the template and
the scheduler only ever reads `labelSelector`. Keys the pod has no label for are skipped, and
a term without a `labelSelector` (which matches nothing) is left as it is.

Simplified: the validation that goes with it (a key may not be in both lists, nor already in
the selector) is not done.
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]
REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"
PREFERRED = "preferredDuringSchedulingIgnoredDuringExecution"


def _apply(term: Obj, labels: dict[str, str]) -> None:
    selector = term.get("labelSelector")
    if selector is None or not (term.get("matchLabelKeys") or term.get("mismatchLabelKeys")):
        return
    exprs = selector.setdefault("matchExpressions", [])
    for field, op in (("matchLabelKeys", "In"), ("mismatchLabelKeys", "NotIn")):
        for key in term.get(field) or ():
            if key in labels:
                exprs.append({"key": key, "operator": op, "values": [labels[key]]})


def apply_label_keys(pod: Obj) -> None:
    """`mutatePodAffinity`: merge the label keys into the selectors, in place."""
    affinity = pod.get("spec", {}).get("affinity") or {}
    labels = pod.get("metadata", {}).get("labels") or {}
    for kind in ("podAffinity", "podAntiAffinity"):
        section = affinity.get(kind) or {}
        for weighted in section.get(PREFERRED) or ():
            _apply(weighted.get("podAffinityTerm") or {}, labels)
        for term in section.get(REQUIRED) or ():
            _apply(term, labels)
