"""Taints and tolerations, with `k8s.io/api/core/v1` semantics.

A toleration matches a taint when the effects agree (an empty effect matches all), the keys
agree (an empty key with `Exists` matches every key), and for `Equal` (the default operator)
the values are equal.
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]

NOT_READY = "node.kubernetes.io/not-ready"
UNREACHABLE = "node.kubernetes.io/unreachable"
UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
CONTROL_PLANE = "node-role.kubernetes.io/control-plane"


def tolerates(toleration: Obj, taint: Obj) -> bool:
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    if key and key != taint.get("key"):
        return False
    op = toleration.get("operator") or "Equal"
    if op == "Exists":
        return True
    return (toleration.get("value") or "") == (taint.get("value") or "")


def tolerated_by_any(taint: Obj, tolerations: list[Obj]) -> bool:
    return any(tolerates(t, taint) for t in tolerations)


def taint_text(taint: Obj) -> str:
    """How the scheduler prints a taint in messages: `{key: value}`."""
    return "{" + f"{taint.get('key', '')}: {taint.get('value', '') or ''}" + "}"


def taint_string(taint: Obj) -> str:
    """How kubectl prints a taint: `key=value:Effect` or `key:Effect`."""
    value = taint.get("value")
    return f"{taint['key']}={value}:{taint['effect']}" if value else f"{taint['key']}:{taint['effect']}"


def node_taints(node: Obj) -> list[Obj]:
    return list(node.get("spec", {}).get("taints") or [])
