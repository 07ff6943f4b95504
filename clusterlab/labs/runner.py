"""The runner: drives one lab's engine cluster against wall time and publishes what changed.

``LabRunner`` is a plain, synchronous class so its logic is unit-testable without websockets or
a database: ``tick(wall_dt)`` moves the virtual clock ``wall_dt * speed`` seconds forward (unless
paused) and returns the fragments that changed since the last call; ``execute(command, actor)``
applies a command at the current virtual time and returns the log entry to persist.

Engine work runs on the server's event loop, so a tick must not hold it for long: with a
``work_budget`` (the live server sets one) a tick advances in small slices and stops when it has
spent that much processor time in the engine (processor time, not wall time: on a loaded machine
a tick still does the same work, only later). The clock then runs slower than the speed asked
for (the page says so) instead of freezing every socket and request of the process while the
engine catches up.

The asyncio side (pacing ticks, the channel-layer group, persistence, the per-process registry)
lives in :mod:`clusterlab.labs.live`.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from clusterlab.engine import ApiError, Cluster
from clusterlab.labs import board as board_vm
from clusterlab.labs import traffic_flow
from clusterlab.labs.api_stream import ApiStream
from clusterlab.labs.commands import ENGINE_ACTIONS, Command
from clusterlab.labs.fragments import API_CALLS, Fragment, FragmentTracker, api_calls_push, board_fragments
from clusterlab.labs.models import SPEEDS
from clusterlab.labs.samples import SAMPLE_DEPLOYMENT

#: Most wall time one tick will simulate: after a stall the clock slows rather than lurching.
MAX_TICK_WALL_SECONDS = 0.5
#: Least wall time between two ticks that append new API calls to the page's stream (a command's
#: own calls are sent at once): a fast clock serves hundreds of requests a second.
API_PUSH_WALL_SECONDS = 0.3
#: With a work budget, a tick advances in slices of this much wall time's worth of virtual time.
SLICE_WALL_SECONDS = 0.005
#: The clock counts as behind after a tick that ran less than this share of its virtual time…
BEHIND_BELOW = 0.8
#: …and as caught up again after this many wall seconds of ticks that ran all of it.
CAUGHT_UP_AFTER_SECONDS = 2.0


@dataclass(frozen=True)
class LoggedCommand:
    """One entry of a lab's command log (mirrors ``LabCommand``)."""

    seq: int
    virtual_time: float
    actor: str
    action: str
    args: dict[str, Any] = field(default_factory=dict)


#: Engine-affecting actions that other apps add to the log, by name: how to re-apply one to a
#: cluster on replay (the Kubernetes API's ``api`` requests, registered by ``kubeapi``'s app config).
EXTRA_ACTIONS: dict[str, Callable[[Cluster, dict[str, Any]], None]] = {}


def register_action(action: str, apply: Callable[[Cluster, dict[str, Any]], None]) -> None:
    """Teach replay a logged action another app writes (see ``LabRunner.log_applied``)."""
    EXTRA_ACTIONS[action] = apply


def apply_to_cluster(cluster: Cluster, action: str, args: dict[str, Any]) -> None:
    """Apply one engine-affecting command to ``cluster``. Engine errors (``ApiError``) propagate."""
    if action == "kill_node":
        cluster.kill_node(args["node"])
    elif action == "restore_node":
        cluster.restore_node(args["node"])
    elif action == "stop_component":
        cluster.stop_component(args["component"], node=args.get("node"))
    elif action == "start_component":
        cluster.start_component(args["component"], node=args.get("node"))
    elif action == "etcd_snapshot":
        cluster.etcd_snapshot(args["name"])
    elif action == "etcd_restore":
        cluster.etcd_restore(args["name"])
    elif action == "upgrade_cluster":
        cluster.upgrade(args["version"])
    elif action == "configure_scheduler":
        cluster.configure_scheduler(args["config"])
    elif action == "scale":
        cluster.scale(
            "deployment",
            args["deployment"],
            int(args["replicas"]),
            namespace=args.get("namespace", "default"),
        )
    elif action == "set_load":
        cluster.set_load(args["selector"], args.get("namespace", "default"), float(args["load"]))
    elif action == "send_traffic":
        cluster.send_traffic(
            args["target"], float(args["rps"]), args.get("namespace", "default"), args.get("path", "/")
        )
    elif action == "create_sample":
        cluster.apply(SAMPLE_DEPLOYMENT)
    elif action in EXTRA_ACTIONS:
        EXTRA_ACTIONS[action](cluster, args)
    else:
        raise ValueError(f"not an engine command: {action!r}")


class LabRunner:
    """One live lab: its cluster, clock pacing, and the fragments last published."""

    def __init__(
        self,
        lab_id: str,
        cluster: Cluster,
        *,
        speed: int = 1,
        paused: bool = False,
        next_seq: int = 1,
    ) -> None:
        self.lab_id = lab_id
        self.cluster = cluster
        self.speed = speed if speed in SPEEDS else 1
        self.paused = paused
        self.next_seq = next_seq
        self._tracker = FragmentTracker()
        self._cluster_board: dict[str, Any] | None = None
        self._cluster_key: tuple[Any, ...] | None = None
        self._api_stream = ApiStream()
        self._api_wait = 0.0  # wall seconds since ticks last pushed API calls
        #: Most seconds of processor time one tick may spend in the engine (None: run it in full).
        self.work_budget: float | None = None
        self.work_clock: Callable[[], float] = time.thread_time
        #: Whether recent ticks could not run all the virtual time the speed asks for.
        self.behind = False
        self._caught_up_for = 0.0  # wall seconds of full ticks since the clock fell behind

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_log(
        cls,
        lab_id: str,
        *,
        scenario: str,
        seed: int,
        commands: Iterable[LoggedCommand],
        virtual_time: float = 0.0,
        speed: int = 1,
        paused: bool = False,
        epoch: datetime | None = None,
    ) -> LabRunner:
        """Rebuild a lab by replaying its log: advance to each command's time and apply it, then
        advance to ``virtual_time`` (where the lab's clock was last saved). The engine is
        deterministic, so this is the cluster the learner left.
        """
        cluster = Cluster.from_scenario(scenario, seed=seed, epoch=epoch)
        last_seq = 0
        for entry in commands:
            if entry.virtual_time > cluster.now:
                cluster.advance(entry.virtual_time - cluster.now)
            # Refused commands are never logged, so only a changed engine can refuse one here.
            with contextlib.suppress(ApiError):
                apply_to_cluster(cluster, entry.action, entry.args)
            last_seq = max(last_seq, entry.seq)
        if virtual_time > cluster.now:
            cluster.advance(virtual_time - cluster.now)
        return cls(lab_id, cluster, speed=speed, paused=paused, next_seq=last_seq + 1)

    # -- the clock ----------------------------------------------------------------------------

    @property
    def now(self) -> float:
        """The cluster's virtual time in seconds."""
        return float(self.cluster.now)

    def advance_wall(self, wall_dt: float) -> float:
        """Run virtual time forward for ``wall_dt`` seconds of wall time; returns virtual seconds run
        (less than asked when the work budget ran out first)."""
        if self.paused or wall_dt <= 0:
            return 0.0
        wanted = min(wall_dt, MAX_TICK_WALL_SECONDS) * self.speed
        if self.work_budget is None:
            self.cluster.advance(wanted)
            return wanted
        start = self.now
        deadline = self.work_clock() + self.work_budget
        slice_virtual = max(1.0, SLICE_WALL_SECONDS * self.speed)
        # Counted slices, each to a target time: the clock rounds times, so comparing them with
        # ``start + wanted`` could find a sliver still to run forever.
        for n in range(1, math.ceil(wanted / slice_virtual) + 1):
            self.cluster.advance(max(0.0, start + min(wanted, n * slice_virtual) - self.now))
            if self.work_clock() >= deadline:
                break
        ran = self.now - start
        self._note_pace(ran, wanted, min(wall_dt, MAX_TICK_WALL_SECONDS))
        return ran

    def _note_pace(self, ran: float, wanted: float, wall_dt: float) -> None:
        """Fall behind at once when a tick ran short; catch up only after a while of full ticks
        (so the page's note does not flicker)."""
        if ran < wanted * BEHIND_BELOW:
            self.behind = True
            self._caught_up_for = 0.0
        elif self.behind:
            self._caught_up_for += wall_dt
            if self._caught_up_for >= CAUGHT_UP_AFTER_SECONDS:
                self.behind = False

    def tick(self, wall_dt: float) -> list[Fragment]:
        """Advance the clock for ``wall_dt`` wall seconds and return the fragments that changed."""
        self.advance_wall(wall_dt)
        self._api_wait += wall_dt
        due = self._api_wait >= API_PUSH_WALL_SECONDS
        if due:
            self._api_wait = 0.0
        return self.changed_fragments(api_calls=due)

    # -- commands -----------------------------------------------------------------------------

    def execute(self, command: Command, actor: str) -> LoggedCommand | None:
        """Apply ``command`` now. Engine commands return their log entry; clock commands ``None``.

        Raises the engine's ``ApiError`` when the cluster refuses (nothing is logged then).
        """
        if command.action in ENGINE_ACTIONS:
            at = self.now
            apply_to_cluster(self.cluster, command.action, command.args)
            entry = LoggedCommand(self.next_seq, at, actor, command.action, dict(command.args))
            self.next_seq += 1
            return entry
        if command.action == "pause":
            self.paused = True
        elif command.action == "play":
            self.paused = False
        elif command.action == "speed":
            self.speed = int(command.args["speed"])
        elif command.action == "step":
            self.cluster.advance(float(command.args["seconds"]))
        else:
            raise ValueError(f"unknown command {command.action!r}")
        return None

    def log_applied(self, action: str, args: dict[str, Any], actor: str, at: float) -> LoggedCommand:
        """The log entry for an engine-affecting ``action`` that its caller already applied at
        virtual time ``at`` (replay re-applies it there through ``EXTRA_ACTIONS``)."""
        entry = LoggedCommand(self.next_seq, at, actor, action, dict(args))
        self.next_seq += 1
        return entry

    # -- what the page shows ------------------------------------------------------------------

    def board(self) -> dict[str, Any]:
        """The full view-model of the lab page right now."""
        key = self._board_key()
        if self._cluster_board is None or key != self._cluster_key:
            self._cluster_board = board_vm.cluster_board(self.cluster)
            self._cluster_key = key
        return {
            **self._cluster_board,
            "api_calls": self._api_stream.first_render(),
            "api_filters": self._api_stream.filters,
            "clock": board_vm.clock_board(
                self.now, paused=self.paused, speed=self.speed, behind=self.behind and not self.paused
            ),
        }

    def _board_key(self) -> tuple[Any, ...]:
        """What the cluster part of the board depends on: the store's revision, plus machine
        state the store does not hold (a powered-off node, a stopped component, kubelet or
        kube-proxy, the traffic counters)."""
        names = [card["name"] for card in (self._cluster_board or {}).get("nodes", [])]
        powered = tuple(board_vm.node_powered(self.cluster, name) for name in names)
        proxies = tuple(
            (board_vm.kube_proxy_running(self.cluster, name), board_vm.kube_proxy_stopped(self.cluster, name))
            for name in names
        )
        kubelets = tuple(board_vm.kubelet_running(self.cluster, name) for name in names)
        components = tuple(
            (c.get("name"), c.get("node"), c.get("running")) for c in self.cluster.components()
        )
        # Traffic counters move with the virtual clock, not with the store.
        traffic = traffic_flow.signature(self.cluster)
        return (self.cluster.revision, powered, proxies, kubelets, components, traffic)

    def fragments(self) -> list[Fragment]:
        """Every fragment of the current board."""
        return board_fragments(self.board())

    def changed_fragments(self, *, api_calls: bool = True) -> list[Fragment]:
        """The fragments that changed since the last call (all of them the first time), then
        (if ``api_calls``, and always the first time) the API calls served since, appended to
        the stream unless the whole stream panel is sent."""
        push = None
        if api_calls or not self._api_stream.published:
            push = self._api_stream.take(self.cluster)
        fragments = self._tracker.changed(self.fragments())
        if push is not None and not any(f.dom_id == API_CALLS for f in fragments):
            fragments.append(api_calls_push(push))
        return fragments
