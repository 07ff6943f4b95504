"""The console's `get` and `describe` of StatefulSets and ControllerRevisions against the real
kubectl 1.32 binary, on the same canned API answers (see test_against_kubectl.py): identical
stdout, stderr and exit code, and the same requests."""

from __future__ import annotations

import pytest

from tests.manifests import DOCS_NGINX_HEADLESS_SERVICE

from .fakeapi import CannedAPI, have_kubectl
from .side_by_side import EngineSnapshot, applied, assert_prints_what_kubectl_prints, serve_kinds

pytestmark = pytest.mark.skipif(not have_kubectl(), reason="the kubectl.1.32 binary is not installed")

# The docs' tutorial StatefulSet (without its claims, so its pods run) and one with a claim
# template and a partitioned update strategy (its pod waits for a claim nobody creates).
APP = (
    DOCS_NGINX_HEADLESS_SERVICE
    + """---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: nginx
  replicas: 2
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      terminationGracePeriodSeconds: 10
      containers: [{name: nginx, image: nginx:1.27, ports: [{containerPort: 80, name: web}]}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, labels: {tier: data}}
spec:
  serviceName: db
  replicas: 1
  podManagementPolicy: Parallel
  updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 1}}
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - name: db
        image: nginx:1.27
        volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      storageClassName: standard
      resources: {requests: {storage: 1Gi}}
"""
)
APPS_KINDS = [
    ("apps", "v1", "statefulsets", "StatefulSet", True, ["sts"], ["all"], ["scale", "status"]),
    ("apps", "v1", "controllerrevisions", "ControllerRevision", True, [], [], []),
]
SNAPSHOT = EngineSnapshot(
    applied(APP, 60), ("namespaces", "nodes", "pods", "statefulsets", "controllerrevisions", "events")
)
_apps_kinds = serve_kinds(*APPS_KINDS)


def _api() -> CannedAPI:
    return SNAPSHOT.api(("statefulsets", "controllerrevisions", "pods"))


READS = [
    "get sts",
    "get sts -o wide",
    "get statefulsets.apps web",
    "get sts db -o yaml",
    "get controllerrevisions",
    "describe sts web",
    "describe statefulset db",
    "get sts nope",
]


@pytest.mark.parametrize("line", READS)
def test_statefulset_reads_print_what_kubectl_prints(line: str) -> None:
    assert_prints_what_kubectl_prints(_api, line)
