"""PodDisruptionBudget (`policy/v1`): its validation, and the budget arithmetic that the
disruption controller and the eviction subresource share.

A PDB names a set of pods (`spec.selector`) and how many of them may be voluntarily disrupted
at once: `minAvailable` (at least this many stay healthy) or `maxUnavailable` (at most this many
are down), each an integer or a percentage. kube-controller-manager's disruption controller
turns that into a status the API server can check cheaply on every eviction:

- `expectedPods`: with an integer `minAvailable`, the number of matching pods; otherwise the sum
  of the scales of the pods' controllers (a Deployment's `spec.replicas` for its ReplicaSets'
  pods, a bare ReplicaSet's own), so a pod that is already gone still counts as missing;
- `desiredHealthy`: `minAvailable` (a percentage of `expectedPods`, rounded up), or
  `expectedPods - maxUnavailable` (the percentage rounded up), never below 0;
- `currentHealthy`: matching pods that are Ready, not being deleted and not just evicted;
- `disruptionsAllowed`: `currentHealthy - desiredHealthy`, 0 when negative or when no pods are
  expected.

Validation mirrors `pkg/apis/policy/validation`: the two fields are exclusive, each must be a
non-negative integer or percentage of at most 100%, and `unhealthyPodEvictionPolicy` is
`IfHealthyBudget` or `AlwaysAllow`.
"""

from __future__ import annotations

import math
import re
from typing import Any

from .errors import ApiError, BadRequest, Forbidden, TooManyRequests
from .selectors import selector_from_spec

Obj = dict[str, Any]
Causes = list[tuple[str, str]]

POLICIES = ("AlwaysAllow", "IfHealthyBudget")
# How long an eviction's entry in status.disruptedPods keeps the pod out of currentHealthy while
# the pod has not started terminating (the disruption controller's DeletionTimeout).
DELETION_TIMEOUT = 120.0
_PERCENT = re.compile(r"^[0-9]+%$")


def _intstr_text(value: Any) -> str:
    """Go's `%#v` of an `intstr.IntOrString`, as field errors print it."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f'intstr.IntOrString{{Type:0, IntVal:{value}, StrVal:""}}'
    return f'intstr.IntOrString{{Type:1, IntVal:0, StrVal:"{value}"}}'


def int_or_percent_causes(value: Any, path: str) -> Causes:
    """`ValidatePositiveIntOrPercent` + `IsNotMoreThan100Percent`."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return [(path, f"Invalid value: {value!r}: must be an integer or percentage (e.g '5%')")]
    if isinstance(value, int):
        return [(path, f"Invalid value: {value}: must be greater than or equal to 0")] if value < 0 else []
    if not _PERCENT.match(value):
        return [(path, f"Invalid value: {_intstr_text(value)}: must be an integer or percentage (e.g '5%')")]
    if int(value[:-1]) > 100:
        return [(path, f"Invalid value: {_intstr_text(value)}: must not be greater than 100%")]
    return []


def _pointer(present: bool, go_type: str, slot: int) -> str:
    # kube-apiserver prints the spec's pointers; a fixed address per field stands in for them.
    return f"(*{go_type})(0xc000{slot:02x}a740)" if present else f"(*{go_type})(nil)"


def pdb_causes(pdb: Obj) -> Causes:
    """`ValidatePodDisruptionBudget`."""
    spec = pdb.get("spec") or {}
    if not isinstance(spec, dict):
        return [("spec", "Invalid value: must be an object")]
    causes: Causes = []
    has_min, has_max = spec.get("minAvailable") is not None, spec.get("maxUnavailable") is not None
    if has_min and has_max:
        policy_set = spec.get("unhealthyPodEvictionPolicy") is not None
        dump = (
            "policy.PodDisruptionBudgetSpec{"
            f"MinAvailable:{_pointer(True, 'intstr.IntOrString', 1)}, "
            f"Selector:{_pointer(spec.get('selector') is not None, 'v1.LabelSelector', 2)}, "
            f"MaxUnavailable:{_pointer(True, 'intstr.IntOrString', 3)}, "
            "UnhealthyPodEvictionPolicy:"
            f"{_pointer(policy_set, 'policy.UnhealthyPodEvictionPolicyType', 4)}}}"
        )
        causes.append(("spec", f"Invalid value: {dump}: minAvailable and maxUnavailable cannot be both set"))
    if has_min:
        causes += int_or_percent_causes(spec["minAvailable"], "spec.minAvailable")
    if has_max:
        causes += int_or_percent_causes(spec["maxUnavailable"], "spec.maxUnavailable")
    selector = spec.get("selector")
    if selector is not None:
        try:
            selector_from_spec(selector)
        except BadRequest as exc:
            causes.append(("spec.selector", f"Invalid value: {exc.message}"))
    policy = spec.get("unhealthyPodEvictionPolicy")
    if policy is not None and policy not in POLICIES:
        causes.append(
            (
                "spec.unhealthyPodEvictionPolicy",
                f'Unsupported value: "{policy}": supported values: "AlwaysAllow", "IfHealthyBudget"',
            )
        )
    return causes


def empty_status() -> Obj:
    """What `PrepareForCreate` leaves: a zeroed status (its integers are always serialised)."""
    return {"currentHealthy": 0, "desiredHealthy": 0, "disruptionsAllowed": 0, "expectedPods": 0}


def scaled(value: Any, total: int) -> int:
    """`intstr.GetScaledValueFromIntOrPercent(value, total, roundUp=true)`."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value)
    if text.endswith("%"):
        return math.ceil(int(text[:-1]) * total / 100)
    return int(text)


def selects(pdb: Obj, pod: Obj, *, for_eviction: bool = False) -> bool:
    """Whether a budget covers a pod of its namespace. A nil selector covers nothing; an empty
    one (`{}`) covers every pod for the disruption controller, but nothing for the eviction
    handler ("a PDB with a nil or empty selector ... should match nothing, not everything")."""
    if pdb["metadata"].get("namespace") != pod["metadata"].get("namespace"):
        return False
    try:
        compiled = selector_from_spec((pdb.get("spec") or {}).get("selector"))
    except BadRequest:
        return False
    if for_eviction and compiled.empty():
        return False
    return compiled.matches(pod["metadata"].get("labels"))


def is_pod_ready(pod: Obj) -> bool:
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return False


def disruption_allowed_condition(pdb: Obj, status: Obj, ts: str) -> list[Obj]:
    """`UpdateDisruptionAllowedCondition`: DisruptionAllowed True (SufficientPods) or False
    (InsufficientPods), its transition time kept while the status does not flip."""
    allowed = status["disruptionsAllowed"] > 0
    wanted = {
        "type": "DisruptionAllowed",
        "status": "True" if allowed else "False",
        "reason": "SufficientPods" if allowed else "InsufficientPods",
        "message": "",
        "observedGeneration": status.get("observedGeneration", 0),
    }
    return set_condition((pdb.get("status") or {}).get("conditions") or [], wanted, ts)


def set_condition(conditions: list[Obj], wanted: Obj, ts: str) -> list[Obj]:
    """`apimeta.SetStatusCondition`: replace the condition of that type; the transition time
    changes only when the status does."""
    out = []
    found = False
    for c in conditions:
        if c.get("type") != wanted["type"]:
            out.append(c)
            continue
        found = True
        transition = c.get("lastTransitionTime") if c.get("status") == wanted["status"] else ts
        out.append({**wanted, "lastTransitionTime": transition or ts})
    if not found:
        out.append({**wanted, "lastTransitionTime": ts})
    return [_ordered(c) for c in out]


def _ordered(c: Obj) -> Obj:
    keys = ("type", "status", "observedGeneration", "lastTransitionTime", "reason", "message")
    return {k: c[k] for k in keys if k in c}


# -- the eviction subresource's checks ---------------------------------------------------------

EVICTION_REFUSED = "Cannot evict pod as it would violate the pod's disruption budget."
MULTIPLE_BUDGETS = (
    "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
)


class MultipleBudgets(ApiError):
    """kube-apiserver answers a pod with several budgets with a bare 500 Status (no reason)."""

    code, reason = 500, ""


def too_many_requests(pdb_name: str, cause: str, retry_after: int = 0) -> TooManyRequests:
    """`errors.NewTooManyRequests` plus a `DisruptionBudget` cause."""
    details: Obj = {"causes": [{"reason": "DisruptionBudget", "message": cause}]}
    if retry_after:
        details["retryAfterSeconds"] = retry_after
    return TooManyRequests(EVICTION_REFUSED, details=details)


def check_eviction(pod: Obj, budgets: list[Obj]) -> Obj | None:
    """What `EvictionREST.Create` decides before it deletes a pod: raises when a budget refuses,
    returns the budget whose status must record the eviction (`checkAndDecrement`), or None
    when the pod may go without touching any budget.

    - a pod that is Pending, finished or already terminating ignores budgets;
    - more than one budget: 500, not supported;
    - a pod that is not Ready goes without using the budget if the budget says `AlwaysAllow`,
      or (`IfHealthyBudget`, the default) while the application has its desired healthy pods;
    - otherwise the budget must be current (observedGeneration) and allow a disruption."""
    phase = (pod.get("status") or {}).get("phase")
    if phase in ("Pending", "Succeeded", "Failed") or pod["metadata"].get("deletionTimestamp"):
        return None
    matching = [b for b in budgets if selects(b, pod, for_eviction=True)]
    if not matching:
        return None
    if len(matching) > 1:
        raise MultipleBudgets(MULTIPLE_BUDGETS)
    pdb = matching[0]
    status = pdb.get("status") or {}
    current, desired = int(status.get("currentHealthy", 0)), int(status.get("desiredHealthy", 0))
    if not is_pod_ready(pod):
        if (pdb.get("spec") or {}).get("unhealthyPodEvictionPolicy") == "AlwaysAllow":
            return None
        if current >= desired > 0:
            return None
    name = pdb["metadata"]["name"]
    if int(status.get("observedGeneration", 0)) < int(pdb["metadata"].get("generation", 0)):
        raise too_many_requests(
            name, f"The disruption budget {name} is still being processed by the server.", 10
        )
    allowed = int(status.get("disruptionsAllowed", 0))
    if allowed < 0:
        raise Forbidden(
            f'poddisruptionbudgets.policy "{name}" is forbidden: pdb disruptions allowed is negative',
            details={"name": name, "group": "policy", "kind": "poddisruptionbudgets"},
        )
    if allowed == 0:
        raise too_many_requests(
            name, f"The disruption budget {name} needs {desired} healthy pods and has {current} currently"
        )
    return pdb


def record_eviction(pdb: Obj, pod_name: str, ts: str) -> Obj:
    """The budget after `checkAndDecrement`: one disruption fewer allowed, the pod listed in
    `disruptedPods` so the controller stops counting it healthy before it is gone."""
    new = {**pdb, "status": dict(pdb.get("status") or {})}
    status = new["status"]
    status["disruptionsAllowed"] = int(status.get("disruptionsAllowed", 0)) - 1
    if status["disruptionsAllowed"] == 0:
        status["conditions"] = disruption_allowed_condition(pdb, status, ts)
    disrupted = dict(status.get("disruptedPods") or {})
    disrupted[pod_name] = ts
    status["disruptedPods"] = disrupted
    return _status_ordered(new)


def _status_ordered(pdb: Obj) -> Obj:
    """PodDisruptionBudgetStatus fields in the order kube-apiserver serialises them."""
    status = pdb["status"]
    order = (
        "observedGeneration",
        "disruptedPods",
        "disruptionsAllowed",
        "currentHealthy",
        "desiredHealthy",
        "expectedPods",
        "conditions",
    )
    pdb["status"] = {k: status[k] for k in order if k in status}
    return pdb
