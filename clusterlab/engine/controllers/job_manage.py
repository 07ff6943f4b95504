"""`manageJob`: create or delete a Job's pods to reach the active count it wants.

As `pkg/controller/job/job_controller.go`: a Job wants `min(parallelism, completions −
succeeded)` active pods (with no `completions`: `parallelism` until one pod succeeds); pods
are created from the template with `generateName: <job>-`, an ownerReference and the tracking
finalizer, in slow-start batches of 1, 2, 4, …, at most 500 per sync, after the failure
backoff (`job_backoff.py`) has passed; surplus pods are deleted, not-ready, unscheduled and
pending ones first (`activePodsForRemoval`). `suspend: true` deletes the active pods and sets
the `Suspended` condition; resuming sets it False and restarts the deadline clock. An Indexed
Job's new pods take the lowest pending completion indexes (`indexed_job.py`).

Simplified: pod creations are not spread over goroutines; a failed create stops the batch
and fails the sync, as Kubernetes' slow start does.
"""

from __future__ import annotations

import contextlib
from typing import Any

from ..errors import ApiError
from .base import is_pod_ready
from .indexed_job import first_pending
from .job_backoff import backoff_delay
from .job_tracking import JobTracking
from .job_util import has_finalizer, pod_phase

Obj = dict[str, Any]

MAX_POD_CREATE_DELETE_PER_SYNC = 500


class JobManage(JobTracking):
    """The pods of one sync: suspend, delete the surplus, or create what is missing."""

    def _suspend_condition(self) -> None:
        """`ensureJobConditionStatus` for `Suspended`: True while `spec.suspend`; False again on
        resume, which restarts the `activeDeadlineSeconds` clock (a new `startTime`)."""
        conditions = self.status.setdefault("conditions", [])
        current = next((c for c in conditions if c.get("type") == "Suspended"), None)
        if self.spec.get("suspend"):
            wanted, reason, message, event = "True", "JobSuspended", "Job suspended", "Suspended"
        else:
            wanted, reason, message, event = "False", "JobResumed", "Job resumed", "Resumed"
        if current is None and wanted == "False":
            return
        if current is not None and current.get("status") == wanted:
            return
        fresh = self._new_condition("Suspended", reason, message)
        fresh["status"] = wanted
        if current is None:
            conditions.append(fresh)
        else:
            current.update(fresh)
        self.ctl.recorder.event(self.job, "Normal", event, message)
        self.ctl.explain(
            self.job, f"Job {self.name}: spec.suspend is {str(wanted == 'True').lower()} → {message.lower()}"
        )
        if wanted == "False":
            self.status["startTime"] = self.ctl.server.timestamp()

    def _manage(self, active_pods: list[Obj]) -> tuple[int, ApiError | None]:
        ctl, job, spec = self.ctl, self.job, self.spec
        active = len(active_pods)
        if spec.get("suspend"):
            for pod in sorted(active_pods, key=_removal_rank):
                self._remove_finalizer_quietly(pod)
                if ctl.delete_pod(job, pod):
                    active -= 1
                    self.terminating += 1
                    self.ready -= 1 if is_pod_ready(pod) else 0
            return active, None
        parallelism = int(spec.get("parallelism", 1))
        completions = spec.get("completions")
        if completions is None:
            want = active if self.succeeded > 0 else parallelism
            rule = "no completions set: parallelism until one succeeds"
        else:
            want = max(0, min(int(completions) - self.succeeded, parallelism))
            rule = f"min(parallelism {parallelism}, completions {completions} − succeeded {self.succeeded})"
        if active > want:
            victims = sorted(active_pods, key=_removal_rank)[
                : min(active - want, MAX_POD_CREATE_DELETE_PER_SYNC)
            ]
            ctl.explain(
                job, f"Job {self.name}: want {want} active ({rule}), {active} active → delete {len(victims)}"
            )
            ctl.expectations.expect(self.key, 0, len(victims), self.now)
            for pod in victims:
                self._remove_finalizer_quietly(pod)
                if ctl.delete_pod(job, pod):
                    active -= 1
                    self.terminating += 1
                    self.ready -= 1 if is_pod_ready(pod) else 0
                else:
                    ctl.expectations.observed(self.key, dels=1)
            return active, None
        terminating = self.terminating if spec.get("podReplacementPolicy") == "Failed" else 0
        diff = want - terminating - active
        if diff <= 0:
            return active, None
        remaining = self.new_backoff.remaining(self.now)
        if remaining > 0:
            ctl.queue.add_after(self.key, remaining)
            if ctl.waiting.get(self.key) == self.new_backoff.failures:
                return active, None  # already explained this wait
            ctl.waiting[self.key] = self.new_backoff.failures
            ctl.explain(
                job,
                f"Job {self.name}: want {want} active ({rule}), {active} active, "
                f"but {self.new_backoff.failures} "
                f"failure(s) since the last success → wait {backoff_delay(self.new_backoff.failures):g} s "
                f"after the last failure ({remaining:g} s left) before creating a pod",
            )
            return active, None
        diff = min(diff, MAX_POD_CREATE_DELETE_PER_SYNC)
        indexes: list[int | None] = [None] * diff
        if self.indexed:
            indexes = list(first_pending(self.done_indexes, active_pods, diff, int(spec["completions"])))
            diff = len(indexes)
            if diff == 0:
                return active, None
        ctl.waiting.pop(self.key, None)
        ctl.explain(
            job,
            f"Job {self.name}: want {want} active ({rule}), {active} active → create {diff}"
            + (" in slow-start batches of 1, 2, 4, …" if diff > 1 else ""),
        )
        ctl.expectations.expect(self.key, diff, 0, self.now)
        created = 0
        batch = 1
        while created < diff:
            for _ in range(min(batch, diff - created)):
                try:
                    ctl.create_pod(job, indexes[created])
                except ApiError as exc:
                    ctl.recorder.event(job, "Warning", "FailedCreate", f"Error creating: {exc.message}")
                    ctl.expectations.observed(self.key, adds=diff - created)
                    return active + created, exc
                created += 1
            batch *= 2
        return active + created, None

    def _remove_finalizer_quietly(self, pod: Obj) -> None:
        if has_finalizer(pod):
            with contextlib.suppress(ApiError):
                self.ctl._remove_finalizer(pod)


def _removal_rank(pod: Obj) -> tuple[int, int, int]:
    """`activePodsForRemoval`'s order: not-ready < ready, unscheduled < scheduled, pending < running."""
    return (
        1 if is_pod_ready(pod) else 0,
        1 if pod["spec"].get("nodeName") else 0,
        {"Pending": 0, "Unknown": 1, "Running": 2}.get(pod_phase(pod), 0),
    )
