"""A procedure an administrator runs step by step on the virtual clock, with its console log.

`kubeadm upgrade apply`, `kubectl drain` and a whole cluster upgrade are sequences of actions and
waits ("wait until the new kube-apiserver answers", "retry the eviction after 5 s"). A
`Procedure` runs such a sequence: each step is a function that acts and returns None to go
on at once, or a `Wait` (a condition polled every `interval` virtual seconds). Lines a real
tool would print go to `log`, each with the virtual time it was printed. A step that raises
`ProcedureFailed` stops the procedure (`failed` holds the message); `cancel()` stops it too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from .clock import Clock, Timer


@dataclass
class Wait:
    """Poll `ready` every `interval` seconds (first at once if `immediate`); `waiting` says
    what the procedure waits for."""

    ready: Callable[[], bool]
    interval: float
    waiting: str = ""
    immediate: bool = True


Step = Callable[[], "Wait | None"]


class ProcedureFailed(Exception):
    """A step could not go on; the message is what the tool printed last."""


@dataclass
class Procedure:
    clock: Clock
    title: str
    log: list[tuple[float, str]] = field(default_factory=list)
    done: bool = False
    failed: str | None = None
    waiting: str = ""
    _steps: Iterator[Step] | None = None
    _timer: Timer | None = None

    def say(self, line: str) -> None:
        self.log.append((self.clock.now, line))

    def run(self, steps: Iterator[Step]) -> Procedure:
        self._steps = steps
        self._next()
        return self

    @property
    def running(self) -> bool:
        return not self.done and self.failed is None

    def cancel(self, reason: str = "cancelled") -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self.running:
            self.failed = reason

    def text(self) -> str:
        return "".join(line + "\n" for _, line in self.log)

    def _next(self) -> None:
        assert self._steps is not None
        while self.running:
            step = next(self._steps, None)
            if step is None:
                self.done, self.waiting = True, ""
                return
            try:
                wait = step()
            except ProcedureFailed as exc:
                self.failed, self.waiting = str(exc), ""
                return
            if wait is not None and not (wait.immediate and wait.ready()):
                self._poll(wait)
                return

    def _poll(self, wait: Wait) -> None:
        self.waiting = wait.waiting

        def check() -> None:
            self._timer = None
            if not self.running:
                return
            if wait.ready():
                self.waiting = ""
                self._next()
            else:
                self._timer = self.clock.call_later(wait.interval, check)

        self._timer = self.clock.call_later(wait.interval, check)
