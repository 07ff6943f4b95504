"""The HPA inspector: one HorizontalPodAutoscaler's last calculation, with its live numbers.

The engine does the work (`controllers/horizontal_pod_autoscaler.py` keeps each HPA's last
`Explanation`, the decision log keeps why it acted); this module finds the HPA, the leading
kube-controller-manager's last calculation for it, and hands the template plain values:
the formula `ceil(ready pods × utilization % / target %) = n`, what the stabilization window
and the limits made of it, the conditions, the recent decisions, and the load generator on
the target's pods (the `set_load` command). It also tells the board which Deployments an HPA
scales, so their row can open the inspector.
"""

from __future__ import annotations

from typing import Any

from clusterlab.engine import Cluster
from clusterlab.engine.controllers.horizontal_pod_autoscaler import HorizontalPodAutoscalerController
from clusterlab.engine.controllers.hpa_behavior import DOWNSCALE_STABILIZATION
from clusterlab.engine.controllers.hpa_explanation import Explanation
from clusterlab.engine.controllers.replica_calculator import TOLERANCE
from clusterlab.engine.selectors import format_selector

Obj = dict[str, Any]
LIMITS = {
    "ScaleUpLimit": "the scale-up limit (max(2 × current, 4) per sync, or the behavior's policies)",
    "ScaleDownLimit": "the scale-down policies",
    "TooManyReplicas": "maxReplicas",
    "TooFewReplicas": "minReplicas",
}


def _controller(cluster: Cluster) -> HorizontalPodAutoscalerController | None:
    manager = cluster.controller_manager
    if manager is None:
        return None
    for controller in manager.controllers:
        if isinstance(controller, HorizontalPodAutoscalerController):
            return controller
    return None


def autoscaled(cluster: Cluster) -> dict[tuple[str, str], str]:
    """(namespace, Deployment name) → the name of an HPA that scales it."""
    out: dict[tuple[str, str], str] = {}
    for hpa in sorted(cluster.observe("horizontalpodautoscalers"), key=lambda h: h["metadata"]["name"]):
        ref = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
        if ref.get("kind") == "Deployment":
            out.setdefault((hpa["metadata"]["namespace"], str(ref.get("name"))), hpa["metadata"]["name"])
    return out


def mark_autoscaled(rows: list[Obj], cluster: Cluster) -> None:
    """Give each Deployment row the HPA that scales it (`hpa`, empty when none)."""
    scaled = autoscaled(cluster)
    for row in rows:
        row["hpa"] = scaled.get((row["namespace"], row["name"]), "")


def _target_selector(cluster: Cluster, namespace: str, ref: Obj) -> str:
    """The label selector of the HPA's target (what a load generator's Service would pick)."""
    plural = {"Deployment": "deployments", "ReplicaSet": "replicasets", "StatefulSet": "statefulsets"}
    resource = plural.get(str(ref.get("kind")))
    if resource is None:
        return ""
    for obj in cluster.observe(resource, namespace):
        if obj["metadata"]["name"] == ref.get("name"):
            selector = (obj.get("spec") or {}).get("selector") or {}
            return format_selector(selector) if selector else ""
    return ""


def _formula(e: Explanation) -> Obj | None:
    calc = e.calculation
    if calc is None:
        return None
    ratio = calc.new_ratio if calc.new_ratio is not None else calc.ratio
    out: Obj = {
        "ready": calc.ready,
        "utilization": calc.utilization,
        "target": calc.target,
        "ratio": f"{calc.ratio:.2f}",
        "raw": calc.desired,
        "within_tolerance": calc.rule == "tolerance",
        "tolerance": TOLERANCE,
        "rule": calc.rule,
        "unready": calc.unready,
        "missing": calc.missing,
        "new_ratio": f"{ratio:.2f}",
        "counted": calc.counted,
        "average": f"{calc.raw_average}m",
        "unit": "m" if calc.average_value else " %",
        "average_value": calc.average_value,
    }
    return out


def hpa_inspection(cluster: Cluster, namespace: str, name: str) -> Obj | None:
    """The template context for one HPA, or None when there is no such HPA."""
    from clusterlab.labs.board import clock_text  # the board imports this module

    hpa = next(
        (h for h in cluster.observe("horizontalpodautoscalers", namespace) if h["metadata"]["name"] == name),
        None,
    )
    if hpa is None:
        return None
    spec, status = hpa.get("spec") or {}, hpa.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    controller = _controller(cluster)
    e = controller.last_calculation.get(f"{namespace}/{name}") if controller is not None else None
    selector = _target_selector(cluster, namespace, ref)
    load = cluster.workload_loads.loads.get((namespace, selector)) if selector else None
    context: Obj = {
        "namespace": namespace,
        "name": name,
        "reference": f"{ref.get('kind', '')}/{ref.get('name', '')}",
        "min_replicas": spec.get("minReplicas", 1),
        "max_replicas": spec.get("maxReplicas", 0),
        "current": status.get("currentReplicas", 0),
        "desired": status.get("desiredReplicas", 0),
        "behavior": spec.get("behavior") is not None,
        "window": int(DOWNSCALE_STABILIZATION),
        "leader": controller is not None,
        "conditions": [
            {
                "type": c.get("type"),
                "status": c.get("status"),
                "reason": c.get("reason"),
                "message": c.get("message"),
            }
            for c in status.get("conditions") or []
        ],
        "decisions": [
            {"time": clock_text(d.time), "text": d.text}
            for d in reversed(cluster.decisions("HorizontalPodAutoscaler", name, namespace))
        ],
        "sync": None,
        "selector": selector,
        "load": f"{load.load:g}" if load is not None else "0",
    }
    if e is not None:
        context["sync"] = {
            "time": clock_text(e.time),
            "current": e.current,
            "formula": _formula(e),
            "proposed": e.proposed,
            "stabilized": e.stabilized,
            "desired": e.desired,
            "held": e.calculation is not None and e.stabilized != e.proposed,
            "limited": e.calculation is not None and e.desired != e.stabilized,
            "limit": LIMITS.get(e.limit_reason, e.limit_reason),
            "error": e.error,
            "text": e.text,
        }
    return context
