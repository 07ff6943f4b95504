"""The kubelet's volume manager for the volumes that hold data: persistentVolumeClaim,
emptyDir and hostPath.

Before it creates a pod's sandbox the real kubelet waits (`WaitForAttachAndMount`) until the
desired-state populator has resolved each volume and the reconciler has mounted it:
- `persistentVolumeClaim`: the claim is read from the API server; it must exist and be
  `Bound`, else the pod stays `ContainerCreating` and the kubelet records `FailedMount`
  "Unable to attach or mount volumes: unmounted volumes=[www], unattached volumes=[], failed
  to process volumes=[www]: error processing PVC default/www-web-0: PVC is not bound" (or
  `failed to fetch PVC from API server: persistentvolumeclaims "x" not found`), retrying
  with the pod worker's error backoff (10–15 s). A bound claim's PersistentVolume says where
  the data is: a `hostPath` or `local` volume is a directory on this node's disk; other
  (network) volumes are kept under the volume's name.
- `emptyDir`: a fresh directory under `/var/lib/kubelet/pods/<uid>/volumes/…`, created with
  the pod and removed when the pod is gone from the node.
- `hostPath`: the node's directory at `path` (created for the types that create;
  `Directory`, `File`, `Socket`… must be there already — a node has its system directories and
  a few files such as containerd's socket —: `MountVolume.SetUp failed for volume "x" :
  hostPath type check failed: /data is not a directory`, retried after 0.5 s, 1 s, 2 s, … up
  to 2 min 2 s, as the operation executor backs off).

Each container then sees its `volumeMounts` (with `subPath`) over its own writable layer: a
file written under a mount point lands in the volume, so it survives the container's
restart, and — for a PersistentVolume or hostPath — the pod's deletion and re-creation on the
same volume; an emptyDir's files go with the pod.

Simplified: a directory is a map of relative paths to contents (`sub/` keys for empty
directories); `readOnly` mounts accept writes; network volumes' contents are kept per node
(a pod on another node sees its own copy); no attach/detach (`VolumeAttachment`), no mount
propagation, no capacity enforcement.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from .config_volumes import MOUNT_BACKOFF_INITIAL, MOUNT_BACKOFF_MAX

Obj = dict[str, Any]
#: The pod worker's error backoff, `wait.Jitter(10 s, 0.5)` (as pod_config.py).
SYNC_ERROR_BACKOFF = 10.0
SYNC_ERROR_JITTER = 0.5
Directory = dict[str, str]

#: hostPath types the kubelet creates when missing; the others only check what is there.
CREATING_TYPES = ("", "DirectoryOrCreate", "FileOrCreate")
#: What a kubeadm node (Ubuntu, containerd) has on its disk before any pod writes to it.
NODE_DIRECTORIES = (
    "/", "/etc", "/etc/kubernetes", "/etc/kubernetes/pki", "/etc/ssl/certs", "/home", "/mnt", "/opt",
    "/opt/cni/bin", "/proc", "/run", "/run/containerd", "/srv", "/sys", "/tmp", "/usr", "/usr/local", "/var",
    "/var/lib", "/var/lib/containerd", "/var/lib/kubelet", "/var/log", "/var/log/containers",
    "/var/log/pods", "/dev",
)  # fmt: skip
NODE_FILES = {
    "/etc/hosts": "File",
    "/etc/resolv.conf": "File",
    "/etc/localtime": "File",
    "/run/containerd/containerd.sock": "Socket",
    "/dev/null": "CharDevice",
    "/dev/kmsg": "CharDevice",
}
_TYPE_TEXT = {
    "Directory": "a directory",
    "File": "a file",
    "Socket": "a socket file",
    "CharDevice": "a character device",
    "BlockDevice": "a block device",
}


class VolumeError(Exception):
    """A volume the populator could not resolve (the pod waits and the kubelet retries)."""

    def __init__(self, volume: str, message: str, *, pvc: bool = True) -> None:
        super().__init__(message)
        self.volume = volume
        self.message = message
        self.pvc = pvc

    @property
    def event(self) -> str:
        if not self.pvc:
            return f'MountVolume.SetUp failed for volume "{self.volume}" : {self.message}'
        return (
            f"Unable to attach or mount volumes: unmounted volumes=[{self.volume}], unattached volumes=[], "
            f"failed to process volumes=[{self.volume}]: {self.message}"
        )


@dataclass
class NodeDisk:
    """The node's disk: directories by absolute path. It outlives pods, containers and the
    kubelet process (and a reboot)."""

    dirs: dict[str, Directory] = field(default_factory=dict)

    def make_dir(self, path: str) -> Directory:
        return self.dirs.setdefault(path.rstrip("/") or "/", {})

    def get(self, path: str) -> Directory | None:
        return self.dirs.get(path.rstrip("/") or "/")

    def remove_tree(self, path: str) -> None:
        self.dirs.pop(path.rstrip("/") or "/", None)


@dataclass(frozen=True)
class Mount:
    path: str  # the mount point in the container, without a trailing slash
    store: Directory
    prefix: str = ""  # a subPath inside the volume, with a trailing slash


class MountedFiles(MutableMapping[str, str]):
    """A container's files: its writable layer, with its volumes mounted over it."""

    def __init__(self, layer: Directory, mounts: list[Mount]) -> None:
        self.layer = layer
        # longest mount point first, so a nested mount wins
        self.mounts = sorted(mounts, key=lambda m: len(m.path), reverse=True)

    def _route(self, path: str) -> tuple[Directory, str]:
        for m in self.mounts:
            if path.startswith(m.path + "/"):
                return m.store, m.prefix + path[len(m.path) + 1 :]
        return self.layer, path

    def __getitem__(self, path: str) -> str:
        store, key = self._route(path)
        return store[key]

    def __setitem__(self, path: str, value: str) -> None:
        store, key = self._route(path)
        store[key] = value

    def __delitem__(self, path: str) -> None:
        store, key = self._route(path)
        del store[key]

    def __iter__(self) -> Iterator[str]:
        for path in self.layer:
            if self._route(path)[0] is self.layer:
                yield path
        for m in self.mounts:
            for key in m.store:
                if key.startswith(m.prefix):
                    yield f"{m.path}/{key[len(m.prefix) :]}"

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __or__(self, other: Any) -> dict[str, str]:
        return dict(self.items()) | dict(other)

    def __ror__(self, other: Any) -> dict[str, str]:
        return dict(other) | dict(self.items())


class VolumeManager:
    """One node's data volumes: its disk, and which directory backs each pod's volumes."""

    def __init__(self) -> None:
        self.disk = NodeDisk()
        self.pods: dict[str, dict[str, Mount]] = {}  # pod uid → volume name → its directory
        self.backoff: dict[str, float] = {}  # pod uid → the last SetUp retry delay

    @staticmethod
    def empty_dir_path(uid: str, name: str) -> str:
        return f"/var/lib/kubelet/pods/{uid}/volumes/kubernetes.io~empty-dir/{name}"

    def mount_pod(self, pod: Obj, lookup: Any) -> None:
        """Resolve and mount the pod's data volumes; raises VolumeError for the first that
        cannot be. `lookup(resource, namespace, name)` reads an object as the kubelet."""
        uid = pod["metadata"]["uid"]
        ns = pod["metadata"].get("namespace", "default")
        mounted: dict[str, Mount] = {}
        for volume in pod["spec"].get("volumes") or ():
            name = str(volume.get("name", ""))
            if volume.get("emptyDir") is not None:
                mounted[name] = Mount("", self.disk.make_dir(self.empty_dir_path(uid, name)))
            elif volume.get("hostPath") is not None:
                mounted[name] = Mount("", self._host_path(name, volume["hostPath"]))
            elif volume.get("persistentVolumeClaim") is not None:
                claim_name = str(volume["persistentVolumeClaim"].get("claimName") or "")
                mounted[name] = Mount("", self._claim(name, ns, claim_name, lookup))
        self.pods[uid] = mounted

    def _host_path(self, name: str, source: Obj) -> Directory:
        path = str(source.get("path") or "").rstrip("/") or "/"
        kind = str(source.get("type") or "")
        existing = self.disk.get(path)
        is_dir = existing is not None or path in NODE_DIRECTORIES
        fits = (
            kind in CREATING_TYPES
            or (kind == "Directory" and is_dir)
            or (kind in _TYPE_TEXT and kind != "Directory" and NODE_FILES.get(path) == kind)
        )
        if not fits:
            what = _TYPE_TEXT.get(kind, "a directory")
            raise VolumeError(name, f"hostPath type check failed: {path} is not {what}", pvc=False)
        return existing if existing is not None else self.disk.make_dir(path)

    def _claim(self, name: str, ns: str, claim_name: str, lookup: Any) -> Directory:
        prefix = f"error processing PVC {ns}/{claim_name}: "
        claim = lookup("persistentvolumeclaims", ns, claim_name)
        if claim is None:
            message = f'failed to fetch PVC from API server: persistentvolumeclaims "{claim_name}" not found'
            raise VolumeError(name, prefix + message)
        volume_name = (claim.get("spec") or {}).get("volumeName")
        if (claim.get("status") or {}).get("phase") != "Bound" or not volume_name:
            raise VolumeError(name, prefix + "PVC is not bound")
        pv = lookup("persistentvolumes", None, volume_name)
        if pv is None:
            message = f"failed to fetch PV {volume_name} from API server: "
            message += f'persistentvolumes "{volume_name}" not found'
            raise VolumeError(name, prefix + message)
        spec = pv.get("spec") or {}
        if spec.get("hostPath") is not None:
            return self._host_path(name, spec["hostPath"])
        if spec.get("local") is not None:
            return self.disk.make_dir(str(spec["local"].get("path") or ""))
        return self.disk.make_dir(f"/var/lib/kubelet/plugins/volumes/{volume_name}")

    def container_files(self, layer: Directory, pod: Obj, container: Obj) -> MountedFiles | Directory:
        """The container's files: `layer` with its mounted data volumes over it."""
        volumes = self.pods.get(pod["metadata"]["uid"]) or {}
        mounts = []
        for vm in container.get("volumeMounts") or ():
            volume = volumes.get(str(vm.get("name", "")))
            if volume is None:
                continue
            sub = str(vm.get("subPath") or "").strip("/")
            mounts.append(
                Mount(str(vm.get("mountPath", "")).rstrip("/"), volume.store, f"{sub}/" if sub else "")
            )
        return MountedFiles(layer, mounts) if mounts else layer

    def pod_gone(self, uid: str) -> None:
        """The pod left the node: its emptyDir directories are removed."""
        self.backoff.pop(uid, None)
        for name in self.pods.pop(uid, {}):
            self.disk.remove_tree(self.empty_dir_path(uid, name))


def data_volumes_mounted(kubelet: Any, key: str, retry: Any) -> bool:
    """The kubelet's wait for the pod's data volumes before its sandbox: True once mounted;
    else a `FailedMount` event and a retry after the pod worker's error backoff."""
    st, pod = kubelet.pods.get(key), kubelet._pod(key)
    if st is None or pod is None:
        return False
    if not any(
        v.get("emptyDir") is not None
        or v.get("hostPath") is not None
        or v.get("persistentVolumeClaim") is not None
        for v in pod["spec"].get("volumes") or ()
    ):
        return True
    try:
        kubelet.volumes.mount_pod(pod, kubelet._config_object)
    except VolumeError as exc:
        kubelet.recorder.event(pod, "Warning", "FailedMount", exc.event)
        uid = pod["metadata"]["uid"]
        if exc.pvc:  # the populator's error fails the pod worker's sync: its error backoff
            delay = kubelet._jitter(SYNC_ERROR_BACKOFF, SYNC_ERROR_JITTER)
        else:  # the reconciler retries SetUp with the operation executor's exponential backoff
            previous = kubelet.volumes.backoff.get(uid, 0.0)
            delay = MOUNT_BACKOFF_INITIAL if not previous else min(previous * 2, MOUNT_BACKOFF_MAX)
            kubelet.volumes.backoff[uid] = delay
        kubelet._later(delay, retry, st.timers)
        return False
    kubelet.volumes.backoff.pop(pod["metadata"]["uid"], None)
    return True
