"""The scheduling queue: activeQ, backoffQ and the unschedulable pool.

As in kube-scheduler's `internal/queue`: new pods wait in activeQ (highest priority first,
then oldest). A pod that failed goes to the unschedulable pool; a cluster event that could
help (a node added or changed, an assigned pod deleted) moves those pods back — into backoffQ
if their backoff (1 s doubling per attempt, at most 10 s) has not expired, else straight to
activeQ. Pods left in the pool for 5 minutes are flushed back regardless (checked every 30 s).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..clock import Clock, Timer

INITIAL_BACKOFF = 1.0
MAX_BACKOFF = 10.0
MAX_IN_UNSCHEDULABLE = 300.0
FLUSH_PERIOD = 30.0


@dataclass
class QueuedPod:
    key: str
    priority: int
    added: float  # when it first entered the queue (ordering)
    attempts: int = 0
    last_failure: float = 0.0
    unschedulable_since: float = 0.0


class SchedulingQueue:
    def __init__(self, clock: Clock, on_ready: Callable[[], None]) -> None:
        self.clock = clock
        self.on_ready = on_ready
        self.info: dict[str, QueuedPod] = {}
        self._active: list[tuple[int, float, int, str]] = []
        self._active_keys: set[str] = set()
        self._seq = 0
        self.backoff: dict[str, Timer] = {}
        self.unschedulable: dict[str, QueuedPod] = {}
        self._flush_timer: Timer | None = None

    def start(self) -> None:
        self._flush_timer = self.clock.call_later(FLUSH_PERIOD, self._flush)

    def stop(self) -> None:
        if self._flush_timer is not None:
            self._flush_timer.cancel()
        for t in self.backoff.values():
            t.cancel()

    def __len__(self) -> int:
        return len(self._active_keys)

    def add(self, key: str, pod: dict[str, Any]) -> None:
        if key in self.info:
            return
        qp = QueuedPod(key, int(pod["spec"].get("priority", 0) or 0), self.clock.now)
        self.info[key] = qp
        self._push_active(qp)

    def _push_active(self, qp: QueuedPod) -> None:
        if qp.key in self._active_keys:
            return
        self._seq += 1
        heapq.heappush(self._active, (-qp.priority, qp.added, self._seq, qp.key))
        self._active_keys.add(qp.key)
        self.on_ready()

    def pop(self) -> QueuedPod | None:
        while self._active:
            _, _, _, key = heapq.heappop(self._active)
            if key in self._active_keys:
                self._active_keys.discard(key)
                qp = self.info.get(key)
                if qp is not None:
                    qp.attempts += 1
                    return qp
        return None

    def delete(self, key: str) -> None:
        self.info.pop(key, None)
        self._active_keys.discard(key)
        self.unschedulable.pop(key, None)
        t = self.backoff.pop(key, None)
        if t is not None:
            t.cancel()

    def done(self, key: str) -> None:
        """The pod was scheduled (or left our hands)."""
        self.delete(key)

    def backoff_duration(self, qp: QueuedPod) -> float:
        return min(INITIAL_BACKOFF * 2 ** max(qp.attempts - 1, 0), MAX_BACKOFF)

    def unschedulable_pod(self, key: str) -> None:
        qp = self.info.get(key)
        if qp is None:
            return
        qp.last_failure = self.clock.now
        qp.unschedulable_since = self.clock.now
        self.unschedulable[key] = qp

    def requeue_with_backoff(self, key: str) -> None:
        """An error (not a verdict) — retry after backoff."""
        qp = self.info.get(key)
        if qp is None:
            return
        qp.last_failure = self.clock.now
        self._to_backoff_or_active(qp)

    def _to_backoff_or_active(self, qp: QueuedPod) -> None:
        ready_at = qp.last_failure + self.backoff_duration(qp)
        if ready_at <= self.clock.now:
            self._push_active(qp)
            return
        if qp.key in self.backoff:
            return

        def fire(k: str = qp.key) -> None:
            self.backoff.pop(k, None)
            q = self.info.get(k)
            if q is not None:
                self._push_active(q)

        self.backoff[qp.key] = self.clock.call_at(ready_at, fire)

    def move_all_to_active_or_backoff(self) -> None:
        """A cluster event that may make unschedulable pods schedulable."""
        pods, self.unschedulable = list(self.unschedulable.values()), {}
        for qp in pods:
            self._to_backoff_or_active(qp)

    def _flush(self) -> None:
        self._flush_timer = self.clock.call_later(FLUSH_PERIOD, self._flush)
        now = self.clock.now
        stale = [
            qp for qp in self.unschedulable.values() if now - qp.unschedulable_since >= MAX_IN_UNSCHEDULABLE
        ]
        for qp in stale:
            del self.unschedulable[qp.key]
            self._to_backoff_or_active(qp)

    def pending_keys(self) -> list[str]:
        return list(self.info)
