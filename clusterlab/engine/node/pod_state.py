"""What a kubelet knows about the pods it runs, and how it turns that into `PodStatus`.

The kubelet's status manager reports, for each pod, the phase, the standard conditions
(PodReadyToStartContainers, Initialized, Ready, ContainersReady, PodScheduled) and one
`containerStatuses` entry per container with its state (waiting with a reason such as
`ContainerCreating` or `ImagePullBackOff`, running since, terminated with exit code), image,
imageID, containerID, readiness and restart count — exactly the shape `kubectl get pod -o
yaml` shows, so kubectl's STATUS and READY columns come out as on a real cluster.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..clock import Timer

Obj = dict[str, Any]


@dataclass
class ContainerState:
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

    def status(self) -> Obj:
        if self.state == "running":
            state: Obj = {"running": {"startedAt": self.started_at}}
        elif self.state == "terminated":
            state = {
                "terminated": {
                    "exitCode": self.exit_code,
                    "reason": self.reason,
                    "startedAt": self.started_at,
                    "finishedAt": self.finished_at,
                    "containerID": self.container_id,
                }
            }
        else:
            waiting: Obj = {"reason": self.reason}
            if self.message:
                waiting["message"] = self.message
            state = {"waiting": waiting}
        out: Obj = {
            "name": self.name,
            "state": state,
            "lastState": self.last_state,
            "ready": self.state == "running",
            "restartCount": self.restart_count,
            "image": self.image,
            "imageID": self.image_id or "",
            "started": self.state == "running",
        }
        if self.container_id:
            out["containerID"] = self.container_id
        return out


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

    def cancel_timers(self) -> None:
        for t in self.timers:
            t.cancel()
        self.timers.clear()


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


def build_status(pod: Obj, state: PodState, host_ip: str, now_ts: str, host_network: bool) -> Obj:
    """The status the kubelet reports for `pod` given what its runtime is doing."""
    old = pod.get("status", {})
    previous = {c["type"]: c for c in old.get("conditions") or ()}
    containers = state.containers
    running = [c for c in containers if c.state == "running"]
    terminated = [c for c in containers if c.state == "terminated"]
    if terminated and len(terminated) == len(containers):
        phase = "Succeeded" if all(c.exit_code == 0 for c in terminated) else "Failed"
    elif running and len(running) == len(containers):
        phase = "Running"
    else:
        phase = "Pending"
    all_ready = bool(containers) and len(running) == len(containers)
    unready = [c.name for c in containers if c.state != "running"]
    not_ready_msg = f"containers with unready status: [{' '.join(unready)}]"
    if all_ready:
        why: tuple[str, str] = ("", "")
    elif phase == "Succeeded":
        why = ("PodCompleted", "")
    else:
        why = ("ContainersNotReady", not_ready_msg)
    conditions = [
        _condition(
            "PodReadyToStartContainers", state.sandbox_ready and not state.terminating, now_ts, previous
        ),
        _condition("Initialized", True, now_ts, previous),
        _condition("Ready", all_ready, now_ts, previous, *why),
        _condition("ContainersReady", all_ready, now_ts, previous, *why),
    ]
    for c in old.get("conditions") or ():
        if c["type"] not in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady"):
            conditions.append(c)
    status: Obj = {
        "phase": phase,
        "conditions": conditions,
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "startTime": state.start_time,
        "containerStatuses": [c.status() for c in containers],
        "qosClass": old.get("qosClass", "BestEffort"),
    }
    ip = host_ip if host_network else state.pod_ip
    if ip and state.sandbox_ready:
        status["podIP"] = ip
        status["podIPs"] = [{"ip": ip}]
    return status
