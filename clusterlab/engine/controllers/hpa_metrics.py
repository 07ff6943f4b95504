"""A HorizontalPodAutoscaler's metrics: the replica count each one proposes, and its status.

As `pkg/controller/podautoscaler/horizontal.go` (`computeReplicasForMetrics`,
`computeReplicasForMetric`, `computeStatusForResourceMetric`): the target's scale subresource
must carry a selector (else `InvalidSelector`); the HPAs whose last selector picks the same
pods make each other's selector ambiguous (`AmbiguousSelector`); each metric of the spec then
proposes a count and the highest wins; when every metric failed, `ScalingActive` is False
with the first failure's reason, else True (`ValidMetricFound`). A Resource or
ContainerResource metric fetches the pods' usage from the resource Metrics API
(`metrics.k8s.io`) and asks `replica_calculator.py`; its `currentMetrics` entry carries the
average utilization and value as the API's quantities print them.

Simplified: Pods, Object and External metrics fail as they do on a cluster without a custom or
external metrics adapter.
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..informers import Informer, key_of
from ..quantity import milli_value
from ..selectors import parse_label_selector
from .base import Controller
from .hpa_explanation import Explanation
from .hpa_status import set_condition
from .replica_calculator import (
    Calculation,
    CalculationError,
    pod_metrics,
    resource_replicas,
)

Obj = dict[str, Any]

METRICS_UNAVAILABLE = "the server is currently unable to handle the request (get pods.metrics.k8s.io)"
NO_CUSTOM_METRICS = "no custom metrics API (custom.metrics.k8s.io) registered"
NO_EXTERNAL_METRICS = "no external metrics API (external.metrics.k8s.io) registered"
FROM_CUSTOM_METRICS = f"unable to fetch metrics from custom metrics API: {NO_CUSTOM_METRICS}"


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


class HpaMetrics(Controller):
    """The metrics half of an HPA sync: from the spec's metrics to one proposed count."""

    pod_informer: Informer
    selectors: dict[str, Any]  # HPA key → its target's pod selector, once synced

    def _replicas_for_metrics(
        self, hpa: Obj, scale: Obj, conditions: list[Obj], now_text: str, explanation: Explanation
    ) -> tuple[int, str, list[Obj], str]:
        """`computeReplicasForMetrics`: (replicas, metric, statuses, error text)."""
        specs = hpa["spec"].get("metrics") or []
        selector_text = (scale.get("status") or {}).get("selector") or ""
        if not selector_text:
            self.recorder.event(hpa, "Warning", "SelectorRequired", "selector is required")
            set_condition(
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
            set_condition(conditions, "ScalingActive", "False", "InvalidSelector", message, now_text)
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
            set_condition(conditions, "ScalingActive", "False", "AmbiguousSelector", message, now_text)
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
            set_condition(conditions, "ScalingActive", "False", reason, message, now_text)
            return (
                -1,
                "",
                statuses,
                f"invalid metrics ({len(invalid)} invalid out of {len(specs)}), first error is: {first}",
            )
        set_condition(
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
