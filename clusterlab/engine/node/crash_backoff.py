"""The kubelet's restart backoff for crashing containers (CrashLoopBackOff).

The kubelet keeps one `flowcontrol.Backoff` (`backOffPeriod` 10 s, `MaxContainerBackOff`
300 s, no jitter) keyed per container (`getStableKey`: pod name, namespace, UID, container
name and hash). In `doBackOff` (kuberuntime_manager.go), with `ts` the finish time of the
container's last exited instance:
- `IsInBackOffSince(key, ts)`: an entry exists, has not expired, and less than its backoff
  has passed since `ts` → do not restart yet (`CrashLoopBackOff`);
- otherwise `Next(key, ts)`: a new or expired entry starts at 10 s, an existing one doubles
  (capped at 300 s), and `lastUpdate` becomes now — then the container is restarted.
An entry expires when `ts - lastUpdate > 2 × 300 s` (`hasExpired`): a container that ran
for more than 10 minutes since its last restart crashes "for the first time" again.

So a container that keeps failing restarts at once after its first exit, then 10 s, 20 s,
40 s, 80 s, 160 s, 300 s, 300 s … after each exit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

INITIAL = 10.0  # backOffPeriod (kubelet.go)
MAXIMUM = 300.0  # MaxContainerBackOff (kubelet.go)
EPSILON = 1e-6  # the virtual clock's resolution


@dataclass
class Entry:
    backoff: float
    last_update: float


@dataclass
class CrashBackoff:
    entries: dict[str, Entry] = field(default_factory=dict)

    def _expired(self, event_time: float, entry: Entry) -> bool:
        return event_time - entry.last_update > 2 * MAXIMUM + EPSILON

    def in_backoff(self, key: str, finished: float, now: float) -> bool:
        entry = self.entries.get(key)
        if entry is None or self._expired(finished, entry):
            return False
        return now - finished < entry.backoff - EPSILON

    def next(self, key: str, finished: float, now: float) -> None:
        entry = self.entries.get(key)
        if entry is None or self._expired(finished, entry):
            self.entries[key] = Entry(INITIAL, now)
            return
        entry.backoff = min(entry.backoff * 2, MAXIMUM)
        entry.last_update = now

    def get(self, key: str) -> float:
        entry = self.entries.get(key)
        return entry.backoff if entry is not None else 0.0

    def forget(self, prefix: str) -> None:
        """Drop the entries of a pod that is gone (the periodic GC does this on a real node)."""
        for key in [k for k in self.entries if k.startswith(prefix)]:
            del self.entries[key]
