"""Real kubectl 1.32 against a lab's API with HPAs in both served versions: `kubectl autoscale`
posts `autoscaling/v1` (the docs' walkthrough command), `get hpa` reads the preferred v2,
`get horizontalpodautoscalers.v1.autoscaling` reads v1 with the v2-only fields in the
`autoscaling.alpha` annotations, and v1 manifests apply, patch and server-side apply."""

from __future__ import annotations

import json
import shutil
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from clusterlab.engine.autoscaling_v1 import CONDITIONS_ANNOTATION, METRIC_STATUSES_ANNOTATION
from tests.engine.test_hpa import PHP_APACHE
from tests.kubeapi.kubectl_cli import Kubectl, columns, kubectl_for_new_lab, wait_for
from tests.live_server import LiveServer

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")

HPA_V1 = """
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: php-apache
  minReplicas: 1
  maxReplicas: {max}
  targetCPUUtilizationPercentage: {target}
"""


@pytest.fixture(scope="module")
def kubectl(live_server_process: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    yield kubectl_for_new_lab(live_server_process, tmp_path_factory, "hpa-v1-user")


def test_kubectl_autoscale_posts_v1_and_both_versions_read_it(kubectl: Kubectl) -> None:
    kubectl.out("apply", "-f", "-", stdin=PHP_APACHE)
    out = kubectl.out("autoscale", "deployment", "php-apache", "--cpu-percent=50", "--min=1", "--max=10")
    assert out == "horizontalpodautoscaler.autoscaling/php-apache autoscaled\n"
    wait_for(lambda: columns(kubectl.out("get", "hpa"))[1][2:4] == ["cpu:", "0%/50%"], 60)
    assert columns(kubectl.out("get", "horizontalpodautoscalers.v1.autoscaling"))[1][:7] == [
        "php-apache",
        "Deployment/php-apache",
        "cpu:",
        "0%/50%",
        "1",
        "10",
        "1",
    ]
    v2 = json.loads(kubectl.out("get", "hpa", "php-apache", "-o", "json"))
    assert v2["apiVersion"] == "autoscaling/v2"
    assert v2["spec"]["metrics"] == [
        {
            "type": "Resource",
            "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}},
        }
    ]
    assert "annotations" not in v2["metadata"]
    # a short name keeps its group but not its version (client-go's shortcut expander): v2
    short = json.loads(kubectl.out("get", "hpa.v1.autoscaling", "php-apache", "-o", "json"))
    assert short["apiVersion"] == "autoscaling/v2"
    v1 = json.loads(kubectl.out("get", "horizontalpodautoscalers.v1.autoscaling", "php-apache", "-o", "json"))
    assert v1["apiVersion"] == "autoscaling/v1"
    assert v1["spec"] == {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "php-apache"},
        "minReplicas": 1,
        "maxReplicas": 10,
        "targetCPUUtilizationPercentage": 50,
    }
    assert v1["status"]["currentCPUUtilizationPercentage"] == 0
    assert v1["status"]["currentReplicas"] == v1["status"]["desiredReplicas"] == 1
    annotations = v1["metadata"]["annotations"]
    assert sorted(annotations) == [CONDITIONS_ANNOTATION, METRIC_STATUSES_ANNOTATION]
    conditions = json.loads(annotations[CONDITIONS_ANNOTATION])
    assert [c["type"] for c in conditions] == ["AbleToScale", "ScalingActive", "ScalingLimited"]
    current = json.loads(annotations[METRIC_STATUSES_ANNOTATION])
    assert (
        current[0]["resource"]["name"] == "cpu" and current[0]["resource"]["currentAverageUtilization"] == 0
    )
    text = kubectl.out("get", "horizontalpodautoscaler.v1.autoscaling", "php-apache", "-o", "yaml")
    assert text.startswith(
        "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata:\n  annotations:\n"
    )
    assert "  targetCPUUtilizationPercentage: 50\n" in text


def test_v1_manifests_apply_patch_and_server_side_apply(kubectl: Kubectl) -> None:
    assert (
        kubectl.out("apply", "-f", "-", stdin=HPA_V1.format(max=5, target=60))
        == "horizontalpodautoscaler.autoscaling/web created\n"
    )
    metrics = "jsonpath={.spec.metrics[0].resource.target.averageUtilization}"
    assert kubectl.out("get", "hpa", "web", "-o", metrics) == "60"
    # client-side apply again: a strategic merge patch of the v1 object
    assert (
        kubectl.out("apply", "-f", "-", stdin=HPA_V1.format(max=6, target=70))
        == "horizontalpodautoscaler.autoscaling/web configured\n"
    )
    assert kubectl.out("get", "hpa", "web", "-o", metrics) == "70"
    assert kubectl.out("get", "hpa", "web", "-o", "jsonpath={.spec.maxReplicas}") == "6"
    patched = kubectl.out(
        "patch",
        "horizontalpodautoscalers.v1.autoscaling",
        "web",
        "--type=merge",
        "-p",
        '{"spec":{"targetCPUUtilizationPercentage":40}}',
    )
    assert patched == "horizontalpodautoscaler.autoscaling/web patched\n"
    assert kubectl.out("get", "hpa", "web", "-o", metrics) == "40"
    applied = kubectl.out(
        "apply", "--server-side", "--force-conflicts", "-f", "-", stdin=HPA_V1.format(max=7, target=30)
    )
    assert applied == "horizontalpodautoscaler.autoscaling/web serverside-applied\n"
    assert kubectl.out("get", "hpa", "web", "-o", metrics) == "30"
    v1_max = kubectl.out(
        "get", "horizontalpodautoscalers.v1.autoscaling", "web", "-o", "jsonpath={.spec.maxReplicas}"
    )
    assert v1_max == "7"


def _raw(kubectl: Kubectl, path: str) -> Any:
    """GET a path of the lab's API (under its `/k8s/<key>` prefix, which `get --raw` drops)."""
    server = kubectl.out("config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}")
    with urllib.request.urlopen(server.rstrip("/") + path, timeout=10) as response:
        return json.loads(response.read())


def test_discovery_lists_both_versions_v2_preferred(kubectl: Kubectl) -> None:
    versions = kubectl.out("api-versions").split()
    assert "autoscaling/v1" in versions and "autoscaling/v2" in versions
    resources = columns(kubectl.out("api-resources", "--api-group=autoscaling"))
    assert resources[1:] == [
        ["horizontalpodautoscalers", "hpa", "autoscaling/v2", "true", "HorizontalPodAutoscaler"]
    ]
    group = _raw(kubectl, "/apis/autoscaling")
    assert group["versions"] == [
        {"groupVersion": "autoscaling/v2", "version": "v2"},
        {"groupVersion": "autoscaling/v1", "version": "v1"},
    ]
    assert group["preferredVersion"] == {"groupVersion": "autoscaling/v2", "version": "v2"}
    listed = _raw(kubectl, "/apis/autoscaling/v1")
    assert [(r["name"], r["kind"]) for r in listed["resources"]] == [
        ("horizontalpodautoscalers", "HorizontalPodAutoscaler"),
        ("horizontalpodautoscalers/status", "HorizontalPodAutoscaler"),
    ]


def test_server_side_apply_of_a_v1_manifest(kubectl: Kubectl) -> None:
    manifest = HPA_V1.replace("name: web", "name: api")
    for target in (55, 65):
        applied = kubectl.out(
            "apply", "--server-side", "-f", "-", stdin=manifest.format(max=4, target=target)
        )
        assert applied == "horizontalpodautoscaler.autoscaling/api serverside-applied\n"
        v1 = json.loads(kubectl.out("get", "horizontalpodautoscalers.v1.autoscaling", "api", "-o", "json"))
        assert v1["spec"]["targetCPUUtilizationPercentage"] == target
