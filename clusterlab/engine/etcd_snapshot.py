"""etcd snapshots: `etcdctl snapshot save` and `etcdutl snapshot restore`, for a lab's cluster.

Backing up a cluster means backing up etcd: every object the API server stores lives there. A
snapshot is the whole keyspace at one revision. Restoring one is done with the API servers
stopped (Kubernetes' documentation: "If any API servers are running in your cluster, you should
not attempt to restore instances of etcd"), and since etcd 3.5.x with `--bump-revision` and
`--mark-compacted`, so that resourceVersions never go backwards and every client's watch is
told its history is gone (410) and re-lists. The components then see the cluster as the
snapshot had it: objects created since are gone, deleted ones are back, and controllers and
kubelets converge on that.

Simplified: the snapshot is kept in the lab (by name) rather than written to a file; its hash is
a CRC-32 of its contents; restoring changes the store directly and the changes reach the
components as the events a re-list would produce.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import Any

from .jsonutil import copy_json
from .store import Change, Store

Obj = dict[str, Any]

# What the Kubernetes docs pass to `etcdutl snapshot restore --bump-revision`.
BUMP_REVISION = 1_000_000_000


@dataclass(frozen=True)
class Snapshot:
    name: str
    revision: int
    time: float
    objects: dict[str, list[Obj]]  # plural → stored objects (private copies)
    hash: str
    size: int

    @property
    def total_keys(self) -> int:
        return sum(len(items) for items in self.objects.values())

    def status(self) -> Obj:
        """What `etcdutl snapshot status -w json` reports."""
        return {
            "hash": self.hash,
            "revision": self.revision,
            "totalKey": self.total_keys,
            "totalSize": self.size,
        }


def save(store: Store, plurals: list[str], name: str, now: float) -> Snapshot:
    objects = {plural: [copy_json(o) for o in store.iter(plural)] for plural in plurals}
    data = json.dumps(objects, sort_keys=True, separators=(",", ":")).encode()
    return Snapshot(name, store.revision, now, objects, f"{zlib.crc32(data):08x}", len(data))


def restore(store: Store, snapshot: Snapshot, now: float) -> list[Change]:
    """Make the store hold what the snapshot held, bumping the revision and compacting history;
    returns the changes a re-listing client would see (deletions first, then what came back)."""
    store.bump(BUMP_REVISION)
    changes: list[Change] = []
    wanted = {
        (plural, o["metadata"].get("namespace") or "", o["metadata"]["name"]): o
        for plural, items in snapshot.objects.items()
        for o in items
    }
    for plural in snapshot.objects:
        for obj in list(store.iter(plural)):
            meta = obj["metadata"]
            if (plural, meta.get("namespace") or "", meta["name"]) not in wanted:
                change = store.remove(plural, meta.get("namespace"), meta["name"], now)
                if change is not None:
                    changes.append(change)
    for (plural, ns, name), obj in wanted.items():
        current = store.get(plural, ns or None, name)
        if current is not None and _same(current, obj):
            continue
        changes.append(store.put(plural, copy_json(obj), now))
    return changes


def _same(a: Obj, b: Obj) -> bool:
    """Equal but for resourceVersion (which restoring reassigns anyway)."""
    strip = {**a, "metadata": {k: v for k, v in a["metadata"].items() if k != "resourceVersion"}}
    other = {**b, "metadata": {k: v for k, v in b["metadata"].items() if k != "resourceVersion"}}
    return strip == other
