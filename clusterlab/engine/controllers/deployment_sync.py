"""The Deployment controller's sync without a rollout: scaling, pausing, cleanup, status.

As `pkg/controller/deployment/sync.go`. `checkPausedConditions` sets Progressing Unknown
(`DeploymentPaused` / `DeploymentResumed`) so that time spent paused never counts against the
progress deadline. A *scaling event* (`isScalingEvent`: an active ReplicaSet's desired-replicas
annotation differs from `spec.replicas`) or a paused Deployment is handled by `sync`: `scale`
resizes without rolling — one active ReplicaSet takes all the replicas; during a rollout every
active one gets its *proportion* of the change (`GetProportion`, larger first, the leftover to
the first) — and a paused Deployment also cleans up old revisions. `scaleReplicaSet` writes the
new size with the desired-replicas and max-replicas annotations and the `ScalingReplicaSet`
event; `cleanupDeployment` deletes the oldest empty, settled ReplicaSets beyond
`revisionHistoryLimit`; `syncDeploymentStatus` writes the counters and `Available`
(`deployment_status.py`). Every decision is recorded with its arithmetic (`explain`).

Simplified: after writing an object the controller goes on with the stored copy instead of
meeting the conflicts a real one sometimes retries; a conflict on the status write requeues.
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..informers import Informer, key_of
from ..jsonutil import copy_json
from . import deployment_status as ds
from .base import Controller
from .deployment_util import (
    DESIRED,
    MAX_REPLICAS,
    actual_replicas,
    by_creation,
    filter_active,
    find_active_or_latest,
    revision_of,
    size_order,
)
from .rollout_math import annotation_int, fenceposts, get_proportion, replica_set_fraction, replicas_of

Obj = dict[str, Any]


class DeploymentSync(Controller):
    """Resize, pause, clean up and report, as `sync.go` does; the rollouts build on it."""

    d_informer: Informer
    rs_informer: Informer
    pod_informer: Informer

    def _note(self, d: Obj, text: str) -> None:
        self.explain(d, f"Deployment {d['metadata']['name']}: {text}")

    def _note_once(self, d: Obj, text: str) -> None:
        """Record a decision not to act only when it differs from the last one recorded."""
        meta = d["metadata"]
        last = self.ctx.decisions.for_object("Deployment", meta["name"], meta.get("namespace") or "")
        full = f"Deployment {meta['name']}: {text}"
        if not last or last[-1].text != full:
            self.explain(d, full)

    def _write_status(self, d: Obj, status: Obj) -> Obj:
        """UpdateStatus; a conflict (stale cache) requeues the key."""
        if status == d.get("status"):
            return d
        new = {**d, "status": status}  # the status subresource reads only status and metadata
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
        for rs in filter_active([r for r in all_rss if r]):
            desired = annotation_int(rs, DESIRED)
            if desired is not None and desired != want:
                return True
        return False

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
        only = find_active_or_latest(new_rs, old)
        if only is not None:
            if replicas_of(only) != want:
                self._note(
                    d,
                    f"scaled to {want}, one active ReplicaSet → {only['metadata']['name']} takes them all",
                )
                self._scale_and_record(d, only, want)
            return
        if new_rs is not None and replicas_of(new_rs) == want and annotation_int(new_rs, DESIRED) == want:
            for rs in filter_active(old):  # `IsSaturated`: the new ReplicaSet has them all
                self._note(d, f"new ReplicaSet {new_rs['metadata']['name']} is saturated → old ones to 0")
                self._scale_and_record(d, rs, 0)
            return
        if (d["spec"].get("strategy") or {}).get("type") == "Recreate":
            return
        rss = filter_active([*old, *([new_rs] if new_rs else [])])
        total = sum(replicas_of(r) for r in rss)
        surge, _ = fenceposts(d)
        allowed = want + surge if want > 0 else 0
        to_add = allowed - total
        operation = ""
        if to_add > 0:
            rss, operation = size_order(rss, newer_first=True), "up"
        elif to_add < 0:
            rss, operation = size_order(rss, newer_first=False), "down"
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
        alive.sort(key=lambda r: (revision_of(r), *by_creation(r)))
        for rs in alive[:diff]:
            status = rs.get("status") or {}
            if (
                actual_replicas(rs) != 0
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
