"""The Deployment controller: roll a Deployment's pod template out through ReplicaSets.

Like Kubernetes' `pkg/controller/deployment`: a Deployment owns ReplicaSets (by
ownerReference), one per distinct pod template, named `<deployment>-<pod-template-hash>`.
The ReplicaSet whose template matches the Deployment's is the *new* one; the others are
*old*. With the default RollingUpdate strategy the controller scales the new ReplicaSet up
by at most `maxSurge` above the desired count and the old ones down while keeping at least
`replicas - maxUnavailable` available (surge rounded up, unavailable rounded down).
Recreate scales old ReplicaSets to zero first. A plain scale with a single active
ReplicaSet resizes it directly. Every resize is a `ScalingReplicaSet` event worded as
Kubernetes words it, and status carries replicas/updated/ready/available counts with the
`Available` and `Progressing` conditions.

Simplified (arriving with the workloads work): proportional scaling of several active
ReplicaSets mid-rollout, progressDeadlineSeconds, pause/resume, rollback, history cleanup
beyond revisionHistoryLimit, adoption of orphaned ReplicaSets.
"""

from __future__ import annotations

from typing import Any

from ..informers import key_of
from ..jsonutil import copy_json
from ..names import pod_template_hash
from .base import Controller, ControllerContext, controller_of, owner_reference, owner_uid_index
from .rollout_math import resolve_fenceposts

Obj = dict[str, Any]
REVISION = "deployment.kubernetes.io/revision"
DESIRED = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
HASH_LABEL = "pod-template-hash"


def _template_without_hash(template: Obj) -> Obj:
    t = copy_json(template)
    labels = (t.get("metadata") or {}).get("labels")
    if labels:
        labels.pop(HASH_LABEL, None)
    return t


def _replicas(rs: Obj) -> int:
    return int(rs["spec"].get("replicas", 0) or 0)


def _available(rs: Obj) -> int:
    return int(rs.get("status", {}).get("availableReplicas", 0) or 0)


class DeploymentController(Controller):
    name = "deployment-controller"
    workers = 5

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.d_informer = ctx.informers.get("deployments")
        self.rs_informer = ctx.informers.get("replicasets")
        self.rs_informer.add_index("controller-uid", owner_uid_index)
        self.d_informer.add_handler(self._enqueue, lambda old, new: self._enqueue(new), None)
        self.rs_informer.add_handler(self._on_rs, lambda old, new: self._on_rs(new), self._on_rs)

    def _enqueue(self, d: Obj) -> None:
        self.queue.add(key_of(d))

    def _on_rs(self, rs: Obj) -> None:
        ref = controller_of(rs)
        if ref and ref.get("kind") == "Deployment":
            self.queue.add(f"{rs['metadata']['namespace']}/{ref['name']}")

    # -- sync -----------------------------------------------------------------------------

    def sync(self, key: str) -> None:
        d = self.d_informer.get(key)
        if d is None:
            return
        owned = sorted(
            self.rs_informer.by_index("controller-uid", d["metadata"]["uid"]),
            key=lambda r: (r["metadata"]["creationTimestamp"], r["metadata"]["name"]),
        )
        if d["metadata"].get("deletionTimestamp"):
            self._sync_status(d, owned, None, None)
            return
        new_rs = self._find_new(d, owned)
        old = [r for r in owned if r is not new_rs]
        created_msg = None
        if new_rs is None:
            new_rs = self._create_new(d, old)
            created_msg = new_rs["metadata"]["name"]
        else:
            new_rs = self._sync_revision(new_rs, old)
        d = self._annotate_revision(d, new_rs)
        if d["spec"]["strategy"]["type"] == "Recreate":
            self._recreate(d, old, new_rs)
        else:
            self._rolling(d, old, new_rs)
        self._sync_status(d, [*old, new_rs], new_rs, created_msg)

    def _find_new(self, d: Obj, owned: list[Obj]) -> Obj | None:
        want = _template_without_hash(d["spec"]["template"])
        for rs in owned:
            if _template_without_hash(rs["spec"]["template"]) == want:
                return rs
        return None

    @staticmethod
    def _revision(rs: Obj) -> int:
        return int((rs["metadata"].get("annotations") or {}).get(REVISION, 0) or 0)

    def _sync_revision(self, new_rs: Obj, old: list[Obj]) -> Obj:
        """A template that returns to an older ReplicaSet makes it the newest revision again."""
        newest = max((self._revision(r) for r in old), default=0)
        if self._revision(new_rs) > newest:
            return new_rs
        rs = copy_json(new_rs)
        rs["metadata"].setdefault("annotations", {})[REVISION] = str(newest + 1)
        return self.server.update(self.user, rs)

    def _annotate_revision(self, d: Obj, new_rs: Obj) -> Obj:
        """The Deployment carries its current revision too (`kubectl describe` shows it)."""
        revision = str(self._revision(new_rs))
        if (d["metadata"].get("annotations") or {}).get(REVISION) == revision:
            return d
        # An update of the cached object, as the real controller does (its role has no `patch`).
        updated = copy_json(d)
        updated["metadata"].setdefault("annotations", {})[REVISION] = revision
        return self.server.update(self.user, updated, copy=False)

    def _create_new(self, d: Obj, old: list[Obj]) -> Obj:
        meta = d["metadata"]
        collisions = int(d.get("status", {}).get("collisionCount", 0) or 0)
        template = copy_json(d["spec"]["template"])
        h = pod_template_hash(_template_without_hash(template), collisions)
        template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = h
        selector = copy_json(d["spec"]["selector"])
        selector.setdefault("matchLabels", {})[HASH_LABEL] = h
        revision = 1 + max(
            (int(r["metadata"].get("annotations", {}).get(REVISION, 0)) for r in old), default=0
        )
        replicas = self._new_rs_replicas(d, old, None)
        surge, _ = self._fenceposts(d)
        annotations = {
            k: v
            for k, v in (meta.get("annotations") or {}).items()
            if k != "kubectl.kubernetes.io/last-applied-configuration"
        }
        annotations.update(
            {
                REVISION: str(revision),
                DESIRED: str(d["spec"]["replicas"]),
                MAX_REPLICAS: str(d["spec"]["replicas"] + surge),
            }
        )
        rs = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{meta['name']}-{h}",
                "namespace": meta["namespace"],
                "labels": copy_json(template["metadata"]["labels"]),
                "annotations": annotations,
                "ownerReferences": [owner_reference(d)],
            },
            "spec": {
                "replicas": replicas,
                "minReadySeconds": d["spec"].get("minReadySeconds", 0),
                "selector": selector,
                "template": template,
            },
        }
        created = self.server.create(self.user, rs)
        if replicas > 0:
            self.recorder.event(
                d,
                "Normal",
                "ScalingReplicaSet",
                f"Scaled up replica set {created['metadata']['name']} from 0 to {replicas}",
            )
        return created

    def _fenceposts(self, d: Obj) -> tuple[int, int]:
        strategy = d["spec"]["strategy"]
        if strategy["type"] != "RollingUpdate":
            return 0, 0
        ru = strategy.get("rollingUpdate") or {}
        return resolve_fenceposts(ru.get("maxSurge"), ru.get("maxUnavailable"), int(d["spec"]["replicas"]))

    def _new_rs_replicas(self, d: Obj, old: list[Obj], new_rs: Obj | None) -> int:
        """`NewRSNewReplicas`: how far the new ReplicaSet may grow now."""
        want = int(d["spec"]["replicas"])
        current_new = _replicas(new_rs) if new_rs else 0
        if d["spec"]["strategy"]["type"] == "Recreate":
            return want
        surge, _ = self._fenceposts(d)
        total = sum(_replicas(r) for r in old) + current_new
        max_total = want + surge
        if total >= max_total:
            return current_new
        return current_new + min(max_total - total, want - current_new)

    def _scale(self, d: Obj, rs: Obj, to: int) -> bool:
        frm = _replicas(rs)
        if frm == to:
            return False
        new = copy_json(rs)
        new["spec"]["replicas"] = to
        ann = new["metadata"].setdefault("annotations", {})
        surge, _ = self._fenceposts(d)
        ann[DESIRED] = str(d["spec"]["replicas"])
        ann[MAX_REPLICAS] = str(d["spec"]["replicas"] + surge)
        self.server.update(self.user, new)
        direction = "up" if to > frm else "down"
        self.recorder.event(
            d,
            "Normal",
            "ScalingReplicaSet",
            f"Scaled {direction} replica set {rs['metadata']['name']} from {frm} to {to}",
        )
        return True

    def _rolling(self, d: Obj, old: list[Obj], new_rs: Obj) -> None:
        want = int(d["spec"]["replicas"])
        active_old = [r for r in old if _replicas(r) > 0]
        if not active_old:
            self._scale(d, new_rs, want)  # steady state or a plain scale
            return
        # Scale up the new ReplicaSet within maxSurge.
        if _replicas(new_rs) > want:
            if self._scale(d, new_rs, want):
                return
        elif _replicas(new_rs) < want:
            target = self._new_rs_replicas(d, old, new_rs)
            if self._scale(d, new_rs, target):
                return
        # Scale down old ReplicaSets while keeping minAvailable.
        _, max_unavailable = self._fenceposts(d)
        min_available = want - max_unavailable
        all_pods = sum(_replicas(r) for r in old) + _replicas(new_rs)
        new_unavailable = _replicas(new_rs) - _available(new_rs)
        max_scaled_down = all_pods - min_available - new_unavailable
        if max_scaled_down <= 0:
            return
        # First remove old pods that are not available anyway (they do not count).
        for rs in active_old:
            if max_scaled_down <= 0:
                break
            unhealthy = _replicas(rs) - _available(rs)
            if unhealthy <= 0:
                continue
            cut = min(unhealthy, max_scaled_down)
            self._scale(d, rs, _replicas(rs) - cut)
            max_scaled_down -= cut
            rs["spec"] = {**rs["spec"], "replicas": _replicas(rs) - cut}  # local view only
        available = sum(_available(r) for r in old) + _available(new_rs)
        total_down = min(available - min_available, max_scaled_down)
        for rs in active_old:
            if total_down <= 0:
                break
            cut = min(_replicas(rs), total_down)
            if cut > 0:
                self._scale(d, rs, _replicas(rs) - cut)
                total_down -= cut

    def _recreate(self, d: Obj, old: list[Obj], new_rs: Obj) -> None:
        for rs in old:
            if _replicas(rs) > 0:
                self._scale(d, rs, 0)
        if any(int(r.get("status", {}).get("replicas", 0) or 0) > 0 or _replicas(r) > 0 for r in old):
            return  # wait until every old pod is gone
        self._scale(d, new_rs, int(d["spec"]["replicas"]))

    # -- status ---------------------------------------------------------------------------

    def _sync_status(self, d: Obj, rss: list[Obj], new_rs: Obj | None, created: str | None) -> None:
        # Re-read from the cache: scaling above may have changed specs.
        def st(rs: Obj, f: str) -> int:
            return int(rs.get("status", {}).get(f, 0) or 0)

        want = int(d["spec"]["replicas"])
        replicas = sum(st(r, "replicas") for r in rss)
        available = sum(st(r, "availableReplicas") for r in rss)
        status: Obj = {
            "observedGeneration": d["metadata"].get("generation", 1),
            "replicas": replicas,
            "updatedReplicas": st(new_rs, "replicas") if new_rs else 0,
            "readyReplicas": sum(st(r, "readyReplicas") for r in rss),
            "availableReplicas": available,
            "unavailableReplicas": max(want - available, 0) if replicas or want else 0,
        }
        status = {k: v for k, v in status.items() if v or k in ("observedGeneration",)}
        now = self.server.timestamp()
        old_conds = {c["type"]: c for c in d.get("status", {}).get("conditions") or ()}
        _, max_unavailable = self._fenceposts(d)

        def cond(ctype: str, cstatus: str, reason: str, message: str) -> Obj:
            prev = old_conds.get(ctype)
            if prev and prev["status"] == cstatus and prev["reason"] == reason and prev["message"] == message:
                return prev
            transition = prev["lastTransitionTime"] if prev and prev["status"] == cstatus else now
            return {
                "type": ctype,
                "status": cstatus,
                "lastUpdateTime": now,
                "lastTransitionTime": transition,
                "reason": reason,
                "message": message,
            }

        if available >= want - max_unavailable:
            available_cond = cond(
                "Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability."
            )
        else:
            available_cond = cond(
                "Available",
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
            )
        progressing = old_conds.get("Progressing")
        if new_rs is not None:
            name = new_rs["metadata"]["name"]
            complete = (
                st(new_rs, "replicas") == want
                and st(new_rs, "availableReplicas") == want
                and replicas == want
            )
            if complete:
                progressing = cond(
                    "Progressing",
                    "True",
                    "NewReplicaSetAvailable",
                    f'ReplicaSet "{name}" has successfully progressed.',
                )
            elif created:
                progressing = cond(
                    "Progressing", "True", "NewReplicaSetCreated", f'Created new replica set "{name}"'
                )
            elif progressing is None:
                progressing = cond(
                    "Progressing", "True", "FoundNewReplicaSet", f'Found new replica set "{name}"'
                )
            elif any(
                status.get(f) != d.get("status", {}).get(f)
                for f in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas")
            ):
                progressing = cond(
                    "Progressing", "True", "ReplicaSetUpdated", f'ReplicaSet "{name}" is progressing.'
                )
        status["conditions"] = [c for c in (available_cond, progressing) if c]
        failure = _replica_failure(rss, new_rs)
        if failure is not None:  # `getReplicaFailures`: the new ReplicaSet's first, else any
            status["conditions"].append(failure)
        if d.get("status", {}).get("collisionCount"):
            status["collisionCount"] = d["status"]["collisionCount"]
        self.write_status(d, status)


def _replica_failure(rss: list[Obj], new_rs: Obj | None) -> Obj | None:
    """A ReplicaSet's `ReplicaFailure` condition as the Deployment's
    (`ReplicaSetToDeploymentCondition`: both times are the ReplicaSet's transition time)."""
    for rs in ([new_rs] if new_rs else []) + [r for r in rss if r is not new_rs]:
        for c in (rs.get("status") or {}).get("conditions") or ():
            if c.get("type") == "ReplicaFailure":
                return {
                    "type": "ReplicaFailure",
                    "status": c.get("status"),
                    "lastUpdateTime": c.get("lastTransitionTime"),
                    "lastTransitionTime": c.get("lastTransitionTime"),
                    "reason": c.get("reason"),
                    "message": c.get("message"),
                }
    return None
