"""The HorizontalPodAutoscaler (`autoscaling/v2`) as kube-apiserver stores it: defaults,
validation and the status a new object starts with.

Defaulting is `pkg/apis/autoscaling/v2/defaults.go`: `minReplicas` 1; no `metrics` means one
Resource metric, CPU at 80 % average utilization; a `behavior` that is given gets its missing
halves filled in — scale-up: no stabilization, `selectPolicy: Max`, policies 4 Pods and 100
Percent per 15 s; scale-down: `selectPolicy: Max`, 100 Percent per 15 s, and the
stabilization window left unset (the controller applies its own flag, 300 s). An HPA without
`behavior` keeps none: the controller then uses its built-in rules (`controllers/
horizontal_pod_autoscaler.py`).

Validation is `pkg/apis/autoscaling/validation` (`ValidateHorizontalPodAutoscaler`), with its
field paths and wording. `PrepareForCreate` drops any status sent: a new object shows
`desiredReplicas: 0` and `currentMetrics: null`, as the v2 serialisation writes them.

`autoscaling/v2` is the storage version; `autoscaling/v1` is served beside it through the
conversion in `autoscaling_v1.py` (registered in `conversion.py`).
"""

from __future__ import annotations

from typing import Any

from .quantity import QuantityError, parse_quantity

Obj = dict[str, Any]
Causes = list[tuple[str, str]]

DEFAULT_CPU_UTILIZATION = 80
#: `MaxPeriodSeconds` and `MaxStabilizationWindowSeconds` of the validation package.
MAX_PERIOD_SECONDS = 1800
MAX_STABILIZATION_WINDOW_SECONDS = 3600
METRIC_SOURCE_TYPES = ("ContainerResource", "External", "Object", "Pods", "Resource")
SELECT_POLICIES = ("Disabled", "Max", "Min")
POLICY_TYPES = ("Percent", "Pods")
TARGET_TYPES = ("AverageValue", "Utilization", "Value")


def default_scale_up_rules() -> Obj:
    """`GenerateHPAScaleUpRules(nil)`: the old fixed rule, max(4 pods, 100 %) per 15 s."""
    return {
        "stabilizationWindowSeconds": 0,
        "selectPolicy": "Max",
        "policies": [
            {"type": "Pods", "value": 4, "periodSeconds": 15},
            {"type": "Percent", "value": 100, "periodSeconds": 15},
        ],
    }


def default_scale_down_rules() -> Obj:
    """`GenerateHPAScaleDownRules(nil)`: 100 % per 15 s; the window is the controller's flag."""
    return {"selectPolicy": "Max", "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}


def _fill_rules(given: Any, defaults: Obj) -> Obj:
    """A given rule set keeps what it sets; unset fields come from the defaults."""
    if not isinstance(given, dict):
        return defaults
    rules = dict(given)
    if rules.get("selectPolicy") is None:
        rules["selectPolicy"] = defaults["selectPolicy"]
    if not rules.get("policies"):
        rules["policies"] = defaults["policies"]
    if rules.get("stabilizationWindowSeconds") is None and "stabilizationWindowSeconds" in defaults:
        rules["stabilizationWindowSeconds"] = defaults["stabilizationWindowSeconds"]
    return rules


def default_hpa(hpa: Obj) -> None:
    """`SetDefaults_HorizontalPodAutoscaler` of `autoscaling/v2`."""
    spec = hpa.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    if spec.get("minReplicas") is None:
        spec["minReplicas"] = 1
    if not spec.get("metrics"):
        spec["metrics"] = [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": DEFAULT_CPU_UTILIZATION},
                },
            }
        ]
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):
        behavior["scaleUp"] = _fill_rules(behavior.get("scaleUp"), default_scale_up_rules())
        behavior["scaleDown"] = _fill_rules(behavior.get("scaleDown"), default_scale_down_rules())


def empty_status() -> Obj:
    """What `PrepareForCreate` leaves: the controller fills the rest in."""
    return {"currentMetrics": None, "desiredReplicas": 0}


# -- validation ------------------------------------------------------------------------------


def _go(value: Any) -> str:
    """A value as field errors print it (`"x"` for strings, the number otherwise)."""
    return '"' + str(value) + '"' if isinstance(value, str) else str(value)


def _path_segment_causes(value: str, path: str) -> Causes:
    """`path.IsValidPathSegmentName`: no `.`/`..`, no `/` or `%`."""
    if value in (".", ".."):
        return [(path, f"Invalid value: {_go(value)}: may not be '{value}'")]
    return [
        (path, f"Invalid value: {_go(value)}: may not contain '{bad}'") for bad in ("/", "%") if bad in value
    ]


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _target_causes(target: Any, path: str) -> Causes:
    """`validateMetricTarget`."""
    target = target if isinstance(target, dict) else {}
    causes: Causes = []
    ttype = target.get("type") or ""
    if not ttype:
        causes.append((f"{path}.type", "Required value: must specify a metric target type"))
    if ttype not in TARGET_TYPES:
        causes.append(
            (
                f"{path}.type",
                f"Invalid value: {_go(ttype)}: must be either Utilization, Value, or AverageValue",
            )
        )
    for key in ("value", "averageValue"):
        raw = target.get(key)
        if raw is None:
            continue
        try:
            positive = parse_quantity(str(raw)) > 0
        except QuantityError:
            positive = False
        if not positive:
            causes.append((f"{path}.{key}", f"Invalid value: {_go(str(raw))}: must be positive"))
    util = target.get("averageUtilization")
    if util is not None and (_int(util) is None or util < 1):
        causes.append((f"{path}.averageUtilization", f"Invalid value: {util}: must be greater than 0"))
    return causes


def _resource_causes(source: Any, path: str) -> Causes:
    """`validateResourceSource` (and the container variant's extra name)."""
    source = source if isinstance(source, dict) else {}
    causes: Causes = []
    if not source.get("name"):
        causes.append((f"{path}.name", "Required value: must specify a resource name"))
    target = source.get("target") if isinstance(source.get("target"), dict) else {}
    causes += _target_causes(target, f"{path}.target")
    has_util, has_value = target.get("averageUtilization") is not None, target.get("averageValue") is not None
    if not has_util and not has_value:
        causes.append(
            (
                f"{path}.target.averageUtilization",
                "Required value: must set either a target raw value or a target utilization",
            )
        )
    if has_util and has_value:
        causes.append(
            (
                f"{path}.target.averageValue",
                "Forbidden: may not set both a target raw value and a target utilization",
            )
        )
    return causes


_SOURCE_FIELD = {
    "Resource": "resource",
    "ContainerResource": "containerResource",
    "Pods": "pods",
    "Object": "object",
    "External": "external",
}


def _metric_causes(metric: Any, path: str) -> Causes:
    """`validateMetricSpec` (the source-specific checks for Resource and ContainerResource)."""
    metric = metric if isinstance(metric, dict) else {}
    mtype = metric.get("type") or ""
    if not mtype:
        return [(f"{path}.type", "Required value: must specify a metric source type")]
    if mtype not in METRIC_SOURCE_TYPES:
        supported = ", ".join(f'"{t}"' for t in METRIC_SOURCE_TYPES)
        return [(f"{path}.type", f"Unsupported value: {_go(mtype)}: supported values: {supported}")]
    causes: Causes = []
    for other_type, key in _SOURCE_FIELD.items():
        if other_type != mtype and metric.get(key) is not None:
            causes.append((f"{path}.{key}", "Forbidden: must populate the given metric source only"))
    source = metric.get(_SOURCE_FIELD[mtype])
    if source is None:
        causes.append(
            (
                f"{path}.{_SOURCE_FIELD[mtype]}",
                "Required value: must populate information for the given metric source",
            )
        )
        return causes
    if mtype == "Resource":
        causes += _resource_causes(source, f"{path}.resource")
    elif mtype == "ContainerResource":
        causes += _resource_causes(source, f"{path}.containerResource")
        if not (source or {}).get("container"):
            causes.append((f"{path}.containerResource.container", "Required value: must specify a container"))
    return causes


def _rules_causes(rules: Any, path: str) -> Causes:
    """`validateScalingRules` and `validateScalingPolicy`."""
    if not isinstance(rules, dict):
        return []
    causes: Causes = []
    window = rules.get("stabilizationWindowSeconds")
    if window is not None and _int(window) is not None:
        if window < 0:
            causes.append(
                (
                    f"{path}.stabilizationWindowSeconds",
                    f"Invalid value: {window}: must be greater than or equal to zero",
                )
            )
        if window > MAX_STABILIZATION_WINDOW_SECONDS:
            causes.append(
                (
                    f"{path}.stabilizationWindowSeconds",
                    f"Invalid value: {window}: must be less than or equal to "
                    f"{MAX_STABILIZATION_WINDOW_SECONDS}",
                )
            )
    select = rules.get("selectPolicy")
    if select is not None and select not in SELECT_POLICIES:
        supported = ", ".join(f'"{p}"' for p in SELECT_POLICIES)
        causes.append(
            (f"{path}.selectPolicy", f"Unsupported value: {_go(select)}: supported values: {supported}")
        )
    policies = rules.get("policies") or []
    if not policies:
        causes.append((f"{path}.policies", "Required value: must specify at least one Policy"))
    for i, policy in enumerate(policies):
        ppath = f"{path}.policies[{i}]"
        policy = policy if isinstance(policy, dict) else {}
        ptype = policy.get("type") or ""
        if ptype not in POLICY_TYPES:
            causes.append(
                (f"{ppath}.type", f'Unsupported value: {_go(ptype)}: supported values: "Percent", "Pods"')
            )
        value = _int(policy.get("value")) or 0
        if value <= 0:
            causes.append((f"{ppath}.value", f"Invalid value: {value}: must be greater than zero"))
        period = _int(policy.get("periodSeconds")) or 0
        if period <= 0:
            causes.append((f"{ppath}.periodSeconds", f"Invalid value: {period}: must be greater than zero"))
        if period > MAX_PERIOD_SECONDS:
            causes.append(
                (
                    f"{ppath}.periodSeconds",
                    f"Invalid value: {period}: must be less than or equal to {MAX_PERIOD_SECONDS}",
                )
            )
    return causes


def hpa_causes(hpa: Obj) -> Causes:
    """`validateHorizontalPodAutoscalerSpec`: replicas, the target reference, then (only when
    those hold) the metrics, then the behavior."""
    spec = hpa.get("spec") if isinstance(hpa.get("spec"), dict) else {}
    causes: Causes = []
    min_replicas = _int(spec.get("minReplicas"))
    max_replicas = _int(spec.get("maxReplicas")) or 0
    if min_replicas is not None and min_replicas < 1:
        causes.append(
            ("spec.minReplicas", f"Invalid value: {min_replicas}: must be greater than or equal to 1")
        )
    if max_replicas < 1:
        causes.append(("spec.maxReplicas", f"Invalid value: {max_replicas}: must be greater than 0"))
    if min_replicas is not None and max_replicas < min_replicas:
        causes.append(
            (
                "spec.maxReplicas",
                f"Invalid value: {max_replicas}: must be greater than or equal to `minReplicas`",
            )
        )
    ref = spec.get("scaleTargetRef") if isinstance(spec.get("scaleTargetRef"), dict) else {}
    ref_causes: Causes = []
    for key in ("kind", "name"):
        value = ref.get(key) or ""
        if not value:
            ref_causes.append((f"spec.scaleTargetRef.{key}", "Required value"))
        else:
            ref_causes += _path_segment_causes(str(value), f"spec.scaleTargetRef.{key}")
    if ref_causes:
        return causes + ref_causes
    metric_causes: Causes = []
    for i, metric in enumerate(spec.get("metrics") or []):
        metric_causes += _metric_causes(metric, f"spec.metrics[{i}]")
    if metric_causes:
        return causes + metric_causes
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):
        causes += _rules_causes(behavior.get("scaleUp"), "spec.behavior.scaleUp")
        causes += _rules_causes(behavior.get("scaleDown"), "spec.behavior.scaleDown")
    return causes
