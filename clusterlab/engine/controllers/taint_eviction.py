"""The taint-eviction controller: evict pods from nodes with NoExecute taints they don't tolerate.

Kubernetes' `taint-eviction-controller` (split out of the node lifecycle controller in
v1.29) watches nodes and pods. For each pod on a node with NoExecute taints:
- a taint the pod does not tolerate → evict now;
- tolerated with `tolerationSeconds` → evict when the shortest of them runs out, counted from
  when the controller first saw the pod on the tainted node (the default 300 s tolerations
  added by admission are why eviction comes five minutes after a node goes unreachable);
- tolerated forever → stay; and if the taints go away first, the eviction is cancelled.

Evicting means: add the `DisruptionTarget` condition, record `TaintManagerEviction`
("Marking for deletion Pod ns/name"), delete the pod (gracefully — on a dead node it then
sits in Terminating, because no kubelet is there to confirm it stopped).
"""

from __future__ import annotations

from typing import Any

from ..clock import Timer
from ..errors import ApiError
from ..informers import key_of
from ..jsonutil import copy_json
from ..taints import tolerates
from .base import Controller, ControllerContext

Obj = dict[str, Any]


class TaintEvictionController(Controller):
    name = "taint-eviction-controller"
    account = "node-controller"  # "taint-manager uses existing cluster role from node-controller"
    workers = 8  # UpdateWorkerSize

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.nodes = ctx.informers.get("nodes")
        self.pods = ctx.informers.get("pods")
        if "node" not in self.pods._indexers:
            self.pods.add_index(
                "node", lambda p: [p["spec"]["nodeName"]] if p["spec"].get("nodeName") else []
            )
        self.scheduled: dict[str, tuple[float, float, Timer]] = {}  # pod key → (created, fire at, timer)
        self.nodes.add_handler(self._on_node, lambda old, new: self._on_node(new), None)
        self.pods.add_handler(self._on_pod, self._on_pod_update, self._on_pod_delete)

    def component_name(self) -> str:
        return "taint-eviction-controller"

    def _on_node(self, node: Obj) -> None:
        for pod in self.pods.by_index("node", node["metadata"]["name"]):
            self.queue.add(key_of(pod))

    def _on_pod(self, pod: Obj) -> None:
        if pod["spec"].get("nodeName"):
            self.queue.add(key_of(pod))

    def _on_pod_update(self, old: Obj, new: Obj) -> None:
        # Only a new node or new tolerations can change a pod's fate (podUpdated upstream).
        if old["spec"].get("nodeName") != new["spec"].get("nodeName") or old["spec"].get(
            "tolerations"
        ) != new["spec"].get("tolerations"):
            self._on_pod(new)

    def _on_pod_delete(self, pod: Obj) -> None:
        self._cancel(key_of(pod), event=None)

    def _cancel(self, key: str, event: Obj | None) -> None:
        entry = self.scheduled.pop(key, None)
        if entry is not None:
            entry[2].cancel()
            if event is not None:
                self.recorder.event(
                    event, "Normal", "TaintManagerEviction", f"Cancelling deletion of Pod {key}"
                )

    def sync(self, key: str) -> None:
        pod = self.pods.get(key)
        if pod is None or pod["metadata"].get("deletionTimestamp"):
            self._cancel(key, None)
            return
        node = self.nodes.get(pod["spec"].get("nodeName") or "")
        taints = [
            t for t in (node or {}).get("spec", {}).get("taints") or () if t.get("effect") == "NoExecute"
        ]
        if not taints:
            self._cancel(key, pod)
            return
        tolerations = pod["spec"].get("tolerations") or []
        used: list[Obj] = []
        for taint in taints:
            match = [t for t in tolerations if tolerates(t, taint)]
            if not match:
                self._evict_later(key, 0.0)  # an untolerated NoExecute taint: evict now
                return
            used.extend(match)
        seconds = [t["tolerationSeconds"] for t in used if t.get("tolerationSeconds") is not None]
        if not seconds:
            self._cancel(key, pod)  # tolerated forever
            return
        self._evict_later(key, max(0.0, float(min(seconds))))

    def _evict_later(self, key: str, seconds: float) -> None:
        now = self.clock.now
        created = now
        existing = self.scheduled.get(key)
        if existing is not None:
            created = existing[0]
            if created + seconds >= existing[1] - 1e-9:
                return  # already scheduled no later than this
            existing[2].cancel()
        fire_at = created + seconds
        timer = self.clock.call_at(fire_at, lambda: self._evict(key))
        self.scheduled[key] = (created, fire_at, timer)

    def _evict(self, key: str) -> None:
        self.scheduled.pop(key, None)
        pod = self.pods.get(key)
        if pod is None or pod["metadata"].get("deletionTimestamp"):
            return
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        self.recorder.event(pod, "Normal", "TaintManagerEviction", f"Marking for deletion Pod {ns}/{name}")
        conditions = copy_json(pod["status"].get("conditions") or [])
        conditions = [c for c in conditions if c["type"] != "DisruptionTarget"]
        conditions.append(
            {
                "type": "DisruptionTarget",
                "status": "True",
                "lastProbeTime": None,
                "lastTransitionTime": self.server.timestamp(),
                "reason": "DeletionByTaintManager",
                "message": "Taint manager: deleting due to NoExecute taint",
            }
        )
        try:
            self.server.patch(
                self.user,
                "pods",
                name,
                {"status": {"conditions": conditions}},
                namespace=ns,
                subresource="status",
            )
            self.server.delete(self.user, "pods", name, ns)
        except ApiError as exc:
            if exc.code != 404:
                self.queue.add_rate_limited(key)
