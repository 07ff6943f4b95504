"""Watches: `GET …?watch=true` as a chunked stream of JSON lines, one event per line.

    {"type":"ADDED","object":{…}}
    {"type":"MODIFIED","object":{…}}            (a one-row Table when the client asked for Table)
    {"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"812"}}}
    {"type":"ERROR","object":{"kind":"Status",…,"reason":"Expired","code":410}}

`open_watch` does the synchronous part on the loop that owns the cluster (resolve, list the
initial state when asked, register an engine watch from a resourceVersion), so bad requests are
still plain 4xx answers; `stream` then yields lines as the engine delivers events on the virtual
clock, until `timeoutSeconds` (wall time) pass, the client goes, or the lab's runner stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from clusterlab.engine import Cluster, conversion
from clusterlab.engine.errors import BadRequest, Gone
from clusterlab.engine.watch import Watch
from clusterlab.kubeapi import negotiation
from clusterlab.kubeapi.messages import ApiRequest
from clusterlab.kubeapi.routing import Route
from clusterlab.kubeapi.tables import table_for

Obj = dict[str, Any]

#: Longest a watch stays open without a `timeoutSeconds` (kube-apiserver: 30–60 min).
DEFAULT_TIMEOUT_SECONDS = 1800.0
#: How often a watch that allows bookmarks gets one (kube-apiserver: about a minute).
BOOKMARK_SECONDS = 60.0
#: How often a quiet stream checks that its lab still runs.
POLL_SECONDS = 1.0
INITIAL_EVENTS_END = "k8s.io/initial-events-end"
#: Events a watch may hold unsent before it is dropped (its client is not reading).
MAX_PENDING = 20000


@dataclass
class Watcher:
    """An open watch: events the engine delivered and not yet sent."""

    cluster: Cluster
    route: Route
    table: bool
    include_object: str | None
    bookmarks: bool
    resource_version: str
    timeout: float
    pending: deque[tuple[str, Obj]] = field(default_factory=deque)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    engine_watch: Watch | None = None
    error: Obj | None = None
    initial_end: bool = False
    _headers_sent: bool = False

    def deliver(self, event_type: str, obj: Obj) -> None:
        """The engine's watch handler (runs on the loop, inside a clock tick). A watcher whose
        client stopped reading is dropped, as kube-apiserver drops one that falls behind."""
        if len(self.pending) >= MAX_PENDING:
            self.close()
            self.pending.clear()
            self.error = Gone("the watch fell too far behind; list again and watch from there").status()
        else:
            self.pending.append((event_type, obj))
        self.wake.set()

    def advance(self, resource_version: str | None) -> None:
        """Remember the newest resourceVersion sent (what a bookmark may promise)."""
        if resource_version and resource_version.isdigit():
            current = self.resource_version
            if not current.isdigit() or int(resource_version) > int(current):
                self.resource_version = resource_version

    def close(self) -> None:
        if self.engine_watch is not None:
            self.engine_watch.stop()
            self.engine_watch = None

    def line(self, event_type: str, obj: Obj) -> bytes:
        """One event as a JSON line (Table-shaped when asked; column headers only once)."""
        if self.table and event_type in ("ADDED", "MODIFIED", "DELETED"):
            rv = (obj.get("metadata") or {}).get("resourceVersion")
            out = table_for(
                self.cluster,
                self.route.kind,
                [obj],
                self.include_object,
                rv,
                no_headers=self._headers_sent,
            )
            self._headers_sent = True
        elif self.route.version:  # the object as the URL's version shows it
            out = conversion.from_storage(self.route.kind, self.route.version, obj)
        else:
            out = obj
        return json.dumps({"type": event_type, "object": out}, separators=(",", ":")).encode() + b"\n"

    def bookmark(self, *, initial_end: bool = False) -> bytes:
        kind = self.route.kind
        meta: Obj = {"resourceVersion": self.resource_version}
        if initial_end:
            meta["annotations"] = {INITIAL_EVENTS_END: "true"}
        obj = {"kind": kind.kind, "apiVersion": self.route.api_version, "metadata": meta}
        return json.dumps({"type": "BOOKMARK", "object": obj}, separators=(",", ":")).encode() + b"\n"


def open_watch(cluster: Cluster, route: Route, req: ApiRequest) -> Watcher:
    """Register the watch (synchronously, on the cluster's loop). 4xx problems raise ApiError;
    a resourceVersion too old to resume from becomes the stream's 410 ERROR event."""
    if not route.is_collection and route.subresource is None:
        # GET …/pods/<name>?watch=true watches one object, as a field selector would.
        field_sel = f"metadata.name={route.name}"
        route = Route(route.kind, route.namespace, version=route.version)
    elif route.is_collection:
        field_sel = req.query.get("fieldSelector") or ""
    else:
        raise BadRequest("watching a subresource is not supported")
    table = negotiation.wants_table(req.accept)
    timeout = req.int_param("timeoutSeconds")
    watcher = Watcher(
        cluster=cluster,
        route=route,
        table=table,
        include_object=req.query.get("includeObject"),
        bookmarks=req.flag("allowWatchBookmarks"),
        resource_version=req.query.get("resourceVersion") or "",
        timeout=float(timeout) if timeout and timeout > 0 else DEFAULT_TIMEOUT_SECONDS,
    )
    server, kind, user = cluster.server, route.kind, req.user
    labels = req.query.get("labelSelector") or None
    fields = field_sel or None
    send_initial = req.flag("sendInitialEvents")
    rv = watcher.resource_version
    if rv in ("", "0") or send_initial:
        items, rv = server.list(user, kind.plural, route.namespace, labels, fields)
        for obj in items:
            watcher.pending.append(("ADDED", obj))
        watcher.resource_version = rv
        watcher.initial_end = send_initial and watcher.bookmarks
    try:
        watcher.engine_watch = server.watch(
            user, kind.plural, watcher.deliver, route.namespace, labels, fields, resource_version=rv
        )
    except Gone as expired:
        watcher.error = expired.status()
    except ValueError as exc:
        raise BadRequest(f'invalid resourceVersion "{rv[:40]}": {exc}') from exc
    return watcher


async def stream(watcher: Watcher, alive: Callable[[], bool]) -> AsyncIterator[bytes]:
    """The event lines of an open watch, until it times out, the client leaves (the generator
    is cancelled or closed) or ``alive()`` turns false (the lab stopped). The engine watch is
    always closed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + watcher.timeout
    next_bookmark = loop.time() + BOOKMARK_SECONDS
    try:
        # An empty chunk makes the server send the status line and headers now: clients wait
        # for them before reading events (kubectl's delete-and-wait hangs until they come).
        yield b""
        initial_left = len(watcher.pending) if watcher.initial_end else None
        if initial_left == 0:
            initial_left = None
            yield watcher.bookmark(initial_end=True)
        while True:
            if watcher.error is not None:  # too old to resume from, or dropped for not reading
                yield (
                    json.dumps({"type": "ERROR", "object": watcher.error}, separators=(",", ":")).encode()
                    + b"\n"
                )
                return
            while watcher.pending:
                event_type, obj = watcher.pending.popleft()
                watcher.advance((obj.get("metadata") or {}).get("resourceVersion"))
                yield watcher.line(event_type, obj)
                if initial_left is not None:
                    initial_left -= 1
                    if initial_left <= 0:
                        initial_left = None
                        yield watcher.bookmark(initial_end=True)
            now = loop.time()
            if now >= deadline or not alive():
                return
            if watcher.bookmarks and now >= next_bookmark:
                next_bookmark = now + BOOKMARK_SECONDS
                yield watcher.bookmark()
            watcher.wake.clear()
            wait = min(deadline - now, POLL_SECONDS)
            if watcher.bookmarks:
                wait = min(wait, next_bookmark - now)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(watcher.wake.wait(), timeout=max(wait, 0.01))
    finally:
        watcher.close()
