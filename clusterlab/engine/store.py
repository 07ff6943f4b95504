"""An etcd-like store: one global revision, resourceVersions, and a bounded change history.

The real API server keeps objects in etcd, where every write bumps a cluster-wide revision
that becomes the object's `metadata.resourceVersion`, and watches resume from a revision as
long as etcd still holds the history (compacted after 5 minutes by default, then 410 Gone).
This store does the same in memory. It holds its own copies and never mutates a stored
object in place: an update replaces it, so readers may share stored objects safely.

Simplified: a single member with no consensus (etcd quorum arrives with the control-plane
work); history is kept per store, not per key.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .errors import Gone

ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"

# etcd's default compaction in a kube-apiserver deployment keeps 5 minutes of history.
HISTORY_SECONDS = 300.0


@dataclass(slots=True)
class Change:
    revision: int
    time: float
    type: str
    plural: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None

    @property
    def object(self) -> dict[str, Any]:
        obj = self.new if self.new is not None else self.old
        assert obj is not None
        return obj


class Store:
    def __init__(self) -> None:
        self.revision = 1
        self._data: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
        self._history: deque[Change] = deque()
        self._compacted = 1  # history before this revision is gone

    # -- reads ----------------------------------------------------------------------------

    def get(self, plural: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        return self._data.get(plural, {}).get(namespace or "", {}).get(name)

    def iter(self, plural: str, namespace: str | None = None) -> Iterator[dict[str, Any]]:
        by_ns = self._data.get(plural, {})
        if namespace is not None:
            yield from by_ns.get(namespace, {}).values()
            return
        for ns in sorted(by_ns):
            yield from by_ns[ns].values()

    def count(self, plural: str) -> int:
        return sum(len(v) for v in self._data.get(plural, {}).values())

    @property
    def last_change(self) -> Change | None:
        """The newest write still in the history (the one that made `revision`, if any since
        the last restore)."""
        return self._history[-1] if self._history else None

    # -- writes ---------------------------------------------------------------------------

    def put(self, plural: str, obj: dict[str, Any], now: float) -> Change:
        """Create or replace `obj` (already a private copy), stamping a new resourceVersion."""
        meta = obj["metadata"]
        ns, name = meta.get("namespace") or "", meta["name"]
        bucket = self._data.setdefault(plural, {}).setdefault(ns, {})
        old = bucket.get(name)
        self.revision += 1
        meta["resourceVersion"] = str(self.revision)
        bucket[name] = obj
        change = Change(self.revision, now, MODIFIED if old is not None else ADDED, plural, old, obj)
        self._record(change)
        return change

    def remove(self, plural: str, namespace: str | None, name: str, now: float) -> Change | None:
        bucket = self._data.get(plural, {}).get(namespace or "", {})
        old = bucket.pop(name, None)
        if old is None:
            return None
        self.revision += 1
        # A DELETED event carries the object at the revision of its deletion, as etcd reports it.
        tomb = dict(old)
        tomb["metadata"] = {**old["metadata"], "resourceVersion": str(self.revision)}
        change = Change(self.revision, now, DELETED, plural, tomb, None)
        self._record(change)
        return change

    def bump(self, by: int) -> None:
        """`etcdutl snapshot restore --bump-revision N --mark-compacted`: jump the revision
        forward and forget all history, so every watcher must re-list."""
        self.revision += by
        self._history.clear()
        self._compacted = self.revision + 1

    # -- history --------------------------------------------------------------------------

    def _record(self, change: Change) -> None:
        self._history.append(change)
        horizon = change.time - HISTORY_SECONDS
        history = self._history
        while history and history[0].time < horizon:
            self._compacted = history.popleft().revision + 1

    @property
    def compacted(self) -> int:
        """The oldest revision whose history is still kept (etcd's compaction point + 1)."""
        return self._compacted

    def changes_since(self, revision: int, plural: str) -> list[Change]:
        """Changes to `plural` after `revision`; 410 Gone if that history was compacted."""
        if revision + 1 < self._compacted:
            raise Gone(f"too old resource version: {revision} ({self._compacted - 1})")
        return [c for c in self._history if c.revision > revision and c.plural == plural]
