"""Watches: how changes reach the components that asked to hear about them.

A watch is a long-lived request for the changes to one resource that match a namespace, a
label selector and a field selector. Like the API server's watch cache, the hub indexes pod
watches by the `spec.nodeName` they select, so a thousand kubelets each watching their own
pods cost nothing per unrelated change. An object entering a watch's selection arrives as
ADDED, leaving it as DELETED. Events are buffered and delivered on the virtual clock, after
the write that caused them has returned — as over a real connection.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .clock import Clock, Timer
from .kinds import Kind
from .selectors import FieldSelector, LabelSelector
from .store import ADDED, DELETED, MODIFIED, Change

Obj = dict[str, Any]
WatchHandler = Callable[[str, Obj], None]


class WatchHub:
    """Every open watch, by resource (and, for pods, by the node they select)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._watches: dict[str, list[Watch]] = {}
        self._node_watches: dict[str, dict[str, list[Watch]]] = {}

    def register(self, w: Watch) -> None:
        if w.node_name is not None:
            self._node_watches.setdefault(w.kind.plural, {}).setdefault(w.node_name, []).append(w)
        else:
            self._watches.setdefault(w.kind.plural, []).append(w)

    def unregister(self, w: Watch) -> None:
        if w.node_name is not None:
            lst = self._node_watches.get(w.kind.plural, {}).get(w.node_name, [])
        else:
            lst = self._watches.get(w.kind.plural, [])
        if w in lst:
            lst.remove(w)

    def fanout(self, change: Change) -> None:
        for w in self._watches.get(change.plural, ()):
            w.offer(change)
        by_node = self._node_watches.get(change.plural)
        if by_node:
            nodes = []
            for obj in (change.old, change.new):
                n = obj["spec"].get("nodeName") if obj is not None else None
                if n and n not in nodes:
                    nodes.append(n)
            for n in nodes:
                for w in by_node.get(n, ()):
                    w.offer(change)


class Watch:
    """A watch connection: buffered events, delivered on the clock in order."""

    def __init__(
        self,
        hub: WatchHub,
        kind: Kind,
        namespace: str | None,
        labels: LabelSelector,
        field_sel: FieldSelector,
        handler: WatchHandler,
        node_name: str | None,
    ) -> None:
        self.hub = hub
        self.kind = kind
        self.namespace = namespace
        self.labels = labels
        self.fields = field_sel
        self.handler = handler
        self.node_name = node_name
        self.pending: list[tuple[str, Obj]] = []
        self.timer: Timer | None = None
        self.stopped = False

    def matches(self, obj: Obj | None) -> bool:
        if obj is None:
            return False
        meta = obj["metadata"]
        if self.namespace is not None and meta.get("namespace") != self.namespace:
            return False
        if not self.labels.empty() and not self.labels.matches(meta.get("labels")):
            return False
        return not self.fields.requirements or self.fields.matches(obj, self.kind.fields)

    def offer(self, change: Change) -> None:
        old_in, new_in = self.matches(change.old), self.matches(change.new)
        if new_in and old_in:
            self.pending.append((MODIFIED, change.new))  # type: ignore[arg-type]
        elif new_in:
            self.pending.append((ADDED, change.new))  # type: ignore[arg-type]
        elif old_in:
            # Leaving the selection (or deletion) is a DELETED event for this watcher.
            self.pending.append((DELETED, change.old if change.new is None else change.new))  # type: ignore[arg-type]
        else:
            return
        if self.timer is None:
            self.timer = self.hub.clock.call_soon(self._deliver)

    def _deliver(self) -> None:
        self.timer = None
        events, self.pending = self.pending, []
        for etype, obj in events:
            if self.stopped:
                return
            self.handler(etype, obj)

    def stop(self) -> None:
        self.stopped = True
        self.hub.unregister(self)
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
