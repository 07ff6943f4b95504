"""`syncJob`: one reconciliation of one Job, from its pods to its status.

As `pkg/controller/job/job_controller.go`: count the Job's pods (active, ready, terminating,
newly succeeded and failed, the uncounted ones), start the Job's clock (`startTime`), update
the failure backoff; then decide. More than `backoffLimit` failures (or, with `restartPolicy:
OnFailure`, that many container restarts), or `activeDeadlineSeconds` since `startTime`, fail
the Job: the interim `FailureTarget` condition, and every active pod deleted. Enough successes
(`completions`, or any one when unset) with none active is `SuccessCriteriaMet`. Otherwise,
while the pod expectations are satisfied, `manageJob` (`job_manage.py`). Last, the finished
pods are counted and the status written (`job_tracking.py`).

Simplified: podFailurePolicy, successPolicy and backoffLimitPerIndex are not acted on.
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..timefmt import seconds_since
from .base import is_pod_ready
from .indexed_job import succeeded_indexes
from .job_backoff import new_backoff_record, past_backoff_limit_on_failure
from .job_manage import JobManage
from .job_util import pod_phase, true_condition

Obj = dict[str, Any]

BACKOFF_LIMIT_MESSAGE = "Job has reached the specified backoff limit"
DEADLINE_MESSAGE = "Job was active longer than specified deadline"
COMPLETIONS_MESSAGE = "Reached expected number of succeeded pods"


class JobSync(JobManage):
    """One `syncJob` of one Job."""

    def run(self) -> int:
        ctl, job, spec, status = self.ctl, self.job, self.spec, self.status
        satisfied = ctl.expectations.satisfied(self.key, self.now)
        pods = ctl.pod_informer.by_index("controller-uid", job["metadata"]["uid"])
        active_pods = [
            p
            for p in pods
            if pod_phase(p) not in ("Succeeded", "Failed") and not p["metadata"].get("deletionTimestamp")
        ]
        self.ready = sum(1 for p in active_pods if is_pod_ready(p))
        self.terminating = sum(
            1
            for p in pods
            if p["metadata"].get("deletionTimestamp") and pod_phase(p) not in ("Succeeded", "Failed")
        )
        uncounted = status.setdefault("uncountedTerminatedPods", {})
        self.uncounted_succeeded = set(uncounted.get("succeeded") or ())
        self.uncounted_failed = set(uncounted.get("failed") or ())
        with_finalizer = [p for p in pods if self._tracked(p)]
        new_succeeded = [
            p
            for p in with_finalizer
            if pod_phase(p) == "Succeeded" and p["metadata"]["uid"] not in self.uncounted_succeeded
        ]
        new_failed = [
            p
            for p in with_finalizer
            if self._is_failed(p) and p["metadata"]["uid"] not in self.uncounted_failed
        ]
        self.succeeded = int(status.get("succeeded", 0)) + len(new_succeeded) + len(self.uncounted_succeeded)
        self.failed = int(status.get("failed", 0)) + len(new_failed) + len(self.uncounted_failed)
        self.indexed = spec.get("completionMode") == "Indexed" and spec.get("completions") is not None
        self.done_indexes: set[int] = set()
        if self.indexed:
            self.done_indexes = succeeded_indexes(job, pods, int(spec["completions"]))
            self.succeeded = len(self.done_indexes)
        if not status.get("startTime") and not spec.get("suspend"):
            status["startTime"] = ctl.server.timestamp()
        self.new_backoff = new_backoff_record(
            ctl.backoff.get(self.key), new_succeeded, new_failed, self.epoch
        )

        active = len(active_pods)
        finished: Obj | None = None
        if true_condition(job, "SuccessCriteriaMet") is not None:
            finished = self._new_condition("SuccessCriteriaMet", "CompletionsReached", COMPLETIONS_MESSAGE)
        elif (target := true_condition(job, "FailureTarget")) is not None:
            finished = self._new_condition("Failed", target.get("reason", ""), target.get("message", ""))
        if finished is None:
            limit = int(spec.get("backoffLimit", 6))
            suspended = bool(spec.get("suspend"))
            deadline = spec.get("activeDeadlineSeconds")
            started = seconds_since(self.epoch, status["startTime"]) if status.get("startTime") else None
            if self.failed > limit or past_backoff_limit_on_failure(spec, pods, limit):
                finished = self._new_condition("FailureTarget", "BackoffLimitExceeded", BACKOFF_LIMIT_MESSAGE)
                ctl.explain(
                    job,
                    f"Job {self.name}: {self.failed} failed > backoffLimit {limit} → fail the Job "
                    f"(BackoffLimitExceeded), delete its {active} active pod(s)",
                )
            elif deadline is not None and started is not None and suspended:
                pass  # the deadline clock stops while the Job is suspended
            elif deadline is not None and started is not None and self.now - started >= int(deadline):
                finished = self._new_condition("FailureTarget", "DeadlineExceeded", DEADLINE_MESSAGE)
                ctl.explain(
                    job,
                    f"Job {self.name}: active {self.now - started:g} s ≥ activeDeadlineSeconds {deadline} → "
                    f"fail the Job (DeadlineExceeded), delete its {active} active pod(s)",
                )
            elif deadline is not None and started is not None:
                ctl.queue.add_after(self.key, int(deadline) - (self.now - started))
        error: ApiError | None = None
        if finished is not None and finished["type"] != "SuccessCriteriaMet":
            deleted = 0
            for pod in active_pods:
                if ctl.delete_pod(job, pod):
                    deleted += 1
                    self.ready -= 1 if is_pod_ready(pod) else 0
            if deleted != active or not satisfied:
                finished = None
            active -= deleted
            self.terminating += deleted
        elif finished is None:
            managed = satisfied and not job["metadata"].get("deletionTimestamp")
            if managed:
                active, error = self._manage(active_pods)
            completions = spec.get("completions")
            if completions is None:
                complete = self.succeeded > 0 and active == 0
            else:
                complete = self.succeeded >= int(completions) and active == 0
            if complete:
                finished = self._new_condition(
                    "SuccessCriteriaMet", "CompletionsReached", COMPLETIONS_MESSAGE
                )
                ctl.explain(
                    job,
                    f"Job {self.name}: {self.succeeded} succeeded ≥ completions "
                    f"{completions if completions is not None else '(any one)'} and none active → complete",
                )
            elif managed:
                self._suspend_condition()
        status["active"] = active
        status["ready"] = self.ready
        status["terminating"] = self.terminating
        self._track_and_finish(pods, finished)
        if error is not None:
            raise error
        return len(pods)
