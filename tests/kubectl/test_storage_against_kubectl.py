"""The console's `get` and `describe` of PersistentVolumes, PersistentVolumeClaims and
StorageClasses against the real kubectl 1.32 binary, on the same canned API answers (see
test_against_kubectl.py): identical stdout, stderr and exit code, and the same requests."""

from __future__ import annotations

import pytest

from tests.manifests import DATA_CLAIM, DATA_CLAIM_POD

from .fakeapi import CannedAPI, have_kubectl
from .side_by_side import EngineSnapshot, applied, assert_prints_what_kubectl_prints, serve_kinds

pytestmark = pytest.mark.skipif(not have_kubectl(), reason="the kubectl.1.32 binary is not installed")

STORAGE = (
    """
apiVersion: v1
kind: PersistentVolume
metadata: {name: task-pv-volume, labels: {type: local}}
spec:
  storageClassName: manual
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteOnce, ReadOnlyMany]
  hostPath: {path: /mnt/data}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: task-pv-claim}
spec:
  storageClassName: manual
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 3Gi}}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: nfs-share}
spec:
  capacity: {storage: 1Ti}
  accessModes: [ReadWriteMany]
  persistentVolumeReclaimPolicy: Recycle
  nfs: {server: 10.0.0.5, path: /exports/share}
---"""
    + DATA_CLAIM
    + "---"
    + DATA_CLAIM_POD % "writer"
    + """---
apiVersion: v1
kind: Pod
metadata: {name: cache}
spec:
  containers:
  - name: c
    image: busybox:1.37
    command: [sleep, "3600"]
    volumeMounts: [{name: scratch, mountPath: /cache}, {name: logs, mountPath: /var/log/host, readOnly: true}]
  volumes:
  - {name: scratch, emptyDir: {sizeLimit: 500Mi}}
  - {name: logs, hostPath: {path: /var/log, type: Directory}}
  - {name: tmp, emptyDir: {medium: Memory}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: fast-data}
spec:
  storageClassName: fast
  accessModes: [ReadWriteOncePod]
  resources: {requests: {storage: 500Mi}}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: slow}
provisioner: example.com/nfs
parameters: {server: nfs.example.com, path: /share}
reclaimPolicy: Retain
allowVolumeExpansion: true
mountOptions: [nfsvers=4.1, hard]
"""
)
STORAGE_KINDS = [
    ("", "v1", "persistentvolumes", "PersistentVolume", False, ["pv"], [], ["status"]),
    ("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", True, ["pvc"], [], ["status"]),
    ("storage.k8s.io", "v1", "storageclasses", "StorageClass", False, ["sc"], [], []),
]
SNAPSHOT = EngineSnapshot(
    applied(STORAGE, 60),
    [
        "namespaces",
        "nodes",
        "pods",
        "events",
        "persistentvolumes",
        "persistentvolumeclaims",
        "storageclasses",
    ],
)
_storage_kinds = serve_kinds(*STORAGE_KINDS)


def _api() -> CannedAPI:
    return SNAPSHOT.api(
        ("persistentvolumes", "persistentvolumeclaims", "storageclasses"),
        groups=["storage.k8s.io", "coordination.k8s.io"],
    )


def _provisioned() -> str:
    claim = next(
        o
        for o in SNAPSHOT.objects()
        if o["kind"] == "PersistentVolumeClaim" and o["metadata"]["name"] == "data"
    )
    return str(claim["spec"]["volumeName"])


READS = [
    "get pv",
    "get pv -o wide",
    "get pvc",
    "get pvc -o wide",
    "get sc",
    "get pv,pvc",
    "describe pv task-pv-volume",
    "describe pv nfs-share",
    "describe pv PROVISIONED",
    "describe pvc task-pv-claim",
    "describe pvc data",
    "describe pvc fast-data",
    "describe sc standard",
    "describe sc slow",
    "get pvc nope",
    "describe pod writer",
    "describe pod cache",
]


@pytest.mark.parametrize("line", READS)
def test_storage_reads_print_what_kubectl_prints(line: str) -> None:
    assert_prints_what_kubectl_prints(_api, line.replace("PROVISIONED", _provisioned()))
