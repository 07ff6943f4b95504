"""`autoscaling/v1` HorizontalPodAutoscalers, converted to and from the stored `autoscaling/v2`.

kube-apiserver stores HPAs in `autoscaling/v2` and serves `autoscaling/v1` beside it through
the conversion functions of `pkg/apis/autoscaling/v1/conversion.go` (release-1.32):

- v1 has one metric field, `spec.targetCPUUtilizationPercentage`. It is the first Resource
  `cpu` metric with an `averageUtilization` target (the fix for kubernetes#101370 skips a cpu
  metric with an `averageValue` target). Every other metric travels, in the v1 `MetricSpec`
  shape (`targetAverageUtilization`, `metricName`, ...), as JSON in the annotation
  `autoscaling.alpha.kubernetes.io/metrics`; reading back, those come first and the cpu metric
  last. No metric at all (neither the field nor the annotation) means cpu at 80 % — v1's old
  implicit default, made explicit by the conversion.
- `spec.behavior` travels in `autoscaling.alpha.kubernetes.io/behavior` as Go marshals the
  *internal* type, which has no json tags: `{"ScaleUp":{"StabilizationWindowSeconds":0,
  "SelectPolicy":"Max","Policies":[{"Type":"Pods","Value":4,"PeriodSeconds":15},...]},...}`
  (upstream leaves a TODO about it). `encoding/json` matches keys case-insensitively on the way
  back, and so does this module.
- The status keeps `currentReplicas`, `desiredReplicas`, `lastScaleTime` and
  `observedGeneration`; `currentCPUUtilizationPercentage` is the cpu metric's current
  utilization; all current metrics (in the v1 `MetricStatus` shape) go into
  `autoscaling.alpha.kubernetes.io/current-metrics` and the conditions into
  `autoscaling.alpha.kubernetes.io/conditions`.
- The round-trip annotations are dropped whenever an object enters storage
  (`DropRoundTripHorizontalPodAutoscalerAnnotations`, which v2's conversion applies too), and
  only the ones the conversion itself produced appear on a v1 object.

Annotation values are JSON written field by field in the Go structs' declaration order, as
`json.Marshal` writes them. Simplified: quantities are copied as stored, not re-canonicalised;
the 1.33 tolerance annotations do not exist in the 1.32 API this lab serves.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import BadRequest
from .jsonutil import copy_json

Obj = dict[str, Any]

GROUP = "autoscaling"
STORAGE_API_VERSION = "autoscaling/v2"
V1_API_VERSION = "autoscaling/v1"
KIND = "HorizontalPodAutoscaler"

#: `autoscaling.MetricSpecsAnnotation` and its siblings (`pkg/apis/autoscaling/annotations.go`).
METRIC_SPECS_ANNOTATION = "autoscaling.alpha.kubernetes.io/metrics"
METRIC_STATUSES_ANNOTATION = "autoscaling.alpha.kubernetes.io/current-metrics"
CONDITIONS_ANNOTATION = "autoscaling.alpha.kubernetes.io/conditions"
BEHAVIOR_SPECS_ANNOTATION = "autoscaling.alpha.kubernetes.io/behavior"
ROUND_TRIP_ANNOTATIONS = (
    METRIC_SPECS_ANNOTATION,
    BEHAVIOR_SPECS_ANNOTATION,
    METRIC_STATUSES_ANNOTATION,
    CONDITIONS_ANNOTATION,
)
#: `autoscaling.DefaultCPUUtilization`.
DEFAULT_CPU_UTILIZATION = 80


# -- helpers -----------------------------------------------------------------------------------


def _set(out: Obj, key: str, value: Any) -> None:
    """Go's `omitempty` for pointers: a nil value is not written."""
    if value is not None:
        out[key] = value


def _dict(value: Any) -> Obj:
    return value if isinstance(value, dict) else {}


def _go_json(value: Any) -> str:
    """`json.Marshal`'s compact text (no spaces; `<`, `>`, `&` escaped as Go escapes them)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _decode_error(exc: json.JSONDecodeError) -> str:
    """How `encoding/json` words the common syntax errors."""
    if not exc.doc.strip() or exc.pos >= len(exc.doc):
        return "unexpected end of JSON input"
    return f"invalid character '{exc.doc[exc.pos]}' looking for beginning of value"


def _annotation_json(annotations: Obj, key: str, go_type: str, want: type) -> Any:
    """The JSON an annotation holds, or a 400 worded as the API server's decoder words it."""
    prefix = f'{KIND} in version "v1" cannot be handled as a {KIND}: '
    try:
        value = json.loads(str(annotations[key]))
    except json.JSONDecodeError as exc:
        raise BadRequest(prefix + _decode_error(exc)) from exc
    if value is not None and not isinstance(value, want):
        found = {dict: "object", list: "array", str: "string", bool: "bool"}.get(type(value), "number")
        raise BadRequest(f"{prefix}json: cannot unmarshal {found} into Go value of type {go_type}")
    return value


def drop_round_trip_annotations(meta: Obj) -> None:
    """`DropRoundTripHorizontalPodAutoscalerAnnotations`: remove the conversion's annotations
    (an emptied map is left out, as `omitempty` leaves it)."""
    annotations = meta.get("annotations")
    if not isinstance(annotations, dict) or not any(k in annotations for k in ROUND_TRIP_ANNOTATIONS):
        return
    kept = {k: v for k, v in annotations.items() if k not in ROUND_TRIP_ANNOTATIONS}
    if kept:
        meta["annotations"] = kept
    else:
        meta.pop("annotations", None)


def _is_cpu_utilization(metric: Obj) -> bool:
    resource = _dict(metric.get("resource"))
    return (
        metric.get("type") == "Resource"
        and bool(resource)
        and resource.get("name") == "cpu"
        and _dict(resource.get("target")).get("averageUtilization") is not None
    )


def _cpu_metric(utilization: int) -> Obj:
    return {
        "type": "Resource",
        "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": utilization}},
    }


def _ref(ref: Any) -> Obj:
    """`CrossVersionObjectReference`: kind, name, apiVersion (omitempty)."""
    ref = _dict(ref)
    out: Obj = {"kind": ref.get("kind", ""), "name": ref.get("name", "")}
    if ref.get("apiVersion"):
        out["apiVersion"] = ref["apiVersion"]
    return out


def _identifier(name: Any, selector: Any) -> Obj:
    out: Obj = {"name": name or ""}
    _set(out, "selector", selector)
    return out


# -- metric specs ------------------------------------------------------------------------------


def metric_spec_to_v1(metric: Obj) -> Obj:
    """`Convert_autoscaling_MetricSpec_To_v1_MetricSpec` with its per-source functions."""
    out: Obj = {"type": metric.get("type", "")}
    if obj := _dict(metric.get("object")):
        target, ident = _dict(obj.get("target")), _dict(obj.get("metric"))
        src: Obj = {
            "target": _ref(obj.get("describedObject")),
            "metricName": ident.get("name", ""),
            "targetValue": target.get("value") or "0",
        }
        _set(src, "selector", ident.get("selector"))
        _set(src, "averageValue", target.get("averageValue"))
        out["object"] = src
    if pods := _dict(metric.get("pods")):
        target, ident = _dict(pods.get("target")), _dict(pods.get("metric"))
        src = {"metricName": ident.get("name", ""), "targetAverageValue": target.get("averageValue") or "0"}
        _set(src, "selector", ident.get("selector"))
        out["pods"] = src
    for key in ("resource", "containerResource"):
        if res := _dict(metric.get(key)):
            target = _dict(res.get("target"))
            src = {"name": res.get("name", "")}
            _set(src, "targetAverageUtilization", target.get("averageUtilization"))
            _set(src, "targetAverageValue", target.get("averageValue"))
            if key == "containerResource":
                src["container"] = res.get("container", "")
            out[key] = src
    if ext := _dict(metric.get("external")):
        target, ident = _dict(ext.get("target")), _dict(ext.get("metric"))
        src = {"metricName": ident.get("name", "")}
        _set(src, "metricSelector", ident.get("selector"))
        _set(src, "targetValue", target.get("value"))
        _set(src, "targetAverageValue", target.get("averageValue"))
        out["external"] = src
    return out


def metric_spec_from_v1(metric: Obj) -> Obj:
    """`Convert_v1_MetricSpec_To_autoscaling_MetricSpec` with its per-source functions."""
    metric = _dict(metric)
    out: Obj = {"type": metric.get("type", "")}
    if obj := _dict(metric.get("object")):
        target: Obj = {"type": "Value" if obj.get("averageValue") is None else "AverageValue"}
        target["value"] = obj.get("targetValue") or "0"  # `Value: &in.TargetValue`: always set
        _set(target, "averageValue", obj.get("averageValue"))
        out["object"] = {
            "describedObject": _ref(obj.get("target")),
            "target": target,
            "metric": _identifier(obj.get("metricName"), obj.get("selector")),
        }
    if pods := _dict(metric.get("pods")):
        out["pods"] = {
            "metric": _identifier(pods.get("metricName"), pods.get("selector")),
            "target": {"type": "AverageValue", "averageValue": pods.get("targetAverageValue") or "0"},
        }
    for key in ("resource", "containerResource"):
        if res := _dict(metric.get(key)):
            utilization = res.get("targetAverageUtilization")
            target = {"type": "AverageValue" if utilization is None else "Utilization"}
            _set(target, "averageUtilization", utilization)
            _set(target, "averageValue", res.get("targetAverageValue"))
            src: Obj = {"name": res.get("name", ""), "target": target}
            if key == "containerResource":
                src["container"] = res.get("container", "")
            out[key] = src
    if ext := _dict(metric.get("external")):
        value = ext.get("targetValue")
        target = {"type": "AverageValue" if value is None else "Value"}
        _set(target, "value", value)
        _set(target, "averageValue", ext.get("targetAverageValue"))
        out["external"] = {
            "metric": _identifier(ext.get("metricName"), ext.get("metricSelector")),
            "target": target,
        }
    return out


# -- metric statuses ---------------------------------------------------------------------------


def metric_status_to_v1(metric: Obj) -> Obj:
    """`Convert_autoscaling_MetricStatus_To_v1_MetricStatus` with its per-source functions."""
    out: Obj = {"type": metric.get("type", "")}
    if obj := _dict(metric.get("object")):
        current, ident = _dict(obj.get("current")), _dict(obj.get("metric"))
        src: Obj = {
            "target": _ref(obj.get("describedObject")),
            "metricName": ident.get("name", ""),
            "currentValue": current.get("value") or "0",
        }
        _set(src, "selector", ident.get("selector"))
        _set(src, "averageValue", current.get("averageValue"))
        out["object"] = src
    if pods := _dict(metric.get("pods")):
        current, ident = _dict(pods.get("current")), _dict(pods.get("metric"))
        src = {"metricName": ident.get("name", ""), "currentAverageValue": current.get("averageValue") or "0"}
        _set(src, "selector", ident.get("selector"))
        out["pods"] = src
    for key in ("resource", "containerResource"):
        if res := _dict(metric.get(key)):
            current = _dict(res.get("current"))
            src = {"name": res.get("name", "")}
            _set(src, "currentAverageUtilization", current.get("averageUtilization"))
            src["currentAverageValue"] = current.get("averageValue") or "0"
            if key == "containerResource":
                src["container"] = res.get("container", "")
            out[key] = src
    if ext := _dict(metric.get("external")):
        current, ident = _dict(ext.get("current")), _dict(ext.get("metric"))
        src = {"metricName": ident.get("name", "")}
        _set(src, "metricSelector", ident.get("selector"))
        src["currentValue"] = current.get("value") or "0"
        _set(src, "currentAverageValue", current.get("averageValue"))
        out["external"] = src
    return out


def metric_status_from_v1(metric: Obj) -> Obj:
    """`Convert_v1_MetricStatus_To_autoscaling_MetricStatus` with its per-source functions."""
    metric = _dict(metric)
    out: Obj = {"type": metric.get("type", "")}
    if obj := _dict(metric.get("object")):
        current: Obj = {"value": obj.get("currentValue") or "0"}
        _set(current, "averageValue", obj.get("averageValue"))
        out["object"] = {
            "metric": _identifier(obj.get("metricName"), obj.get("selector")),
            "current": current,
            "describedObject": _ref(obj.get("target")),
        }
    if pods := _dict(metric.get("pods")):
        out["pods"] = {
            "metric": _identifier(pods.get("metricName"), pods.get("selector")),
            "current": {"averageValue": pods.get("currentAverageValue") or "0"},
        }
    for key in ("resource", "containerResource"):
        if res := _dict(metric.get(key)):
            current = {"averageValue": res.get("currentAverageValue") or "0"}
            _set(current, "averageUtilization", res.get("currentAverageUtilization"))
            src: Obj = {"name": res.get("name", ""), "current": current}
            if key == "containerResource":
                src["container"] = res.get("container", "")
            out[key] = src
    if ext := _dict(metric.get("external")):
        current = {"value": ext.get("currentValue") or "0"}
        _set(current, "averageValue", ext.get("currentAverageValue"))
        out["external"] = {
            "metric": _identifier(ext.get("metricName"), ext.get("metricSelector")),
            "current": current,
        }
    return out


# -- conditions and behavior -------------------------------------------------------------------


def _condition_to_v1(condition: Obj) -> Obj:
    """`HorizontalPodAutoscalerCondition` (v1): a zero time marshals as null."""
    out: Obj = {
        "type": condition.get("type", ""),
        "status": condition.get("status", ""),
        "lastTransitionTime": condition.get("lastTransitionTime"),
    }
    if condition.get("reason"):
        out["reason"] = condition["reason"]
    if condition.get("message"):
        out["message"] = condition["message"]
    return out


def _condition_from_v1(condition: Any) -> Obj:
    condition = _dict(condition)
    out: Obj = {"type": condition.get("type", ""), "status": condition.get("status", "")}
    _set(out, "lastTransitionTime", condition.get("lastTransitionTime"))
    for key in ("reason", "message"):
        if condition.get(key):
            out[key] = condition[key]
    return out


_RULES_FIELDS = (
    ("StabilizationWindowSeconds", "stabilizationWindowSeconds"),
    ("SelectPolicy", "selectPolicy"),
)
_POLICY_FIELDS = (("Type", "type"), ("Value", "value"), ("PeriodSeconds", "periodSeconds"))


def behavior_to_internal(behavior: Obj) -> Obj:
    """The internal `HorizontalPodAutoscalerBehavior` as `json.Marshal` writes it (Go field
    names; nil pointers and slices as null)."""

    def rules(value: Any) -> Obj | None:
        if not isinstance(value, dict):
            return None
        out: Obj = {go: value.get(field) for go, field in _RULES_FIELDS}
        policies = value.get("policies")
        out["Policies"] = (
            [{go: _dict(p).get(field, 0) for go, field in _POLICY_FIELDS} for p in policies]
            if isinstance(policies, list)
            else None
        )
        return out

    return {"ScaleUp": rules(behavior.get("scaleUp")), "ScaleDown": rules(behavior.get("scaleDown"))}


def _fold(value: Any) -> Obj:
    """A JSON object's keys lower-cased: `encoding/json` matches field names case-insensitively."""
    return {str(k).lower(): v for k, v in value.items()} if isinstance(value, dict) else {}


def behavior_from_internal(value: Obj) -> Obj:
    """`json.Unmarshal` into the internal behavior, written back in v2 field names."""

    def rules(raw: Any) -> Obj | None:
        if raw is None:
            return None
        folded = _fold(raw)
        out: Obj = {}
        for go, field in _RULES_FIELDS:
            _set(out, field, folded.get(go.lower()))
        if isinstance(folded.get("policies"), list):
            out["policies"] = [
                {field: _fold(p).get(go.lower(), "" if go == "Type" else 0) for go, field in _POLICY_FIELDS}
                for p in folded["policies"]
            ]
        return out

    folded = _fold(value)
    out: Obj = {}
    _set(out, "scaleUp", rules(folded.get("scaleup")))
    _set(out, "scaleDown", rules(folded.get("scaledown")))
    return out


# -- whole objects -----------------------------------------------------------------------------


def spec_to_v1(spec: Obj) -> Obj:
    """`Convert_autoscaling_HorizontalPodAutoscalerSpec_To_v1_HorizontalPodAutoscalerSpec`."""
    out: Obj = {"scaleTargetRef": _ref(spec.get("scaleTargetRef"))}
    _set(out, "minReplicas", spec.get("minReplicas"))
    out["maxReplicas"] = spec.get("maxReplicas", 0)
    for metric in spec.get("metrics") or []:
        if _is_cpu_utilization(_dict(metric)):
            out["targetCPUUtilizationPercentage"] = metric["resource"]["target"]["averageUtilization"]
            break
    return out


def status_to_v1(status: Obj) -> Obj:
    """`Convert_autoscaling_HorizontalPodAutoscalerStatus_To_v1_HorizontalPodAutoscalerStatus`
    (`currentReplicas` and `desiredReplicas` are not omitempty in v1)."""
    out: Obj = {}
    _set(out, "observedGeneration", status.get("observedGeneration"))
    _set(out, "lastScaleTime", status.get("lastScaleTime"))
    out["currentReplicas"] = status.get("currentReplicas") or 0
    out["desiredReplicas"] = status.get("desiredReplicas") or 0
    for metric in status.get("currentMetrics") or []:
        resource = _dict(_dict(metric).get("resource"))
        if metric.get("type") == "Resource" and resource.get("name") == "cpu":
            utilization = _dict(resource.get("current")).get("averageUtilization")
            if utilization is not None:
                out["currentCPUUtilizationPercentage"] = utilization
    return out


def to_v1(stored: Obj) -> Obj:
    """`Convert_autoscaling_HorizontalPodAutoscaler_To_v1_HorizontalPodAutoscaler`: the stored
    (v2) object as an `autoscaling/v1` client sees it."""
    meta = copy_json(_dict(stored.get("metadata")))
    drop_round_trip_annotations(meta)
    spec, status = _dict(stored.get("spec")), _dict(stored.get("status"))
    other = [metric_spec_to_v1(m) for m in spec.get("metrics") or [] if not _is_cpu_utilization(_dict(m))]
    produced: list[tuple[str, str]] = []
    if other:
        produced.append((METRIC_SPECS_ANNOTATION, _go_json(other)))
    if status.get("currentMetrics"):
        current = [metric_status_to_v1(_dict(m)) for m in status["currentMetrics"]]
        produced.append((METRIC_STATUSES_ANNOTATION, _go_json(current)))
    if status.get("conditions"):
        conditions = [_condition_to_v1(_dict(c)) for c in status["conditions"]]
        produced.append((CONDITIONS_ANNOTATION, _go_json(conditions)))
    if isinstance(spec.get("behavior"), dict):
        produced.append((BEHAVIOR_SPECS_ANNOTATION, _go_json(behavior_to_internal(spec["behavior"]))))
    if produced:
        meta["annotations"] = {**_dict(meta.get("annotations")), **dict(produced)}
    out: Obj = {"kind": KIND, "apiVersion": V1_API_VERSION, "metadata": meta, "spec": spec_to_v1(spec)}
    out["status"] = status_to_v1(status)
    return out


def from_v1(obj: Obj) -> Obj:
    """`Convert_v1_HorizontalPodAutoscaler_To_autoscaling_HorizontalPodAutoscaler`: an
    `autoscaling/v1` object (a request body) as it is stored. Fields v1 does not have were
    refused by the decoder before; the annotations' JSON is decoded here (a 400 when broken)."""
    meta = copy_json(_dict(obj.get("metadata")))
    annotations = _dict(meta.get("annotations"))
    spec_in = _dict(obj.get("spec"))
    spec: Obj = {}
    if "scaleTargetRef" in spec_in:
        spec["scaleTargetRef"] = _ref(spec_in.get("scaleTargetRef"))
    _set(spec, "minReplicas", spec_in.get("minReplicas"))
    _set(spec, "maxReplicas", spec_in.get("maxReplicas"))
    metrics: list[Obj] = []
    if spec_in.get("targetCPUUtilizationPercentage") is not None:
        metrics = [_cpu_metric(spec_in["targetCPUUtilizationPercentage"])]
    if METRIC_SPECS_ANNOTATION in annotations:
        listed = _annotation_json(annotations, METRIC_SPECS_ANNOTATION, "[]v1.MetricSpec", list) or []
        metrics = [metric_spec_from_v1(m) for m in listed] + metrics[:1]
    spec["metrics"] = metrics or [_cpu_metric(DEFAULT_CPU_UTILIZATION)]
    if BEHAVIOR_SPECS_ANNOTATION in annotations:
        raw = _annotation_json(
            annotations, BEHAVIOR_SPECS_ANNOTATION, "autoscaling.HorizontalPodAutoscalerBehavior", dict
        )
        spec["behavior"] = behavior_from_internal(raw or {})
    out: Obj = {"apiVersion": STORAGE_API_VERSION, "kind": KIND, "metadata": meta, "spec": spec}
    status_in = obj.get("status")
    status_annotated = METRIC_STATUSES_ANNOTATION in annotations or CONDITIONS_ANNOTATION in annotations
    if isinstance(status_in, dict) or status_annotated:
        status_in = _dict(status_in)
        status: Obj = {}
        _set(status, "observedGeneration", status_in.get("observedGeneration"))
        _set(status, "lastScaleTime", status_in.get("lastScaleTime"))
        if status_in.get("currentReplicas"):  # omitempty in v2
            status["currentReplicas"] = status_in["currentReplicas"]
        status["desiredReplicas"] = status_in.get("desiredReplicas") or 0
        current: list[Obj] | None = None
        if status_in.get("currentCPUUtilizationPercentage") is not None:
            utilization = status_in["currentCPUUtilizationPercentage"]
            cpu = {"name": "cpu", "current": {"averageUtilization": utilization}}
            current = [{"type": "Resource", "resource": cpu}]
        if METRIC_STATUSES_ANNOTATION in annotations:
            listed = _annotation_json(annotations, METRIC_STATUSES_ANNOTATION, "[]v1.MetricStatus", list)
            current = [metric_status_from_v1(m) for m in listed or []]
        status["currentMetrics"] = current
        if CONDITIONS_ANNOTATION in annotations:
            listed = _annotation_json(
                annotations, CONDITIONS_ANNOTATION, "[]v1.HorizontalPodAutoscalerCondition", list
            )
            status["conditions"] = [_condition_from_v1(c) for c in listed or []]
        out["status"] = status
    drop_round_trip_annotations(meta)
    return out


def normalize_v2(obj: Obj) -> Obj:
    """An `autoscaling/v2` object entering storage: v2's conversion drops the round-trip
    annotations too, so a client cannot plant them."""
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        obj = {**obj, "metadata": dict(meta)}
        drop_round_trip_annotations(obj["metadata"])
    return obj
