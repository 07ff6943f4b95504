"""A LoadBalancer Service with the external IP the lab cloud's service controller wrote, and
its events: the console prints what the real kubectl 1.32 prints, on the same API answers."""

from __future__ import annotations

import pytest

from tests.manifests import nginx_web_deployment

from .fakeapi import CannedAPI, have_kubectl
from .side_by_side import EngineSnapshot, applied, assert_prints_what_kubectl_prints, serve_kinds

pytestmark = pytest.mark.skipif(not have_kubectl(), reason="the kubectl.1.32 binary is not installed")

APP = (
    nginx_web_deployment(2)
    + """---
apiVersion: v1
kind: Service
metadata: {name: front}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: local}
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  selector: {app: web}
  ports: [{name: http, port: 8080, targetPort: 80}]
"""
)
SNAPSHOT = EngineSnapshot(
    applied(APP, 30),
    [
        "namespaces",
        "nodes",
        "pods",
        "deployments",
        "replicasets",
        "events",
        "services",
        "endpoints",
        "endpointslices",
    ],
)
_service_kinds = serve_kinds(
    ("", "v1", "services", "Service", True, ["svc"], ["all"], ["status"]),
    ("", "v1", "endpoints", "Endpoints", True, ["ep"], [], []),
    ("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", True, [], [], []),
)


def _api(canned: dict[object, object] | None = None) -> CannedAPI:
    return SNAPSHOT.api(
        ("services", "endpoints", "endpointslices"),
        groups=["apps", "coordination.k8s.io", "discovery.k8s.io"],
        canned=canned,
    )


def test_the_load_balancer_ip_is_in_status() -> None:
    svc = next(o for o in SNAPSHOT.objects() if o["kind"] == "Service" and o["metadata"]["name"] == "front")
    assert svc["status"]["loadBalancer"]["ingress"] == [{"ip": "172.18.255.200", "ipMode": "VIP"}]


@pytest.mark.parametrize(
    "line",
    ["get svc", "get svc -o wide", "describe svc front", "describe svc local", "get svc front -o yaml"],
)
def test_load_balancer_reads_print_what_kubectl_prints(line: str) -> None:
    assert_prints_what_kubectl_prints(_api, line)
