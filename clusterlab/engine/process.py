"""A component process's view of the virtual clock: its timers die with it.

On a real node a control-plane component is an operating-system process (in a kubeadm cluster,
the one container of a static pod). When it stops, every goroutine, ticker and retry loop it
had stops with it, and the next process that starts knows nothing of them. `ProcessClock` gives
a component exactly that: it schedules on the cluster's clock like any caller, but `kill()`
cancels everything the process had pending and turns whatever it schedules afterwards into a
no-op, so a stopped scheduler or controller manager cannot act from beyond the grave.
"""

from __future__ import annotations

from collections.abc import Callable

from .clock import Clock, Timer


class ProcessClock(Clock):
    """A `Clock` whose timers all belong to one process. Time itself is the cluster's: this
    view can only schedule, never advance it."""

    def __init__(self, clock: Clock) -> None:  # the base's heap stays unused: time is `clock`'s
        self._clock = clock
        self._timers: dict[int, Timer] = {}
        self._prune_at = 1024
        self.alive = True

    @property
    def now(self) -> float:
        return self._clock.now

    def call_at(self, when: float, callback: Callable[[], None], late: bool = False) -> Timer:
        if not self.alive:
            return Timer(when, 0, 0, callback, cancelled=True)

        def fire() -> None:
            self._timers.pop(timer.seq, None)
            callback()

        timer = self._clock.call_at(when, fire, late)
        timers = self._timers
        timers[timer.seq] = timer
        if len(timers) > self._prune_at:  # forget timers their owners cancelled
            self._timers = timers = {seq: t for seq, t in timers.items() if not t.cancelled}
            self._prune_at = max(1024, 2 * len(timers))
        return timer

    def call_later(self, delay: float, callback: Callable[[], None], late: bool = False) -> Timer:
        return self.call_at(self._clock.now + delay, callback, late)

    def call_soon(self, callback: Callable[[], None]) -> Timer:
        return self.call_at(self._clock.now, callback)

    def next_time(self) -> float | None:
        return self._clock.next_time()

    def step(self) -> bool:
        raise RuntimeError("a process cannot move the cluster's time")

    def run_until(self, until: float) -> None:
        raise RuntimeError("a process cannot move the cluster's time")

    def pending(self) -> int:
        return sum(1 for t in self._timers.values() if not t.cancelled)

    def kill(self) -> None:
        """The process exits: nothing it scheduled will run, nor anything it schedules later."""
        self.alive = False
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
