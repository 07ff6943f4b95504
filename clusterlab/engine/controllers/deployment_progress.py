"""A Deployment's rollout progress: the Progressing condition and the progress deadline.

As `pkg/controller/deployment/progress.go`: `syncRolloutStatus` computes the status with the
`Progressing` condition (`deployment_status.py`: `NewReplicaSetAvailable` once complete,
`ReplicaSetUpdated` while it moves, `ProgressDeadlineExceeded` once no progress was made for
`progressDeadlineSeconds`); when nothing changed, `requeueStuckDeployment` has the Deployment
synced again one second after its deadline would pass, so that the timeout is noticed.

Simplified: the requeue is on the controller's virtual-clock work queue; none other of note.
"""

from __future__ import annotations

from typing import Any

from ..informers import key_of
from ..timefmt import seconds_since
from . import deployment_status as ds
from .deployment_sync import DeploymentSync

Obj = dict[str, Any]


class DeploymentProgress(DeploymentSync):
    """The rollouts' status writes, with the progress deadline's requeue."""

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
