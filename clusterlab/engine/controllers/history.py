"""ControllerRevisions: the stored history of a workload's pod template.

Like `k8s.io/kubernetes/pkg/controller/history`: StatefulSets and DaemonSets keep each pod
template they have run as an immutable ControllerRevision they own, named
`<owner>-<hash>` (`ControllerRevisionName`), labelled with the template's labels and
`controller.kubernetes.io/hash`, and numbered by `revision` (1, 2, …). A pod records the
revision it was made from in its `controller-revision-hash` label, and rolling back to an
earlier template re-numbers the existing revision instead of storing a copy.

`HashControllerRevision` is FNV-1 32-bit over the revision's data and the collision count,
printed in decimal and encoded with `rand.SafeEncodeString`. Kubernetes hashes the JSON its
encoder writes (fields in Go struct order); here the data is hashed as canonical JSON, so the
names differ from a real cluster's but keep the property that matters: the same template
always gives the same name.
"""

from __future__ import annotations

import json
from typing import Any

from ..names import safe_encode

Obj = dict[str, Any]
HASH_LABEL = "controller.kubernetes.io/hash"
MAX_PREFIX = 223  # 253 (a DNS subdomain) minus room for the hash and the dash


def fnv32(data: bytes) -> int:
    """Go's `hash/fnv.New32` (FNV-1: multiply, then xor)."""
    h = 0x811C9DC5
    for byte in data:
        h = (h * 0x01000193) & 0xFFFFFFFF
        h ^= byte
    return h


def hash_revision(data: Obj, collision_count: int) -> str:
    raw = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    return safe_encode(str(fnv32(raw + str(collision_count).encode())))


def revision_name(prefix: str, hash_: str) -> str:
    """`ControllerRevisionName`."""
    return f"{prefix[:MAX_PREFIX]}-{hash_}"


def new_revision(
    owner: Obj, owner_ref: Obj, labels: dict[str, str], data: Obj, revision: int, collision_count: int
) -> Obj:
    """`NewControllerRevision`: the revision object, named by its hash, ready to create."""
    hash_ = hash_revision(data, collision_count)
    meta: Obj = {
        "name": revision_name(owner["metadata"]["name"], hash_),
        "namespace": owner["metadata"]["namespace"],
        "labels": {**labels, HASH_LABEL: hash_},
        "ownerReferences": [owner_ref],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": meta,
        "data": data,
        "revision": revision,
    }


def sort_revisions(revisions: list[Obj]) -> list[Obj]:
    """`SortControllerRevisions`: by revision number, then creation time, then name."""
    return sorted(
        revisions,
        key=lambda r: (
            r.get("revision", 0),
            r["metadata"].get("creationTimestamp") or "",
            r["metadata"]["name"],
        ),
    )


def equal_revisions(revisions: list[Obj], needle: Obj) -> list[Obj]:
    """`FindEqualRevisions`: the revisions holding the same data as `needle`."""
    return [r for r in revisions if r.get("data") == needle.get("data")]


def next_revision(revisions: list[Obj]) -> int:
    """`nextRevision`: one more than the highest (the list is sorted), or 1."""
    return revisions[-1].get("revision", 0) + 1 if revisions else 1
