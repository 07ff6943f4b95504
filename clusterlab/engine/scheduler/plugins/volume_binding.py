"""VolumeBinding (PreFilter, Filter): a pod's PersistentVolumeClaims must exist and be usable.

kube-scheduler's VolumeBinding looks at every volume of the pod that is a
`persistentVolumeClaim` (the claim it names) or a generic `ephemeral` volume (the claim
`<pod>-<volume>` the ephemeral volume controller creates for it). A pod with neither is none of
its business: PreFilter says `Skip`. Otherwise each claim is read from the scheduler's claim
informer, and PreFilter rejects the pod — UnschedulableAndUnresolvable, so on every node at
once, and preemption cannot help — when a claim:
- does not exist: `persistentvolumeclaim "data" not found` (the lister's NotFound error), or,
  for an ephemeral volume, `waiting for ephemeral volume controller to create the
  persistentvolumeclaim "web-0-scratch"`;
- has lost its volume (`status.phase: Lost`): `persistentvolumeclaim "data" bound to
  non-existent persistentvolume "pv-1"`;
- is being deleted: `persistentvolumeclaim "data" is being deleted`;
- is an ephemeral volume's claim that the pod does not control: `PVC default/web-0-scratch was
  not created for pod default/web-0 (pod is not owner)`;
- is unbound although its StorageClass binds immediately (no class, an unknown class, or
  `volumeBindingMode: Immediate`): `pod has unbound immediate PersistentVolumeClaims` — the PV
  controller must bind it first.
Filter: a claim that is bound must have its PersistentVolume; if the volume is gone, every
node fails with `node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)`
(UnschedulableAndUnresolvable).

The FailedScheduling event for a missing claim reads `0/4 nodes are available:
persistentvolumeclaim "data" not found. preemption: 0/4 nodes are available: 4 Preemption is
not helpful for scheduling..` and the pod waits.

Simplified: the simulated API server serves no PersistentVolumeClaim kind yet, so every claim
is "not found" — exactly what kube-scheduler says for a claim nobody created. The claim,
StorageClass and PersistentVolume informers are used as soon as those kinds are registered.
What else the real plugin does — Filter matching unbound `WaitForFirstConsumer` claims to PVs
or provisioning capacity on each node, PV node affinity for bound claims, Score by capacity,
Reserve/PreBind writing the bindings, and the scheduler's handlers that turn claim, volume and
class changes into queue events — arrives with storage; until then those claims do not
constrain where the pod goes.

Requeueing (QueueingHints, v1.32): a rejected pod is retried when one of its own claims is
added or changed, when a PersistentVolume or StorageClass is added or changed, or when a node
is added or relabelled. (The CSINode, CSIDriver and CSIStorageCapacity events it also
registers are for kinds the simulation does not have; StorageClass changes are not narrowed
down by a hint.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from ...errors import NotFound
from ...kinds import resolve
from ..events import (
    ADD,
    NODE,
    PERSISTENT_VOLUME,
    PERSISTENT_VOLUME_CLAIM,
    QUEUE,
    QUEUE_SKIP,
    STORAGE_CLASS,
    UPDATE,
    UPDATE_NODE_LABEL,
    ClusterEvent,
    ClusterEventWithHint,
)
from ..framework import (
    OK,
    SKIP,
    SUCCESS,
    UNRESOLVABLE,
    CycleState,
    FilterPlugin,
    Handle,
    NodeInfo,
    PreFilterPlugin,
    Status,
)

Obj = dict[str, Any]
BIND_COMPLETED = "pv.kubernetes.io/bind-completed"
UNBOUND_IMMEDIATE = "pod has unbound immediate PersistentVolumeClaims"
PV_NOT_FOUND = "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)"
STATE_KEY = "VolumeBinding"


class Lister(Protocol):
    def get(self, key: str) -> Obj | None: ...


def _lister(handle: Handle | None, resource: str) -> Lister | None:
    """The scheduler's shared informer for `resource`, if the API server serves that kind."""
    if handle is None or handle.informers is None:
        return None
    try:
        resolve(resource)
    except NotFound:
        return None
    informer: Lister = handle.informers.get(resource)
    return informer


def _claim_class(claim: Obj) -> str:
    """`GetPersistentVolumeClaimClass`: the beta annotation wins over `spec.storageClassName`."""
    annotations = claim["metadata"].get("annotations") or {}
    beta = annotations.get("volume.beta.kubernetes.io/storage-class")
    if beta is not None:
        return str(beta)
    return str(claim.get("spec", {}).get("storageClassName") or "")


def _controlled_by(obj: Obj, owner: Obj) -> bool:
    """`metav1.IsControlledBy`: the object's controller reference has the owner's uid."""
    for ref in obj["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return bool(ref.get("uid")) and ref.get("uid") == owner["metadata"].get("uid")
    return False


class VolumeBinding(PreFilterPlugin, FilterPlugin):
    name = "VolumeBinding"

    def __init__(self, args: Obj | None = None, handle: Handle | None = None) -> None:
        super().__init__(args, handle)
        self.claims = _lister(handle, "persistentvolumeclaims")
        self.classes = _lister(handle, "storageclasses")
        self.volumes = _lister(handle, "persistentvolumes")

    @staticmethod
    def claim_names(pod: Obj) -> list[str]:
        """The claims a pod's volumes use: named ones, and the `<pod>-<volume>` claims of its
        generic ephemeral volumes."""
        names = []
        for volume in pod["spec"].get("volumes") or ():
            if volume.get("persistentVolumeClaim") is not None:
                names.append(str(volume["persistentVolumeClaim"].get("claimName") or ""))
            elif volume.get("ephemeral") is not None:
                names.append(f"{pod['metadata']['name']}-{volume.get('name', '')}")
        return names

    def _claim_error(self, pod: Obj, name: str, ephemeral: bool) -> tuple[Obj | None, str]:
        """`podHasPVCs` for one volume: the claim, or why it cannot be used."""
        ns = pod["metadata"].get("namespace") or "default"
        claim = self.claims.get(f"{ns}/{name}") if self.claims is not None else None
        if claim is None:
            if ephemeral:
                return None, (
                    f'waiting for ephemeral volume controller to create the persistentvolumeclaim "{name}"'
                )
            return None, f'persistentvolumeclaim "{name}" not found'
        spec, status = claim.get("spec") or {}, claim.get("status") or {}
        if status.get("phase") == "Lost":
            volume = spec.get("volumeName") or ""
            return None, f'persistentvolumeclaim "{name}" bound to non-existent persistentvolume "{volume}"'
        if claim["metadata"].get("deletionTimestamp"):
            return None, f'persistentvolumeclaim "{name}" is being deleted'
        if ephemeral and (claim["metadata"].get("namespace") != ns or not _controlled_by(claim, pod)):
            pod_name = pod["metadata"]["name"]
            return None, f"PVC {ns}/{name} was not created for pod {ns}/{pod_name} (pod is not owner)"
        return claim, ""

    def _delays_binding(self, claim: Obj) -> bool:
        """`IsDelayBindingMode`: the claim's class binds when a consumer is scheduled."""
        class_name = _claim_class(claim)
        if not class_name or self.classes is None:
            return False
        storage_class = self.classes.get(class_name)
        if storage_class is None:
            return False
        return storage_class.get("volumeBindingMode") == "WaitForFirstConsumer"

    def pre_filter(self, state: CycleState, pod: Obj, nodes: list[NodeInfo]) -> Status:
        claims: list[Obj] = []
        for volume in pod["spec"].get("volumes") or ():
            if volume.get("persistentVolumeClaim") is not None:
                name, ephemeral = str(volume["persistentVolumeClaim"].get("claimName") or ""), False
            elif volume.get("ephemeral") is not None:
                name, ephemeral = f"{pod['metadata']['name']}-{volume.get('name', '')}", True
            else:
                continue
            claim, error = self._claim_error(pod, name, ephemeral)
            if claim is None:
                return Status(UNRESOLVABLE, [error], self.name)
            claims.append(claim)
        if not claims:
            return Status(SKIP)
        bound_volumes: list[str] = []
        for claim in claims:
            spec = claim.get("spec") or {}
            annotations = claim["metadata"].get("annotations") or {}
            if spec.get("volumeName") and BIND_COMPLETED in annotations:
                bound_volumes.append(str(spec["volumeName"]))
            elif spec.get("volumeName") or not self._delays_binding(claim):
                # pre-bound to a volume, or immediate binding: the PV controller binds it first
                return Status(UNRESOLVABLE, [UNBOUND_IMMEDIATE], self.name)
        state[STATE_KEY] = bound_volumes
        return Status(SUCCESS)

    def events_to_register(self) -> Sequence[ClusterEventWithHint]:
        return (
            ClusterEventWithHint(ClusterEvent(STORAGE_CLASS, ADD | UPDATE)),
            ClusterEventWithHint(
                ClusterEvent(PERSISTENT_VOLUME_CLAIM, ADD | UPDATE), self.is_schedulable_after_claim_change
            ),
            ClusterEventWithHint(ClusterEvent(PERSISTENT_VOLUME, ADD | UPDATE)),
            ClusterEventWithHint(ClusterEvent(NODE, ADD | UPDATE_NODE_LABEL)),
        )

    def is_schedulable_after_claim_change(self, pod: Obj, old: Obj | None, new: Obj | None) -> str:
        """`isSchedulableAfterPersistentVolumeClaimChange`: only the pod's own claims matter."""
        if new is None:
            return QUEUE
        meta = new["metadata"]
        if meta.get("namespace") != pod["metadata"].get("namespace"):
            return QUEUE_SKIP
        return QUEUE if meta.get("name") in self.claim_names(pod) else QUEUE_SKIP

    def filter(self, state: CycleState, pod: Obj, node: NodeInfo) -> Status:
        """`FindPodVolumes` for the bound claims: each one's PersistentVolume must exist."""
        for volume in state[STATE_KEY]:
            if self.volumes is None or self.volumes.get(volume) is None:
                return Status(UNRESOLVABLE, [PV_NOT_FOUND], self.name)
        return OK
