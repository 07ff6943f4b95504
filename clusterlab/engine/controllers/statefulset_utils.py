"""What the StatefulSet controller's parts ask of a pod or a revision.

As `pkg/controller/statefulset/stateful_set_utils.go`: a pod's parent set and ordinal from its
name (`getParentNameAndOrdinal`), the revision it runs (its `controller-revision-hash`
label), whether it exists yet, is terminating, or is Running and Ready; the pod template a
ControllerRevision holds (`ApplyRevision`).
"""

from __future__ import annotations

import re
from typing import Any

from ..jsonutil import copy_json
from ..statefulsets import REVISION_LABEL
from .base import is_pod_ready

Obj = dict[str, Any]
CONTROLLER_UID = "controller-uid"
MAX_BATCH_SIZE = 500  # stateful_set_control.go's MaxBatchSize for Parallel creation
_ORDINAL = re.compile(r"^(.*)-([0-9]+)$")


def parent_and_ordinal(pod: Obj) -> tuple[str, int]:
    """`getParentNameAndOrdinal`: ("web", 2) for `web-2`; ("", -1) for a name without one."""
    m = _ORDINAL.match(pod["metadata"]["name"])
    if m is None:
        return "", -1
    ordinal = int(m.group(2))
    return m.group(1), ordinal if ordinal < 2**31 else -1


def ordinal_of(pod: Obj) -> int:
    return parent_and_ordinal(pod)[1]


def pod_revision(pod: Obj) -> str:
    return (pod["metadata"].get("labels") or {}).get(REVISION_LABEL, "")


def is_created(pod: Obj) -> bool:
    """A pod the API server holds has a phase; one only planned in this sync has none."""
    return bool((pod.get("status") or {}).get("phase"))


def is_terminating(pod: Obj) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp"))


def is_running_and_ready(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and is_pod_ready(pod)


def template_of(revision: Obj) -> Obj:
    """`ApplyRevision`: the pod template a revision holds (its `$patch: replace` dropped)."""
    template = copy_json(revision["data"]["spec"]["template"])
    template.pop("$patch", None)
    return template
