"""What the Job controller and its neighbours ask of a Job and its pods.

As `pkg/controller/job/util/utils.go` (`FinishedCondition`, `IsJobFinished`: a `Complete` or
`Failed` condition that is True), with the tracking finalizer check and a pod's phase the
Job controller's parts share. The CronJob and TTL-after-finished controllers ask the same.
"""

from __future__ import annotations

from typing import Any

from ..batch_api import TRACKING_FINALIZER

Obj = dict[str, Any]


def has_finalizer(pod: Obj) -> bool:
    return TRACKING_FINALIZER in (pod["metadata"].get("finalizers") or ())


def is_finished(job: Obj) -> bool:
    """`IsJobFinished`: a `Complete` or `Failed` condition that is True."""
    return finished_condition(job) is not None


def finished_condition(job: Obj) -> Obj | None:
    for c in (job.get("status") or {}).get("conditions") or ():
        if c.get("type") in ("Complete", "Failed") and c.get("status") == "True":
            return c
    return None


def true_condition(job: Obj, ctype: str) -> Obj | None:
    for c in (job.get("status") or {}).get("conditions") or ():
        if c.get("type") == ctype and c.get("status") == "True":
            return c
    return None


def pod_phase(pod: Obj) -> str:
    return str((pod.get("status") or {}).get("phase") or "")
