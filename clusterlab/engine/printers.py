"""The words kubectl prints for objects: a pod's STATUS and READY, a node's STATUS and ROLES.

These follow the API server's table printers (`pkg/printers/internalversion`), so the UI
shows what `kubectl get` would: a pod on a dead node still reads `Running 1/1` (its kubelet
can no longer say otherwise) until it is evicted and reads `Terminating`; a node whose Ready
condition is `Unknown` reads `NotReady`; a cordoned one `Ready,SchedulingDisabled`.
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]
NODE_UNREACHABLE_POD_REASON = "NodeLost"


def _condition_true(pod: Obj, ctype: str) -> bool:
    return any(
        c.get("type") == ctype and c.get("status") == "True"
        for c in pod.get("status", {}).get("conditions") or ()
    )


def pod_status(pod: Obj) -> str:
    """kubectl's STATUS column for a pod (`printPod`)."""
    status = pod.get("status") or {}
    reason = status.get("reason") or status.get("phase") or "Pending"
    initializing = False
    for i, c in enumerate(status.get("initContainerStatuses") or ()):
        state = c.get("state") or {}
        term = state.get("terminated")
        if term and term.get("exitCode") == 0:
            continue
        if term:
            reason = "Init:" + (term.get("reason") or f"ExitCode:{term.get('exitCode')}")
        elif (state.get("waiting") or {}).get("reason") not in (None, "", "PodInitializing"):
            reason = "Init:" + state["waiting"]["reason"]
        else:
            total = len(pod.get("spec", {}).get("initContainers") or ())
            reason = f"Init:{i}/{total}"
        initializing = True
        break
    if not initializing or _condition_true(pod, "Initialized"):
        has_running = False
        for c in reversed(status.get("containerStatuses") or ()):
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
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_true(pod, "Ready") else "NotReady"
    meta = pod.get("metadata") or {}
    if meta.get("deletionTimestamp") and status.get("reason") == NODE_UNREACHABLE_POD_REASON:
        return "Unknown"
    if meta.get("deletionTimestamp") and status.get("phase") not in ("Succeeded", "Failed"):
        return "Terminating"
    return reason


def pod_ready(pod: Obj) -> str:
    """kubectl's READY column: `ready/total` containers."""
    total = len(pod.get("spec", {}).get("containers") or ())
    ready = sum(
        1
        for c in pod.get("status", {}).get("containerStatuses") or ()
        if c.get("ready") and (c.get("state") or {}).get("running")
    )
    return f"{ready}/{total}"


def pod_restarts(pod: Obj) -> int:
    return sum(int(c.get("restartCount", 0)) for c in pod.get("status", {}).get("containerStatuses") or ())


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
    roles = sorted(
        k.split("/", 1)[1]
        for k in (node["metadata"].get("labels") or {})
        if k.startswith("node-role.kubernetes.io/") and k.split("/", 1)[1]
    )
    return ",".join(roles) or "<none>"


def deployment_ready(d: Obj) -> str:
    return f"{d.get('status', {}).get('readyReplicas', 0)}/{d.get('spec', {}).get('replicas', 0)}"
