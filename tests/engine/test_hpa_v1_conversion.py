"""autoscaling/v1 ↔ the stored autoscaling/v2 HorizontalPodAutoscaler, case by case as
`pkg/apis/autoscaling/v1/conversion.go` converts (its conversion_test.go cases first)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from clusterlab.engine import autoscaling_v1 as v1
from clusterlab.engine.conversion import from_storage, merge_diff, to_storage
from clusterlab.engine.errors import BadRequest
from clusterlab.engine.kinds import resolve

Obj = dict[str, Any]
HPA = resolve("hpa")


def cpu(utilization: int) -> Obj:
    return {
        "type": "Resource",
        "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": utilization}},
    }


CPU_AVERAGE_300M = {
    "type": "Resource",
    "resource": {"name": "cpu", "target": {"type": "AverageValue", "averageValue": "300m"}},
}
MEMORY = {
    "type": "Resource",
    "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "100Mi"}},
}
REF = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "php-apache"}


def stored(**spec: Any) -> Obj:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "php-apache", "namespace": "default"},
        "spec": {"scaleTargetRef": REF, "minReplicas": 1, "maxReplicas": 3, **spec},
        "status": {"currentMetrics": None, "desiredReplicas": 0},
    }


# TestConvert_autoscaling_HorizontalPodAutoscalerSpec_To_v1_HorizontalPodAutoscalerSpec
SPEC_CASES = [
    ("CPUAverageValueAndUtilizationBoth", [CPU_AVERAGE_300M, cpu(70)], 70),
    ("WithoutMetrics", [], None),
    ("CPUUtilizationOnly", [cpu(60)], 60),
]


@pytest.mark.parametrize(("name", "metrics", "target"), SPEC_CASES, ids=[c[0] for c in SPEC_CASES])
def test_spec_to_v1_takes_the_first_cpu_utilization_metric(
    name: str, metrics: list[Obj], target: Any
) -> None:
    expected: Obj = {"scaleTargetRef": REF, "minReplicas": 1, "maxReplicas": 3}
    if target is not None:
        expected["targetCPUUtilizationPercentage"] = target
    assert v1.spec_to_v1({"scaleTargetRef": REF, "minReplicas": 1, "maxReplicas": 3, "metrics": metrics}) == (
        expected
    )


def test_a_kubectl_autoscale_body_is_stored_with_a_cpu_metric() -> None:
    body = {
        "apiVersion": "autoscaling/v1",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "php-apache"},
        "spec": {
            "scaleTargetRef": REF,
            "minReplicas": 1,
            "maxReplicas": 10,
            "targetCPUUtilizationPercentage": 50,
        },
        "status": {"currentReplicas": 0, "desiredReplicas": 0},
    }
    assert to_storage(HPA, "v1", body) == {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "php-apache"},
        "spec": {"scaleTargetRef": REF, "minReplicas": 1, "maxReplicas": 10, "metrics": [cpu(50)]},
        "status": {"currentMetrics": None, "desiredReplicas": 0},
    }


def test_no_cpu_target_and_no_metrics_annotation_means_80_percent() -> None:
    body = {"metadata": {"name": "x"}, "spec": {"scaleTargetRef": REF, "maxReplicas": 4}}
    assert v1.from_v1(body)["spec"]["metrics"] == [cpu(80)]
    assert "status" not in v1.from_v1(body)


def test_annotated_metrics_come_first_and_the_annotation_is_dropped() -> None:
    metrics_v1 = [{"type": "Resource", "resource": {"name": "memory", "targetAverageValue": "100Mi"}}]
    body = {
        "metadata": {
            "name": "x",
            "annotations": {v1.METRIC_SPECS_ANNOTATION: json.dumps(metrics_v1), "team": "a"},
        },
        "spec": {"scaleTargetRef": REF, "maxReplicas": 4, "targetCPUUtilizationPercentage": 40},
    }
    out = v1.from_v1(body)
    assert out["spec"]["metrics"] == [MEMORY, cpu(40)]
    assert out["metadata"]["annotations"] == {"team": "a"}


def test_a_full_object_to_v1_writes_go_json_annotations() -> None:
    hpa = stored(
        metrics=[cpu(50), MEMORY],
        behavior={
            "scaleUp": v1_default_scale_up(),
            "scaleDown": {
                "selectPolicy": "Max",
                "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
            },
        },
    )
    hpa["status"] = {
        "currentReplicas": 2,
        "desiredReplicas": 3,
        "lastScaleTime": "2026-01-01T09:01:00Z",
        "currentMetrics": [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "current": {"averageValue": "250m", "averageUtilization": 125}},
            }
        ],
        "conditions": [
            {
                "type": "AbleToScale",
                "status": "True",
                "lastTransitionTime": "2026-01-01T09:00:30Z",
                "reason": "SucceededRescale",
                "message": "the HPA controller was able to update the target scale to 3",
            }
        ],
    }
    out = from_storage(HPA, "v1", hpa)
    assert out["apiVersion"] == "autoscaling/v1"
    assert out["spec"] == {
        "scaleTargetRef": REF,
        "minReplicas": 1,
        "maxReplicas": 3,
        "targetCPUUtilizationPercentage": 50,
    }
    assert out["status"] == {
        "lastScaleTime": "2026-01-01T09:01:00Z",
        "currentReplicas": 2,
        "desiredReplicas": 3,
        "currentCPUUtilizationPercentage": 125,
    }
    assert out["metadata"]["annotations"] == {
        v1.METRIC_SPECS_ANNOTATION: (
            '[{"type":"Resource","resource":{"name":"memory","targetAverageValue":"100Mi"}}]'
        ),
        v1.METRIC_STATUSES_ANNOTATION: (
            '[{"type":"Resource","resource":{"name":"cpu","currentAverageUtilization":125,'
            '"currentAverageValue":"250m"}}]'
        ),
        v1.CONDITIONS_ANNOTATION: (
            '[{"type":"AbleToScale","status":"True","lastTransitionTime":"2026-01-01T09:00:30Z",'
            '"reason":"SucceededRescale",'
            '"message":"the HPA controller was able to update the target scale to 3"}]'
        ),
        v1.BEHAVIOR_SPECS_ANNOTATION: (
            '{"ScaleUp":{"StabilizationWindowSeconds":0,"SelectPolicy":"Max","Policies":['
            '{"Type":"Pods","Value":4,"PeriodSeconds":15},{"Type":"Percent","Value":100,"PeriodSeconds":15}]},'
            '"ScaleDown":{"StabilizationWindowSeconds":null,"SelectPolicy":"Max","Policies":['
            '{"Type":"Percent","Value":100,"PeriodSeconds":15}]}}'
        ),
    }
    # ... and back: v2 → v1 → v2 loses nothing (the cpu metric moves last, as upstream's does)
    back = to_storage(HPA, "v1", out)
    assert back["spec"]["metrics"] == [MEMORY, cpu(50)]
    assert back["spec"]["behavior"] == hpa["spec"]["behavior"]
    assert back["status"] == hpa["status"]
    assert "annotations" not in back["metadata"]


def v1_default_scale_up() -> Obj:
    return {
        "stabilizationWindowSeconds": 0,
        "selectPolicy": "Max",
        "policies": [
            {"type": "Pods", "value": 4, "periodSeconds": 15},
            {"type": "Percent", "value": 100, "periodSeconds": 15},
        ],
    }


OTHER_SOURCES = [
    {
        "type": "Pods",
        "pods": {
            "metric": {"name": "packets-per-second"},
            "target": {"type": "AverageValue", "averageValue": "1k"},
        },
    },
    {
        "type": "Object",
        "object": {
            "metric": {"name": "requests-per-second"},
            "describedObject": {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "name": "main-route",
            },
            "target": {"type": "Value", "value": "10k"},
        },
    },
    {
        "type": "External",
        "external": {
            "metric": {
                "name": "queue_messages_ready",
                "selector": {"matchLabels": {"queue": "worker_tasks"}},
            },
            "target": {"type": "AverageValue", "averageValue": "30"},
        },
    },
    {
        "type": "ContainerResource",
        "containerResource": {
            "name": "cpu",
            "container": "application",
            "target": {"type": "Utilization", "averageUtilization": 60},
        },
    },
]


@pytest.mark.parametrize("metric", OTHER_SOURCES, ids=[m["type"] for m in OTHER_SOURCES])
def test_every_metric_source_round_trips_through_the_annotation(metric: Obj) -> None:
    as_v1 = from_storage(HPA, "v1", stored(metrics=[cpu(50), metric]))
    assert "targetCPUUtilizationPercentage" in as_v1["spec"]
    back = to_storage(HPA, "v1", as_v1)["spec"]["metrics"]
    expected = json.loads(json.dumps(metric))
    if metric["type"] == "Object":  # v1 has a non-pointer targetValue: always set
        expected["object"]["target"] = {"type": "Value", "value": "10k"}
    assert back == [expected, cpu(50)]


def test_pods_metric_annotation_is_the_v1_shape() -> None:
    as_v1 = from_storage(HPA, "v1", stored(metrics=[OTHER_SOURCES[0]]))
    assert as_v1["metadata"]["annotations"] == {
        v1.METRIC_SPECS_ANNOTATION: (
            '[{"type":"Pods","pods":{"metricName":"packets-per-second","targetAverageValue":"1k"}}]'
        )
    }
    assert "targetCPUUtilizationPercentage" not in as_v1["spec"]


def test_behavior_keys_are_read_case_insensitively() -> None:
    text = (
        '{"scaleDown":{"stabilizationwindowseconds":60,'
        '"policies":[{"type":"Pods","value":1,"periodSeconds":60}]}}'
    )
    body = {
        "metadata": {"name": "x", "annotations": {v1.BEHAVIOR_SPECS_ANNOTATION: text}},
        "spec": {"maxReplicas": 2},
    }
    assert v1.from_v1(body)["spec"]["behavior"] == {
        "scaleDown": {
            "stabilizationWindowSeconds": 60,
            "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}],
        }
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "invalid character 'a' looking for beginning of value"),
        ("", "unexpected end of JSON input"),
        ("{}", "json: cannot unmarshal object into Go value of type []v1.MetricSpec"),
    ],
)
def test_a_broken_annotation_is_a_decoding_error(value: str, message: str) -> None:
    body = {
        "metadata": {"name": "x", "annotations": {v1.METRIC_SPECS_ANNOTATION: value}},
        "spec": {"maxReplicas": 2},
    }
    with pytest.raises(BadRequest) as err:
        v1.from_v1(body)
    assert err.value.message == (
        'HorizontalPodAutoscaler in version "v1" cannot be handled as a HorizontalPodAutoscaler: ' + message
    )


def test_v2_drops_planted_round_trip_annotations() -> None:
    hpa = stored(metrics=[cpu(50)])
    hpa["metadata"]["annotations"] = {v1.CONDITIONS_ANNOTATION: "[]", "keep": "me"}
    assert to_storage(HPA, "v2", hpa)["metadata"]["annotations"] == {"keep": "me"}
    assert hpa["metadata"]["annotations"] == {v1.CONDITIONS_ANNOTATION: "[]", "keep": "me"}


def test_lists_are_converted_item_by_item() -> None:
    listed = {
        "kind": "HorizontalPodAutoscalerList",
        "apiVersion": "autoscaling/v2",
        "metadata": {},
        "items": [stored()],
    }
    out = from_storage(HPA, "v1", listed)
    assert out["apiVersion"] == "autoscaling/v1"
    assert [i["apiVersion"] for i in out["items"]] == ["autoscaling/v1"]
    status = {"kind": "Status", "apiVersion": "v1", "status": "Success"}
    assert from_storage(HPA, "v1", status) is status


def test_merge_diff_is_the_patch_between_two_objects() -> None:
    old = {"a": 1, "b": {"c": 2, "d": 3}, "e": [1]}
    new = {"a": 1, "b": {"c": 4}, "e": [1, 2], "f": None}
    assert merge_diff(old, new) == {"b": {"c": 4, "d": None}, "e": [1, 2], "f": None}


V1_MANIFEST = """
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata:
  name: php-apache
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: php-apache
  minReplicas: 1
  maxReplicas: 10
  targetCPUUtilizationPercentage: 50
"""


def test_a_v1_manifest_applies_and_checks_as_stored() -> None:
    from clusterlab.engine import Cluster
    from clusterlab.engine.manifest_check import check_manifest

    assert check_manifest(V1_MANIFEST) == []
    broken = check_manifest(V1_MANIFEST.replace("maxReplicas: 10", "maxReplicas: 0"))
    assert [(p.field, p.message) for p in broken] == [
        ("spec.maxReplicas", "Invalid value: 0: must be greater than 0"),
        ("spec.maxReplicas", "Invalid value: 0: must be greater than or equal to `minReplicas`"),
    ]
    c = Cluster(seed=1)
    (applied,) = c.apply(V1_MANIFEST)
    assert applied["apiVersion"] == "autoscaling/v2"
    assert c.get("hpa", "php-apache")["spec"]["metrics"] == [cpu(50)]
