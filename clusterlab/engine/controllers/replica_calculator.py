"""The HPA's replica calculator: how many pods a resource metric asks for.

As Kubernetes' `pkg/controller/podautoscaler/replica_calculator.go` (`GetResourceReplicas`,
`groupPods`, `calculatePodRequests`) and `metrics/utilization.go`
(`GetResourceUtilizationRatio`):

- the pods are those the target's scale selector matches; a pod being deleted or Failed is
  ignored, a Pending one counts as unready, one without a metric is missing;
- for CPU, a pod still within `--horizontal-pod-autoscaler-cpu-initialization-period` (5 min)
  of its start is unready while not Ready or while its sample began before it became Ready;
  after that period only a pod that is not Ready and never became Ready within
  `--horizontal-pod-autoscaler-initial-readiness-delay` (30 s) of its start is unready;
- utilization = 100 × Σ usage ÷ Σ requests over the pods with metrics (integer division) and
  the ratio is utilization ÷ target; within the tolerance (0.1) nothing changes, else
  desired = ceil(ratio × ready pods);
- with missing pods or (when scaling up) unready pods the ratio is recomputed assuming the
  missing ones use 100 % (or the target, when that is higher) on a scale-down and 0 % on a
  scale-up, the unready ones 0 %; if that flips the direction or falls in the tolerance band
  the count stays, else desired = ceil(new ratio × pods counted).

Each step returns its numbers (`Calculation`) so the controller can say why it acted.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..quantity import QuantityError, milli_value
from ..timefmt import seconds_since

Obj = dict[str, Any]

TOLERANCE = 0.1
CPU_INITIALIZATION_PERIOD = 300.0
INITIAL_READINESS_DELAY = 30.0

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|m|s|ms)")


class CalculationError(Exception):
    """A reason the replica count cannot be computed, worded as the controller's errors."""


@dataclass(frozen=True)
class PodMetric:
    """One pod's usage (milli-units), when it was measured and over what window (seconds)."""

    value: int
    timestamp: float
    window: float


@dataclass
class Calculation:
    """What `GetResourceReplicas` worked out, for the record and the lab page."""

    current_replicas: int
    target: int  # target utilization, percent (milli-units for an average-value target)
    utilization: int  # percent of requests (or average milli-units) over the pods with metrics
    raw_average: int  # average usage in milli-units over those pods
    ratio: float
    ready: int
    desired: int
    unready: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    new_ratio: float | None = None  # after the missing/unready pods were filled in
    counted: int = 0  # pods the second pass counted
    rule: str = ""  # which branch decided: "tolerance", "ceil", "rebalanced", "direction"
    average_value: bool = False  # the target is an average value, not a utilization


def parse_window(text: str) -> float:
    """A `metav1.Duration` (`15s`, `14.5s`, `1m0s`) in seconds."""
    total = 0.0
    for number, unit in _DURATION_PART.findall(text or ""):
        total += float(number) * {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}[unit]
    return total


def pod_metrics(
    items: list[Obj], resource: str, epoch: datetime, container: str = ""
) -> dict[str, PodMetric]:
    """`getPodMetrics`: each pod's usage summed over its containers (a pod without the
    resource in any container, or without containers, is left out)."""
    out: dict[str, PodMetric] = {}
    for item in items:
        containers = item.get("containers") or []
        if container:
            containers = [c for c in containers if c.get("name") == container]
        if not containers:
            continue
        total = 0
        missing = False
        for c in containers:
            raw = (c.get("usage") or {}).get(resource)
            if raw is None:
                missing = True
                break
            try:
                total += milli_value(str(raw))
            except QuantityError:
                missing = True
                break
        if missing:
            continue
        stamp = seconds_since(epoch, item["timestamp"]) if item.get("timestamp") else 0.0
        out[item["metadata"]["name"]] = PodMetric(total, stamp, parse_window(str(item.get("window") or "")))
    return out


def _condition(pod: Obj, ctype: str) -> Obj | None:
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == ctype:
            return c
    return None


def group_pods(
    pods: list[Obj], metrics: dict[str, PodMetric], resource: str, now: float, epoch: datetime
) -> tuple[int, set[str], set[str], set[str]]:
    """`groupPods`: (ready count, unready, missing, ignored)."""
    unready: set[str] = set()
    missing: set[str] = set()
    ignored: set[str] = set()
    ready = 0
    for pod in pods:
        name = pod["metadata"]["name"]
        phase = (pod.get("status") or {}).get("phase")
        if pod["metadata"].get("deletionTimestamp") or phase == "Failed":
            ignored.add(name)
            continue
        if phase == "Pending":
            unready.add(name)
            continue
        metric = metrics.get(name)
        if metric is None:
            missing.add(name)
            continue
        if resource == "cpu":
            condition = _condition(pod, "Ready")
            start_text = (pod.get("status") or {}).get("startTime")
            if condition is None or not start_text:
                is_unready = True
            else:
                start = seconds_since(epoch, start_text)
                since = condition.get("lastTransitionTime")
                transition = seconds_since(epoch, since) if since else start
                if start + CPU_INITIALIZATION_PERIOD > now:
                    is_unready = (
                        condition.get("status") == "False" or metric.timestamp < transition + metric.window
                    )
                else:
                    is_unready = (
                        condition.get("status") == "False" and start + INITIAL_READINESS_DELAY > transition
                    )
            if is_unready:
                unready.add(name)
                continue
        ready += 1
    return ready, unready, missing, ignored


def pod_requests(pods: list[Obj], resource: str, container: str = "") -> dict[str, int]:
    """`calculatePodRequests`: each pod's request (milli-units), summed over its containers
    (and restartable init containers); a container without one is an error."""
    requests: dict[str, int] = {}
    for pod in pods:
        spec = pod.get("spec") or {}
        containers = list(spec.get("containers") or [])
        containers += [c for c in spec.get("initContainers") or [] if c.get("restartPolicy") == "Always"]
        total = 0
        for c in containers:
            if container and c.get("name") != container:
                continue
            raw = ((c.get("resources") or {}).get("requests") or {}).get(resource)
            if raw is None:
                raise CalculationError(
                    f"missing request for {resource} in container {c.get('name')} "
                    f"of Pod {pod['metadata']['name']}"
                )
            total += milli_value(str(raw))
        requests[pod["metadata"]["name"]] = total
    return requests


def utilization_ratio(
    metrics: dict[str, PodMetric], requests: dict[str, int], target: int
) -> tuple[float, int, int]:
    """`GetResourceUtilizationRatio`: (ratio, utilization %, raw average)."""
    metrics_total = requests_total = entries = 0
    for name, metric in metrics.items():
        if name not in requests:
            continue  # a metric without a request is an extraneous metric
        metrics_total += metric.value
        requests_total += requests[name]
        entries += 1
    if requests_total == 0:
        raise CalculationError("no metrics returned matched known pods")
    utilization = metrics_total * 100 // requests_total
    return utilization / target, utilization, metrics_total // entries


def usage_ratio(metrics: dict[str, PodMetric], target: int) -> tuple[float, int]:
    """`GetMetricUsageRatio`: (ratio, average usage) against an average-value target."""
    usage = sum(m.value for m in metrics.values()) // len(metrics)
    return usage / target, usage


def resource_replicas(
    current: int,
    target: int,
    resource: str,
    pods: list[Obj],
    metrics: dict[str, PodMetric],
    now: float,
    epoch: datetime,
    container: str = "",
    *,
    average_value: bool = False,
) -> Calculation:
    """`GetResourceReplicas` after the metrics were fetched: `target` is a utilization percent;
    with `average_value` it is an average usage in milli-units (`GetRawResourceReplicas`, whose
    `calcPlainMetricReplicas` needs no requests and counts a missing pod at the target)."""
    if not pods:
        raise CalculationError("no pods returned by selector while calculating replica count")
    metrics = dict(metrics)
    ready, unready, missing, ignored = group_pods(pods, metrics, resource, now, epoch)
    for name in ignored | unready:
        metrics.pop(name, None)
    requests = {} if average_value else pod_requests(pods, resource, container)
    if not metrics:
        raise CalculationError("did not receive metrics for any ready pods")

    def ratio_of(values: dict[str, PodMetric]) -> tuple[float, int, int]:
        if average_value:
            ratio, usage = usage_ratio(values, target)
            return ratio, usage, usage
        return utilization_ratio(values, requests, target)

    ratio, utilization, raw = ratio_of(metrics)
    calc = Calculation(
        current, target, utilization, raw, ratio, ready, current, sorted(unready), sorted(missing)
    )
    calc.average_value = average_value
    scale_up_with_unready = bool(unready) and ratio > 1.0
    if not scale_up_with_unready and not missing:
        if abs(1.0 - ratio) <= TOLERANCE:
            calc.rule = "tolerance"
            return calc
        calc.desired = math.ceil(ratio * ready)
        calc.rule = "ceil"
        return calc
    if missing:
        if ratio < 1.0:
            fallback = max(100, target)
            for name in missing:
                value = target if average_value else requests.get(name, 0) * fallback // 100
                metrics[name] = PodMetric(value, 0.0, 0.0)
        elif ratio > 1.0:
            for name in missing:
                metrics[name] = PodMetric(0, 0.0, 0.0)
    if scale_up_with_unready:
        for name in unready:
            metrics[name] = PodMetric(0, 0.0, 0.0)
    new_ratio, _, _ = ratio_of(metrics)
    calc.new_ratio = new_ratio
    calc.counted = len(metrics)
    if (
        abs(1.0 - new_ratio) <= TOLERANCE
        or (ratio < 1.0 and new_ratio > 1.0)
        or (ratio > 1.0 and new_ratio < 1.0)
    ):
        calc.rule = "direction" if abs(1.0 - new_ratio) > TOLERANCE else "tolerance"
        return calc
    desired = math.ceil(new_ratio * len(metrics))
    if (new_ratio < 1.0 and desired > current) or (new_ratio > 1.0 and desired < current):
        calc.rule = "direction"
        return calc
    calc.desired = desired
    calc.rule = "rebalanced"
    return calc
