"""`kubectl exec` over the lab API: the WebSocket remote-command protocol (v5/v4.channel.k8s.io).

kubectl (1.30+) opens a WebSocket to `.../pods/<name>/exec?command=…&container=…&stdout=true`
offering the `v5.channel.k8s.io` subprotocol (and older ones). Every binary message starts with
a channel byte: 0 stdin, 1 stdout, 2 stderr, 3 the final `Status` (success, or
`NonZeroExitCode` with the exit code, or the error), 255 (v5) "close this channel" — the client
closes stdin that way. The server sends the command's output and the Status, then closes.

This consumer authenticates like the HTTP API (the lab key in the path; kubectl sends no Origin,
so it is not behind the browser routes' origin check), runs the command through the engine's
`pods/exec` (on the event loop that owns the lab's cluster), and streams the result.

kubectl registers its streams (error, stdout, stderr) in a goroutine that runs alongside the one
reading the socket, and drops any frame for a stream it has not registered yet ("Unknown stream id
1, discarding message", then "error: closed all streams"). A real API server never trips this: the
first byte of output comes only after it has dialled the kubelet and the runtime has started the
process, tens of milliseconds after the upgrade. Here the command's result is ready at once, so the
consumer waits `STREAM_SETUP_DELAY` of real time after accepting before it sends anything.

A command that takes virtual time (a `wget` waiting out its timeout, a lookup against an unreachable
CoreDNS) answers once the lab's clock has run that long, as the real one would; a paused lab holds
it (up to `MAX_WAIT` real seconds).

Simplified: output arrives all at once when the command ends; no TTY or terminal resizing; the
command runs once stdin is closed (or at once without stdin); the SPDY fallback is not served
(kubectl only falls back when the WebSocket upgrade fails, and here it does not).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncWebsocketConsumer

from clusterlab.engine import ApiError
from clusterlab.engine.audit import User
from clusterlab.kubeapi.keys import lab_for
from clusterlab.labs.live import get_live_lab

PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
STDIN, STDOUT, STDERR, ERROR, CLOSE = 0, 1, 2, 3, 255
MAX_STDIN = 1024 * 1024
# Real seconds between the upgrade and the first frame: the time kubectl needs to register its
# streams (see the module docstring); about what a real exec takes to reach the container.
STREAM_SETUP_DELAY = 0.2
MAX_WAIT = 600.0  # real seconds a command waiting on the lab's clock may hold the connection
POLL = 0.05


def status_for(exit_code: int, command: list[str]) -> dict[str, Any]:
    if exit_code == 0:
        return {"metadata": {}, "status": "Success"}
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"command terminated with non-zero exit code: error executing command "
        f"[{' '.join(command)}], exit code {exit_code}",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(exit_code)}]},
    }


class ExecConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        kwargs = self.scope["url_route"]["kwargs"]
        offered = self.scope.get("subprotocols") or []
        protocol = next((p for p in PROTOCOLS if p in offered), None)
        headers = dict(self.scope.get("headers") or [])
        lab = await lab_for(kwargs["key"], headers.get(b"authorization", b"").decode(errors="replace"))
        if lab is None or protocol is None:
            await self.close(code=4404 if lab is None else 4400)
            return
        query = parse_qs(self.scope.get("query_string", b"").decode(), keep_blank_values=True)
        self.command = query.get("command", [])
        self.container = (query.get("container") or [None])[0] or None
        self.wants_stdin = (query.get("stdin") or ["false"])[0] == "true"
        self.namespace, self.pod = kwargs["namespace"], kwargs["name"]
        self.stdin = b""
        self.live = await get_live_lab(lab)
        self.live.touch()
        await self.accept(subprotocol=protocol)
        if not self.wants_stdin:
            # With stdin the client's first frame shows its streams exist; without it, wait.
            await asyncio.sleep(STREAM_SETUP_DELAY)
            await self._run()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        data = bytes_data if bytes_data is not None else (text_data or "").encode()
        if not data or not self.wants_stdin:
            return
        channel, payload = data[0], data[1:]
        if channel == STDIN:
            self.stdin = (self.stdin + payload)[:MAX_STDIN]
        elif channel == CLOSE and payload[:1] == bytes([STDIN]):
            await self._run()

    async def _run(self) -> None:
        user = User("kubernetes-admin", "kubectl")
        runner = self.live.runner
        cluster = runner.cluster
        started = runner.now
        try:
            result = cluster.server.pod_exec(
                user,
                self.pod,
                self.namespace,
                self.container,
                self.command,
                self.stdin.decode(errors="replace"),
            )
        except ApiError as error:
            status = error.status()
            status.pop("kind", None)
            status.pop("apiVersion", None)
            await self.send(bytes_data=bytes([ERROR]) + json.dumps(status).encode())
        else:
            await self._wait_for_clock(started + result.seconds)
            if result.stdout:
                await self.send(bytes_data=bytes([STDOUT]) + result.stdout.encode())
            if result.stderr:
                await self.send(bytes_data=bytes([STDERR]) + result.stderr.encode())
            status = status_for(result.exit_code, self.command)
            await self.send(bytes_data=bytes([ERROR]) + json.dumps(status).encode())
        await self.close()

    async def _wait_for_clock(self, until: float) -> None:
        """Hold the answer until the lab's virtual clock reaches `until` (it runs at the lab's speed)."""
        waited = 0.0
        while self.live.runner.now < until and waited < MAX_WAIT:
            await asyncio.sleep(POLL)
            waited += POLL
