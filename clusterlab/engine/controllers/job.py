"""The Job controller: run pods to completion, retry failures with backoff, finish the Job.

Modelled on Kubernetes 1.32's `pkg/controller/job/job_controller.go`; this module is its
informer handlers, orphan handling and pod create/delete, the rest is split as the real code is:
- `job_sync.py` (`syncJob`): count the pods; more than `backoffLimit` failures (or, with
  `restartPolicy: OnFailure`, that many container restarts), or `activeDeadlineSeconds` since
  `startTime`, fail the Job (`FailureTarget`, active pods deleted); enough successes write
  `SuccessCriteriaMet`.
- `job_manage.py` (`manageJob`): a Job wants `min(parallelism, completions - succeeded)`
  active pods (with no `completions`: `parallelism` until one pod succeeds), created from the
  template with `generateName: <job>-`, an ownerReference and the
  `batch.kubernetes.io/job-tracking` finalizer, in slow-start batches of 1, 2, 4, …, at most
  500 per sync; surplus pods are deleted (not-ready, unscheduled and pending ones first);
  `suspend: true` deletes the active pods and sets the `Suspended` condition, resuming sets it
  False and restarts the deadline clock.
- `job_backoff.py`: after a failure, a replacement waits `10 s × 2^(failures since the last
  success − 1)`, capped at 10 minutes, counted from the moment the failed pod finished.
- `job_tracking.py`: finished pods are counted through `status.uncountedTerminatedPods` (UIDs
  written there, the tracking finalizer removed, then the UIDs moved into `succeeded` /
  `failed`); a pod being deleted before it finished counts as failed
  (`podReplacementPolicy: TerminatingOrFailed`). The terminal `Failed` (reason
  `BackoffLimitExceeded` / `DeadlineExceeded`, a Warning event) or `Complete` condition (with
  `completionTime` and a `Completed` event) waits for terminating pods — the 1.32 order
  (`delayTerminalCondition`).
- `completionMode: Indexed` gives each pod a completion index (`indexed_job.py`).

Here: pod events re-sync the Job after `syncJobBatchPeriod` (1 s), so a burst of pod updates is
one sync; pods left with the finalizer by a deleted or finished Job (orphans) have it removed.

Simplified: podFailurePolicy, successPolicy and backoffLimitPerIndex are not acted on; pods
are not adopted by selector; the counting protocol writes status twice per sync that sees
finished pods, as Kubernetes does, but never needs more than one round (no `MaxUncountedPods`
batching).
"""

from __future__ import annotations

from typing import Any

from ..batch_api import TRACKING_FINALIZER
from ..errors import ApiError
from ..informers import key_of
from ..jsonutil import copy_json
from .base import Controller, ControllerContext, controller_of, owner_reference, owner_uid_index
from .indexed_job import indexed_pod
from .job_backoff import BackoffRecord
from .job_sync import JobSync
from .job_util import has_finalizer, is_finished
from .replicaset import Expectations

Obj = dict[str, Any]

SYNC_JOB_BATCH_PERIOD = 1.0  # syncJobBatchPeriod


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
        return JobSync(self, key, copy_json(job)).run()

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
