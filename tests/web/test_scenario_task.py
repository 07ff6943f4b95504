"""Troubleshooting scenarios in the UI: offered on the home page with what the learner will
find, and the lab page of one shows that task (never the answer)."""

from __future__ import annotations

import html

import pytest
from django.test import AsyncClient, Client

from clusterlab.engine import scenarios
from clusterlab.labs.models import Lab


@pytest.mark.django_db
def test_the_home_page_offers_each_troubleshooting_scenario_with_its_description(client: Client) -> None:
    home = client.get("/").content.decode()
    for name in ("image-pull-backoff", "oom-quota", "stuck-rollout", "statefulset-pending"):
        scenario = scenarios.load(name)
        assert f'value="{name}"' in home
        assert html.escape(scenario.title) in home
        assert f'title="{html.escape(scenario.description)}"' in home


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("live_labs")
async def test_the_lab_page_of_a_troubleshooting_scenario_shows_its_task(async_client: AsyncClient) -> None:
    response = await async_client.post("/labs/", {"scenario": "image-pull-backoff"})
    assert response.status_code == 302
    body = (await async_client.get(response["Location"])).content.decode()
    assert (await Lab.objects.aget()).scenario == "image-pull-backoff"
    assert 'data-testid="scenario-task"' in body
    assert html.escape(scenarios.load("image-pull-backoff").description) in body
    assert "1.27" not in scenarios.load("image-pull-backoff").description  # the task, not the answer


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("live_labs")
async def test_a_lab_without_a_task_shows_none(async_client: AsyncClient) -> None:
    response = await async_client.post("/labs/")
    body = (await async_client.get(response["Location"])).content.decode()
    assert 'data-testid="scenario-task"' not in body
