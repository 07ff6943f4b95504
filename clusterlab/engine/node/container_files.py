"""What a process in a running container sees of its files: the image's own files, the
container's writable layer, and the volumes mounted over them.

A container's root filesystem is its image's layers under a writable layer (overlayfs); the
kubelet's `volumeMounts` become bind mounts over paths in it. A mount hides whatever the
image had under its mount point — an emptyDir mounted at /usr/share/nginx/html leaves nginx's
welcome page unreachable — while a `subPath` mount of one configMap key replaces only that
file. Reads go through the same paths writes do: a file written under a data volume's mount
point lands in the volume (`volumes.py`), so what a sidecar writes into a shared emptyDir, or
another pod on the node into a hostPath directory, is what the next read here returns; a
configMap/secret volume shows its files as the kubelet last wrote them (`config_volumes.py`,
refreshed on the pod's periodic sync).

Simplified: of the image's files only those the simulated servers read are modelled (the web
servers' document roots, `web_servers.py`); a `subPath` into a data volume is a directory;
`projected` and `downwardAPI` volumes hide their mount point but show no files.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .config_volumes import MountedConfig
from .images import repository
from .runtime import normalize
from .web_servers import HTTPD_FILES, NGINX_FILES, NGINX_SLIM_FILES

Obj = dict[str, Any]

#: The files an image ships that the simulation reads, by normalized repository.
IMAGE_FILES: dict[str, dict[str, str]] = {
    "docker.io/library/nginx": NGINX_FILES,
    "registry.k8s.io/nginx-slim": NGINX_SLIM_FILES,
    "docker.io/library/httpd": HTTPD_FILES,
}
_CONFIG_SOURCES = ("configMap", "secret")
_DATA_SOURCES = ("emptyDir", "hostPath", "persistentVolumeClaim")  # volumes.py keeps their files


class ContainerFiles:
    """One container's view of its filesystem, read at the moment of each call."""

    def __init__(
        self,
        image: str,
        spec: Obj | None = None,
        pod: Obj | None = None,
        layer: Mapping[str, str] | None = None,
        config: MountedConfig | None = None,
    ) -> None:
        self.image_files = IMAGE_FILES.get(repository(normalize(image))[0], {})
        self.spec = spec or {}
        self.pod = pod or {}
        self.layer: Mapping[str, str] = layer if layer is not None else {}
        self.config = config  # the node's config volumes as the kubelet wrote them
        volumes = {str(v.get("name", "")): v for v in (self.pod.get("spec") or {}).get("volumes") or ()}
        self.dir_mounts: list[str] = []  # mount points of whole directories
        self.config_dirs: list[str] = []  # those whose files are a config volume's alone
        self.file_mounts: list[str] = []  # a configMap/secret key mounted with subPath
        for vm in self.spec.get("volumeMounts") or ():
            point = str(vm.get("mountPath", "")).rstrip("/") or "/"
            volume = volumes.get(str(vm.get("name", ""))) or {}
            is_config = any(volume.get(k) is not None for k in _CONFIG_SOURCES)
            if is_config and vm.get("subPath"):
                self.file_mounts.append(point)
                continue
            self.dir_mounts.append(point)
            if not any(volume.get(k) is not None for k in _DATA_SOURCES):
                self.config_dirs.append(point)

    @classmethod
    def of(cls, runtime: Any, pod: Obj, spec: Obj | None, container_id: str | None) -> ContainerFiles:
        """The files of the container instance `container_id` of `pod`, as the node's runtime
        keeps them (its writable layer with the data volumes over it, and the config volumes)."""
        spec = spec or {}
        layer = runtime.files.get(container_id or "") if runtime is not None else None
        config = getattr(runtime, "mounted", None)
        return cls(str(spec.get("image", "")), spec, pod, layer, config)

    # -- what is where ---------------------------------------------------------------------------

    def _config_files(self) -> dict[str, bytes]:
        if self.config is None or not self.pod:
            return {}
        return self.config.files_for(self.pod, self.spec)

    @staticmethod
    def _under(path: str, point: str) -> bool:
        return point == "/" or path.startswith(point + "/")

    def _shadowed(self, path: str) -> bool:
        """Whether a mount hides what the image has at `path`."""
        return path in self.file_mounts or any(self._under(path, p) for p in self.dir_mounts)

    def read(self, path: str) -> str | None:
        """The content of the file at `path`, or None when there is no such file."""
        config = self._config_files()
        if path in config:
            return config[path].decode("utf-8", "replace")
        if any(self._under(path, p) for p in self.config_dirs):
            return None
        if path in self.layer:
            return self.layer[path]
        if self._shadowed(path):
            return None
        return self.image_files.get(path)

    def image_visible(self) -> dict[str, str]:
        """The image's own files that no mount hides."""
        return {path: body for path, body in self.image_files.items() if not self._shadowed(path)}

    def _paths(self) -> Iterator[str]:
        """Every visible file path (a trailing `/` marks an empty directory) and mount point."""
        yield from self._config_files()
        for path in self.layer:
            if not any(self._under(path, p) for p in self.config_dirs):
                yield path
        for path in self.image_files:
            if not self._shadowed(path):
                yield path
        for point in self.dir_mounts:
            yield point.rstrip("/") + "/"
        yield from self.file_mounts

    def is_dir(self, path: str) -> bool:
        """Whether `path` is a directory: a mount point, or one that holds something."""
        prefix = path.rstrip("/") + "/"
        return prefix == "/" or any(p.startswith(prefix) for p in self._paths())

    def entries(self, path: str) -> list[str]:
        """The names in directory `path`, a directory's with a trailing `/` (unsorted)."""
        prefix = path.rstrip("/") + "/"
        names: set[str] = set()
        for p in self._paths():
            if not p.startswith(prefix) or p == prefix:
                continue
            head, sep, _rest = p[len(prefix) :].partition("/")
            names.add(head + sep)
        return [n for n in names if n]
