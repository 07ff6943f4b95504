"""Storage object in-use protection: a claim is not removed while a pod uses it, nor a volume
while it is bound.

The API server's StorageObjectInUseProtection admission plugin gives every new
PersistentVolumeClaim the finalizer `kubernetes.io/pvc-protection` and every new
PersistentVolume `kubernetes.io/pv-protection` (persistent_volumes.py). Deleting one then only
sets its `deletionTimestamp` (`kubectl get pvc` shows `Terminating`) until the controller
removes the finalizer, as kube-controller-manager's two controllers do:
- **pvc-protection-controller** (`pkg/controller/volume/pvcprotection`): a deleted claim keeps
  its finalizer while a pod that is scheduled to a node names it in a volume — including a pod
  that is itself terminating; when the last such pod is gone, the finalizer goes and the claim
  with it. Pod changes re-check the claims they name.
- **pv-protection-controller** (`pkg/controller/volume/pvprotection`): a deleted volume keeps
  its finalizer while it is Bound; once its claim is gone (Released) or it never was bound,
  the finalizer goes.

Simplified: the controllers read their caches only (the real pvc-protection controller asks
the API server for pods before it removes the finalizer); generic ephemeral volumes' claims are
treated like any other claim.
"""

from __future__ import annotations

from typing import Any

from ..informers import key_of
from ..jsonutil import copy_json
from .base import Controller, ControllerContext

Obj = dict[str, Any]

PVC_PROTECTION = "kubernetes.io/pvc-protection"
PV_PROTECTION = "kubernetes.io/pv-protection"


def _claim_names(pod: Obj) -> list[str]:
    return [
        str(v["persistentVolumeClaim"].get("claimName") or "")
        for v in (pod.get("spec") or {}).get("volumes") or ()
        if v.get("persistentVolumeClaim") is not None
    ]


def _without(obj: Obj, finalizer: str) -> Obj:
    updated = copy_json(obj)
    rest = [f for f in updated["metadata"].get("finalizers") or [] if f != finalizer]
    if rest:
        updated["metadata"]["finalizers"] = rest
    else:
        updated["metadata"].pop("finalizers", None)
    return updated


class PVCProtectionController(Controller):
    name = "pvc-protection-controller"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.claims = ctx.informers.get("persistentvolumeclaims")
        self.pods = ctx.informers.get("pods")
        self.claims.add_handler(self._enqueue, lambda old, new: self._enqueue(new), None)
        self.pods.add_handler(self._pod_changed, lambda old, new: self._pod_changed(new), self._pod_changed)

    def _enqueue(self, claim: Obj) -> None:
        if claim["metadata"].get("deletionTimestamp") and PVC_PROTECTION in (
            claim["metadata"].get("finalizers") or ()
        ):
            self.queue.add(key_of(claim))

    def _pod_changed(self, pod: Obj) -> None:
        ns = pod["metadata"].get("namespace")
        for name in _claim_names(pod):
            claim = self.claims.get(f"{ns}/{name}")
            if claim is not None:
                self._enqueue(claim)

    def sync(self, key: str) -> int:
        claim = self.claims.get(key)
        if claim is None or not claim["metadata"].get("deletionTimestamp"):
            return 0
        if PVC_PROTECTION not in (claim["metadata"].get("finalizers") or ()):
            return 0
        ns, name = claim["metadata"].get("namespace"), claim["metadata"]["name"]
        pods = [p for p in self.pods.list() if p["metadata"].get("namespace") == ns]
        if any((p.get("spec") or {}).get("nodeName") and name in _claim_names(p) for p in pods):
            return len(pods)  # still in use: a pod change will bring the claim back here
        self.server.update(self.user, _without(claim, PVC_PROTECTION))
        return len(pods)


class PVProtectionController(Controller):
    name = "pv-protection-controller"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.volumes = ctx.informers.get("persistentvolumes")
        self.volumes.add_handler(self._enqueue, lambda old, new: self._enqueue(new), None)

    def _enqueue(self, volume: Obj) -> None:
        if volume["metadata"].get("deletionTimestamp") and PV_PROTECTION in (
            volume["metadata"].get("finalizers") or ()
        ):
            self.queue.add(key_of(volume))

    def sync(self, key: str) -> int:
        volume = self.volumes.get(key)
        if volume is None or not volume["metadata"].get("deletionTimestamp"):
            return 0
        if PV_PROTECTION not in (volume["metadata"].get("finalizers") or ()):
            return 0
        if (volume.get("status") or {}).get("phase") == "Bound":
            return 1  # its claim still holds it: the phase change brings it back here
        self.server.update(self.user, _without(volume, PV_PROTECTION))
        return 1
