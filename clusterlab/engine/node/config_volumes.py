"""What a pod's `configMap` and `secret` volumes contain, as the kubelet's volume plugins write them.

The real kubelet's configmap and secret plugins (pkg/volume/configmap, pkg/volume/secret) fetch
the object through the kubelet's object manager and write one file per key — or per `items`
entry, at its `path` — into a tmpfs directory with an atomic writer, so a container sees either
the old or the new set of files, never a mix. The file mode is the item's `mode` or the
volume's `defaultMode` (0644). A missing object fails the mount unless the source is
`optional` (then the volume is empty); an `items` key the object lacks fails it too
(`configmap references non-existent config key: k`, `references non-existent secret key: k`)
unless optional. The kubelet reports the failure as a `FailedMount` event:
`MountVolume.SetUp failed for volume "v" : configmap "x" not found`.

Timing, from the kubelet's sources:
- A failed mount is retried with the volume operation executor's exponential backoff
  (pkg/util/goroutinemap/exponentialbackoff: 500 ms initial, doubling, at most 2 min 2 s).
- A mounted volume is refreshed when the pod worker syncs the pod (it marks the pod's volumes
  for remount): every `syncFrequency` (1 min) jittered by up to half (`wait.Jitter(resync,
  0.5)` in pod_workers.go), so with the default Watch change-detection strategy (cache
  propagation ≈ 0) an update reaches the files 60–90 s after it is written. Environment
  variables are never refreshed: they were fixed when the container was created. Nor is a
  `subPath` mount: the runtime bind-mounted the file as it was when the container was
  created, and the atomic writer's later swap of the volume's `..data` link does not reach it
  (the docs: "A container using a ConfigMap as a subPath volume mount will not receive
  ConfigMap updates"); the next container instance binds the current file.

Simplified: no `..data` symlink farm is visible; `projected` and `downwardAPI` volumes are not
materialised.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..clock import Timer

Obj = dict[str, Any]
Lookup = Callable[[str, str, str], Obj | None]

MOUNT_BACKOFF_INITIAL = 0.5
MOUNT_BACKOFF_MAX = 122.0
RESYNC_INTERVAL = 60.0
RESYNC_JITTER = 0.5
DEFAULT_MODE = 0o644


@dataclass(frozen=True)
class File:
    content: bytes
    mode: int


class MountError(Exception):
    def __init__(self, volume: str, message: str) -> None:
        super().__init__(message)
        self.volume = volume
        self.message = message

    @property
    def event(self) -> str:
        return f'MountVolume.SetUp failed for volume "{self.volume}" : {self.message}'


def _payload(resource: str, obj: Obj) -> dict[str, bytes]:
    if resource == "configmaps":
        out = {k: str(v).encode() for k, v in (obj.get("data") or {}).items()}
        out.update({k: base64.b64decode(str(v)) for k, v in (obj.get("binaryData") or {}).items()})
        return out
    return {k: base64.b64decode(str(v)) for k, v in (obj.get("data") or {}).items()}


def volume_files(volume: Obj, namespace: str, lookup: Lookup) -> dict[str, File] | None:
    """The files (path relative to the mount point → File) of a configMap or secret volume;
    None for other volume types. Raises MountError when the volume cannot be set up."""
    for field_name, resource, name_key in (
        ("configMap", "configmaps", "name"),
        ("secret", "secrets", "secretName"),
    ):
        source = volume.get(field_name)
        if source is None:
            continue
        name = str(source.get(name_key) or "")
        optional = bool(source.get("optional"))
        obj = lookup(resource, namespace, name)
        if obj is None:
            if optional:
                return {}
            raise MountError(volume.get("name", ""), f'{resource[:-1]} "{name}" not found')
        payload = _payload(resource, obj)
        default_mode = int(source.get("defaultMode", DEFAULT_MODE))
        items = source.get("items")
        if not items:
            return {k: File(v, default_mode) for k, v in sorted(payload.items())}
        files: dict[str, File] = {}
        for item in items:
            key = item.get("key", "")
            if key not in payload:
                if optional:
                    continue
                what = (
                    "configmap references non-existent config key"
                    if resource == "configmaps"
                    else ("references non-existent secret key")
                )
                raise MountError(volume.get("name", ""), f"{what}: {key}")
            files[str(item.get("path") or key)] = File(payload[key], int(item.get("mode", default_mode)))
        return files
    return None


@dataclass
class MountedConfig:
    """What the node's disk holds for one node's pods: each pod's config volumes as last
    written, and each container's environment as created (kept with the runtime, which is what
    `kubectl exec` reaches)."""

    volumes: dict[str, dict[str, dict[str, File]]] = field(default_factory=dict)  # pod uid → name → files
    env: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # "pod uid/container" → variables
    backoff: dict[str, float] = field(default_factory=dict)  # pod uid → its last mount retry delay
    resync: dict[str, Timer] = field(default_factory=dict)  # pod uid → its next remount
    # "pod uid/container" → a subPath mount's path → the file as bound when the container was created
    sub_paths: dict[str, dict[str, bytes]] = field(default_factory=dict)

    def files_for(self, pod: Obj, container: Obj) -> dict[str, bytes]:
        """Absolute path → content of every config file `container` mounts."""
        mounted = self.volumes.get((pod.get("metadata") or {}).get("uid", ""), {})
        out: dict[str, bytes] = {}
        for mount in container.get("volumeMounts") or ():
            files = mounted.get(mount.get("name", ""))
            if files is None:
                continue
            base = str(mount.get("mountPath", "")).rstrip("/")
            sub = mount.get("subPath")
            if sub:
                uid = (pod.get("metadata") or {}).get("uid", "")
                bound = self.sub_paths.get(f"{uid}/{container.get('name')}") or {}
                if base in bound:
                    out[base] = bound[base]
                elif sub in files:
                    out[base] = files[sub].content
                continue
            for path, f in files.items():
                out[f"{base}/{path}"] = f.content
        return out

    def bind_sub_paths(self, pod: Obj, container: Obj) -> None:
        """`container` is being created: its `subPath` mounts of config volumes bind the files
        as they are now."""
        uid = (pod.get("metadata") or {}).get("uid", "")
        mounted = self.volumes.get(uid, {})
        bound: dict[str, bytes] = {}
        for mount in container.get("volumeMounts") or ():
            files, sub = mounted.get(mount.get("name", "")), mount.get("subPath")
            if files is not None and sub and sub in files:
                bound[str(mount.get("mountPath", "")).rstrip("/")] = files[sub].content
        self.sub_paths[f"{uid}/{container.get('name')}"] = bound

    def directories_for(self, pod: Obj, container: Obj) -> dict[str, list[str]]:
        """Mount point → the names `ls` lists there (top-level entries, sorted)."""
        mounted = self.volumes.get((pod.get("metadata") or {}).get("uid", ""), {})
        out: dict[str, list[str]] = {}
        for mount in container.get("volumeMounts") or ():
            files = mounted.get(mount.get("name", ""))
            if files is None or mount.get("subPath"):
                continue
            out[str(mount.get("mountPath", "")).rstrip("/") or "/"] = sorted({p.split("/")[0] for p in files})
        return out

    def env_of(self, pod: Obj, container: str) -> list[tuple[str, str]] | None:
        return self.env.get(f"{(pod.get('metadata') or {}).get('uid', '')}/{container}")
