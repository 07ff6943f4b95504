"""The RollingUpdate strategy: replace a Deployment's pods a few at a time.

As `pkg/controller/deployment/rolling.go` (`rolloutRolling`): `reconcileNewReplicaSet` grows
the new ReplicaSet up to `replicas + maxSurge` pods in all, else `reconcileOldReplicaSets`
removes old pods: first unavailable ones (`cleanupUnhealthyReplicas`, which costs no
availability), then available ones (`scaleDownOldReplicaSetsForRollingUpdate`) while at least
`replicas − maxUnavailable` stay available, never more than `allPods − minAvailable −
newUnavailable` (so a broken new version stalls the rollout with exactly maxUnavailable old
pods gone); once complete, `cleanupDeployment` deletes the oldest empty ReplicaSets beyond
`revisionHistoryLimit`. maxSurge and maxUnavailable are resolved in `rollout_math.py`.

Simplified: none of note; each decision is recorded with its arithmetic.
"""

from __future__ import annotations

from typing import Any

from . import deployment_status as ds
from .deployment_revisions import DeploymentRevisions
from .deployment_util import available_replicas, by_creation, filter_active
from .rollout_math import describe_value, fenceposts, new_rs_new_replicas, replicas_of

Obj = dict[str, Any]


class RollingUpdate(DeploymentRevisions):
    """`rolloutRolling` and its reconcilers."""

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
        if self._reconcile_old(d, filter_active(old), new_rs):
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
        new_unavailable = replicas_of(new_rs) - available_replicas(new_rs)
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
        old = sorted(old, key=by_creation)
        total = 0
        for i, rs in enumerate(old):
            if total >= max_cleanup:
                break
            unhealthy = replicas_of(rs) - available_replicas(rs)
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
        available = sum(available_replicas(r) for r in all_rss)
        if available <= min_available:
            self._note_once(d, f"{self._unavailable_text(d)}; {available} available → no old pod can go yet")
            return 0
        total_down = available - min_available
        done = 0
        for rs in sorted(old, key=by_creation):
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
