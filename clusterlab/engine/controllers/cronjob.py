"""The CronJob controller: create a Job at each scheduled time, keep a bounded history.

Modelled on Kubernetes 1.32's `pkg/controller/cronjob` (`cronjob_controllerv2.go`, `utils.go`):
- The schedule (see `cron_schedule.py`) is read in `spec.timeZone` (UTC when unset) against
  the virtual clock, whose second 0 is the lab's epoch. After each sync the CronJob's key
  waits in the queue until the next scheduled time plus 100 ms (`nextScheduleDelta`).
- A sync first reconciles the Jobs it owns: finished ones leave `status.active` with a
  `SawCompletedJob` event, the newest completion becomes `lastSuccessfulTime`, an active Job
  that vanished is dropped (`MissingJob`).
- Then the most recent unmet scheduled time since `lastScheduleTime` (or creation) is run,
  unless it is older than `startingDeadlineSeconds` (`MissSchedule`), the CronJob is
  suspended, or `concurrencyPolicy: Forbid` finds a Job still running (`JobAlreadyActive`);
  `Replace` deletes the running Jobs first. More than 100 missed times warn
  `TooManyMissedTimes`. Only the most recent missed time runs — never a backlog.
- The Job is named `<cronjob>-<scheduled time in minutes since 1970>`, so one scheduled time
  can never create two Jobs; it carries the template's labels and annotations plus
  `batch.kubernetes.io/cronjob-scheduled-timestamp`.
- Finished Jobs beyond `successfulJobsHistoryLimit` (3) / `failedJobsHistoryLimit` (1) are
  deleted oldest first (`SuccessfulDelete`).

Simplified: Jobs are not adopted by label; an unparseable schedule (which validation
already refuses) only records its event.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ..batch_api import SCHEDULED_TIMESTAMP, time_zone
from ..cron_schedule import CronError, Schedule, parse
from ..errors import ApiError
from ..informers import key_of
from ..jsonutil import copy_json
from ..timefmt import parse_epoch
from .base import Controller, ControllerContext, controller_of, owner_reference, owner_uid_index
from .job_util import finished_condition

Obj = dict[str, Any]
NEXT_SCHEDULE_DELTA = 0.1  # nextScheduleDelta
MANY_MISSED = 100


def _rfc3339(moment: datetime) -> str:
    text = moment.strftime("%Y-%m-%dT%H:%M:%S%z")
    if text.endswith("+0000"):
        return text[:-5] + "Z"
    return text[:-2] + ":" + text[-2:]


def job_name(cronjob: str, scheduled: datetime) -> str:
    """`getJobName`: the scheduled time in minutes since the Unix epoch."""
    return f"{cronjob}-{int(scheduled.timestamp()) // 60}"


def most_recent_schedule_time(
    schedule: Schedule, earliest: datetime, now: datetime, tz: Any
) -> tuple[datetime | None, int]:
    """`mostRecentScheduleTime`: the latest scheduled time in (earliest, now], and how many
    scheduled times fell in that window."""
    t1 = schedule.next(earliest, tz)
    if t1 is None or now < t1:
        return None, 0
    missed, latest = 1, t1
    while missed <= MANY_MISSED + 1:
        nxt = schedule.next(latest, tz)
        if nxt is None or nxt > now:
            return latest, missed
        latest, missed = nxt, missed + 1
    # Far behind: step in whole intervals, as Kubernetes does for a regular schedule.
    t2 = schedule.next(t1, tz) or t1
    interval = max(1, round((t2 - t1).total_seconds()))
    count = int((now - t1).total_seconds()) // interval + 1
    return t1 + timedelta(seconds=(count - 1) * interval), count


class CronJobController(Controller):
    name = "cronjob-controller"
    workers = 5  # --concurrent-cron-job-syncs

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.cronjobs = ctx.informers.get("cronjobs")
        self.jobs = ctx.informers.get("jobs")
        self.jobs.add_index("controller-uid", owner_uid_index)
        self.cronjobs.add_handler(self._enqueue, self._on_cronjob_update)
        self.jobs.add_handler(self._on_job, lambda old, new: self._on_job(new), self._on_job)

    # -- handlers -------------------------------------------------------------------------

    def _enqueue(self, cj: Obj) -> None:
        self.queue.add(key_of(cj))

    def _on_cronjob_update(self, old: Obj, new: Obj) -> None:
        """A changed schedule or time zone requeues for the new next time; anything else now."""
        a, b = old.get("spec") or {}, new.get("spec") or {}
        if a.get("schedule") == b.get("schedule") and a.get("timeZone") == b.get("timeZone"):
            self._enqueue(new)
            return
        try:
            schedule = parse(str(b.get("schedule") or ""))
        except CronError:
            self.recorder.event(
                new,
                "Warning",
                "UnParseableCronJobSchedule",
                f"unparseable schedule for cronjob: {b.get('schedule')}",
            )
            return
        tz = time_zone(b.get("timeZone"))
        if tz is not None:
            self.queue.add_after(key_of(new), self._next_duration(new, schedule, tz))

    def _on_job(self, job: Obj) -> None:
        ref = controller_of(job)
        if ref is not None and ref.get("kind") == "CronJob":
            self.queue.add(f"{job['metadata']['namespace']}/{ref['name']}")

    # -- time -----------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self.server.epoch + timedelta(seconds=self.clock.now)

    def _earliest(self, cj: Obj) -> datetime:
        status = cj.get("status") or {}
        return parse_epoch(status.get("lastScheduleTime") or cj["metadata"]["creationTimestamp"])

    def _next_duration(self, cj: Obj, schedule: Schedule, tz: Any) -> float:
        """`nextScheduledTimeDuration`: until the next scheduled time, plus 100 ms."""
        now = self._now()
        earliest = self._earliest(cj)
        recent, _ = most_recent_schedule_time(schedule, earliest, now, tz)
        nxt = schedule.next(recent or earliest, tz)
        if nxt is None:
            return 3600.0  # no time in five years: look again later
        return (nxt - now).total_seconds() + NEXT_SCHEDULE_DELTA

    # -- sync -----------------------------------------------------------------------------

    def sync(self, key: str) -> int:
        cj = self.cronjobs.get(key)
        if cj is None:
            return 0
        jobs = [j for j in self.jobs.by_index("controller-uid", cj["metadata"]["uid"]) if _owned_by(j, cj)]
        new = copy_json(cj)
        new.setdefault("status", {})
        requeue, changed = self._sync_cronjob(new, jobs)
        if self._cleanup_finished(new, jobs):
            changed = True
        if changed:
            self._write_status(cj, new["status"])
        if requeue is not None:
            self.queue.add_after(key, requeue)
        return len(jobs)

    def _sync_cronjob(self, cj: Obj, jobs: list[Obj]) -> tuple[float | None, bool]:
        status = cj["status"]
        active: list[Obj] = list(status.get("active") or ())
        changed = False
        active_uids = {ref.get("uid") for ref in active}
        name = cj["metadata"]["name"]
        for job in jobs:
            uid = job["metadata"]["uid"]
            cond = finished_condition(job)
            if uid not in active_uids and cond is None:
                self.recorder.event(
                    cj,
                    "Warning",
                    "UnexpectedJob",
                    f"Saw a job that the controller did not create or forgot: {job['metadata']['name']}",
                )
            elif cond is not None:
                if uid in active_uids:
                    active = [r for r in active if r.get("uid") != uid]
                    active_uids.discard(uid)
                    self.recorder.event(
                        cj,
                        "Normal",
                        "SawCompletedJob",
                        f"Saw completed job: {job['metadata']['name']}, condition: {cond['type']}",
                    )
                    changed = True
                done = (job.get("status") or {}).get("completionTime")
                if cond["type"] == "Complete" and done:
                    last = status.get("lastSuccessfulTime")
                    if last is None or parse_epoch(done) > parse_epoch(last):
                        status["lastSuccessfulTime"] = done
                        changed = True
        present = {j["metadata"]["uid"] for j in jobs}
        for ref in list(active):
            if ref.get("uid") in present:
                continue
            try:
                self.server.get(self.user, "jobs", ref["name"], ref.get("namespace"))
            except ApiError as exc:
                if exc.code != 404:
                    raise
                self.recorder.event(cj, "Normal", "MissingJob", f"Active job went missing: {ref['name']}")
                active = [r for r in active if r.get("uid") != ref.get("uid")]
                changed = True
        self._set_active(status, active)
        if cj["metadata"].get("deletionTimestamp"):
            return None, changed
        spec = cj["spec"]
        tz = time_zone(spec.get("timeZone"))
        if tz is None:
            zone = spec.get("timeZone")
            self.recorder.event(
                cj, "Warning", "UnknownTimeZone", f'invalid timeZone: "{zone}": unknown time zone {zone}'
            )
            return None, changed
        if spec.get("suspend"):
            return None, changed
        try:
            schedule = parse(str(spec.get("schedule") or ""))
        except CronError as exc:
            self.recorder.event(
                cj,
                "Warning",
                "UnparseableSchedule",
                f'unparseable schedule: "{spec.get("schedule")}" : {exc}',
            )
            return None, changed
        now = self._now()
        earliest = self._earliest(cj)
        deadline = spec.get("startingDeadlineSeconds")
        if deadline is not None:
            earliest = max(earliest, now - timedelta(seconds=int(deadline)))
        scheduled, missed = most_recent_schedule_time(schedule, earliest, now, tz)
        if scheduled is None:
            return self._next_duration(cj, schedule, tz), changed
        if missed > MANY_MISSED:
            self.recorder.event(
                cj,
                "Warning",
                "TooManyMissedTimes",
                "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock "
                "skew",
            )
        if deadline is not None and scheduled + timedelta(seconds=int(deadline)) < now:
            self.recorder.event(
                cj,
                "Warning",
                "MissSchedule",
                "Missed scheduled time to start a job: "
                + scheduled.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S %z"),
            )
            return self._next_duration(cj, schedule, tz), changed
        wanted = job_name(name, scheduled)
        last = status.get("lastScheduleTime")
        if any(r.get("name") == wanted for r in active) or (last and parse_epoch(last) == scheduled):
            return self._next_duration(cj, schedule, tz), changed
        when = _rfc3339(scheduled.astimezone(tz))
        policy = spec.get("concurrencyPolicy", "Allow")
        if policy == "Forbid" and active:
            self.recorder.event(
                cj,
                "Normal",
                "JobAlreadyActive",
                "Not starting job because prior execution is running and concurrency policy is Forbid",
            )
            self.explain(
                cj,
                f"CronJob {name}: scheduled time {when} is due, but {len(active)} job(s) still running and "
                "concurrencyPolicy is Forbid → skip this run",
            )
            return self._next_duration(cj, schedule, tz), changed
        if policy == "Replace" and active:
            self.explain(
                cj,
                f"CronJob {name}: scheduled time {when} is due and concurrencyPolicy is Replace → delete the "
                f"{len(active)} running job(s) first",
            )
            for ref in list(active):
                job = self.server.get(self.user, "jobs", ref["name"], ref.get("namespace"))
                if not self._delete_job(cj, job):
                    raise ApiError(f"could not replace job {ref.get('namespace')}/{ref['name']}")
                active = [r for r in active if r.get("uid") != ref.get("uid")]
                changed = True
        try:
            created = self.server.create(self.user, self._job_from_template(cj, scheduled, tz))
        except ApiError as exc:
            if exc.code != 409:  # AlreadyExists: another sync made it
                self.recorder.event(cj, "Warning", "FailedCreate", f"Error creating job: {exc.message}")
            self._set_active(status, active)
            raise
        self.recorder.event(cj, "Normal", "SuccessfulCreate", f"Created job {created['metadata']['name']}")
        self.explain(
            cj,
            f"CronJob {name}: schedule {spec.get('schedule')!r} was due at {when}"
            + (f" ({missed} times since the last run; only the latest runs)" if missed > 1 else "")
            + f" → create job {created['metadata']['name']}",
        )
        meta = created["metadata"]
        active.append(
            {
                "kind": "Job",
                "namespace": meta["namespace"],
                "name": meta["name"],
                "uid": meta["uid"],
                "apiVersion": "batch/v1",
                "resourceVersion": meta["resourceVersion"],
            }
        )
        self._set_active(status, active)
        status["lastScheduleTime"] = _rfc3339(scheduled.astimezone(UTC))  # metav1.Time is written in UTC
        return self._next_duration(cj, schedule, tz), True

    @staticmethod
    def _set_active(status: Obj, active: list[Obj]) -> None:
        if active:
            status["active"] = active
        else:
            status.pop("active", None)

    def _job_from_template(self, cj: Obj, scheduled: datetime, tz: Any) -> Obj:
        """`getJobFromTemplate2`."""
        template = cj["spec"].get("jobTemplate") or {}
        tmeta = template.get("metadata") or {}
        annotations = dict(tmeta.get("annotations") or {})
        annotations[SCHEDULED_TIMESTAMP] = _rfc3339(scheduled.astimezone(tz))
        meta: Obj = {
            "name": job_name(cj["metadata"]["name"], scheduled),
            "namespace": cj["metadata"]["namespace"],
            "annotations": annotations,
            "ownerReferences": [owner_reference(cj)],
        }
        if tmeta.get("labels"):
            meta["labels"] = dict(tmeta["labels"])
        return {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": meta,
            "spec": copy_json(template.get("spec") or {}),
        }

    def _delete_job(self, cj: Obj, job: Obj) -> bool:
        """`deleteJob`: background propagation, then `SuccessfulDelete` on the CronJob."""
        name = job["metadata"]["name"]
        try:
            self.server.delete(
                self.user, "jobs", name, job["metadata"]["namespace"], propagation_policy="Background"
            )
        except ApiError as exc:
            self.recorder.event(cj, "Warning", "FailedDelete", f"Deleted job: {exc.message}")
            return False
        status = cj["status"]
        self._set_active(
            status, [r for r in status.get("active") or () if r.get("uid") != job["metadata"]["uid"]]
        )
        self.recorder.event(cj, "Normal", "SuccessfulDelete", f"Deleted job {name}")
        return True

    def _cleanup_finished(self, cj: Obj, jobs: list[Obj]) -> bool:
        """`cleanupFinishedJobs`: keep the newest `successfulJobsHistoryLimit` completed and
        `failedJobsHistoryLimit` failed Jobs; delete the rest, oldest first."""
        spec = cj["spec"]
        changed = False
        for ctype, field in (
            ("Complete", "successfulJobsHistoryLimit"),
            ("Failed", "failedJobsHistoryLimit"),
        ):
            limit = spec.get(field)
            if limit is None:
                continue
            done = [j for j in jobs if (finished_condition(j) or {}).get("type") == ctype]
            excess = len(done) - int(limit)
            if excess <= 0:
                continue
            done.sort(key=lambda j: ((j.get("status") or {}).get("startTime") or "~", j["metadata"]["name"]))
            victims = done[:excess]
            self.explain(
                cj,
                f"CronJob {cj['metadata']['name']}: {len(done)} "
                f"{'successful' if ctype == 'Complete' else 'failed'} "
                f"jobs kept > {field} {limit} → delete the oldest {excess}: "
                + ", ".join(v["metadata"]["name"] for v in victims),
            )
            for job in victims:
                if self._delete_job(cj, job):
                    changed = True
        return changed

    def _write_status(self, cj: Obj, status: Obj) -> None:
        self.write_status(cj, status)


def _owned_by(job: Obj, cj: Obj) -> bool:
    ref = controller_of(job)
    return ref is not None and ref.get("kind") == "CronJob" and ref.get("uid") == cj["metadata"]["uid"]
