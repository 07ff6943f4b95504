"""Table printers for ResourceQuota, LimitRange and PriorityClass, as kube-apiserver 1.32's
`pkg/printers/internalversion` prints them.

- ResourceQuota: NAME, AGE, REQUEST, LIMIT — every `status.hard` resource, sorted, as
  `used/hard` (`requests.cpu: 1800m/2, pods: 3/10`); `limits.*` go to LIMIT, the rest to REQUEST.
- PriorityClass: NAME, VALUE, GLOBAL-DEFAULT, AGE, PREEMPTIONPOLICY.
- LimitRange has no printer: the API server's default table convertor answers NAME and
  CREATED AT (the creation timestamp in RFC 3339).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .quantity import QuantityError
from .quantity_format import canonical_text
from .table_columns import Since, column

Obj = dict[str, Any]

REQUEST_DOC = "Request represents a minimum amount of cpu/memory that a container may consume."
LIMIT_DOC = (
    "Limits control the maximum amount of cpu/memory that a container may use independent of "
    "contention on the node."
)
VALUE_DOC = (
    "value represents the integer value of this priority class. This is the actual priority that "
    "pods receive when they have the name of this class in their pod spec."
)
GLOBAL_DEFAULT_DOC = (
    "globalDefault specifies whether this PriorityClass should be considered as the default "
    "priority for pods that do not have any priority class. Only one PriorityClass can be marked "
    "as `globalDefault`. However, if more than one PriorityClasses exists with their "
    "`globalDefault` field set to true, the smallest value of such global default PriorityClasses "
    "will be used as the default priority."
)
PREEMPTION_DOC = (
    "preemptionPolicy is the Policy for preempting pods with lower priority. One of Never, "
    "PreemptLowerPriority. Defaults to PreemptLowerPriority if unset."
)


def columns(name_col: Obj, age_col: Obj) -> dict[str, list[Obj]]:
    created = dict(age_col, name="Created At", type="date")
    return {
        "ResourceQuota": [name_col, age_col, column("Request", REQUEST_DOC), column("Limit", LIMIT_DOC)],
        "PriorityClass": [
            name_col,
            column("Value", VALUE_DOC, "integer"),
            column("Global-Default", GLOBAL_DEFAULT_DOC, "boolean"),
            age_col,
            column("PreemptionPolicy", PREEMPTION_DOC),
        ],
        "LimitRange": [name_col, created],
    }


def _text(value: Any) -> str:
    try:
        return canonical_text(value)
    except (QuantityError, TypeError):
        return str(value)


def _resource_quota(rq: Obj, t: Since) -> list[Any]:
    status = rq.get("status") or {}
    hard, used = status.get("hard") or {}, status.get("used") or {}
    request, limit = [], []
    for name in sorted(hard):
        cell = f"{name}: {_text(used.get(name, '0'))}/{_text(hard[name])}"
        (limit if name.split(".")[0] == "limits" and "." in name else request).append(cell)
    return [
        rq["metadata"]["name"],
        t.since(rq["metadata"].get("creationTimestamp")),
        ", ".join(request),
        ", ".join(limit),
    ]


def _priority_class(pc: Obj, t: Since) -> list[Any]:
    return [
        pc["metadata"]["name"],
        int(pc.get("value", 0)),
        bool(pc.get("globalDefault", False)),
        t.since(pc["metadata"].get("creationTimestamp")),
        pc.get("preemptionPolicy") or "",
    ]


def _limit_range(lr: Obj, t: Since) -> list[Any]:
    return [lr["metadata"]["name"], lr["metadata"].get("creationTimestamp") or ""]


PRINTERS: dict[str, Callable[[Obj, Any], list[Any]]] = {
    "ResourceQuota": _resource_quota,
    "PriorityClass": _priority_class,
    "LimitRange": _limit_range,
}
