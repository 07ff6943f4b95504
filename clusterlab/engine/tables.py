"""`meta.k8s.io/v1` Tables: what kube-apiserver answers when kubectl asks for `as=Table`.

`kubectl get` does not format objects itself. It asks the API server for a `Table`
(`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), and the server's table convertor
(`pkg/printers/storage.TableConvertor` over the handlers in
`pkg/printers/internalversion/printers.go`) returns column definitions and one row of cells per
object. The server always prints the wide form; columns with `priority: 1` are the ones kubectl
shows only with `-o wide`. Each row carries the object — by default as
`PartialObjectMetadata` (`includeObject=Metadata`), which is what kubectl uses for `NAME` and
for `--show-labels`.

Cells are computed relative to the cluster's virtual `now` (AGE uses kubectl's
`HumanDuration`), so a table is a snapshot as a real server would render it at that instant.

Simplified: only the kinds the engine serves have printers; column descriptions are the
Kubernetes API documentation strings, shortened where the real ones run to paragraphs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from . import (
    autoscaling_tables,
    batch_tables,
    config_tables,
    daemonset_tables,
    disruption_tables,
    ingress_tables,
    network_policy_tables,
    policy_tables,
    rbac_tables,
    service_tables,
    statefulset_tables,
    storage_tables,
)
from .errors import BadRequest
from .jsonutil import copy_json
from .kinds import resolve
from .printers import container_cells, node_address, node_roles, node_status, pod_summary
from .selectors import format_selector
from .timefmt import human_duration, seconds_since

Obj = dict[str, Any]

NAME_DOC = (
    "Name must be unique within a namespace. Is required when creating resources, although some "
    "resources may allow a client to request the generation of an appropriate name automatically. "
    "Name is primarily intended for creation idempotence and configuration definition. Cannot be "
    "updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
)
AGE_DOC = (
    "CreationTimestamp is a timestamp representing the server time when this object was created. It "
    "is not guaranteed to be set in happens-before order across separate operations. Clients may not "
    "set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. "
    "Read-only. Null for lists. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)
ADDRESSES_DOC = (
    "List of addresses reachable to the node. Queried from cloud provider, if available. More info: "
    "https://kubernetes.io/docs/concepts/nodes/node/#addresses"
)
CONTAINERS_DOC = "Names of each container in the template."
IMAGES_DOC = "Images referenced by each container in the template."
SELECTOR_DOC = (
    "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones "
    "affected by this deployment."
)
INCLUDE_OBJECT = ("Metadata", "Object", "None")


def _col(name: str, description: str, ctype: str = "string", fmt: str = "", priority: int = 0) -> Obj:
    return {"name": name, "type": ctype, "format": fmt, "description": description, "priority": priority}


def _name_col() -> Obj:
    return _col("Name", NAME_DOC, fmt="name")


COLUMNS: dict[str, list[Obj]] = {
    "Pod": [
        _name_col(),
        _col("Ready", "The aggregate readiness state of this pod for accepting traffic."),
        _col("Status", "The aggregate status of the containers in this pod."),
        _col(
            "Restarts",
            "The number of times the containers in this pod have been restarted and when the last "
            "container in this pod has restarted.",
        ),
        _col("Age", AGE_DOC),
        _col("IP", "podIP address allocated to the pod. Routable at least within the cluster.", priority=1),
        _col("Node", "NodeName indicates in which node this pod is scheduled.", priority=1),
        _col(
            "Nominated Node",
            "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot "
            "be scheduled right away as preemption victims receive their graceful termination periods.",
            priority=1,
        ),
        _col(
            "Readiness Gates",
            "If specified, all readiness gates will be evaluated for pod readiness.",
            priority=1,
        ),
    ],
    "Node": [
        _name_col(),
        _col("Status", "The status of the node"),
        _col("Roles", "The roles of the node"),
        _col("Age", AGE_DOC),
        _col("Version", "Kubelet Version reported by the node."),
        _col("Internal-IP", ADDRESSES_DOC, priority=1),
        _col("External-IP", ADDRESSES_DOC, priority=1),
        _col(
            "OS-Image",
            "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).",
            priority=1,
        ),
        _col(
            "Kernel-Version",
            "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
            priority=1,
        ),
        _col(
            "Container-Runtime",
            "ContainerRuntime Version reported by the node through runtime remote API (e.g. "
            "containerd://1.4.2).",
            priority=1,
        ),
    ],
    "Deployment": [
        _name_col(),
        _col("Ready", "Number of the pod with ready state"),
        _col(
            "Up-to-date",
            "Total number of non-terminating pods targeted by this deployment that have the desired "
            "template spec.",
        ),
        _col(
            "Available",
            "Total number of available non-terminating pods (ready for at least minReadySeconds) "
            "targeted by this deployment.",
        ),
        _col("Age", AGE_DOC),
        _col("Containers", CONTAINERS_DOC, priority=1),
        _col("Images", IMAGES_DOC, priority=1),
        _col("Selector", SELECTOR_DOC, priority=1),
    ],
    "ReplicaSet": [
        _name_col(),
        _col("Desired", "Replicas is the number of desired pods.", "integer"),
        _col("Current", "Replicas is the most recently observed number of non-terminating pods.", "integer"),
        _col(
            "Ready",
            "The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.",
            "integer",
        ),
        _col("Age", AGE_DOC),
        _col("Containers", CONTAINERS_DOC, priority=1),
        _col("Images", IMAGES_DOC, priority=1),
        _col(
            "Selector", "Selector is a label query over pods that should match the replica count.", priority=1
        ),
    ],
    "Namespace": [_name_col(), _col("Status", "The status of the namespace"), _col("Age", AGE_DOC)],
    "Event": [
        _col("Last Seen", "The time at which the most recent occurrence of this event was recorded."),
        _col("Type", "Type of this event (Normal, Warning), new types could be added in the future"),
        _col(
            "Reason",
            "This should be a short, machine understandable string that gives the reason for the "
            "transition into the object's current status.",
        ),
        _col("Object", "The object that this event is about."),
        _col(
            "Subobject",
            "If referring to a piece of an object instead of an entire object, this string should "
            "contain a valid JSON/Go field access statement, such as "
            "desiredState.manifest.containers[2].",
            priority=1,
        ),
        _col(
            "Source",
            "The component reporting this event. Should be a short machine understandable string.",
            priority=1,
        ),
        _col("Message", "A human-readable description of the status of this operation."),
        _col(
            "First Seen",
            "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)",
            priority=1,
        ),
        _col("Count", "The number of times this event has occurred.", priority=1),
        _col("Name", NAME_DOC, fmt="name", priority=1),
    ],
    "Lease": [
        _name_col(),
        _col("Holder", "holderIdentity contains the identity of the holder of a current lease."),
        _col("Age", AGE_DOC),
    ],
}

POD_SUCCEEDED = [
    {
        "type": "Completed",
        "status": "True",
        "reason": "Succeeded",
        "message": "The pod has completed successfully.",
    }
]
POD_FAILED = [{"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}]


class _Clock:
    """`translateTimestampSince` against the virtual clock."""

    def __init__(self, now: float, epoch: datetime) -> None:
        self.now, self.epoch = now, epoch

    def since(self, timestamp: str | None) -> str:
        if not timestamp:
            return "<unknown>"
        return human_duration(self.now - seconds_since(self.epoch, timestamp))


def _pod(pod: Obj, t: _Clock) -> list[Any]:
    s = pod_summary(pod)
    restarts = str(s.restarts)
    if s.restarts and s.last_restart:
        restarts = f"{s.restarts} ({t.since(s.last_restart)} ago)"
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    ips = status.get("podIPs") or []
    gates = spec.get("readinessGates") or []
    gates_cell = "<none>"
    if gates:
        conds = {c.get("type"): c.get("status") for c in status.get("conditions") or ()}
        ok = sum(1 for g in gates if conds.get(g.get("conditionType")) == "True")
        gates_cell = f"{ok}/{len(gates)}"
    return [
        pod["metadata"]["name"],
        s.ready,
        s.status,
        restarts,
        t.since(pod["metadata"].get("creationTimestamp")),
        (ips[0].get("ip") if ips else "") or "<none>",
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        gates_cell,
    ]


def _node(node: Obj, t: _Clock) -> list[Any]:
    info = node.get("status", {}).get("nodeInfo") or {}
    return [
        node["metadata"]["name"],
        node_status(node),
        node_roles(node),
        t.since(node["metadata"].get("creationTimestamp")),
        info.get("kubeletVersion", ""),
        node_address(node, "InternalIP"),
        node_address(node, "ExternalIP"),
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


def _template_cells(obj: Obj) -> list[str]:
    names, images = container_cells(obj.get("spec", {}).get("template", {}).get("spec", {}).get("containers"))
    return [names, images, format_selector(obj.get("spec", {}).get("selector"))]


def _deployment(d: Obj, t: _Clock) -> list[Any]:
    spec, status = d.get("spec") or {}, d.get("status") or {}
    return [
        d["metadata"]["name"],
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 0)}",
        int(status.get("updatedReplicas", 0)),
        int(status.get("availableReplicas", 0)),
        t.since(d["metadata"].get("creationTimestamp")),
        *_template_cells(d),
    ]


def _replicaset(rs: Obj, t: _Clock) -> list[Any]:
    spec, status = rs.get("spec") or {}, rs.get("status") or {}
    return [
        rs["metadata"]["name"],
        int(spec.get("replicas", 0)),
        int(status.get("replicas", 0)),
        int(status.get("readyReplicas", 0)),
        t.since(rs["metadata"].get("creationTimestamp")),
        *_template_cells(rs),
    ]


def _namespace(ns: Obj, t: _Clock) -> list[Any]:
    return [
        ns["metadata"]["name"],
        ns.get("status", {}).get("phase", ""),
        t.since(ns["metadata"].get("creationTimestamp")),
    ]


def _event(ev: Obj, t: _Clock) -> list[Any]:
    """`printEvent`: LAST SEEN falls back to FIRST SEEN, a series wins; OBJECT is `kind/name`."""
    first = t.since(ev.get("firstTimestamp")) if ev.get("firstTimestamp") else t.since(ev.get("eventTime"))
    last = t.since(ev.get("lastTimestamp")) if ev.get("lastTimestamp") else first
    count = ev.get("count") or 0
    series = ev.get("series")
    if series:
        last = t.since(series.get("lastObservedTime"))
        count = series.get("count") or 0
    elif count == 0:
        count = 1
    involved = ev.get("involvedObject") or {}
    kind = str(involved.get("kind", "")).lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    source = ev.get("source") or {}
    component = source.get("component") or ev.get("reportingComponent") or ""
    instance = source.get("host") or ev.get("reportingInstance") or ""
    return [
        last,
        ev.get("type", ""),
        ev.get("reason", ""),
        target,
        involved.get("fieldPath", ""),
        f"{component}, {instance}" if instance else component,
        str(ev.get("message", "")).strip(),
        first,
        int(count),
        ev["metadata"]["name"],
    ]


def _lease(lease: Obj, t: _Clock) -> list[Any]:
    return [
        lease["metadata"]["name"],
        lease.get("spec", {}).get("holderIdentity") or "",
        t.since(lease["metadata"].get("creationTimestamp")),
    ]


PRINTERS: dict[str, Callable[[Obj, _Clock], list[Any]]] = {
    "Pod": _pod,
    "Node": _node,
    "Deployment": _deployment,
    "ReplicaSet": _replicaset,
    "Namespace": _namespace,
    "Event": _event,
    "Lease": _lease,
}
# Each module of printers gives its kinds' columns (built on the shared Name and Age columns)
# and row functions; register one with a line here.
for _printers in (
    service_tables,
    policy_tables,
    rbac_tables,
    disruption_tables,
    ingress_tables,
    network_policy_tables,
    batch_tables,
    config_tables,
    autoscaling_tables,
    statefulset_tables,
    daemonset_tables,
    storage_tables,
):
    COLUMNS.update(_printers.columns(_name_col(), _col("Age", AGE_DOC)))
    PRINTERS.update(_printers.PRINTERS)


DEFAULT_COLUMNS: list[Obj] = [
    {"name": "Name", "type": "string", "format": "name", "description": "Name of the object", "priority": 0},
    {"name": "Age", "type": "string", "format": "", "description": "Time since creation", "priority": 0},
]


def _default_row(obj: Obj, clock: _Clock) -> list[Any]:
    meta = obj.get("metadata") or {}
    return [meta.get("name", ""), clock.since(meta.get("creationTimestamp"))]


def _row_object(obj: Obj, include_object: str) -> Obj | None:
    if include_object == "Object":
        return copy_json(obj)
    if include_object == "None":
        return None
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": copy_json(obj.get("metadata") or {}),
    }


def to_table(
    resource: str,
    objects: list[Obj],
    *,
    now: float,
    epoch: datetime,
    include_object: str = "Metadata",
    resource_version: str | None = None,
    continue_token: str | None = None,
    remaining_item_count: int | None = None,
    no_headers: bool = False,
) -> Obj:
    """The `Table` kube-apiserver returns for `objects` of `resource` at virtual time `now`.

    `include_object`: `Metadata` (kubectl's default: each row carries PartialObjectMetadata),
    `Object` (the whole object) or `None`. `resource_version`, `continue_token` and
    `remaining_item_count` go into the Table's list metadata as the server copies them from the
    list it converted; `no_headers` drops `columnDefinitions` as `?includeObject&noHeaders` would
    (watch events after the first)."""
    kind = resolve(resource)
    if include_object not in INCLUDE_OBJECT:
        raise BadRequest(
            f'includeObject: Unsupported value: "{include_object}": supported values: "None", '
            f'"Metadata", "Object"'
        )
    # Kinds without a printer get kube-apiserver's default table convertor: NAME and AGE.
    printer = PRINTERS.get(kind.kind, _default_row)
    columns = COLUMNS[kind.kind] if kind.kind in PRINTERS else DEFAULT_COLUMNS
    clock = _Clock(now, epoch)
    rows = []
    for obj in objects:
        row: Obj = {"cells": printer(obj, clock), "object": _row_object(obj, include_object)}
        if kind.kind == "Pod":
            phase = obj.get("status", {}).get("phase")
            if phase in ("Succeeded", "Failed"):
                row["conditions"] = copy_json(POD_SUCCEEDED if phase == "Succeeded" else POD_FAILED)
        rows.append(row)
    meta: Obj = {}
    if resource_version is not None:
        meta["resourceVersion"] = resource_version
    if continue_token:
        meta["continue"] = continue_token
    if remaining_item_count is not None:
        meta["remainingItemCount"] = remaining_item_count
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": meta,
        "columnDefinitions": None if no_headers else copy_json(columns),
        "rows": rows,
    }
