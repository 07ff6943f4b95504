"""The console's `expose`, `get svc/ep/endpointslices` and `describe svc` against the real
kubectl 1.32 binary, on the same canned API answers (see test_against_kubectl.py): identical
stdout, stderr and exit code, and for `expose` the identical requests."""

from __future__ import annotations

from typing import Any

import pytest

from .fakeapi import CannedAPI, _json, have_kubectl
from .side_by_side import EngineSnapshot, applied, assert_prints_what_kubectl_prints, serve_kinds

pytestmark = pytest.mark.skipif(not have_kubectl(), reason="the kubectl.1.32 binary is not installed")

APP = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports: [{containerPort: 80, name: http}, {containerPort: 9090, name: metrics}]
---
apiVersion: v1
kind: Service
metadata: {name: web, labels: {app: web}}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}, {name: metrics, port: 9090, targetPort: metrics}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: plain}
spec:
  replicas: 1
  selector: {matchLabels: {app: plain}}
  template:
    metadata: {labels: {app: plain}}
    spec: {containers: [{name: c, image: nginx:1.27}]}
---
apiVersion: v1
kind: Service
metadata: {name: empty}
spec:
  selector: {app: nothing}
  ports: [{port: 8080}]
"""
SERVICE_KINDS = [
    ("", "v1", "services", "Service", True, ["svc"], ["all"], ["status"]),
    ("", "v1", "endpoints", "Endpoints", True, ["ep"], [], []),
    ("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", True, [], [], []),
]
SNAPSHOT = EngineSnapshot(
    applied(APP, 60),
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
_service_kinds = serve_kinds(*SERVICE_KINDS)


def _api(canned: dict[Any, Any] | None = None) -> CannedAPI:
    return SNAPSHOT.api(
        ("services", "endpoints", "endpointslices"),
        groups=["apps", "coordination.k8s.io", "discovery.k8s.io"],
        canned=canned,
    )


def _created() -> dict[Any, Any]:
    objs = SNAPSHOT.objects()
    svc = next(o for o in objs if o["kind"] == "Service" and o["metadata"]["name"] == "web")
    return {("POST", "/api/v1/namespaces/default/services"): _json(201, svc)}


def _line(line: str) -> str:
    objs = SNAPSHOT.objects()
    pod = next(o for o in objs if o["kind"] == "Pod" and o["metadata"]["namespace"] == "default")
    rs = next(o for o in objs if o["kind"] == "ReplicaSet")
    return line.replace("POD", pod["metadata"]["name"]).replace("RS", rs["metadata"]["name"])


READS = [
    "describe svc web",
    "describe svc kubernetes",
    "describe svc empty",
    "describe svc",
    "get svc",
    "get svc -o wide",
    "get svc web -o yaml",
    "get ep",
    "get endpointslices",
    "get svc,ep",
    "describe ep web",
    "describe ep kubernetes",
    "describe ep empty",
    "describe endpointslices",
]


@pytest.mark.parametrize("line", READS)
def test_service_reads_print_what_kubectl_prints(line: str) -> None:
    assert_prints_what_kubectl_prints(_api, _line(line))


EXPOSES = [
    "expose deployment web --port=80 --target-port=8080",
    "expose deploy web",
    "expose deploy/web --name=web-np --type=NodePort --port=8080 --target-port=http",
    "expose rs RS --port=80 --protocol=UDP",
    "expose pod POD --port=80 --name=one",
    "expose svc web --name=copy",
    "expose svc web --name=headless --cluster-ip=None",
    "expose node worker-1 --port=80",
    "expose deploy nope --port=80",
    "expose deployment web -l tier=front --selector=app=web,x=y --port=80",
    "expose deploy plain",
    "expose deploy plain --cluster-ip=None",
    "expose deploy plain --port=80 --dry-run=client",
    "expose deploy web --session-affinity=Bogus",
    "expose deploy web --session-affinity=ClientIP --external-ip=1.2.3.4",
    "expose deploy web --selector=bad",
    "expose deploy web --port=abc",
    "expose deploy",
    "expose",
]


@pytest.mark.parametrize("line", EXPOSES)
def test_expose_sends_the_service_kubectl_sends(line: str) -> None:
    assert_prints_what_kubectl_prints(lambda: _api(_created()), _line(line))
