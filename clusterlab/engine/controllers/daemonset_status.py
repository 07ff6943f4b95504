"""A DaemonSet's status: how many nodes run, or should run, its daemon pod.

As `pkg/controller/daemon/daemon_controller.go` (`updateDaemonSetStatus`,
`storeDaemonSetStatus`): desired / current / ready / available / updated / misscheduled /
unavailable node counts and `observedGeneration` (not raised while expectations are pending);
zero counters are omitted as the API's `omitempty` omits them. With `minReadySeconds`, a sync
is queued for when ready pods become available.

Simplified: none of note.
"""

from __future__ import annotations

from typing import Any

from ..informers import key_of
from .base import is_pod_ready
from .daemon_pods import is_pod_updated, node_should_run, oldest_first
from .daemonset_manage import DaemonSetManage, template_generation

Obj = dict[str, Any]


class DaemonSetStatus(DaemonSetManage):
    """`updateDaemonSetStatus`."""

    def _update_status(self, ds: Obj, nodes: list[Obj], hash_: str, observed: bool) -> None:
        """`updateDaemonSetStatus` / `storeDaemonSetStatus`."""
        node_to_pods = self._node_to_pods(ds)
        generation = template_generation(ds)
        desired = current = misscheduled = ready = updated = available = 0
        for node in nodes:
            pods = node_to_pods.get(node["metadata"]["name"]) or []
            if node_should_run(node, ds)[0]:
                desired += 1
                if not pods:
                    continue
                current += 1
                pod = min(pods, key=oldest_first)
                if is_pod_ready(pod):
                    ready += 1
                    available += self._available(pod, ds)
                updated += is_pod_updated(pod, hash_, generation)
            elif pods:
                misscheduled += 1
        old = ds.get("status") or {}
        status: Obj = {
            **{k: v for k, v in old.items() if k in ("collisionCount", "conditions")},
            "currentNumberScheduled": current,
            "numberMisscheduled": misscheduled,
            "desiredNumberScheduled": desired,
            "numberReady": ready,
        }
        gen = ds["metadata"].get("generation", 1) if observed else old.get("observedGeneration", 0)
        optional = {
            "observedGeneration": gen,
            "updatedNumberScheduled": updated,
            "numberAvailable": available,
            "numberUnavailable": desired - available,
        }
        status.update({k: v for k, v in optional.items() if v})  # omitempty
        self.write_status(ds, status)
        mrs = int(ds["spec"].get("minReadySeconds", 0) or 0)
        if mrs > 0 and ready != available:
            self.queue.add_after(key_of(ds), mrs)
