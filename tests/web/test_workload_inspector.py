"""The workload inspector: the lab page lists DaemonSets, StatefulSets, Jobs and CronJobs, each
with a "Why" button; the panel shows the kind's status numbers, a Job's conditions and why the
controllers acted, most recent first; owner only, unknown kinds and hostile names are 404s."""

from __future__ import annotations

import pytest
from django.test import AsyncClient

from ..engine.test_cronjob import cronjob
from ..engine.test_daemonset import agent
from ..engine.test_job import job
from .test_scheduling_view import open_lab, text


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("live_labs")
async def test_a_daemonset_and_a_job_explain_why_their_controllers_acted(async_client: AsyncClient) -> None:
    url, cluster = await open_lab(async_client)
    cluster.advance(5)  # the control plane is up and leading
    cluster.apply(agent())
    cluster.apply(job(completions=2, parallelism=2))
    cluster.advance(30)
    page = (await async_client.get(url)).content.decode()
    button = (
        'data-action="workload-inspect" data-kind="daemonsets" data-namespace="default" data-name="agent"'
    )
    assert button in page
    assert 'data-action="workload-inspect" data-kind="jobs" data-namespace="default" data-name="pi"' in page
    assert "3 desired · 3 current · 3 ready · 3 up-to-date · 3 available · 0 misscheduled" in text(page)

    response = await async_client.get(f"{url}workloads/daemonsets/default/agent/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'hx-get="{url}workloads/daemonsets/default/agent/" hx-trigger="every 3s"' in html
    words = text(html)
    assert "DaemonSet default/agent" in words
    assert "desired 3 current 3 ready 3 up-to-date 3 available 3 misscheduled 0" in words
    assert "DaemonSet agent: 3 eligible nodes, 0 have a pod → create on worker-1, worker-2, worker-3" in words

    words = text((await async_client.get(f"{url}workloads/jobs/default/pi/")).content.decode())
    assert "Job default/pi" in words
    assert "completions 2 parallelism 2 active 0 ready 0 succeeded 2 failed 0" in words
    assert "Complete True CompletionsReached Reached expected number of succeeded pods" in words
    # Most recent first: the completion, then the creation.
    done = words.index("Job pi: 2 succeeded ≥ completions 2 and none active → complete")
    created = words.index("Job pi: want 2 active (min(parallelism 2, completions 2 − succeeded 0)), 0 active")
    assert done < created


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("live_labs")
async def test_a_cronjob_shows_its_last_schedule_and_active_jobs(async_client: AsyncClient) -> None:
    url, cluster = await open_lab(async_client)
    cluster.apply(cronjob())
    # The lab's epoch decides when the next minute starts: step until its Job runs.
    for _ in range(70):
        cluster.advance(1)
        status = cluster.get("cronjob", "hello").get("status") or {}
        if status.get("active"):
            break
    (active,) = [ref["name"] for ref in status["active"]]
    page = text((await async_client.get(url)).content.decode())
    last = status["lastScheduleTime"]
    assert f"schedule */1 * * * * · suspended no · 1 active jobs · last schedule {last}" in page
    words = text((await async_client.get(f"{url}workloads/cronjobs/default/hello/")).content.decode())
    assert f"active jobs 1 last schedule {status['lastScheduleTime']} last success never" in words
    assert f"Active Jobs: {active}" in words
    assert (
        f"CronJob hello: schedule '*/1 * * * *' was due at {status['lastScheduleTime']} → create job {active}"
        in words
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("live_labs")
async def test_unknown_kinds_objects_and_hostile_names_are_404s(async_client: AsyncClient) -> None:
    url, cluster = await open_lab(async_client)
    cluster.apply(job())
    assert (await async_client.get(f"{url}workloads/jobs/default/nope/")).status_code == 404
    assert (await async_client.get(f"{url}workloads/deployments/default/pi/")).status_code == 404
    assert (await async_client.get(f"{url}workloads/cronjobs/default/pi/")).status_code == 404
    assert (await async_client.get(f"{url}workloads/jobs/default/%3Cscript%3E/")).status_code == 404
    other = AsyncClient()
    assert (await other.get(f"{url}workloads/jobs/default/pi/")).status_code in (403, 404)
    assert (await other.get(f"{url}workloads/bogus/default/pi/")).status_code in (403, 404)
