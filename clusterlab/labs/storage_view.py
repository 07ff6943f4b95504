"""The storage panel: StorageClasses, PersistentVolumeClaims, PersistentVolumes, how they are
bound, and which pod mounts which claim.

It reads what `kubectl get storageclass,pvc,pv -o wide` and `kubectl describe` show, straight
from the objects:

- a StorageClass's provisioner, reclaim policy, volume binding mode, whether expansion is
  allowed and whether it is the default (`storageclass.kubernetes.io/is-default-class`);
- a claim's phase, the volume it is bound to (`spec.volumeName`), its capacity (the bound
  volume's, in `status.capacity`), access modes in kubectl's short form (RWO, ROX, RWX, RWOP),
  class, and the node the scheduler chose for a `WaitForFirstConsumer` claim
  (`volume.kubernetes.io/selected-node`);
- a volume's phase, capacity, access modes, reclaim policy, the claim it is bound to
  (`spec.claimRef`), class, and the node affinity that pins its pods (a local volume's
  `required.nodeSelectorTerms`);
- each pod that names a claim in `spec.volumes[].persistentVolumeClaim`, with its node and
  status (kubectl describe pvc's "Used By").

A cluster without the storage kinds shows an empty panel. At most `MAX_ROWS` of each are
listed, with a count of the rest.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from clusterlab.engine import Cluster
from clusterlab.engine.errors import ApiError
from clusterlab.engine.printers import pod_status

Obj = dict[str, Any]

MAX_ROWS = 40
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
SELECTED_NODE_ANNOTATION = "volume.kubernetes.io/selected-node"
#: kubectl's short names for access modes (`storageutil.GetAccessModesAsString`), in its order.
ACCESS_MODES = (
    ("ReadWriteOnce", "RWO"),
    ("ReadOnlyMany", "ROX"),
    ("ReadWriteMany", "RWX"),
    ("ReadWriteOncePod", "RWOP"),
)
_SOURCES = ("local", "hostPath", "csi", "nfs", "iscsi", "fc", "awsElasticBlockStore", "gcePersistentDisk")


def _observe(cluster: Cluster, resource: str) -> list[Obj]:
    """The stored objects of a resource; none when this cluster does not know the kind."""
    try:
        return cluster.observe(resource)
    except ApiError:
        return []


def _key(obj: Obj) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return (str(meta.get("namespace") or ""), str(meta.get("name") or ""))


def access_modes(modes: list[str] | None) -> str:
    """`GetAccessModesAsString`: the short forms, in kubectl's fixed order, comma-joined."""
    present = set(modes or ())
    return ",".join(short for mode, short in ACCESS_MODES if mode in present)


def _storage(resources: Obj | None) -> str:
    return str((resources or {}).get("storage") or "")


def node_affinity(pv: Obj) -> str:
    """A volume's required node affinity, one term per `;`, each `key op (values)`."""
    terms = (((pv.get("spec") or {}).get("nodeAffinity") or {}).get("required") or {}).get(
        "nodeSelectorTerms"
    ) or []
    texts = []
    for term in terms:
        parts = []
        for req in term.get("matchExpressions") or ():
            values = ",".join(str(v) for v in req.get("values") or ())
            op = str(req.get("operator") or "")
            parts.append(f"{req.get('key')} {op.lower()} ({values})" if values else f"{req.get('key')} {op}")
        texts.append(" and ".join(parts))
    return "; ".join(t for t in texts if t)


def _source(pv: Obj) -> str:
    spec = pv.get("spec") or {}
    for name in _SOURCES:
        value = spec.get(name)
        if isinstance(value, dict):
            detail = value.get("path") or value.get("driver") or value.get("volumeHandle") or ""
            return f"{name} {detail}".strip()
    return ""


def storage_panel(cluster: Cluster) -> Obj:
    """The board's storage panel."""
    classes = sorted(_observe(cluster, "storageclasses"), key=_key)
    claims = sorted(_observe(cluster, "persistentvolumeclaims"), key=_key)
    volumes = sorted(_observe(cluster, "persistentvolumes"), key=_key)
    users: dict[tuple[str, str], list[Obj]] = defaultdict(list)
    if claims:
        for pod in sorted(_observe(cluster, "pods"), key=_key):
            ns, pod_name = _key(pod)
            for volume in (pod.get("spec") or {}).get("volumes") or ():
                claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
                if claim:
                    users[(ns, str(claim))].append(
                        {
                            "name": pod_name,
                            "node": str((pod.get("spec") or {}).get("nodeName") or ""),
                            "status": pod_status(pod),
                            "volume": str(volume.get("name") or ""),
                        }
                    )
    class_rows = [
        {
            "name": _key(sc)[1],
            "default": (sc["metadata"].get("annotations") or {}).get(DEFAULT_CLASS_ANNOTATION) == "true",
            "provisioner": str(sc.get("provisioner") or ""),
            "reclaim": str(sc.get("reclaimPolicy") or "Delete"),
            "binding": str(sc.get("volumeBindingMode") or "Immediate"),
            "expansion": bool(sc.get("allowVolumeExpansion")),
        }
        for sc in classes[:MAX_ROWS]
    ]
    claim_rows = []
    for pvc in claims[:MAX_ROWS]:
        ns, name = _key(pvc)
        spec, status = pvc.get("spec") or {}, pvc.get("status") or {}
        phase = str(status.get("phase") or "Pending")
        claim_rows.append(
            {
                "namespace": ns,
                "name": name,
                "dom_id": f"pvc_{ns}_{name}",
                "phase": phase,
                "tone": {"Bound": "ok", "Pending": "progress"}.get(phase, "bad"),
                "volume": str(spec.get("volumeName") or ""),
                "capacity": _storage(status.get("capacity")),
                "requested": _storage((spec.get("resources") or {}).get("requests")),
                "modes": access_modes(spec.get("accessModes")),
                "storage_class": str(spec.get("storageClassName") or ""),
                "selected_node": str(
                    (pvc["metadata"].get("annotations") or {}).get(SELECTED_NODE_ANNOTATION) or ""
                ),
                "used_by": users.get((ns, name), []),
            }
        )
    volume_rows = []
    for pv in volumes[:MAX_ROWS]:
        spec, status = pv.get("spec") or {}, pv.get("status") or {}
        ref = spec.get("claimRef") or {}
        phase = str(status.get("phase") or "Pending")
        volume_rows.append(
            {
                "name": _key(pv)[1],
                "phase": phase,
                "tone": {"Bound": "ok", "Available": "ok", "Pending": "progress", "Released": "progress"}.get(
                    phase, "bad"
                ),
                "capacity": _storage(spec.get("capacity")),
                "modes": access_modes(spec.get("accessModes")),
                "reclaim": str(spec.get("persistentVolumeReclaimPolicy") or "Retain"),
                "claim": f"{ref.get('namespace', '')}/{ref.get('name', '')}" if ref.get("name") else "",
                "storage_class": str(spec.get("storageClassName") or ""),
                "affinity": node_affinity(pv),
                "source": _source(pv),
            }
        )
    return {
        "classes": class_rows,
        "claims": claim_rows,
        "volumes": volume_rows,
        "more_classes": max(0, len(classes) - MAX_ROWS),
        "more_claims": max(0, len(claims) - MAX_ROWS),
        "more_volumes": max(0, len(volumes) - MAX_ROWS),
    }
