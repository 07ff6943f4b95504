"""The console's `get` and `describe` of DaemonSets against the real kubectl 1.32 binary, on
the same canned API answers (see test_against_kubectl.py): identical stdout, stderr and exit
code, and the same requests."""

from __future__ import annotations

import pytest

from .fakeapi import CannedAPI, have_kubectl
from .side_by_side import EngineSnapshot, applied, assert_prints_what_kubectl_prints, serve_kinds

pytestmark = pytest.mark.skipif(not have_kubectl(), reason="the kubectl.1.32 binary is not installed")

# A DaemonSet on every worker, and one limited to labelled nodes (none are: desired 0) with
# a surge strategy and an annotation on its template.
APP = """
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, labels: {app: agent}}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: agent, image: nginx:1.27, ports: [{containerPort: 80}]}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ssd-monitor}
spec:
  minReadySeconds: 5
  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  selector:
    matchExpressions: [{key: app, operator: In, values: [ssd-monitor]}]
  template:
    metadata: {labels: {app: ssd-monitor}, annotations: {team: storage}}
    spec:
      nodeSelector: {disktype: ssd, kubernetes.io/os: linux}
      containers: [{name: monitor, image: busybox:1.36, command: [sleep, "3600"]}]
"""
APPS_KINDS = [
    ("apps", "v1", "daemonsets", "DaemonSet", True, ["ds"], ["all"], ["status"]),
    ("apps", "v1", "controllerrevisions", "ControllerRevision", True, [], [], []),
]
SNAPSHOT = EngineSnapshot(
    applied(APP, 60), ("namespaces", "nodes", "pods", "daemonsets", "controllerrevisions", "events")
)
_apps_kinds = serve_kinds(*APPS_KINDS)


def _api() -> CannedAPI:
    return SNAPSHOT.api(("daemonsets", "controllerrevisions", "pods"))


READS = [
    "get ds",
    "get ds -o wide",
    "get daemonsets.apps agent",
    "get ds ssd-monitor -o yaml",
    "describe ds agent",
    "describe daemonset ssd-monitor",
    "describe ds",
    "get ds nope",
]


@pytest.mark.parametrize("line", READS)
def test_daemonset_reads_print_what_kubectl_prints(line: str) -> None:
    assert_prints_what_kubectl_prints(_api, line)
