"""Validation rules the workload kinds share, as `pkg/apis/apps/validation` and
`pkg/apis/batch/validation` (Kubernetes 1.32) repeat them per kind.

Each `Validate*Spec` there checks its selector the same way once it parsed: an empty selector
is refused ("empty selector is invalid for deployment" — the Deployment, ReplicaSet and Job
validators all say "deployment", the StatefulSet validator "statefulset") and one that does
not match the pod template's labels is refused on `spec.template.metadata.labels`. Counts
such as `minReadySeconds` go through `ValidateNonnegativeField`. DaemonSets and StatefulSets
run pods that never finish, so their template must say `restartPolicy: Always` and may not
set `activeDeadlineSeconds`.
"""

from __future__ import annotations

from typing import Any

from .selectors import LabelSelector, selector_from_spec

Causes = list[tuple[str, str]]


def nonnegative_causes(value: Any, path: str) -> Causes:
    """`ValidateNonnegativeField` for an integer that is set (absent or non-integer: no cause)."""
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return [(path, f"Invalid value: {value}: must be greater than or equal to 0")]
    return []


def workload_selector_causes(selector: Any, labels: dict[str, str], kind: str) -> Causes:
    """`spec.selector` of a Deployment, ReplicaSet or StatefulSet: required, a valid label
    selector, then `selector_template_causes`."""
    if not selector:
        return [("spec.selector", "Required value")]
    try:
        compiled = selector_from_spec(selector)
    except Exception as exc:  # a malformed selector is reported, not raised
        return [("spec.selector", f"Invalid value: {exc}")]
    return selector_template_causes(compiled, labels, kind)


def selector_template_causes(selector: LabelSelector, labels: dict[str, str], kind: str) -> Causes:
    """A parsed workload selector against its pod template's labels; `kind` is the word the
    validator uses in "empty selector is invalid for <kind>"."""
    from .validation import _quote, template_labels_text

    if selector.empty():
        return [("spec.selector", f"Invalid value: {{}}: empty selector is invalid for {kind}")]
    if not selector.matches(labels):
        text = _quote(template_labels_text(labels))
        return [
            (
                "spec.template.metadata.labels",
                f"Invalid value: {text}: `selector` does not match template `labels`",
            )
        ]
    return []


def always_running_template_causes(pod_spec: dict[str, Any], kind: str) -> Causes:
    """The pod template of a DaemonSet or StatefulSet (`kind`): `restartPolicy` must be
    `Always` and `activeDeadlineSeconds` unset."""
    causes: Causes = []
    restart = pod_spec.get("restartPolicy")
    if restart != "Always":
        causes.append(
            (
                "spec.template.spec.restartPolicy",
                f'Unsupported value: "{restart}": supported values: "Always"',
            )
        )
    if pod_spec.get("activeDeadlineSeconds") is not None:
        causes.append(
            (
                "spec.template.spec.activeDeadlineSeconds",
                f"Forbidden: activeDeadlineSeconds in {kind} is not Supported",
            )
        )
    return causes
