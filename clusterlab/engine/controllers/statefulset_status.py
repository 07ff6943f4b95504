"""One StatefulSet sync's state, and the status it computes.

As `pkg/controller/statefulset/stateful_set_control.go` (`updateStatefulSet`'s bookkeeping,
`updateStatus`'s counts, `completeRollingUpdate`): replicas, readyReplicas,
availableReplicas, currentReplicas, updatedReplicas, currentRevision, updateRevision,
collisionCount and observedGeneration; once every pod is at the update revision and ready,
the update revision becomes the current one. A pod is *unavailable* when it is not Running and
Ready, is terminating, or has not been ready for `minReadySeconds`.

Simplified: the sync also keeps what it did and why (`act`, `waiting`) for the decision log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .replicaset import pod_available
from .statefulset_utils import is_created, is_running_and_ready, is_terminating, pod_revision, template_of

Obj = dict[str, Any]

if TYPE_CHECKING:
    from .statefulset import StatefulSetController


def complete_rolling_update(sts: Obj, status: Obj) -> None:
    """`completeRollingUpdate`: every pod updated and ready → the update revision is current."""
    replicas = int(sts["spec"].get("replicas", 1))
    if (
        sts["spec"]["updateStrategy"].get("type") == "RollingUpdate"
        and status.get("updatedReplicas", 0) == replicas
        and status.get("readyReplicas", 0) == replicas
        and status["replicas"] == replicas
    ):
        status["currentReplicas"] = status.get("updatedReplicas", 0)
        status["currentRevision"] = status["updateRevision"]
        if not status["currentReplicas"]:
            status.pop("currentReplicas")


class SetSync:
    """The state of one `updateStatefulSet` run: the pods it sorted, what it did and why, and
    the status it computes."""

    def __init__(
        self, ctl: StatefulSetController, sts: Obj, current: Obj, update: Obj, collision: int, pods: list[Obj]
    ) -> None:
        self.ctl = ctl
        self.sts = sts
        self.spec = sts["spec"]
        self.name = sts["metadata"]["name"]
        self.current = current
        self.update = update
        self.collision = collision
        self.pods = pods
        self.mrs = int(self.spec.get("minReadySeconds") or 0)
        self.monotonic = self.spec.get("podManagementPolicy") != "Parallel"
        self.start = int((self.spec.get("ordinals") or {}).get("start") or 0)
        self.count = int(self.spec.get("replicas", 1))
        self.current_template = template_of(current)
        self.update_template = template_of(update)
        self.replicas: list[Obj] = []
        self.condemned: list[Obj] = []
        self.current_delta = 0  # currentReplicas taken off for a pod deleted for update
        self.actions: list[str] = []  # what this sync did, and why
        self.waiting = ""  # or why it did nothing more

    @property
    def reason(self) -> str:
        return "; ".join(self.actions) if self.actions else self.waiting

    def act(self, text: str) -> None:
        if text not in self.actions:
            self.actions.append(text)

    # -- health ------------------------------------------------------------------------------

    def available(self, pod: Obj) -> bool:
        return pod_available(pod, self.mrs, self.ctl.clock.now, self.ctl.server.epoch)

    def unavailable(self, pod: Obj) -> bool:
        """`isUnavailable`: not healthy (Running, Ready, not terminating) or not yet available."""
        healthy = is_running_and_ready(pod) and not is_terminating(pod)
        return not healthy or not self.available(pod)

    # -- status ------------------------------------------------------------------------------

    def status(self) -> Obj:
        """`updateStatus` over the replicas and the condemned pods (or every pod, when the
        sync stopped before sorting them)."""
        pods = self.replicas + self.condemned if self.replicas or self.condemned else self.pods
        counts = {"replicas": 0, "ready": 0, "available": 0, "current": 0, "updated": 0}
        for pod in pods:
            created = is_created(pod)
            counts["replicas"] += created
            if is_running_and_ready(pod):
                counts["ready"] += 1
                counts["available"] += self.available(pod)
            if created and not is_terminating(pod):
                rev = pod_revision(pod)
                counts["current"] += rev == self.current["metadata"]["name"]
                counts["updated"] += rev == self.update["metadata"]["name"]
        status: Obj = {
            "observedGeneration": self.sts["metadata"].get("generation", 1),
            "replicas": counts["replicas"],
            "readyReplicas": counts["ready"],
            "currentReplicas": counts["current"] + self.current_delta,
            "updatedReplicas": counts["updated"],
            "currentRevision": self.current["metadata"]["name"],
            "updateRevision": self.update["metadata"]["name"],
            "collisionCount": self.collision,
            "availableReplicas": counts["available"],
        }
        # readyReplicas, currentReplicas and updatedReplicas are `omitempty` in apps/v1.
        for f in ("readyReplicas", "currentReplicas", "updatedReplicas"):
            if not status[f]:
                del status[f]
        return status
