"""`kubectl describe statefulset`, as kubectl 1.32's `StatefulSetDescriber` writes it: Name,
Namespace, CreationTimestamp, Selector, Labels, Annotations, `Replicas: N desired | M total`,
the update strategy (with the partition of a RollingUpdate), `Pods Status: R Running /
W Waiting / S Succeeded / F Failed` over the pods its selector matches that it controls, the Pod
Template, the volume claim templates (`Volume Claims:` with name, class, labels, annotations,
capacity and access modes, or `<none>`), then the Events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

Obj = dict[str, Any]
STORAGE_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class"


def _volume_claims(templates: list[Obj]) -> str:
    """`describeVolumeClaimTemplates`."""
    from .describe import _multiline

    if not templates:
        return "Volume Claims:\t<none>\n"
    out = "Volume Claims:\n"
    for pvc in templates:
        meta, spec = pvc.get("metadata") or {}, pvc.get("spec") or {}
        annotations = meta.get("annotations") or {}
        storage_class = annotations.get(STORAGE_CLASS_ANNOTATION, spec.get("storageClassName") or "")
        out += f"  Name:\t{meta.get('name', '')}\n"
        out += f"  StorageClass:\t{storage_class}\n"
        out += _multiline("  Labels", meta.get("labels"))
        out += _multiline("  Annotations", annotations, "=")
        capacity = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
        out += f"  Capacity:\t{capacity if capacity is not None else '<default>'}\n"
        out += f"  Access Modes:\t[{' '.join(spec.get('accessModes') or [])}]\n"
    return out


def describe_statefulset(sts: Obj, pods: list[Obj], events: list[Obj] | None, now: datetime | None) -> str:
    from .describe import _events, _multiline, rfc1123z
    from .describe_more import pod_template, pods_status, selector_text

    meta, spec, st = sts.get("metadata") or {}, sts.get("spec") or {}, sts.get("status") or {}
    out = f"Name:\t{meta.get('name')}\nNamespace:\t{meta.get('namespace')}\n"
    out += f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'))}\n"
    out += f"Selector:\t{selector_text(spec.get('selector'))}\n"
    out += _multiline("Labels", meta.get("labels"))
    out += _multiline("Annotations", meta.get("annotations"), ": ")
    out += f"Replicas:\t{int(spec.get('replicas', 1))} desired | {int(st.get('replicas', 0))} total\n"
    strategy = spec.get("updateStrategy") or {}
    out += f"Update Strategy:\t{strategy.get('type', '')}\n"
    rolling = strategy.get("rollingUpdate")
    if isinstance(rolling, dict) and rolling.get("partition") is not None:
        out += f"  Partition:\t{int(rolling['partition'])}\n"
        if rolling.get("maxUnavailable") is not None:
            out += f"  MaxUnavailable:\t{rolling['maxUnavailable']}\n"
    out += pods_status(meta, pods)
    out += pod_template(spec.get("template") or {})
    out += _volume_claims(spec.get("volumeClaimTemplates") or [])
    if events is not None:
        out += _events(events, now)
    return out
