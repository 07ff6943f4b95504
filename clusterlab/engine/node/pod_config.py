"""The kubelet's part in ConfigMaps and Secrets: mounting config volumes, building env.

Mixed into the Kubelet (which provides `server`, `user`, `rng`, `recorder`, `runtime`,
`config`, `pods`, `_pod`, `_later`, `_report`, `_next_container`). Two hooks:
- `_config_volumes_mounted(key, retry)` before the pod's sandbox is created: the real kubelet
  waits in `WaitForAttachAndMount` for every volume before it creates the sandbox, so a pod
  whose ConfigMap or Secret is missing stays `ContainerCreating` with no IP, with a
  `FailedMount` event at each failed attempt (retried with the mount backoff); once mounted,
  the volumes are rewritten at each pod resync (`config_volumes.py` has the timings).
- `_container_config_ready(key, index)` as a container is created: its environment
  (`container_env.py`); if it cannot be built, the container waits with
  `CreateContainerConfigError`, the kubelet records `Failed: Error: <message>`, and the pod
  worker retries the sync after its error backoff — `wait.Jitter(10 s, 0.5)`, i.e. 10–15 s
  (`backOffPeriod` in kubelet.go, `workerBackOffPeriodJitterFactor` in pod_workers.go) —
  pulling (or finding) the image again each time.

The kubelet reads the objects through the API server as the node (the Node authorizer lets
it read configmaps and secrets); the watch-based object cache it really uses answers with the
current object, as a direct read does here.
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..quantity import int_value
from .config_volumes import (
    MOUNT_BACKOFF_INITIAL,
    MOUNT_BACKOFF_MAX,
    RESYNC_INTERVAL,
    RESYNC_JITTER,
    File,
    MountError,
    volume_files,
)
from .container_env import ContainerConfigError, container_env

Obj = dict[str, Any]

SYNC_ERROR_BACKOFF = 10.0
SYNC_ERROR_JITTER = 0.5


class PodConfig:
    """Kubelet mixin: config volumes and container environments."""

    server: Any
    user: Any
    rng: Any
    recorder: Any
    runtime: Any
    config: Any
    pods: dict[str, Any]

    def _pod(self, key: str) -> Obj | None: ...  # provided by the Kubelet
    def _later(self, delay: float, fn: Any, bucket: Any = None) -> Any: ...
    def _report(self, key: str) -> None: ...
    def _next_container(self, key: str, index: int) -> None: ...

    def _config_object(self, resource: str, namespace: str, name: str) -> Obj | None:
        try:
            return self.server.get(self.user, resource, name, namespace)  # type: ignore[no-any-return]
        except ApiError as exc:
            if exc.code == 404:
                return None
            raise

    def _jitter(self, period: float, factor: float) -> float:
        """`wait.Jitter(period, factor)`: period + rand·factor·period."""
        return round(period + self.rng.random() * factor * period, 3)

    def _render_volumes(self, pod: Obj) -> dict[str, dict[str, File]]:
        namespace = pod["metadata"].get("namespace", "default")
        out: dict[str, dict[str, File]] = {}
        for volume in pod["spec"].get("volumes") or ():
            files = volume_files(volume, namespace, self._config_object)
            if files is not None:
                out[volume.get("name", "")] = files
        return out

    def _config_volumes_mounted(self, key: str, retry: Any) -> bool:
        """Mount the pod's configMap/secret volumes; False (and a retry scheduled) if one fails."""
        st, pod = self.pods.get(key), self._pod(key)
        if st is None or pod is None:
            return False
        if not any("configMap" in v or "secret" in v for v in pod["spec"].get("volumes") or ()):
            return True
        uid = pod["metadata"]["uid"]
        mounted = self.runtime.mounted
        try:
            mounted.volumes[uid] = self._render_volumes(pod)
        except MountError as exc:
            self.recorder.event(pod, "Warning", "FailedMount", exc.event)
            previous = mounted.backoff.get(uid, 0.0)
            delay = MOUNT_BACKOFF_INITIAL if not previous else min(previous * 2, MOUNT_BACKOFF_MAX)
            mounted.backoff[uid] = delay
            self._later(delay, retry, st.timers)
            return False
        mounted.backoff.pop(uid, None)
        timer = mounted.resync.get(uid)
        if timer is None or timer.cancelled:
            self._schedule_resync(key, uid)
        return True

    def _schedule_resync(self, key: str, uid: str) -> None:
        st = self.pods.get(key)
        if st is not None:
            delay = self._jitter(RESYNC_INTERVAL, RESYNC_JITTER)
            self.runtime.mounted.resync[uid] = self._later(
                delay, lambda: self._resync_volumes(key), st.timers
            )

    def _resync_volumes(self, key: str) -> None:
        """The pod worker's periodic sync remounts the config volumes with current contents."""
        st, pod = self.pods.get(key), self._pod(key)
        if st is None or pod is None or st.terminating:
            return
        uid = pod["metadata"]["uid"]
        try:
            self.runtime.mounted.volumes[uid] = self._render_volumes(pod)
        except MountError as exc:  # the files already written stay as they were
            self.recorder.event(pod, "Warning", "FailedMount", exc.event)
        except ApiError:
            pass  # the API server is unreachable: the files stay as they were until the next sync
        self._schedule_resync(key, uid)

    def _container_config_ready(self, key: str, index: int) -> bool:
        """Build container `index`'s environment; False (waiting, retry scheduled) if it cannot."""
        st, pod = self.pods.get(key), self._pod(key)
        if st is None or pod is None:
            return False
        spec = pod["spec"]["containers"][index]
        alloc = {"cpu": self.config.cpu, "memory": str(int_value(self.config.memory))}
        try:
            env = container_env(
                pod,
                spec,
                self._config_object,
                host_ip=self.config.internal_ip,
                pod_ip=st.pod_ip or self.config.internal_ip,
                allocatable=alloc,
            )
        except ContainerConfigError as exc:
            cs = st.containers[index]
            waiting = getattr(self, "_waiting", None)  # keeps an exited instance as lastState
            if waiting is not None:
                waiting(cs, "CreateContainerConfigError", exc.message)
            else:
                cs.state, cs.reason, cs.message = "waiting", "CreateContainerConfigError", exc.message
            field_path = f"spec.containers{{{spec['name']}}}"
            self.recorder.event(pod, "Warning", "Failed", f"Error: {exc.message}", field_path)
            self._report(key)
            delay = self._jitter(SYNC_ERROR_BACKOFF, SYNC_ERROR_JITTER)
            self._later(delay, lambda: self._next_container(key, index), st.timers)
            return False
        self.runtime.mounted.env[f"{pod['metadata']['uid']}/{spec['name']}"] = env
        self.runtime.mounted.bind_sub_paths(pod, spec)  # subPath mounts keep the file as it is now
        return True
