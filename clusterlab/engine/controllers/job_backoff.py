"""A Job's pod failure backoff and backoff limit.

As `pkg/controller/job/backoff_utils.go`: the controller remembers, per Job, the failures
since the last success and when the newest one finished (`backoffRecord`, counted from each
pod's `getFinishedTime`); a replacement pod waits `10 s × 2^(failures − 1)`, capped at 10
minutes (`DefaultJobPodFailureBackOff`, `MaxJobPodFailureBackOff`), from that moment. And as
`job_controller.go`'s `pastBackoffLimitOnFailure`: with `restartPolicy: OnFailure` the running
and pending pods' container restarts count against `backoffLimit`.

Simplified: none of note; the records live in the controller's memory, as in
kube-controller-manager.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..timefmt import seconds_since
from .job_util import pod_phase

Obj = dict[str, Any]

DEFAULT_POD_FAILURE_BACKOFF = 10.0  # DefaultJobPodFailureBackOff
MAX_POD_FAILURE_BACKOFF = 600.0  # MaxJobPodFailureBackOff


@dataclass
class BackoffRecord:
    """`backoffRecord`: failures since the last success and when the last one finished."""

    failures: int = 0
    last_failure: float | None = None

    def remaining(self, now: float) -> float:
        """`getRemainingTimeForFailuresCount`."""
        if self.failures == 0 or self.last_failure is None:
            return 0.0
        delay = backoff_delay(self.failures)
        elapsed = now - self.last_failure
        return 0.0 if delay < elapsed else delay - elapsed


def backoff_delay(failures: int) -> float:
    """10 s for the first failure, doubling per further failure, at most 10 minutes."""
    delay = DEFAULT_POD_FAILURE_BACKOFF
    for _ in range(1, failures):
        delay *= 2
        if delay >= MAX_POD_FAILURE_BACKOFF:
            return MAX_POD_FAILURE_BACKOFF
    return delay


def finished_time(pod: Obj, epoch: Any) -> float:
    """`getFinishedTime`: the last container's finish, else when Ready turned False, else the
    deletion time minus the grace period, else the creation time."""
    status = pod.get("status") or {}
    finishes: list[float] = []
    for cs in status.get("containerStatuses") or ():
        at = ((cs.get("state") or {}).get("terminated") or {}).get("finishedAt")
        if not at:
            finishes = []
            break
        finishes.append(seconds_since(epoch, at))
    if finishes:
        return max(finishes)
    for c in status.get("conditions") or ():
        if c.get("type") == "Ready" and c.get("status") == "False" and c.get("lastTransitionTime"):
            return seconds_since(epoch, c["lastTransitionTime"])
    meta = pod["metadata"]
    if meta.get("deletionTimestamp"):
        return seconds_since(epoch, meta["deletionTimestamp"]) - float(
            meta.get("deletionGracePeriodSeconds") or 0
        )
    return seconds_since(epoch, meta["creationTimestamp"])


def new_backoff_record(
    previous: BackoffRecord | None, succeeded: list[Obj], failed: list[Obj], epoch: Any
) -> BackoffRecord:
    """`newBackoffRecord`: failures since the newest success, and the newest failure time."""
    old = previous or BackoffRecord()
    record = BackoffRecord(old.failures, old.last_failure)
    fail_times = sorted(finished_time(p, epoch) for p in failed)
    if not succeeded:
        if fail_times:
            record.failures += len(fail_times)
            record.last_failure = fail_times[-1]
        return record
    last_success = max(finished_time(p, epoch) for p in succeeded)
    after = [t for t in fail_times if t > last_success]
    return BackoffRecord(len(after), after[-1] if after else None)


def past_backoff_limit_on_failure(spec: Obj, pods: list[Obj], limit: int) -> bool:
    """`pastBackoffLimitOnFailure`: with restartPolicy OnFailure, container restarts count."""
    if spec["template"]["spec"].get("restartPolicy") != "OnFailure":
        return False
    restarts = 0
    for p in pods:
        if pod_phase(p) in ("Running", "Pending"):
            st = p.get("status") or {}
            for cs in (st.get("initContainerStatuses") or []) + (st.get("containerStatuses") or []):
                restarts += int(cs.get("restartCount", 0))
    return restarts > 0 if limit == 0 else restarts >= limit
