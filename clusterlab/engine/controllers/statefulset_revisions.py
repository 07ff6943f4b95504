"""A StatefulSet's revisions: its pod templates as ControllerRevisions, and their history.

As `pkg/controller/statefulset/stateful_set_control.go` (`getStatefulSetRevisions`,
`truncateHistory`) and `controller_history.go` (`CreateControllerRevision`): the pod template is
stored as a ControllerRevision the set owns (`<set>-<hash>`, `history.py`); a template seen
before re-uses (and re-numbers) its revision, a new one is created, a name taken by a revision
with other data (a hash collision) bumps `collisionCount` and tries the next name.
`status.currentRevision` is the revision the set ran before the update, `updateRevision` the
one it is moving to. The oldest revisions that no pod and neither status revision uses are
deleted beyond `revisionHistoryLimit`.

Simplified: orphaned revisions matching the selector are not adopted.
"""

from __future__ import annotations

from typing import Any

from ..errors import AlreadyExists, ApiError
from ..jsonutil import copy_json
from . import history
from .base import Controller, controller_of, owner_reference
from .statefulset_utils import pod_revision

Obj = dict[str, Any]


class StatefulSetRevisions(Controller):
    """`getStatefulSetRevisions` and `truncateHistory`."""

    def _revisions(self, sts: Obj, revisions: list[Obj], collision: int) -> tuple[Obj, Obj, int, list[Obj]]:
        """`getStatefulSetRevisions`: the current and update revisions, creating or re-numbering
        the update revision as needed. Returns them, the collision count and the revisions."""
        template = copy_json(sts["spec"]["template"])
        template["$patch"] = "replace"
        data = {"spec": {"template": template}}
        labels = dict((sts["spec"]["template"].get("metadata") or {}).get("labels") or {})
        candidate = history.new_revision(
            sts, owner_reference(sts), labels, data, history.next_revision(revisions), collision
        )
        if sts["metadata"].get("annotations"):
            candidate["metadata"]["annotations"] = copy_json(sts["metadata"]["annotations"])
        equal = history.equal_revisions(revisions, candidate)
        if equal and equal[-1]["metadata"]["name"] == revisions[-1]["metadata"]["name"]:
            update = revisions[-1]  # the template has not changed
        elif equal:
            # Back to an earlier template: that revision becomes the newest again.
            renumbered = copy_json(equal[-1])
            renumbered["revision"] = candidate["revision"]
            update = self.server.update(self.user, renumbered)
            revisions = history.sort_revisions(
                [r for r in revisions if r["metadata"]["name"] != update["metadata"]["name"]] + [update]
            )
        else:
            update, collision = self._create_revision(sts, candidate, collision)
            revisions = history.sort_revisions(
                [r for r in revisions if r["metadata"]["name"] != update["metadata"]["name"]] + [update]
            )
        wanted = (sts.get("status") or {}).get("currentRevision")
        current = next((r for r in revisions if r["metadata"]["name"] == wanted), update)
        return current, update, collision, revisions

    def _create_revision(self, sts: Obj, candidate: Obj, collision: int) -> tuple[Obj, int]:
        """`CreateControllerRevision`: a name taken by a revision with other data (a hash
        collision) bumps the collision count and tries the next name."""
        while True:
            clone = copy_json(candidate)
            hash_ = history.hash_revision(clone["data"], collision)
            clone["metadata"]["name"] = history.revision_name(sts["metadata"]["name"], hash_)
            clone["metadata"]["labels"][history.HASH_LABEL] = hash_
            try:
                return self.server.create(self.user, clone), collision
            except AlreadyExists:
                exists = self.server.get(
                    self.user, "controllerrevisions", clone["metadata"]["name"], sts["metadata"]["namespace"]
                )
                ref = controller_of(exists)
                if (
                    ref is not None
                    and ref.get("uid") == sts["metadata"]["uid"]
                    and exists.get("data") == clone["data"]
                ):
                    return exists, collision
                collision += 1

    def _truncate_history(
        self, sts: Obj, pods: list[Obj], revisions: list[Obj], current: Obj, update: Obj
    ) -> None:
        """`truncateHistory`: delete the oldest revisions no pod and neither status revision
        uses, keeping `revisionHistoryLimit` of them."""
        live = {current["metadata"]["name"], update["metadata"]["name"], *(pod_revision(p) for p in pods)}
        old = [r for r in revisions if r["metadata"]["name"] not in live]
        limit = int(sts["spec"].get("revisionHistoryLimit", 10))
        if limit < 0 or len(old) <= limit:
            return
        for rev in old[: len(old) - limit]:
            try:
                self.server.delete(
                    self.user, "controllerrevisions", rev["metadata"]["name"], rev["metadata"]["namespace"]
                )
            except ApiError as exc:
                if exc.code != 404:
                    raise
