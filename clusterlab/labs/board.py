"""The lab board: a cluster turned into plain dicts for the lab page's templates.

Everything here is a pure function of the cluster's objects (and, for the clock, the runner's
state). Values are plain ``dict``/``list``/``str``/``int`` so two boards compare with ``==``,
which is how the runner finds the fragments that changed.

The board stays readable at a few nodes and a few dozen pods, and degrades to counts at
hundreds of nodes and thousands of pods: each node card shows at most ``POD_CHIPS_PER_NODE``
pod chips plus a count per status word, above ``COMPACT_ABOVE_NODES`` nodes the cards show only
the counts, and long lists are capped with a "N more" count.
"""

from __future__ import annotations

import heapq
from collections import Counter
from datetime import datetime
from typing import Any

from clusterlab.engine import Cluster, NotFound
from clusterlab.engine.node.runtime import RELEASES
from clusterlab.engine.printers import node_status, pod_ready, pod_restarts, pod_status
from clusterlab.engine.quantity import format_bytes, format_cpu, int_value, milli_value
from clusterlab.engine.scheduler.framework import Resources, pod_requests
from clusterlab.engine.scheduler.pending import PendingGroup, pending_by_reason
from clusterlab.engine.scheduler.scheduler_config import CONFIG_PATH
from clusterlab.engine.taints import taint_string, tolerates
from clusterlab.engine.timefmt import seconds_since
from clusterlab.labs import autoscaling, ingress_map, service_map, storage_view, workloads
from clusterlab.labs.commands import MAX_REPLICAS
from clusterlab.labs.models import SPEEDS

POD_CHIPS_PER_NODE = 24
#: Above this many nodes, node cards drop their pod chips and show counts per status word.
COMPACT_ABOVE_NODES = 12
MAX_PENDING_SHOWN = 30
MAX_EVENTS = 50

CONTROL_PLANE_TITLES = {
    "kube-apiserver": "API server",
    "etcd": "etcd",
    "kube-scheduler": "Scheduler",
    "kube-controller-manager": "Controller manager",
}
CONTROL_PLANE_ROLE_LABELS = ("node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master")
_TERMINAL_PHASES = ("Succeeded", "Failed")

# ---------------------------------------------------------------------------------------------
# Small helpers


def clock_text(seconds: float) -> str:
    """Virtual seconds as ``HH:MM:SS`` (hours keep counting past 24)."""
    whole = max(0, int(seconds))
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def percent(part: int, whole: int) -> int:
    """Whole-number percentage, 0 when ``whole`` is 0."""
    return part * 100 // whole if whole else 0


def _labels(obj: dict[str, Any]) -> dict[str, str]:
    return obj.get("metadata", {}).get("labels") or {}


def _name(obj: dict[str, Any]) -> str:
    return str(obj.get("metadata", {}).get("name", ""))


def _timestamp_seconds(text: Any, epoch: datetime) -> float | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return seconds_since(epoch, text)
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------
# Pods


def status_class(word: str) -> str:
    """A CSS modifier for a status word (the word itself is always shown too)."""
    if word in ("Running", "Ready", "Completed", "Succeeded", "True"):
        return "ok"
    if word in ("Pending", "ContainerCreating", "PodInitializing", "Terminating", "Unknown") or (
        word.startswith("Init:")
    ):
        return "progress"
    return "bad"


def pod_chip(pod: dict[str, Any]) -> dict[str, Any]:
    """One pod as its chip on a node card (or a row in the pending list)."""
    word = pod_status(pod)
    return {
        "name": _name(pod),
        "namespace": pod.get("metadata", {}).get("namespace", "default"),
        "status": word,
        "tone": status_class(word),
        "ready": pod_ready(pod),
        "restarts": pod_restarts(pod),
    }


def scheduling_message(pod: dict[str, Any]) -> str:
    """The scheduler's message on an unscheduled pod (``0/4 nodes are available: ...``), if any."""
    for condition in pod.get("status", {}).get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("status") == "False":
            return str(condition.get("message") or condition.get("reason") or "")
    return ""


def pending_panel(groups: list[PendingGroup]) -> dict[str, Any]:
    """The "Pending pods" panel: pods that wait for the scheduler, grouped by why (40 pods
    that do not fit say it once), each group with its count; at most ``MAX_PENDING_SHOWN``
    chips in all."""
    room = MAX_PENDING_SHOWN
    rows = []
    for group in groups:
        chips = [pod_chip(pod) for pod in group.pods[:room]]
        room -= len(chips)
        rows.append(
            {
                "reason": group.reason,
                "message": group.message,
                "count": group.count,
                "pods": chips,
                "more": group.count - len(chips),
            }
        )
    total = sum(group.count for group in groups)
    return {"groups": rows, "total": total, "more": max(0, total - MAX_PENDING_SHOWN)}


# ---------------------------------------------------------------------------------------------
# Nodes


def node_condition_word(node: dict[str, Any]) -> str:
    """The Ready condition as one word: ``Ready``, ``NotReady`` or ``Unknown``."""
    for condition in node.get("status", {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return {"True": "Ready", "False": "NotReady"}.get(condition.get("status"), "Unknown")
    return "Unknown"


def node_role(node: dict[str, Any]) -> str:
    """``control-plane`` or ``worker``, from the node-role labels."""
    labels = _labels(node)
    return "control-plane" if any(key in labels for key in CONTROL_PLANE_ROLE_LABELS) else "worker"


def eviction_clock(node: dict[str, Any], pods: list[dict[str, Any]], epoch: datetime) -> dict[str, Any]:
    """The taint-eviction countdown on a tainted node: when its first pod will be evicted.

    Read from the objects as the taint-eviction controller reads them: the NoExecute taint's
    `timeAdded` plus the shortest `tolerationSeconds` of a pod there that tolerates it (a pod
    that does not tolerate it goes at once; one that tolerates it forever never).
    """
    taint = next(
        (t for t in node.get("spec", {}).get("taints") or [] if t.get("effect") == "NoExecute"), None
    )
    if taint is None or not taint.get("timeAdded"):
        return {}
    waits: list[float] = []
    for pod in pods:
        if pod.get("metadata", {}).get("deletionTimestamp"):
            continue
        matching = [t for t in pod.get("spec", {}).get("tolerations") or [] if tolerates(t, taint)]
        if not matching:
            waits.append(0.0)
        seconds = [float(t["tolerationSeconds"]) for t in matching if t.get("tolerationSeconds") is not None]
        if matching and seconds:
            waits.append(min(seconds))
    added = _timestamp_seconds(taint["timeAdded"], epoch)
    if not waits or added is None:
        return {}
    wait = min(waits)
    return {
        "eviction_taint": f"{taint['key']}:NoExecute",
        "tainted_at": clock_text(added),
        "toleration_seconds": int(wait),
        "eviction_at": clock_text(added + wait),
    }


def node_card(
    node: dict[str, Any],
    pods: list[dict[str, Any]],
    powered: bool,
    *,
    compact: bool = False,
    lease: dict[str, Any] | None = None,
    epoch: datetime | None = None,
    kubelet_running: bool = True,
    kube_proxy_running: bool = True,
    kube_proxy_stopped: bool = False,
) -> dict[str, Any]:
    """One node's card: status words, taints, resources, its heartbeat and eviction clock, and its
    pods (only counts when compact)."""
    allocatable = node.get("status", {}).get("allocatable") or node.get("status", {}).get("capacity") or {}
    cpu_total = milli_value(allocatable.get("cpu", 0))
    memory_total = int_value(allocatable.get("memory", 0))
    used = Resources()
    chips = []
    for pod in sorted(pods, key=_name):
        if pod.get("status", {}).get("phase") not in _TERMINAL_PHASES:
            used.add(pod_requests(pod))
        chips.append(pod_chip(pod))
    word = node_status(node)
    condition = node_condition_word(node)
    lease_renewed = ""
    clock: dict[str, Any] = {}
    if epoch is not None:
        # Only a silent node's heartbeat is news (a healthy one renews every 10 s, and showing
        # that would redraw every card every 10 virtual seconds).
        if not powered or not kubelet_running or condition != "Ready":
            renewed = _timestamp_seconds((lease or {}).get("spec", {}).get("renewTime"), epoch)
            lease_renewed = clock_text(renewed) if renewed is not None else ""
        clock = eviction_clock(node, pods, epoch)
    counts = Counter(chip["status"] for chip in chips)
    return {
        "name": _name(node),
        "dom_id": f"node-{_name(node)}",
        "role": node_role(node),
        "status": word,
        "tone": status_class(word.split(",")[0]),
        "condition": condition,
        "powered": powered,
        "kubelet_running": kubelet_running,
        "kube_proxy_running": kube_proxy_running,
        "kube_proxy_stopped": kube_proxy_stopped,  # the learner's stop holds (Start is offered)
        "version": (node.get("status", {}).get("nodeInfo") or {}).get("kubeletVersion", ""),
        "unschedulable": bool(node.get("spec", {}).get("unschedulable")),
        "taints": [taint_string(t) for t in node.get("spec", {}).get("taints") or []],
        "cpu": {
            "requested": format_cpu(used.milli_cpu),
            "allocatable": format_cpu(cpu_total),
            "percent": percent(used.milli_cpu, cpu_total),
        },
        "memory": {
            "requested": format_bytes(used.memory),
            "allocatable": format_bytes(memory_total),
            "percent": percent(used.memory, memory_total),
        },
        "pod_count": len(chips),
        "status_counts": sorted(counts.items()),
        "compact": compact,
        "pods": [] if compact else chips[:POD_CHIPS_PER_NODE],
        "more_pods": len(chips) if compact else max(0, len(chips) - POD_CHIPS_PER_NODE),
        "lease_renewed": lease_renewed,
        **clock,
    }


# ---------------------------------------------------------------------------------------------
# Deployments, events, API calls


def deployment_row(deployment: dict[str, Any]) -> dict[str, Any]:
    """A deployment's kubectl-style counts."""
    spec = deployment.get("spec", {})
    status = deployment.get("status", {})
    name = _name(deployment)
    namespace = deployment.get("metadata", {}).get("namespace", "default")
    desired = int(spec.get("replicas", 1) if spec.get("replicas") is not None else 1)
    ready = int(status.get("readyReplicas") or 0)
    return {
        "name": name,
        "namespace": namespace,
        "dom_id": f"deploy-{namespace}-{name}",
        "desired": desired,
        "current": int(status.get("replicas") or 0),
        "ready": ready,
        "up_to_date": int(status.get("updatedReplicas") or 0),
        "available": int(status.get("availableReplicas") or 0),
        "tone": "ok" if ready >= desired else "progress",
        "max_replicas": MAX_REPLICAS,
    }


def event_row(event: dict[str, Any], epoch: datetime) -> dict[str, Any]:
    """A core/v1 Event as a feed row."""
    involved = event.get("involvedObject") or {}
    when = _timestamp_seconds(
        event.get("lastTimestamp") or event.get("eventTime") or event.get("firstTimestamp"), epoch
    )
    source = event.get("source") or {}
    return {
        "uid": event.get("metadata", {}).get("uid") or _name(event),
        "time": clock_text(when) if when is not None else "",
        "type": event.get("type", "Normal"),
        "reason": event.get("reason", ""),
        "object": f"{str(involved.get('kind', '')).lower()}/{involved.get('name', '')}",
        "message": event.get("message", ""),
        "source": source.get("component") or event.get("reportingComponent") or "",
        "count": int(event.get("count") or 1),
    }


# ---------------------------------------------------------------------------------------------
# The board


def control_plane(cluster: Cluster) -> list[dict[str, Any]]:
    """The control-plane components with a status word each: whether the process runs and, for
    the elected ones, whether it leads or stands by; etcd members say whether etcd has a quorum."""
    rows = []
    for component in cluster.components():
        name = component.get("name", "")
        running = bool(component.get("running"))
        status, tone = ("Running", "ok") if running else ("Stopped", "bad")
        note = ""
        if name == "etcd" and not running:
            note = f"stopped at log index {component.get('index')} ({component.get('behind')} entries behind)"
        if running and "leader" in component:
            if name == "etcd":
                if not component.get("quorum"):
                    status, tone, note = "No quorum", "bad", "a majority of etcd members must run"
                elif component.get("leader"):
                    note = f"Raft leader, term {component.get('term')}, log index {component.get('index')}"
                else:
                    note = f"follower, log index {component.get('index')}"
            elif component.get("leader"):
                note = "leader: holds its Lease in kube-system"
            else:
                status, tone, note = "Standby", "warn", "waits for the leader's Lease to expire"
        rows.append(
            {
                "name": name,
                "title": CONTROL_PLANE_TITLES.get(name, name),
                "node": component.get("node", ""),
                "status": status,
                "tone": tone,
                "note": note,
                "running": running,
                "key": f"component-{name}-{component.get('node', '')}",
            }
        )
    return rows


#: How many of an upgrade's latest console lines the page shows.
UPGRADE_LOG_LINES = 12


def upgrade_panel(cluster: Cluster) -> dict[str, Any]:
    """The cluster's version, the versions it can go to (kubeadm: one minor at a time), and the
    latest upgrade procedure with its newest console lines."""
    current = cluster.version
    major, minor = (int(x) for x in current.lstrip("v").split(".")[:2])
    allowed = ((major, minor), (major, minor + 1))
    targets = [
        v for v in RELEASES if v != current and tuple(int(x) for x in v.lstrip("v").split(".")[:2]) in allowed
    ]
    latest = cluster.procedures[-1] if cluster.procedures else None
    procedure = None
    if latest is not None:
        state = "done" if latest.done else ("failed" if latest.failed else "running")
        procedure = {
            "title": latest.title,
            "state": state,
            "waiting": latest.waiting if state == "running" else "",
            "failed": latest.failed or "",
            "log": [(clock_text(t), line) for t, line in latest.log[-UPGRADE_LOG_LINES:]],
        }
    return {"version": current, "targets": targets, "procedure": procedure}


def scheduler_config_panel(cluster: Cluster) -> dict[str, Any]:
    """kube-scheduler's configuration file as it stands, and the profiles (scheduler names) it
    defines."""
    return {
        "path": CONFIG_PATH,
        "yaml": cluster.scheduler_config_yaml,
        "profiles": cluster.scheduler_configuration.scheduler_names,
    }


def control_plane_alerts(cluster: Cluster) -> list[str]:
    """Why the cluster cannot change right now, in a sentence each."""
    components = cluster.components()
    alerts = []
    apiservers = [c for c in components if c.get("name") == "kube-apiserver"]
    if apiservers and not any(c.get("running") for c in apiservers):
        alerts.append(
            "No kube-apiserver is running: every request is refused (kubectl: connection refused), "
            "so nothing in the cluster can change; kubelets cannot report and leaders lose their Leases."
        )
    members = [c for c in components if c.get("name") == "etcd"]
    if members and not members[0].get("serving"):
        up = sum(1 for c in members if c.get("running"))
        alerts.append(
            f"etcd cannot serve ({up} of {len(members)} members running, a majority and an elected leader "
            "are needed): the API server's reads and writes time out (etcdserver: request timed out)."
        )
    for name in ("kube-scheduler", "kube-controller-manager"):
        copies = [c for c in components if c.get("name") == name]
        if copies and not any(c.get("leader") for c in copies):
            what = "new pods stay Pending" if name == "kube-scheduler" else "nothing heals or reacts"
            alerts.append(f"No {name} leads: {what}.")
    return alerts


def kubelet_running(cluster: Cluster, name: str) -> bool:
    """Whether the node's kubelet process runs (a Node object with no machine behind it: yes)."""
    try:
        return cluster.kubelet_running(name)
    except NotFound:
        return True


def kube_proxy_running(cluster: Cluster, name: str) -> bool:
    """Whether the node's kube-proxy process runs (a Node object with no machine behind it: yes)."""
    try:
        return cluster.kube_proxy_running(name)
    except NotFound:
        return True


def kube_proxy_stopped(cluster: Cluster, name: str) -> bool:
    """Whether the learner's stop of the node's kube-proxy holds (a Node object with no machine
    behind it: no)."""
    try:
        return cluster.kube_proxy_stopped(name)
    except NotFound:
        return False


def node_powered(cluster: Cluster, name: str) -> bool:
    """Whether the node's machine is on (a Node object with no machine behind it counts as on)."""
    try:
        return cluster.node_powered(name)
    except NotFound:
        return True


def _event_order(event: dict[str, Any]) -> tuple[str, int]:
    version = str(event.get("metadata", {}).get("resourceVersion") or "0")
    return (str(event.get("lastTimestamp") or ""), int(version) if version.isdigit() else 0)


def read_objects(cluster: Cluster) -> dict[str, list[dict[str, Any]]]:
    """The objects the board shows, oldest-first events cut to the last ``MAX_EVENTS``.

    Drawing the page is not a request the learner should see in the API-call stream, so this
    uses ``Cluster.observe`` (unaudited, uncopied, read-only) rather than ``Cluster.list``.
    """
    objects = cluster.observe
    return {
        "nodes": sorted(objects("nodes"), key=_name),
        "pods": objects("pods"),
        "deployments": sorted(
            objects("deployments"),
            key=lambda d: (d.get("metadata", {}).get("namespace", ""), _name(d)),
        ),
        "events": sorted(heapq.nlargest(MAX_EVENTS, objects("events"), key=_event_order), key=_event_order),
    }


def cluster_board(cluster: Cluster) -> dict[str, Any]:
    """Everything on the lab page that depends only on the cluster's objects."""
    objects = read_objects(cluster)
    nodes = objects["nodes"]
    pods = objects["pods"]
    by_node: dict[str, list[dict[str, Any]]] = {_name(n): [] for n in nodes}
    for pod in pods:
        node_name = pod.get("spec", {}).get("nodeName")
        if node_name and node_name in by_node:
            by_node[node_name].append(pod)
    pending = pending_panel(pending_by_reason(cluster))

    compact = len(nodes) > COMPACT_ABOVE_NODES
    leases = {_name(lease): lease for lease in cluster.observe("leases", "kube-node-lease")}
    cards = [
        node_card(
            node,
            by_node[_name(node)],
            node_powered(cluster, _name(node)),
            compact=compact,
            lease=leases.get(_name(node)),
            epoch=cluster.epoch,
            kubelet_running=kubelet_running(cluster, _name(node)),
            kube_proxy_running=kube_proxy_running(cluster, _name(node)),
            kube_proxy_stopped=kube_proxy_stopped(cluster, _name(node)),
        )
        for node in nodes
    ]
    deployments = [deployment_row(d) for d in objects["deployments"]]
    autoscaling.mark_autoscaled(deployments, cluster)  # rows an HPA scales open its inspector
    epoch = cluster.epoch
    events = [event_row(e, epoch) for e in objects["events"][-MAX_EVENTS:]]
    events.reverse()
    pod_words = Counter(pod_status(p) for p in pods)
    return {
        "control_plane": control_plane(cluster),
        "control_plane_alerts": control_plane_alerts(cluster),
        "upgrade": upgrade_panel(cluster),
        "scheduler_config": scheduler_config_panel(cluster),
        "snapshots": [
            {"name": snap["name"], "taken": clock_text(snap["time"]), "revision": snap["revision"]}
            for snap in cluster.etcd_snapshots()
        ],
        "nodes": cards,
        "pending": pending,
        "deployments": deployments,
        "workloads": workloads.workload_rows(cluster),  # DaemonSets, StatefulSets, Jobs, CronJobs
        "ingresses": ingress_map.ingresses_panel(cluster),  # Ingresses → Services
        "services": service_map.services_panel(cluster),  # Services → endpoints → pods
        "storage": storage_view.storage_panel(cluster),  # StorageClasses, claims, volumes
        "events": events,
        "summary": {
            "nodes": len(cards),
            "nodes_ready": sum(1 for c in cards if c["condition"] == "Ready"),
            "pods": len(pods),
            "pods_running": pod_words.get("Running", 0),
        },
    }


def clock_board(now: float, *, paused: bool, speed: int, behind: bool = False) -> dict[str, Any]:
    """The top bar's clock and the state of the clock controls (``behind``: the server cannot
    run the cluster as fast as ``speed`` asks just now)."""
    return {
        "time": clock_text(now),
        "seconds": int(now),
        "paused": paused,
        "speed": speed,
        "speeds": list(SPEEDS),
        "behind": behind,
    }
