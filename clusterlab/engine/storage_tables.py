"""Table columns and cells for PersistentVolumes, PersistentVolumeClaims and StorageClasses
(`kubectl get pv`, `pvc`, `sc`), as kube-apiserver's `printPersistentVolume`,
`printPersistentVolumeClaim` and `printStorageClass` in `pkg/printers/internalversion/printers.go`
compute them.

- PersistentVolume: NAME, CAPACITY (the `storage` capacity, canonical), ACCESS MODES (`RWO`,
  `ROX`, `RWX`, `RWOP` in that order, comma-joined), RECLAIM POLICY, STATUS (the phase, or
  `Terminating` once deleted), CLAIM (`namespace/name` of the claimRef), STORAGECLASS,
  VOLUMEATTRIBUTESCLASS (`<unset>` without one), REASON, AGE, and VOLUMEMODE in the wide form.
- PersistentVolumeClaim: NAME, STATUS, VOLUME, CAPACITY and ACCESS MODES (from the status, and
  only once the claim names a volume), STORAGECLASS, VOLUMEATTRIBUTESCLASS, AGE, VOLUMEMODE
  (wide).
- StorageClass: NAME (with ` (default)` for the default class), PROVISIONER, RECLAIMPOLICY,
  VOLUMEBINDINGMODE, ALLOWVOLUMEEXPANSION (a boolean cell), AGE.

Column descriptions are the API documentation strings, shortened to their first sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .persistent_volumes import is_default_class
from .quantity_format import canonical_text
from .table_columns import Since, column

Obj = dict[str, Any]

_MODE_ABBREVIATIONS = (
    ("ReadWriteOnce", "RWO"),
    ("ReadOnlyMany", "ROX"),
    ("ReadWriteMany", "RWX"),
    ("ReadWriteOncePod", "RWOP"),
)


def columns(name_col: Obj, age_col: Obj) -> dict[str, list[Obj]]:
    volume_mode = (
        "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain "
        "in raw block state."
    )
    return {
        "PersistentVolume": [
            name_col,
            column(
                "Capacity", "capacity is the description of the persistent volume's resources and capacity."
            ),
            column("Access Modes", "accessModes contains all ways the volume can be mounted."),
            column(
                "Reclaim Policy",
                "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released "
                "from its claim.",
            ),
            column(
                "Status",
                "phase indicates if a volume is available, bound to a claim, or released by a claim.",
            ),
            column(
                "Claim",
                "claimRef is part of a bi-directional binding between PersistentVolume and "
                "PersistentVolumeClaim.",
            ),
            column("StorageClass", "StorageClass of the pv"),
            column("VolumeAttributesClass", "VolumeAttributesClass of the pv"),
            column(
                "Reason",
                "reason is a brief CamelCase string that describes any failure and is meant for machine "
                "parsing and tidy display in the CLI.",
            ),
            age_col,
            column("VolumeMode", volume_mode, priority=1),
        ],
        "PersistentVolumeClaim": [
            name_col,
            column("Status", "phase represents the current phase of PersistentVolumeClaim."),
            column(
                "Volume", "volumeName is the binding reference to the PersistentVolume backing this claim."
            ),
            column("Capacity", "capacity represents the actual resources of the underlying volume."),
            column(
                "Access Modes", "accessModes contains the actual access modes the volume backing the PVC has."
            ),
            column("StorageClass", "StorageClass of the pvc"),
            column("VolumeAttributesClass", "VolumeAttributesClass of the pvc"),
            age_col,
            column(
                "VolumeMode", "volumeMode defines what type of volume is required by the claim.", priority=1
            ),
        ],
        "StorageClass": [
            name_col,
            column("Provisioner", "Indicates the type of the provisioner."),
            column(
                "ReclaimPolicy",
                "Dynamically provisioned PersistentVolumes of this storage class are created with this "
                "reclaimPolicy. Defaults to Delete.",
            ),
            column(
                "VolumeBindingMode",
                "VolumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound. "
                "When unset, VolumeBindingImmediate is used.",
            ),
            column(
                "AllowVolumeExpansion",
                "AllowVolumeExpansion shows whether the storage class allow volume expand.",
            ),
            age_col,
        ],
    }


def access_modes_text(modes: list[str] | None) -> str:
    """`GetAccessModesAsString`."""
    modes = modes or []
    return ",".join(short for mode, short in _MODE_ABBREVIATIONS if mode in modes)


def volume_class(pv: Obj) -> str:
    """`GetPersistentVolumeClass`: the beta annotation wins over `spec.storageClassName`."""
    annotations = pv["metadata"].get("annotations") or {}
    if "volume.beta.kubernetes.io/storage-class" in annotations:
        return str(annotations["volume.beta.kubernetes.io/storage-class"])
    return str((pv.get("spec") or {}).get("storageClassName") or "")


def _storage(resources: Obj | None) -> str:
    value = (resources or {}).get("storage")
    return canonical_text(value) if value is not None else "0"


def _persistent_volume(pv: Obj, t: Since) -> list[Any]:
    spec, status = pv.get("spec") or {}, pv.get("status") or {}
    ref = spec.get("claimRef")
    claim = f"{ref.get('namespace', '')}/{ref.get('name', '')}" if ref else ""
    phase = "Terminating" if pv["metadata"].get("deletionTimestamp") else status.get("phase", "")
    return [
        pv["metadata"]["name"],
        _storage(spec.get("capacity")),
        access_modes_text(spec.get("accessModes")),
        spec.get("persistentVolumeReclaimPolicy", ""),
        phase,
        claim,
        volume_class(pv),
        spec.get("volumeAttributesClassName") or "<unset>",
        status.get("reason", ""),
        t.since(pv["metadata"].get("creationTimestamp")),
        spec.get("volumeMode") or "<unset>",
    ]


def _persistent_volume_claim(pvc: Obj, t: Since) -> list[Any]:
    spec, status = pvc.get("spec") or {}, pvc.get("status") or {}
    phase = "Terminating" if pvc["metadata"].get("deletionTimestamp") else status.get("phase", "")
    capacity = modes = ""
    if spec.get("volumeName"):
        modes = access_modes_text(status.get("accessModes"))
        capacity = _storage(status.get("capacity"))
    annotations = pvc["metadata"].get("annotations") or {}
    storage_class = annotations.get(
        "volume.beta.kubernetes.io/storage-class", spec.get("storageClassName") or ""
    )
    return [
        pvc["metadata"]["name"],
        phase,
        spec.get("volumeName") or "",
        capacity,
        modes,
        storage_class,
        spec.get("volumeAttributesClassName") or "<unset>",
        t.since(pvc["metadata"].get("creationTimestamp")),
        spec.get("volumeMode") or "<unset>",
    ]


def _storage_class(sc: Obj, t: Since) -> list[Any]:
    name = sc["metadata"]["name"] + (" (default)" if is_default_class(sc) else "")
    return [
        name,
        sc.get("provisioner", ""),
        sc.get("reclaimPolicy") or "Delete",
        sc.get("volumeBindingMode") or "Immediate",
        bool(sc.get("allowVolumeExpansion", False)),
        t.since(sc["metadata"].get("creationTimestamp")),
    ]


PRINTERS: dict[str, Callable[[Obj, Since], list[Any]]] = {
    "PersistentVolume": _persistent_volume,
    "PersistentVolumeClaim": _persistent_volume_claim,
    "StorageClass": _storage_class,
}
