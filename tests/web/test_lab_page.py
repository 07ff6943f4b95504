"""``GET /labs/<id>/``: the live lab page, for its owner only."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import AsyncClient

from clusterlab.labs import live
from clusterlab.labs.commands import Command
from clusterlab.labs.models import Lab

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_labs")]


async def open_lab(client: AsyncClient) -> str:
    response = await client.post("/labs/")
    assert response.status_code == 302
    return str(response["Location"])


async def test_owner_sees_the_cluster(async_client: AsyncClient) -> None:
    url = await open_lab(async_client)
    response = await async_client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    lab = await Lab.objects.aget()
    assert f'ws-connect="/ws/labs/{lab.id}/"' in body
    assert 'hx-ext="ws"' in body
    # control plane, with a status word each
    for title in ("API server", "etcd", "Scheduler", "Controller manager"):
        assert title in body
    # one card per node, with its status word and a kill button
    for node in ("control-plane", "worker-1", "worker-2", "worker-3"):
        assert f'id="node-{node}"' in body
    for node in ("control-plane", "worker-1", "worker-2", "worker-3"):
        assert f'data-testid="kill-{node}"' in body
        assert f'data-testid="stop-kubelet-{node}"' in body
    # each control-plane component can be stopped, and says whether it leads
    for component in ("kube-apiserver", "etcd", "kube-scheduler", "kube-controller-manager"):
        assert f'data-testid="stop-component-{component}-control-plane"' in body
    assert "leader: holds its Lease in kube-system" in body
    assert "Raft leader, term 2" in body
    assert re.search(r'id="node-worker-1".*?data-testid="node-status">\s*Ready\s*<', body, re.S)
    # the clock and its controls
    assert re.search(r'<time class="clock__time"[^>]*>\d\d:\d\d:\d\d</time>', body)
    for control in (
        "pause",
        "step-1",
        "step-10",
        "speed-1",
        "speed-10",
        "speed-60",
        "speed-600",
        "create-sample",
    ):
        assert f'data-testid="{control}"' in body
    assert 'id="events"' in body and 'id="api-calls"' in body
    assert "No deployments yet" not in body and "metrics-server" in body  # the add-on's Deployment


async def test_page_shows_the_running_lab_as_it_is(async_client: AsyncClient) -> None:
    url = await open_lab(async_client)
    await async_client.get(url)
    lab = await Lab.objects.aget()
    running = live.running_lab(lab.id)
    assert running is not None
    running.runner.cluster.kill_node("worker-3")
    body = (await async_client.get(url)).content.decode()
    assert re.search(r'id="node-worker-3".*?Power: <strong>off</strong>', body, re.S)
    assert 'data-testid="restore-worker-3"' in body
    assert live.running_lab(lab.id) is running


async def test_outsider_gets_404_not_403(async_client: AsyncClient) -> None:
    url = await open_lab(async_client)
    outsider = AsyncClient()
    response = await outsider.get(url)
    assert response.status_code == 404
    assert b"worker-1" not in response.content
    lab = await Lab.objects.aget()
    assert live.running_lab(lab.id) is None


async def test_unknown_lab_is_404(async_client: AsyncClient) -> None:
    assert (await async_client.get("/labs/doesnotexist/")).status_code == 404


async def test_user_owned_lab_is_hidden_from_other_users() -> None:
    ada = await User.objects.acreate_user("ada", password="pw-ada-123456")
    bob = await User.objects.acreate_user("bob", password="pw-bob-123456")
    owner = AsyncClient()
    await owner.aforce_login(ada)
    url = await open_lab(owner)
    assert (await owner.get(url)).status_code == 200
    other = AsyncClient()
    await other.aforce_login(bob)
    assert (await other.get(url)).status_code == 404
    assert (await AsyncClient().get(url)).status_code == 404


async def test_page_only_answers_get(async_client: AsyncClient) -> None:
    url = await open_lab(async_client)
    assert (await async_client.post(url)).status_code == 405


async def test_pods_show_their_name_and_status_word(async_client: AsyncClient) -> None:
    url = await open_lab(async_client)
    await async_client.get(url)
    lab = await Lab.objects.aget()
    running = live.running_lab(lab.id)
    assert running is not None
    running.runner.execute(Command("create_sample"), "learner")
    running.runner.cluster.advance(120)
    body = (await async_client.get(url)).content.decode()
    chips = re.findall(r'data-pod="(web-[a-z0-9-]+)" data-status="([A-Za-z]+)"', body)
    assert len(chips) == 6
    for name, status in chips:
        assert status == "Running"
        assert re.search(
            rf'title="default/{name}">{name}</button>\s*<span class="pod__status">Running</span>', body
        )
    assert re.search(r"<strong>6/6</strong> ready", body)
