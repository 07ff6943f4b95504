"""The HorizontalPodAutoscaler table, as kube-apiserver 1.32's `pkg/printers/internalversion`
prints it: NAME, REFERENCE (`Kind/name`), TARGETS (each metric as `current/target`, a Resource
utilization as `cpu: 250%/50%`, `<unknown>` until the controller has measured it, at most two
then `+ N more...`), MINPODS, MAXPODS, REPLICAS (the status' currentReplicas), AGE."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

Obj = dict[str, Any]

REFERENCE_DOC = (
    "scaleTargetRef points to the target resource to scale, and is used to the pods for which "
    "metrics should be collected, as well as to actually change the replica count."
)
TARGETS_DOC = (
    "metrics contains the specifications for which to use to calculate the desired replica count "
    "(the maximum replica count across all metrics will be used)."
)
MINPODS_DOC = (
    "minReplicas is the lower limit for the number of replicas to which the autoscaler can scale "
    "down.  It defaults to 1 pod."
)
MAXPODS_DOC = (
    "maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale "
    "up. It cannot be less that minReplicas."
)
REPLICAS_DOC = (
    "currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen "
    "by the autoscaler."
)
MAX_SHOWN = 2


class Since(Protocol):
    def since(self, timestamp: str | None) -> str: ...


def _col(name: str, description: str, ctype: str = "string") -> Obj:
    return {"name": name, "type": ctype, "format": "", "description": description, "priority": 0}


def columns(name_col: Obj, age_col: Obj) -> dict[str, list[Obj]]:
    return {
        "HorizontalPodAutoscaler": [
            name_col,
            _col("Reference", REFERENCE_DOC),
            _col("Targets", TARGETS_DOC),
            _col("MinPods", MINPODS_DOC),
            _col("MaxPods", MAXPODS_DOC, "integer"),
            _col("Replicas", REPLICAS_DOC, "integer"),
            age_col,
        ]
    }


def _status_at(statuses: list[Obj], i: int, key: str) -> Obj | None:
    if i < len(statuses) and isinstance(statuses[i], dict):
        found = statuses[i].get(key)
        return found if isinstance(found, dict) else None
    return None


def _resource_target(spec: Obj, status: Obj | None) -> str:
    """One Resource or ContainerResource metric: `cpu: 250%/50%` or `memory: 10Mi/50Mi`."""
    name = spec.get("name", "")
    target = spec.get("target") or {}
    current = (status or {}).get("current") or {}
    if target.get("averageValue") is not None:
        value = current.get("averageValue") if status is not None else None
        return f"{name}: {value if value is not None else '<unknown>'}/{target['averageValue']}"
    util = current.get("averageUtilization")
    shown = f"{util}%" if status is not None and util is not None else "<unknown>"
    wanted = f"{target['averageUtilization']}%" if target.get("averageUtilization") is not None else "<auto>"
    return f"{name}: {shown}/{wanted}"


def format_targets(hpa: Obj) -> str:
    """`formatHPAMetrics` of the spec's metrics against the status' currentMetrics."""
    specs = (hpa.get("spec") or {}).get("metrics") or []
    statuses = (hpa.get("status") or {}).get("currentMetrics") or []
    if not specs:
        return "<none>"
    shown: list[str] = []
    for i, metric in enumerate(specs):
        mtype = metric.get("type")
        if mtype in ("Resource", "ContainerResource"):
            key = "resource" if mtype == "Resource" else "containerResource"
            shown.append(_resource_target(metric.get(key) or {}, _status_at(statuses, i, key)))
        elif mtype == "Pods":
            status = _status_at(statuses, i, "pods")
            value = ((status or {}).get("current") or {}).get("averageValue")
            target = ((metric.get("pods") or {}).get("target") or {}).get("averageValue")
            shown.append(f"{value if value is not None else '<unknown>'}/{target}")
        elif mtype in ("Object", "External"):
            key = mtype.lower()
            status = _status_at(statuses, i, key)
            target = (metric.get(key) or {}).get("target") or {}
            current = (status or {}).get("current") or {}
            if target.get("averageValue") is not None:
                value = current.get("averageValue")
                shown.append(f"{value if value is not None else '<unknown>'}/{target['averageValue']} (avg)")
            else:
                value = current.get("value")
                shown.append(f"{value if value is not None else '<unknown>'}/{target.get('value')}")
        else:
            shown.append("<unknown type>")
    if len(shown) > MAX_SHOWN:
        return ", ".join(shown[:MAX_SHOWN]) + f" + {len(shown) - MAX_SHOWN} more..."
    return ", ".join(shown)


def _hpa(hpa: Obj, t: Since) -> list[Any]:
    spec, status = hpa.get("spec") or {}, hpa.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    min_replicas = spec.get("minReplicas")
    return [
        hpa["metadata"]["name"],
        f"{ref.get('kind', '')}/{ref.get('name', '')}",
        format_targets(hpa),
        "<unset>" if min_replicas is None else str(min_replicas),
        int(spec.get("maxReplicas", 0)),
        int(status.get("currentReplicas", 0)),
        t.since(hpa["metadata"].get("creationTimestamp")),
    ]


PRINTERS: dict[str, Callable[[Obj, Any], list[Any]]] = {"HorizontalPodAutoscaler": _hpa}
