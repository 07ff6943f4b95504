"""A de-duplicating, rate-limited work queue on the virtual clock (client-go's workqueue).

Handlers add keys; a key already waiting is not added twice, and a key being processed is
re-queued once after it finishes ("dirty" set), so a controller never syncs the same object
concurrently and never misses a change. `add_after` delays on the virtual clock;
`add_rate_limited` waits the longer of two limits, as client-go's default controller rate
limiter does: a per-item exponential back-off (5 ms doubling to 1000 s, until `forget`) and one
token bucket for the whole queue (10 requeues a second, bursts of 100). Controllers `forget` a
key after every successful sync, so without the bucket a key requeued on purpose (a Deployment
waiting for its progress check, `requeueStuckDeployment`) would come back every 5 ms forever.

Work takes time: `workers` keys are processed at once (like `--concurrent-replicaset-syncs`),
and each sync keeps its worker busy for the virtual time `process` returns (a fraction of a
millisecond plus a microsecond per object it examined — what a Go controller spends). Events
that arrive meanwhile collapse into one re-sync, which is what keeps a real ReplicaSet
controller from syncing 30,000 times while 30,000 pods start.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from .clock import Clock, Timer

BASE_DELAY = 0.005
MAX_DELAY = 1000.0
#: The queue-wide token bucket: requeues per second, and how many may come at once.
BUCKET_RATE = 10.0
BUCKET_SIZE = 100


class WorkQueue:
    def __init__(self, clock: Clock, process: Callable[[str], float], workers: int = 1) -> None:
        self.clock = clock
        self.process = process
        self.workers = workers
        self._queue: deque[str] = deque()
        self._queued: set[str] = set()
        self._processing: set[str] = set()
        self._dirty: set[str] = set()
        self._waiting: dict[str, Timer] = {}
        self._failures: dict[str, int] = {}
        self._tokens = float(BUCKET_SIZE)
        self._tokens_at = clock.now
        self._busy = 0
        self._drain_timer: Timer | None = None
        self.paused = False

    def __len__(self) -> int:
        return len(self._queue)

    def add(self, key: str) -> None:
        if key in self._processing:
            self._dirty.add(key)
            return
        if key in self._queued:
            return
        self._queued.add(key)
        self._queue.append(key)
        self._schedule()

    def add_after(self, key: str, delay: float) -> None:
        if delay <= 0:
            self.add(key)
            return
        when = self.clock.now + delay
        existing = self._waiting.get(key)
        if existing is not None and not existing.cancelled:
            if existing.when <= when:
                return
            existing.cancel()

        def fire() -> None:
            self._waiting.pop(key, None)
            self.add(key)

        self._waiting[key] = self.clock.call_at(when, fire)

    def add_rate_limited(self, key: str) -> None:
        n = self._failures.get(key, 0)
        self._failures[key] = n + 1
        self.add_after(key, max(min(BASE_DELAY * (2**n), MAX_DELAY), self._bucket_delay()))

    def _bucket_delay(self) -> float:
        """Take a token from the queue-wide bucket; how long until it is there (a reservation
        may run the bucket below zero: later ones wait in line, 1/BUCKET_RATE apart)."""
        now = self.clock.now
        self._tokens = min(float(BUCKET_SIZE), self._tokens + (now - self._tokens_at) * BUCKET_RATE)
        self._tokens_at = now
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / BUCKET_RATE

    def forget(self, key: str) -> None:
        self._failures.pop(key, None)

    def num_requeues(self, key: str) -> int:
        return self._failures.get(key, 0)

    def _schedule(self) -> None:
        if self._drain_timer is None and not self.paused and self._busy < self.workers and self._queue:
            self._drain_timer = self.clock.call_soon(self._drain)

    def _drain(self) -> None:
        self._drain_timer = None
        while self._queue and self._busy < self.workers and not self.paused:
            key = self._queue.popleft()
            self._queued.discard(key)
            self._processing.add(key)
            self._busy += 1
            cost = 0.0
            try:
                cost = self.process(key)
            finally:
                if cost > 0:
                    self.clock.call_later(cost, lambda k=key: self._done(k))
                else:
                    self._done(key)

    def _done(self, key: str) -> None:
        self._busy -= 1
        self._processing.discard(key)
        if key in self._dirty:
            self._dirty.discard(key)
            self.add(key)
        self._schedule()

    def pause(self) -> None:
        self.paused = True
        if self._drain_timer is not None:
            self._drain_timer.cancel()
            self._drain_timer = None

    def resume(self) -> None:
        self.paused = False
        self._schedule()
