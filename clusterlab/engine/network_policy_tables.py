"""The NetworkPolicy table, as kube-apiserver 1.32's `pkg/printers/internalversion` prints it:
NAME, POD-SELECTOR (`metav1.FormatLabelSelector` of `spec.podSelector`: `<none>` for the
empty selector that picks every pod of the namespace), AGE."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .table_columns import Since, column

Obj = dict[str, Any]

# The column describes extensions/v1beta1's podSelector field (printers.go still cites it).
POD_SELECTOR_DOC = (
    "Selects the pods to which this NetworkPolicy object applies. The array of ingress rules is "
    "applied to any pods selected by this field. Multiple network policies can select the same "
    "set of pods. In this case, the ingress rules for each are combined additively. This field "
    "is NOT optional and follows standard label selector semantics. An empty podSelector "
    "matches all pods in this namespace."
)


def format_label_selector(selector: Obj | None) -> str:
    """`metav1.FormatLabelSelector`: the selector's requirements as `labels.Selector` prints
    them, sorted by key (`in`/`notin` values sorted too); `<none>` when there are none."""
    if not selector:
        return "<none>"
    parts: list[tuple[str, str]] = [
        (str(k), f"{k}={v}") for k, v in (selector.get("matchLabels") or {}).items()
    ]
    for e in selector.get("matchExpressions") or []:
        key, op, values = str(e.get("key", "")), e.get("operator"), ",".join(sorted(e.get("values") or []))
        text = {"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})", "Exists": key}.get(
            str(op), f"!{key}"
        )
        parts.append((key, text))
    return ",".join(text for _, text in sorted(parts, key=lambda p: p[0])) or "<none>"


def columns(name_col: Obj, age_col: Obj) -> dict[str, list[Obj]]:
    return {"NetworkPolicy": [name_col, column("Pod-Selector", POD_SELECTOR_DOC), age_col]}


def _network_policy(policy: Obj, t: Since) -> list[Any]:
    spec = policy.get("spec") or {}
    return [
        policy["metadata"]["name"],
        format_label_selector(spec.get("podSelector")),
        t.since(policy["metadata"].get("creationTimestamp")),
    ]


PRINTERS: dict[str, Callable[[Obj, Any], list[Any]]] = {"NetworkPolicy": _network_policy}
