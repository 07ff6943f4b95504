"""The Recreate strategy: all of a Deployment's old pods go before any new one comes.

As `pkg/controller/deployment/recreate.go` (`rolloutRecreate`): scale every old ReplicaSet to
0, wait until none of their pods is left (`oldPodsRunning` counts terminating pods too; the
controller's pod-delete handler requeues the Deployment as they go), then create or scale the
new ReplicaSet to `replicas`, and clean up old revisions once complete.

Simplified: none of note.
"""

from __future__ import annotations

from typing import Any

from . import deployment_status as ds
from .deployment_revisions import DeploymentRevisions
from .deployment_util import actual_replicas, filter_active
from .rollout_math import replicas_of

Obj = dict[str, Any]


class Recreate(DeploymentRevisions):
    """`rolloutRecreate` and `oldPodsRunning`."""

    def _rollout_recreate(self, d: Obj, new_rs: Obj | None, old: list[Obj]) -> None:
        """`rolloutRecreate`."""
        all_rss: list[Obj | None] = [*old, new_rs]
        scaled = False
        for rs in filter_active(old):
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
        count = sum(actual_replicas(r) for r in old)
        if count:
            return count
        for rs in old:
            for pod in self.pod_informer.by_index("controller-uid", rs["metadata"]["uid"]):
                if (pod.get("status") or {}).get("phase") not in ("Failed", "Succeeded"):
                    count += 1
        return count
