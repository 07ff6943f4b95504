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
  (`ContainerCreating`, or `PodInitializing` under init containers), create the sandbox and get
  an IP, then run the init containers one by one to completion and start the app containers
  (pull, create, start: `container_lifecycle.py`). Each container runs what its image does
  (`images.py`, `processes.py`): it may serve, exit (Completed / Error), be OOM-killed, and is
  restarted as `restartPolicy` says, with CrashLoopBackOff between restarts; the phase follows
  (Running, Succeeded, Failed). A pod being deleted has its containers stopped gracefully
  (`Killing`, preStop, SIGTERM, SIGKILL at the grace period's end) and is then removed with
  grace period 0. Static pods (the control plane on a control-plane node) run from manifests,
  with mirror pods in the API. A started container's output is kept for `kubectl logs`.
- **Joining.** A new node registers NotReady (`KubeletNotReady`: `container runtime network not
  ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error:
  cni plugin not initialized`) until its CNI plugin is set up a few seconds later; pods bound to
  it meanwhile wait (`NetworkNotReady`). The node reports its kubelet's version in `nodeInfo`.
- **Power.** A powered-off node's kubelet is simply gone: no heartbeats, no status, nothing
  stops its pods in the API. Powered on, it re-registers, finishes deletions that were
  pending, and restarts the rest (restart count +1, last state `Unknown`, exit code 255).

Probes (liveness, readiness, startup) are the prober's (`prober.py`).

Node-pressure eviction, and the admission refusals under pressure, are the eviction manager's
(`eviction_manager.py`).

Simplified: memory limits are enforced on what a
process allocates (not on load-driven growth); the pod IP comes from a per-node CIDR the
scenario assigns (node IPAM arrives with networking).
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
from ..timefmt import micro_time
from .container_lifecycle import ContainerLifecycle
from .crash_backoff import CrashBackoff
from .eviction_manager import EvictionManager
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
from .pod_config import PodConfig
from .pod_state import ContainerState, PodState, build_status
from .prober import Prober, ProbeWorker
from .runtime import (
    PAUSE_IMAGE,
    SANDBOX_SECONDS,
    Runtime,
)
from .volumes import VolumeManager, data_volumes_mounted

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


class Kubelet(ContainerLifecycle, PodConfig, Prober):
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
        self.crash_backoff = CrashBackoff()  # per container, kept across the pods' syncs
        self.eviction = EvictionManager(self)
        self.volumes = VolumeManager()  # the node's disk and the pods' data volumes
        self.probe_workers: dict[str, list[ProbeWorker]] = {}  # pod key → its probe workers
        self.started_clock = 0.0  # when the kubelet process last started
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
        self.started_clock = self.clock.now
        self._timers = []
        self._awaiting_network = set()
        self.probe_workers = {}
        if self._survivors is None:
            self.boot_id = new_uid(self.rng)
            self.pods = {}
            self.ipam = HostLocalIPAM(self.config.pod_cidr)  # the node's CNI state is gone with it
        else:
            self.pods = {}
            for key, st in self._survivors.items():
                # adopted: pods whose containers all ran (running, exited, or waiting to restart)
                if st.sandbox_ready and not st.terminating and all(c.container_id for c in st.containers):
                    self.pods[key] = st
                    continue
                for cs in st.all_containers():  # half done: redone from the start
                    if cs.process is not None:
                        cs.process.stop()
                        cs.process = None
            self._survivors = None
        self.image_list = node_images(self.runtime)
        self._register()
        self._renew_lease()
        self.eviction.start()  # its rounds run just before the status updates of the same instant
        self._later(STATUS_UPDATE_FREQUENCY, self._status_loop)
        self._later(IMAGE_LIST_REFRESH, self._refresh_image_list)
        adopted = sorted(self.pods)
        self.informer = Informer(self.server, self.user, "pods", field_selector=f"spec.nodeName={self.name}")
        self.informer.add_handler(self._pod_seen, lambda old, new: self._pod_seen(new), self._pod_gone)
        self.informer.start()
        self._resync_adopted()
        for key in adopted:  # the adopted pods' probes start over
            pod = self._pod(key)
            if pod is not None and key in self.pods and not self.pods[key].finished:
                self._add_probe_workers(key, pod)
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
        for key in list(self.probe_workers):
            self._remove_probe_workers(key)
        for st in self.pods.values():
            st.cancel_timers()
            for cs in st.all_containers() if not keep_containers else ():
                if cs.process is not None:
                    cs.process.stop()  # the machine is off: every process is gone
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
        memory_pressure = self.eviction.is_under_memory_pressure()
        conditions = node_conditions(
            previous, self.server.timestamp(), self.config.network_ready, memory_pressure
        )
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
        had_pressure = any(c["type"] == "MemoryPressure" and c["status"] == "True" for c in previous or ())
        if memory_pressure != had_pressure and previous is not None:
            event = "NodeHasInsufficientMemory" if memory_pressure else "NodeHasSufficientMemory"
            self.recorder.event(node, "Normal", event, f"Node {self.name} status is now: {event}")
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
        if not self.eviction.admit(pod):  # refused under node pressure: rejected, Failed
            return
        self._start_pod(pod)

    def _pod_gone(self, pod: Obj) -> None:
        st = self.pods.pop(key_of(pod), None)
        self._remove_probe_workers(key_of(pod))
        if st is not None:
            st.cancel_timers()
            for cs in st.all_containers():
                if cs.process is not None:
                    cs.process.stop()  # a force-deleted pod's containers are killed at once
                    cs.process = None
            if not st.finished:  # a finished pod's IP went back when its sandbox was torn down
                self.ipam.release(st.pod_ip)
            self.crash_backoff.forget(f"{st.uid}/")
            self.volumes.pod_gone(st.uid)

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
        init_containers = [
            ContainerState(
                c["name"],
                c["image"],
                reason="PodInitializing",
                init=True,
                sidecar=c.get("restartPolicy") == "Always",
            )
            for c in pod["spec"].get("initContainers") or ()
        ]
        if init_containers:
            for cs in containers:
                cs.reason = "PodInitializing"
        st = PodState(
            key,
            pod["metadata"]["uid"],
            containers,
            pod.get("status", {}).get("startTime") or self.server.timestamp(),
            init_containers=init_containers,
        )
        self.pods[key] = st
        self._add_probe_workers(key, pod)
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
        if pod is None or not self._config_volumes_mounted(key, lambda: self._sandbox_ready(key)):
            return
        if not data_volumes_mounted(self, key, lambda: self._sandbox_ready(key)):
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
        self._start_containers(key)

    def _terminate(self, pod: Obj) -> None:
        """The pod is being deleted: kill its containers gracefully (`_kill_container`: preStop,
        SIGTERM, SIGKILL at the grace period's end), then delete it for good."""
        key = key_of(pod)
        st = self.pods.get(key)
        if st is not None and st.terminating:
            return
        if st is None or st.finished:
            self._finalize(pod)  # nothing of it runs here
            return
        st.terminating = True
        st.cancel_timers()
        ts = self.server.timestamp()
        for c in st.all_containers():
            if c.process is None and c.state == "waiting" and not c.init and not c.container_id:
                c.state, c.reason, c.exit_code, c.finished_at = (
                    "terminated",
                    "ContainerStatusUnknown",
                    137,
                    ts,
                )
        grace = float(pod["metadata"].get("deletionGracePeriodSeconds") or 0)
        st.kill_deadline = self.clock.now + grace
        regular = [(c.init, i) for i, c in enumerate(st.containers) if c.process is not None]
        regular += [
            (True, i) for i, c in enumerate(st.init_containers) if c.process is not None and not c.sidecar
        ]
        for init, index in regular:
            self._kill_container(key, init, index, grace)
        self._termination_progress(key)

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
        self._trigger_readiness(key)
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
