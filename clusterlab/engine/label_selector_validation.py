"""`metav1.LabelSelector` validation, worded as apimachinery's `ValidateLabelSelector`
(`k8s.io/apimachinery/pkg/apis/meta/v1/validation`, Kubernetes 1.32).

A selector's `matchLabels` are validated as labels (qualified-name keys, label values); each
`matchExpressions` requirement needs values for `In`/`NotIn`, none for `Exists`/
`DoesNotExist`, one of those four operators, a qualified-name key and label-value values.
Kinds whose validators call it (NetworkPolicy's pod and namespace selectors) report every
cause with its field path.
"""

from __future__ import annotations

from typing import Any

Causes = list[tuple[str, str]]

_LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


def label_value_errors(value: str) -> list[str]:
    """apimachinery's `IsValidLabelValue`."""
    from .validation import _LABEL_VALUE

    errors = []
    if len(value) > 63:
        errors.append("must be no more than 63 characters")
    if not _LABEL_VALUE.match(value):
        errors.append(_LABEL_VALUE_MSG)
    return errors


def _quote(value: Any) -> str:
    from .validation import _quote as quote

    return quote(value)


def label_selector_causes(selector: Any, path: str) -> Causes:
    """`ValidateLabelSelector` of a selector at `path` (None: nothing to validate)."""
    from .validation import label_causes, qualified_name_errors

    if not isinstance(selector, dict):
        return []
    causes: Causes = label_causes(selector.get("matchLabels"), f"{path}.matchLabels")
    for i, expr in enumerate(selector.get("matchExpressions") or []):
        epath = f"{path}.matchExpressions[{i}]"
        expr = expr if isinstance(expr, dict) else {}
        op, values = expr.get("operator"), expr.get("values") or []
        if op in ("In", "NotIn"):
            if not values:
                causes.append(
                    (
                        f"{epath}.values",
                        "Required value: must be specified when `operator` is 'In' or 'NotIn'",
                    )
                )
        elif op in ("Exists", "DoesNotExist"):
            if values:
                causes.append(
                    (
                        f"{epath}.values",
                        "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    )
                )
        else:
            causes.append(
                (f"{epath}.operator", f"Invalid value: {_quote(op or '')}: not a valid selector operator")
            )
        key = str(expr.get("key") or "")
        causes += [
            (f"{epath}.key", f"Invalid value: {_quote(key)}: {msg}") for msg in qualified_name_errors(key)
        ]
        for j, value in enumerate(values):
            text = str(value)
            causes += [
                (f"{epath}.values[{j}]", f"Invalid value: {_quote(text)}: {msg}")
                for msg in label_value_errors(text)
            ]
    return causes
