"""A node under memory pressure after the kubelet evicted a pod: the console's `get` and
`describe` against the real kubectl 1.32 binary on the same canned API answers — the evicted
pod (Failed, reason `Evicted`, the kubelet's message), a pod rejected at admission, the node's
MemoryPressure condition, its taint and its events."""

from __future__ import annotations

from typing import Any

import pytest

from clusterlab.engine import Cluster

from .fakeapi import CannedAPI, have_kubectl, real_kubectl
from .side_by_side import EngineSnapshot, assert_prints_what_kubectl_prints

pytestmark = pytest.mark.skipif(not have_kubectl(), reason="the kubectl.1.32 binary is not installed")

APP = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: hog}
spec:
  replicas: 1
  selector: {matchLabels: {app: hog}}
  template:
    metadata: {labels: {app: hog}}
    spec:
      nodeSelector: {kubernetes.io/hostname: worker-1}
      containers:
      - name: stress
        image: polinux/stress
        command: [stress]
        args: [--vm, "1", --vm-bytes, 2000M, --vm-hang, "1"]
---
apiVersion: v1
kind: Pod
metadata: {name: steady}
spec:
  nodeSelector: {kubernetes.io/hostname: worker-1}
  containers:
  - name: stress
    image: polinux/stress
    resources: {requests: {memory: 1700Mi}}
    command: [stress]
    args: [--vm, "1", --vm-bytes, 1650M, --vm-hang, "1"]
"""

LATE = """
apiVersion: v1
kind: Pod
metadata: {name: late}
spec:
  nodeName: worker-1
  containers: [{name: app, image: "busybox:1.36", command: [sleep, "3600"]}]
"""


def _evicted() -> Cluster:
    """Two seconds after the eviction: the hog is Failed (Evicted), its replacement Pending,
    and a BestEffort pod bound straight to the node was rejected."""
    c = Cluster()
    c.apply(APP)
    c.advance(11)
    c.apply(LATE)
    c.advance(5)
    return c


SNAPSHOT = EngineSnapshot(_evicted, ("namespaces", "nodes", "pods", "events"))


def _api() -> CannedAPI:
    return SNAPSHOT.api(["pods", "nodes"])


def _evicted_pod() -> str:
    pods: list[dict[str, Any]] = SNAPSHOT.cluster.list("pods", "default", selector="app=hog")
    return next(p["metadata"]["name"] for p in pods if p["status"].get("reason") == "Evicted")


READS = [
    "get pods",
    "get pods -o wide",
    "get nodes",
    "describe node worker-1",
    "describe pod late",
    "describe pod EVICTED",
]


@pytest.mark.parametrize("line", READS)
def test_eviction_prints_what_kubectl_prints(line: str) -> None:
    assert_prints_what_kubectl_prints(_api, line.replace("EVICTED", _evicted_pod()))


def test_what_learners_see() -> None:
    api = _api()
    out, _, _ = real_kubectl(api, ["get", "pods", "--no-headers"])
    status = {line.split()[0]: line.split()[2] for line in out.splitlines()}
    evicted = _evicted_pod()
    replacement = next(n for n in status if n.startswith("hog-") and n != evicted)
    # kubectl prints the last container's termination reason over the pod's: the hog's
    # stress was SIGKILLed (137, Error); the rejected pod never ran a container.
    assert status == {evicted: "Error", replacement: "Pending", "late": "Evicted", "steady": "Running"}
    out, _, _ = real_kubectl(api, ["describe", "pod", evicted])
    assert "Reason:           Evicted\nMessage:          The node was low on resource: memory." in out
    assert "Status:           Failed\n" in out
    out, _, _ = real_kubectl(api, ["describe", "node", "worker-1"])
    assert "Taints:             node.kubernetes.io/memory-pressure:NoSchedule" in out
    assert "MemoryPressure   True" in out and "KubeletHasInsufficientMemory" in out
    assert "Warning  EvictionThresholdMet" in out
