"""The console's `expose`, `get svc/ep/endpointslices` and `describe svc` against the real
kubectl 1.32 binary, on the same canned API answers (see test_against_kubectl.py): identical
stdout, stderr and exit code, and for `expose` the identical requests."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine import tables as engine_tables
from clusterlab.kubectl import run

from . import fakeapi
from .fakeapi import AGG, CannedAPI, _json, have_kubectl, real_kubectl
from .test_against_kubectl import _requests

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
_OBJECTS: tuple[list[dict[str, Any]], Cluster] | None = None


def _objects() -> tuple[list[dict[str, Any]], Cluster]:
    global _OBJECTS
    if _OBJECTS is None:
        c = Cluster()
        c.apply(APP)
        c.advance(60)
        kinds = ("namespaces", "nodes", "pods", "deployments", "replicasets", "events", "services")
        objs = [copy.deepcopy(o) for k in (*kinds, "endpoints", "endpointslices") for o in c.observe(k)]
        _OBJECTS = (objs, c)
    return copy.deepcopy(_OBJECTS[0]), _OBJECTS[1]


class ServiceAPI(CannedAPI):
    """The canned API with Services, Endpoints and EndpointSlices discoverable."""

    def request(self, method: str, path: str, **kw: Any) -> Any:
        if path == "/apis":
            groups = ["apps", "coordination.k8s.io", "discovery.k8s.io"]
            return fakeapi.Response(200, AGG, json.dumps(fakeapi.discovery(groups)).encode())
        return super().request(method, path, **kw)


@pytest.fixture(autouse=True)
def _service_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fakeapi, "RESOURCES", [*fakeapi.RESOURCES, *SERVICE_KINDS])


def _api(canned: dict[Any, Any] | None = None) -> ServiceAPI:
    objs, cluster = _objects()

    def table(plural: str) -> Any:
        return lambda items: engine_tables.to_table(plural, items, now=cluster.now, epoch=cluster.epoch)

    tables = {p: table(p) for p in ("services", "endpoints", "endpointslices")}
    return ServiceAPI(objs, tables, canned=canned)


def _created() -> dict[Any, Any]:
    objs, _ = _objects()
    svc = next(o for o in objs if o["kind"] == "Service" and o["metadata"]["name"] == "web")
    return {("POST", "/api/v1/namespaces/default/services"): _json(201, svc)}


def _line(line: str) -> str:
    objs, _ = _objects()
    pod = next(o for o in objs if o["kind"] == "Pod" and o["metadata"]["namespace"] == "default")
    rs = next(o for o in objs if o["kind"] == "ReplicaSet")
    return line.replace("POD", pod["metadata"]["name"]).replace("RS", rs["metadata"]["name"])


def _compare(line: str, canned: dict[Any, Any] | None = None) -> tuple[list[Any], list[Any]]:
    line = _line(line)
    apis = [_api(canned) for _ in range(2)]
    out, err, rc = real_kubectl(apis[0], line.split())
    mine = run("kubectl " + line, apis[1], now=datetime.now(UTC))
    assert (mine.stdout, mine.stderr, mine.exit_code) == (out, err, rc), line
    return _requests(apis[0].requests), _requests(apis[1].requests)


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
    theirs, mine = _compare(line)
    assert mine == theirs


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
    theirs, mine = _compare(line, _created())
    assert mine == theirs
