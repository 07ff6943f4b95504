"""The HorizontalPodAutoscaler controller: scale a workload to keep a metric near its target.

Like Kubernetes' `pkg/controller/podautoscaler/horizontal.go` (kube-controller-manager's
`horizontal-pod-autoscaler` controller), every `--horizontal-pod-autoscaler-sync-period` (15 s;
the first sync 15 s after the HPA appears, as its work queue's fixed-interval rate limiter
delays every add) it reconciles each HPA:

1. reads the target's `scale` subresource (a failure: `AbleToScale` False, `FailedGetScale`);
2. a target scaled to 0 disables autoscaling (`ScalingActive` False, `ScalingDisabled`); a count
   above `maxReplicas` or below `minReplicas` is brought back into range;
3. otherwise each metric proposes a count (`hpa_metrics.py`, `replica_calculator.py`: for a
   Resource metric, the pods' usage from the Metrics API against their requests) and the highest
   wins;
4. the proposal is normalized (`hpa_behavior.py`). Without `spec.behavior`: the highest
   recommendation of the last 300 s (`--horizontal-pod-autoscaler-downscale-stabilization`)
   stands (so scale-downs wait), and a scale-up is capped at max(2 × current, 4) per sync. With
   `behavior`: the stabilization window of the direction (the scale-down one defaulting to
   300 s), then the policies' limit over their periods (`selectPolicy` Max, Min or Disabled);
5. a change is written to the scale subresource, with the event `SuccessfulRescale` ("New size:
   4; reason: cpu resource utilization (percentage of request) above target");
6. the status gets the current and desired replicas, `currentMetrics`, `lastScaleTime` and the
   conditions `AbleToScale`, `ScalingActive` and `ScalingLimited` with Kubernetes' reasons and
   messages (`hpa_status.py`).

Every sync that reaches a recommendation records why (`explain`, `hpa_explanation.py`): the
formula with its numbers ("HPA php-apache: ceil(1 × 250 % / 50 %) = 5, limited to 4 by the
scale-up limit"); `last_calculation` keeps the numbers for the lab page.

Simplified: the metrics come from the resource Metrics API only — Pods, Object and External
metrics fail as they do on a cluster without a custom/external metrics adapter; the status write
is skipped when nothing changed, as `updateStatusIfNeeded` does.
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..informers import key_of
from ..jsonutil import copy_json
from ..kinds import KINDS
from .base import ControllerContext
from .hpa_behavior import HpaBehavior, ScaleEvent
from .hpa_explanation import Explanation, decision_text, gist
from .hpa_metrics import HpaMetrics
from .hpa_status import finish_status, set_condition

Obj = dict[str, Any]

SYNC_PERIOD = 15.0  # --horizontal-pod-autoscaler-sync-period


class HorizontalPodAutoscalerController(HpaMetrics, HpaBehavior):
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
            set_condition(conditions, "AbleToScale", "False", "FailedGetScale", message, now_text)
            self._write(hpa, original, status)
            self._remember(
                key,
                Explanation(
                    self.clock.now, 0, error=message, text=f"HPA {hpa['metadata']['name']}: {message}"
                ),
            )
            return 1
        set_condition(
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
            set_condition(
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
                finish_status(status)
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
            explanation.text = decision_text(name, explanation, current, desired)
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
                set_condition(
                    conditions,
                    "AbleToScale",
                    "False",
                    "FailedUpdateScale",
                    f"the HPA controller was unable to update the target scale: {exc.message}",
                    now_text,
                )
                status["currentReplicas"] = current
                finish_status(status)
                self._write(hpa, original, status)
                self._remember(key, explanation)
                return 1
            set_condition(
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
        finish_status(status)
        self._write(hpa, original, status)
        # A decision is recorded when the sync scales, or when its reasoning differs from the
        # previous sync's (a steady state is said once, not every 15 s).
        before = self.last_calculation.get(key)
        if explanation.text and (rescale or before is None or gist(before) != gist(explanation)):
            self.explain(hpa, explanation.text)
        self._remember(key, explanation)
        return 1 + len(self.pod_informer.cache) // 100

    def _remember(self, key: str, explanation: Explanation) -> None:
        self.last_calculation[key] = explanation

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
