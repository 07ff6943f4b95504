"""A StatefulSet's update strategies: RollingUpdate from the highest ordinal down, or OnDelete.

As `pkg/controller/statefulset/stateful_set_control.go` (the rolling update at the end of
`updateStatefulSet`): from the highest ordinal down to `partition`, delete the first pod not at
the update revision, then wait for its replacement to be Running and Ready before the next.
Ordinals below the partition keep (and are recreated at) the current revision. `OnDelete`:
pods get the new template only when someone deletes them.

Simplified: the MaxUnavailableStatefulSet alpha gate is off, as in 1.32 (one pod at a time).
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from .statefulset_status import SetSync
from .statefulset_utils import is_created, is_terminating, pod_revision

Obj = dict[str, Any]


class SetRollingUpdate(SetSync):
    """The rolling update, and what OnDelete leaves waiting."""

    def rolling_update(self) -> None:
        """From the highest ordinal down to the partition: delete the first pod not at the update
        revision, or wait for an updated pod that is not yet available."""
        ru = self.spec["updateStrategy"].get("rollingUpdate")
        partition = int((ru or {}).get("partition") or 0)
        update_name = self.update["metadata"]["name"]
        updating = any(pod_revision(p) != update_name for p in self.replicas[partition:])
        for target in range(len(self.replicas) - 1, partition - 1, -1):
            pod = self.replicas[target]
            pod_name = pod["metadata"]["name"]
            if pod_revision(pod) != update_name and not is_terminating(pod):
                self.act(
                    f"StatefulSet {self.name}: rolling update to {update_name}, partition {partition}: "
                    f"{pod_name} runs {pod_revision(pod) or 'no revision'} → delete it (the highest "
                    "ordinal not yet updated; it comes back with the new template)"
                )
                try:
                    self.ctl.delete_pod(self.sts, pod)
                except ApiError as exc:
                    if exc.code != 404:
                        raise
                self.current_delta -= 1
                return
            if self.unavailable(pod):
                if updating:
                    self.waiting = (
                        f"StatefulSet {self.name}: rolling update, {pod_name} is not yet available → wait"
                    )
                return
        if partition >= self.count and any(pod_revision(p) != update_name for p in self.replicas):
            self.waiting = (
                f"StatefulSet {self.name}: partition {partition} ≥ {self.count} replicas → no pod is updated "
                f"to {update_name} until the partition is lowered (a deleted pod comes back as it was)"
            )
        elif partition > 0 and any(pod_revision(p) != update_name for p in self.replicas[:partition]):
            self.waiting = (
                f"StatefulSet {self.name}: ordinals {self.start + partition}..{self.start + self.count - 1} "
                f"run {update_name}; those below partition {partition} keep the old template"
            )

    def _explain_on_delete(self) -> None:
        update_name = self.update["metadata"]["name"]
        stale = [
            p["metadata"]["name"] for p in self.replicas if is_created(p) and pod_revision(p) != update_name
        ]
        if stale:
            self.waiting = (
                f"StatefulSet {self.name}: updateStrategy OnDelete → {', '.join(stale)} keep the old "
                f"template until deleted; their replacements get {update_name}"
            )
