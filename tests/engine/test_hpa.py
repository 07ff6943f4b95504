"""The HorizontalPodAutoscaler on the virtual clock: the docs' php-apache walkthrough, exact.

The HPA syncs 15 s after it appears and every 15 s after; a load step (`set_load`, what the
walkthrough's load generator does) shows at metrics-server's next scrape; the first scale-up
is capped at max(2 × 1, 4) = 4; the count settles where utilization is back near the 50 %
target (the walkthrough's 7 pods, as with this lab's seed: one unit of load over 5 pods is
70.25 % before the samples' ±10 % noise, and ceil(5 × 70 % / 50 %) = 7, though a sample noisy
enough for 72 % would make it ceil(5 × 72 % / 50 %) = 8); when the load stops, the scale-down
waits until the last high recommendation is older than the 300 s window.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.controllers.replica_calculator import CalculationError, PodMetric, resource_replicas
from clusterlab.engine.errors import ApiError
from clusterlab.engine.tables import to_table

PHP_APACHE = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: php-apache
spec:
  selector:
    matchLabels:
      run: php-apache
  template:
    metadata:
      labels:
        run: php-apache
    spec:
      containers:
      - name: php-apache
        image: registry.k8s.io/hpa-example
        ports:
        - containerPort: 80
        resources:
          limits:
            cpu: 500m
          requests:
            cpu: 200m
---
apiVersion: v1
kind: Service
metadata:
  name: php-apache
  labels:
    run: php-apache
spec:
  ports:
  - port: 80
  selector:
    run: php-apache
"""


def hpa(max_replicas: int = 10, min_replicas: int = 1, target: int = 50, **spec: Any) -> dict[str, Any]:
    """The walkthrough's HPA (`kubectl autoscale deployment php-apache --cpu-percent=50 --min=1 --max=10`)."""
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "php-apache"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "php-apache"},
            "minReplicas": min_replicas,
            "maxReplicas": max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": target},
                    },
                }
            ],
            **spec,
        },
    }


def until(c: Cluster, t: float) -> None:
    c.advance(t - c.now)


def replicas(c: Cluster) -> int:
    return int(c.get("deployment", "php-apache")["spec"]["replicas"])


def rescales(c: Cluster) -> list[tuple[str, str]]:
    return [
        (e["lastTimestamp"][11:19], e["message"])
        for e in c.events()
        if e["involvedObject"]["kind"] == "HorizontalPodAutoscaler" and e["reason"] == "SuccessfulRescale"
    ]


@pytest.fixture
def lab() -> Cluster:
    """php-apache running, the HPA created at t=45 (so it syncs at 60, 75, 90, …)."""
    c = Cluster.from_scenario("default", seed=7)
    c.advance(5)
    c.apply(PHP_APACHE)
    until(c, 45)
    c.apply(hpa())
    return c


def test_defaults_and_the_new_object() -> None:
    c = Cluster.from_scenario("default", seed=7)
    bare = hpa()
    del bare["spec"]["metrics"], bare["spec"]["minReplicas"]
    (created,) = c.apply(bare)
    assert created["spec"]["minReplicas"] == 1
    assert created["spec"]["metrics"] == [
        {
            "type": "Resource",
            "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
        }
    ]
    assert "behavior" not in created["spec"]
    assert created["status"] == {"currentMetrics": None, "desiredReplicas": 0}
    c.delete("hpa", "php-apache")
    (with_behavior,) = c.apply(hpa(behavior={"scaleDown": {"stabilizationWindowSeconds": 60}}))
    assert with_behavior["spec"]["behavior"] == {
        "scaleDown": {
            "stabilizationWindowSeconds": 60,
            "selectPolicy": "Max",
            "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
        },
        "scaleUp": {
            "stabilizationWindowSeconds": 0,
            "selectPolicy": "Max",
            "policies": [
                {"type": "Pods", "value": 4, "periodSeconds": 15},
                {"type": "Percent", "value": 100, "periodSeconds": 15},
            ],
        },
    }


def test_validation_speaks_the_api_servers_words() -> None:
    c = Cluster.from_scenario("default", seed=7)
    with pytest.raises(ApiError) as err:
        c.apply(hpa(max_replicas=0, min_replicas=2))
    causes = [(d["field"], d["message"]) for d in err.value.details["causes"]]
    assert causes == [
        ("spec.maxReplicas", "Invalid value: 0: must be greater than 0"),
        ("spec.maxReplicas", "Invalid value: 0: must be greater than or equal to `minReplicas`"),
    ]
    bad = hpa(
        behavior={
            "scaleUp": {
                "selectPolicy": "Fastest",
                "policies": [{"type": "Pods", "value": 0, "periodSeconds": 15}],
            }
        }
    )
    with pytest.raises(ApiError) as err:
        c.apply(bad)
    assert err.value.message == (
        'HorizontalPodAutoscaler.autoscaling "php-apache" is invalid: ['
        'spec.behavior.scaleUp.selectPolicy: Unsupported value: "Fastest": '
        'supported values: "Disabled", "Max", "Min", '
        "spec.behavior.scaleUp.policies[0].value: Invalid value: 0: must be greater than zero]"
    )


def test_before_any_metric_the_target_is_unknown(lab: Cluster) -> None:
    table = to_table("hpa", [lab.get("hpa", "php-apache")], now=lab.now, epoch=lab.epoch)
    assert table["rows"][0]["cells"][:6] == [
        "php-apache",
        "Deployment/php-apache",
        "cpu: <unknown>/50%",
        "1",
        10,
        0,
    ]
    until(lab, 60)
    status = lab.get("hpa", "php-apache")["status"]
    assert status["currentReplicas"] == 1 and status["desiredReplicas"] == 1
    assert status["currentMetrics"][0]["resource"]["current"] == {
        "averageUtilization": 0,
        "averageValue": "1m",
    }


def test_scale_up_under_a_load_step_then_down_after_the_window(lab: Cluster) -> None:
    until(lab, 105)
    lab.set_load("run=php-apache", "default", 1)  # the walkthrough's load generator
    seen: list[tuple[float, int]] = []
    for t in range(110, 800, 5):
        until(lab, t)
        if not seen or seen[-1][1] != replicas(lab):
            seen.append((t, replicas(lab)))
        if t == 345:
            lab.set_load("run=php-apache", "default", 0)  # stop the load generator
    # Syncs at 120, 135, …: 250 % on one pod → ceil(1 × 250 / 50) = 5, capped at 4; the new
    # pods' metrics and the stabilization window take it to 5, then 7 at 70 % (each of the 5
    # pods has 0.5 m + 0.2 × 700 m = 140.5 m of its 200 m request, plus this seed's noise; the
    # add-ons' containers, kube-proxy's on every node among them, sampled in the same scrapes,
    # draw from the same noise stream). At 7 pods, 50 % is within the 0.1 tolerance: keep 7, up
    # to the last loaded sync at 345. Idle from 360, the window still holds that 7 at 645
    # (exactly 300 s old) → 7, and from 660 only the idle recommendations are left → 1.
    assert seen == [(110, 1), (120, 4), (135, 5), (165, 7), (660, 1)]
    assert rescales(lab) == [
        ("09:02:00", "New size: 4; reason: cpu resource utilization (percentage of request) above target"),
        ("09:02:15", "New size: 5; reason: "),
        ("09:02:45", "New size: 7; reason: cpu resource utilization (percentage of request) above target"),
        ("09:11:00", "New size: 1; reason: All metrics below target"),
    ]
    texts = [(d.time, d.text) for d in lab.decisions("HorizontalPodAutoscaler", "php-apache")]
    assert (
        120.0,
        "HPA php-apache: ceil(1 × 250 % / 50 %) = 5, limited to 4 by the scale-up limit → scale 1 → 4",
    ) in texts
    assert (165.0, "HPA php-apache: ceil(5 × 70 % / 50 %) = 7 → scale 5 → 7") in texts
    # two of the 7 have no metrics yet: the controller's second pass fills them in at 100 % of
    # the target (the ratio is just below 1) and still finds it within the tolerance
    assert (
        180.0,
        "HPA php-apache: 50 % / 50 % = 1.00; counting 2 pod(s) without metrics and 0 not ready"
        " at 0 % (scaling up) or 100 % (scaling down): 1.00, within the 0.1 tolerance → keep 7",
    ) in texts
    assert (
        360.0,
        "HPA php-apache: ceil(7 × 0 % / 50 %) = 0; the stabilization window holds 7 → keep 7",
    ) in texts
    # 195 … 345 (loaded, within tolerance) reason as 180 did and 375 … 645 (0 %, the window
    # holding 7) as 360 did, so each steady state is said once
    assert [t for t, _ in texts if 180 <= t <= 660] == [180.0, 360.0, 660.0]
    assert (
        660.0,
        "HPA php-apache: ceil(7 × 0 % / 50 %) = 0, limited to 1 by minReplicas → scale 7 → 1",
    ) in texts


def test_the_first_scale_up_conditions(lab: Cluster) -> None:
    until(lab, 105)
    lab.set_load("run=php-apache", "default", 1)
    until(lab, 121)
    status = lab.get("hpa", "php-apache")["status"]
    assert status["currentReplicas"] == 1 and status["desiredReplicas"] == 4
    assert status["lastScaleTime"] == "2026-01-01T09:02:00Z"
    assert status["currentMetrics"] == [
        {
            "type": "Resource",
            "resource": {"name": "cpu", "current": {"averageUtilization": 250, "averageValue": "500m"}},
        }
    ]
    conditions = {c["type"]: (c["status"], c["reason"], c["message"]) for c in status["conditions"]}
    assert conditions == {
        "AbleToScale": (
            "True",
            "SucceededRescale",
            "the HPA controller was able to update the target scale to 4",
        ),
        "ScalingActive": (
            "True",
            "ValidMetricFound",
            "the HPA was able to successfully calculate a replica count from cpu resource utilization "
            "(percentage of request)",
        ),
        "ScalingLimited": (
            "True",
            "ScaleUpLimit",
            "the desired replica count is increasing faster than the maximum scale rate",
        ),
    }


def test_max_replicas_limits_and_a_count_above_it_comes_down() -> None:
    c = Cluster.from_scenario("default", seed=7)
    c.advance(5)
    c.apply(PHP_APACHE)
    until(c, 45)
    c.apply(hpa(max_replicas=3))
    until(c, 105)
    c.set_load("run=php-apache", "default", 1)
    until(c, 400)
    assert replicas(c) == 3
    limited = next(
        x for x in c.get("hpa", "php-apache")["status"]["conditions"] if x["type"] == "ScalingLimited"
    )
    assert (limited["status"], limited["reason"]) == ("True", "TooManyReplicas")
    c.scale("deployment", "php-apache", 6)
    until(c, 420)
    assert replicas(c) == 3
    assert rescales(c)[-1][1] == "New size: 3; reason: Current number of replicas above Spec.MaxReplicas"


def test_scaled_to_zero_disables_autoscaling(lab: Cluster) -> None:
    lab.scale("deployment", "php-apache", 0)
    until(lab, 61)
    active = next(
        x for x in lab.get("hpa", "php-apache")["status"]["conditions"] if x["type"] == "ScalingActive"
    )
    assert (active["status"], active["reason"], active["message"]) == (
        "False",
        "ScalingDisabled",
        "scaling is disabled since the replica count of the target is zero",
    )
    assert replicas(lab) == 0


def test_a_missing_target_is_reported() -> None:
    c = Cluster.from_scenario("default", seed=7)
    c.apply(hpa())
    c.advance(16)
    status = c.get("hpa", "php-apache")["status"]
    (able,) = status["conditions"]
    assert (able["type"], able["status"], able["reason"], able["message"]) == (
        "AbleToScale",
        "False",
        "FailedGetScale",
        "the HPA controller was unable to get the target's current scale: "
        'deployments.apps "php-apache" not found',
    )


def test_an_average_value_target() -> None:
    c = Cluster.from_scenario("default", seed=7)
    c.advance(5)
    c.apply(PHP_APACHE)
    until(c, 45)
    raw = hpa()
    raw["spec"]["metrics"][0]["resource"]["target"] = {"type": "AverageValue", "averageValue": "100m"}
    c.apply(raw)
    until(c, 105)
    c.set_load("run=php-apache", "default", 1)
    until(c, 121)
    status = c.get("hpa", "php-apache")["status"]
    assert status["currentMetrics"] == [
        {"type": "Resource", "resource": {"name": "cpu", "current": {"averageValue": "500m"}}}
    ]
    assert replicas(c) == 4
    assert rescales(c) == [("09:02:00", "New size: 4; reason: cpu resource above target")]
    (text,) = [d.text for d in c.decisions("HorizontalPodAutoscaler", "php-apache") if d.time == 120.0]
    assert (
        text == "HPA php-apache: ceil(1 × 500m / 100m) = 5, limited to 4 by the scale-up limit → scale 1 → 4"
    )
    table = to_table("hpa", [c.get("hpa", "php-apache")], now=c.now, epoch=c.epoch)
    assert table["rows"][0]["cells"][2] == "cpu: 500m/100m"


def test_two_hpas_on_the_same_pods_are_ambiguous(lab: Cluster) -> None:
    second = hpa()
    second["metadata"]["name"] = "second"
    lab.apply(second)
    until(lab, 61)
    until(lab, 76)
    message = (
        "pods by selector run=php-apache are controlled by multiple HPAs: [default/php-apache default/second]"
    )
    for name in ("php-apache", "second"):
        active = next(x for x in lab.get("hpa", name)["status"]["conditions"] if x["type"] == "ScalingActive")
        assert (active["status"], active["reason"], active["message"]) == (
            "False",
            "AmbiguousSelector",
            message,
        )


EPOCH = datetime(2026, 1, 1, 9, tzinfo=UTC)


def _pod(name: str, *, started: int = 0, ready_at: int | None = 10, phase: str = "Running") -> dict[str, Any]:
    conditions = []
    if ready_at is not None:
        stamp = f"2026-01-01T09:{ready_at // 60:02d}:{ready_at % 60:02d}Z"
        conditions.append({"type": "Ready", "status": "True", "lastTransitionTime": stamp})
    return {
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "200m"}}}]},
        "status": {"phase": phase, "startTime": f"2026-01-01T09:00:{started:02d}Z", "conditions": conditions},
    }


def _metrics(**values: int) -> dict[str, PodMetric]:
    return {name: PodMetric(v, 1000.0, 15.0) for name, v in values.items()}


@pytest.mark.parametrize(
    ("usage", "desired", "rule"),
    [
        (108, 2, "tolerance"),  # 54 % / 50 % = 1.08: inside the band
        (90, 2, "tolerance"),  # 45 % / 50 % = 0.90: on its edge, still inside
        (112, 3, "ceil"),  # 56 % / 50 % = 1.12: ceil(2 × 1.12) = 3
        (88, 2, "ceil"),  # 44 % / 50 % = 0.88: ceil(2 × 0.88) = 2
        (40, 1, "ceil"),  # 20 % / 50 % = 0.40: ceil(2 × 0.4) = 1
    ],
)
def test_the_tolerance_band(usage: int, desired: int, rule: str) -> None:
    pods = [_pod("a"), _pod("b")]
    calc = resource_replicas(2, 50, "cpu", pods, _metrics(a=usage, b=usage), 1000.0, EPOCH)
    assert (calc.desired, calc.rule) == (desired, rule)


def test_missing_and_unready_pods_count_against_the_direction() -> None:
    pods = [_pod("a"), _pod("b"), _pod("new", started=50, ready_at=None, phase="Pending")]
    # Scaling up: the pending pod counts as using 0 %: ratio (250 + 250 + 0) / 3 / 50 = 3.33.
    calc = resource_replicas(3, 50, "cpu", pods, _metrics(a=500, b=500), 1000.0, EPOCH)
    assert (calc.unready, calc.rule, calc.desired, calc.counted) == (["new"], "rebalanced", 10, 3)
    # Scaling down: a pod without metrics counts as using 100 % of its request.
    calc = resource_replicas(
        3, 50, "cpu", [_pod("a"), _pod("b"), _pod("c")], _metrics(a=20, b=20), 1000.0, EPOCH
    )
    assert (calc.missing, calc.utilization, calc.rule, calc.desired) == (["c"], 10, "rebalanced", 3)


def test_a_pod_without_a_request_cannot_be_measured() -> None:
    pod = _pod("a")
    del pod["spec"]["containers"][0]["resources"]
    with pytest.raises(CalculationError) as err:
        resource_replicas(1, 50, "cpu", [pod], _metrics(a=100), 1000.0, EPOCH)
    assert err.value.args[0] == "missing request for cpu in container c of Pod a"
