"""A Deployment's new ReplicaSet and its revisions.

As `pkg/controller/deployment/sync.go` (`getAllReplicaSetsAndSyncRevision`, `getNewReplicaSet`)
and `util/deployment_util.go` (`SetNewReplicaSetAnnotations`): the ReplicaSet whose template
equals the Deployment's (ignoring the hash label) is the *new* one, the others are *old*. A
new ReplicaSet is named `<deployment>-<pod-template-hash>` (the hash of the template and
`collisionCount`), owned by the Deployment, sized by the rollout (`NewRSNewReplicas`), and gets
revision max(old revisions) + 1; a template that returns to an old ReplicaSet moves it to the
newest revision, remembering the old number in `revision-history`. The Deployment's
annotations (e.g. `kubernetes.io/change-cause`) are copied to it, and the Deployment carries
the current revision. A name taken by a ReplicaSet with another template is a hash collision:
`collisionCount` + 1, and the next sync tries another name.

Simplified: ReplicaSets are not adopted or released by label (ownerReferences decide); the
revision annotation on the Deployment is written with an update of the object, status with the
status subresource.
"""

from __future__ import annotations

from typing import Any

from ..errors import AlreadyExists, ApiError, already_exists
from ..informers import key_of
from ..jsonutil import copy_json
from ..names import pod_template_hash
from . import deployment_status as ds
from .base import controller_of, owner_reference
from .deployment_progress import DeploymentProgress
from .deployment_util import (
    DESIRED,
    HASH_LABEL,
    MAX_REPLICAS,
    MAX_REVISION_HISTORY_CHARS,
    REVISION,
    REVISION_HISTORY,
    SKIPPED_ANNOTATIONS,
    revision_of,
    template_without_hash,
)
from .rollout_math import annotation_int, describe_value, fenceposts, new_rs_new_replicas, replicas_of

Obj = dict[str, Any]


class DeploymentRevisions(DeploymentProgress):
    """Find or create the new ReplicaSet, and keep the revisions in order."""

    def _get_all(self, d: Obj, rs_list: list[Obj], create: bool) -> tuple[Obj | None, list[Obj], Obj]:
        """`getAllReplicaSetsAndSyncRevision`: (new ReplicaSet or None, old ones, Deployment)."""
        want = template_without_hash(d["spec"]["template"])
        new_rs = next((r for r in rs_list if template_without_hash(r["spec"]["template"]) == want), None)
        old = [r for r in rs_list if r is not new_rs]
        new_rs, d = self._get_new_rs(d, new_rs, old, create)
        return new_rs, old, d

    def _set_new_rs_annotations(self, d: Obj, rs: Obj, new_revision: int, exists: bool) -> bool:
        """`SetNewReplicaSetAnnotations`: copy the Deployment's annotations, raise the revision
        (remembering the previous number in revision-history), size annotations when new."""
        ann = rs["metadata"].setdefault("annotations", {})
        changed = False
        for k, v in (d["metadata"].get("annotations") or {}).items():
            if k not in SKIPPED_ANNOTATIONS and ann.get(k) != v:
                ann[k] = v
                changed = True
        had = REVISION in ann
        old_revision = annotation_int(rs, REVISION) or 0
        if old_revision < new_revision:
            ann[REVISION] = str(new_revision)
            changed = True
            if had:
                history = [h for h in (ann.get(REVISION_HISTORY) or "").split(",") if h]
                history.append(str(old_revision))
                while len(",".join(history)) > MAX_REVISION_HISTORY_CHARS:
                    history.pop(0)
                ann[REVISION_HISTORY] = ",".join(history)
        if not exists:
            surge, _ = fenceposts(d)
            ann[DESIRED] = str(d["spec"]["replicas"])
            ann[MAX_REPLICAS] = str(int(d["spec"]["replicas"]) + surge)
            changed = True
        return changed

    def _save_deployment(self, d: Obj, status: Obj | None) -> Obj:
        """Write the revision annotation (an update) and then the status (UpdateStatus)."""
        stored = self.d_informer.get(key_of(d)) or d
        revision = (d["metadata"].get("annotations") or {}).get(REVISION)
        if (stored["metadata"].get("annotations") or {}).get(REVISION) != revision:
            try:
                d = self.server.update(self.user, d)
            except ApiError:
                self.queue.add_rate_limited(key_of(d))
                return d
        if status is not None:
            d = self._write_status(d, status)
        return d

    def _get_new_rs(
        self, d: Obj, existing: Obj | None, old: list[Obj], create: bool
    ) -> tuple[Obj | None, Obj]:
        """`getNewReplicaSet`."""
        new_revision = max((revision_of(r) for r in old), default=0) + 1
        now = self.server.timestamp()
        if existing is not None:
            rs = copy_json(existing)
            before = revision_of(rs)
            changed = self._set_new_rs_annotations(d, rs, new_revision, exists=True)
            mrs = d["spec"].get("minReadySeconds", 0) or 0
            if changed or (rs["spec"].get("minReadySeconds", 0) or 0) != mrs:
                rs["spec"]["minReadySeconds"] = mrs
                if revision_of(rs) != before:
                    self._note(
                        d,
                        f"the template matches ReplicaSet {rs['metadata']['name']} (revision {before}) "
                        f"→ it becomes revision {revision_of(rs)}",
                    )
                return self.server.update(self.user, rs), d
            annotations = d["metadata"].setdefault("annotations", {})
            needs = annotations.get(REVISION) != rs["metadata"]["annotations"].get(REVISION)
            annotations[REVISION] = rs["metadata"]["annotations"].get(REVISION, "")
            status = copy_json(d.get("status") or {})
            if ds.has_progress_deadline(d) and ds.get_condition(status, "Progressing") is None:
                msg = f'Found new replica set "{rs["metadata"]["name"]}"'
                ds.set_condition(status, ds.new_condition("Progressing", "True", ds.FOUND_NEW_RS, msg, now))
                needs = True
            if needs:
                d = self._save_deployment(d, status)
            return rs, d
        if not create:
            return None, d
        meta = d["metadata"]
        collisions = int((d.get("status") or {}).get("collisionCount", 0) or 0)
        template = copy_json(d["spec"]["template"])
        h = pod_template_hash(template_without_hash(template), collisions)
        template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = h
        selector = copy_json(d["spec"]["selector"])
        selector.setdefault("matchLabels", {})[HASH_LABEL] = h
        rs = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{meta['name']}-{h}",
                "namespace": meta["namespace"],
                "labels": copy_json(template["metadata"]["labels"]),
                "ownerReferences": [owner_reference(d)],
            },
            "spec": {
                "replicas": 0,
                "minReadySeconds": d["spec"].get("minReadySeconds", 0),
                "selector": selector,
                "template": template,
            },
        }
        replicas = new_rs_new_replicas(d, [*old, rs], rs)
        rs["spec"]["replicas"] = replicas
        self._set_new_rs_annotations(d, rs, new_revision, exists=False)
        try:
            created = self.server.create(self.user, rs)
        except ApiError as exc:
            if isinstance(exc, AlreadyExists):
                return self._on_collision(d, rs)
            msg = f'Failed to create new replica set "{rs["metadata"]["name"]}": {exc.message}'
            if ds.has_progress_deadline(d):
                status = copy_json(d.get("status") or {})
                ds.set_condition(
                    status, ds.new_condition("Progressing", "False", ds.FAILED_RS_CREATE, msg, now)
                )
                self._write_status(d, status)
            self.recorder.event(d, "Warning", ds.FAILED_RS_CREATE, msg)
            raise
        why = (
            "Recreate: all at once, after the old pods are gone"
            if (d["spec"].get("strategy") or {}).get("type") == "Recreate"
            else self._surge_text(d, old, 0)
        )
        self._note(
            d,
            f"the template changed → new ReplicaSet {created['metadata']['name']} (revision {new_revision}) "
            f"with {replicas}: {why}",
        )
        if replicas > 0:
            self.recorder.event(
                d,
                "Normal",
                "ScalingReplicaSet",
                f"Scaled up replica set {created['metadata']['name']} from 0 to {replicas}",
            )
        d["metadata"].setdefault("annotations", {})[REVISION] = str(new_revision)
        status = copy_json(d.get("status") or {})
        if ds.has_progress_deadline(d):
            msg = f'Created new replica set "{created["metadata"]["name"]}"'
            ds.set_condition(status, ds.new_condition("Progressing", "True", ds.NEW_RS_CREATED, msg, now))
        return created, self._save_deployment(d, status)

    def _surge_text(self, d: Obj, old: list[Obj], new_count: int) -> str:
        """`maxSurge 3 (25 % of 10, rounded up) → at most 13 pods; 11 exist (8 old + 3 new)`."""
        want = int(d["spec"]["replicas"])
        surge, _ = fenceposts(d)
        ru = d["spec"]["strategy"].get("rollingUpdate") or {}
        old_count = sum(replicas_of(r) for r in old)
        return (
            f"maxSurge {surge} ({describe_value(ru.get('maxSurge'), want, surge, True)}) → at most "
            f"{want + surge} pods; {old_count + new_count} exist ({old_count} old + {new_count} new)"
        )

    def _on_collision(self, d: Obj, rs: Obj) -> tuple[Obj | None, Obj]:
        """A ReplicaSet of that name exists: ours with the same template, or a hash collision
        (`collisionCount` + 1, then the next sync tries another name)."""
        current = self.rs_informer.get(f"{rs['metadata']['namespace']}/{rs['metadata']['name']}")
        ref = controller_of(current) if current else None
        if (
            current is not None
            and ref is not None
            and ref.get("uid") == d["metadata"]["uid"]
            and template_without_hash(current["spec"]["template"])
            == template_without_hash(d["spec"]["template"])
        ):
            return current, d
        status = copy_json(d.get("status") or {})
        status["collisionCount"] = int(status.get("collisionCount", 0) or 0) + 1
        self._write_status(d, status)
        raise already_exists("replicasets", "apps", rs["metadata"]["name"])
