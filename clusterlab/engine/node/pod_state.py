"""What a kubelet knows about the pods it runs, and how it turns that into `PodStatus`.

The kubelet's status manager reports, for each pod, the phase (the kubelet's `getPhase`), the
standard conditions (PodReadyToStartContainers, Initialized, Ready, ContainersReady,
PodScheduled) and one `initContainerStatuses` / `containerStatuses` entry per container with
its state (waiting with a reason such as `ContainerCreating`, `PodInitializing`,
`ImagePullBackOff` or `CrashLoopBackOff`, running since, terminated with exit code and reason),
the last terminated instance (`lastState`), image, imageID, containerID, readiness and restart
count — exactly the shape `kubectl get pod -o yaml` shows, so kubectl's STATUS and READY
columns come out as on a real cluster (`Init:0/2`, `Error`, `OOMKilled`, `Completed`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..clock import Timer
from .processes import Process

Obj = dict[str, Any]


@dataclass
class ContainerState:
    """One container of a pod as the kubelet tracks it: its current instance's state and the
    last terminated instance (`lastState`), with the process that runs in it."""

    name: str
    image: str
    state: str = "waiting"  # waiting | running | terminated
    reason: str = "ContainerCreating"
    message: str = ""
    started_at: str | None = None
    finished_at: str | None = None
    exit_code: int | None = None
    container_id: str | None = None
    image_id: str | None = None
    restart_count: int = 0
    last_state: Obj = field(default_factory=dict)
    init: bool = False
    sidecar: bool = False  # an init container with restartPolicy: Always
    process: Process | None = field(default=None, repr=False, compare=False)
    finished_clock: float = 0.0  # when the current instance exited (virtual seconds)
    term_seconds: float | None = None  # how its process reacts to SIGTERM (None: ignores it)
    stopping: bool = False  # being killed by the kubelet (no restart when it exits)
    oom_killed: bool = False  # the kernel's OOM killer ended the current instance
    term_code: int = 0  # the exit code its process ends with on SIGTERM
    started_clock: float = 0.0  # when the current instance's process started (virtual seconds)
    # probes (`prober.py`): whether it has a readiness / startup probe, and the container ID
    # whose readiness / startup result is Success
    readiness_probe: bool = False
    startup_probe: bool = False
    ready_cid: str | None = None
    started_cid: str | None = None
    probe_kill: Any = field(default=None, repr=False, compare=False)  # a liveness/startup kill under way

    def is_started(self) -> bool:
        """Running, and past its startup probe if it has one (`Started` in its status)."""
        if self.state != "running":
            return False
        return not self.startup_probe or self.started_cid == self.container_id

    def is_ready(self) -> bool:
        """Started, and its readiness probe's last result is Success if it has one."""
        if not self.is_started():
            return False
        return not self.readiness_probe or self.ready_cid == self.container_id

    def terminated(self) -> Obj:
        """The current instance's `terminated` state."""
        return {
            "exitCode": self.exit_code,
            "reason": self.reason,
            "startedAt": self.started_at,
            "finishedAt": self.finished_at,
            "containerID": self.container_id,
        }

    def status(self) -> Obj:
        if self.state == "running":
            state: Obj = {"running": {"startedAt": self.started_at}}
        elif self.state == "terminated":
            state = {"terminated": self.terminated()}
        else:
            waiting: Obj = {"reason": self.reason}
            if self.message:
                waiting["message"] = self.message
            state = {"waiting": waiting}
        ready = self.is_ready() or (
            self.init and not self.sidecar and self.state == "terminated" and self.exit_code == 0
        )
        out: Obj = {
            "name": self.name,
            "state": state,
            "lastState": self.last_state,
            "ready": ready,
            "restartCount": self.restart_count,
            "image": self.image,
            "imageID": self.image_id or "",
            "started": self.is_started(),
        }
        if self.container_id:
            out["containerID"] = self.container_id
        return out

    def succeeded(self) -> bool:
        return self.state == "terminated" and self.exit_code == 0

    def failed_before(self) -> bool:
        """Exited with an error (now, or last time while it waits to restart)."""
        if self.state == "terminated":
            return self.exit_code != 0
        last = self.last_state.get("terminated")
        return self.state == "waiting" and last is not None and last.get("exitCode") != 0


@dataclass
class PodState:
    key: str
    uid: str
    containers: list[ContainerState]
    start_time: str
    sandbox_ready: bool = False
    pod_ip: str | None = None
    terminating: bool = False
    timers: list[Timer] = field(default_factory=list)
    image_backoff: dict[str, float] = field(default_factory=dict)
    last_reported: Obj | None = None
    init_containers: list[ContainerState] = field(default_factory=list)
    finished: bool = False  # reached Succeeded or Failed: nothing more runs
    kill_deadline: float = 0.0  # a terminating pod: when its grace period ends
    # killed by the kubelet itself (the eviction manager): (reason, message) of its Failed status
    eviction: tuple[str, str] | None = None

    def cancel_timers(self) -> None:
        for t in self.timers:
            t.cancel()
        self.timers.clear()

    def all_containers(self) -> list[ContainerState]:
        return [*self.init_containers, *self.containers]

    def initialized(self) -> bool:
        """Every regular init container has succeeded and every sidecar has started."""
        return all(c.started_at is not None if c.sidecar else c.succeeded() for c in self.init_containers)


def running_container(pods: dict[str, PodState], container_id: str) -> tuple[str, ContainerState] | None:
    """The pod key and state of container `container_id` if it is running in a pod that is not
    terminating: how an add-on process (metrics-server, local-path-provisioner, ingress-nginx)
    knows that the container it runs in is still alive."""
    for key, state in pods.items():
        for c in state.containers:
            if c.container_id == container_id and c.state == "running" and not state.terminating:
                return key, c
    return None


def _condition(
    ctype: str, status: bool, ts: str, previous: dict[str, Obj], reason: str = "", message: str = ""
) -> Obj:
    value = "True" if status else "False"
    prev = previous.get(ctype)
    transition = prev["lastTransitionTime"] if prev and prev.get("status") == value else ts
    c: Obj = {"type": ctype, "status": value, "lastProbeTime": None, "lastTransitionTime": transition}
    if reason:
        c["reason"] = reason
    if message:
        c["message"] = message
    return c


def pod_phase(restart_policy: str, state: PodState) -> str:
    """The kubelet's `getPhase`: Pending until every container has started, Running while one
    runs (or all are stopped but will restart), Succeeded / Failed once all are stopped for
    good; a failed init container with restartPolicy Never fails the pod."""
    pending_init = failed_init = 0
    for c in state.init_containers:
        if c.sidecar:
            pending_init += c.started_at is None
            continue
        if c.state == "running":
            pending_init += 1
        elif c.state == "terminated":
            failed_init += c.exit_code != 0
        elif c.last_state.get("terminated") is not None:
            failed_init += c.last_state["terminated"].get("exitCode") != 0
        else:
            pending_init += 1
    running = waiting = stopped = succeeded = 0
    for c in state.containers:
        if c.state == "running":
            running += 1
        elif c.state == "terminated":
            stopped += 1
            succeeded += c.exit_code == 0
        elif c.last_state.get("terminated") is not None:
            stopped += 1
        else:
            waiting += 1
    started_any = any(c.state != "waiting" or c.restart_count for c in state.containers)
    if failed_init and restart_policy == "Never":
        return "Failed"
    if (pending_init and not started_any) or waiting:
        return "Pending"
    if running:
        return "Running"
    if stopped:
        if restart_policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        if restart_policy == "Never":
            return "Failed"
        return "Running"
    return "Pending"


def build_status(pod: Obj, state: PodState, host_ip: str, now_ts: str, host_network: bool) -> Obj:
    """The status the kubelet reports for `pod` given what its runtime is doing."""
    old = pod.get("status", {})
    previous = {c["type"]: c for c in old.get("conditions") or ()}
    containers = state.containers
    phase = pod_phase(pod["spec"].get("restartPolicy", "Always"), state)
    if state.eviction is not None and state.finished:
        phase = "Failed"  # terminal once its containers have stopped
    sidecars = [c for c in state.init_containers if c.sidecar]
    unready = [c.name for c in [*sidecars, *containers] if not c.is_ready()]
    all_ready = bool(containers) and not unready
    not_ready_msg = f"containers with unready status: [{' '.join(unready)}]"
    if phase == "Succeeded":
        why: tuple[str, str] = ("PodCompleted", "")
    elif phase == "Failed":
        why = ("PodFailed", "")
    elif all_ready:
        why = ("", "")
    else:
        why = ("ContainersNotReady", not_ready_msg)
    incomplete = [
        c.name for c in state.init_containers if not (c.state == "running" if c.sidecar else c.succeeded())
    ]
    init_why = (
        ("ContainersNotInitialized", f"containers with incomplete status: [{' '.join(incomplete)}]")
        if incomplete and not state.initialized()
        else ("", "")
    )
    if phase == "Succeeded" and state.init_containers:
        init_why = ("PodCompleted", "")
    conditions = [
        _condition(
            "PodReadyToStartContainers",
            state.sandbox_ready and not state.terminating and not state.finished,
            now_ts,
            previous,
        ),
        _condition("Initialized", state.initialized(), now_ts, previous, *init_why),
        _condition("Ready", all_ready and phase == "Running", now_ts, previous, *why),
        _condition("ContainersReady", all_ready and phase == "Running", now_ts, previous, *why),
    ]
    for c in old.get("conditions") or ():
        if c["type"] not in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady"):
            conditions.append(c)
    if state.eviction is not None and "DisruptionTarget" not in previous:
        c = _condition("DisruptionTarget", True, now_ts, previous, "TerminationByKubelet", state.eviction[1])
        conditions.append(c)
    status: Obj = {
        "phase": phase,
        **(
            {"reason": state.eviction[0], "message": state.eviction[1]}
            if state.eviction is not None and phase == "Failed"
            else {}
        ),
        "conditions": conditions,
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "startTime": state.start_time,
    }
    if state.init_containers:
        status["initContainerStatuses"] = [c.status() for c in state.init_containers]
    status["containerStatuses"] = [c.status() for c in containers]
    status["qosClass"] = old.get("qosClass", "BestEffort")
    ip = host_ip if host_network else state.pod_ip
    if ip and (state.sandbox_ready or state.finished):
        status["podIP"] = ip
        status["podIPs"] = [{"ip": ip}]
    return status
