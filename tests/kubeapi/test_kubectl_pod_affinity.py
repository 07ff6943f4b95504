"""Real kubectl 1.32 against a lab's API: the Kubernetes docs' "web next to cache" pod affinity
example applied as-is, and a replica its anti-affinity keeps Pending, as `describe` shows it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.engine.test_inter_pod_affinity import WEB_NEXT_TO_CACHE
from tests.kubeapi.kubectl_cli import Kubectl, columns, kubectl_for_new_lab, wait_for
from tests.live_server import LiveServer

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")

ONE_PER_NODE = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: solo}
spec:
  replicas: 4
  selector:
    matchLabels: {app: solo}
  template:
    metadata:
      labels: {app: solo}
    spec:
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - labelSelector:
              matchLabels: {app: solo}
            matchLabelKeys: [pod-template-hash]
            topologyKey: kubernetes.io/hostname
      containers:
      - name: app
        image: nginx:1.27
"""


@pytest.fixture(scope="module")
def kubectl(live_server_process: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    yield kubectl_for_new_lab(live_server_process, tmp_path_factory, "affinity-user")


def nodes_of(kubectl: Kubectl, app: str) -> list[str]:
    rows = columns(kubectl.out("get", "pods", "-l", f"app={app}", "-o", "wide"))
    return sorted(row[6] for row in rows[1:])


def test_web_servers_land_next_to_the_cache(kubectl: Kubectl) -> None:
    out = kubectl.out("apply", "-f", "-", stdin=WEB_NEXT_TO_CACHE)
    assert out == "deployment.apps/redis-cache created\ndeployment.apps/web-server created\n"
    workers = ["worker-1", "worker-2", "worker-3"]
    wait_for(lambda: nodes_of(kubectl, "web-store") == workers)
    assert nodes_of(kubectl, "store") == workers
    kubectl.out("delete", "deployment", "redis-cache", "web-server")


def test_describe_shows_why_the_fourth_replica_is_pending(kubectl: Kubectl) -> None:
    kubectl.out("apply", "-f", "-", stdin=ONE_PER_NODE)
    wait_for(
        lambda: (
            "FailedScheduling" in kubectl.out("get", "events", "--field-selector", "reason=FailedScheduling")
        )
    )
    rows = columns(kubectl.out("get", "pods", "-l", "app=solo", "-o", "wide"))
    (pending,) = [row[0] for row in rows[1:] if row[2] == "Pending"]
    described = kubectl.out("describe", "pod", pending)
    assert (
        "  Warning  FailedScheduling  " in described
        and "default-scheduler  0/4 nodes are available: 1 node(s) had untolerated taint "
        "{node-role.kubernetes.io/control-plane: }, 3 node(s) didn't match pod anti-affinity rules. "
        "preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, "
        "3 No preemption victims found for incoming pod."
        in described
    )
    spec = kubectl.out("get", "pod", pending, "-o", "jsonpath={.spec.affinity.podAntiAffinity}")
    assert '"matchExpressions":[{"key":"pod-template-hash","operator":"In","values":[' in spec
