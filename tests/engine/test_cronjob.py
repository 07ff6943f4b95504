"""The CronJob controller and cron schedules, on the virtual clock.

The default scenario's epoch is 2026-01-01T09:00:00Z; the CronJob is created at 09:00:06, so
a `*/1 * * * *` schedule is due at 09:01:00, 09:02:00, … and the controller wakes 100 ms after
each. The scheduler is stopped, so Jobs run until the test writes their pod's exit.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from clusterlab.engine import Cluster, Invalid
from clusterlab.engine.cron_schedule import CronError, parse
from clusterlab.engine.timefmt import seconds_since

from .test_job import exit_pod

Obj = dict[str, Any]
EPOCH = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def cronjob(name: str = "hello", schedule: str = "*/1 * * * *", **spec: Any) -> Obj:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name},
        "spec": {
            "schedule": schedule,
            **spec,
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {
                            "restartPolicy": "OnFailure",
                            "containers": [
                                {"name": "hello", "image": "busybox:1.36", "command": ["sh", "-c", "date"]}
                            ],
                        }
                    }
                }
            },
        },
    }


@pytest.fixture
def cluster() -> Cluster:
    c = Cluster.from_scenario("default", seed=7)
    c.advance(5)
    c.stop_component("kube-scheduler")
    c.advance(1)
    return c


def at(minute: int) -> datetime:
    return EPOCH.replace(minute=minute)


def name_at(minute: int, cj: str = "hello") -> str:
    return f"{cj}-{int(at(minute).timestamp()) // 60}"


def jobs(c: Cluster) -> list[Obj]:
    return sorted(c.list("jobs", "default"), key=lambda j: j["metadata"]["name"])


def cj_events(c: Cluster, name: str = "hello") -> list[tuple[float, str, str]]:
    return [
        (seconds_since(c.epoch, e["lastTimestamp"] or e["eventTime"]), e["reason"], e["message"])
        for e in c.events()
        if e["involvedObject"]["kind"] == "CronJob" and e["involvedObject"]["name"] == name
    ]


def finish_job(c: Cluster, job_name: str, code: int = 0) -> None:
    (pod,) = c.list("pods", "default", selector=f"batch.kubernetes.io/job-name={job_name}")
    exit_pod(c, pod, code)


def test_every_minute_a_job_named_after_its_scheduled_minute(cluster):
    cluster.apply(cronjob())
    cj = cluster.get("cronjob", "hello")
    assert (cj["spec"]["concurrencyPolicy"], cj["spec"]["suspend"]) == ("Allow", False)
    assert (cj["spec"]["successfulJobsHistoryLimit"], cj["spec"]["failedJobsHistoryLimit"]) == (3, 1)
    cluster.advance(60 - cluster.now)  # 09:01:00.000: due, but the controller wakes 100 ms later
    assert jobs(cluster) == []
    cluster.advance(0.15)
    (job,) = jobs(cluster)
    assert job["metadata"]["name"] == name_at(1)
    assert job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"] == (
        "2026-01-01T09:01:00Z"
    )
    owner = job["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["controller"]) == ("CronJob", "hello", True)
    assert job["spec"]["backoffLimit"] == 6  # the Job's own defaults apply
    cluster.advance(120)
    assert [j["metadata"]["name"] for j in jobs(cluster)] == [name_at(1), name_at(2), name_at(3)]
    status = cluster.get("cronjob", "hello")["status"]
    assert status["lastScheduleTime"] == "2026-01-01T09:03:00Z"
    assert [r["name"] for r in status["active"]] == [name_at(m) for m in (1, 2, 3)]
    created = [(t, m) for t, r, m in cj_events(cluster) if r == "SuccessfulCreate"]
    assert created == [(60 * m, f"Created job {name_at(m)}") for m in (1, 2, 3)]
    why = [d.text for d in cluster.decisions("cronjob", "hello")]
    assert (
        why[0]
        == f"CronJob hello: schedule '*/1 * * * *' was due at 2026-01-01T09:01:00Z → create job {name_at(1)}"
    )


def test_forbid_skips_a_run_while_the_previous_job_runs(cluster):
    cluster.apply(cronjob(concurrencyPolicy="Forbid"))
    cluster.advance(120.5 - cluster.now)  # 09:02:00.5
    assert [j["metadata"]["name"] for j in jobs(cluster)] == [name_at(1)]
    assert cj_events(cluster)[-1] == (
        120,
        "JobAlreadyActive",
        "Not starting job because prior execution is running and concurrency policy is Forbid",
    )
    cluster.advance(10)
    finish_job(cluster, name_at(1))  # at 09:02:10.5
    cluster.advance(2)
    # The skipped 09:02 run was never recorded as scheduled, and nothing limits how late it
    # may start (no startingDeadlineSeconds): it starts as soon as the previous Job is done.
    assert [j["metadata"]["name"] for j in jobs(cluster)] == [name_at(1), name_at(2)]
    status = cluster.get("cronjob", "hello")["status"]
    assert [r["name"] for r in status["active"]] == [name_at(2)]
    assert status["lastScheduleTime"] == "2026-01-01T09:02:00Z"
    assert status["lastSuccessfulTime"] == cluster.get("job", name_at(1))["status"]["completionTime"]
    assert cj_events(cluster)[-2:] == [
        (131, "SawCompletedJob", f"Saw completed job: {name_at(1)}, condition: Complete"),
        (131, "SuccessfulCreate", f"Created job {name_at(2)}"),
    ]
    cluster.advance(180.5 - cluster.now)
    assert len(jobs(cluster)) == 2
    assert cj_events(cluster)[-1][:2] == (180, "JobAlreadyActive")


def test_replace_deletes_the_running_job_and_starts_the_next(cluster):
    cluster.apply(cronjob(concurrencyPolicy="Replace"))
    cluster.advance(120.5 - cluster.now)
    assert [j["metadata"]["name"] for j in jobs(cluster)] == [name_at(2)]
    assert [(r, m) for _, r, m in cj_events(cluster)] == [
        ("SuccessfulCreate", f"Created job {name_at(1)}"),
        ("SuccessfulDelete", f"Deleted job {name_at(1)}"),
        ("SuccessfulCreate", f"Created job {name_at(2)}"),
    ]
    assert [r["name"] for r in cluster.get("cronjob", "hello")["status"]["active"]] == [name_at(2)]


def test_history_limits_keep_the_newest_finished_jobs(cluster):
    cluster.apply(cronjob(successfulJobsHistoryLimit=2, failedJobsHistoryLimit=1))
    for minute in range(1, 6):
        cluster.advance(60 * minute + 0.5 - cluster.now)
        finish_job(cluster, name_at(minute), 0 if minute != 3 else 1)
        if minute == 3:  # the pod fails with restartPolicy OnFailure: make the Job fail at once
            job = cluster.get("job", name_at(3))
            job["spec"]["activeDeadlineSeconds"] = 1
            cluster.update(job)
        cluster.advance(2)
    names = [j["metadata"]["name"] for j in jobs(cluster)]
    assert names == [name_at(3), name_at(4), name_at(5)]  # 2 successful + 1 failed
    deleted = [m for _, r, m in cj_events(cluster) if r == "SuccessfulDelete"]
    assert deleted == [f"Deleted job {name_at(1)}", f"Deleted job {name_at(2)}"]


def test_suspended_cronjob_creates_nothing(cluster):
    cluster.apply(cronjob(suspend=True))
    cluster.advance(200)
    assert jobs(cluster) == []


def test_validation_of_schedule_time_zone_and_name(cluster):
    with pytest.raises(Invalid) as err:
        cluster.apply(cronjob(schedule="*/1 * * *"))
    assert (
        'spec.schedule: Invalid value: "*/1 * * *": expected exactly 5 fields, found 4: [*/1 * * *]'
        in str(err.value)
    )
    with pytest.raises(Invalid) as err:
        cluster.apply(cronjob(timeZone="Mars/Olympus"))
    assert 'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus' in str(err.value)
    with pytest.raises(Invalid) as err:
        cluster.apply(cronjob(name="x" * 53))
    assert "must be no more than 52 characters" in str(err.value)
    with pytest.raises(Invalid) as err:
        cluster.apply(cronjob(concurrencyPolicy="Sometimes"))
    assert 'Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"' in str(err.value)


def test_time_zone_shifts_the_schedule_and_the_annotation(cluster):
    # 10:02 in Berlin (UTC+1 in January) is 09:02 UTC
    cluster.apply(cronjob(schedule="2 10 * * *", timeZone="Europe/Berlin"))
    cluster.advance(120.5 - cluster.now)
    (job,) = jobs(cluster)
    assert job["metadata"]["name"] == name_at(2)
    assert job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"] == (
        "2026-01-01T10:02:00+01:00"
    )
    assert cluster.get("cronjob", "hello")["status"]["lastScheduleTime"] == "2026-01-01T09:02:00Z"


@pytest.mark.parametrize(
    ("spec", "after", "expected"),
    [
        ("*/15 * * * *", "2026-01-01T09:07:30", "2026-01-01T09:15:00"),
        ("0 0 * * *", "2026-01-01T09:00:00", "2026-01-02T00:00:00"),
        ("@hourly", "2026-01-01T09:00:00", "2026-01-01T10:00:00"),
        ("30 2 1 * *", "2026-01-05T00:00:00", "2026-02-01T02:30:00"),
        ("0 9 * * MON-FRI", "2026-01-02T09:00:00", "2026-01-05T09:00:00"),  # Fri → Mon
        ("0 0 13 * FRI", "2026-01-01T00:00:00", "2026-01-02T00:00:00"),  # either day field (Fri 2nd)
        ("5/20 * * * *", "2026-01-01T09:06:00", "2026-01-01T09:25:00"),
        ("0 0 29 2 *", "2026-01-01T00:00:00", "2028-02-29T00:00:00"),
        ("@every 90s", "2026-01-01T09:00:00", "2026-01-01T09:01:30"),
    ],
)
def test_next_activation_as_robfig_cron_computes_it(spec, after, expected):
    utc = ZoneInfo("UTC")
    start = datetime.fromisoformat(after).replace(tzinfo=utc)
    got = parse(spec).next(start, utc)
    assert got is not None and got.strftime("%Y-%m-%dT%H:%M:%S") == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("61 * * * *", "end of range (61) above maximum (59): 61"),
        ("* * * * 7", "end of range (7) above maximum (6): 7"),
        ("x * * * *", 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'),
        ("@fortnightly", "unrecognized descriptor: @fortnightly"),
    ],
)
def test_schedule_errors_in_robfig_words(spec, message):
    with pytest.raises(CronError) as err:
        parse(spec)
    assert str(err.value) == message


@pytest.mark.parametrize(("deadline", "first"), [(None, 2), (10, 3)])
def test_a_missed_run_starts_late_unless_past_its_starting_deadline(deadline, first):
    """kube-controller-manager is down from 09:00:30 to 09:02:30 (and takes its lease ~20 s
    later): the 09:01 run is gone either way (only the latest missed time runs); the 09:02 run
    starts late — unless startingDeadlineSeconds (10 s) has passed by then."""
    c = Cluster.from_scenario("default", seed=7)
    c.advance(5)
    c.stop_component("kube-scheduler")
    c.advance(1)
    c.apply(cronjob(**({} if deadline is None else {"startingDeadlineSeconds": deadline})))
    c.advance(30 - c.now)
    c.stop_component("kube-controller-manager")
    c.advance(150 - c.now)
    c.start_component("kube-controller-manager")
    c.advance(185 - c.now)
    made = jobs(c)
    assert made[0]["metadata"]["name"] == name_at(first)
    created = seconds_since(c.epoch, made[0]["metadata"]["creationTimestamp"])
    assert (150 < created < 180) if first == 2 else created == 180
