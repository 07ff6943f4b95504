"""``GET /labs/<id>/rewind/?t=``: the cluster as it was at an earlier virtual time, read-only."""

from __future__ import annotations

import re

import pytest
from django.test import AsyncClient

from clusterlab.labs import live, rewind
from clusterlab.labs.commands import Command
from clusterlab.labs.models import Lab
from clusterlab.labs.runner import LabRunner, LoggedCommand

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_labs")]


def _status(body: str, node: str) -> str:
    match = re.search(rf'id="node-{node}".*?data-testid="node-status">\s*([A-Za-z]+)\s*<', body, re.S)
    assert match, f"no card for {node}"
    return match.group(1)


async def test_rewind_shows_the_cluster_before_a_node_died(async_client: AsyncClient) -> None:
    response = await async_client.post("/labs/")
    url = str(response["Location"])
    await async_client.get(url)
    lab = await Lab.objects.aget()
    running = live.running_lab(lab.id)
    assert running is not None
    await running.execute(Command("create_sample"), "learner")
    running.runner.cluster.advance(100)
    await running.execute(Command("kill_node", {"node": "worker-1"}), "learner")
    running.runner.cluster.advance(100)

    before = (await async_client.get(f"{url}rewind/?t=50")).content.decode()
    assert "The cluster as it was at" in before and 'data-testid="rewind-time">00:00:50<' in before
    assert _status(before, "worker-1") == "Ready"
    assert len(re.findall(r'data-pod="web-[a-z0-9-]+" data-status="Running"', before)) == 6
    assert "ws-send" not in before  # read-only: no buttons that act on the cluster

    after = (await async_client.get(f"{url}rewind/?t=190")).content.decode()
    assert _status(after, "worker-1") == "NotReady"
    live_page = (await async_client.get(url)).content.decode()
    assert _status(live_page, "worker-1") == "NotReady"  # the live lab is untouched by rewinding
    assert running.runner.now >= 200


async def test_rewind_checks_its_time_and_its_owner(async_client: AsyncClient) -> None:
    response = await async_client.post("/labs/")
    url = str(response["Location"])
    await async_client.get(url)
    assert (await async_client.get(f"{url}rewind/?t=abc")).status_code == 400
    assert (await async_client.get(f"{url}rewind/?t=-1")).status_code == 400
    too_late = await async_client.get(f"{url}rewind/?t=99999")
    assert too_late.status_code == 400 and b"between 0 and" in too_late.content
    assert (await AsyncClient().get(f"{url}rewind/?t=0")).status_code == 404
    assert (await async_client.post(f"{url}rewind/?t=0")).status_code == 405


def test_scrubbing_forward_continues_and_matches_a_fresh_rebuild() -> None:
    commands = [
        LoggedCommand(1, 5.0, "learner", "create_sample", {}),
        LoggedCommand(2, 60.0, "learner", "kill_node", {"node": "worker-2"}),
        LoggedCommand(3, 90.0, "learner", "stop_component", {"component": "kube-scheduler"}),
    ]
    rewind.forget("lab-x")
    args = {"scenario": "default", "seed": 3, "epoch": None, "commands": commands}
    early = rewind.board_at("lab-x", t=30, **args)
    late = rewind.board_at("lab-x", t=120, **args)  # continues the cached rebuild
    fresh = LabRunner.from_log(
        "lab-y", scenario="default", seed=3, commands=commands, virtual_time=120
    ).board()
    assert late["nodes"] == fresh["nodes"] and late["control_plane"] == fresh["control_plane"]
    assert [c["status"] for c in late["control_plane"] if c["name"] == "kube-scheduler"] == ["Stopped"]
    again = rewind.board_at("lab-x", t=30, **args)  # backwards: rebuilt from the start
    assert again["nodes"] == early["nodes"]
    rewind.forget("lab-x")
