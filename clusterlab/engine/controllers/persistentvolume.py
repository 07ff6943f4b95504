"""The PersistentVolume controller ("persistent-volume-binder"): binds claims to volumes.

Like `pkg/controller/volume/persistentvolume/pv_controller.go` in kube-controller-manager, it
syncs every claim and every volume when they change and again every 15 s
(`--pvclaimbinder-sync-period`):

syncClaim, for a claim not yet `pv.kubernetes.io/bind-completed`:
- without `spec.volumeName` it looks for the smallest Available volume that fits
  (`findBestMatchForClaim`): access modes that include the claim's (volumes with the fewest
  modes first), the same volume mode and class, labels matching the claim's selector, at least
  the requested capacity — or a volume pre-bound to this claim by its `claimRef`. A claim of a
  `WaitForFirstConsumer` class is left to the scheduler (only a pre-bound volume is taken):
  the controller records `WaitForFirstConsumer` "waiting for first consumer to be created
  before binding" (or `WaitForPodScheduled` "waiting for pod web-0 to be scheduled" once a
  pod uses it), until the scheduler writes `volume.kubernetes.io/selected-node`. Without a
  match, a claim with a class is provisioned: for an external provisioner the controller
  annotates the claim with `volume.kubernetes.io/storage-provisioner` (and the beta key) and
  records `ExternalProvisioning`, "Waiting for a volume to be created either by the external
  provisioner '…' or manually by the system administrator. …"; a class that does not exist
  gives `ProvisioningFailed` `storageclass.storage.k8s.io "fast" not found`; a claim with no
  class gets `FailedBinding` "no persistent volumes available for this claim and no storage
  class is set". The claim stays Pending.
- with `spec.volumeName` (pre-bound by the user) it binds to that volume once it exists and
  is free.
- binding (`bind`) writes the volume's `claimRef` (with `pv.kubernetes.io/bound-by-controller`
  when the controller chose the volume), the volume's phase Bound, the claim's `volumeName`
  with `pv.kubernetes.io/bind-completed` (and bound-by-controller), and the claim's status:
  Bound, with the volume's access modes and capacity.
- a bound claim whose volume is gone becomes Lost (`ClaimLost` "Bound claim has lost its
  PersistentVolume. Data on the volume is lost!").

syncVolume: a volume without a claim (or pre-bound to a claim not yet bound) is Available;
one whose claim is gone is Released and then reclaimed by its policy: `Retain` leaves it
Released (its data and `claimRef` stay until an administrator acts), `Delete` leaves a
dynamically provisioned volume to its external provisioner (which deletes it) and fails a
manually created one (`VolumeFailedDelete`), `Recycle` scrubs a hostPath or NFS volume and
makes it Available again. A volume bound to a claim that the controller has not bound yet
enqueues the claim, which is how a freshly provisioned volume binds at once.

Also RetroactiveDefaultStorageClass (on in 1.32): an unbound claim created without a class
while no default existed is given the default class once there is one.

Simplified: one work queue for claims and volumes; no in-tree provisioners or deleters other
than the hostPath checks; the Recycle scrubber pod is not shown, the volume is Available on
the next sync; no volume expansion; the controller reads its caches only (the real one
re-reads a claim from the API before releasing a volume).
"""

from __future__ import annotations

from typing import Any

from ..informers import key_of
from ..jsonutil import copy_json
from ..persistent_volumes import default_class
from ..quantity import parse_quantity
from ..selectors import selector_from_spec
from .base import Controller, ControllerContext

Obj = dict[str, Any]

SYNC_PERIOD = 15.0  # --pvclaimbinder-sync-period
BIND_COMPLETED = "pv.kubernetes.io/bind-completed"
BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller"
PROVISIONED_BY = "pv.kubernetes.io/provisioned-by"
SELECTED_NODE = "volume.kubernetes.io/selected-node"
STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner"
BETA_STORAGE_PROVISIONER = "volume.beta.kubernetes.io/storage-provisioner"
BETA_STORAGE_CLASS = "volume.beta.kubernetes.io/storage-class"
NO_PROVISIONER = "kubernetes.io/no-provisioner"

WAIT_FOR_FIRST_CONSUMER = "waiting for first consumer to be created before binding"
NO_VOLUMES = "no persistent volumes available for this claim and no storage class is set"
EXTERNAL_PROVISIONING = (
    "Waiting for a volume to be created either by the external provisioner '{}' or manually by the "
    "system administrator. If volume creation is delayed, please verify that the provisioner is running "
    "and correctly registered."
)


def claim_class(claim: Obj) -> str:
    """`GetPersistentVolumeClaimClass`: the beta annotation wins over `spec.storageClassName`."""
    annotations = claim["metadata"].get("annotations") or {}
    if BETA_STORAGE_CLASS in annotations:
        return str(annotations[BETA_STORAGE_CLASS])
    return str((claim.get("spec") or {}).get("storageClassName") or "")


def volume_class(volume: Obj) -> str:
    """`GetPersistentVolumeClass`."""
    annotations = volume["metadata"].get("annotations") or {}
    if BETA_STORAGE_CLASS in annotations:
        return str(annotations[BETA_STORAGE_CLASS])
    return str((volume.get("spec") or {}).get("storageClassName") or "")


def is_bound_to(volume: Obj, claim: Obj) -> bool:
    """`IsVolumeBoundToClaim`: the claimRef names the claim (and its uid, if it has one)."""
    ref = (volume.get("spec") or {}).get("claimRef")
    if not ref:
        return False
    meta = claim["metadata"]
    if ref.get("name") != meta["name"] or ref.get("namespace") != meta.get("namespace"):
        return False
    return not ref.get("uid") or ref.get("uid") == meta.get("uid")


def _storage(resources: Obj | None) -> Any:
    value = (resources or {}).get("storage")
    return parse_quantity(value) if value is not None else 0


def find_matching_volume(
    claim: Obj, volumes: list[Obj], *, delay_binding: bool, node_fits: Any = None
) -> Obj | None:
    """`FindMatchingVolume` over volumes grouped by access modes, smallest mode sets first:
    the volume pre-bound to the claim, else the smallest Available one that fits. `node_fits`
    (the scheduler's path) is a predicate on a volume's node affinity; the controller passes
    None and skips volumes of a delayed-binding claim."""
    spec = claim.get("spec") or {}
    wanted = set(spec.get("accessModes") or [])
    requested = _storage((spec.get("resources") or {}).get("requests"))
    requested_class = claim_class(claim)
    selector = selector_from_spec(spec["selector"]) if spec.get("selector") else None
    claim_mode = spec.get("volumeMode") or "Filesystem"
    groups: dict[tuple[str, ...], list[Obj]] = {}
    for volume in volumes:
        modes = set((volume.get("spec") or {}).get("accessModes") or [])
        if wanted <= modes:
            groups.setdefault(tuple(sorted(modes)), []).append(volume)
    for _modes, group in sorted(groups.items(), key=lambda kv: (len(kv[0]), kv[0])):
        smallest: Obj | None = None
        smallest_size: Any = None
        for volume in sorted(group, key=lambda v: v["metadata"]["name"]):
            vspec = volume.get("spec") or {}
            if (vspec.get("volumeMode") or "Filesystem") != claim_mode:
                continue
            if volume["metadata"].get("deletionTimestamp"):
                continue
            fits_node = node_fits is None or node_fits(volume)
            if is_bound_to(volume, claim):
                return volume if fits_node else None
            if node_fits is None and delay_binding:
                continue
            if (volume.get("status") or {}).get("phase") != "Available" or vspec.get("claimRef"):
                continue
            if selector is not None and not selector.matches(volume["metadata"].get("labels") or {}):
                continue
            if volume_class(volume) != requested_class or not fits_node:
                continue
            size = _storage(vspec.get("capacity"))
            if size < requested:
                continue
            if smallest is None or size < smallest_size:
                smallest, smallest_size = volume, size
        if smallest is not None:
            return smallest
    return None


class PersistentVolumeController(Controller):
    name = "persistent-volume-binder"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.claims = ctx.informers.get("persistentvolumeclaims")
        self.volumes = ctx.informers.get("persistentvolumes")
        self.classes = ctx.informers.get("storageclasses")
        self.pods = ctx.informers.get("pods")
        self.claims.add_handler(
            self._enqueue_claim, lambda old, new: self._enqueue_claim(new), self._claim_deleted
        )
        self.volumes.add_handler(
            self._enqueue_volume, lambda old, new: self._enqueue_volume(new), self._volume_deleted
        )
        self._timer: Any = None

    def component_name(self) -> str:
        return "persistentvolume-controller"

    def start(self) -> None:
        self._timer = self.clock.call_later(SYNC_PERIOD, self._resync, late=True)

    def stop(self) -> None:
        super().stop()
        if self._timer is not None:
            self._timer.cancel()

    def _resync(self) -> None:
        self._timer = self.clock.call_later(SYNC_PERIOD, self._resync, late=True)
        for claim in sorted(self.claims.list(), key=key_of):
            self._enqueue_claim(claim)
        for volume in sorted(self.volumes.list(), key=key_of):
            self._enqueue_volume(volume)

    # -- handlers -------------------------------------------------------------------------

    def _enqueue_claim(self, claim: Obj) -> None:
        self.queue.add("claim:" + key_of(claim))

    def _enqueue_volume(self, volume: Obj) -> None:
        self.queue.add("volume:" + key_of(volume))

    def _claim_deleted(self, claim: Obj) -> None:
        name = (claim.get("spec") or {}).get("volumeName")
        if name:
            self.queue.add("volume:" + name)

    def _volume_deleted(self, volume: Obj) -> None:
        ref = (volume.get("spec") or {}).get("claimRef")
        if ref:
            self.queue.add(f"claim:{ref.get('namespace')}/{ref.get('name')}")

    def sync(self, key: str) -> int:
        what, _, name = key.partition(":")
        if what == "claim":
            claim = self.claims.get(name)
            if claim is not None and not claim["metadata"].get("deletionTimestamp"):
                self.sync_claim(claim)
        else:
            volume = self.volumes.get(name)
            if volume is not None:
                self.sync_volume(volume)
        return len(self.volumes.cache)

    # -- claims ---------------------------------------------------------------------------

    def _class(self, name: str) -> Obj | None:
        return self.classes.get(name) if name else None

    def _delays_binding(self, claim: Obj) -> bool:
        """`shouldDelayBinding`: a WaitForFirstConsumer class, until the scheduler picks a node."""
        if SELECTED_NODE in (claim["metadata"].get("annotations") or {}):
            return False
        sc = self._class(claim_class(claim))
        return sc is not None and sc.get("volumeBindingMode") == "WaitForFirstConsumer"

    def sync_claim(self, claim: Obj) -> None:
        if BIND_COMPLETED not in (claim["metadata"].get("annotations") or {}):
            self._sync_unbound_claim(claim)
        else:
            self._sync_bound_claim(claim)

    def _sync_unbound_claim(self, claim: Obj) -> None:
        spec = claim.get("spec") or {}
        if spec.get("storageClassName") is None and BETA_STORAGE_CLASS not in (
            claim["metadata"].get("annotations") or {}
        ):
            sc = default_class(self.classes.list())
            if sc is not None:  # RetroactiveDefaultStorageClass
                updated = copy_json(claim)
                updated["spec"]["storageClassName"] = sc["metadata"]["name"]
                self.server.update(self.user, updated)
                return
        if not spec.get("volumeName"):
            delay = self._delays_binding(claim)
            volume = find_matching_volume(claim, self.volumes.list(), delay_binding=delay)
            if volume is not None:
                self._bind(volume, claim)
                return
            if delay:
                self._wait_for_consumer(claim)
            elif claim_class(claim):
                claim = self._provision(claim)
            else:
                self.recorder.event(claim, "Normal", "FailedBinding", NO_VOLUMES)
            self._claim_status(claim, "Pending", None)
            return
        volume = self.volumes.get(spec["volumeName"])
        if volume is None:
            self._claim_status(claim, "Pending", None)
            return
        if not (volume.get("spec") or {}).get("claimRef") or is_bound_to(volume, claim):
            self._bind(volume, claim)
            return
        self._claim_status(claim, "Pending", None)  # the user asked for a volume bound elsewhere

    def _wait_for_consumer(self, claim: Obj) -> None:
        """`emitEventForUnboundDelayBindingClaim`."""
        name = claim["metadata"]["name"]
        ns = claim["metadata"].get("namespace")
        waiting = sorted(
            p["metadata"]["name"]
            for p in self.pods.list()
            if p["metadata"].get("namespace") == ns
            and not p["spec"].get("nodeName")
            and any(
                (v.get("persistentVolumeClaim") or {}).get("claimName") == name
                for v in p["spec"].get("volumes") or ()
            )
        )
        if not waiting:
            self.recorder.event(claim, "Normal", "WaitForFirstConsumer", WAIT_FOR_FIRST_CONSUMER)
        elif len(waiting) == 1:
            self.recorder.event(
                claim, "Normal", "WaitForPodScheduled", f"waiting for pod {waiting[0]} to be scheduled"
            )
        else:
            names = ",".join(waiting)
            self.recorder.event(
                claim, "Normal", "WaitForPodScheduled", f"waiting for pods {names} to be scheduled"
            )

    def _provision(self, claim: Obj) -> Obj:
        """`provisionClaim` for the claim's class: only external provisioners exist here."""
        class_name = claim_class(claim)
        sc = self._class(class_name)
        if sc is None:
            message = f'storageclass.storage.k8s.io "{class_name}" not found'
            self.recorder.event(claim, "Warning", "ProvisioningFailed", message)
            return claim
        provisioner = str(sc.get("provisioner") or "")
        if provisioner.startswith("kubernetes.io/"):
            message = f"no volume plugin matched name: {provisioner}"
            self.recorder.event(claim, "Warning", "ProvisioningFailed", message)
            return claim
        annotations = claim["metadata"].get("annotations") or {}
        if (
            annotations.get(STORAGE_PROVISIONER) != provisioner
            or annotations.get(BETA_STORAGE_PROVISIONER) != provisioner
        ):
            updated = copy_json(claim)
            ann = updated["metadata"].setdefault("annotations", {})
            ann[BETA_STORAGE_PROVISIONER] = provisioner
            ann[STORAGE_PROVISIONER] = provisioner
            claim = self.server.update(self.user, updated)
        self.recorder.event(
            claim, "Normal", "ExternalProvisioning", EXTERNAL_PROVISIONING.format(provisioner)
        )
        return claim

    def _sync_bound_claim(self, claim: Obj) -> None:
        name = (claim.get("spec") or {}).get("volumeName")
        if not name:
            message = "Bound claim has lost reference to PersistentVolume. Data on the volume is lost!"
            self._claim_status(claim, "Lost", None, ("ClaimLost", message))
            return
        volume = self.volumes.get(name)
        if volume is None:
            message = "Bound claim has lost its PersistentVolume. Data on the volume is lost!"
            self._claim_status(claim, "Lost", None, ("ClaimLost", message))
            return
        ref = (volume.get("spec") or {}).get("claimRef")
        if not ref or ref.get("uid") == claim["metadata"].get("uid"):
            self._bind(volume, claim)
            return
        message = "Two claims are bound to the same volume, this one is bound incorrectly"
        self._claim_status(claim, "Lost", None, ("ClaimMisbound", message))

    def _claim_status(
        self, claim: Obj, phase: str, volume: Obj | None, event: tuple[str, str] | None = None
    ) -> Obj:
        """`updateClaimStatus(WithEvent)`: the phase, and the volume's access modes and
        capacity while bound."""
        status = copy_json(claim.get("status") or {})
        status["phase"] = phase
        if volume is None:
            status.pop("accessModes", None)
            status.pop("capacity", None)
        else:
            status["accessModes"] = copy_json((volume.get("spec") or {}).get("accessModes") or [])
            status["capacity"] = copy_json((volume.get("spec") or {}).get("capacity") or {})
        if status == claim.get("status"):
            return claim
        changed = (claim.get("status") or {}).get("phase") != phase
        updated = copy_json(claim)
        updated["status"] = status
        result = self.server.update(self.user, updated, subresource="status")
        if event is not None and changed:
            self.recorder.event(claim, "Warning", event[0], event[1])
        return result

    def _bind(self, volume: Obj, claim: Obj) -> None:
        """`bind`: volume → claim, the volume's phase, claim → volume, the claim's status."""
        volume = self._bind_volume_to_claim(volume, claim)
        volume = self._volume_phase(volume, "Bound")
        claim = self._bind_claim_to_volume(claim, volume)
        self._claim_status(claim, "Bound", volume)

    def _bind_volume_to_claim(self, volume: Obj, claim: Obj) -> Obj:
        meta = claim["metadata"]
        ref = (volume.get("spec") or {}).get("claimRef") or {}
        wanted = {
            "kind": "PersistentVolumeClaim",
            "namespace": meta.get("namespace"),
            "name": meta["name"],
            "uid": meta.get("uid"),
            "apiVersion": "v1",
            "resourceVersion": meta.get("resourceVersion"),
        }
        by_controller = not is_bound_to(volume, claim)
        if not by_controller and ref.get("uid") == meta.get("uid"):
            return volume
        updated = copy_json(volume)
        updated["spec"]["claimRef"] = wanted
        if by_controller:
            updated["metadata"].setdefault("annotations", {})[BOUND_BY_CONTROLLER] = "yes"
        return self.server.update(self.user, updated)

    def _bind_claim_to_volume(self, claim: Obj, volume: Obj) -> Obj:
        updated = copy_json(claim)
        annotations = updated["metadata"].setdefault("annotations", {})
        spec = updated.setdefault("spec", {})
        if spec.get("volumeName") != volume["metadata"]["name"]:
            spec["volumeName"] = volume["metadata"]["name"]
            annotations[BOUND_BY_CONTROLLER] = "yes"
        annotations[BIND_COMPLETED] = "yes"
        if updated == claim:
            return claim
        return self.server.update(self.user, updated)

    # -- volumes --------------------------------------------------------------------------

    def _volume_phase(self, volume: Obj, phase: str, message: str | None = None) -> Obj:
        """`updateVolumePhase`: the phase (with its transition time) and message."""
        status = copy_json(volume.get("status") or {})
        if status.get("phase") != phase:
            status["phase"] = phase
            status["lastPhaseTransitionTime"] = self.server.timestamp()
        if message:
            status["message"] = message
        else:
            status.pop("message", None)
        if status == volume.get("status"):
            return volume
        updated = copy_json(volume)
        updated["status"] = status
        return self.server.update(self.user, updated, subresource="status")

    def sync_volume(self, volume: Obj) -> None:
        spec = volume.get("spec") or {}
        ref = spec.get("claimRef")
        if not ref or not ref.get("uid"):
            self._volume_phase(volume, "Available")
            return
        claim = self.claims.get(f"{ref.get('namespace')}/{ref.get('name')}")
        if claim is not None and claim["metadata"].get("uid") != ref.get("uid"):
            claim = None  # deleted and created again under the same name
        if claim is None:
            phase = (volume.get("status") or {}).get("phase")
            if phase not in ("Released", "Failed"):
                volume = self._volume_phase(volume, "Released")
            self._reclaim(volume)
            return
        claim_volume = (claim.get("spec") or {}).get("volumeName")
        if not claim_volume:
            self.queue.add("claim:" + key_of(claim))  # the claim sync finishes the binding
            return
        if claim_volume == volume["metadata"]["name"]:
            self._volume_phase(volume, "Bound")
            return
        annotations = volume["metadata"].get("annotations") or {}
        if PROVISIONED_BY in annotations and spec.get("persistentVolumeReclaimPolicy") == "Delete":
            if (volume.get("status") or {}).get("phase") not in ("Released", "Failed"):
                volume = self._volume_phase(volume, "Released")
            self._reclaim(volume)
            return
        self._unbind(volume)

    def _unbind(self, volume: Obj) -> None:
        """`unbindVolume`: forget a claim the controller chose; keep a user's pre-binding."""
        updated = copy_json(volume)
        annotations = updated["metadata"].get("annotations") or {}
        if BOUND_BY_CONTROLLER in annotations:
            updated["spec"].pop("claimRef", None)
            annotations.pop(BOUND_BY_CONTROLLER)
        else:
            updated["spec"]["claimRef"].pop("uid", None)
        volume = self.server.update(self.user, updated)
        self._volume_phase(volume, "Available")

    def _reclaim(self, volume: Obj) -> None:
        """`reclaimVolume` by the volume's policy."""
        spec = volume.get("spec") or {}
        policy = spec.get("persistentVolumeReclaimPolicy")
        if policy == "Retain":
            return
        if policy == "Recycle":
            if spec.get("hostPath") is None and spec.get("nfs") is None:
                message = "No recycler plugin found for the volume!"
                self._failed(volume, "VolumeFailedRecycle", message)
                return
            self._unbind(volume)
            return
        if policy == "Delete":
            annotations = volume["metadata"].get("annotations") or {}
            provisioner = annotations.get(PROVISIONED_BY, "")
            if provisioner and not provisioner.startswith("kubernetes.io/"):
                return  # the external provisioner deletes it
            host_path = (spec.get("hostPath") or {}).get("path")
            if host_path is not None:
                if not str(host_path).startswith("/tmp/"):
                    message = f"host_path deleter only supports /tmp/.+ but received provided {host_path}"
                    self._failed(volume, "VolumeFailedDelete", message)
                    return
                self.server.delete(self.user, "persistentvolumes", volume["metadata"]["name"])
                return
            name = volume["metadata"]["name"]
            message = (
                f'error getting deleter volume plugin for volume "{name}": no deletable volume plugin matched'
            )
            self._failed(volume, "VolumeFailedDelete", message)

    def _failed(self, volume: Obj, reason: str, message: str) -> None:
        if (volume.get("status") or {}).get("phase") == "Failed" and (volume.get("status") or {}).get(
            "message"
        ) == message:
            return
        self._volume_phase(volume, "Failed", message)
        self.recorder.event(volume, "Warning", reason, message)
