"""The kubelet: the node agent that registers its Node, heartbeats, and runs the pods bound to it.

What the real kubelet does, on the virtual clock:
- **Registration and status.** On start it creates its Node (capacity, allocatable, conditions,
  addresses, nodeInfo) or, after a reboot, reports it Ready again. It recomputes node status every
  10 s (`nodeStatusUpdateFrequency`), posting it on change or after 5 min (`...ReportFrequency`).
  The images it reports (`status.images`, which the scheduler's ImageLocality reads) come from
  the image manager's list of the runtime's images, refreshed every 30 s.
- **Heartbeat.** It renews its Lease in `kube-node-lease` every 10 s (a quarter of the 40 s
  lease duration), from which the node lifecycle controller judges liveness.
- **Pods.** It watches pods with `spec.nodeName` = itself. For a new pod: report it Pending
  (`ContainerCreating`), create the sandbox and get an IP, then per container pull the image
  (events `Pulling`/`Pulled`, or `already present on machine`; a missing image gives
  `ErrImagePull` then `ImagePullBackOff` with 10 s → 300 s backoff), create (`Created
  container: x`) and start (`Started container x`); once every container runs, Running and
  Ready. A pod being deleted has its containers stopped (`Killing`) and is then removed with
  grace period 0. Static pods (the control plane on a control-plane node) run from manifests,
  with mirror pods in the API. A started container's output is kept for `kubectl logs`.
- **Joining.** A new node registers NotReady (`KubeletNotReady`: `container runtime network not
  ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error:
  cni plugin not initialized`) until its CNI plugin is set up a few seconds later; pods bound to
  it meanwhile wait (`NetworkNotReady`). The node reports its kubelet's version in `nodeInfo`.
- **Power.** A powered-off node's kubelet is simply gone: no heartbeats, no status, nothing
  stops its pods in the API. Powered on, it re-registers, finishes deletions that were
  pending, and restarts the rest (restart count +1, last state `Unknown`, exit code 255).

Simplified: no probes, restarts of exited containers, volumes or resource enforcement yet; the
pod IP comes from a per-node CIDR the scenario assigns (node IPAM arrives with networking).
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from typing import Any

from ..apiserver import APIServer
from ..audit import User
from ..clock import Clock, Timer
from ..errors import ApiError
from ..informers import Informer, key_of
from ..jsonutil import copy_json
from ..names import new_uid
from ..recorder import EventRecorder
from ..timefmt import go_duration, micro_time
from .ipam import HostLocalIPAM
from .lease import LEASE_RENEW_INTERVAL, node_lease
from .mirror_pods import config_hash, mirror_pod
from .node_status import (
    NETWORK_NOT_READY,
    NodeConfig,
    capacity,
    node_conditions,
    node_images,
    node_info,
    node_object,
)
from .pod_state import ContainerState, PodState, build_status
from .runtime import (
    CREATE_SECONDS,
    PAUSE_IMAGE,
    SANDBOX_SECONDS,
    START_SECONDS,
    STOP_SECONDS,
    Runtime,
    image_id,
    normalize,
)

Obj = dict[str, Any]

STATUS_UPDATE_FREQUENCY = 10.0
STATUS_REPORT_FREQUENCY = 300.0
IMAGE_LIST_REFRESH = 30.0  # the image manager's ListImages cache, which node status reads
IMAGE_BACKOFF_INITIAL = 10.0
IMAGE_BACKOFF_MAX = 300.0
BOOT_SECONDS = 10.0
# A joining node: until its CNI plugin's DaemonSet pod has started and written the network
# config, the runtime reports NetworkReady=false and the node is NotReady.
CNI_SETUP_SECONDS = 6.0


class Kubelet:
    def __init__(self, server: APIServer, clock: Clock, rng: random.Random, config: NodeConfig) -> None:
        self.server = server
        self.clock = clock
        self.rng = rng
        self.config = config
        self.name = config.name
        self.user = User(f"system:node:{config.name}", f"kubelet/{config.name}")
        self.recorder = EventRecorder(server, self.user, "kubelet", host=config.name)
        self.runtime = Runtime(clock, rng)
        for image in [PAUSE_IMAGE, *config.images]:
            self.runtime.preload(image)
        self.running = False
        self.generation = 0
        self.pods: dict[str, PodState] = {}
        self.informer: Informer | None = None
        self.lease: Obj | None = None
        self.last_status_report = -1e18
        self.last_reported_conditions: list[Obj] | None = None
        self.image_list: list[Obj] = []  # the runtime's images as last listed
        self.reported_images: list[Obj] | None = None
        self.boot_id = ""
        self.ipam = HostLocalIPAM(config.pod_cidr)
        self._timers: list[Timer] = []
        self._survivors: dict[str, PodState] | None = None  # pods left running by a stopped kubelet
        self._awaiting_network: set[str] = set()  # pods whose sandbox waits for the CNI plugin

    # -- timers that die with the process --------------------------------------------------

    def _later(self, delay: float, fn: Callable[[], None], bucket: list[Timer] | None = None) -> Timer:
        gen = self.generation

        def guarded() -> None:
            if self.running and self.generation == gen:
                fn()

        timer = self.clock.call_later(delay, guarded)
        (self._timers if bucket is None else bucket).append(timer)
        return timer

    # -- power ----------------------------------------------------------------------------

    def start(self) -> None:
        """The kubelet process starts: at boot (nothing runs yet; a new boot ID), or after the
        process alone was stopped (`systemctl restart kubelet`), when it adopts the containers
        that kept running meanwhile and redoes whatever was half done."""
        self.generation += 1
        self.running = True
        self._timers = []
        self._awaiting_network = set()
        if self._survivors is None:
            self.boot_id = new_uid(self.rng)
            self.pods = {}
            self.ipam = HostLocalIPAM(self.config.pod_cidr)  # the node's CNI state is gone with it
        else:
            self.pods = {
                key: st
                for key, st in self._survivors.items()
                if st.sandbox_ready
                and not st.terminating
                and all(c.state == "running" for c in st.containers)
            }
            self._survivors = None
        self.image_list = node_images(self.runtime)
        self._register()
        self._renew_lease()
        self._later(STATUS_UPDATE_FREQUENCY, self._status_loop)
        self._later(IMAGE_LIST_REFRESH, self._refresh_image_list)
        self.informer = Informer(self.server, self.user, "pods", field_selector=f"spec.nodeName={self.name}")
        self.informer.add_handler(self._pod_seen, lambda old, new: self._pod_seen(new), self._pod_gone)
        self.informer.start()
        self._ensure_mirror_pods()
        if not self.config.network_ready:
            self._later(CNI_SETUP_SECONDS, self._network_up)

    def _network_up(self) -> None:
        """The CNI plugin's DaemonSet pod has written its config on this node: the runtime's
        network is ready. The kubelet's fast status update (every 100 ms until the node is
        Ready) reports it at once; pods held back for the network get their sandboxes."""
        self.config.network_ready = True
        self._post_status(self.last_reported_conditions)
        for key in sorted(self._awaiting_network):
            self._sandbox_ready(key)
        self._awaiting_network.clear()

    def stop(self, keep_containers: bool = False) -> None:
        """Power off: the process and every container vanish; the API keeps what it had.
        `keep_containers`: only the kubelet process stops; the containers run on unwatched."""
        self.running = False
        self.generation += 1
        for t in self._timers:
            t.cancel()
        self._timers = []
        for st in self.pods.values():
            st.cancel_timers()
        self._survivors = self.pods if keep_containers else None
        self.pods = {}
        if self.informer is not None:
            self.informer.stop()
            self.informer = None
        self.lease = None

    # -- node object ----------------------------------------------------------------------

    def _register(self) -> None:
        try:
            existing = self.server.get(self.user, "nodes", self.name)
        except ApiError as exc:
            if exc.code != 404:
                return
            node = self.server.create(
                self.user, node_object(self.config, self.runtime, self.boot_id, self.server.timestamp())
            )
            self.recorder.event(node, "Normal", "Starting", "Starting kubelet.")
            self.last_reported_conditions = node["status"]["conditions"]
            self.reported_images = node["status"].get("images")
            self.last_status_report = self.clock.now
            return
        self.recorder.event(existing, "Normal", "Starting", "Starting kubelet.")
        old_boot = existing.get("status", {}).get("nodeInfo", {}).get("bootID")
        if old_boot and old_boot != self.boot_id:
            self.recorder.event(
                existing,
                "Warning",
                "Rebooted",
                f"Node {self.name} has been rebooted, boot id: {self.boot_id}",
            )
        self._post_status(existing.get("status", {}).get("conditions"), force=True)

    def _post_status(self, previous: list[Obj] | None, force: bool = False) -> None:
        conditions = node_conditions(previous, self.server.timestamp(), self.config.network_ready)
        changed = [(c["type"], c["status"]) for c in conditions] != [
            (c["type"], c["status"]) for c in self.last_reported_conditions or ()
        ] or self.image_list != self.reported_images
        if not force and not changed and self.clock.now - self.last_status_report < STATUS_REPORT_FREQUENCY:
            return
        cap, alloc = capacity(self.config)
        patch = {
            "status": {
                "conditions": conditions,
                "capacity": cap,
                "allocatable": alloc,
                "nodeInfo": node_info(self.config, self.boot_id),
                "images": self.image_list,
            }
        }
        try:
            node = self.server.patch(self.user, "nodes", self.name, patch, subresource="status")
        except ApiError:
            return
        was_ready = any(c["type"] == "Ready" and c["status"] == "True" for c in previous or ())
        if self.config.network_ready and not was_ready:
            self.recorder.event(node, "Normal", "NodeReady", f"Node {self.name} status is now: NodeReady")
        elif not self.config.network_ready and was_ready:
            message = f"Node {self.name} status is now: NodeNotReady"
            self.recorder.event(node, "Normal", "NodeNotReady", message)
        self.last_reported_conditions = conditions
        self.reported_images = self.image_list
        self.last_status_report = self.clock.now

    def _refresh_image_list(self) -> None:
        """The image manager lists the runtime's images every 30 s; node status reports that
        list, so a pulled image shows in `status.images` within about 40 s."""
        self._later(IMAGE_LIST_REFRESH, self._refresh_image_list)
        self.image_list = node_images(self.runtime)

    def _status_loop(self) -> None:
        self._later(STATUS_UPDATE_FREQUENCY, self._status_loop)
        self._post_status(self.last_reported_conditions)
        self._ensure_mirror_pods()  # retried until the API server takes them

    # -- lease ----------------------------------------------------------------------------

    def _renew_lease(self) -> None:
        self._later(LEASE_RENEW_INTERVAL, self._renew_lease)
        now = micro_time(self.server.epoch, self.clock.now)
        try:
            if self.lease is None:
                try:
                    self.lease = self.server.get(self.user, "leases", self.name, "kube-node-lease")
                except ApiError as exc:
                    if exc.code != 404:
                        raise
                    node = self.server.get(self.user, "nodes", self.name)
                    lease = node_lease(self.name, node["metadata"]["uid"], now)
                    self.lease = self.server.create(self.user, lease)
                    return
            lease = copy_json(self.lease)
            lease["spec"]["renewTime"] = now
            self.lease = self.server.update(self.user, lease)
        except ApiError:
            self.lease = None  # re-read on the next attempt

    # -- pods -----------------------------------------------------------------------------

    def _pod_seen(self, pod: Obj) -> None:
        key = key_of(pod)
        if pod["metadata"].get("deletionTimestamp"):
            self._terminate(pod)
            return
        if key in self.pods or pod.get("status", {}).get("phase") in ("Succeeded", "Failed"):
            return
        self._start_pod(pod)

    def _pod_gone(self, pod: Obj) -> None:
        st = self.pods.pop(key_of(pod), None)
        if st is not None:
            st.cancel_timers()
            self.ipam.release(st.pod_ip)

    def _start_pod(self, pod: Obj) -> None:
        key = key_of(pod)
        previous = {c["name"]: c for c in pod.get("status", {}).get("containerStatuses") or ()}
        containers = []
        for c in pod["spec"]["containers"]:
            cs = ContainerState(c["name"], c["image"])
            prev = previous.get(c["name"])
            if prev is not None and prev.get("containerID"):
                # The pod ran here before a reboot: its containers died with the machine.
                started = (prev.get("state", {}).get("running") or {}).get("startedAt")
                cs.restart_count = int(prev.get("restartCount", 0)) + 1
                cs.last_state = {
                    "terminated": {
                        "exitCode": 255,
                        "reason": "Unknown",
                        "startedAt": started,
                        "finishedAt": self.server.timestamp(),
                        "containerID": prev["containerID"],
                    }
                }
            containers.append(cs)
        st = PodState(
            key,
            pod["metadata"]["uid"],
            containers,
            pod.get("status", {}).get("startTime") or self.server.timestamp(),
        )
        self.pods[key] = st
        if previous and any(p.get("containerID") for p in previous.values()):
            self.recorder.event(
                pod, "Normal", "SandboxChanged", "Pod sandbox changed, it will be killed and re-created."
            )
        self._report(key)
        self._later(SANDBOX_SECONDS, lambda: self._sandbox_ready(key), st.timers)

    def _pod(self, key: str) -> Obj | None:
        return self.informer.get(key) if self.informer is not None else None

    def _sandbox_ready(self, key: str) -> None:
        st = self.pods.get(key)
        if st is None or st.terminating:
            return
        pod = self._pod(key)
        if pod is None:
            return
        if not pod["spec"].get("hostNetwork") and not self.config.network_ready:
            if key not in self._awaiting_network:
                self._awaiting_network.add(key)
                message = f"network is not ready: {NETWORK_NOT_READY}"
                self.recorder.event(pod, "Warning", "NetworkNotReady", message)
            return
        if not pod["spec"].get("hostNetwork"):
            try:
                st.pod_ip = self.ipam.allocate()
            except ApiError as exc:
                self.recorder.event(
                    pod, "Warning", "FailedCreatePodSandBox", f"Failed to create pod sandbox: {exc.message}"
                )
                return
        st.sandbox_ready = True
        self._report(key)
        self._next_container(key, 0)

    def _next_container(self, key: str, index: int) -> None:
        st = self.pods.get(key)
        pod = self._pod(key)
        if st is None or pod is None or st.terminating:
            return
        if index >= len(st.containers):
            self._report(key)
            return
        spec = pod["spec"]["containers"][index]
        cs = st.containers[index]
        image = spec["image"]
        policy = spec.get("imagePullPolicy", "IfNotPresent")
        field_path = f"spec.containers{{{spec['name']}}}"
        present = self.runtime.has_image(image)
        if policy == "Never" and not present:
            cs.reason, cs.message = (
                "ErrImageNeverPull",
                f'Container image "{image}" is not present with pull policy of Never',
            )
            self.recorder.event(pod, "Warning", "ErrImageNeverPull", cs.message, field_path)
            self._report(key)
            return
        if present and policy in ("IfNotPresent", "Never"):
            self.recorder.event(
                pod, "Normal", "Pulled", f'Container image "{image}" already present on machine', field_path
            )
            self._create_container(key, index)
            return
        backoff_until = st.image_backoff.get(image)
        if backoff_until is not None and backoff_until > self.clock.now:
            return
        self.recorder.event(pod, "Normal", "Pulling", f'Pulling image "{image}"', field_path)
        requested = self.clock.now
        result = self.runtime.pull(image)

        def done() -> None:
            p = self._pod(key)
            s = self.pods.get(key)
            if p is None or s is None or s.terminating:
                return
            if result.ok:
                self.runtime.finish_pull(image, result.size)
                s.image_backoff.pop(image, None)
                self.recorder.event(
                    p,
                    "Normal",
                    "Pulled",
                    (
                        f'Successfully pulled image "{image}" in {go_duration(result.pull_seconds)} '
                        f"({go_duration(self.clock.now - requested)} including waiting). "
                        f"Image size: {result.size} bytes."
                    ),
                    field_path,
                )
                self._create_container(key, index)
                return
            self._image_pull_failed(key, index, image, result.error, field_path)

        self._later(result.done_at - self.clock.now, done, st.timers)

    def _image_pull_failed(self, key: str, index: int, image: str, error: str, field_path: str) -> None:
        st, pod = self.pods.get(key), self._pod(key)
        if st is None or pod is None:
            return
        cs = st.containers[index]
        self.recorder.event(pod, "Warning", "Failed", f'Failed to pull image "{image}": {error}', field_path)
        self.recorder.event(pod, "Warning", "Failed", "Error: ErrImagePull", field_path)
        cs.reason, cs.message = "ErrImagePull", error
        self._report(key)
        previous = st.image_backoff.get(f"{image}#delay", 0.0)
        delay = IMAGE_BACKOFF_INITIAL if previous == 0 else min(previous * 2, IMAGE_BACKOFF_MAX)
        st.image_backoff[f"{image}#delay"] = delay
        # at the clock's resolution, so the retry timer does not find itself still backing off
        st.image_backoff[image] = round(self.clock.now + delay, 6)

        def enter_backoff() -> None:
            s, p = self.pods.get(key), self._pod(key)
            if s is None or p is None or s.terminating:
                return
            c = s.containers[index]
            c.reason, c.message = "ImagePullBackOff", f'Back-off pulling image "{image}"'
            self.recorder.event(p, "Normal", "BackOff", f'Back-off pulling image "{image}"', field_path)
            self.recorder.event(p, "Warning", "Failed", "Error: ImagePullBackOff", field_path)
            self._report(key)

        # The next pod sync (about a second later) finds the image in backoff.
        self._later(1.0, enter_backoff, st.timers)
        self._later(delay, lambda: self._next_container(key, index), st.timers)

    def _create_container(self, key: str, index: int) -> None:
        def created() -> None:
            st, pod = self.pods.get(key), self._pod(key)
            if st is None or pod is None or st.terminating:
                return
            cs = st.containers[index]
            cs.container_id = self.runtime.new_container_id()
            cs.image_id = image_id(pod["spec"]["containers"][index]["image"])
            # containerd reports the resolved reference: docker.io/library/nginx:1.27
            cs.image = normalize(pod["spec"]["containers"][index]["image"])
            self.recorder.event(
                pod, "Normal", "Created", f"Created container: {cs.name}", f"spec.containers{{{cs.name}}}"
            )
            self._later(START_SECONDS, lambda: started(), st.timers)

        def started() -> None:
            st, pod = self.pods.get(key), self._pod(key)
            if st is None or pod is None or st.terminating:
                return
            cs = st.containers[index]
            cs.state, cs.reason, cs.message = "running", "", ""
            cs.started_at = self.server.timestamp()
            ip, cpu = st.pod_ip or self.config.internal_ip, self.config.cpu
            self.runtime.start_container(cs.container_id or "", cs.image, self.server.epoch, ip, cpu)
            self.recorder.event(
                pod, "Normal", "Started", f"Started container {cs.name}", f"spec.containers{{{cs.name}}}"
            )
            self._next_container(key, index + 1)

        st = self.pods[key]
        self._later(CREATE_SECONDS, created, st.timers)

    def _terminate(self, pod: Obj) -> None:
        key = key_of(pod)
        st = self.pods.get(key)
        if st is not None and st.terminating:
            return
        if st is None:
            self._finalize(pod)  # nothing of it runs here
            return
        st.terminating = True
        st.cancel_timers()
        running = [c for c in st.containers if c.state == "running"]
        for c in running:
            self.recorder.event(
                pod, "Normal", "Killing", f"Stopping container {c.name}", f"spec.containers{{{c.name}}}"
            )

        def stopped() -> None:
            s = self.pods.get(key)
            if s is None:
                return
            ts = self.server.timestamp()
            for c in s.containers:
                if c.state == "running":
                    c.state, c.reason, c.exit_code, c.finished_at = "terminated", "Completed", 0, ts
                elif c.state == "waiting":
                    c.state, c.reason, c.exit_code, c.finished_at = (
                        "terminated",
                        "ContainerStatusUnknown",
                        137,
                        ts,
                    )
            s.sandbox_ready = False
            self._report(key)
            p = self._pod(key)
            if p is not None:
                self._finalize(p)

        grace = int(pod["metadata"].get("deletionGracePeriodSeconds") or 0)
        self._later(min(STOP_SECONDS, grace) if running else 0.0, stopped, st.timers)

    def _finalize(self, pod: Obj) -> None:
        with contextlib.suppress(ApiError):
            self.server.delete(
                self.user,
                "pods",
                pod["metadata"]["name"],
                pod["metadata"]["namespace"],
                grace_period_seconds=0,
                uid_precondition=pod["metadata"]["uid"],
            )

    def _report(self, key: str) -> None:
        st, pod = self.pods.get(key), self._pod(key)
        if st is None or pod is None:
            return
        status = build_status(
            pod, st, self.config.internal_ip, self.server.timestamp(), bool(pod["spec"].get("hostNetwork"))
        )
        if status == st.last_reported:
            return
        try:
            self.server.patch(
                self.user,
                "pods",
                pod["metadata"]["name"],
                {"status": status},
                namespace=pod["metadata"]["namespace"],
                subresource="status",
                copy=False,
            )
            st.last_reported = status
        except ApiError:
            pass

    # -- static pods ------------------------------------------------------------------------

    def add_static_pod(self, manifest: Obj) -> None:
        """A manifest appears in the static pod folder: run it and publish its mirror pod."""
        name = manifest["metadata"]["name"]
        if any(m["metadata"]["name"] == name for m in self.config.static_pods):
            return
        self.config.static_pods.append(manifest)
        if self.running:
            self._ensure_mirror_pods()
            # A manifest replaced in place: the old mirror pod may still be in the cache now;
            # the kubelet's next pod sync (about a second later) publishes the new one.
            self._later(1.0, self._ensure_mirror_pods)

    def remove_static_pod(self, name: str) -> None:
        """A manifest leaves the static pod folder: kill the pod and delete its mirror pod."""
        self.config.static_pods = [m for m in self.config.static_pods if m["metadata"]["name"] != name]
        if not self.running:
            return
        mirror = self._pod(f"kube-system/{name}-{self.name}")
        if mirror is None:
            return
        st = self.pods.get(key_of(mirror))
        for c in st.containers if st is not None else ():
            if c.state == "running":
                self.recorder.event(
                    mirror,
                    "Normal",
                    "Killing",
                    f"Stopping container {c.name}",
                    f"spec.containers{{{c.name}}}",
                )
        self._finalize(mirror)

    def _ensure_mirror_pods(self) -> None:
        """Publish a mirror pod for each static pod, and delete mirror pods whose manifest is gone."""
        if self.informer is None or not self.informer.synced:
            return
        wanted = {
            f"kube-system/{m['metadata']['name']}-{self.name}": config_hash(m)
            for m in self.config.static_pods
        }
        outdated = False
        for pod in list(self.informer.cache.values()):
            annotations = pod["metadata"].get("annotations") or {}
            mirror = annotations.get("kubernetes.io/config.mirror")
            if mirror is None:
                continue
            if key_of(pod) not in wanted:
                self._finalize(pod)
            elif mirror != wanted[key_of(pod)]:
                # The manifest changed (an upgrade rewrote it): the mirror pod is outdated.
                self._finalize(pod)
                outdated = True
        if outdated:
            self._later(1.0, self._ensure_mirror_pods)
        missing = [
            m
            for m in self.config.static_pods
            if self.informer.get(f"kube-system/{m['metadata']['name']}-{self.name}") is None
        ]  # a mirror pod that survived a reboot is kept
        if not missing:
            return
        try:
            node = self.server.get(self.user, "nodes", self.name)
        except ApiError:
            return
        for manifest in missing:
            pod = mirror_pod(manifest, self.name, node["metadata"]["uid"], self.server.timestamp())
            try:
                self.server.create(self.user, pod)
            except ApiError:
                continue
