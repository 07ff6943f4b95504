"""A DaemonSet's history: the ControllerRevisions of its pod templates.

As `pkg/controller/daemon/update.go` (`constructHistory`, `snapshot`, `cleanupHistory`): the
ControllerRevision holding the current pod template (`<ds>-<hash>`, labelled
`controller-revision-hash`, its `data` the patch that replaces `spec.template`) is found or
created and numbered one above the old ones; its hash labels every pod made from it. A name
taken by a revision with other data is a hash collision: `collisionCount` + 1 in status, and
the next sync hashes again. Old revisions beyond `revisionHistoryLimit` that no live pod uses
are deleted, oldest first.

Simplified: duplicate current revisions are not deduplicated (the newest is used).
"""

from __future__ import annotations

from typing import Any

from ..errors import AlreadyExists
from ..informers import Informer
from ..jsonutil import copy_json
from .base import owner_reference
from .daemon_pods import REVISION_HASH, template_hash
from .daemonset_manage import DaemonSetManage

Obj = dict[str, Any]


def _revision_data(ds: Obj) -> Obj:
    """`getPatch`: the revision's data, a patch that replaces `spec.template`."""
    return {"spec": {"template": {**copy_json(ds["spec"]["template"]), "$patch": "replace"}}}


class DaemonSetHistory(DaemonSetManage):
    """`constructHistory` and `cleanupHistory`."""

    history_informer: Informer

    def _construct_history(self, ds: Obj) -> tuple[Obj, list[Obj]]:
        """`constructHistory`: the current revision (created if missing, renumbered if an
        older template came back) and the old ones."""
        want = _revision_data(ds)
        current: list[Obj] = []
        old: list[Obj] = []
        for rev in self.history_informer.by_index("controller-uid", ds["metadata"]["uid"]):
            (current if rev.get("data") == want else old).append(rev)
        next_revision = max((int(r.get("revision", 0)) for r in old), default=0) + 1
        if not current:
            return self._snapshot(ds, want, next_revision), old
        cur = max(current, key=lambda r: int(r.get("revision", 0)))
        if int(cur.get("revision", 0)) < next_revision:
            updated = copy_json(cur)
            updated["revision"] = next_revision
            cur = self.server.update(self.user, updated)
        return cur, old

    def _snapshot(self, ds: Obj, data: Obj, revision: int) -> Obj:
        """`snapshot`: store the template as a ControllerRevision named by its hash."""
        hash_ = template_hash(ds)
        meta = ds["metadata"]
        labels = dict((ds["spec"]["template"].get("metadata") or {}).get("labels") or {})
        labels[REVISION_HASH] = hash_
        rev_meta: Obj = {
            "name": f"{meta['name']}-{hash_}",
            "namespace": meta["namespace"],
            "labels": labels,
            "ownerReferences": [owner_reference(ds)],
        }
        if meta.get("annotations"):
            rev_meta["annotations"] = dict(meta["annotations"])
        history = {
            "apiVersion": "apps/v1",
            "kind": "ControllerRevision",
            "metadata": rev_meta,
            "data": data,
            "revision": revision,
        }
        try:
            return self.server.create(self.user, history)
        except AlreadyExists:
            existing = self.server.get(self.user, "controllerrevisions", rev_meta["name"], meta["namespace"])
            if existing.get("data") == data:
                return existing
            # A hash collision: count it in status so the next hash differs, and retry.
            status = copy_json(ds.get("status") or {})
            status["collisionCount"] = int(status.get("collisionCount") or 0) + 1
            self.write_status(ds, status)
            raise

    def _cleanup_history(self, ds: Obj, old: list[Obj]) -> None:
        """`cleanupHistory`: delete the oldest unused revisions beyond revisionHistoryLimit."""
        to_kill = len(old) - int(ds["spec"].get("revisionHistoryLimit", 10))
        if to_kill <= 0:
            return
        live = {
            (p["metadata"].get("labels") or {}).get(REVISION_HASH)
            for pods in self._node_to_pods(ds, include_deleted_terminal=True).values()
            for p in pods
        }
        for rev in sorted(old, key=lambda r: (int(r.get("revision", 0)), r["metadata"]["name"])):
            if to_kill <= 0:
                break
            if (rev["metadata"].get("labels") or {}).get(REVISION_HASH) in live:
                continue
            self.server.delete(
                self.user, "controllerrevisions", rev["metadata"]["name"], rev["metadata"]["namespace"]
            )
            to_kill -= 1
