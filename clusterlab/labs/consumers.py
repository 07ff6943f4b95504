"""The lab's websocket: pushes fragments to the page, takes commands from its ws-send forms."""

from __future__ import annotations

import json
import time
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer

from clusterlab.labs.access import actor_name, aget_owned_lab
from clusterlab.labs.commands import CommandError, parse_command
from clusterlab.labs.fragments import render_error, render_fragments, top_level
from clusterlab.labs.live import LiveLab, get_live_lab

#: Largest message accepted from a page (a form's fields and htmx's headers fit easily).
MAX_MESSAGE_BYTES = 16 * 1024
#: Close code for a lab that does not exist or is not yours (the handshake is refused).
CLOSE_NOT_FOUND = 4404
#: Commands a page may send in a burst, and per second after that.
COMMAND_BURST = 20
COMMANDS_PER_SECOND = 5.0


class CommandBudget:
    """A token bucket: ``COMMAND_BURST`` commands at once, then ``COMMANDS_PER_SECOND``."""

    def __init__(self, burst: int = COMMAND_BURST, rate: float = COMMANDS_PER_SECOND) -> None:
        self.burst = burst
        self.rate = rate
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        """Spend one token if there is one."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class LabConsumer(AsyncWebsocketConsumer):
    """``ws/labs/<lab_id>/``: one browser tab showing one lab."""

    live: LiveLab | None = None

    async def connect(self) -> None:
        """Accept only the lab's owner; join the lab's group; send the whole board once."""
        self.budget = CommandBudget()
        lab_id = self.scope["url_route"]["kwargs"]["lab_id"]
        session = self.scope.get("session")
        session_key = getattr(session, "session_key", None)
        self.user = self.scope.get("user")
        lab = await aget_owned_lab(lab_id, self.user, session_key)
        if lab is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.live = await get_live_lab(lab)
        self.live.attach()  # at once, so the runner cannot stop as idle while we join
        await self.channel_layer.group_add(self.live.group, self.channel_name)
        await self.accept()
        await self.send(text_data=render_fragments(top_level(self.live.runner.fragments())))

    async def disconnect(self, code: int) -> None:
        """Leave the group; the runner stops later if nobody else is watching."""
        if self.live is not None:
            self.live.detach()
            await self.channel_layer.group_discard(self.live.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Parse one command and hand it to the runner; answer problems with an error notice."""
        if self.live is None:
            return
        if text_data is None or len(text_data) > MAX_MESSAGE_BYTES:
            await self.send_error("Commands must be JSON text of reasonable size.")
            return
        try:
            message: Any = json.loads(text_data)
        except ValueError:
            await self.send_error("That message was not valid JSON.")
            return
        if not self.live.running:
            await self.send_error("The simulation has stopped. Reload the page to resume it.")
            return
        if not self.budget.take():
            await self.send_error("Too many commands at once: wait a moment and try again.")
            return
        try:
            command = parse_command(message)
        except CommandError as error:
            await self.send_error(str(error))
            return
        problem = await self.live.execute(command, actor_name(self.user))
        await self.send_error(problem or "")

    async def send_error(self, message: str) -> None:
        """Show (or, with an empty message, clear) the error notice on this page only."""
        await self.send(text_data=render_error(message))

    async def lab_html(self, event: dict[str, Any]) -> None:
        """Forward fragments the runner published to the lab's group."""
        await self.send(text_data=event["html"])
