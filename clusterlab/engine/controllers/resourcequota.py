"""The resource quota controller: keep every ResourceQuota's `status.hard` and `status.used`
current.

Like kube-controller-manager's `pkg/controller/resourcequota`: a quota is synced when it is
created or its `spec.hard` changes (status-only updates are its own and are ignored), when
something it tracks is released (the "replenishment" the quota monitor drives: a pod deleted
or finished, any other tracked object deleted, a Service changing type), and every quota again
every 5 minutes (`--resource-quota-sync-period=5m0s`, first pass at start). A sync recomputes
usage from what exists in the namespace, through the same evaluators the admission plugin
charges with (`quota_usage.py`), and writes `status: {hard: spec.hard, used: ...}` when it
changed. Creations need no replenishment: the admission plugin charged them already.

Simplified: the quota monitor's informers for kinds other than pods start the first time a
quota tracks them (kube-controller-manager watches every quotable resource from the start).
"""

from __future__ import annotations

from typing import Any

from ..informers import Informer, key_of
from ..kinds import KINDS, Kind, resolve
from ..quantity_format import Quantity, ResourceList, add, mask, parse_list, to_json
from ..quota_usage import (
    is_ignored,
    matching_resources,
    pod_counts_compute,
    pod_matches_scope,
    scope_selectors,
    usage,
)
from .base import Controller, ControllerContext

Obj = dict[str, Any]
RESYNC_PERIOD = 300.0  # --resource-quota-sync-period


class ResourceQuotaController(Controller):
    name = "resourcequota-controller"
    workers = 5  # --concurrent-resource-quota-syncs

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.quotas = ctx.informers.get("resourcequotas")
        self.pods = ctx.informers.get("pods")
        self.quotas.add_handler(self._enqueue, self._on_quota_update, None)
        self.pods.add_handler(None, self._on_pod_update, self._on_deleted("pods"))
        self.monitored: dict[str, Informer] = {"pods": self.pods}
        self._timer: Any = None

    def start(self) -> None:
        self._resync()

    def stop(self) -> None:
        super().stop()
        if self._timer is not None:
            self._timer.cancel()

    def _resync(self) -> None:
        self._timer = self.clock.call_later(RESYNC_PERIOD, self._resync, late=True)
        for rq in self.quotas.list():
            self._enqueue(rq)

    # -- handlers -------------------------------------------------------------------------

    def _enqueue(self, rq: Obj) -> None:
        self.queue.add(key_of(rq))

    def _on_quota_update(self, old: Obj, new: Obj) -> None:
        if (old.get("spec") or {}).get("hard") != (new.get("spec") or {}).get("hard"):
            self._enqueue(new)

    def _on_pod_update(self, old: Obj, new: Obj) -> None:
        now, epoch = self.clock.now, self.server.epoch
        if pod_counts_compute(old, now, epoch) and not pod_counts_compute(new, now, epoch):
            self._replenish(resolve("pods"), new)

    def _on_deleted(self, resource: str) -> Any:
        def handler(obj: Obj) -> None:
            self._replenish(resolve(resource), obj)

        return handler

    def _on_service_update(self, old: Obj, new: Obj) -> None:
        if (old.get("spec") or {}).get("type") != (new.get("spec") or {}).get("type"):
            self._replenish(resolve("services"), new)

    def _replenish(self, kind: Kind, obj: Obj) -> None:
        """Requeue the namespace's quotas that track something of this kind."""
        ns = obj["metadata"].get("namespace")
        for rq in self.quotas.list():
            if rq["metadata"].get("namespace") != ns:
                continue
            if matching_resources(kind, (rq.get("status") or {}).get("hard") or {}):
                self._enqueue(rq)

    def _monitor(self, kind: Kind) -> Informer:
        """The (shared) informer for a tracked kind, with the replenishment handlers."""
        informer = self.monitored.get(kind.plural)
        if informer is None:
            informer = self.ctx.informers.get(kind.plural)
            on_update = self._on_service_update if kind.kind == "Service" else None
            informer.add_handler(None, on_update, self._on_deleted(kind.plural))
            self.monitored[kind.plural] = informer
            if not informer.synced:
                informer.start()
        return informer

    # -- sync -----------------------------------------------------------------------------

    def sync(self, key: str) -> int:
        rq = self.quotas.get(key)
        if rq is None:
            return 0
        ns = rq["metadata"]["namespace"]
        hard = parse_list((rq.get("spec") or {}).get("hard"))
        used = parse_list((rq.get("status") or {}).get("used"))
        examined = 0
        selectors = scope_selectors(rq)
        for kind in KINDS:
            if is_ignored(kind):
                continue
            tracked = matching_resources(kind, hard)
            if not tracked:
                continue
            totals: ResourceList = {name: Quantity.count(0) for name in tracked}
            for obj in self._monitor(kind).list():
                if obj["metadata"].get("namespace") != ns:
                    continue
                examined += 1
                if kind.kind != "Pod" and selectors:
                    continue  # only pods have scopes
                if kind.kind == "Pod" and not all(pod_matches_scope(s, obj) for s in selectors):
                    continue
                totals = add(totals, usage(kind, obj, self.clock.now, self.server.epoch))
            used.update(totals)
        status = {"hard": to_json(hard), "used": to_json(mask(used, set(hard)))}
        status = {k: v for k, v in status.items() if v}  # empty lists are not serialised
        self.write_status(rq, status)
        return examined
