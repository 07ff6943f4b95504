"""The Job controller: run pods to completion, retry failures with backoff, finish the Job.

Modelled on Kubernetes 1.32's `pkg/controller/job/job_controller.go`:
- A Job wants `min(parallelism, completions - succeeded)` active pods (with no `completions`:
  `parallelism` until one pod succeeds). Pods are created from the template with
  `generateName: <job>-`, an ownerReference and the `batch.kubernetes.io/job-tracking`
  finalizer, in slow-start batches of 1, 2, 4, …, at most 500 per sync; surplus pods are
  deleted (not-ready, unscheduled and pending ones first).
- Pod events re-sync the Job after `syncJobBatchPeriod` (1 s), so a burst of pod updates is
  one sync.
- Finished pods are counted through `status.uncountedTerminatedPods`: the controller writes
  their UIDs there, removes the tracking finalizer from the pods, then moves the UIDs into
  `succeeded` / `failed`. A pod being deleted before it finished counts as failed
  (`podReplacementPolicy: TerminatingOrFailed`); its replacement is created at once.
- After a failure, a replacement waits `10 s × 2^(failures since the last success − 1)`,
  capped at 10 minutes (`DefaultJobPodFailureBackOff`, `MaxJobPodFailureBackOff`), counted
  from the moment the failed pod finished (`getFinishedTime`).
- More than `backoffLimit` failures (or, with `restartPolicy: OnFailure`, that many container
  restarts), or `activeDeadlineSeconds` since `startTime`, fail the Job: the interim
  `FailureTarget` condition is written, active pods are deleted, and once none is terminating
  the `Failed` condition follows (reason `BackoffLimitExceeded` / `DeadlineExceeded`) with a
  Warning event. Enough successes write `SuccessCriteriaMet`, then `Complete` with
  `completionTime` and a `Completed` event — the 1.32 order, where terminal conditions wait
  for terminating pods (`delayTerminalCondition`).
- Pods left with the finalizer by a deleted or finished Job (orphans) have it removed.

- `completionMode: Indexed` gives each pod a completion index (see `indexed_job.py`).
- `suspend: true` deletes the active pods and sets the `Suspended` condition; resuming sets it
  False and restarts the deadline clock.

Simplified: podFailurePolicy, successPolicy and backoffLimitPerIndex are not acted on; pods
are not adopted by selector; the counting protocol
writes status twice per sync that sees finished pods, as Kubernetes does, but never needs more
than one round (no `MaxUncountedPods` batching).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from ..batch_api import TRACKING_FINALIZER
from ..errors import ApiError
from ..informers import key_of
from ..jsonutil import copy_json
from ..timefmt import seconds_since
from .base import Controller, ControllerContext, controller_of, is_pod_ready, owner_reference, owner_uid_index
from .indexed_job import first_pending, format_intervals, indexed_pod, succeeded_indexes
from .replicaset import Expectations

Obj = dict[str, Any]

SYNC_JOB_BATCH_PERIOD = 1.0  # syncJobBatchPeriod
DEFAULT_POD_FAILURE_BACKOFF = 10.0  # DefaultJobPodFailureBackOff
MAX_POD_FAILURE_BACKOFF = 600.0  # MaxJobPodFailureBackOff
MAX_POD_CREATE_DELETE_PER_SYNC = 500
BACKOFF_LIMIT_MESSAGE = "Job has reached the specified backoff limit"
DEADLINE_MESSAGE = "Job was active longer than specified deadline"
COMPLETIONS_MESSAGE = "Reached expected number of succeeded pods"


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


def _condition(job: Obj, ctype: str) -> Obj | None:
    for c in (job.get("status") or {}).get("conditions") or ():
        if c.get("type") == ctype and c.get("status") == "True":
            return c
    return None


def _phase(pod: Obj) -> str:
    return str((pod.get("status") or {}).get("phase") or "")


class JobController(Controller):
    name = "job-controller"
    workers = 5  # --concurrent-job-syncs

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.expectations = Expectations()
        self.backoff: dict[str, BackoffRecord] = {}
        self.waiting: dict[str, int] = {}  # Job key → the failure count whose backoff was explained
        # `finalizerExpectations`: pods whose tracking finalizer this controller removed, until
        # the watch shows it gone, so a sync on a lagging cache never counts a pod twice
        self.rm_expected: dict[str, set[str]] = {}
        self.job_informer = ctx.informers.get("jobs")
        self.pod_informer = ctx.informers.get("pods")
        self.pod_informer.add_index("controller-uid", owner_uid_index)
        self.job_informer.add_handler(self._enqueue, lambda old, new: self._enqueue(new), self._on_job_delete)
        self.pod_informer.add_handler(self._on_pod_add, self._on_pod_update, self._on_pod_delete)

    # -- handlers -------------------------------------------------------------------------

    def _enqueue(self, job: Obj) -> None:
        self.queue.add(key_of(job))

    def _on_job_delete(self, job: Obj) -> None:
        key = key_of(job)
        self.expectations.forget(key)
        self.backoff.pop(key, None)
        self.rm_expected.pop(key, None)
        self.ctx.decisions.forget("Job", job["metadata"]["name"], job["metadata"].get("namespace") or "")
        # `cleanupPodFinalizers`: the Job's pods keep their finalizer; release them.
        for pod in self.pod_informer.by_index("controller-uid", job["metadata"]["uid"]):
            if has_finalizer(pod):
                self.queue.add(f"orphan|{key_of(pod)}")

    def _job_of(self, pod: Obj) -> Obj | None:
        """`resolveControllerRef`: the Job this pod's controller reference names, if it exists."""
        ref = controller_of(pod)
        if ref is None or ref.get("kind") != "Job":
            return None
        job = self.job_informer.get(f"{pod['metadata']['namespace']}/{ref['name']}")
        if job is None or job["metadata"].get("uid") != ref.get("uid"):
            return None
        return job

    def _pod_changed(self, pod: Obj) -> Obj | None:
        """Enqueue the pod's Job (batched), or the pod itself if it is an orphan with the finalizer."""
        job = self._job_of(pod)
        if job is None or is_finished(job):
            if has_finalizer(pod):
                self.queue.add(f"orphan|{key_of(pod)}")
            return None
        self.queue.add_after(key_of(job), SYNC_JOB_BATCH_PERIOD)
        return job

    def _on_pod_add(self, pod: Obj) -> None:
        job = self._pod_changed(pod)
        if job is not None:
            key = key_of(job)
            if pod["metadata"].get("deletionTimestamp"):
                self.expectations.observed(key, dels=1)
            else:
                self.expectations.observed(key, adds=1)

    def _on_pod_update(self, old: Obj, new: Obj) -> None:
        job = self._pod_changed(new)
        if job is not None and not has_finalizer(new):
            self.rm_expected.get(key_of(job), set()).discard(new["metadata"].get("uid", ""))
        if (
            job is not None
            and new["metadata"].get("deletionTimestamp")
            and not old["metadata"].get("deletionTimestamp")
        ):
            self.expectations.observed(key_of(job), dels=1)

    def _on_pod_delete(self, pod: Obj) -> None:
        job = self._job_of(pod)
        if job is None:
            return
        if not pod["metadata"].get("deletionTimestamp"):
            self.expectations.observed(key_of(job), dels=1)
        self.rm_expected.get(key_of(job), set()).discard(pod["metadata"].get("uid", ""))
        self.queue.add_after(key_of(job), SYNC_JOB_BATCH_PERIOD)

    # -- orphans --------------------------------------------------------------------------

    def _sync_orphan(self, pod_key: str) -> None:
        """`syncOrphanPod`: remove the finalizer unless a live, unfinished Job controls the pod."""
        pod = self.pod_informer.get(pod_key)
        if pod is None or not has_finalizer(pod):
            return
        ref = controller_of(pod)
        if ref is not None:
            if ref.get("kind") != "Job" or ref.get("apiVersion") != "batch/v1":
                return
            job = self._job_of(pod)
            if job is not None and not is_finished(job):
                return
        self._remove_finalizer(pod)

    def _remove_finalizer(self, pod: Obj) -> bool:
        meta = pod["metadata"]
        rest = [f for f in meta.get("finalizers") or () if f != TRACKING_FINALIZER]
        try:
            self.server.patch(
                self.user, "pods", meta["name"], {"metadata": {"finalizers": rest or None}}, meta["namespace"]
            )
        except ApiError as exc:
            if exc.code != 404:
                raise
        return True

    # -- sync -----------------------------------------------------------------------------

    def sync(self, key: str) -> int:
        if key.startswith("orphan|"):
            self._sync_orphan(key.split("|", 1)[1])
            return 1
        job = self.job_informer.get(key)
        if job is None or is_finished(job):
            if job is None:
                self.expectations.forget(key)
            self.backoff.pop(key, None)
            self.rm_expected.pop(key, None)
            return 0
        return _JobSync(self, key, copy_json(job)).run()

    def create_pod(self, job: Obj, index: int | None = None) -> Obj:
        template = job["spec"]["template"]
        tmeta = template.get("metadata") or {}
        meta: Obj = {
            "generateName": f"{job['metadata']['name']}-",
            "namespace": job["metadata"]["namespace"],
            "labels": copy_json(tmeta.get("labels") or {}),
            "finalizers": [*(tmeta.get("finalizers") or ()), TRACKING_FINALIZER],
            "ownerReferences": [owner_reference(job)],
        }
        if tmeta.get("annotations"):
            meta["annotations"] = copy_json(tmeta["annotations"])
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": copy_json(template["spec"])}
        if index is not None:
            indexed_pod(pod, job["metadata"]["name"], index)
        created = self.server.create(self.user, pod)
        self.recorder.event(job, "Normal", "SuccessfulCreate", f"Created pod: {created['metadata']['name']}")
        return created

    def delete_pod(self, job: Obj, pod: Obj) -> bool:
        meta = pod["metadata"]
        try:
            self.server.delete(self.user, "pods", meta["name"], meta["namespace"])
        except ApiError as exc:
            if exc.code == 404:
                return True
            self.recorder.event(job, "Warning", "FailedDelete", f"Error deleting: {exc.message}")
            return False
        self.recorder.event(job, "Normal", "SuccessfulDelete", f"Deleted pod: {meta['name']}")
        return True


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


class _JobSync:
    """One `syncJob` of one Job (the `syncJobCtx`)."""

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
        if _phase(pod) == "Failed":
            return True
        if self.spec.get("podReplacementPolicy") == "Failed":
            return False
        return bool(pod["metadata"].get("deletionTimestamp")) and _phase(pod) != "Succeeded"

    def run(self) -> int:
        ctl, job, spec, status = self.ctl, self.job, self.spec, self.status
        satisfied = ctl.expectations.satisfied(self.key, self.now)
        pods = ctl.pod_informer.by_index("controller-uid", job["metadata"]["uid"])
        active_pods = [
            p
            for p in pods
            if _phase(p) not in ("Succeeded", "Failed") and not p["metadata"].get("deletionTimestamp")
        ]
        self.ready = sum(1 for p in active_pods if is_pod_ready(p))
        self.terminating = sum(
            1
            for p in pods
            if p["metadata"].get("deletionTimestamp") and _phase(p) not in ("Succeeded", "Failed")
        )
        uncounted = status.setdefault("uncountedTerminatedPods", {})
        self.uncounted_succeeded = set(uncounted.get("succeeded") or ())
        self.uncounted_failed = set(uncounted.get("failed") or ())
        with_finalizer = [p for p in pods if self._tracked(p)]
        new_succeeded = [
            p
            for p in with_finalizer
            if _phase(p) == "Succeeded" and p["metadata"]["uid"] not in self.uncounted_succeeded
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
        self.new_backoff = self._new_backoff_record(new_succeeded, new_failed)

        active = len(active_pods)
        finished: Obj | None = None
        if _condition(job, "SuccessCriteriaMet") is not None:
            finished = self._new_condition("SuccessCriteriaMet", "CompletionsReached", COMPLETIONS_MESSAGE)
        elif (target := _condition(job, "FailureTarget")) is not None:
            finished = self._new_condition("Failed", target.get("reason", ""), target.get("message", ""))
        if finished is None:
            limit = int(spec.get("backoffLimit", 6))
            suspended = bool(spec.get("suspend"))
            deadline = spec.get("activeDeadlineSeconds")
            started = seconds_since(self.epoch, status["startTime"]) if status.get("startTime") else None
            if self.failed > limit or self._past_backoff_limit_on_failure(pods, limit):
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

    # -- backoff --------------------------------------------------------------------------

    def _new_backoff_record(self, succeeded: list[Obj], failed: list[Obj]) -> BackoffRecord:
        """`newBackoffRecord`: failures since the newest success, and the newest failure time."""
        old = self.ctl.backoff.get(self.key) or BackoffRecord()
        record = BackoffRecord(old.failures, old.last_failure)
        fail_times = sorted(finished_time(p, self.epoch) for p in failed)
        if not succeeded:
            if fail_times:
                record.failures += len(fail_times)
                record.last_failure = fail_times[-1]
            return record
        last_success = max(finished_time(p, self.epoch) for p in succeeded)
        after = [t for t in fail_times if t > last_success]
        return BackoffRecord(len(after), after[-1] if after else None)

    def _past_backoff_limit_on_failure(self, pods: list[Obj], limit: int) -> bool:
        """`pastBackoffLimitOnFailure`: with restartPolicy OnFailure, container restarts count."""
        if self.spec["template"]["spec"].get("restartPolicy") != "OnFailure":
            return False
        restarts = 0
        for p in pods:
            if _phase(p) in ("Running", "Pending"):
                st = p.get("status") or {}
                for cs in (st.get("initContainerStatuses") or []) + (st.get("containerStatuses") or []):
                    restarts += int(cs.get("restartCount", 0))
        return restarts > 0 if limit == 0 else restarts >= limit

    # -- manageJob ------------------------------------------------------------------------

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

    # -- status ---------------------------------------------------------------------------

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
            releasable = job["metadata"].get("deletionTimestamp") or finished or _phase(pod) == "Succeeded"
            if not releasable and not considered_failed:  # `canRemoveFinalizer`
                continue
            to_release.append(pod)
            if _phase(pod) == "Succeeded" and uid not in self.uncounted_failed:
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
            if _condition(job, "SuccessCriteriaMet") is None:
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


def _removal_rank(pod: Obj) -> tuple[int, int, int]:
    """`activePodsForRemoval`'s order: not-ready < ready, unscheduled < scheduled, pending < running."""
    return (
        1 if is_pod_ready(pod) else 0,
        1 if pod["spec"].get("nodeName") else 0,
        {"Pending": 0, "Unknown": 1, "Running": 2}.get(_phase(pod), 0),
    )
