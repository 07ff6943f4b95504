"""The HorizontalPodAutoscaler controller: scale a workload to keep a metric near its target.

Like Kubernetes' `pkg/controller/podautoscaler/horizontal.go` (kube-controller-manager's
`horizontal-pod-autoscaler` controller), every `--horizontal-pod-autoscaler-sync-period`
(15 s; the first sync 15 s after the HPA appears, as its work queue's fixed-interval rate
limiter delays every add) it reconciles each HPA:

1. reads the target's `scale` subresource (a failure: `AbleToScale` False, `FailedGetScale`);
2. a target scaled to 0 disables autoscaling (`ScalingActive` False, `ScalingDisabled`); a
   count above `maxReplicas` or below `minReplicas` is brought back into range;
3. otherwise each metric proposes a count (`replica_calculator.py`: for a Resource metric,
   the pods' usage from the Metrics API against their requests) and the highest wins;
4. the proposal is normalized. Without `spec.behavior`: the highest recommendation of the
   last 300 s (`--horizontal-pod-autoscaler-downscale-stabilization`) stands (so scale-downs
   wait), and a scale-up is capped at max(2 × current, 4) per sync. With `behavior`: the
   stabilization window of the direction (the scale-down one defaulting to 300 s), then the
   policies' limit over their periods (`selectPolicy` Max, Min or Disabled);
5. a change is written to the scale subresource, with the event `SuccessfulRescale` ("New
   size: 4; reason: cpu resource utilization (percentage of request) above target");
6. the status gets the current and desired replicas, `currentMetrics`, `lastScaleTime` and
   the conditions `AbleToScale`, `ScalingActive` and `ScalingLimited` with Kubernetes'
   reasons and messages.

Every sync that reaches a recommendation records why (`explain`): the formula with its
numbers ("HPA php-apache: ceil(1 × 250 % / 50 %) = 5, limited to 4 by the scale-up limit");
`last_calculation` keeps the numbers for the lab page.

Simplified: the metrics come from the resource Metrics API only — Pods, Object and External
metrics fail as they do on a cluster without a custom/external metrics adapter; the status
write is skipped when nothing changed, as `updateStatusIfNeeded` does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..errors import ApiError
from ..informers import key_of
from ..jsonutil import copy_json
from ..kinds import KINDS
from ..quantity import milli_value
from ..selectors import parse_label_selector
from .base import Controller, ControllerContext
from .replica_calculator import (
    Calculation,
    CalculationError,
    pod_metrics,
    resource_replicas,
)

Obj = dict[str, Any]

SYNC_PERIOD = 15.0  # --horizontal-pod-autoscaler-sync-period
DOWNSCALE_STABILIZATION = 300.0  # --horizontal-pod-autoscaler-downscale-stabilization
SCALE_UP_LIMIT_FACTOR = 2.0
SCALE_UP_LIMIT_MINIMUM = 4.0
METRICS_UNAVAILABLE = "the server is currently unable to handle the request (get pods.metrics.k8s.io)"
NO_CUSTOM_METRICS = "no custom metrics API (custom.metrics.k8s.io) registered"
NO_EXTERNAL_METRICS = "no external metrics API (external.metrics.k8s.io) registered"
FROM_CUSTOM_METRICS = f"unable to fetch metrics from custom metrics API: {NO_CUSTOM_METRICS}"
HELD_UP = "recent recommendations were higher than current one, applying the highest recent recommendation"
HELD_DOWN = "recent recommendations were lower than current one, applying the lowest recent recommendation"


@dataclass
class ScaleEvent:
    change: int
    time: float
    outdated: bool = False


@dataclass
class Explanation:
    """The last sync's arithmetic for one HPA, for the lab page."""

    time: float
    current: int
    calculation: Calculation | None = None
    metric: str = ""
    proposed: int = 0  # what the metrics asked for
    stabilized: int = 0  # after the stabilization window
    desired: int = 0  # after min/max and the rate limits
    limit_reason: str = ""
    limit_message: str = ""
    error: str = ""
    text: str = ""


def _condition(conditions: list[Obj], ctype: str, status: str, reason: str, message: str, now: str) -> None:
    """`setConditionInList`: the transition time moves only when the status does."""
    for c in conditions:
        if c["type"] == ctype:
            if c.get("status") != status:
                c["lastTransitionTime"] = now
            c.update(status=status, reason=reason, message=message)
            return
    conditions.append(
        {"type": ctype, "status": status, "lastTransitionTime": now, "reason": reason, "message": message}
    )


def _milli_text(milli: int) -> str:
    """`resource.NewMilliQuantity(v, DecimalSI).String()`: `250m`, `1`, `12M`."""
    if milli % 1000:
        return f"{milli}m"
    value = milli // 1000
    if value == 0:
        return "0"
    for suffix, size in (
        ("E", 10**18),
        ("P", 10**15),
        ("T", 10**12),
        ("G", 10**9),
        ("M", 10**6),
        ("k", 10**3),
    ):
        if value % size == 0:
            return f"{value // size}{suffix}"
    return str(value)


class HorizontalPodAutoscalerController(Controller):
    name = "horizontal-pod-autoscaler"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.hpa_informer = ctx.informers.get("horizontalpodautoscalers")
        self.pod_informer = ctx.informers.get("pods")
        self.recommendations: dict[str, list[tuple[int, float]]] = {}
        self.scale_up_events: dict[str, list[ScaleEvent]] = {}
        self.scale_down_events: dict[str, list[ScaleEvent]] = {}
        self.last_calculation: dict[str, Explanation] = {}
        self.selectors: dict[str, Any] = {}  # HPA key → its target's pod selector, once synced
        self.hpa_informer.add_handler(self._enqueue, lambda old, new: self._enqueue(new), self._on_delete)

    def _enqueue(self, hpa: Obj) -> None:
        # `AddRateLimited` with the HPA's fixed-interval limiter: always one period later.
        self.queue.add_after(key_of(hpa), SYNC_PERIOD)

    def _on_delete(self, hpa: Obj) -> None:
        key = key_of(hpa)
        self.queue.forget(key)
        self.selectors.pop(key, None)

    # -- sync -------------------------------------------------------------------------------

    def sync(self, key: str) -> int:
        hpa = self.hpa_informer.get(key)
        if hpa is None:
            for table in (
                self.recommendations,
                self.scale_up_events,
                self.scale_down_events,
                self.last_calculation,
            ):
                table.pop(key, None)
            self.selectors.pop(key, None)
            return 0
        self.queue.add_after(key, SYNC_PERIOD)
        return self._reconcile(key, copy_json(hpa))

    def _target_kind(self, ref: Obj) -> Any:
        group = str(ref.get("apiVersion") or "").rpartition("/")[0]  # "" for the core group
        for kind in KINDS:
            if kind.kind == ref.get("kind") and kind.group == group:
                return kind
        return None

    def _reconcile(self, key: str, hpa: Obj) -> int:
        spec = hpa["spec"]
        original = copy_json(hpa.get("status") or {})
        status: Obj = copy_json(original)
        conditions: list[Obj] = status.setdefault("conditions", [])
        now_text = self.server.timestamp()
        ns = hpa["metadata"]["namespace"]
        ref = spec.get("scaleTargetRef") or {}
        kind = self._target_kind(ref)
        scale: Obj | None = None
        error = ""
        if kind is None:
            group = str(ref.get("apiVersion") or "").rpartition("/")[0]
            error = f'no matches for kind "{ref.get("kind")}" in group "{group}"'
        else:
            try:
                scale = self.server.get_scale(self.user, kind.plural, ref.get("name", ""), ns)
            except ApiError as exc:
                error = exc.message
        if scale is None:
            self.recorder.event(hpa, "Warning", "FailedGetScale", error)
            message = f"the HPA controller was unable to get the target's current scale: {error}"
            _condition(conditions, "AbleToScale", "False", "FailedGetScale", message, now_text)
            self._write(hpa, original, status)
            self._remember(
                key,
                Explanation(
                    self.clock.now, 0, error=message, text=f"HPA {hpa['metadata']['name']}: {message}"
                ),
            )
            return 1
        _condition(
            conditions,
            "AbleToScale",
            "True",
            "SucceededGetScale",
            "the HPA controller was able to get the target's current scale",
            now_text,
        )
        current = int(scale["spec"].get("replicas", 0))
        if key not in self.recommendations:
            self.recommendations[key] = [(current, self.clock.now)]
        min_replicas = int(spec["minReplicas"]) if spec.get("minReplicas") is not None else 1
        max_replicas = int(spec.get("maxReplicas", 0))
        explanation = Explanation(self.clock.now, current)
        name = hpa["metadata"]["name"]
        metric_statuses: list[Obj] | None = None  # measured only when the count is in range
        reason = ""
        rescale = True
        desired = 0
        if current == 0 and min_replicas != 0:
            rescale = False
            _condition(
                conditions,
                "ScalingActive",
                "False",
                "ScalingDisabled",
                "scaling is disabled since the replica count of the target is zero",
                now_text,
            )
            explanation.text = f"HPA {name}: the target has 0 replicas, so autoscaling is disabled"
        elif current > max_replicas:
            reason = "Current number of replicas above Spec.MaxReplicas"
            desired = max_replicas
            explanation.text = (
                f"HPA {name}: {current} replicas > maxReplicas {max_replicas} → scale to {desired}"
            )
        elif current < min_replicas:
            reason = "Current number of replicas below Spec.MinReplicas"
            desired = min_replicas
            explanation.text = (
                f"HPA {name}: {current} replicas < minReplicas {min_replicas} → scale to {desired}"
            )
        else:
            proposed, metric, metric_statuses, failure = self._replicas_for_metrics(
                hpa, scale, conditions, now_text, explanation
            )
            if failure:
                status.update(currentReplicas=current, currentMetrics=metric_statuses or None)
                self._finish_status(status)
                self._write(hpa, original, status)
                self.recorder.event(hpa, "Warning", "FailedComputeMetricsReplicas", failure)
                explanation.error = failure
                explanation.text = f"HPA {name}: no recommendation ({failure})"
                self._remember(key, explanation)
                return 1
            explanation.proposed = proposed
            explanation.metric = metric
            desired = proposed
            if desired > current:
                reason = f"{metric} above target"
            if desired < current:
                reason = "All metrics below target"
            if spec.get("behavior") is None:
                desired = self._normalize(
                    key, spec, conditions, now_text, current, desired, min_replicas, explanation
                )
            else:
                desired = self._normalize_with_behaviors(
                    key, spec, conditions, now_text, current, desired, min_replicas, explanation
                )
            rescale = desired != current
            explanation.desired = desired
            explanation.text = self._decision_text(name, explanation, current, desired)
        if rescale:
            target = copy_json(scale)
            target["spec"]["replicas"] = desired
            try:
                self.server.update_scale(self.user, kind.plural, ref.get("name", ""), target, ns)
            except ApiError as exc:
                self.recorder.event(
                    hpa,
                    "Warning",
                    "FailedRescale",
                    f"New size: {desired}; reason: {reason}; error: {exc.message}",
                )
                _condition(
                    conditions,
                    "AbleToScale",
                    "False",
                    "FailedUpdateScale",
                    f"the HPA controller was unable to update the target scale: {exc.message}",
                    now_text,
                )
                status["currentReplicas"] = current
                self._finish_status(status)
                self._write(hpa, original, status)
                self._remember(key, explanation)
                return 1
            _condition(
                conditions,
                "AbleToScale",
                "True",
                "SucceededRescale",
                f"the HPA controller was able to update the target scale to {desired}",
                now_text,
            )
            self.recorder.event(hpa, "Normal", "SuccessfulRescale", f"New size: {desired}; reason: {reason}")
            self._store_scale_event(spec.get("behavior"), key, current, desired)
            status["lastScaleTime"] = now_text
        else:
            desired = current
        status["currentReplicas"] = current
        status["desiredReplicas"] = desired
        status["currentMetrics"] = metric_statuses
        self._finish_status(status)
        self._write(hpa, original, status)
        # A decision is recorded when the sync scales, or when its reasoning differs from the
        # previous sync's (a steady state is said once, not every 15 s).
        before = self.last_calculation.get(key)
        if explanation.text and (rescale or before is None or self._gist(before) != self._gist(explanation)):
            self.explain(hpa, explanation.text)
        self._remember(key, explanation)
        return 1 + len(self.pod_informer.cache) // 100

    @staticmethod
    def _gist(e: Explanation) -> tuple[Any, ...]:
        calc = e.calculation
        return (e.current, e.desired, e.stabilized, e.limit_reason, e.error, calc.rule if calc else "")

    def _remember(self, key: str, explanation: Explanation) -> None:
        self.last_calculation[key] = explanation

    @staticmethod
    def _finish_status(status: Obj) -> None:
        """The v2 serialisation: `currentReplicas`, `conditions`, `lastScaleTime` omitted when
        empty; `currentMetrics` and `desiredReplicas` always there."""
        if not status.get("currentReplicas"):
            status.pop("currentReplicas", None)
        if not status.get("conditions"):
            status.pop("conditions", None)
        status.setdefault("currentMetrics", None)
        status.setdefault("desiredReplicas", 0)

    def _write(self, hpa: Obj, original: Obj, status: Obj) -> None:
        if status == original:
            return
        stored = self.hpa_informer.get(key_of(hpa)) or hpa
        new = copy_json(stored)
        new["status"] = status
        try:
            self.server.update(self.user, new, subresource="status", copy=False)
        except ApiError as exc:
            self.recorder.event(hpa, "Warning", "FailedUpdateStatus", exc.message)

    # -- metrics ------------------------------------------------------------------------------

    def _replicas_for_metrics(
        self, hpa: Obj, scale: Obj, conditions: list[Obj], now_text: str, explanation: Explanation
    ) -> tuple[int, str, list[Obj], str]:
        """`computeReplicasForMetrics`: (replicas, metric, statuses, error text)."""
        specs = hpa["spec"].get("metrics") or []
        selector_text = (scale.get("status") or {}).get("selector") or ""
        if not selector_text:
            self.recorder.event(hpa, "Warning", "SelectorRequired", "selector is required")
            _condition(
                conditions,
                "ScalingActive",
                "False",
                "InvalidSelector",
                "the HPA target's scale is missing a selector",
                now_text,
            )
            return -1, "", [], "selector is required"
        try:
            selector = parse_label_selector(selector_text)
        except ApiError as exc:
            message = (
                f"couldn't convert selector into a corresponding internal selector object: {exc.message}"
            )
            self.recorder.event(hpa, "Warning", "InvalidSelector", message)
            _condition(conditions, "ScalingActive", "False", "InvalidSelector", message, now_text)
            return -1, "", [], message
        ns = hpa["metadata"]["namespace"]
        key = key_of(hpa)
        self.selectors[key] = selector
        pods = [
            p
            for p in self.pod_informer.cache.values()
            if p["metadata"]["namespace"] == ns and selector.matches(p["metadata"].get("labels"))
        ]
        # `hpasControllingPodsUnderSelector`: every HPA whose last known selector picks one of
        # these pods; more than one and none of them may act.
        selecting = sorted(
            other
            for other, other_selector in self.selectors.items()
            if other.partition("/")[0] == ns
            and any(other_selector.matches(p["metadata"].get("labels")) for p in pods)
        )
        if len(selecting) > 1:
            message = (
                f"pods by selector {selector_text} are controlled by multiple HPAs: [{' '.join(selecting)}]"
            )
            self.recorder.event(hpa, "Warning", "AmbiguousSelector", message)
            _condition(conditions, "ScalingActive", "False", "AmbiguousSelector", message, now_text)
            return -1, "", [], message
        current = int(scale["spec"].get("replicas", 0))
        statuses: list[Obj] = []
        replicas, metric = 0, ""
        invalid: list[tuple[str, str, str]] = []  # (reason, condition message, error)
        for spec in specs:
            try:
                proposal, name, status_entry = self._replicas_for_metric(
                    hpa, spec, current, selector_text, pods, explanation
                )
            except CalculationError as exc:
                reason, message = exc.args[0], exc.args[1]
                self.recorder.event(hpa, "Warning", reason, message)
                invalid.append(
                    (reason, f"the HPA was unable to compute the replica count: {message}", message)
                )
                statuses.append({"type": ""})
                continue
            statuses.append(status_entry)
            if replicas == 0 or proposal > replicas:
                replicas, metric = proposal, name
        if invalid and len(invalid) >= len(specs):
            reason, message, first = invalid[0]
            _condition(conditions, "ScalingActive", "False", reason, message, now_text)
            return (
                -1,
                "",
                statuses,
                f"invalid metrics ({len(invalid)} invalid out of {len(specs)}), first error is: {first}",
            )
        _condition(
            conditions,
            "ScalingActive",
            "True",
            "ValidMetricFound",
            f"the HPA was able to successfully calculate a replica count from {metric}",
            now_text,
        )
        return replicas, metric, statuses, ""

    def _replicas_for_metric(
        self, hpa: Obj, spec: Obj, current: int, selector: str, pods: list[Obj], explanation: Explanation
    ) -> tuple[int, str, Obj]:
        mtype = spec.get("type")
        if mtype in ("Resource", "ContainerResource"):
            key = "resource" if mtype == "Resource" else "containerResource"
            source = spec.get(key) or {}
            resource = source.get("name", "")
            container = source.get("container", "") if mtype == "ContainerResource" else ""
            reason = "FailedGetResourceMetric" if mtype == "Resource" else "FailedGetContainerResourceMetric"
            target = source.get("target") or {}
            average = target.get("averageValue")
            if target.get("averageUtilization") is None and average is None:
                message = (
                    "invalid resource metric source: neither a utilization target nor a value target was set"
                )
                raise CalculationError(reason, message)
            if average is not None:
                what = f"{resource} usage" if mtype == "Resource" else f"{resource} container metric value"
                goal = milli_value(str(average))
            else:
                what = (
                    f"{resource} utilization" if mtype == "Resource" else f"{resource} container metric value"
                )
                goal = int(target["averageUtilization"])
            try:
                calc = self._resource_calculation(
                    hpa, resource, container, goal, current, selector, pods, average is not None
                )
            except CalculationError as exc:
                raise CalculationError(reason, f"failed to get {what}: {exc.args[0]}") from exc
            explanation.calculation = calc
            kind_word = "resource" if mtype == "Resource" else "container resource"
            if average is not None:
                name = f"{resource} {kind_word}"
                current_status: Obj = {"averageValue": _milli_text(calc.raw_average)}
            else:
                name = f"{resource} {kind_word} utilization (percentage of request)"
                current_status = {
                    "averageUtilization": calc.utilization,
                    "averageValue": _milli_text(calc.raw_average),
                }
            entry: Obj = {"type": mtype, key: {"name": resource, "current": current_status}}
            if container:
                entry[key]["container"] = container
            return calc.desired, name, entry
        if mtype == "Pods":
            metric_name = ((spec.get("pods") or {}).get("metric") or {}).get("name", "")
            raise CalculationError(
                "FailedGetPodsMetric",
                f"unable to get metric {metric_name}: {FROM_CUSTOM_METRICS}",
            )
        if mtype == "Object":
            metric_name = ((spec.get("object") or {}).get("metric") or {}).get("name", "")
            raise CalculationError(
                "FailedGetObjectMetric",
                f"unable to get metric {metric_name}: {FROM_CUSTOM_METRICS}",
            )
        if mtype == "External":
            metric_name = ((spec.get("external") or {}).get("metric") or {}).get("name", "")
            raise CalculationError(
                "FailedGetExternalMetric",
                f"unable to get external metric {hpa['metadata']['namespace']}/{metric_name}: "
                f"unable to fetch metrics from external metrics API: {NO_EXTERNAL_METRICS}",
            )
        raise CalculationError("InvalidMetricSourceType", f'unknown metric source type "{mtype}"')

    def _resource_calculation(
        self,
        hpa: Obj,
        resource: str,
        container: str,
        target: int,
        current: int,
        selector: str,
        pods: list[Obj],
        average_value: bool = False,
    ) -> Calculation:
        """`GetResourceReplicas` (`GetRawResourceReplicas` for an average-value target): fetch
        the pods' metrics, then calculate."""
        ns = hpa["metadata"]["namespace"]
        api = self.ctx.metrics
        prefix = f"unable to get metrics for resource {resource}"
        if api is None:
            raise CalculationError(
                f"{prefix}: unable to fetch metrics from resource metrics API: {METRICS_UNAVAILABLE}"
            )
        try:
            listed = api.list_pods(self.user, ns, label_selector=selector)
        except ApiError as exc:
            detail = METRICS_UNAVAILABLE if exc.code == 503 else exc.message
            raise CalculationError(
                f"{prefix}: unable to fetch metrics from resource metrics API: {detail}"
            ) from exc
        items = listed.get("items") or []
        if not items:
            raise CalculationError(f"{prefix}: no metrics returned from resource metrics API")
        metrics = pod_metrics(items, resource, self.server.epoch, container)
        return resource_replicas(
            current,
            target,
            resource,
            pods,
            metrics,
            self.clock.now,
            self.server.epoch,
            container,
            average_value=average_value,
        )

    # -- normalization ------------------------------------------------------------------------

    def _normalize(
        self,
        key: str,
        spec: Obj,
        conditions: list[Obj],
        now_text: str,
        current: int,
        proposed: int,
        min_replicas: int,
        explanation: Explanation,
    ) -> int:
        """`normalizeDesiredReplicas`: the built-in rules of an HPA without `behavior`."""
        stabilized = self._stabilize(key, proposed)
        explanation.stabilized = stabilized
        if stabilized != proposed:
            _condition(
                conditions,
                "AbleToScale",
                "True",
                "ScaleDownStabilized",
                HELD_UP,
                now_text,
            )
        else:
            _condition(
                conditions,
                "AbleToScale",
                "True",
                "ReadyForNewScale",
                "recommended size matches current size",
                now_text,
            )
        max_replicas = int(spec.get("maxReplicas", 0))
        scale_up_limit = int(max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM))
        if max_replicas > scale_up_limit:
            maximum, limit_reason = scale_up_limit, "ScaleUpLimit"
            limit_message = "the desired replica count is increasing faster than the maximum scale rate"
        else:
            maximum, limit_reason = max_replicas, "TooManyReplicas"
            limit_message = "the desired replica count is more than the maximum replica count"
        if stabilized < min_replicas:
            desired = min_replicas
            limit_reason, limit_message = (
                "TooFewReplicas",
                "the desired replica count is less than the minimum replica count",
            )
        elif stabilized > maximum:
            desired = maximum
        else:
            desired = stabilized
            limit_reason, limit_message = (
                "DesiredWithinRange",
                "the desired count is within the acceptable range",
            )
        explanation.limit_reason, explanation.limit_message = limit_reason, limit_message
        _condition(
            conditions,
            "ScalingLimited",
            "False" if desired == stabilized else "True",
            limit_reason,
            limit_message,
            now_text,
        )
        return desired

    def _stabilize(self, key: str, proposed: int) -> int:
        """`stabilizeRecommendation`: the highest recommendation of the window (the oldest
        expired one is replaced by this one)."""
        now = self.clock.now
        cutoff = now - DOWNSCALE_STABILIZATION
        best = proposed
        old_index = -1
        recs = self.recommendations.setdefault(key, [])
        for i, (rec, when) in enumerate(recs):
            if when < cutoff:
                old_index = i
            elif rec > best:
                best = rec
        if old_index >= 0:
            recs[old_index] = (proposed, now)
        else:
            recs.append((proposed, now))
        return best

    def _normalize_with_behaviors(
        self,
        key: str,
        spec: Obj,
        conditions: list[Obj],
        now_text: str,
        current: int,
        proposed: int,
        min_replicas: int,
        explanation: Explanation,
    ) -> int:
        """`normalizeDesiredReplicasWithBehaviors`: stabilization window, then the policies."""
        behavior = spec["behavior"]
        up = behavior.get("scaleUp") or {}
        down = behavior.get("scaleDown") or {}
        up_window = int(up.get("stabilizationWindowSeconds") or 0)
        down_window = down.get("stabilizationWindowSeconds")
        down_window = int(DOWNSCALE_STABILIZATION if down_window is None else down_window)
        now = self.clock.now
        if proposed >= current:
            window, better = up_window, min
            reason = "ScaleUpStabilized"
            message = HELD_DOWN
        else:
            window, better = down_window, max
            reason = "ScaleDownStabilized"
            message = HELD_UP
        obsolete = now - max(up_window, down_window)
        cutoff = now - window
        stabilized = proposed
        old_index = -1
        recs = self.recommendations.setdefault(key, [])
        for i, (rec, when) in enumerate(recs):
            if when > cutoff:
                stabilized = better(rec, stabilized)
            if when < obsolete:
                old_index = i
        if old_index >= 0:
            recs[old_index] = (proposed, now)
        else:
            recs.append((proposed, now))
        explanation.stabilized = stabilized
        if stabilized != proposed:
            _condition(conditions, "AbleToScale", "True", reason, message, now_text)
        else:
            _condition(
                conditions,
                "AbleToScale",
                "True",
                "ReadyForNewScale",
                "recommended size matches current size",
                now_text,
            )
        desired, limit_reason, limit_message = self._rate_limited(
            key, spec, current, stabilized, min_replicas
        )
        explanation.limit_reason, explanation.limit_message = limit_reason, limit_message
        _condition(
            conditions,
            "ScalingLimited",
            "False" if desired == stabilized else "True",
            limit_reason,
            limit_message,
            now_text,
        )
        return desired

    def _rate_limited(
        self, key: str, spec: Obj, current: int, desired: int, min_replicas: int
    ) -> tuple[int, str, str]:
        """`convertDesiredReplicasWithBehaviorRate`."""
        behavior = spec["behavior"]
        max_replicas = int(spec.get("maxReplicas", 0))
        ups, downs = self.scale_up_events.get(key, []), self.scale_down_events.get(key, [])
        if desired > current:
            limit = max(self._limit(current, ups, downs, behavior.get("scaleUp") or {}, up=True), current)
            if max_replicas > limit:
                maximum, reason = limit, "ScaleUpLimit"
                message = "the desired replica count is increasing faster than the maximum scale rate"
            else:
                maximum, reason = max_replicas, "TooManyReplicas"
                message = "the desired replica count is more than the maximum replica count"
            if desired > maximum:
                return maximum, reason, message
        elif desired < current:
            limit = min(self._limit(current, ups, downs, behavior.get("scaleDown") or {}, up=False), current)
            if min_replicas < limit:
                minimum, reason = limit, "ScaleDownLimit"
                message = "the desired replica count is decreasing faster than the maximum scale rate"
            else:
                minimum, reason = min_replicas, "TooFewReplicas"
                message = "the desired replica count is less than the minimum replica count"
            if desired < minimum:
                return minimum, reason, message
        return desired, "DesiredWithinRange", "the desired count is within the acceptable range"

    def _limit(
        self, current: int, ups: list[ScaleEvent], downs: list[ScaleEvent], rules: Obj, *, up: bool
    ) -> int:
        """`calculateScaleUpLimitWithScalingRules` / `calculateScaleDownLimitWithBehaviors`."""
        select = rules.get("selectPolicy") or "Max"
        if select == "Disabled":
            return current
        # Scaling up, `Max` takes the largest proposal; scaling down, the smallest.
        pick = max if (select != "Min") == up else min
        result: int | None = None
        now = self.clock.now
        for policy in rules.get("policies") or []:
            period = int(policy.get("periodSeconds", 0))
            added = sum(e.change for e in ups if e.time > now - period)
            removed = sum(e.change for e in downs if e.time > now - period)
            start = current - added + removed
            value = int(policy.get("value", 0))
            if policy.get("type") == "Pods":
                proposed = start + value if up else start - value
            elif up:
                proposed = math.ceil(start * (1 + value / 100))
            else:
                proposed = int(start * (1 - value / 100))
            result = proposed if result is None else pick(result, proposed)
        return current if result is None else result

    def _store_scale_event(self, behavior: Obj | None, key: str, before: int, after: int) -> None:
        """`storeScaleEvent`: only HPAs with `behavior` keep them; an event older than the
        longest policy period is reused."""
        if behavior is None:
            return
        up = after > before
        rules = (behavior.get("scaleUp") if up else behavior.get("scaleDown")) or {}
        longest = max((int(p.get("periodSeconds", 0)) for p in rules.get("policies") or []), default=0)
        events = (self.scale_up_events if up else self.scale_down_events).setdefault(key, [])
        now = self.clock.now
        for e in events:
            if e.time < now - longest:
                e.outdated = True
        event = ScaleEvent(abs(after - before), now)
        for i, e in enumerate(events):
            if e.outdated:
                events[i] = event
                return
        events.append(event)

    # -- explanation --------------------------------------------------------------------------

    @staticmethod
    def _decision_text(name: str, e: Explanation, current: int, desired: int) -> str:
        """One line: the formula with its numbers, then what held or limited it, then the act."""
        calc = e.calculation
        unit = "m" if calc is not None and calc.average_value else " %"
        if calc is not None and calc.rule == "tolerance":
            ratio = calc.new_ratio if calc.new_ratio is not None else calc.ratio
            quotient = f"{calc.utilization}{unit} / {calc.target}{unit}"
            text = f"HPA {name}: {quotient} = {ratio:.2f}, within the 0.1 tolerance"
        elif calc is not None and calc.rule == "ceil":
            quotient = f"{calc.utilization}{unit} / {calc.target}{unit}"
            text = f"HPA {name}: ceil({calc.ready} × {quotient}) = {calc.desired}"
        elif calc is not None and calc.rule == "rebalanced":
            text = (
                f"HPA {name}: ceil({calc.counted} × {calc.new_ratio:.2f}) = {calc.desired}, counting "
                f"{len(calc.missing)} pod(s) without metrics and {len(calc.unready)} not ready "
                "at 0 % (scaling up) or 100 % (scaling down)"
            )
        elif calc is not None and calc.rule == "direction":
            text = (
                f"HPA {name}: {calc.utilization}{unit} / {calc.target}{unit}, but counting the pods without "
                f"metrics or not ready would reverse the direction, so {current} stays recommended"
            )
        else:
            text = f"HPA {name}: {e.metric or 'the metrics'} ask for {e.proposed}"
        if e.stabilized != e.proposed:
            text += f"; the stabilization window holds {e.stabilized}"
        if desired != e.stabilized:
            how = {
                "ScaleUpLimit": "the scale-up limit",
                "ScaleDownLimit": "the scale-down limit",
                "TooManyReplicas": "maxReplicas",
                "TooFewReplicas": "minReplicas",
            }.get(e.limit_reason, e.limit_reason)
            text += f", limited to {desired} by {how}"
        return text + (f" → scale {current} → {desired}" if desired != current else f" → keep {current}")
