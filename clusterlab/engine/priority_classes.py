"""PriorityClass (`scheduling.k8s.io/v1`, short name `pc`) and the Priority admission plugin.

A PriorityClass maps a name to an integer priority. kube-apiserver creates the two system
classes at start-up (`system-node-critical` 2000001000, `system-cluster-critical` 2000000000)
and refuses to delete them; user classes may not start with `system-` and may not exceed
1000000000; `value` and `preemptionPolicy` are immutable. At most one class is
`globalDefault`.

The Priority admission plugin resolves a new pod's `spec.priorityClassName` to
`spec.priority` and `spec.preemptionPolicy` (a pod without a class gets the global default's,
else 0 and `PreemptLowerPriority`), refuses unknown classes and hand-set priorities that
disagree, and on pod updates carries the computed fields over from the stored pod.

Simplified: the plugin reads classes straight from storage (kube-apiserver reads an informer
cache, a moment behind).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .errors import Forbidden

Obj = dict[str, Any]
Causes = list[tuple[str, str]]

SYSTEM_PREFIX = "system-"
HIGHEST_USER_DEFINABLE_PRIORITY = 1000000000
PREEMPT_LOWER_PRIORITY = "PreemptLowerPriority"

#: The classes kube-apiserver's bootstrap hook creates (name → value, description).
SYSTEM_PRIORITY_CLASSES: dict[str, tuple[int, str]] = {
    "system-node-critical": (
        2000001000,
        "Used for system critical pods that must not be moved from their current node.",
    ),
    "system-cluster-critical": (
        2000000000,
        "Used for system critical pods that must run in the cluster, but can be moved to another "
        "node if necessary.",
    ),
}


def system_priority_classes() -> list[Obj]:
    """The manifests the API server creates at start-up."""
    return [
        {
            "apiVersion": "scheduling.k8s.io/v1",
            "kind": "PriorityClass",
            "metadata": {"name": name},
            "value": value,
            "description": description,
        }
        for name, (value, description) in SYSTEM_PRIORITY_CLASSES.items()
    ]


def default_priority_class(pc: Obj) -> None:
    pc.setdefault("preemptionPolicy", PREEMPT_LOWER_PRIORITY)


def priority_class_causes(pc: Obj) -> Causes:
    name = str((pc.get("metadata") or {}).get("name") or "")
    value = pc.get("value")
    causes: Causes = []
    if not isinstance(value, int) or isinstance(value, bool):
        return [("value", "Required value")]
    if name.startswith(SYSTEM_PREFIX):
        known = SYSTEM_PRIORITY_CLASSES.get(name)
        error = ""
        if known is None:
            error = f"{name} is not a known system priority class"
        elif value != known[0]:
            error = f"value of {name} PriorityClass must be {known[0]}"
        elif pc.get("globalDefault"):
            error = f"globalDefault of {name} PriorityClass must be false"
        if error:
            causes.append(
                (
                    "metadata.name",
                    "Forbidden: priority class names with 'system-' prefix are reserved for system "
                    f"use only. error: {error}",
                )
            )
    elif value > HIGHEST_USER_DEFINABLE_PRIORITY:
        causes.append(
            (
                "value",
                "Forbidden: maximum allowed value of a user defined priority is "
                f"{HIGHEST_USER_DEFINABLE_PRIORITY}",
            )
        )
    policy = pc.get("preemptionPolicy")
    if policy not in (None, PREEMPT_LOWER_PRIORITY, "Never"):
        causes.append(
            (
                "preemptionPolicy",
                f'Unsupported value: "{policy}": supported values: "Never", "PreemptLowerPriority"',
            )
        )
    return causes


def priority_class_update_causes(old: Obj, new: Obj) -> Causes:
    causes: Causes = []
    if old.get("value") != new.get("value"):
        causes.append(("value", "Forbidden: may not be changed in an update."))
    if old.get("preemptionPolicy") != new.get("preemptionPolicy"):
        causes.append(
            ("preemptionPolicy", f'Invalid value: "{new.get("preemptionPolicy")}": field is immutable')
        )
    return causes


def check_delete(name: str) -> None:
    """The PriorityClass registry refuses to delete a system class."""
    if name in SYSTEM_PRIORITY_CLASSES:
        raise Forbidden(
            f'priorityclasses.scheduling.k8s.io "{name}" is forbidden: this is a system priority '
            "class and cannot be deleted",
            details={"name": name, "group": "scheduling.k8s.io", "kind": "priorityclasses"},
        )


def _default_class(classes: Iterable[Obj]) -> Obj | None:
    """`getDefaultPriorityClass`: the globalDefault class (the lowest value if several)."""
    defaults = [pc for pc in classes if pc.get("globalDefault")]
    return min(defaults, key=lambda pc: pc.get("value", 0)) if defaults else None


def admit_pod(pod: Obj, display_name: str, classes: dict[str, Obj]) -> None:
    """The Priority plugin's mutation of a new pod (`display_name`: the name or generateName
    the request carried, which the plugin's refusals quote)."""
    spec = pod["spec"]
    class_name = spec.get("priorityClassName")
    policy: str | None
    if not class_name:
        dpc = _default_class(classes.values())
        if dpc is not None:
            spec["priorityClassName"] = dpc["metadata"]["name"]
            priority, policy = int(dpc.get("value", 0)), dpc.get("preemptionPolicy")
        else:
            priority, policy = 0, PREEMPT_LOWER_PRIORITY
    else:
        pc = classes.get(class_name)
        if pc is None:
            raise _forbidden(display_name, f"no PriorityClass with name {class_name} was found")
        priority, policy = int(pc.get("value", 0)), pc.get("preemptionPolicy")
    given = spec.get("priority")
    if given is not None and given != priority:
        raise _forbidden(
            display_name,
            f"the integer value of priority ({given}) must not be provided in pod spec; priority "
            f"admission controller computed {priority} from the given PriorityClass name",
        )
    spec["priority"] = priority
    if policy is not None:
        asked = spec.get("preemptionPolicy")
        if asked is not None and asked != policy:
            raise _forbidden(
                display_name,
                f"the string value of PreemptionPolicy ({asked}) must not be provided in pod spec; "
                f"priority admission controller computed {policy} from the given PriorityClass name",
            )
        spec["preemptionPolicy"] = policy


def admit_pod_update(old: Obj, new: Obj) -> None:
    """On update the plugin keeps the priority it computed at creation."""
    spec, old_spec = new.setdefault("spec", {}), old.get("spec") or {}
    for f in ("priority", "preemptionPolicy"):
        if spec.get(f) is None and old_spec.get(f) is not None:
            spec[f] = old_spec[f]


def validate_priority_class(pc: Obj, classes: dict[str, Obj], creating: bool) -> None:
    """Only one class may be the global default."""
    if not pc.get("globalDefault"):
        return
    name = pc["metadata"]["name"]
    dpc = _default_class(c for c in classes.values())
    if dpc is not None and (creating or dpc["metadata"]["name"] != name):
        raise Forbidden(
            f'priorityclasses.scheduling.k8s.io "{name}" is forbidden: PriorityClass '
            f"{dpc['metadata']['name']} is already marked as default. Only one default can exist",
            details={"name": name, "group": "scheduling.k8s.io", "kind": "priorityclasses"},
        )


def _forbidden(name: str, why: str) -> Forbidden:
    return Forbidden(f'pods "{name}" is forbidden: {why}', details={"name": name, "kind": "pods"})
