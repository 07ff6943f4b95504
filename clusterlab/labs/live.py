"""Live labs: the asyncio side of the runner, and the per-process registry of live labs.

A ``LiveLab`` wraps a :class:`~clusterlab.labs.runner.LabRunner` with an asyncio task that ticks
it every ``LAB_TICK_SECONDS`` of wall time (spending at most ``LAB_TICK_WORK_SECONDS`` of processor
time in the engine per tick) and sends the changed fragments, rendered once, to the lab's channel-layer group
(every socket showing that lab is a member), and saves the virtual clock every
``LAB_SAVE_SECONDS``. Commands are applied at
once and their effect is pushed without waiting for the next tick. The task stops when no client
has been connected for ``LAB_IDLE_SECONDS``; the next visit rebuilds the lab from its log.

Engine work is synchronous and runs on the event loop between awaits, so the cluster is only
ever touched from one thread. The registry is per event loop (a server has one; each async test
has its own), which keeps tasks from outliving the loop they run on.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import weakref

from channels.layers import get_channel_layer
from django.conf import settings

from clusterlab.engine import ApiError
from clusterlab.labs.commandlog import append_command, load_commands, save_clock
from clusterlab.labs.commands import Command
from clusterlab.labs.fragments import Fragment, render_error, render_fragments
from clusterlab.labs.models import Lab
from clusterlab.labs.runner import LabRunner, LoggedCommand

logger = logging.getLogger(__name__)


def group_name(lab_id: str) -> str:
    """The channel-layer group of a lab's sockets."""
    return f"lab.{lab_id}"


class LiveLab:
    """One running lab in this process."""

    def __init__(self, lab_id: str, runner: LabRunner) -> None:
        self.lab_id = lab_id
        self.runner = runner
        self.group = group_name(lab_id)
        self.clients = 0
        self._loop = asyncio.get_running_loop()
        self._idle_since = self._loop.time()
        self._publish_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Start ticking, in a fresh context: the task outlives the request or socket that
        started it, so it must not inherit their context (asgiref's per-request executor)."""
        self._task = self._loop.create_task(
            self._run(), name=f"lab-runner-{self.lab_id}", context=contextvars.Context()
        )

    @property
    def running(self) -> bool:
        """True while the ticking task is alive."""
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        """Cancel the ticking task and wait for it."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def attach(self) -> None:
        """A socket showing this lab connected."""
        self.clients += 1

    def detach(self) -> None:
        """A socket showing this lab went away."""
        self.clients = max(0, self.clients - 1)
        if self.clients == 0:
            self._idle_since = self._loop.time()

    def touch(self) -> None:
        """Someone used this lab without a socket (a Kubernetes API request): with no page
        open, it stays live for another ``LAB_IDLE_SECONDS`` from now."""
        if self.clients == 0:
            self._idle_since = self._loop.time()

    async def _run(self) -> None:
        tick = float(settings.LAB_TICK_SECONDS)
        idle_limit = float(settings.LAB_IDLE_SECONDS)
        save_every = float(settings.LAB_SAVE_SECONDS)
        last = self._loop.time()
        last_save = last
        try:
            while True:
                await asyncio.sleep(tick)
                now = self._loop.time()
                wall_dt, last = now - last, now
                async with self._publish_lock:
                    await self.publish(self.runner.tick(wall_dt))
                if self.clients == 0 and now - self._idle_since >= idle_limit:
                    logger.info("lab %s idle: stopping its runner", self.lab_id)
                    await self._save_clock_quietly()
                    break
                if now - last_save >= save_every:
                    last_save = now
                    await self._save_clock_quietly()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("lab %s runner failed", self.lab_id)
            with contextlib.suppress(Exception):
                layer = get_channel_layer()
                if layer is not None:
                    notice = render_error(
                        "The simulation stopped unexpectedly. Reload the page to resume it."
                    )
                    await layer.group_send(self.group, {"type": "lab.html", "html": notice})
        finally:
            _forget(self)

    # -- talking to the page ------------------------------------------------------------------

    async def publish(self, fragments: list[Fragment]) -> None:
        """Send ``fragments`` (rendered once) to every socket on this lab."""
        if not fragments:
            return
        html = render_fragments(fragments)
        layer = get_channel_layer()
        if layer is not None:
            await layer.group_send(self.group, {"type": "lab.html", "html": html})

    async def publish_changes(self) -> None:
        """Diff the board against what was last sent and send the difference (in order)."""
        async with self._publish_lock:
            await self.publish(self.runner.changed_fragments())

    async def execute(self, command: Command, actor: str) -> str | None:
        """Apply a command now, log it if it changed the cluster, push the result.

        Returns an error message for the learner when the engine refused the command.
        """
        try:
            entry = self.runner.execute(command, actor)
        except ApiError as error:
            return error.message
        try:
            if entry is not None:
                await append_command(self.lab_id, entry, self.runner.now)
            else:
                await self.save_clock()
        except Exception:
            logger.exception("lab %s: could not save %s", self.lab_id, command.action)
            await self.publish_changes()
            return "The command ran, but saving it failed: a restart may lose it."
        await self.publish_changes()
        return None

    async def record(self, entry: LoggedCommand) -> bool:
        """Persist a log entry the caller already applied (``LabRunner.log_applied``) and push
        what changed. Returns False when saving failed (the change stands until a restart)."""
        saved = True
        try:
            await append_command(self.lab_id, entry, self.runner.now)
        except Exception:
            logger.exception("lab %s: could not save %s", self.lab_id, entry.action)
            saved = False
        await self.publish_changes()
        return saved

    async def save_clock(self) -> None:
        """Persist the virtual time, speed and pause state."""
        await save_clock(
            self.lab_id, virtual_time=self.runner.now, speed=self.runner.speed, paused=self.runner.paused
        )

    async def _save_clock_quietly(self) -> None:
        """``save_clock`` for the ticking task: a failed save is logged, and ticking goes on."""
        try:
            await self.save_clock()
        except Exception:
            logger.exception("lab %s: could not save its clock", self.lab_id)


# ---------------------------------------------------------------------------------------------
# The registry: lab id → LiveLab, one table per event loop.

_registries: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, LiveLab]] = (
    weakref.WeakKeyDictionary()
)
_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def _registry() -> dict[str, LiveLab]:
    return _registries.setdefault(asyncio.get_running_loop(), {})


def _forget(live: LiveLab) -> None:
    registry = _registries.get(live._loop)
    if registry is not None and registry.get(live.lab_id) is live:
        del registry[live.lab_id]
    locks = _locks.get(live._loop)
    if locks is not None and live.lab_id in locks and not locks[live.lab_id].locked():
        del locks[live.lab_id]


def running_lab(lab_id: str) -> LiveLab | None:
    """The live lab for ``lab_id`` in this process, if it is running."""
    live = _registry().get(lab_id)
    return live if live is not None and live.running else None


async def get_live_lab(lab: Lab) -> LiveLab:
    """The running ``LiveLab`` for ``lab``, rebuilt from its command log if it is not running."""
    live = running_lab(lab.id)
    if live is not None:
        return live
    lock = _locks.setdefault(asyncio.get_running_loop(), {}).setdefault(lab.id, asyncio.Lock())
    async with lock:
        live = running_lab(lab.id)
        if live is not None:
            return live
        fresh = await Lab.objects.aget(pk=lab.id)
        commands = await load_commands(lab.id)
        runner = LabRunner.from_log(
            lab.id,
            scenario=fresh.scenario,
            seed=fresh.seed,
            commands=commands,
            virtual_time=fresh.virtual_time,
            speed=fresh.speed,
            paused=fresh.paused,
            epoch=fresh.created,
        )
        runner.work_budget = float(settings.LAB_TICK_WORK_SECONDS)
        live = LiveLab(lab.id, runner)
        _registry()[lab.id] = live
        live.start()
        return live


async def stop_all() -> None:
    """Stop every live lab of the running loop (tests, shutdown)."""
    for live in list(_registry().values()):
        await live.stop()
    _registry().clear()
