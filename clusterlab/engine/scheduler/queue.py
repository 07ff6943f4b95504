"""The scheduling queue: activeQ, backoffQ and the unschedulable pool, as kube-scheduler v1.32's.

`internal/queue/scheduling_queue.go` with QueueingHints on (the v1.32 default):

- **activeQ** holds the pods to try, highest priority first, then the one queued longest
  (PrioritySort: by priority, then by the time the pod last entered the queue). Every pod
  passes the PreEnqueue plugins (SchedulingGates) on its way in; one that fails is *gated*
  and waits in the unschedulable pool instead.
- A pod that fails goes to the **unschedulable pool**, remembering the plugins that rejected
  it. A cluster event moves it out only if one of those plugins registered the event
  (`events_to_register`) and that registration's QueueingHint says `Queue`; a pod no plugin
  in particular rejected (an error, a failed bind) goes to backoff at once.
- Moved out, a pod still **backing off** goes to **backoffQ**, else straight to activeQ. Its
  backoff is 1 s after its first attempt, doubling per attempt, at most 10 s
  (`podInitialBackoffSeconds`, `podMaxBackoffSeconds`), counted from its last failure; backoffQ
  is flushed into activeQ every second.
- Every 30 s, pods that have sat in the unschedulable pool for more than 5 minutes
  (`podMaxInUnschedulablePodsDuration`) are moved out regardless (the `UnschedulableTimeout`
  event) — gated pods excepted.
- Events that arrive while a pod is being tried (in flight) are remembered; if the attempt
  fails, they are checked against its rejecting plugins, and a pod one of them could help goes
  to backoff rather than the unschedulable pool (what replaced the old `moveRequestCycle`).

The periodic flushes are the real ones' ticks, counted from when the queue started; the
backoffQ ticker is only armed while backoffQ holds a pod, so an idle queue schedules nothing.
Simplified: no plugin waits in Permit, so there are no "pending" plugins and no
`QueueImmediately`; `Activate` (plugins pushing pods) is not offered.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..clock import Clock, Timer
from ..informers import key_of
from .events import (
    ADD,
    NODE,
    QUEUE_SKIP,
    UNSCHEDULABLE_TIMEOUT,
    UNSCHEDULED_POD_UPDATE,
    UPDATE_NODE_TAINT,
    WILDCARD_EVENT,
    ClusterEvent,
    QueueingHintFn,
    pod_scheduling_properties_change,
)
from .framework import Plugin, PreEnqueuePlugin

Obj = dict[str, Any]

INITIAL_BACKOFF = 1.0  # podInitialBackoffSeconds
MAX_BACKOFF = 10.0  # podMaxBackoffSeconds
MAX_IN_UNSCHEDULABLE = 300.0  # podMaxInUnschedulablePodsDuration
BACKOFF_FLUSH_PERIOD = 1.0  # flushBackoffQCompleted
FLUSH_PERIOD = 30.0  # flushUnschedulablePodsLeftover
SCHEDULING_GATES = "SchedulingGates"

# Pools, as `queue_snapshot()` names them.
ACTIVE = "active"
BACKOFF = "backoff"
UNSCHEDULABLE = "unschedulable"
GATED = "gated"
IN_FLIGHT = "in-flight"

# queueingStrategy
_SKIP = 0
_AFTER_BACKOFF = 1


def backoff_duration(attempts: int, initial: float = INITIAL_BACKOFF, maximum: float = MAX_BACKOFF) -> float:
    """`calculateBackoffDuration`: the initial backoff, doubled for each attempt after the
    first, capped at the maximum (1, 2, 4, 8, 10, 10, ... seconds)."""
    duration = initial
    for _ in range(1, attempts):
        if duration > maximum - duration:
            return maximum
        duration += duration
    return duration


@dataclass
class QueuedPod:
    """`QueuedPodInfo`: a pending pod and what the queue knows of it."""

    key: str
    pod: Obj  # the latest version the informer delivered
    priority: int
    timestamp: float  # when it last entered the queue: creation, or its last failure
    attempts: int = 0  # scheduling attempts so far (counted when popped)
    initial_attempt: float | None = None  # when it first entered activeQ
    unschedulable_plugins: set[str] = field(default_factory=set)  # who rejected it last time
    gated: bool = False  # a PreEnqueue plugin keeps it out of activeQ
    gated_message: str = ""  # that plugin's status message


@dataclass(frozen=True)
class QueuedPodSnapshot:
    """One pending pod as `Scheduler.queue_snapshot()` reports it (for "why is my pod Pending?").

    - `pool`: `active` (waiting its turn), `in-flight` (being tried right now), `backoff`
      (retried when its backoff completes), `unschedulable` (waits for an event one of
      `rejected_by` registered, or the 5-minute flush) or `gated` (a PreEnqueue plugin keeps it
      out: `gated_message` says why).
    - `attempts`: scheduling attempts so far; `rejected_by`: the plugins that rejected the last
      one (for a gated pod, the PreEnqueue plugin), sorted.
    - `since`: virtual time it entered the queue or last failed (`Timestamp`): for an
      unschedulable pod, "unschedulable since".
    - `backoff_until`: when its backoff completes (`since` + backoff for `attempts`); None for
      a gated or never-tried pod. `retry_at`: when the queue will next move it without any
      event — for a backoff pod the backoffQ flush that takes it to activeQ, for an
      unschedulable pod the leftover flush that gives up waiting; None otherwise.
    """

    key: str
    pool: str
    priority: int
    attempts: int
    rejected_by: tuple[str, ...]
    since: float
    backoff_until: float | None
    retry_at: float | None
    gated_message: str = ""


class SchedulingQueue:
    """kube-scheduler's PriorityQueue on the virtual clock. `on_ready` is called whenever a pod
    enters activeQ (the scheduler then runs a cycle)."""

    def __init__(
        self,
        clock: Clock,
        on_ready: Callable[[], None],
        *,
        initial_backoff: float = INITIAL_BACKOFF,
        max_backoff: float = MAX_BACKOFF,
        max_in_unschedulable: float = MAX_IN_UNSCHEDULABLE,
    ) -> None:
        self.clock = clock
        self.on_ready = on_ready
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.max_in_unschedulable = max_in_unschedulable
        self.info: dict[str, QueuedPod] = {}  # every pod the queue holds, in any pool
        self._active: list[tuple[int, float, int, str]] = []
        self._active_keys: set[str] = set()
        self._seq = 0
        self.backoff: dict[str, float] = {}  # key → when its backoff completes
        self.unschedulable: dict[str, QueuedPod] = {}  # unschedulable and gated pods
        self.scheduling_cycle = 0
        # Pods being tried, each with the position in `_events` its attempt started at.
        self._in_flight: dict[str, int] = {}
        self._events: list[tuple[ClusterEvent, Obj | None, Obj | None]] = []
        # per profile (schedulerName): PreEnqueue plugins, and event → [(plugin, hint)]
        self._pre_enqueue: dict[str, list[PreEnqueuePlugin]] = {}
        self._hints: dict[str, dict[ClusterEvent, list[tuple[str, QueueingHintFn | None]]]] = {}
        self._interest: dict[ClusterEvent, bool] = {}
        self._matching: dict[tuple[str, ClusterEvent], list[tuple[str, QueueingHintFn | None]]] = {}
        self._started_at: float | None = None
        self._flush_timer: Timer | None = None
        self._backoff_timer: Timer | None = None
        self._backoff_timer_at = math.inf

    # -- configuration and lifecycle ------------------------------------------------------

    def configure(
        self, profile: str, pre_enqueue: Sequence[PreEnqueuePlugin], plugins: Iterable[Plugin]
    ) -> None:
        """One profile's PreEnqueue plugins and the events each of its `plugins` registered
        (`buildQueueingHintMap`). As there, a plugin that registers Node/Add without
        Node/UpdateNodeTaint is also registered for the latter with no hint."""
        self._pre_enqueue[profile] = list(pre_enqueue)
        hints: dict[ClusterEvent, list[tuple[str, QueueingHintFn | None]]] = {}
        for plugin in plugins:
            node_added = node_taint = False
            for reg in plugin.events_to_register():
                hints.setdefault(reg.event, []).append((plugin.name, reg.hint))
                if reg.event.resource == NODE:
                    node_added |= bool(reg.event.action_type & ADD)
                    node_taint |= bool(reg.event.action_type & UPDATE_NODE_TAINT)
            if node_added and not node_taint:
                hints.setdefault(ClusterEvent(NODE, UPDATE_NODE_TAINT), []).append((plugin.name, None))
        self._hints[profile] = hints
        self._interest.clear()
        self._matching.clear()

    def start(self) -> None:
        self._started_at = self.clock.now
        self._flush_timer = self.clock.call_later(FLUSH_PERIOD, self._flush_unschedulable)
        self._arm_backoff_flush()

    def stop(self) -> None:
        for timer in (self._flush_timer, self._backoff_timer):
            if timer is not None:
                timer.cancel()
        self._flush_timer = self._backoff_timer = None
        self._backoff_timer_at = math.inf

    def __len__(self) -> int:
        """Pods in activeQ."""
        return len(self._active_keys)

    # -- pods arriving, changing, leaving -------------------------------------------------

    def add(self, key: str, pod: Obj) -> None:
        """A new unscheduled pod (`Add`): into activeQ, unless a PreEnqueue plugin gates it."""
        if key in self.info:
            return
        qp = QueuedPod(key, pod, int(pod["spec"].get("priority", 0) or 0), self.clock.now)
        self.info[key] = qp
        if self._move_to_active(qp):
            self.on_ready()

    def update(self, old: Obj, new: Obj) -> None:
        """An unscheduled pod changed (`Update`). In activeQ or backoffQ it is just replaced; in
        the unschedulable pool the change itself is an event (gates removed, tolerations added,
        ...) its rejecting plugins' hints judge; a pod the queue does not hold is added."""
        key = key_of(new)
        qp = self.info.get(key)
        if qp is None:
            self.add(key, new)
            return
        qp.pod = new
        if key in self._in_flight:
            self._events.append((UNSCHEDULED_POD_UPDATE, old, new))
            return
        if key not in self.unschedulable:
            return
        for event in pod_scheduling_properties_change(new, old):
            strategy = self._worth_requeuing(qp, event, old, new)
            if strategy != _SKIP:
                del self.unschedulable[key]
                if self._requeue(qp, strategy) == ACTIVE:
                    self.on_ready()
                return

    def delete(self, key: str) -> None:
        self.info.pop(key, None)
        self._active_keys.discard(key)
        self.unschedulable.pop(key, None)
        self.backoff.pop(key, None)
        self._leave_flight(key)

    def done(self, key: str) -> None:
        """The pod was scheduled (or left our hands)."""
        self.delete(key)

    # -- the scheduling cycle's side ------------------------------------------------------

    def pop(self) -> QueuedPod | None:
        """The head of activeQ, now in flight: its attempts counted, its last rejectors cleared."""
        while self._active:
            _, _, _, key = heapq.heappop(self._active)
            if key not in self._active_keys:
                continue
            self._active_keys.discard(key)
            qp = self.info.get(key)
            if qp is None:
                continue
            qp.attempts += 1
            qp.unschedulable_plugins = set()
            self.scheduling_cycle += 1
            self._in_flight[key] = len(self._events)
            return qp
        return None

    def add_unschedulable(self, key: str, plugins: Iterable[str]) -> None:
        """`AddUnschedulableIfNotPresent`: the attempt failed, rejected by `plugins` (empty for
        an error). The failure time starts its backoff. If an event that arrived during the
        attempt could help, or no plugin rejected it, it goes to backoff; else it waits in the
        unschedulable pool."""
        qp = self.info.get(key)
        start = self._in_flight.get(key)
        if qp is None or key in self._active_keys or key in self.backoff or key in self.unschedulable:
            self._leave_flight(key)
            return
        qp.timestamp = self.clock.now
        qp.unschedulable_plugins = set(plugins)
        events = self._events[start:] if start is not None else []
        self._leave_flight(key)
        strategy = _AFTER_BACKOFF
        if qp.unschedulable_plugins:
            strategy = _SKIP
            for event, old, new in events:
                if self._worth_requeuing(qp, event, old, new) != _SKIP:
                    strategy = _AFTER_BACKOFF
                    break
        if self._requeue(qp, strategy) == ACTIVE:
            self.on_ready()

    def unschedulable_pod(self, key: str, plugins: Iterable[str] = ()) -> None:
        """A FitError: see `add_unschedulable`."""
        self.add_unschedulable(key, plugins)

    def requeue_with_backoff(self, key: str) -> None:
        """An error (not a verdict: a failed bind) — no plugin to wait for, so backoff."""
        self.add_unschedulable(key, ())

    # -- cluster events -------------------------------------------------------------------

    def move_all(
        self,
        event: ClusterEvent,
        old: Obj | None = None,
        new: Obj | None = None,
        pre_check: Callable[[Obj], bool] | None = None,
    ) -> None:
        """`MoveAllToActiveOrBackoffQueue`: a cluster event; each unschedulable pod one of whose
        rejecting plugins registered it (and whose hint says Queue) moves to backoffQ or
        activeQ."""
        if not self._is_of_interest(event):
            return  # no plugin registered it
        pods = [qp for qp in self.unschedulable.values() if pre_check is None or pre_check(qp.pod)]
        self._move_pods(pods, event, old, new)

    def move_all_to_active_or_backoff(self) -> None:
        """Every unschedulable pod, whatever rejected it (the wildcard event)."""
        self.move_all(WILDCARD_EVENT)

    def move_to_active_or_backoff(self, keys: Iterable[str]) -> None:
        """These unschedulable pods (a caller already judged the event helps them)."""
        self._move_pods([qp for k in keys if (qp := self.unschedulable.get(k)) is not None], WILDCARD_EVENT)

    def _move_pods(
        self, pods: list[QueuedPod], event: ClusterEvent, old: Obj | None = None, new: Obj | None = None
    ) -> None:
        if not self._is_of_interest(event):
            return
        activated = False
        for qp in pods:
            if qp.gated and SCHEDULING_GATES in qp.unschedulable_plugins:
                continue  # only the pod's own update ungates it
            strategy = self._worth_requeuing(qp, event, old, new)
            if strategy == _SKIP:
                continue
            self.unschedulable.pop(qp.key, None)
            activated |= self._requeue(qp, strategy) == ACTIVE
        if self._in_flight:
            self._events.append((event, old, new))
        if activated:
            self.on_ready()

    def _is_of_interest(self, event: ClusterEvent) -> bool:
        known = self._interest.get(event)
        if known is None:
            known = event.is_wildcard() or any(
                reg.match(event) for hints in self._hints.values() for reg in hints
            )
            self._interest[event] = known
        return known

    def _worth_requeuing(self, qp: QueuedPod, event: ClusterEvent, old: Obj | None, new: Obj | None) -> int:
        """`isPodWorthRequeuing`: does a plugin that rejected the pod say this event may help?"""
        rejectors = qp.unschedulable_plugins
        if not rejectors or event.is_wildcard():
            return _AFTER_BACKOFF
        profile = qp.pod["spec"].get("schedulerName") or "default-scheduler"
        if profile not in self._hints:
            return _AFTER_BACKOFF
        for plugin, fn in self._registered_for(profile, event):
            if plugin in rejectors and (fn is None or fn(qp.pod, old, new) != QUEUE_SKIP):
                return _AFTER_BACKOFF
        return _SKIP

    def _registered_for(self, profile: str, event: ClusterEvent) -> list[tuple[str, QueueingHintFn | None]]:
        """The (plugin, hint) pairs of a profile whose registered event matches `event`."""
        found = self._matching.get((profile, event))
        if found is None:
            hints = self._hints[profile]
            found = [pair for registered, pairs in hints.items() if registered.match(event) for pair in pairs]
            self._matching[(profile, event)] = found
        return found

    # -- moving between pools -------------------------------------------------------------

    def backoff_until(self, qp: QueuedPod) -> float:
        return qp.timestamp + backoff_duration(qp.attempts, self.initial_backoff, self.max_backoff)

    def _backing_off(self, qp: QueuedPod) -> bool:
        return not qp.gated and self.backoff_until(qp) > self.clock.now

    def _requeue(self, qp: QueuedPod, strategy: int) -> str:
        """`requeuePodViaQueueingHint`: the pool the pod lands in."""
        if strategy == _SKIP:
            self.unschedulable[qp.key] = qp
            return UNSCHEDULABLE
        if self._backing_off(qp):
            self.backoff[qp.key] = self.backoff_until(qp)
            self._arm_backoff_flush()
            return BACKOFF
        if self._move_to_active(qp):
            return ACTIVE
        self.unschedulable[qp.key] = qp  # gated again
        return UNSCHEDULABLE

    def _move_to_active(self, qp: QueuedPod) -> bool:
        """`moveToActiveQ`: run the PreEnqueue plugins; a gated pod waits in the unschedulable
        pool (unless already in activeQ or backoffQ)."""
        qp.gated, qp.gated_message = False, ""
        for plugin in self._pre_enqueue.get(qp.pod["spec"].get("schedulerName") or "default-scheduler", ()):
            status = plugin.pre_enqueue(qp.pod)
            if not status.ok:
                qp.gated, qp.gated_message = True, status.message()
                qp.unschedulable_plugins.add(plugin.name)
                break
        if qp.gated:
            if qp.key not in self._active_keys and qp.key not in self.backoff:
                self.unschedulable[qp.key] = qp
            return False
        if qp.initial_attempt is None:
            qp.initial_attempt = self.clock.now
        self.unschedulable.pop(qp.key, None)
        self.backoff.pop(qp.key, None)
        if qp.key not in self._active_keys:
            self._seq += 1
            heapq.heappush(self._active, (-qp.priority, qp.timestamp, self._seq, qp.key))
            self._active_keys.add(qp.key)
        return True

    def _leave_flight(self, key: str) -> None:
        if self._in_flight.pop(key, None) is not None and not self._in_flight:
            self._events.clear()

    # -- the periodic flushes -------------------------------------------------------------

    def _tick_at_or_after(self, when: float, period: float) -> float:
        """The first tick of a `period` ticker started with the queue, at or after `when`."""
        start = self._started_at if self._started_at is not None else 0.0
        return start + period * max(0, math.ceil(round((when - start) / period, 6)))

    def _arm_backoff_flush(self) -> None:
        if not self.backoff or self._started_at is None:
            return
        when = self._tick_at_or_after(min(self.backoff.values()), BACKOFF_FLUSH_PERIOD)
        if when >= self._backoff_timer_at:
            return
        if self._backoff_timer is not None:
            self._backoff_timer.cancel()
        self._backoff_timer = self.clock.call_at(when, self._flush_backoff)
        self._backoff_timer_at = when

    def _flush_backoff(self) -> None:
        """`flushBackoffQCompleted`: pods whose backoff has completed go to activeQ."""
        self._backoff_timer, self._backoff_timer_at = None, math.inf
        now = self.clock.now
        activated = False
        for key, ready in sorted(self.backoff.items(), key=lambda kv: kv[1]):
            if ready > now:
                break
            del self.backoff[key]
            activated |= self._move_to_active(self.info[key])
        self._arm_backoff_flush()
        if activated:
            self.on_ready()

    def _flush_unschedulable(self) -> None:
        """`flushUnschedulablePodsLeftover`: pods unschedulable for more than 5 minutes move
        on the UnschedulableTimeout event."""
        self._flush_timer = self.clock.call_later(FLUSH_PERIOD, self._flush_unschedulable)
        now = self.clock.now
        stale = [qp for qp in self.unschedulable.values() if now - qp.timestamp > self.max_in_unschedulable]
        if stale:
            self._move_pods(stale, UNSCHEDULABLE_TIMEOUT)

    # -- what the UI sees -----------------------------------------------------------------

    def pool_of(self, key: str) -> str | None:
        if key in self._in_flight:
            return IN_FLIGHT
        if key in self._active_keys:
            return ACTIVE
        if key in self.backoff:
            return BACKOFF
        qp = self.unschedulable.get(key)
        if qp is not None:
            return GATED if qp.gated else UNSCHEDULABLE
        return None

    def snapshot(self) -> list[QueuedPodSnapshot]:
        """Every pod the queue holds: activeQ in the order it will be popped, then in flight,
        backoffQ by completion, the unschedulable pool by age, the gated pods."""
        order = {ACTIVE: 0, IN_FLIGHT: 1, BACKOFF: 2, UNSCHEDULABLE: 3, GATED: 4}
        heads = {key: (prio, ts, seq) for prio, ts, seq, key in self._active if key in self._active_keys}
        rows: list[tuple[tuple[Any, ...], QueuedPodSnapshot]] = []
        for key, qp in self.info.items():
            pool = self.pool_of(key)
            if pool is None:
                continue
            tried = qp.attempts > 0 and not qp.gated
            backoff_until = self.backoff_until(qp) if tried else None
            retry_at: float | None = None
            if pool == BACKOFF:
                retry_at = self._tick_at_or_after(self.backoff[key], BACKOFF_FLUSH_PERIOD)
            elif pool == UNSCHEDULABLE:
                # the first leftover flush strictly more than 5 minutes after it failed
                due = qp.timestamp + self.max_in_unschedulable
                retry_at = self._tick_at_or_after(due, FLUSH_PERIOD)
                if retry_at - qp.timestamp <= self.max_in_unschedulable:
                    retry_at += FLUSH_PERIOD
            sort_key: tuple[Any, ...] = heads.get(key, (0, 0.0, 0)) if pool == ACTIVE else (qp.timestamp, key)
            if pool == BACKOFF:
                sort_key = (self.backoff[key], key)
            snap = QueuedPodSnapshot(
                key=key,
                pool=pool,
                priority=qp.priority,
                attempts=qp.attempts,
                rejected_by=tuple(sorted(qp.unschedulable_plugins)),
                since=qp.timestamp,
                backoff_until=backoff_until,
                retry_at=retry_at,
                gated_message=qp.gated_message,
            )
            rows.append(((order[pool], *sort_key), snap))
        rows.sort(key=lambda r: r[0])
        return [snap for _, snap in rows]

    def pending_keys(self) -> list[str]:
        return list(self.info)
