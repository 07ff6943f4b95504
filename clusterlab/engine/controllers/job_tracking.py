"""One sync of one Job, and its accounting of finished pods through the tracking finalizer.

As `pkg/controller/job/job_controller.go` (`syncJobCtx`, `trackJobStatusAndRemoveFinalizers`,
`flushUncountedAndRemoveFinalizers`, `enactJobFinished`): every pod carries the
`batch.kubernetes.io/job-tracking` finalizer; a finished pod's UID is first written to
`status.uncountedTerminatedPods`, then its finalizer is removed, then the UID moves into
`succeeded` / `failed` — so no pod is counted twice or lost. A pod being deleted before it
finished counts as failed unless `podReplacementPolicy` is `Failed`. The interim
`FailureTarget` / `SuccessCriteriaMet` condition is written first; the terminal `Failed` /
`Complete` condition (with `completionTime` and the event) follows once nothing is uncounted
and no pod is terminating (1.32's `delayTerminalCondition`). The status is PUT in Kubernetes'
serialised shape.

Simplified: the counting writes status twice per sync that sees finished pods, as Kubernetes
does, but never needs more than one round (no `MaxUncountedPods` batching);
`finalizerExpectations` is the controller's set of pod UIDs whose finalizer it removed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..jsonutil import copy_json
from .indexed_job import format_intervals
from .job_backoff import BackoffRecord
from .job_util import has_finalizer, pod_phase, true_condition

if TYPE_CHECKING:
    from .job import JobController

Obj = dict[str, Any]


class JobTracking:
    """The state of one `syncJob` of one Job (the `syncJobCtx`), and its status writes."""

    # what `run` (job_sync.py) finds before it manages the pods
    ready: int
    terminating: int
    succeeded: int
    failed: int
    uncounted_succeeded: set[str]
    uncounted_failed: set[str]
    indexed: bool
    done_indexes: set[int]
    new_backoff: BackoffRecord

    def __init__(self, ctl: JobController, key: str, job: Obj) -> None:
        self.ctl = ctl
        self.key = key
        self.job = job
        self.spec = job["spec"]
        self.status: Obj = job.setdefault("status", {})
        self.now = ctl.clock.now
        self.epoch = ctl.server.epoch
        self.name = job["metadata"]["name"]
        self.base = copy_json(job)  # the Job as last read or written, for the next status PUT
        self.expected = ctl.rm_expected.setdefault(key, set())

    def _tracked(self, pod: Obj) -> bool:
        """The pod still carries the tracking finalizer (as far as this controller knows)."""
        return has_finalizer(pod) and pod["metadata"]["uid"] not in self.expected

    # -- pod classification ---------------------------------------------------------------

    def _is_failed(self, pod: Obj) -> bool:
        """`isPodFailed`: Failed, or (unless only failed pods are replaced) deleted unfinished."""
        if pod_phase(pod) == "Failed":
            return True
        if self.spec.get("podReplacementPolicy") == "Failed":
            return False
        return bool(pod["metadata"].get("deletionTimestamp")) and pod_phase(pod) != "Succeeded"

    def _new_condition(self, ctype: str, reason: str, message: str) -> Obj:
        now = self.ctl.server.timestamp()
        return {
            "type": ctype,
            "status": "True",
            "lastProbeTime": now,
            "lastTransitionTime": now,
            "reason": reason,
            "message": message,
        }

    def _track_and_finish(self, pods: list[Obj], finished: Obj | None) -> None:
        """`trackJobStatusAndRemoveFinalizers` + `flushUncountedAndRemoveFinalizers` +
        `enactJobFinished`: record finished pods as uncounted, release their finalizers, count
        them, and add the terminal condition once nothing is uncounted or terminating."""
        ctl, job, status = self.ctl, self.job, self.status
        uncounted = status["uncountedTerminatedPods"]
        succ = list(uncounted.get("succeeded") or ())
        fail = list(uncounted.get("failed") or ())
        failing = finished is not None and finished["type"] in ("FailureTarget", "Failed")
        to_release: list[Obj] = []
        for pod in pods:
            if not self._tracked(pod):
                continue
            uid = pod["metadata"]["uid"]
            considered_failed = self._is_failed(pod)
            releasable = job["metadata"].get("deletionTimestamp") or finished or pod_phase(pod) == "Succeeded"
            if not releasable and not considered_failed:  # `canRemoveFinalizer`
                continue
            to_release.append(pod)
            if pod_phase(pod) == "Succeeded" and uid not in self.uncounted_failed:
                if not self.indexed and uid not in self.uncounted_succeeded:
                    succ.append(uid)
            elif (considered_failed or failing) and uid not in self.uncounted_failed:
                fail.append(uid)
        conditions = status.setdefault("conditions", [])
        final: Obj | None = finished
        if finished is not None and finished["type"] == "FailureTarget":
            conditions.append(finished)
            final = self._new_condition("Failed", finished["reason"], finished["message"])
        elif finished is not None and finished["type"] == "SuccessCriteriaMet":
            if true_condition(job, "SuccessCriteriaMet") is None:
                conditions.append(finished)
            final = self._new_condition("Complete", finished["reason"], finished["message"])
        uncounted["succeeded"], uncounted["failed"] = succ, fail
        if self.indexed:  # the completion index is enough to avoid counting a pod twice
            status["completedIndexes"] = format_intervals(self.done_indexes)
            status["succeeded"] = len(self.done_indexes)
        self._write(status)
        if to_release:
            self.ctl.backoff[self.key] = self.new_backoff
        released = set()
        for pod in to_release:
            self.expected.add(pod["metadata"]["uid"])
            self.ctl._remove_finalizer(pod)
            released.add(pod["metadata"]["uid"])
        still = {p["metadata"]["uid"] for p in pods if self._tracked(p)} - released
        kept_succ = [u for u in succ if u in still]
        kept_fail = [u for u in fail if u in still]
        status["succeeded"] = int(status.get("succeeded", 0)) + len(succ) - len(kept_succ)
        status["failed"] = int(status.get("failed", 0)) + len(fail) - len(kept_fail)
        uncounted["succeeded"], uncounted["failed"] = kept_succ, kept_fail
        done = final is not None and not kept_succ and not kept_fail and self.terminating == 0
        if done and final is not None:
            conditions.append(final)
            if final["type"] == "Complete":
                status["completionTime"] = final["lastTransitionTime"]
        self._write(status)
        if done and final is not None:
            if final["type"] == "Complete":
                ctl.recorder.event(job, "Normal", "Completed", "Job completed")
            else:
                ctl.recorder.event(job, "Warning", final["reason"], final["message"])

    def _write(self, status: Obj) -> None:
        """PUT the status subresource in Kubernetes' serialised shape (zero counters omitted,
        `ready`/`terminating` kept, empty UID lists dropped)."""
        shaped = copy_json(status)
        for name in ("active", "succeeded", "failed"):
            if not shaped.get(name):
                shaped.pop(name, None)
        uncounted = shaped.get("uncountedTerminatedPods") or {}
        shaped["uncountedTerminatedPods"] = {k: v for k, v in uncounted.items() if v}
        if not shaped.get("conditions"):
            shaped.pop("conditions", None)
        if not shaped.get("completedIndexes"):
            shaped.pop("completedIndexes", None)
        if shaped == self.base.get("status"):
            return
        new = copy_json(self.base)
        new["status"] = shaped
        self.base = self.ctl.server.update(self.ctl.user, new, subresource="status")
