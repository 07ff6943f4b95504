"""The virtual clock: a discrete-event scheduler that drives every component.

Kubernetes components act on wall-clock timers (lease renewals, monitor periods, backoffs,
image pulls). Here one clock holds all of them as a heap of (time, sequence, callback): time
only moves when the owner calls `run_until` or `step`, so a run is deterministic and can be
paused, stepped, or run at 600x. Events at the same instant fire in the order they were
scheduled (the sequence number breaks ties), which keeps runs reproducible.

Periodic observers (a controller's "check every 5 s" loop) are scheduled `late`: they fire
after everything else due at the same instant, including work that instant creates. On a
real cluster two timers never coincide to the nanosecond; a check that lands on the same
virtual instant as a heartbeat should see it, as it would a few microseconds later.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass

# Virtual times are rounded to the microsecond so that sums of periods stay exact enough to
# compare: 10 renewals of 10 s land on 100.0, not 99.99999999999999.
_RESOLUTION = 6


@dataclass(slots=True)
class Timer:
    """A scheduled callback; `cancel()` makes it a no-op when its time comes."""

    when: float
    phase: int  # 0: normal; 1: late (after all normal work at the same instant)
    seq: int
    callback: Callable[[], None]
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


# Heap entries are (when, phase, seq, timer): tuples compare in C, and seq is unique.
_Entry = tuple[float, int, int, Timer]


class Clock:
    """Discrete-event virtual clock (seconds since the scenario started)."""

    def __init__(self) -> None:
        self._now = 0.0
        self._seq = 0
        self._heap: list[_Entry] = []

    @property
    def now(self) -> float:
        return self._now

    def call_at(self, when: float, callback: Callable[[], None], late: bool = False) -> Timer:
        """Run `callback` at virtual time `when` (never in the past)."""
        when = round(max(when, self._now), _RESOLUTION)
        self._seq += 1
        phase = 1 if late else 0
        timer = Timer(when, phase, self._seq, callback)
        heapq.heappush(self._heap, (when, phase, self._seq, timer))
        return timer

    def call_later(self, delay: float, callback: Callable[[], None], late: bool = False) -> Timer:
        return self.call_at(self._now + delay, callback, late)

    def call_soon(self, callback: Callable[[], None]) -> Timer:
        """Run at the current instant, after everything already due now."""
        return self.call_at(self._now, callback)

    def next_time(self) -> float | None:
        """When the next live event fires, or None if nothing is scheduled."""
        heap = self._heap
        while heap and heap[0][3].cancelled:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def step(self) -> bool:
        """Fire the next event (and move time to it). False when nothing is scheduled."""
        heap = self._heap
        while heap:
            timer = heapq.heappop(heap)[3]
            if timer.cancelled:
                continue
            self._now = timer.when
            timer.callback()
            return True
        return False

    def run_until(self, until: float) -> None:
        """Fire every event due up to and including `until`, then set the time to `until`."""
        until = round(until, _RESOLUTION)
        heap = self._heap
        pop = heapq.heappop
        while heap and heap[0][0] <= until:
            timer = pop(heap)[3]
            if timer.cancelled:
                continue
            self._now = timer.when
            timer.callback()
        if until > self._now:
            self._now = until

    def pending(self) -> int:
        return sum(1 for e in self._heap if not e[3].cancelled)
