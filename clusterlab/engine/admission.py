"""Mutating admission plugins that run on every create, in the real API server's order.

Implemented: DefaultTolerationSeconds — pods get `node.kubernetes.io/not-ready` and
`node.kubernetes.io/unreachable` NoExecute tolerations for 300 s unless they set their own,
which is why a pod on a dead node is evicted about five minutes after its node is tainted.
Priority — pods without a priority class get priority 0.
Other plugins (NamespaceLifecycle is enforced by the API server itself; LimitRanger,
ResourceQuota, ServiceAccount) arrive with the API-semantics work.
"""

from __future__ import annotations

from typing import Any

DEFAULT_TOLERATION_SECONDS = 300
NOT_READY_TAINT = "node.kubernetes.io/not-ready"
UNREACHABLE_TAINT = "node.kubernetes.io/unreachable"


def default_toleration_seconds(pod: dict[str, Any]) -> None:
    spec = pod.setdefault("spec", {})
    tolerations = spec.setdefault("tolerations", [])
    has_not_ready = has_unreachable = False
    for t in tolerations:
        if t.get("effect") in ("NoExecute", None, "") and t.get("operator") == "Exists" and not t.get("key"):
            has_not_ready = has_unreachable = True
        if t.get("effect") in ("NoExecute", None, ""):
            if t.get("key") == NOT_READY_TAINT:
                has_not_ready = True
            elif t.get("key") == UNREACHABLE_TAINT:
                has_unreachable = True
    if not has_not_ready:
        tolerations.append(
            {
                "key": NOT_READY_TAINT,
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": DEFAULT_TOLERATION_SECONDS,
            }
        )
    if not has_unreachable:
        tolerations.append(
            {
                "key": UNREACHABLE_TAINT,
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": DEFAULT_TOLERATION_SECONDS,
            }
        )


# The two classes every cluster has from the start (the API server creates them at boot).
SYSTEM_PRIORITY_CLASSES = {"system-node-critical": 2000001000, "system-cluster-critical": 2000000000}


def priority(pod: dict[str, Any]) -> None:
    """The Priority plugin: resolve the pod's priority from its class (0 without one).

    Simplified: only the two built-in system classes exist until PriorityClass objects land.
    """
    from .errors import Forbidden

    spec = pod["spec"]
    computed = 0
    class_name = spec.get("priorityClassName")
    if class_name:
        if class_name not in SYSTEM_PRIORITY_CLASSES:
            name = pod["metadata"].get("name") or pod["metadata"].get("generateName", "")
            raise Forbidden(f'pods "{name}" is forbidden: no PriorityClass with name {class_name} was found')
        computed = SYSTEM_PRIORITY_CLASSES[class_name]
    given = spec.get("priority")
    if given is not None and given != computed:
        name = pod["metadata"].get("name") or pod["metadata"].get("generateName", "")
        raise Forbidden(
            f'pods "{name}" is forbidden: the integer value of priority ({given}) must not be '
            f"provided in pod spec; priority admission controller computed {computed} from the "
            "given PriorityClass name"
        )
    spec["priority"] = computed


def admit_create(kind: str, obj: dict[str, Any]) -> None:
    if kind == "Pod":
        default_toleration_seconds(obj)
        priority(obj)
