"""The words kubectl prints for objects: a pod's STATUS, READY and RESTARTS, a node's STATUS and ROLES.

These follow kube-apiserver's table printers (`pkg/printers/internalversion/printers.go`), which
build the `Table` that `kubectl get` renders, so the UI shows what `kubectl get` would: a pod on
a dead node still reads `Running 1/1` (its kubelet can no longer say otherwise) until it is
evicted and reads `Terminating`; a node whose Ready condition is `Unknown` reads `NotReady`; a
cordoned one `Ready,SchedulingDisabled`. `tables.py` assembles whole Tables from these.

Simplified: sidecar (restartable init) containers are counted like the printer counts them only
for READY/RESTARTS totals; the engine does not run them yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]
NODE_UNREACHABLE_POD_REASON = "NodeLost"
LABEL_NODE_ROLE_PREFIX = "node-role.kubernetes.io/"
NODE_LABEL_ROLE = "kubernetes.io/role"


def _condition_true(pod: Obj, ctype: str) -> bool:
    return any(
        c.get("type") == ctype and c.get("status") == "True"
        for c in pod.get("status", {}).get("conditions") or ()
    )


def _restartable(container: Obj | None) -> bool:
    return bool(container) and (container or {}).get("restartPolicy") == "Always"


@dataclass(frozen=True)
class PodSummary:
    """What `printPod` computes in one pass: READY, STATUS, restart total and last restart time."""

    ready: str
    status: str
    restarts: int
    last_restart: str | None  # RFC 3339 finishedAt of the most recent restart, if any


def _later(a: str | None, b: str | None) -> str | None:
    if not b:
        return a
    return b if a is None or b > a else a


def pod_summary(pod: Obj) -> PodSummary:
    """`printPod`: the pod's READY, STATUS and RESTARTS as kube-apiserver's printer derives them."""
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    phase = status.get("phase") or ""
    reason = status.get("reason") or phase
    for c in status.get("conditions") or ():
        if c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"
    init_specs = {c.get("name"): c for c in spec.get("initContainers") or ()}
    total = len(spec.get("containers") or ()) + sum(1 for c in init_specs.values() if _restartable(c))
    ready = restarts = sidecar_restarts = 0
    last: str | None = None
    sidecar_last: str | None = None
    initializing = False
    for i, c in enumerate(status.get("initContainerStatuses") or ()):
        restarts += int(c.get("restartCount", 0))
        finished = ((c.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
        last = _later(last, finished)
        sidecar = _restartable(init_specs.get(c.get("name")))
        if sidecar:
            sidecar_restarts += int(c.get("restartCount", 0))
            sidecar_last = _later(sidecar_last, finished)
        state = c.get("state") or {}
        term, waiting = state.get("terminated"), state.get("waiting")
        if term and term.get("exitCode") == 0:
            continue
        if sidecar and c.get("started"):
            ready += 1 if c.get("ready") else 0
            continue
        if term:
            if term.get("reason"):
                reason = "Init:" + term["reason"]
            elif term.get("signal"):
                reason = f"Init:Signal:{term['signal']}"
            else:
                reason = f"Init:ExitCode:{term.get('exitCode')}"
        elif waiting and waiting.get("reason") and waiting.get("reason") != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break
    if not initializing or _condition_true(pod, "Initialized"):
        restarts, last = sidecar_restarts, sidecar_last
        has_running = False
        for c in reversed(status.get("containerStatuses") or ()):
            restarts += int(c.get("restartCount", 0))
            last = _later(last, ((c.get("lastState") or {}).get("terminated") or {}).get("finishedAt"))
            state = c.get("state") or {}
            waiting, term = state.get("waiting"), state.get("terminated")
            if waiting and waiting.get("reason"):
                reason = waiting["reason"]
            elif term and term.get("reason"):
                reason = term["reason"]
            elif term:
                reason = (
                    f"Signal:{term['signal']}" if term.get("signal") else f"ExitCode:{term.get('exitCode')}"
                )
            elif c.get("ready") and state.get("running"):
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_true(pod, "Ready") else "NotReady"
    meta = pod.get("metadata") or {}
    if meta.get("deletionTimestamp") and status.get("reason") == NODE_UNREACHABLE_POD_REASON:
        reason = "Unknown"
    elif meta.get("deletionTimestamp") and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"
    return PodSummary(f"{ready}/{total}", reason, restarts, last if restarts else None)


def pod_status(pod: Obj) -> str:
    """kubectl's STATUS column for a pod (`printPod`)."""
    return pod_summary(pod).status


def pod_ready(pod: Obj) -> str:
    """kubectl's READY column: `ready/total` containers."""
    return pod_summary(pod).ready


def pod_restarts(pod: Obj) -> int:
    """The restart total behind kubectl's RESTARTS column (without the `(5m ago)` part)."""
    return pod_summary(pod).restarts


def node_status(node: Obj) -> str:
    """kubectl's STATUS column for a node (`printNode`)."""
    words = []
    for c in node.get("status", {}).get("conditions") or ():
        if c.get("type") == "Ready":
            words.append("Ready" if c.get("status") == "True" else "NotReady")
    if not words:
        words.append("Unknown")
    if node.get("spec", {}).get("unschedulable"):
        words.append("SchedulingDisabled")
    return ",".join(words)


def node_roles(node: Obj) -> str:
    """`findNodeRoles`: `node-role.kubernetes.io/<role>` keys and `kubernetes.io/role` values, sorted."""
    roles = set()
    for k, v in (node["metadata"].get("labels") or {}).items():
        if k.startswith(LABEL_NODE_ROLE_PREFIX) and k[len(LABEL_NODE_ROLE_PREFIX) :]:
            roles.add(k[len(LABEL_NODE_ROLE_PREFIX) :])
        elif k == NODE_LABEL_ROLE and v:
            roles.add(v)
    return ",".join(sorted(roles)) or "<none>"


def node_address(node: Obj, kind: str) -> str:
    """The first address of a type (`InternalIP`, `ExternalIP`), or `<none>`."""
    for a in node.get("status", {}).get("addresses") or ():
        if a.get("type") == kind:
            return str(a.get("address", ""))
    return "<none>"


def deployment_ready(d: Obj) -> str:
    return f"{d.get('status', {}).get('readyReplicas', 0)}/{d.get('spec', {}).get('replicas', 0)}"


def container_cells(containers: list[Obj] | None) -> tuple[str, str]:
    """`layoutContainerCells`: container names and images, comma-joined."""
    containers = containers or []
    return ",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers)
