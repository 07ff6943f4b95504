"""`kubectl top` in the console against the real kubectl 1.32 binary, on one live engine cluster.

Both talk to the same frozen cluster through the lab API's in-process dispatcher (the real
binary over a local HTTP server): stdout, stderr and exit code must be identical, and so must
the requests each sends after discovery. The cluster's epoch is the wall clock's now, so the
ages real kubectl computes on its own clock agree with the lab's.
Skipped when the kubectl binary is not installed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.kubeapi.inprocess import DispatchTransport
from clusterlab.kubectl import run
from clusterlab.kubectl.transport import Request, Response

from .fakeapi import have_kubectl, real_kubectl

pytestmark = pytest.mark.skipif(not have_kubectl(), reason="the kubectl.1.32 binary is not installed")

WEB = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, tier: front}}
    spec:
      containers:
      - {name: nginx, image: 'nginx:1.27'}
      - {name: cache, image: 'redis:7'}
"""
STRESS = """
apiVersion: v1
kind: Pod
metadata: {name: hog, labels: {app: hog}}
spec:
  containers:
  - name: stress
    image: polinux/stress
    command: [stress]
    args: [--vm, '1', --vm-bytes, 150M, --vm-hang, '1']
"""


class Recording:
    """A transport that records the requests it passes on (to compare kubectl and console)."""

    def __init__(self, cluster: Cluster) -> None:
        self.inner = DispatchTransport(cluster)
        self.requests: list[Request] = []

    def request(self, method: str, path: str, **kw: Any) -> Response:
        self.requests.append(Request(method, path, dict(kw.get("query") or {})))
        return self.inner.request(method, path, **kw)


def _after_discovery(reqs: list[Request]) -> list[tuple[str, str, dict[str, str]]]:
    return [
        (r.method, r.path, {k: v for k, v in r.query.items() if k != "timeout"})
        for r in reqs
        if r.path not in ("/api", "/apis")
    ]


def _compare(cluster: Cluster, line: str) -> tuple[str, str, int]:
    real_side, console_side = Recording(cluster), Recording(cluster)
    out, err, rc = real_kubectl(real_side, line.split())  # type: ignore[arg-type]
    now = cluster.epoch + timedelta(seconds=cluster.now)
    mine = run("kubectl " + line, console_side, now=now)
    assert (mine.stdout, mine.stderr, mine.exit_code) == (out, err, rc), line
    assert _after_discovery(console_side.requests) == _after_discovery(real_side.requests), line
    return out, err, rc


@pytest.fixture(scope="module")
def busy() -> Cluster:
    """Metrics served: the control plane, metrics-server, a 2-replica web and a stress pod."""
    c = Cluster(epoch=datetime.now(UTC) - timedelta(seconds=120))
    c.apply(WEB)
    c.apply(STRESS)
    c.advance(60)
    c.usage.set_load("default", c.list("pods", "default", selector="app=web")[0]["metadata"]["name"], 0.4)
    c.advance(60)
    return c


READS = [
    "top node",
    "top nodes --no-headers",
    "top no worker-1",
    "top node --sort-by=cpu",
    "top node --sort-by memory",
    "top node --show-capacity",
    "top node -l node-role.kubernetes.io/control-plane",
    "top node nope",
    "top pod",
    "top pods -A",
    "top po -A --containers",
    "top pod -A --sum",
    "top pod --containers --sum",
    "top pod -A --sort-by=memory",
    "top pod -n kube-system --sort-by=cpu",
    "top pod -l app=web --containers --sort-by=memory",
    "top pod -l app=web --no-headers --sum",
    "top pod hog",
    "top pod nope",
    "top pod -n empty",
    "top pod -A -l app=nothing",
    "top pod --field-selector metadata.name=hog",
    "get nodes.metrics.k8s.io",
    "get pods.metrics.k8s.io -A",
    "get podmetrics -n kube-system -o name",
    "get nodemetrics worker-1 -o yaml",
    "delete nodes.metrics.k8s.io worker-1",
    "api-resources --api-group=metrics.k8s.io",
]


@pytest.mark.parametrize("line", READS)
def test_reads_print_as_kubectl(busy: Cluster, line: str) -> None:
    busy.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "empty"}})
    _compare(busy, line)


@pytest.mark.parametrize(
    "line",
    [
        "top",
        "top foo",
        "top pod a b",
        "top node a b",
        "top pod --sort-by=name",
        "top node --sort-by=x",
        "top pod web -l app=web",
        "top node worker-1 -l a=b",
    ],
)
def test_top_usage_errors(busy: Cluster, line: str) -> None:
    _compare(busy, line)


def test_metrics_api_not_available_before_metrics_server_is_ready() -> None:
    c = Cluster(epoch=datetime.now(UTC))
    c.advance(5)
    out, err, rc = _compare(c, "top node")
    assert (out, err, rc) == ("", "error: Metrics API not available\n", 1)
    _compare(c, "top pod -A")
    _compare(c, "api-resources --api-group=metrics.k8s.io")
    _compare(c, "get nodes.metrics.k8s.io")


def test_fresh_pods_have_no_metrics_yet() -> None:
    c = Cluster(epoch=datetime.now(UTC))
    c.advance(40)
    c.apply(WEB)
    c.advance(3)
    out, err, rc = _compare(c, "top pod")
    assert (out, err, rc) == ("", "error: metrics not available yet\n", 1)
    _compare(c, "top pod -l app=web")
