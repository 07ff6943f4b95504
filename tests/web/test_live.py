"""Live labs in the server process: ticking, pushing, stopping when nobody watches."""

from __future__ import annotations

import asyncio

import pytest
from pytest_django.fixtures import Settings

from clusterlab.labs import live
from clusterlab.labs.models import Lab

from .helpers import communicator_for, receive_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_labs")]


async def test_the_clock_ticks_and_reaches_the_page(session_lab: Lab, owner_session: str) -> None:
    await Lab.objects.filter(pk=session_lab.pk).aupdate(speed=600)
    communicator = communicator_for(session_lab.id, owner_session)
    await communicator.connect()
    try:
        await communicator.receive_from(timeout=5)
        # 600x: a minute of virtual time passes in a tenth of a wall second
        pushed = await receive_until(
            communicator, lambda html: "00:01:" in html or "00:02:" in html, seconds=3
        )
        assert 'id="clock"' in pushed
    finally:
        await communicator.disconnect()


async def test_an_unwatched_lab_stops_and_saves_its_clock(
    session_lab: Lab, owner_session: str, settings: Settings
) -> None:
    settings.LAB_IDLE_SECONDS = 0.3
    await Lab.objects.filter(pk=session_lab.pk).aupdate(speed=60)
    communicator = communicator_for(session_lab.id, owner_session)
    await communicator.connect()
    await communicator.receive_from(timeout=5)
    running = live.running_lab(session_lab.id)
    assert running is not None
    await asyncio.sleep(0.5)
    assert live.running_lab(session_lab.id) is running, "a watched lab keeps running"
    await communicator.disconnect()
    for _ in range(50):
        if live.running_lab(session_lab.id) is None:
            break
        await asyncio.sleep(0.1)
    assert live.running_lab(session_lab.id) is None
    saved = await Lab.objects.aget(pk=session_lab.pk)
    assert saved.virtual_time == pytest.approx(running.runner.now)
    assert saved.virtual_time > 30  # 0.5 s and more at 60x


async def test_a_rebuilt_lab_resumes_at_its_saved_time(session_lab: Lab) -> None:
    await Lab.objects.filter(pk=session_lab.pk).aupdate(virtual_time=125.0, paused=True, speed=10)
    lab = await Lab.objects.aget(pk=session_lab.pk)
    running = await live.get_live_lab(lab)
    assert running.runner.now == pytest.approx(125.0)
    assert running.runner.paused is True
    assert running.runner.speed == 10
    assert await live.get_live_lab(lab) is running


async def test_a_runner_started_by_the_page_outlives_the_request(settings: Settings) -> None:
    """The page request starts the runner; it must keep ticking and saving after the response."""
    from django.test import AsyncClient

    settings.LAB_SAVE_SECONDS = 0.2
    client = AsyncClient()
    url = (await client.post("/labs/"))["Location"]
    assert (await client.get(url)).status_code == 200
    lab = await Lab.objects.aget()
    running = live.running_lab(lab.id)
    assert running is not None
    await asyncio.sleep(0.8)
    assert live.running_lab(lab.id) is running, "the runner died after the request ended"
    saved = await Lab.objects.aget(pk=lab.pk)
    assert saved.virtual_time > 0
