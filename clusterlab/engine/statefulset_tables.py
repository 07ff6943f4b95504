"""The StatefulSet and ControllerRevision tables, as kube-apiserver 1.32's
`pkg/printers/internalversion` prints them.

StatefulSet: NAME, READY (`readyReplicas/spec.replicas`), AGE; `-o wide` adds CONTAINERS and
IMAGES. ControllerRevision: NAME, CONTROLLER (`statefulset.apps/web`, or `<none>`), REVISION,
AGE.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .table_columns import Since, column

Obj = dict[str, Any]

READY_DOC = "Number of the pod with ready state"
CONTAINERS_DOC = "Names of each container in the template."
IMAGES_DOC = "Images referenced by each container in the template."
CONTROLLER_DOC = "Controller of the object"
REVISION_DOC = "Revision indicates the revision of the state represented by Data."


def columns(name_col: Obj, age_col: Obj) -> dict[str, list[Obj]]:
    return {
        "StatefulSet": [
            name_col,
            column("Ready", READY_DOC),
            age_col,
            column("Containers", CONTAINERS_DOC, priority=1),
            column("Images", IMAGES_DOC, priority=1),
        ],
        "ControllerRevision": [
            name_col,
            column("Controller", CONTROLLER_DOC),
            column("Revision", REVISION_DOC),
            age_col,
        ],
    }


def _statefulset(sts: Obj, t: Since) -> list[Any]:
    spec, status = sts.get("spec") or {}, sts.get("status") or {}
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    return [
        sts["metadata"]["name"],
        f"{int(status.get('readyReplicas', 0))}/{int(spec.get('replicas', 1))}",
        t.since(sts["metadata"].get("creationTimestamp")),
        ",".join(str(c.get("name", "")) for c in containers),
        ",".join(str(c.get("image", "")) for c in containers),
    ]


def _controller_revision(rev: Obj, t: Since) -> list[Any]:
    owner = "<none>"
    for ref in rev["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            api_version = str(ref.get("apiVersion", ""))
            group = api_version.split("/", 1)[0] if "/" in api_version else ""
            kind = str(ref.get("kind", "")).lower()
            owner = f"{kind}.{group}/{ref.get('name', '')}" if group else f"{kind}/{ref.get('name', '')}"
            break
    return [
        rev["metadata"]["name"],
        owner,
        int(rev.get("revision", 0)),
        t.since(rev["metadata"].get("creationTimestamp")),
    ]


PRINTERS: dict[str, Callable[[Obj, Any], list[Any]]] = {
    "StatefulSet": _statefulset,
    "ControllerRevision": _controller_revision,
}
