"""The console's `get ingress`, `get ingressclass` and their `describe` against the real
kubectl 1.32 binary, on the same canned API answers (see test_against_kubectl.py): identical
stdout, stderr and exit code, and the same requests (describe GETs each backend's Endpoints
and Service)."""

from __future__ import annotations

import shlex
from datetime import UTC, datetime

import pytest

from clusterlab.engine import Cluster
from clusterlab.kubeapi.inprocess import DispatchTransport
from clusterlab.kubectl import run

from .fakeapi import CannedAPI, have_kubectl, real_kubectl
from .side_by_side import EngineSnapshot, assert_prints_what_kubectl_prints, serve_kinds

pytestmark = pytest.mark.skipif(not have_kubectl(), reason="the kubectl.1.32 binary is not installed")

APP = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: hello-app, image: "gcr.io/google-samples/hello-app:1.0"}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, labels: {app: web}}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 8080, protocol: TCP, targetPort: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: example-ingress
  labels: {tier: edge}
spec:
  ingressClassName: nginx
  tls:
  - hosts: [hello-world.example]
    secretName: hello-tls
  - hosts: [sni.example]
  rules:
    - host: hello-world.example
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: web
                port:
                  number: 8080
          - path: /v2
            pathType: Prefix
            backend:
              service:
                name: web2
                port:
                  number: 8080
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: minimal-ingress
  annotations:
    nginx.ingress.kubernetes.io/rewrite-target: /
spec:
  ingressClassName: nginx-example
  rules:
  - http:
      paths:
      - path: /testpath
        pathType: Prefix
        backend:
          service:
            name: test
            port:
              number: 80
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ingress-wildcard-host
spec:
  rules:
  - host: "foo.bar.com"
    http:
      paths:
      - pathType: Prefix
        path: "/bar"
        backend:
          service:
            name: service1
            port:
              number: 80
  - host: "*.foo.com"
    http:
      paths:
      - pathType: Prefix
        path: "/foo"
        backend:
          service:
            name: service2
            port:
              number: 80
  - host: "a.example"
  - host: "b.example"
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: catch-all
spec:
  ingressClassName: nginx
  defaultBackend:
    resource:
      apiGroup: k8s.example.com
      kind: StorageBucket
      name: static-assets
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: external-lb
spec:
  controller: example.com/ingress-controller
  parameters:
    apiGroup: k8s.example.com
    kind: IngressParameters
    name: external-lb
"""
INGRESS_KINDS = [
    ("", "v1", "services", "Service", True, ["svc"], ["all"], ["status"]),
    ("", "v1", "endpoints", "Endpoints", True, ["ep"], [], []),
    ("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", True, [], [], []),
    ("networking.k8s.io", "v1", "ingresses", "Ingress", True, ["ing"], [], ["status"]),
    ("networking.k8s.io", "v1", "ingressclasses", "IngressClass", False, [], [], []),
]


def _setup() -> Cluster:
    c = Cluster("ingress")
    c.apply(APP)
    c.advance(90)  # the controller is Ready and its status sync has written the address
    return c


SNAPSHOT = EngineSnapshot(
    _setup,
    (
        "namespaces",
        "nodes",
        "pods",
        "events",
        "services",
        "endpoints",
        "endpointslices",
        "ingresses",
        "ingressclasses",
    ),
)
_ingress_kinds = serve_kinds(*INGRESS_KINDS)


def _api() -> CannedAPI:
    return SNAPSHOT.api(["ingresses", "ingressclasses"], groups=["networking.k8s.io", "discovery.k8s.io"])


READS = [
    "get ingress",
    "get ingress -o wide",
    "get ingress example-ingress -o yaml",
    "get ingressclasses.networking.k8s.io",
    "describe ingress example-ingress",
    "describe ingress ingress-wildcard-host",
    "describe ingress catch-all",
    "describe ing",
    "describe ingressclass external-lb",
    "get ingress nope",
]


@pytest.mark.parametrize("line", READS)
def test_ingress_reads_print_what_kubectl_prints(line: str) -> None:
    assert_prints_what_kubectl_prints(_api, line)


def test_the_snapshot_has_the_controller_s_address_and_sync_events() -> None:
    ing = next(
        o
        for o in SNAPSHOT.objects()
        if o.get("kind") == "Ingress" and o["metadata"]["name"] == "example-ingress"
    )
    assert ing["status"]["loadBalancer"]["ingress"][0]["ip"].startswith("172.18.0.")


@pytest.mark.parametrize(
    "line",
    [
        ["create", "ingress", "simple", "--rule=foo.com/bar=svc1:8080,tls=my-cert"],
        [
            "create",
            "ing",
            "multi",
            "--class=default",
            "--rule=foo.com/=svc:https,tls",
            "--rule=foo.com/path/subpath*=othersvc:8080",
            "--rule=bar.com/admin*=svc2:http,tls=secret1",
            "--rule=baz.com/*=svc3:80,tls=secret1",
            "--annotation=ingress.annotation1=foo",
            "--default-backend=defaultsvc:http",
            "-o",
            "yaml",
        ],
        ["create", "ingress", "dry", "--rule=a.example/x*=web:80", "--dry-run=client", "-o", "json"],
        ["create", "ingress", "none"],
        ["create", "ingress", "bad", "--rule=foo.com=svc:80"],
        ["create", "ingress", "refused", "--rule=Foo.com/=svc:80"],
    ],
)
def test_create_ingress_prints_what_kubectl_prints(
    line: list[str], two_clusters: tuple[Cluster, Cluster]
) -> None:
    """Each side writes to a cluster of its own (the same seed and the same writes in the same
    order keep them the same cluster)."""
    theirs, ours = two_clusters
    out, err, rc = real_kubectl(DispatchTransport(theirs), line)  # type: ignore[arg-type]
    mine = run("kubectl " + shlex.join(line), DispatchTransport(ours), now=datetime.now(UTC))
    assert (mine.stdout, mine.stderr, mine.exit_code) == (out, err, rc), line


@pytest.fixture(scope="module")
def two_clusters() -> tuple[Cluster, Cluster]:
    return Cluster(), Cluster()
