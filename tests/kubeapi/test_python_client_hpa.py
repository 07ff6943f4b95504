"""The official Python client's typed autoscaling APIs against a lab: `AutoscalingV1Api` (strict
v1 models: `currentReplicas`/`desiredReplicas` required) and `AutoscalingV2Api` read the same HPA,
and a v1 list + watch from its resourceVersion sees a v2 write."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tests.kubeapi.live import new_lab
from tests.live_server import LiveServer

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client, watch  # noqa: E402


@pytest.fixture(scope="module")
def api_client(live_server_process: LiveServer) -> Iterator[Any]:
    lab_id = new_lab(live_server_process, "py-hpa")
    config = yaml.safe_load(
        live_server_process.manage(
            "kubeconfig", "py-hpa", "--lab", lab_id, "--server", live_server_process.url
        )
    )
    configuration = client.Configuration()
    configuration.host = config["clusters"][0]["cluster"]["server"]
    with client.ApiClient(configuration) as api:
        yield api


def test_v1_and_v2_typed_clients(api_client: Any) -> None:
    v1, v2 = client.AutoscalingV1Api(api_client), client.AutoscalingV2Api(api_client)
    body = {
        "apiVersion": "autoscaling/v1",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "maxReplicas": 4,
            "targetCPUUtilizationPercentage": 60,
        },
    }
    created = v1.create_namespaced_horizontal_pod_autoscaler("default", body)
    assert created.spec.target_cpu_utilization_percentage == 60
    assert (created.status.current_replicas, created.status.desired_replicas) == (0, 0)
    stored = v2.read_namespaced_horizontal_pod_autoscaler("web", "default")
    assert stored.spec.metrics[0].resource.target.average_utilization == 60
    listed = v1.list_namespaced_horizontal_pod_autoscaler("default")
    assert [h.metadata.name for h in listed.items] == ["web"]
    v2.patch_namespaced_horizontal_pod_autoscaler("web", "default", {"spec": {"maxReplicas": 6}})
    events = watch.Watch().stream(
        v1.list_namespaced_horizontal_pod_autoscaler,
        "default",
        resource_version=listed.metadata.resource_version,
        timeout_seconds=5,
    )
    seen = []
    for event in events:  # the controller's status writes may come first
        seen.append(event)
        if event["object"].spec.max_replicas == 6:
            break
    assert seen[-1]["type"] == "MODIFIED" and seen[-1]["object"].spec.max_replicas == 6
    assert {e["object"].api_version for e in seen} == {"autoscaling/v1"}
