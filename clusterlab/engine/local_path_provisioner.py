"""local-path-provisioner's process: the dynamic provisioner of the default StorageClass.

Like kind's default storage, `rancher.io/local-path` runs as an ordinary Deployment
(`local-path-storage/local-path-provisioner`, image `docker.io/rancher/local-path-provisioner`)
built on sig-storage-lib-external-provisioner's ProvisionController. When the kubelet starts
its container, the process starts (~1 s to sync its informers) and, as its service account,
watches PersistentVolumeClaims, PersistentVolumes and StorageClasses:

- A claim it should provision — unbound, annotated by the PV controller with
  `volume.kubernetes.io/storage-provisioner: rancher.io/local-path`, and, for a
  `WaitForFirstConsumer` class, carrying the scheduler's `volume.kubernetes.io/selected-node` —
  gets the event `Provisioning` "External provisioner is provisioning volume for claim
  \"default/www-web-0\"". The provisioner creates the directory
  `/var/local-path-provisioner/pvc-<claim uid>_<namespace>_<claim>` on that node (its helper
  pod runs the ConfigMap's `setup` script), then creates the PersistentVolume `pvc-<claim uid>`:
  a `hostPath` volume (`DirectoryOrCreate`) with the claim's access modes and requested size,
  pre-bound to the claim by `claimRef`, `nodeAffinity` pinning it to the node, the class's
  reclaim policy, annotations `pv.kubernetes.io/provisioned-by` and
  `local.path.provisioner/selected-node` — and records `ProvisioningSucceeded` "Successfully
  provisioned volume pvc-…". The PV controller then binds the claim to it.
- A claim without a selected node (a class with `volumeBindingMode: Immediate`) cannot be
  placed: `ProvisioningFailed` "failed to provision volume with StorageClass \"x\":
  configuration error, no node was specified", retried with backoff.
- A volume it provisioned that is Released with reclaim policy Delete is torn down (the
  `teardown` script removes the directory and everything written to it) and the
  PersistentVolume deleted.

Events come from the component `rancher.io/local-path_<pod name>_<uuid>`, the library's
identity for this process.

Simplified: the setup and teardown helper pods (`helper-pod-create-pvc-…`) are not created as
API objects; each takes a fixed `HELPER_SECONDS`. No leader election among replicas: every
running process acts, the oldest first, and a claim already being provisioned is left alone.
The retry backoff is a fixed 15 s.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .apiserver import APIServer
from .audit import User
from .clock import Clock, Timer
from .errors import ApiError
from .informers import Informer, key_of
from .jsonutil import copy_json
from .names import new_uid
from .node.pod_state import running_container
from .node.runtime import normalize
from .recorder import EventRecorder

if TYPE_CHECKING:
    from .node.kubelet import Kubelet

Obj = dict[str, Any]
PROVISIONER = "rancher.io/local-path"
IMAGE_REPOSITORY = "docker.io/rancher/local-path-provisioner"
USER = User(
    "system:serviceaccount:local-path-storage:local-path-provisioner-service-account",
    "local-path-provisioner",
)
STARTUP_SECONDS = 1.0
HELPER_SECONDS = 2.0  # the setup/teardown helper pod: scheduled, busybox started, script run
RETRY_SECONDS = 15.0
BASE_PATH = "/var/local-path-provisioner"
SELECTED_NODE = "volume.kubernetes.io/selected-node"
STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner"
BETA_STORAGE_PROVISIONER = "volume.beta.kubernetes.io/storage-provisioner"
PROVISIONED_BY = "pv.kubernetes.io/provisioned-by"
LOCAL_PATH_NODE = "local.path.provisioner/selected-node"

KubeletLookup = Callable[[str], "Kubelet | None"]


def volume_path(claim: Obj) -> str:
    meta = claim["metadata"]
    return f"{BASE_PATH}/pvc-{meta['uid']}_{meta.get('namespace')}_{meta['name']}"


@dataclass
class Process:
    """One running local-path-provisioner container."""

    node: str
    container_id: str
    started: float
    claims: Informer
    volumes: Informer
    classes: Informer
    pod: str = ""
    recorder: EventRecorder | None = None
    timers: list[Timer] = field(default_factory=list)


class LocalPathProvisioner:
    """Every local-path-provisioner process in the cluster."""

    def __init__(self, server: APIServer, clock: Clock, rng: random.Random, kubelets: KubeletLookup) -> None:
        self.server = server
        self.clock = clock
        self.rng = rng  # the identities' uuids: a stream of its own, so nothing else shifts
        self.kubelets = kubelets
        self.processes: dict[str, Process] = {}
        self.in_flight: set[str] = set()  # claims (and volumes) being provisioned or deleted

    # -- the runtime tells us a container started ---------------------------------------

    def container_started(self, node: str, container_id: str, image: str) -> None:
        ref = normalize(image).partition("@")[0].rpartition(":")[0]
        if ref != IMAGE_REPOSITORY:
            return
        proc = Process(
            node=node,
            container_id=container_id,
            started=self.clock.now,
            claims=Informer(self.server, USER, "persistentvolumeclaims"),
            volumes=Informer(self.server, USER, "persistentvolumes"),
            classes=Informer(self.server, USER, "storageclasses"),
        )
        self.processes[container_id] = proc
        proc.timers.append(self.clock.call_later(STARTUP_SECONDS, lambda: self._run(proc)))

    def _alive(self, proc: Process) -> bool:
        kubelet = self.kubelets(proc.node)
        if kubelet is None or not kubelet.running:
            return False
        found = running_container(kubelet.pods, proc.container_id)
        if found is not None:
            proc.pod = found[0]
        return found is not None

    def _exit(self, proc: Process) -> None:
        for timer in proc.timers:
            timer.cancel()
        for informer in (proc.claims, proc.volumes, proc.classes):
            informer.stop()
        self.processes.pop(proc.container_id, None)

    def _run(self, proc: Process) -> None:
        """The controller starts: informers synced, every claim and volume looked at."""
        if not self._alive(proc):
            self._exit(proc)
            return
        pod_name = proc.pod.partition("/")[2]
        proc.recorder = EventRecorder(self.server, USER, f"{PROVISIONER}_{pod_name}_{new_uid(self.rng)}")
        proc.claims.add_handler(
            lambda c: self._later(proc, lambda: self._claim(proc, key_of(c))),
            lambda _o, c: self._later(proc, lambda: self._claim(proc, key_of(c))),
            None,
        )
        proc.volumes.add_handler(
            lambda v: self._later(proc, lambda: self._volume(proc, key_of(v))),
            lambda _o, v: self._later(proc, lambda: self._volume(proc, key_of(v))),
            None,
        )
        for informer in (proc.classes, proc.claims, proc.volumes):
            informer.start()

    def _later(self, proc: Process, work: Callable[[], None], delay: float = 0.0) -> None:
        proc.timers = [t for t in proc.timers if not t.cancelled]
        proc.timers.append(self.clock.call_later(delay, work))

    # -- provisioning -----------------------------------------------------------------------

    def _should_provision(self, proc: Process, claim: Obj) -> Obj | None:
        """`shouldProvision`: the class, if this claim is ours to provision now."""
        if (claim.get("spec") or {}).get("volumeName") or claim["metadata"].get("deletionTimestamp"):
            return None
        annotations = claim["metadata"].get("annotations") or {}
        named = annotations.get(STORAGE_PROVISIONER) or annotations.get(BETA_STORAGE_PROVISIONER)
        if named != PROVISIONER:
            return None
        sc = proc.classes.get(str((claim.get("spec") or {}).get("storageClassName") or ""))
        if sc is None or sc.get("provisioner") != PROVISIONER:
            return None
        if sc.get("volumeBindingMode") == "WaitForFirstConsumer" and SELECTED_NODE not in annotations:
            return None
        return sc

    def _claim(self, proc: Process, key: str) -> None:
        if not self._alive(proc) or proc.recorder is None:
            return
        claim = proc.claims.get(key)
        if claim is None or key in self.in_flight:
            return
        sc = self._should_provision(proc, claim)
        if sc is None:
            return
        name = f"pvc-{claim['metadata']['uid']}"
        if proc.volumes.get(name) is not None:
            return  # provisioned already; the PV controller is binding it
        ns_name = f"{claim['metadata'].get('namespace')}/{claim['metadata']['name']}"
        proc.recorder.event(
            claim,
            "Normal",
            "Provisioning",
            f'External provisioner is provisioning volume for claim "{ns_name}"',
        )
        node = (claim["metadata"].get("annotations") or {}).get(SELECTED_NODE)
        if not node:
            message = (
                f'failed to provision volume with StorageClass "{sc["metadata"]["name"]}": '
                "configuration error, no node was specified"
            )
            proc.recorder.event(claim, "Warning", "ProvisioningFailed", message)
            self._later(proc, lambda: self._claim(proc, key), RETRY_SECONDS)
            return
        self.in_flight.add(key)
        self._later(proc, lambda: self._provisioned(proc, key, claim, sc, node), HELPER_SECONDS)

    def _provisioned(self, proc: Process, key: str, claim: Obj, sc: Obj, node: str) -> None:
        """The setup helper pod finished: the directory exists; create the volume."""
        self.in_flight.discard(key)
        if not self._alive(proc) or proc.recorder is None:
            return
        path = volume_path(claim)
        kubelet = self.kubelets(node)
        if kubelet is not None:
            kubelet.volumes.disk.make_dir(path)
        requests = ((claim.get("spec") or {}).get("resources") or {}).get("requests") or {}
        meta = claim["metadata"]
        name = f"pvc-{meta['uid']}"
        pv = {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {
                "name": name,
                "annotations": {LOCAL_PATH_NODE: node, PROVISIONED_BY: PROVISIONER},
            },
            "spec": {
                "accessModes": copy_json((claim.get("spec") or {}).get("accessModes") or []),
                "capacity": {"storage": requests.get("storage", "0")},
                "claimRef": {
                    "apiVersion": "v1",
                    "kind": "PersistentVolumeClaim",
                    "name": meta["name"],
                    "namespace": meta.get("namespace"),
                    "resourceVersion": meta.get("resourceVersion"),
                    "uid": meta["uid"],
                },
                "hostPath": {"path": path, "type": "DirectoryOrCreate"},
                "nodeAffinity": {
                    "required": {
                        "nodeSelectorTerms": [
                            {
                                "matchExpressions": [
                                    {"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}
                                ]
                            }
                        ]
                    }
                },
                "persistentVolumeReclaimPolicy": sc.get("reclaimPolicy") or "Delete",
                "storageClassName": sc["metadata"]["name"],
                "volumeMode": (claim.get("spec") or {}).get("volumeMode") or "Filesystem",
            },
        }
        try:
            self.server.create(USER, pv)
        except ApiError as exc:
            message = f'failed to provision volume with StorageClass "{sc["metadata"]["name"]}": {exc}'
            proc.recorder.event(claim, "Warning", "ProvisioningFailed", message)
            self._later(proc, lambda: self._claim(proc, key), RETRY_SECONDS)
            return
        proc.recorder.event(
            claim, "Normal", "ProvisioningSucceeded", f"Successfully provisioned volume {name}"
        )

    # -- deleting ---------------------------------------------------------------------------

    def _volume(self, proc: Process, name: str) -> None:
        if not self._alive(proc):
            return
        volume = proc.volumes.get(name)
        if volume is None or f"volume:{name}" in self.in_flight:
            return
        annotations = volume["metadata"].get("annotations") or {}
        spec = volume.get("spec") or {}
        if (
            annotations.get(PROVISIONED_BY) != PROVISIONER
            or spec.get("persistentVolumeReclaimPolicy") != "Delete"
        ):
            return
        if (volume.get("status") or {}).get("phase") != "Released":
            return
        self.in_flight.add(f"volume:{name}")
        self._later(proc, lambda: self._deleted(proc, volume), HELPER_SECONDS)

    def _deleted(self, proc: Process, volume: Obj) -> None:
        """The teardown helper pod removed the directory: delete the PersistentVolume."""
        name = volume["metadata"]["name"]
        self.in_flight.discard(f"volume:{name}")
        node = (volume["metadata"].get("annotations") or {}).get(LOCAL_PATH_NODE, "")
        kubelet = self.kubelets(node)
        path = ((volume.get("spec") or {}).get("hostPath") or {}).get("path")
        if kubelet is not None and path:
            kubelet.volumes.disk.remove_tree(path)
        try:
            self.server.delete(USER, "persistentvolumes", name)
        except ApiError:
            return
