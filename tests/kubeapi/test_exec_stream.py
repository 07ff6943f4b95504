"""The exec WebSocket, frame by frame (channels: 1 stdout, 2 stderr, 3 Status)."""

from __future__ import annotations

import json

import pytest
from channels.testing import WebsocketCommunicator

from clusterlab.asgi import application
from clusterlab.labs import live
from clusterlab.labs.models import Lab

pytestmark = pytest.mark.django_db(transaction=True)


async def _running_pod(lab: Lab) -> None:
    running = await live.get_live_lab(lab)
    cluster = running.runner.cluster
    cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
        }
    )
    cluster.advance(10)


async def test_frames_of_a_successful_and_a_failing_command() -> None:
    lab = await Lab.objects.acreate(owner_session_key="k", seed=1)
    try:
        await _running_pod(lab)
        base = f"/k8s/{lab.api_key}/api/v1/namespaces/default/pods/p/exec"
        ws = WebsocketCommunicator(
            application,
            f"{base}?command=hostname&stdout=true&stderr=true",
            subprotocols=["v5.channel.k8s.io", "v4.channel.k8s.io"],
        )
        connected, protocol = await ws.connect()
        assert connected and protocol == "v5.channel.k8s.io"
        assert await ws.receive_from() == b"\x01p\n"
        status = await ws.receive_from()
        assert status[0] == 3 and json.loads(status[1:]) == {"metadata": {}, "status": "Success"}
        await ws.disconnect()

        ws = WebsocketCommunicator(
            application,
            f"{base}?command=sh&command=-c&command=exit%207&stdout=true",
            subprotocols=["v4.channel.k8s.io"],
        )
        connected, protocol = await ws.connect()
        assert connected and protocol == "v4.channel.k8s.io"
        status = json.loads((await ws.receive_from())[1:])
        assert status["reason"] == "NonZeroExitCode"
        assert status["details"]["causes"] == [{"reason": "ExitCode", "message": "7"}]
        await ws.disconnect()
    finally:
        await live.stop_all()


async def test_a_wrong_key_or_no_subprotocol_is_refused() -> None:
    lab = await Lab.objects.acreate(owner_session_key="k", seed=1)
    try:
        ws = WebsocketCommunicator(
            application,
            "/k8s/wrongkey/api/v1/namespaces/default/pods/p/exec?command=ls",
            subprotocols=["v5.channel.k8s.io"],
        )
        connected, _ = await ws.connect()
        assert not connected
        ws = WebsocketCommunicator(application, f"/k8s/{lab.api_key}/api/v1/namespaces/default/pods/p/exec")
        connected, _ = await ws.connect()
        assert not connected
    finally:
        await live.stop_all()


async def test_the_key_as_a_bearer_token() -> None:
    lab = await Lab.objects.acreate(owner_session_key="k", seed=1)
    try:
        await _running_pod(lab)
        path = "/k8s/-/api/v1/namespaces/default/pods/p/exec?command=hostname&stdout=true"
        ws = WebsocketCommunicator(
            application,
            path,
            subprotocols=["v5.channel.k8s.io"],
            headers=[(b"authorization", f"Bearer {lab.api_key}".encode())],
        )
        connected, _ = await ws.connect()
        assert connected
        assert await ws.receive_from() == b"\x01p\n"
        await ws.disconnect()
    finally:
        await live.stop_all()
