"""The DaemonSet table, as kube-apiserver 1.32's `pkg/printers/internalversion` prints it:
NAME, DESIRED, CURRENT, READY, UP-TO-DATE, AVAILABLE (the status' desired / current /
ready / updated / available node counts), NODE SELECTOR (the template's `nodeSelector` as
`labels.FormatLabels` writes it, `<none>` when empty), AGE; `-o wide` adds CONTAINERS, IMAGES
and SELECTOR. Column descriptions are the apps/v1 API documentation strings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .printers import container_cells
from .selectors import format_selector
from .table_columns import Since, column

Obj = dict[str, Any]

DESIRED_DOC = (
    "The total number of nodes that should be running the daemon pod (including nodes correctly running "
    "the daemon pod). More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/"
)
CURRENT_DOC = (
    "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod. "
    "More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/"
)
READY_DOC = (
    "numberReady is the number of nodes that should be running the daemon pod and have one or more of the "
    "daemon pod running with a Ready Condition."
)
UPDATED_DOC = "The total number of nodes that are running updated daemon pod"
AVAILABLE_DOC = (
    "The number of nodes that should be running the daemon pod and have one or more of the daemon pod "
    "running and available (ready for at least spec.minReadySeconds)"
)
NODE_SELECTOR_DOC = (
    "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match "
    "a node's labels for the pod to be scheduled on that node. More info: "
    "https://kubernetes.io/docs/concepts/configuration/assign-pod-node/"
)
SELECTOR_DOC = (
    "A label query over pods that are managed by the daemon set. Must match in order to be controlled. It "
    "must match the pod template's labels. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors"
)


def columns(name_col: Obj, age_col: Obj) -> dict[str, list[Obj]]:
    return {
        "DaemonSet": [
            name_col,
            column("Desired", DESIRED_DOC, "integer"),
            column("Current", CURRENT_DOC, "integer"),
            column("Ready", READY_DOC, "integer"),
            column("Up-to-date", UPDATED_DOC, "integer"),
            column("Available", AVAILABLE_DOC, "integer"),
            column("Node Selector", NODE_SELECTOR_DOC),
            age_col,
            column("Containers", "Names of each container in the template.", priority=1),
            column("Images", "Images referenced by each container in the template.", priority=1),
            column("Selector", SELECTOR_DOC, priority=1),
        ]
    }


def format_labels(labels: dict[str, str] | None) -> str:
    """`labels.FormatLabels`: `k=v` pairs sorted by key, `<none>` when empty."""
    return ",".join(f"{k}={v}" for k, v in sorted((labels or {}).items())) or "<none>"


def _daemonset(ds: Obj, t: Since) -> list[Any]:
    spec, status = ds.get("spec") or {}, ds.get("status") or {}
    pod_spec = (spec.get("template") or {}).get("spec") or {}
    names, images = container_cells(pod_spec.get("containers"))
    return [
        ds["metadata"]["name"],
        int(status.get("desiredNumberScheduled", 0)),
        int(status.get("currentNumberScheduled", 0)),
        int(status.get("numberReady", 0)),
        int(status.get("updatedNumberScheduled", 0)),
        int(status.get("numberAvailable", 0)),
        format_labels(pod_spec.get("nodeSelector")),
        t.since(ds["metadata"].get("creationTimestamp")),
        names,
        images,
        format_selector(spec.get("selector")),
    ]


PRINTERS: dict[str, Callable[[Obj, Any], list[Any]]] = {"DaemonSet": _daemonset}
