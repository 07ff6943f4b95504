"""VolumeBinding (PreFilter, Filter, Reserve, PreBind): a pod's PersistentVolumeClaims must exist
and be usable, and its unbound claims are bound where the pod goes.

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
Filter (`FindPodVolumes`), per node, UnschedulableAndUnresolvable on a failure:
- a bound claim's PersistentVolume must exist (`node(s) unavailable due to one or more pvc(s)
  bound to non-existent pv(s)`) and its `nodeAffinity` must admit the node (`node(s) didn't
  match PersistentVolume's node affinity`) — a node-local volume pins the pod;
- each unbound `WaitForFirstConsumer` claim needs, on that node, an Available volume that
  fits (the PV controller's matching, with the volume's node affinity checked against this
  node, smallest first, each volume used once), or else a class that can provision there
  (not `kubernetes.io/no-provisioner`, and `allowedTopologies`, if any, matching the node's
  labels); otherwise `node(s) didn't find available persistent volumes to bind`.
Reserve remembers the chosen node's bindings. PreBind (`BindPodVolumes`) writes them through
the API server: a matched volume gets the claim in its `claimRef` (with
`pv.kubernetes.io/bound-by-controller`), a claim to provision gets
`volume.kubernetes.io/selected-node: <node>`; then the binding cycle waits — polling each
second, up to `bindTimeoutSeconds` (600 s) — until the PV controller (and the provisioner)
have bound every claim, and only then binds the pod to the node. A claim whose selected node
is taken away (its provisioner gave up) fails the binding and the pod is scheduled again.

The FailedScheduling event for a missing claim reads `0/4 nodes are available:
persistentvolumeclaim "data" not found. preemption: 0/4 nodes are available: 4 Preemption is
not helpful for scheduling..` and the pod waits.

Simplified: no Score by capacity (the StorageCapacityScoring feature is off in 1.32 anyway),
no CSIStorageCapacity or CSI volume limits, and the assumed bindings are not kept in a cache
between scheduling cycles (another pod's cycle could choose the same Available volume until
the first one's PreBind writes its claimRef).

Requeueing (QueueingHints, v1.32): a rejected pod is retried when one of its own claims is
added or changed, when a PersistentVolume or StorageClass is added or changed, or when a node
is added or relabelled. (The CSINode, CSIDriver and CSIStorageCapacity events it also
registers are for kinds the simulation does not have; StorageClass changes are not narrowed
down by a hint.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ...errors import ApiError, NotFound
from ...jsonutil import copy_json
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
    ERROR,
    OK,
    SKIP,
    SUCCESS,
    UNRESOLVABLE,
    WAIT,
    CycleState,
    FilterPlugin,
    Handle,
    NodeInfo,
    PreBindPlugin,
    PreFilterPlugin,
    ReservePlugin,
    Status,
)
from .node_affinity import requirement_matches, term_matches

Obj = dict[str, Any]
BIND_COMPLETED = "pv.kubernetes.io/bind-completed"
BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller"
SELECTED_NODE = "volume.kubernetes.io/selected-node"
NO_PROVISIONER = "kubernetes.io/no-provisioner"
UNBOUND_IMMEDIATE = "pod has unbound immediate PersistentVolumeClaims"
PV_NOT_FOUND = "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)"
NODE_CONFLICT = "node(s) didn't match PersistentVolume's node affinity"
BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind"
BIND_TIMEOUT_SECONDS = 600.0  # VolumeBindingArgs.bindTimeoutSeconds
STATE_KEY = "VolumeBinding"


@dataclass
class PodVolumes:
    """What one scheduling cycle found for the pod: its bound claims' volumes, its claims to
    bind, and per node the volumes matched to them and the claims to provision."""

    bound: list[str] = field(default_factory=list)
    to_bind: list[Obj] = field(default_factory=list)
    by_node: dict[str, tuple[list[tuple[Obj, Obj]], list[Obj]]] = field(default_factory=dict)
    chosen: tuple[list[tuple[Obj, Obj]], list[Obj]] | None = None
    bind_started: float | None = None


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


def volume_fits_node(volume: Obj, node: Obj) -> bool:
    """`CheckNodeAffinity`: a volume without required node affinity fits every node; else one
    of its terms must match the node's labels."""
    required = ((volume.get("spec") or {}).get("nodeAffinity") or {}).get("required")
    if not required:
        return True
    return any(term_matches(t, node) for t in required.get("nodeSelectorTerms") or ())


def _topology_allows(storage_class: Obj, node: Obj) -> bool:
    """A class's `allowedTopologies`: one term whose every expression has the node's label value."""
    terms = storage_class.get("allowedTopologies")
    if not terms:
        return True
    labels = node["metadata"].get("labels") or {}
    return any(
        all(
            requirement_matches({"key": e.get("key"), "operator": "In", "values": e.get("values")}, labels)
            for e in t.get("matchLabelExpressions") or ()
        )
        for t in terms
    )


class VolumeBinding(PreFilterPlugin, FilterPlugin, ReservePlugin, PreBindPlugin):
    name = "VolumeBinding"

    def __init__(self, args: Obj | None = None, handle: Handle | None = None) -> None:
        super().__init__(args, handle)
        self.claims = _lister(handle, "persistentvolumeclaims")
        self.classes = _lister(handle, "storageclasses")
        self.volumes = _lister(handle, "persistentvolumes")
        self.bind_timeout = float((args or {}).get("bindTimeoutSeconds", BIND_TIMEOUT_SECONDS))

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
        found = PodVolumes()
        for claim in claims:
            spec = claim.get("spec") or {}
            annotations = claim["metadata"].get("annotations") or {}
            if spec.get("volumeName") and BIND_COMPLETED in annotations:
                found.bound.append(str(spec["volumeName"]))
            elif spec.get("volumeName") or not self._delays_binding(claim):
                # pre-bound to a volume, or immediate binding: the PV controller binds it first
                return Status(UNRESOLVABLE, [UNBOUND_IMMEDIATE], self.name)
            else:
                found.to_bind.append(claim)
        state[STATE_KEY] = found
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
        """`FindPodVolumes`: the bound claims' volumes exist and admit the node; each claim to
        bind gets a matching volume on the node or can be provisioned there."""
        found: PodVolumes = state[STATE_KEY]
        reasons: list[str] = []
        for name in found.bound:
            volume = self.volumes.get(name) if self.volumes is not None else None
            if volume is None:
                return Status(UNRESOLVABLE, [PV_NOT_FOUND], self.name)
            if not volume_fits_node(volume, node.node) and NODE_CONFLICT not in reasons:
                reasons.append(NODE_CONFLICT)
        if found.to_bind:
            matched = self._bindings_for(found.to_bind, node.node)
            if matched is None:
                reasons.append(BIND_CONFLICT)
            else:
                found.by_node[node.name] = matched
        if reasons:
            return Status(UNRESOLVABLE, reasons, self.name)
        return OK

    def _all_volumes(self) -> list[Obj]:
        cache = getattr(self.volumes, "cache", None)
        return list(cache.values()) if isinstance(cache, dict) else []

    def _bindings_for(self, claims: list[Obj], node: Obj) -> tuple[list[tuple[Obj, Obj]], list[Obj]] | None:
        """`findMatchingVolumes` then `checkVolumeProvisions` for one node: (claim, volume)
        pairs and the claims to provision, or None if some claim can have neither."""
        from ...controllers.persistentvolume import find_matching_volume

        available = self._all_volumes()
        static: list[tuple[Obj, Obj]] = []
        provision: list[Obj] = []
        # the biggest requests first, as the real plugin sorts them, so small volumes stay free
        for claim in sorted(claims, key=_requested_bytes, reverse=True):
            volume = find_matching_volume(
                claim, available, delay_binding=True, node_fits=lambda v: volume_fits_node(v, node)
            )
            if volume is not None:
                static.append((claim, volume))
                available = [v for v in available if v is not volume]
                continue
            storage_class = self.classes.get(_claim_class(claim)) if self.classes is not None else None
            if storage_class is None or storage_class.get("provisioner") == NO_PROVISIONER:
                return None
            if not _topology_allows(storage_class, node):
                return None
            provision.append(claim)
        return static, provision

    def reserve(self, state: CycleState, pod: Obj, node: str) -> Status:
        """`AssumePodVolumes`: remember what PreBind will write for the chosen node."""
        found: PodVolumes | None = state.get(STATE_KEY)
        if found is not None:
            found.chosen = found.by_node.get(node)
        return OK

    def unreserve(self, state: CycleState, pod: Obj, node: str) -> None:
        found: PodVolumes | None = state.get(STATE_KEY)
        if found is not None:
            found.chosen = None
            found.bind_started = None

    def pre_bind(self, state: CycleState, pod: Obj, node: str) -> Status:
        """`BindPodVolumes`: write the bindings (once), then wait until every claim is bound."""
        found: PodVolumes | None = state.get(STATE_KEY)
        if found is None or found.chosen is None or self.handle is None:
            return OK
        static, provision = found.chosen
        server, user = self.handle.server, self.handle.user
        if found.bind_started is None:
            found.bind_started = server.clock.now
            try:
                for claim, volume in static:
                    self._bind_volume(server, user, claim, volume)
                for claim in provision:
                    current = server.get(
                        user, "persistentvolumeclaims", claim["metadata"]["name"], _ns(claim)
                    )
                    annotations = current["metadata"].setdefault("annotations", {})
                    if annotations.get(SELECTED_NODE) != node:
                        annotations[SELECTED_NODE] = node
                        server.update(user, current)
            except ApiError as exc:
                return Status(ERROR, [f"binding volumes: {exc}"], self.name)
        try:
            done = all(self._claim_bound(server, user, claim, node) for claim, _ in static) and all(
                self._claim_bound(server, user, claim, node) for claim in provision
            )
        except _BindingFailed as exc:
            return Status(ERROR, [f"binding volumes: {exc}"], self.name)
        if done:
            return OK
        if server.clock.now - found.bind_started >= self.bind_timeout:
            return Status(ERROR, ["binding volumes: context deadline exceeded"], self.name)
        return Status(WAIT, [], self.name)

    @staticmethod
    def _bind_volume(server: Any, user: Any, claim: Obj, volume: Obj) -> None:
        """`bindVolumeToClaim` as the scheduler does it: the claimRef, bound by controller."""
        current = server.get(user, "persistentvolumes", volume["metadata"]["name"])
        meta = claim["metadata"]
        ref = (current.get("spec") or {}).get("claimRef") or {}
        if ref.get("uid") == meta.get("uid"):
            return
        updated = copy_json(current)
        updated["spec"]["claimRef"] = {
            "kind": "PersistentVolumeClaim",
            "namespace": meta.get("namespace"),
            "name": meta["name"],
            "uid": meta.get("uid"),
            "apiVersion": "v1",
            "resourceVersion": meta.get("resourceVersion"),
        }
        updated["metadata"].setdefault("annotations", {})[BOUND_BY_CONTROLLER] = "yes"
        server.update(user, updated)

    @staticmethod
    def _claim_bound(server: Any, user: Any, claim: Obj, node: str) -> bool:
        """`checkBindings` for one claim: fully bound yet? A claim gone, or one whose selected
        node was reset, fails the binding."""
        name = claim["metadata"]["name"]
        current = server.store.get("persistentvolumeclaims", _ns(claim), name)
        if current is None:
            raise _BindingFailed(f'persistentvolumeclaim "{name}" not found')
        annotations = current["metadata"].get("annotations") or {}
        spec = current.get("spec") or {}
        if (
            not spec.get("volumeName")
            and SELECTED_NODE in (claim["metadata"].get("annotations") or {})
            and (SELECTED_NODE not in annotations)
        ):
            raise _BindingFailed(f"selectedNode annotation reset for PVC {name!r}")
        if not spec.get("volumeName") or BIND_COMPLETED not in annotations:
            return False
        volume = server.store.get("persistentvolumes", None, spec["volumeName"])
        if volume is None:
            return False
        ref = (volume.get("spec") or {}).get("claimRef") or {}
        return ref.get("uid") == current["metadata"].get("uid")


class _BindingFailed(Exception):
    pass


def _ns(claim: Obj) -> str:
    return str(claim["metadata"].get("namespace") or "default")


def _requested_bytes(claim: Obj) -> Any:
    from ...quantity import parse_quantity

    value = (((claim.get("spec") or {}).get("resources") or {}).get("requests") or {}).get("storage")
    return parse_quantity(value) if value is not None else 0
