"""`kubectl describe` for PersistentVolumes, PersistentVolumeClaims and StorageClasses, as
kubectl 1.32's `describePersistentVolume`, `describePersistentVolumeClaim` and
`describeStorageClass` write them.

- PersistentVolume: Name, Labels, Annotations, Finalizers (Go's `%v` of the list), StorageClass,
  Status (`Terminating (lasts 5s)` once deleted), Claim (`namespace/name`), Reclaim Policy,
  Access Modes, VolumeMode, Capacity, Node Affinity (`Required Terms:` / `Term 0:` with each
  requirement as `key in [a, b]`), Message, Source (per volume type), Events.
- PersistentVolumeClaim: Name, Namespace, StorageClass, Status, Volume, Labels, Annotations,
  Finalizers, Capacity and Access Modes (once bound), VolumeMode, `Used By` (the namespace's
  pods that name the claim in a volume, sorted), Conditions, Events.
- StorageClass: Name, IsDefaultClass (Yes/No), Annotations and Parameters as `k=v,…` (the raw
  annotations, the last-applied configuration included), AllowVolumeExpansion (`<unset>`,
  True, False), MountOptions, ReclaimPolicy, VolumeBindingMode, Events.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from clusterlab.engine.quantity_format import canonical_text
from clusterlab.engine.storage_tables import access_modes_text, volume_class

from .printers.ages import since

Obj = dict[str, Any]


def _finalizers(meta: Obj) -> str:
    return "[" + " ".join(meta.get("finalizers") or []) + "]"


def _status(obj: Obj, now: datetime | None) -> str:
    deleted = (obj.get("metadata") or {}).get("deletionTimestamp")
    if deleted:
        return f"Status:\tTerminating (lasts {since(deleted, now)})\n"
    return f"Status:\t{(obj.get('status') or {}).get('phase', '')}\n"


def _storage(resources: Obj | None) -> str:
    value = (resources or {}).get("storage")
    return canonical_text(value) if value is not None else "0"


def _node_affinity(affinity: Obj | None) -> str:
    """`printVolumeNodeAffinity`."""
    required = (affinity or {}).get("required")
    if not affinity or required is None:
        return "Node Affinity:\t<none>\n"
    out = "Node Affinity:\t\n  Required Terms:\t"
    terms = required.get("nodeSelectorTerms") or []
    if not terms:
        return out + "<none>\n"
    out += "\n"
    for i, term in enumerate(terms):
        out += f"    Term {i}:\t"
        exprs = term.get("matchExpressions") or []
        if not exprs:
            out += "<none>\n"
            continue
        for j, req in enumerate(exprs):
            if j:
                out += "    \t"
            text = f"{req.get('key', '')} {str(req.get('operator', '')).lower()}"
            if req.get("values"):
                text += f" [{', '.join(req['values'])}]"
            out += text + "\n"
    return out


def _source(spec: Obj) -> str:
    """The volume source's own lines (the types a lab's volumes use)."""
    if spec.get("hostPath") is not None:
        host = spec["hostPath"]
        kind = host.get("type")
        return (
            "    Type:\tHostPath (bare host directory volume)\n"
            f"    Path:\t{host.get('path', '')}\n"
            f"    HostPathType:\t{'<none>' if kind is None else kind}\n"
        )
    if spec.get("local") is not None:
        return (
            "    Type:\tLocalVolume (a persistent volume backed by local storage on a node)\n"
            f"    Path:\t{spec['local'].get('path', '')}\n"
        )
    if spec.get("nfs") is not None:
        nfs = spec["nfs"]
        return (
            "    Type:\tNFS (an NFS mount that lasts the lifetime of a pod)\n"
            f"    Server:\t{nfs.get('server', '')}\n"
            f"    Path:\t{nfs.get('path', '')}\n"
            f"    ReadOnly:\t{str(bool(nfs.get('readOnly'))).lower()}\n"
        )
    return "  <unknown>\n"


def describe_persistent_volume(pv: Obj, events: list[Obj] | None, now: datetime | None) -> str:
    from .describe import _events, _multiline

    meta, spec, status = pv.get("metadata") or {}, pv.get("spec") or {}, pv.get("status") or {}
    out = f"Name:\t{meta.get('name', '')}\n"
    out += _multiline("Labels", meta.get("labels"))
    out += _multiline("Annotations", meta.get("annotations"), ": ")
    out += f"Finalizers:\t{_finalizers(meta)}\n"
    out += f"StorageClass:\t{volume_class(pv)}\n"
    if spec.get("volumeAttributesClassName") is not None:
        out += f"VolumeAttributesClass:\t{spec['volumeAttributesClassName']}\n"
    out += _status(pv, now)
    ref = spec.get("claimRef")
    out += f"Claim:\t{ref.get('namespace', '')}/{ref.get('name', '')}\n" if ref else "Claim:\t\n"
    out += f"Reclaim Policy:\t{spec.get('persistentVolumeReclaimPolicy', '')}\n"
    out += f"Access Modes:\t{access_modes_text(spec.get('accessModes'))}\n"
    if spec.get("volumeMode"):
        out += f"VolumeMode:\t{spec['volumeMode']}\n"
    out += f"Capacity:\t{_storage(spec.get('capacity'))}\n"
    out += _node_affinity(spec.get("nodeAffinity"))
    out += f"Message:\t{status.get('message', '')}\n"
    out += "Source:\n" + _source(spec)
    if events is not None:
        out += _events(events, now)
    return out


def _used_by(pods: list[Obj]) -> str:
    """`printPodsMultiline`."""
    if not pods:
        return "Used By:\t<none>\n"
    names = sorted(
        ((p.get("metadata") or {}).get("namespace", ""), (p.get("metadata") or {}).get("name", ""))
        for p in pods
    )
    out = ""
    for i, (_, name) in enumerate(names):
        out += "Used By:\t" if i == 0 else "\t"
        out += f"{name}\n"
    return out


def pods_for_claim(claim: Obj, pods: list[Obj]) -> list[Obj]:
    """`getPodsForPVC`: pods naming the claim in a volume, then pods that own the claim."""
    name = (claim.get("metadata") or {}).get("name")
    found = [
        pod
        for pod in pods
        for volume in (pod.get("spec") or {}).get("volumes") or []
        if (volume.get("persistentVolumeClaim") or {}).get("claimName") == name
    ]
    uids = {(p.get("metadata") or {}).get("uid") for p in found}
    for ref in (claim.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("kind") != "Pod":
            continue
        for pod in pods:
            uid = (pod.get("metadata") or {}).get("uid")
            if uid == ref.get("uid") and uid not in uids:
                found.append(pod)
                uids.add(uid)
    return found


def describe_persistent_volume_claim(
    pvc: Obj, pods: list[Obj], events: list[Obj] | None, now: datetime | None
) -> str:
    from .describe import _events, _multiline, rfc1123z

    meta, spec, status = pvc.get("metadata") or {}, pvc.get("spec") or {}, pvc.get("status") or {}
    annotations = meta.get("annotations") or {}
    storage_class = annotations.get(
        "volume.beta.kubernetes.io/storage-class", spec.get("storageClassName") or ""
    )
    out = f"Name:\t{meta.get('name', '')}\nNamespace:\t{meta.get('namespace', '')}\n"
    out += f"StorageClass:\t{storage_class}\n"
    if spec.get("volumeAttributesClassName") is not None:
        out += f"VolumeAttributesClass:\t{spec['volumeAttributesClassName']}\n"
    out += _status(pvc, now)
    out += f"Volume:\t{spec.get('volumeName', '')}\n"
    out += _multiline("Labels", meta.get("labels"))
    out += _multiline("Annotations", meta.get("annotations"), ": ")
    out += f"Finalizers:\t{_finalizers(meta)}\n"
    capacity = modes = ""
    if spec.get("volumeName"):
        modes = access_modes_text(status.get("accessModes"))
        capacity = _storage(status.get("capacity"))
    out += f"Capacity:\t{capacity}\nAccess Modes:\t{modes}\n"
    if spec.get("volumeMode"):
        out += f"VolumeMode:\t{spec['volumeMode']}\n"
    source = spec.get("dataSource")
    if source:
        out += "DataSource:\n"
        if source.get("apiGroup") is not None:
            out += f"  APIGroup:\t{source['apiGroup']}\n"
        out += f"  Kind:\t{source.get('kind', '')}\n  Name:\t{source.get('name', '')}\n"
    out += _used_by(pods)
    conditions = status.get("conditions") or []
    if conditions:
        out += "Conditions:\n  Type\tStatus\tLastProbeTime\tLastTransitionTime\tReason\tMessage\n"
        out += "  ----\t------\t-----------------\t------------------\t------\t-------\n"
        for c in conditions:
            out += (
                f"  {c.get('type', '')} \t{c.get('status', '')} \t{rfc1123z(c.get('lastProbeTime'))} \t"
                f"{rfc1123z(c.get('lastTransitionTime'))} \t{c.get('reason', '')} \t{c.get('message', '')}\n"
            )
    if events is not None:
        out += _events(events, now)
    return out


def _format_labels(values: dict[str, str] | None) -> str:
    """`labels.FormatLabels`."""
    if not values:
        return "<none>"
    return ",".join(f"{k}={values[k]}" for k in sorted(values))


def describe_storage_class(sc: Obj, events: list[Obj] | None, now: datetime | None) -> str:
    from clusterlab.engine.persistent_volumes import is_default_class

    from .describe import _events

    meta = sc.get("metadata") or {}
    out = f"Name:\t{meta.get('name', '')}\n"
    out += f"IsDefaultClass:\t{'Yes' if is_default_class(sc) else 'No'}\n"
    out += f"Annotations:\t{_format_labels(meta.get('annotations'))}\n"
    out += f"Provisioner:\t{sc.get('provisioner', '')}\n"
    out += f"Parameters:\t{_format_labels(sc.get('parameters'))}\n"
    expansion = sc.get("allowVolumeExpansion")
    out += f"AllowVolumeExpansion:\t{'<unset>' if expansion is None else str(bool(expansion))}\n"
    options = sc.get("mountOptions") or []
    if not options:
        out += "MountOptions:\t<none>\n"
    else:
        out += "MountOptions:\n" + "".join(f"  {o}\n" for o in options)
    if sc.get("reclaimPolicy"):
        out += f"ReclaimPolicy:\t{sc['reclaimPolicy']}\n"
    if sc.get("volumeBindingMode"):
        out += f"VolumeBindingMode:\t{sc['volumeBindingMode']}\n"
    topologies = sc.get("allowedTopologies")
    if topologies is not None:
        out += "AllowedTopologies:\t"
        if not topologies:
            out += "<none>\n"
        else:
            out += "\n"
            for i, term in enumerate(topologies):
                exprs = ", ".join(
                    f"{e.get('key', '')} in [{', '.join(e.get('values') or [])}]"
                    for e in term.get("matchLabelExpressions") or []
                )
                out += f"  Term {i}:\t{exprs}\n"
    if events is not None:
        out += _events(events, now)
    return out


def describe_storage(ctx: Any, kind: str, obj: Obj, events: Callable[[], list[Obj] | None]) -> str:
    """The describer for one of the storage kinds; a claim's describer first lists the
    namespace's pods (in chunks of 500, as kubectl's `getPodsInChunks`) to find the ones using
    it, then searches its events."""
    if kind == "PersistentVolume":
        return describe_persistent_volume(obj, events(), ctx.now)
    if kind == "StorageClass":
        return describe_storage_class(obj, events(), ctx.now)
    namespace = (obj.get("metadata") or {}).get("namespace")
    pods_res = ctx.discovery.resolve("pods")[0]
    pods = ctx.call("GET", pods_res.path(namespace), query={"limit": "500"}).get("items") or []
    return describe_persistent_volume_claim(obj, pods_for_claim(obj, pods), events(), ctx.now)


def data_volume_lines(volume: Obj) -> str | None:
    """A pod's data volume as `describe pod` prints it (`printPersistentVolumeClaimVolumeSource`,
    `printEmptyDirVolumeSource`, `printHostPathVolumeSource`); None for other types."""
    if volume.get("persistentVolumeClaim") is not None:
        claim = volume["persistentVolumeClaim"]
        return (
            "    Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same "
            "namespace)\n"
            f"    ClaimName:\t{claim.get('claimName', '')}\n"
            f"    ReadOnly:\t{str(bool(claim.get('readOnly'))).lower()}\n"
        )
    if volume.get("emptyDir") is not None:
        empty = volume["emptyDir"]
        limit = empty.get("sizeLimit")
        shown = canonical_text(limit) if limit not in (None, "0", 0) else "<unset>"
        return (
            "    Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n"
            f"    Medium:\t{empty.get('medium', '')}\n"
            f"    SizeLimit:\t{shown}\n"
        )
    if volume.get("hostPath") is not None:
        return _source({"hostPath": volume["hostPath"]})
    return None
