"""The TTL-after-finished controller: delete finished Jobs once their `ttlSecondsAfterFinished` is up.

Modelled on `pkg/controller/ttlafterfinished`: a Job that has finished (a `Complete` or
`Failed` condition) and sets `ttlSecondsAfterFinished` expires at that condition's
`lastTransitionTime` plus the TTL. Until then the key waits in the queue for exactly the time
left; at expiry the controller reads the Job fresh from the API server (the TTL may have been
changed or removed meanwhile) and deletes it with `propagationPolicy: Foreground` and a UID
precondition, so the garbage collector removes its pods before the Job itself goes.

Simplified: none (the real controller also records no event; it only logs).
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..informers import key_of
from ..timefmt import seconds_since
from .base import Controller, ControllerContext
from .job_util import finished_condition

Obj = dict[str, Any]


class TTLAfterFinishedController(Controller):
    name = "ttl-after-finished-controller"
    workers = 5  # --concurrent-ttl-after-finished-syncs

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.jobs = ctx.informers.get("jobs")
        self.jobs.add_handler(self._maybe_enqueue, lambda old, new: self._maybe_enqueue(new))

    def _maybe_enqueue(self, job: Obj) -> None:
        """`needsCleanup`: a finished Job with a TTL, not already being deleted."""
        if self._needs_cleanup(job):
            self.queue.add(key_of(job))

    @staticmethod
    def _needs_cleanup(job: Obj) -> bool:
        return (
            job["spec"].get("ttlSecondsAfterFinished") is not None
            and finished_condition(job) is not None
            and not job["metadata"].get("deletionTimestamp")
        )

    def _time_left(self, job: Obj) -> float:
        cond = finished_condition(job) or {}
        finished_at = seconds_since(self.server.epoch, cond["lastTransitionTime"])
        return finished_at + int(job["spec"]["ttlSecondsAfterFinished"]) - self.clock.now

    def sync(self, key: str) -> int:
        job = self.jobs.get(key)
        if job is None or not self._needs_cleanup(job):
            return 0
        left = self._time_left(job)
        if left > 0:
            self.queue.add_after(key, left)
            return 1
        namespace, name = key.split("/", 1)
        try:
            fresh = self.server.get(self.user, "jobs", name, namespace)
        except ApiError as exc:
            if exc.code == 404:
                return 1
            raise
        if not self._needs_cleanup(fresh):
            return 1
        left = self._time_left(fresh)
        if left > 0:
            self.queue.add_after(key, left)
            return 1
        ttl = fresh["spec"]["ttlSecondsAfterFinished"]
        self.explain(
            fresh,
            f"Job {name}: finished {ttl + (-left):g} s ago ≥ ttlSecondsAfterFinished {ttl} → delete it "
            "(foreground: its pods go first)",
        )
        try:
            self.server.delete(
                self.user,
                "jobs",
                name,
                namespace,
                propagation_policy="Foreground",
                uid_precondition=fresh["metadata"]["uid"],
            )
        except ApiError as exc:
            if exc.code not in (404, 409):
                raise
        return 1
