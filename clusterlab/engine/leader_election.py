"""Leader election through a Lease, as client-go's `leaderelection` package does it.

kube-scheduler and kube-controller-manager run on every control-plane node, but only one copy of
each may act: they elect a leader by competing for a Lease in `kube-system` (`kube-scheduler`,
`kube-controller-manager`). With the defaults (`--leader-elect-lease-duration=15s`,
`--leader-elect-renew-deadline=10s`, `--leader-elect-retry-period=2s`):

- A candidate tries at once, then every retry period stretched by up to 120 % jitter
  (`wait.JitterUntil(..., RetryPeriod, 1.2, ...)`). It takes the Lease if nobody holds it, or
  if the record has not changed for a whole lease duration *as the candidate observed it* (the
  time it last saw the record change, on its own clock, not the holder's `renewTime`).
  Taking it over sets `acquireTime` and increments `leaseTransitions`.
- The leader renews every retry period. If it cannot renew within the renew deadline it has
  lost the lease: it records `stopped leading` and exits ("leaderelection lost"); the kubelet
  then restarts its container.
- kube-scheduler releases the Lease when told to stop (`ReleaseOnCancel`), so a standby takes
  over at its next try; kube-controller-manager does not, so a standby waits out the lease.

Each transition is an Event on the Lease, reason `LeaderElection`: `<identity> became leader`,
`<identity> stopped leading`. Identities are `<hostname>_<uuid>`.

Simplified: coordinated leader election (alpha in 1.32) is not modelled.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from .apiserver import APIServer
from .audit import User
from .clock import Clock, Timer
from .errors import ApiError, NotFound
from .jsonutil import copy_json
from .recorder import EventRecorder
from .timefmt import micro_time

Obj = dict[str, Any]

LEASE_DURATION = 15.0
RENEW_DEADLINE = 10.0
RETRY_PERIOD = 2.0
JITTER_FACTOR = 1.2
LEASE_NAMESPACE = "kube-system"


class LeaderElector:
    def __init__(
        self,
        server: APIServer,
        clock: Clock,
        user: User,
        recorder: EventRecorder,
        lease_name: str,
        identity: str,
        rng: random.Random,
        *,
        release_on_cancel: bool,
        on_started_leading: Callable[[], None],
        on_stopped_leading: Callable[[], None],
        namespace: str = LEASE_NAMESPACE,
        timings: tuple[float, float, float] = (LEASE_DURATION, RENEW_DEADLINE, RETRY_PERIOD),
    ) -> None:
        """`namespace` and `timings` (lease duration, renew deadline, retry period): the
        control plane's defaults; an add-on such as ingress-nginx passes its own."""
        self.namespace = namespace
        self.lease_duration, self.renew_deadline, self.retry_period = timings
        self.server = server
        self.clock = clock
        self.user = user
        self.recorder = recorder
        self.lease_name = lease_name
        self.identity = identity
        self.rng = rng
        self.release_on_cancel = release_on_cancel
        self.on_started_leading = on_started_leading
        self.on_stopped_leading = on_stopped_leading
        self.leading = False
        self.observed: Obj | None = None  # the lease spec as last seen
        self.observed_at = 0.0  # when it last changed, by this process's clock
        self._renew_started = 0.0
        self._timer: Timer | None = None
        self._lease: Obj | None = None  # the Lease as last written, for events about it

    # -- loops ----------------------------------------------------------------------------

    def run(self) -> None:
        """Start campaigning (the first attempt is immediate)."""
        self._acquire()

    def _acquire(self) -> None:
        if self._try_acquire_or_renew():
            self.leading = True
            self._event("became leader")
            self._renew_started = self.clock.now
            self._timer = self.clock.call_later(self.retry_period, self._renew)
            self.on_started_leading()
            return
        delay = self.retry_period + self.rng.random() * JITTER_FACTOR * self.retry_period
        self._timer = self.clock.call_later(delay, self._acquire)

    def _renew(self) -> None:
        if self._try_acquire_or_renew():
            self._renew_started = self.clock.now
            self._timer = self.clock.call_later(self.retry_period, self._renew)
            return
        if self.clock.now + self.retry_period - self._renew_started <= self.renew_deadline:
            self._timer = self.clock.call_later(self.retry_period, self._renew)
            return
        self.leading = False
        self._event("stopped leading")
        self.on_stopped_leading()

    def stop(self) -> None:
        """The process is told to stop: give the lease back if configured to."""
        if self._timer is not None:
            self._timer.cancel()
        if self.leading and self.release_on_cancel:
            self._release()
        self.leading = False

    # -- one attempt ----------------------------------------------------------------------

    def _try_acquire_or_renew(self) -> bool:
        now = micro_time(self.server.epoch, self.clock.now)
        if self.leading and self._lease is not None:
            # The leader's fast path: update its own record without reading it first.
            new = copy_json(self._lease)
            new["spec"] = self._spec(now, new["spec"]["acquireTime"], int(new["spec"]["leaseTransitions"]))
            try:
                self._lease = self.server.update(self.user, new)
            except ApiError:
                pass  # someone else wrote it (or the API is gone): take the slow path
            else:
                self.observed, self.observed_at = copy_json(self._lease["spec"]), self.clock.now
                return True
        try:
            try:
                lease = self.server.get(self.user, "leases", self.lease_name, self.namespace)
            except NotFound:
                self._lease = self.server.create(self.user, self._new_lease(now))
                self.observed, self.observed_at = self._spec(now, now, 0), self.clock.now
                return True
            spec = lease.get("spec") or {}
            if spec != self.observed:
                self.observed, self.observed_at = copy_json(spec), self.clock.now
            holder = spec.get("holderIdentity") or ""
            duration = float(spec.get("leaseDurationSeconds") or self.lease_duration)
            if holder and holder != self.identity and self.observed_at + duration > self.clock.now:
                return False
            transitions = int(spec.get("leaseTransitions") or 0)
            acquired = spec.get("acquireTime") or now
            if holder != self.identity:
                transitions, acquired = transitions + 1, now  # client-go counts every change of hands
            new = copy_json(lease)
            new["spec"] = self._spec(now, acquired, transitions)
            updated = self.server.update(self.user, new)
        except ApiError:
            return False
        self._lease = updated
        self.observed, self.observed_at = copy_json(updated["spec"]), self.clock.now
        return True

    def _release(self) -> None:
        """client-go's `release()`: an empty holder with a 1 s lease, so candidates move at once."""
        now = micro_time(self.server.epoch, self.clock.now)
        try:
            lease = self.server.get(self.user, "leases", self.lease_name, self.namespace)
            if (lease.get("spec") or {}).get("holderIdentity") != self.identity:
                return
            new = copy_json(lease)
            new["spec"] = {
                "holderIdentity": "",
                "leaseDurationSeconds": 1,
                "acquireTime": now,
                "renewTime": now,
                "leaseTransitions": int(lease["spec"].get("leaseTransitions") or 0),
            }
            self.server.update(self.user, new)
        except ApiError:
            pass

    def _spec(self, now: str, acquired: str, transitions: int) -> Obj:
        return {
            "holderIdentity": self.identity,
            "leaseDurationSeconds": int(self.lease_duration),
            "acquireTime": acquired,
            "renewTime": now,
            "leaseTransitions": transitions,
        }

    def _new_lease(self, now: str) -> Obj:
        return {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": self.lease_name, "namespace": self.namespace},
            "spec": self._spec(now, now, 0),
        }

    def _event(self, what: str) -> None:
        lease = self._lease or self._new_lease("")
        self.recorder.event(lease, "Normal", "LeaderElection", f"{self.identity} {what}")
