"""Helpers shared by the web tests: sessions, websocket clients, htmx-shaped messages."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.backends.db import SessionStore

from clusterlab.asgi import application

ORIGIN = (b"origin", b"http://127.0.0.1")


@database_sync_to_async
def new_session_key() -> str:
    """A real session in the session store, as a browser would have after visiting."""
    session = SessionStore()
    session["seen"] = True
    session.create()
    assert session.session_key
    return session.session_key


def communicator_for(lab_id: str, session_key: str | None, *, origin: bool = True) -> WebsocketCommunicator:
    """A websocket client for ``lab_id`` carrying the given session cookie."""
    headers = [ORIGIN] if origin else []
    if session_key:
        headers.append((b"cookie", f"sessionid={session_key}".encode()))
    return WebsocketCommunicator(application, f"/ws/labs/{lab_id}/", headers=headers)


async def receive_until(
    communicator: WebsocketCommunicator, predicate: Callable[[str], bool], *, seconds: float = 10.0
) -> str:
    """Read pushes until one satisfies ``predicate``; return it (fail after ``seconds``)."""
    deadline = time.monotonic() + seconds
    seen = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no matching push within {seconds}s ({seen} pushes seen)")
        try:
            message = await communicator.receive_from(timeout=remaining)
        except TimeoutError as error:
            raise AssertionError(f"no matching push within {seconds}s ({seen} pushes seen)") from error
        seen += 1
        if predicate(message):
            return message


def command(action: str, **fields: object) -> str:
    """A message as htmx's ws-send form sends it (fields as strings, plus HEADERS)."""
    payload = {"action": action, **{k: str(v) for k, v in fields.items()}}
    payload["HEADERS"] = {"HX-Request": "true", "HX-Trigger": None, "HX-Current-URL": "http://127.0.0.1/"}
    return json.dumps(payload)
