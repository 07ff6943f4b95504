"""The Deployment controller: roll a Deployment's pod template out through ReplicaSets.

As Kubernetes' `pkg/controller/deployment` (v1.32): a Deployment owns ReplicaSets (by
ownerReference), one per distinct pod template, named `<deployment>-<pod-template-hash>`. The
ReplicaSet whose template equals the Deployment's (ignoring the hash label) is the *new* one,
the others are *old*. `syncDeployment` then, in this order:

- being deleted → only recompute status;
- `checkPausedConditions`: Progressing Unknown `DeploymentPaused` / `DeploymentResumed`;
- paused, or a *scaling event* (an active ReplicaSet's desired-replicas annotation differs from
  `spec.replicas`) → `sync`: resize without rolling (`scale`: one active ReplicaSet takes all the
  replicas; during a rollout every active one gets its *proportion* of the change,
  `GetProportion`, larger first, the leftover to the first); a paused Deployment also cleans up
  old revisions;
- `Recreate` (recreate.go): scale every old ReplicaSet to 0, wait until none of their pods is
  left, create/scale the new one to `replicas`;
- `RollingUpdate` (rolling.go): `reconcileNewReplicaSet` grows the new ReplicaSet up to
  `replicas + maxSurge` pods in all, else `reconcileOldReplicaSets` removes old pods: first
  unavailable ones (`cleanupUnhealthyReplicas`), then available ones while at least
  `replicas − maxUnavailable` stay available, never more than `allPods − minAvailable −
  newUnavailable` (so a broken new version stalls the rollout with exactly maxUnavailable old
  pods gone); once complete, `cleanupDeployment` deletes the oldest empty ReplicaSets beyond
  `revisionHistoryLimit`.
Status and `Available`/`Progressing`/`ReplicaFailure` conditions are in
`deployment_status.py`; with no progress for `progressDeadlineSeconds` the rollout is marked
`ProgressDeadlineExceeded` (the controller requeues itself for that check one second after
the deadline, as `requeueStuckDeployment` does). Revisions: the new ReplicaSet gets
max(old revisions) + 1 (a template that returns to an old ReplicaSet moves it to the newest
revision, remembering the old number in `revision-history`), the Deployment's annotations
(e.g. `kubernetes.io/change-cause`) are copied to it, and the Deployment carries the current
revision. Every resize is a `ScalingReplicaSet` event worded as Kubernetes words it, and every
decision is recorded with its arithmetic (`explain`).

Simplified: ReplicaSets are not adopted or released by label (ownerReferences decide); the
deprecated `rollbackTo` (extensions/v1beta1) does not exist — `kubectl rollout undo` patches the
template, as kubectl 1.32 does; the revision annotation on the Deployment is written with an
update of the object, status with the status subresource; after writing an object the
controller goes on with the stored copy instead of meeting the conflicts a real one sometimes
retries.
"""

from __future__ import annotations

import functools
from typing import Any

from ..errors import AlreadyExists, ApiError, already_exists
from ..informers import key_of
from ..jsonutil import copy_json
from ..names import pod_template_hash
from ..timefmt import seconds_since
from . import deployment_status as ds
from .base import Controller, ControllerContext, controller_of, owner_reference, owner_uid_index
from .rollout_math import (
    annotation_int,
    describe_value,
    fenceposts,
    get_proportion,
    new_rs_new_replicas,
    replica_set_fraction,
    replicas_of,
)

Obj = dict[str, Any]
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
HASH_LABEL = "pod-template-hash"
# `annotationsToSkip`: never copied from the Deployment to its ReplicaSets (nor back on rollback).
SKIPPED_ANNOTATIONS = frozenset(
    {
        "kubectl.kubernetes.io/last-applied-configuration",
        REVISION,
        REVISION_HISTORY,
        DESIRED,
        MAX_REPLICAS,
        "deprecated.deployment.rollback.to",
    }
)
MAX_REVISION_HISTORY_CHARS = 2000  # `maxRevHistoryLengthInChars`


def template_without_hash(template: Obj) -> Obj:
    t = copy_json(template)
    labels = (t.get("metadata") or {}).get("labels")
    if labels:
        labels.pop(HASH_LABEL, None)
    return t


def _available(rs: Obj | None) -> int:
    return int(((rs or {}).get("status") or {}).get("availableReplicas", 0) or 0)


def _actual(rs: Obj | None) -> int:
    return int(((rs or {}).get("status") or {}).get("replicas", 0) or 0)


def revision_of(rs: Obj) -> int:
    return annotation_int(rs, REVISION) or 0


def _by_creation(rs: Obj) -> tuple[str, str]:
    """`ReplicaSetsByCreationTimestamp` (ties by name)."""
    return rs["metadata"].get("creationTimestamp", ""), rs["metadata"]["name"]


def _active(rss: list[Obj]) -> list[Obj]:
    """`FilterActiveReplicaSets`: replicas > 0."""
    return [r for r in rss if replicas_of(r) > 0]


def _active_or_latest(new_rs: Obj | None, old: list[Obj]) -> Obj | None:
    """`FindActiveOrLatest`: the only active ReplicaSet, or the newest when none is active;
    None when several are active (they are then scaled in proportion)."""
    if new_rs is None and not old:
        return None
    newest_first = sorted(old, key=_by_creation, reverse=True)
    active = _active([*newest_first, *([new_rs] if new_rs else [])])
    if not active:
        return new_rs if new_rs is not None else newest_first[0]
    return active[0] if len(active) == 1 else None


def _size_order(rss: list[Obj], newer_first: bool) -> list[Obj]:
    """`ReplicaSetsBySizeNewer` / `ReplicaSetsBySizeOlder`: larger first, ties by age."""

    def cmp(a: Obj, b: Obj) -> int:
        if replicas_of(a) != replicas_of(b):
            return -1 if replicas_of(a) > replicas_of(b) else 1
        ka, kb = _by_creation(a), _by_creation(b)
        if ka == kb:
            return 0
        older = -1 if ka < kb else 1
        return -older if newer_first else older

    return sorted(rss, key=functools.cmp_to_key(cmp))


class DeploymentController(Controller):
    name = "deployment-controller"
    workers = 5

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.d_informer = ctx.informers.get("deployments")
        self.rs_informer = ctx.informers.get("replicasets")
        self.pod_informer = ctx.informers.get("pods")
        self.rs_informer.add_index("controller-uid", owner_uid_index)
        self.pod_informer.add_index("controller-uid", owner_uid_index)
        self.d_informer.add_handler(self._enqueue, lambda old, new: self._enqueue(new), None)
        self.rs_informer.add_handler(self._on_rs, lambda old, new: self._on_rs(new), self._on_rs)
        self.pod_informer.add_handler(None, None, self._on_pod_delete)

    def _enqueue(self, d: Obj) -> None:
        self.queue.add(key_of(d))

    def _on_rs(self, rs: Obj) -> None:
        ref = controller_of(rs)
        if ref and ref.get("kind") == "Deployment":
            self.queue.add(f"{rs['metadata']['namespace']}/{ref['name']}")

    def _on_pod_delete(self, pod: Obj) -> None:
        """`deletePod`: a Recreate Deployment waits for its old pods to be gone."""
        ref = controller_of(pod)
        if not ref or ref.get("kind") != "ReplicaSet":
            return
        rs = self.rs_informer.get(f"{pod['metadata']['namespace']}/{ref['name']}")
        owner = controller_of(rs) if rs else None
        if not owner or owner.get("kind") != "Deployment":
            return
        key = f"{pod['metadata']['namespace']}/{owner['name']}"
        d = self.d_informer.get(key)
        if d and (d["spec"].get("strategy") or {}).get("type") == "Recreate":
            self.queue.add(key)

    def _note(self, d: Obj, text: str) -> None:
        self.explain(d, f"Deployment {d['metadata']['name']}: {text}")

    def _note_once(self, d: Obj, text: str) -> None:
        """Record a decision not to act only when it differs from the last one recorded."""
        meta = d["metadata"]
        last = self.ctx.decisions.for_object("Deployment", meta["name"], meta.get("namespace") or "")
        full = f"Deployment {meta['name']}: {text}"
        if not last or last[-1].text != full:
            self.explain(d, full)

    # -- sync -----------------------------------------------------------------------------

    def sync(self, key: str) -> int:
        cached = self.d_informer.get(key)
        if cached is None:
            return 0
        d = copy_json(cached)
        rs_list = sorted(self.rs_informer.by_index("controller-uid", d["metadata"]["uid"]), key=_by_creation)
        selector = d["spec"].get("selector") or {}
        if not selector.get("matchLabels") and not selector.get("matchExpressions"):
            self.recorder.event(
                d,
                "Warning",
                "SelectingAll",
                "This deployment is selecting all pods. A non-empty selector is required.",
            )
            return len(rs_list)
        if d["metadata"].get("deletionTimestamp"):
            new_rs, old, d = self._get_all(d, rs_list, create=False)
            self._sync_deployment_status([*old, new_rs], new_rs, d)
            return len(rs_list)
        d = self._check_paused_conditions(d)
        new_rs, old, d = self._get_all(d, rs_list, create=False)
        if d["spec"].get("paused") or self._is_scaling_event(d, [*old, new_rs]):
            self._sync(d, new_rs, old)
        elif (d["spec"].get("strategy") or {}).get("type") == "Recreate":
            self._rollout_recreate(d, new_rs, old)
        else:
            self._rollout_rolling(d, new_rs, old)
        return len(rs_list)

    def _write_status(self, d: Obj, status: Obj) -> Obj:
        """UpdateStatus; a conflict (stale cache) requeues the key."""
        if status == d.get("status"):
            return d
        new = copy_json(d)
        new["status"] = status
        try:
            return self.server.update(self.user, new, subresource="status", copy=False)
        except ApiError:
            self.queue.add_rate_limited(key_of(d))
            return d

    def _check_paused_conditions(self, d: Obj) -> Obj:
        """`checkPausedConditions`: Unknown Progressing while paused, so that the time spent
        paused never counts against the progress deadline."""
        if not ds.has_progress_deadline(d):
            return d
        cond = ds.get_condition(d.get("status") or {}, "Progressing")
        if cond is not None and cond.get("reason") == ds.TIMED_OUT:
            return d
        paused_cond = cond is not None and cond.get("reason") == ds.PAUSED
        status = copy_json(d.get("status") or {})
        now = self.server.timestamp()
        if d["spec"].get("paused") and not paused_cond:
            ds.set_condition(
                status, ds.new_condition("Progressing", "Unknown", ds.PAUSED, "Deployment is paused", now)
            )
            self._note(
                d, "paused → no rollout while paused (scaling only); the progress deadline stops counting"
            )
        elif not d["spec"].get("paused") and paused_cond:
            ds.set_condition(
                status, ds.new_condition("Progressing", "Unknown", ds.RESUMED, "Deployment is resumed", now)
            )
            self._note(d, "resumed → the rollout continues; the progress deadline counts from now")
        else:
            return d
        return self._write_status(d, status)

    def _is_scaling_event(self, d: Obj, all_rss: list[Obj | None]) -> bool:
        """`isScalingEvent`: an active ReplicaSet was sized for another `spec.replicas`."""
        want = int(d["spec"].get("replicas", 1))
        for rs in _active([r for r in all_rss if r]):
            desired = annotation_int(rs, DESIRED)
            if desired is not None and desired != want:
                return True
        return False

    # -- the new ReplicaSet and revisions --------------------------------------------------

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

    # -- scaling ---------------------------------------------------------------------------

    def _scale_rs(self, d: Obj, rs: Obj, to: int, operation: str) -> tuple[bool, Obj]:
        """`scaleReplicaSet`: resize and/or refresh the desired/max-replicas annotations."""
        surge, _ = fenceposts(d)
        want = int(d["spec"]["replicas"])
        ann = rs["metadata"].get("annotations") or {}
        size_changes = replicas_of(rs) != to
        if not size_changes and ann.get(DESIRED) == str(want) and ann.get(MAX_REPLICAS) == str(want + surge):
            return False, rs
        frm = replicas_of(rs)
        new = copy_json(rs)
        new["spec"]["replicas"] = to
        new_ann = new["metadata"].setdefault("annotations", {})
        new_ann[DESIRED] = str(want)
        new_ann[MAX_REPLICAS] = str(want + surge)
        stored = self.server.update(self.user, new)
        if size_changes:
            self.recorder.event(
                d,
                "Normal",
                "ScalingReplicaSet",
                f"Scaled {operation} replica set {rs['metadata']['name']} from {frm} to {to}",
            )
        return size_changes, stored

    def _scale_and_record(self, d: Obj, rs: Obj, to: int) -> tuple[bool, Obj]:
        """`scaleReplicaSetAndRecordEvent`."""
        if replicas_of(rs) == to:
            return False, rs
        return self._scale_rs(d, rs, to, "up" if replicas_of(rs) < to else "down")

    def _sync(self, d: Obj, new_rs: Obj | None, old: list[Obj]) -> None:
        """`sync`: scaling (or a paused Deployment) without rolling."""
        self._scale(d, new_rs, old)
        if d["spec"].get("paused"):
            self._cleanup(d, old)
        self._sync_deployment_status([*old, new_rs], new_rs, d)

    def _scale(self, d: Obj, new_rs: Obj | None, old: list[Obj]) -> None:
        """`scale`: proportional scaling, so a resize mid-rollout keeps the ratio of old to new."""
        want = int(d["spec"]["replicas"])
        only = _active_or_latest(new_rs, old)
        if only is not None:
            if replicas_of(only) != want:
                self._note(
                    d,
                    f"scaled to {want}, one active ReplicaSet → {only['metadata']['name']} takes them all",
                )
                self._scale_and_record(d, only, want)
            return
        if new_rs is not None and replicas_of(new_rs) == want and annotation_int(new_rs, DESIRED) == want:
            for rs in _active(old):  # `IsSaturated`: the new ReplicaSet has them all
                self._note(d, f"new ReplicaSet {new_rs['metadata']['name']} is saturated → old ones to 0")
                self._scale_and_record(d, rs, 0)
            return
        if (d["spec"].get("strategy") or {}).get("type") == "Recreate":
            return
        rss = _active([*old, *([new_rs] if new_rs else [])])
        total = sum(replicas_of(r) for r in rss)
        surge, _ = fenceposts(d)
        allowed = want + surge if want > 0 else 0
        to_add = allowed - total
        operation = ""
        if to_add > 0:
            rss, operation = _size_order(rss, newer_first=True), "up"
        elif to_add < 0:
            rss, operation = _size_order(rss, newer_first=False), "down"
        sizes: dict[str, int] = {}
        added = 0
        parts: list[str] = []
        for rs in rss:
            name = rs["metadata"]["name"]
            if to_add != 0:
                proportion = get_proportion(rs, d, to_add, added)
                sizes[name] = replicas_of(rs) + proportion
                added += proportion
                fraction = replica_set_fraction(rs, d)
                old_max = annotation_int(rs, MAX_REPLICAS) or int(
                    (d.get("status") or {}).get("replicas", 0) or 0
                )
                parts.append(
                    f"{name} {replicas_of(rs)}×{allowed}/{old_max} → {replicas_of(rs) + fraction}"
                    f" ({proportion:+d})"
                )
            else:
                sizes[name] = replicas_of(rs)
        if to_add != 0 and rss:
            first = rss[0]["metadata"]["name"]
            leftover = to_add - added
            sizes[first] = max(sizes[first] + leftover, 0)
            self._note(
                d,
                f"scaled to {want} mid-rollout: max pods {allowed} ({want} + maxSurge {surge}), "
                f"{total} in the active ReplicaSets → {to_add:+d} shared in proportion: "
                + "; ".join(parts)
                + (f"; leftover {leftover:+d} to {first}" if leftover else ""),
            )
        for rs in rss:
            self._scale_rs(d, rs, sizes[rs["metadata"]["name"]], operation)

    # -- rolling update ----------------------------------------------------------------------

    def _rollout_rolling(self, d: Obj, new_rs: Obj | None, old: list[Obj]) -> None:
        """`rolloutRolling`."""
        if new_rs is None:
            new_rs, d = self._get_new_rs(d, None, old, create=True)
            if new_rs is None:
                return
        all_rss: list[Obj | None] = [*old, new_rs]
        if self._reconcile_new(d, old, new_rs):
            self._sync_rollout_status(all_rss, new_rs, d)
            return
        if self._reconcile_old(d, _active(old), new_rs):
            self._sync_rollout_status(all_rss, new_rs, d)
            return
        if ds.deployment_complete(d, d.get("status") or {}):
            self._cleanup(d, old)
        self._sync_rollout_status(all_rss, new_rs, d)

    def _reconcile_new(self, d: Obj, old: list[Obj], new_rs: Obj) -> bool:
        """`reconcileNewReplicaSet`."""
        want = int(d["spec"]["replicas"])
        name = new_rs["metadata"]["name"]
        if replicas_of(new_rs) == want:
            return False
        if replicas_of(new_rs) > want:
            self._note(d, f"new ReplicaSet {name} has more than the {want} desired → scale down to {want}")
            return self._scale_and_record(d, new_rs, want)[0]
        target = new_rs_new_replicas(d, [*old, new_rs], new_rs)
        if target != replicas_of(new_rs):
            self._note(
                d,
                f"{self._surge_text(d, old, replicas_of(new_rs))} "
                f"→ scale up {name} {replicas_of(new_rs)}→{target}",
            )
        return self._scale_and_record(d, new_rs, target)[0]

    def _unavailable_text(self, d: Obj) -> str:
        want = int(d["spec"]["replicas"])
        _, max_unavailable = fenceposts(d)
        ru = d["spec"]["strategy"].get("rollingUpdate") or {}
        how = describe_value(ru.get("maxUnavailable"), want, max_unavailable, False)
        return f"maxUnavailable {max_unavailable} ({how}) → at least {want - max_unavailable} available"

    def _reconcile_old(self, d: Obj, old: list[Obj], new_rs: Obj) -> bool:
        """`reconcileOldReplicaSets`."""
        if sum(replicas_of(r) for r in old) == 0:
            return False
        want = int(d["spec"]["replicas"])
        _, max_unavailable = fenceposts(d)
        min_available = want - max_unavailable
        all_pods = sum(replicas_of(r) for r in old) + replicas_of(new_rs)
        new_unavailable = replicas_of(new_rs) - _available(new_rs)
        max_scaled_down = all_pods - min_available - new_unavailable
        if max_scaled_down <= 0:
            self._note_once(
                d,
                f"{self._unavailable_text(d)}; {all_pods} pods − {min_available} − {new_unavailable} "
                f"unavailable new = {max_scaled_down} → no old pod can go until new pods become available",
            )
            return False
        old, cleaned = self._cleanup_unhealthy(d, old, max_scaled_down)
        scaled = self._scale_down_old(d, [*old, new_rs], old)
        return cleaned + scaled > 0

    def _cleanup_unhealthy(self, d: Obj, old: list[Obj], max_cleanup: int) -> tuple[list[Obj], int]:
        """`cleanupUnhealthyReplicas`: old pods that are not available go first (it costs no
        availability), oldest ReplicaSet first."""
        old = sorted(old, key=_by_creation)
        total = 0
        for i, rs in enumerate(old):
            if total >= max_cleanup:
                break
            unhealthy = replicas_of(rs) - _available(rs)
            if replicas_of(rs) == 0 or unhealthy <= 0:
                continue
            cut = min(max_cleanup - total, unhealthy)
            self._note(
                d,
                f"old ReplicaSet {rs['metadata']['name']} has {unhealthy} unavailable → scale down "
                f"{replicas_of(rs)}→{replicas_of(rs) - cut} (unavailable pods cost no availability)",
            )
            _, old[i] = self._scale_and_record(d, rs, replicas_of(rs) - cut)
            total += cut
        return old, total

    def _scale_down_old(self, d: Obj, all_rss: list[Obj], old: list[Obj]) -> int:
        """`scaleDownOldReplicaSetsForRollingUpdate`."""
        want = int(d["spec"]["replicas"])
        _, max_unavailable = fenceposts(d)
        min_available = want - max_unavailable
        available = sum(_available(r) for r in all_rss)
        if available <= min_available:
            self._note_once(d, f"{self._unavailable_text(d)}; {available} available → no old pod can go yet")
            return 0
        total_down = available - min_available
        done = 0
        for rs in sorted(old, key=_by_creation):
            if done >= total_down:
                break
            if replicas_of(rs) == 0:
                continue
            cut = min(replicas_of(rs), total_down - done)
            self._note(
                d,
                f"{self._unavailable_text(d)}; {available} available → scale down "
                f"{rs['metadata']['name']} {replicas_of(rs)}→{replicas_of(rs) - cut}",
            )
            self._scale_and_record(d, rs, replicas_of(rs) - cut)
            done += cut
        return done

    # -- recreate --------------------------------------------------------------------------

    def _rollout_recreate(self, d: Obj, new_rs: Obj | None, old: list[Obj]) -> None:
        """`rolloutRecreate`."""
        all_rss: list[Obj | None] = [*old, new_rs]
        scaled = False
        for rs in _active(old):
            self._note(
                d, f"Recreate → scale down {rs['metadata']['name']} {replicas_of(rs)}→0 before anything new"
            )
            scaled = self._scale_and_record(d, rs, 0)[0] or scaled
        if scaled:
            self._sync_rollout_status(all_rss, new_rs, d)
            return
        running = self._old_pods_running(new_rs, old)
        if running:
            self._note_once(d, f"Recreate → waiting for {running} old pods to terminate")
            self._sync_rollout_status(all_rss, new_rs, d)
            return
        if new_rs is None:
            new_rs, d = self._get_new_rs(d, None, old, create=True)
            if new_rs is None:
                return
            all_rss = [*old, new_rs]
        want = int(d["spec"]["replicas"])
        if replicas_of(new_rs) != want:
            self._note(d, f"Recreate: no old pods left → scale up {new_rs['metadata']['name']} to {want}")
        self._scale_and_record(d, new_rs, want)
        if ds.deployment_complete(d, d.get("status") or {}):
            self._cleanup(d, old)
        self._sync_rollout_status(all_rss, new_rs, d)

    def _old_pods_running(self, new_rs: Obj | None, old: list[Obj]) -> int:
        """`oldPodsRunning`: old ReplicaSets' pods that are not finished, terminating ones too."""
        count = sum(_actual(r) for r in old)
        if count:
            return count
        for rs in old:
            for pod in self.pod_informer.by_index("controller-uid", rs["metadata"]["uid"]):
                if (pod.get("status") or {}).get("phase") not in ("Failed", "Succeeded"):
                    count += 1
        return count

    # -- history ---------------------------------------------------------------------------

    def _cleanup(self, d: Obj, old: list[Obj]) -> None:
        """`cleanupDeployment`: delete the oldest revisions beyond revisionHistoryLimit (only
        empty, settled ReplicaSets)."""
        if not ds.has_revision_history_limit(d):
            return
        alive = [r for r in old if not r["metadata"].get("deletionTimestamp")]
        limit = int(d["spec"]["revisionHistoryLimit"])
        diff = len(alive) - limit
        if diff <= 0:
            return
        alive.sort(key=lambda r: (revision_of(r), *_by_creation(r)))
        for rs in alive[:diff]:
            status = rs.get("status") or {}
            if (
                _actual(rs) != 0
                or replicas_of(rs) != 0
                or int(rs["metadata"].get("generation", 1)) > int(status.get("observedGeneration", 0) or 0)
            ):
                continue
            self._note(
                d,
                f"revisionHistoryLimit {limit}, {len(alive)} old ReplicaSets → delete "
                f"{rs['metadata']['name']} (revision {revision_of(rs)})",
            )
            try:
                self.server.delete(
                    self.user, "replicasets", rs["metadata"]["name"], rs["metadata"]["namespace"]
                )
            except ApiError as exc:
                if exc.code != 404:
                    raise

    # -- status ----------------------------------------------------------------------------

    def _sync_deployment_status(self, all_rss: list[Obj | None], new_rs: Obj | None, d: Obj) -> None:
        """`syncDeploymentStatus`: counters and Available only."""
        self._write_status(d, ds.calculate_status(all_rss, new_rs, d, self.server.timestamp()))

    def _sync_rollout_status(self, all_rss: list[Obj | None], new_rs: Obj | None, d: Obj) -> None:
        """`syncRolloutStatus`, then `requeueStuckDeployment` when nothing changed."""
        now = self.clock.now
        status = ds.rollout_status(all_rss, new_rs, d, now, self.server.epoch, self.server.timestamp())
        before = ds.get_condition(d.get("status") or {}, "Progressing")
        after = ds.get_condition(status, "Progressing")
        if after and after.get("reason") == ds.TIMED_OUT and (before or {}).get("reason") != ds.TIMED_OUT:
            self._note(
                d,
                f"no progress for {d['spec']['progressDeadlineSeconds']}s (progressDeadlineSeconds) since "
                f"{(before or {}).get('lastUpdateTime')} → Progressing=False, ProgressDeadlineExceeded",
            )
        if status != d.get("status"):
            self._write_status(d, status)
            return
        self._requeue_stuck(d, status)

    def _requeue_stuck(self, d: Obj, status: Obj) -> None:
        """`requeueStuckDeployment`: check again one second after the deadline would pass."""
        cond = ds.get_condition(d.get("status") or {}, "Progressing")
        if not ds.has_progress_deadline(d) or cond is None:
            return
        if ds.deployment_complete(d, status) or cond.get("reason") == ds.TIMED_OUT:
            return
        since = seconds_since(self.server.epoch, cond["lastUpdateTime"])
        after = since + int(d["spec"]["progressDeadlineSeconds"]) - self.clock.now
        if after < 1:
            self.queue.add_rate_limited(key_of(d))
        else:
            self.queue.add_after(key_of(d), after + 1)
