"""``ws/labs/<id>/``: the lab's live websocket."""

from __future__ import annotations

import re

import pytest

from clusterlab.labs import live
from clusterlab.labs.consumers import CLOSE_NOT_FOUND
from clusterlab.labs.models import Lab, LabCommand

from .helpers import command, communicator_for, receive_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_labs")]


def has(fragment_id: str) -> object:
    return lambda html: f'id="{fragment_id}"' in html


async def test_owner_connects_and_gets_the_whole_board(session_lab: Lab, owner_session: str) -> None:
    communicator = communicator_for(session_lab.id, owner_session)
    connected, _ = await communicator.connect()
    try:
        assert connected
        first = await communicator.receive_from(timeout=5)
        for fragment in (
            "clock",
            "controls",
            "control-plane",
            "nodes",
            "node-worker-2",
            "deployments",
            "events",
        ):
            assert f'id="{fragment}"' in first
        assert live.running_lab(session_lab.id) is not None
    finally:
        await communicator.disconnect()


async def test_outsider_is_refused(session_lab: Lab, outsider_session: str) -> None:
    communicator = communicator_for(session_lab.id, outsider_session)
    connected, code = await communicator.connect()
    assert not connected
    assert code == CLOSE_NOT_FOUND
    await communicator.disconnect()
    assert live.running_lab(session_lab.id) is None


async def test_no_session_and_unknown_labs_are_refused(session_lab: Lab, owner_session: str) -> None:
    for lab_id, session in ((session_lab.id, None), ("nosuchlab1", owner_session)):
        communicator = communicator_for(lab_id, session)
        connected, _ = await communicator.connect()
        assert not connected
        await communicator.disconnect()


async def test_missing_origin_is_refused(session_lab: Lab, owner_session: str) -> None:
    communicator = communicator_for(session_lab.id, owner_session, origin=False)
    connected, _ = await communicator.connect()
    assert not connected
    await communicator.disconnect()


async def test_create_sample_then_pods_run_and_the_command_is_logged(
    session_lab: Lab, owner_session: str
) -> None:
    communicator = communicator_for(session_lab.id, owner_session)
    await communicator.connect()
    try:
        await communicator.receive_from(timeout=5)
        await communicator.send_to(text_data=command("speed", speed=600))
        await receive_until(
            communicator, lambda html: re.search(r'speed-600"\s+aria-pressed="true"', html) is not None
        )
        await communicator.send_to(text_data=command("create_sample"))
        pushed = await receive_until(communicator, has("deployments"))
        assert 'id="deploy-default-web-status"' in pushed
        await receive_until(
            communicator, lambda html: re.search(r"<strong>6/6</strong> ready", html) is not None
        )
    finally:
        await communicator.disconnect()
    entries = [e async for e in LabCommand.objects.filter(lab=session_lab).order_by("seq")]
    assert [(e.seq, e.action, e.actor) for e in entries] == [(1, "create_sample", "learner")]
    lab = await Lab.objects.aget(pk=session_lab.pk)
    assert lab.speed == 600


async def test_bad_messages_get_an_error_notice_and_the_socket_stays_up(
    session_lab: Lab, owner_session: str
) -> None:
    communicator = communicator_for(session_lab.id, owner_session)
    await communicator.connect()
    try:
        await communicator.receive_from(timeout=5)
        for bad, text in (
            ("not json", "not valid JSON"),
            ('{"action": "format_disk"}', "Unknown action &#x27;format_disk&#x27;"),
            (command("scale", deployment="web", replicas="lots"), "whole number"),
            (command("kill_node", node="worker-9"), "nodes &quot;worker-9&quot; not found"),
            (command("stop_component", component="kube-dns"), "Unknown component &#x27;kube-dns&#x27;"),
            (command("stop_component", component="kubelet"), "say which with node="),
            (command("scale", deployment="<b>web</b>", replicas=1), "not a valid deployment name"),
        ):
            await communicator.send_to(text_data=bad)
            notice = await receive_until(communicator, has("lab-error"))
            assert text in notice
            assert "<b>" not in notice
        await communicator.send_to(text_data=command("step", seconds=10))
        cleared = await receive_until(communicator, has("lab-error"))
        assert "lab-error--empty" in cleared
    finally:
        await communicator.disconnect()
    assert await LabCommand.objects.filter(lab=session_lab).acount() == 0


async def test_pause_step_and_play(session_lab: Lab, owner_session: str) -> None:
    communicator = communicator_for(session_lab.id, owner_session)
    await communicator.connect()
    try:
        await communicator.receive_from(timeout=5)
        await communicator.send_to(text_data=command("pause"))
        await receive_until(communicator, lambda html: 'data-state="paused"' in html)
        runner = live.running_lab(session_lab.id).runner  # type: ignore[union-attr]
        before = runner.now
        await communicator.send_to(text_data=command("step", seconds=10))
        await receive_until(communicator, has("clock"))
        assert runner.now == pytest.approx(before + 10)
        await communicator.send_to(text_data=command("play"))
        await receive_until(communicator, lambda html: 'data-state="running"' in html)
    finally:
        await communicator.disconnect()
    lab = await Lab.objects.aget(pk=session_lab.pk)
    assert lab.paused is False
    assert lab.virtual_time >= before + 10


async def test_two_tabs_of_the_same_owner_both_see_changes(session_lab: Lab, owner_session: str) -> None:
    first = communicator_for(session_lab.id, owner_session)
    second = communicator_for(session_lab.id, owner_session)
    await first.connect()
    await second.connect()
    try:
        await first.receive_from(timeout=5)
        await second.receive_from(timeout=5)
        await first.send_to(text_data=command("kill_node", node="worker-2"))
        seen = await receive_until(second, lambda html: 'data-testid="restore-worker-2"' in html)
        assert 'id="node-worker-2"' in seen
    finally:
        await first.disconnect()
        await second.disconnect()


async def test_a_restarted_process_rebuilds_the_lab_from_its_log(
    session_lab: Lab, owner_session: str
) -> None:
    communicator = communicator_for(session_lab.id, owner_session)
    await communicator.connect()
    await communicator.receive_from(timeout=5)
    await communicator.send_to(text_data=command("kill_node", node="worker-1"))
    await receive_until(communicator, lambda html: 'data-testid="restore-worker-1"' in html)
    await communicator.disconnect()
    await live.stop_all()  # as if the process had died

    communicator = communicator_for(session_lab.id, owner_session)
    await communicator.connect()
    try:
        board = await communicator.receive_from(timeout=5)
        assert 'data-testid="restore-worker-1"' in board
        assert 'data-testid="kill-worker-2"' in board
    finally:
        await communicator.disconnect()


async def test_a_flood_of_commands_is_refused_politely(session_lab: Lab, owner_session: str) -> None:
    communicator = communicator_for(session_lab.id, owner_session)
    await communicator.connect()
    try:
        await communicator.receive_from(timeout=5)
        for _ in range(40):
            await communicator.send_to(text_data=command("step", seconds=1))
        await receive_until(communicator, lambda html: "Too many commands" in html)
        runner = live.running_lab(session_lab.id).runner  # type: ignore[union-attr]
        assert runner.now < 40
    finally:
        await communicator.disconnect()


async def test_commands_to_a_stopped_simulation_ask_for_a_reload(
    session_lab: Lab, owner_session: str
) -> None:
    communicator = communicator_for(session_lab.id, owner_session)
    await communicator.connect()
    try:
        await communicator.receive_from(timeout=5)
        await live.running_lab(session_lab.id).stop()  # type: ignore[union-attr]
        await communicator.send_to(text_data=command("step", seconds=10))
        notice = await receive_until(communicator, has("lab-error"))
        assert "Reload the page" in notice
    finally:
        await communicator.disconnect()
