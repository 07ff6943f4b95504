"""The pod garbage collector: force-delete pods bound to nodes that no longer exist.

Kubernetes' PodGC controller runs every 20 s. A pod whose `spec.nodeName` names a Node object
that is gone (and stays gone for a 40 s quarantine, in case the node is re-registering) can
never be confirmed stopped by a kubelet, so PodGC marks it with `DisruptionTarget`
(`DeletionByPodGC`) and deletes it with a grace period of 0. Pods on a node that merely
stopped responding are *not* touched: they stay Terminating until the node comes back or is
removed.

Simplified: the terminated-pod threshold (12,500 finished pods) is not modelled.
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..jsonutil import copy_json
from .base import Controller, ControllerContext

Obj = dict[str, Any]
GC_PERIOD = 20.0
QUARANTINE = 40.0


class PodGCController(Controller):
    name = "pod-garbage-collector"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.nodes = ctx.informers.get("nodes")
        self.pods = ctx.informers.get("pods")
        self.missing_since: dict[str, float] = {}
        self._timer: Any = None

    def start(self) -> None:
        self._timer = self.clock.call_later(GC_PERIOD, self._gc, late=True)

    def stop(self) -> None:
        super().stop()
        if self._timer is not None:
            self._timer.cancel()

    def _gc(self) -> None:
        self._timer = self.clock.call_later(GC_PERIOD, self._gc, late=True)
        now = self.clock.now
        existing = {n["metadata"]["name"] for n in self.nodes.list()}
        orphans: list[Obj] = []
        seen_missing: set[str] = set()
        for pod in self.pods.list():
            node = pod["spec"].get("nodeName")
            if not node or node in existing:
                continue
            seen_missing.add(node)
            since = self.missing_since.setdefault(node, now)
            if now - since >= QUARANTINE:
                orphans.append(pod)
        self.missing_since = {n: t for n, t in self.missing_since.items() if n in seen_missing}
        for pod in sorted(orphans, key=lambda p: (p["metadata"]["namespace"], p["metadata"]["name"])):
            ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
            conditions = [
                c for c in copy_json(pod["status"].get("conditions") or []) if c["type"] != "DisruptionTarget"
            ]
            conditions.append(
                {
                    "type": "DisruptionTarget",
                    "status": "True",
                    "lastProbeTime": None,
                    "lastTransitionTime": self.server.timestamp(),
                    "reason": "DeletionByPodGC",
                    "message": "PodGC: node no longer exists",
                }
            )
            try:
                self.server.patch(
                    self.user,
                    "pods",
                    name,
                    {"status": {"phase": "Failed", "conditions": conditions}},
                    namespace=ns,
                    subresource="status",
                )
                self.server.delete(self.user, "pods", name, ns, grace_period_seconds=0)
            except ApiError:
                continue

    def sync(self, key: str) -> None:  # periodic only
        return
