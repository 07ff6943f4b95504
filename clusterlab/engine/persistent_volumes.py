"""PersistentVolumes, PersistentVolumeClaims and StorageClasses as kube-apiserver serves them.

What the API server itself does with the storage kinds, before any controller sees them:
- defaulting (`SetDefaults_PersistentVolume`, `…Claim`, storage/v1 `SetDefaults_StorageClass`):
  a volume's `persistentVolumeReclaimPolicy` is `Retain` and its `volumeMode` `Filesystem`, a
  `hostPath` source gets `type: ""`; a claim's `volumeMode` is `Filesystem`; a class reclaims
  with `Delete` and binds `Immediate`ly unless it says otherwise;
- `PrepareForCreate`: a new volume starts `Pending` (with `lastPhaseTransitionTime`), a new
  claim `Pending`;
- validation (`pkg/apis/core/validation`, `pkg/apis/storage/validation`) with Kubernetes'
  texts: access modes, the `storage` capacity or request, exactly one volume source, reclaim
  policies and binding modes from their sets, the `local` source's node affinity;
- update rules: a claim's spec is immutable except `resources.requests` (only for a bound
  claim, and never below what it had); a volume's source cannot change; a class's
  `provisioner`, `parameters`, `reclaimPolicy` and `volumeBindingMode` cannot change;
- the DefaultStorageClass admission plugin: a claim created without `storageClassName` gets
  the class annotated `storageclass.kubernetes.io/is-default-class: "true"` (the newest one,
  if several claim to be the default). A claim that says `storageClassName: ""` asks for no
  class and is left alone;
- the StorageObjectInUseProtection admission plugin: new claims get the finalizer
  `kubernetes.io/pvc-protection`, new volumes `kubernetes.io/pv-protection`
  (controllers/persistentvolume_protection.py removes them when it is safe).

Simplified: the immutable-claim error lists the changed top-level fields in the shape of
Go's `cmp.Diff` rather than its exact rendering of every nested value; volume sources other
than hostPath, local, nfs and csi are accepted without their own validation.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .jsonutil import copy_json
from .quantity import parse_quantity

Obj = dict[str, Any]
Causes = list[tuple[str, str]]

DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
BETA_DEFAULT_CLASS_ANNOTATION = "storageclass.beta.kubernetes.io/is-default-class"
ACCESS_MODES = ("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")
RECLAIM_POLICIES = ("Delete", "Recycle", "Retain")
CLASS_RECLAIM_POLICIES = ("Delete", "Retain")
BINDING_MODES = ("Immediate", "WaitForFirstConsumer")
VOLUME_MODES = ("Block", "Filesystem")
#: The volume sources a PersistentVolume may name (one of them).
PV_SOURCES = (
    "awsElasticBlockStore",
    "azureDisk",
    "azureFile",
    "cephfs",
    "cinder",
    "csi",
    "fc",
    "flexVolume",
    "flocker",
    "gcePersistentDisk",
    "glusterfs",
    "hostPath",
    "iscsi",
    "local",
    "nfs",
    "photonPersistentDisk",
    "portworxVolume",
    "quobyte",
    "rbd",
    "scaleIO",
    "storageos",
    "vsphereVolume",
)


def _quote(value: Any) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _supported(value: Any, allowed: Iterable[str]) -> str:
    return f"Unsupported value: {_quote(value)}: supported values: " + ", ".join(_quote(a) for a in allowed)


# -- defaulting ---------------------------------------------------------------------------


def default_volume(pv: Obj) -> None:
    spec = pv.setdefault("spec", {})
    spec.setdefault("persistentVolumeReclaimPolicy", "Retain")
    spec.setdefault("volumeMode", "Filesystem")
    if isinstance(spec.get("hostPath"), dict):
        spec["hostPath"].setdefault("type", "")


def default_claim(pvc: Obj) -> None:
    spec = pvc.setdefault("spec", {})
    spec.setdefault("volumeMode", "Filesystem")


def default_storage_class(sc: Obj) -> None:
    sc.setdefault("reclaimPolicy", "Delete")
    sc.setdefault("volumeBindingMode", "Immediate")


def prepare_volume_for_create(pv: Obj, now: str) -> None:
    pv["status"] = {"phase": "Pending", "lastPhaseTransitionTime": now}


def prepare_claim_for_create(pvc: Obj) -> None:
    pvc["status"] = {"phase": "Pending"}


# -- validation ---------------------------------------------------------------------------


def _access_mode_causes(modes: Any, path: str, required: str) -> Causes:
    causes: Causes = []
    if not modes:
        return [(path, f"Required value: {required}" if required else "Required value")]
    for mode in modes:
        if mode not in ACCESS_MODES:
            causes.append((path, _supported(mode, ACCESS_MODES)))
    if "ReadWriteOncePod" in modes and len(modes) > 1:
        causes.append((path, "Forbidden: may not use ReadWriteOncePod with other access modes"))
    return causes


def _positive_quantity(value: Any, path: str) -> Causes:
    try:
        amount = parse_quantity(value)
    except (ValueError, TypeError):  # QuantityError is a ValueError
        return [(path, f"Invalid value: {_quote(value)}: must be a valid quantity")]
    if amount <= 0:
        return [(path, f"Invalid value: {_quote(value)}: must be greater than zero")]
    return []


def volume_causes(pv: Obj) -> Causes:
    """`ValidatePersistentVolume`."""
    spec = pv.get("spec") if isinstance(pv.get("spec"), dict) else {}
    causes = _access_mode_causes(spec.get("accessModes"), "spec.accessModes", "")
    capacity = spec.get("capacity") or {}
    if not capacity:
        causes.append(("spec.capacity", "Required value"))
    if "storage" not in capacity or len(capacity) > 1:
        shown = "map[" + " ".join(f"{k}:{v}" for k, v in sorted(capacity.items())) + "]"
        causes.append(("spec.capacity", f'Unsupported value: {shown}: supported values: "storage"'))
    for key, value in sorted(capacity.items()):
        causes += _positive_quantity(value, f"spec.capacity[{key}]")
    policy = spec.get("persistentVolumeReclaimPolicy")
    if policy and policy not in RECLAIM_POLICIES:
        causes.append(("spec.persistentVolumeReclaimPolicy", _supported(policy, RECLAIM_POLICIES)))
    mode = spec.get("volumeMode")
    if mode and mode not in VOLUME_MODES:
        causes.append(("spec.volumeMode", _supported(mode, VOLUME_MODES)))
    sources = [s for s in PV_SOURCES if spec.get(s) is not None]
    if not sources:
        causes.append(("spec", "Required value: must specify a volume type"))
    for extra in sources[1:]:
        causes.append((f"spec.{extra}", "Forbidden: may not specify more than 1 volume type"))
    if "hostPath" in sources and not (spec["hostPath"] or {}).get("path"):
        causes.append(("spec.hostPath.path", "Required value"))
    if "local" in sources:
        if not (spec["local"] or {}).get("path"):
            causes.append(("spec.local.path", "Required value"))
        if not (spec.get("nodeAffinity") or {}).get("required"):
            causes.append(("spec.nodeAffinity", "Required value: Local volume requires node affinity"))
    if "nfs" in sources:
        nfs = spec["nfs"] or {}
        if not nfs.get("server"):
            causes.append(("spec.nfs.server", "Required value"))
        if not nfs.get("path"):
            causes.append(("spec.nfs.path", "Required value"))
    if "csi" in sources:
        csi = spec["csi"] or {}
        if not csi.get("driver"):
            causes.append(("spec.csi.driver", "Required value"))
        if not csi.get("volumeHandle"):
            causes.append(("spec.csi.volumeHandle", "Required value"))
    return causes


def claim_causes(pvc: Obj) -> Causes:
    """`ValidatePersistentVolumeClaim`."""
    spec = pvc.get("spec") if isinstance(pvc.get("spec"), dict) else {}
    causes = _access_mode_causes(
        spec.get("accessModes"), "spec.accessModes", "at least 1 access mode is required"
    )
    requests = (spec.get("resources") or {}).get("requests") or {}
    if "storage" not in requests:
        causes.append(("spec.resources[storage]", "Required value"))
    else:
        causes += _positive_quantity(requests["storage"], "spec.resources[storage]")
    mode = spec.get("volumeMode")
    if mode and mode not in VOLUME_MODES:
        causes.append(("spec.volumeMode", _supported(mode, VOLUME_MODES)))
    return causes


def storage_class_causes(sc: Obj) -> Causes:
    """`ValidateStorageClass`."""
    causes: Causes = []
    if not sc.get("provisioner"):
        causes.append(("provisioner", "Required value"))
    policy = sc.get("reclaimPolicy")
    if policy and policy not in CLASS_RECLAIM_POLICIES:
        causes.append(("reclaimPolicy", _supported(policy, CLASS_RECLAIM_POLICIES)))
    mode = sc.get("volumeBindingMode")
    if mode and mode not in BINDING_MODES:
        causes.append(("volumeBindingMode", _supported(mode, BINDING_MODES)))
    return causes


# -- updates ------------------------------------------------------------------------------

_CLAIM_SPEC_FIELDS = (
    ("accessModes", "AccessModes"),
    ("selector", "Selector"),
    ("resources", "Resources"),
    ("volumeName", "VolumeName"),
    ("storageClassName", "StorageClassName"),
    ("volumeMode", "VolumeMode"),
    ("dataSource", "DataSource"),
    ("dataSourceRef", "DataSourceRef"),
    ("volumeAttributesClassName", "VolumeAttributesClassName"),
)


def _go_value(value: Any) -> str:
    """A field's value roughly as `cmp.Diff` prints it (`&"x"` for a string pointer)."""
    if value is None:
        return "nil"
    if isinstance(value, str):
        return f"&{_quote(value)}"
    if isinstance(value, list):
        return "{" + ", ".join(_quote(v) if isinstance(v, str) else str(v) for v in value) + "}"
    return "{...}"


def _spec_diff(old: Obj, new: Obj) -> str:
    lines = ["  core.PersistentVolumeClaimSpec{"]
    width = max(len(go) for _, go in _CLAIM_SPEC_FIELDS) + 2
    same = 0
    for key, go in _CLAIM_SPEC_FIELDS:
        a, b = old.get(key), new.get(key)
        if key == "volumeName":
            a, b = a or "", b or ""
        if a == b:
            same += 1
            continue
        if same:
            lines.append(f"  \t... // {same} identical fields")
            same = 0
        label = f"{go}:".ljust(width)
        old_text = _quote(a) if key == "volumeName" else _go_value(a)
        new_text = _quote(b) if key == "volumeName" else _go_value(b)
        lines.append(f"- \t{label}{old_text},")
        lines.append(f"+ \t{label}{new_text},")
    if same:
        lines.append(f"  \t... // {same} identical fields")
    lines.append("  }")
    return "\n".join(lines)


def claim_update_causes(old: Obj, new: Obj) -> Causes:
    """`ValidatePersistentVolumeClaimUpdate`: only a bound claim's storage request may change,
    and it may only grow."""
    old_spec, new_spec = copy_json(old.get("spec") or {}), copy_json(new.get("spec") or {})
    # The PV controller fills in `volumeName` when it binds; that is the one allowed set.
    if not old_spec.get("volumeName") and new_spec.get("volumeName"):
        old_spec["volumeName"] = new_spec["volumeName"]
    # RetroactiveDefaultStorageClass: a claim without a class may be given one.
    if old_spec.get("storageClassName") is None and new_spec.get("storageClassName"):
        old_spec["storageClassName"] = new_spec["storageClassName"]
    bound = (old.get("status") or {}).get("phase") == "Bound"
    old_size = ((old_spec.get("resources") or {}).get("requests") or {}).get("storage")
    new_size = ((new_spec.get("resources") or {}).get("requests") or {}).get("storage")
    compare_old, compare_new = copy_json(old_spec), copy_json(new_spec)
    if bound and new_size is not None:
        compare_new.setdefault("resources", {}).setdefault("requests", {})["storage"] = old_size
    causes: Causes = []
    if compare_old != compare_new:
        message = (
            "Forbidden: spec is immutable after creation except resources.requests and "
            "volumeAttributesClassName for bound claims\n" + _spec_diff(compare_old, compare_new)
        )
        causes.append(("spec", message))
    if old_size is not None and new_size is not None:
        try:
            shrinks = parse_quantity(new_size) < parse_quantity(old_size)
        except (ValueError, TypeError):  # QuantityError is a ValueError
            shrinks = False
        if shrinks:
            causes.append(
                ("spec.resources.requests.storage", "Forbidden: field can not be less than previous value")
            )
    return causes


def volume_update_causes(old: Obj, new: Obj) -> Causes:
    """`ValidatePersistentVolumeUpdate`: the source and volume mode are fixed."""
    old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
    causes: Causes = []
    if any(old_spec.get(s) != new_spec.get(s) for s in PV_SOURCES):
        causes.append(
            (
                "spec.persistentvolumesource",
                "Forbidden: spec.persistentvolumesource is immutable after creation",
            )
        )
    if old_spec.get("volumeMode") != new_spec.get("volumeMode"):
        causes.append(
            ("volumeMode", f"Invalid value: {_quote(new_spec.get('volumeMode'))}: field is immutable")
        )
    return causes


def storage_class_update_causes(old: Obj, new: Obj) -> Causes:
    """`ValidateStorageClassUpdate`."""
    causes: Causes = []
    if (old.get("parameters") or {}) != (new.get("parameters") or {}):
        causes.append(("parameters", "Forbidden: updates to parameters are forbidden."))
    if old.get("provisioner") != new.get("provisioner"):
        causes.append(("provisioner", "Forbidden: updates to provisioner are forbidden."))
    if old.get("reclaimPolicy") != new.get("reclaimPolicy"):
        causes.append(("reclaimPolicy", "Forbidden: updates to reclaimPolicy are forbidden."))
    if old.get("volumeBindingMode") != new.get("volumeBindingMode"):
        value = _quote(new.get("volumeBindingMode"))
        causes.append(("volumeBindingMode", f"Invalid value: {value}: field is immutable"))
    return causes


# -- the DefaultStorageClass admission plugin ------------------------------------------------


def is_default_class(sc: Obj) -> bool:
    annotations = (sc.get("metadata") or {}).get("annotations") or {}
    return (
        annotations.get(DEFAULT_CLASS_ANNOTATION) == "true"
        or annotations.get(BETA_DEFAULT_CLASS_ANNOTATION) == "true"
    )


def default_class(classes: Iterable[Obj]) -> Obj | None:
    """`GetDefaultClass`: of the classes marked default, the newest (by creation time, then
    name)."""
    defaults = [sc for sc in classes if is_default_class(sc)]
    if not defaults:
        return None
    defaults.sort(key=lambda sc: (sc["metadata"].get("creationTimestamp") or "", sc["metadata"]["name"]))
    return defaults[-1]


def _protect(obj: Obj, finalizer: str) -> None:
    finalizers = obj.setdefault("metadata", {}).setdefault("finalizers", [])
    if finalizer not in finalizers:
        finalizers.append(finalizer)


def admit_volume(pv: Obj) -> None:
    """StorageObjectInUseProtection: the pv-protection finalizer."""
    _protect(pv, "kubernetes.io/pv-protection")


def admit_claim(pvc: Obj, classes: Iterable[Obj]) -> None:
    """StorageObjectInUseProtection (the pvc-protection finalizer), then DefaultStorageClass: a
    claim that names no class (the field absent, not `""`) gets the default class, if there is
    one."""
    _protect(pvc, "kubernetes.io/pvc-protection")
    spec = pvc.setdefault("spec", {})
    if spec.get("storageClassName") is not None:
        return
    annotations = (pvc.get("metadata") or {}).get("annotations") or {}
    if "volume.beta.kubernetes.io/storage-class" in annotations:
        return
    sc = default_class(classes)
    if sc is not None:
        spec["storageClassName"] = sc["metadata"]["name"]


UPDATE_CAUSES = {
    "PersistentVolume": volume_update_causes,
    "PersistentVolumeClaim": claim_update_causes,
    "StorageClass": storage_class_update_causes,
}
