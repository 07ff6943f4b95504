"""Pods whose containers crash, get OOM-killed, complete or wait on init containers: the console's
`get` and `describe` against the real kubectl 1.32 binary on the same canned API answers
(STATUS `CrashLoopBackOff`, `OOMKilled`, `Completed`, `Init:1/2`; describe's State, Last State
and Restart Count)."""

from __future__ import annotations

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.printers import pod_status
from tests.manifests import BUSYBOX_ONCE_POD

from .fakeapi import CannedAPI, have_kubectl, real_kubectl
from .side_by_side import EngineSnapshot, assert_prints_what_kubectl_prints

pytestmark = pytest.mark.skipif(not have_kubectl(), reason="the kubectl.1.32 binary is not installed")

APP = (
    """
apiVersion: v1
kind: Pod
metadata: {name: crash}
spec:
  containers: [{name: app, image: "busybox:1.36", command: [sh, -c, "echo boom; exit 1"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: memory-demo-2}
spec:
  containers:
  - name: memory-demo-2-ctr
    image: polinux/stress
    resources: {requests: {memory: 50Mi}, limits: {memory: 100Mi}}
    command: [stress]
    args: [--vm, "1", --vm-bytes, 250M, --vm-hang, "1"]
---"""
    + BUSYBOX_ONCE_POD
    + """---
apiVersion: v1
kind: Pod
metadata: {name: myapp-pod}
spec:
  containers: [{name: myapp-container, image: "busybox:1.28", command: [sh, -c, "sleep 3600"]}]
  initContainers:
  - {name: init-myservice, image: "busybox:1.28", command: [sh, -c, "sleep 1"]}
  - {name: init-mydb, image: "busybox:1.28", command: [sh, -c, "sleep 3600"]}
"""
)


def _crashing_and_oom_killed() -> Cluster:
    """A moment when the crashing pod waits out its backoff while the stress pod was just
    OOM-killed again."""
    c = Cluster()
    c.apply(APP)
    while not (
        pod_status(c.get("pod", "crash")) == "CrashLoopBackOff"
        and pod_status(c.get("pod", "memory-demo-2")) == "OOMKilled"
    ):
        c.advance(0.5)
    return c


SNAPSHOT = EngineSnapshot(_crashing_and_oom_killed, ("namespaces", "nodes", "pods", "events"))


def _api() -> CannedAPI:
    return SNAPSHOT.api(["pods"])


READS = [
    "get pods",
    "get pod crash -o wide",
    "describe pod crash",
    "describe pod memory-demo-2",
    "describe pod once",
    "describe pod myapp-pod",
]


@pytest.mark.parametrize("line", READS)
def test_container_states_print_what_kubectl_prints(line: str) -> None:
    assert_prints_what_kubectl_prints(_api, line)


def test_the_statuses_are_the_ones_learners_meet() -> None:
    api = _api()
    out, _, _ = real_kubectl(api, ["get", "pods", "--no-headers"])
    status = {line.split()[0]: line.split()[2] for line in out.splitlines()}
    assert status == {
        "crash": "CrashLoopBackOff",
        "memory-demo-2": "OOMKilled",
        "myapp-pod": "Init:1/2",
        "once": "Completed",
    }
