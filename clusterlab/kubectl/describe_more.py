"""`kubectl describe` for ReplicaSets and Namespaces (kubectl's `ReplicaSetDescriber`,
`NamespaceDescriber`).

ReplicaSet: Selector, Labels, Annotations, Controlled By, `Replicas: N current / M desired`,
`Pods Status: R Running / W Waiting / S Succeeded / F Failed` (counted over the pods its
selector matches that it controls), the Pod Template, Conditions, Events. Namespace: Labels,
Annotations, Status, then the quota and limit-range sections when the server serves those
resources.

Simplified: the namespace describer does not print the contents of quotas and limit ranges
(the lab's API serves neither, which kubectl shows as nothing at all).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

Obj = dict[str, Any]


def selector_text(selector: Obj | None) -> str:
    """`metav1.FormatLabelSelector` for the matchLabels/matchExpressions kubectl prints."""
    if not selector:
        return "<none>"
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for e in selector.get("matchExpressions") or []:
        op, key, values = e.get("operator", ""), e.get("key", ""), e.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts) or "<none>"


def pod_template(template: Obj) -> str:
    """kubectl's `DescribePodTemplate` as nested under a workload."""
    from .describe import _containers, _multiline, _tolerations

    spec = template.get("spec") or {}
    # kubectl passes the indent in the title: continuation lines start with the tab alone.
    out = "Pod Template:\n" + _multiline("  Labels", (template.get("metadata") or {}).get("labels"))
    annotations = (template.get("metadata") or {}).get("annotations")
    if annotations:
        out += _multiline("  Annotations", annotations, ": ")
    if spec.get("serviceAccountName"):
        out += f"  Service Account:\t{spec['serviceAccountName']}\n"
    if spec.get("initContainers"):
        out += _containers("Init Containers", spec["initContainers"], [], "  ", True)
    out += _containers("Containers", spec.get("containers") or [], [], "  ", True)
    vols = spec.get("volumes") or []
    out += "  Volumes:\n" + "".join(f"   {v['name']}:\n" for v in vols) if vols else "  Volumes:\t<none>\n"
    out += _multiline("  Node-Selectors", spec.get("nodeSelector"))
    out += _tolerations(spec.get("tolerations"), title="  Tolerations")
    return out


def pods_status(owner_meta: Obj, pods: list[Obj]) -> str:
    """kubectl's "Pods Status" line: the phases of the pods `owner_meta`'s object controls
    (`getPodStatusForController`; a Pending pod counts as Waiting)."""
    counts = {"Running": 0, "Pending": 0, "Succeeded": 0, "Failed": 0}
    for p in pods:
        refs = (p.get("metadata") or {}).get("ownerReferences") or []
        if any(r.get("controller") and r.get("uid") == owner_meta.get("uid") for r in refs):
            phase = (p.get("status") or {}).get("phase", "")
            if phase in counts:
                counts[phase] += 1
    return (
        f"Pods Status:\t{counts['Running']} Running / {counts['Pending']} Waiting / "
        f"{counts['Succeeded']} Succeeded / {counts['Failed']} Failed\n"
    )


def describe_replicaset(rs: Obj, pods: list[Obj], events: list[Obj] | None, now: datetime | None) -> str:
    from .describe import _controller, _events, _multiline

    meta, spec, st = rs.get("metadata") or {}, rs.get("spec") or {}, rs.get("status") or {}
    out = f"Name:\t{meta.get('name')}\nNamespace:\t{meta.get('namespace')}\n"
    out += f"Selector:\t{selector_text(spec.get('selector'))}\n"
    out += _multiline("Labels", meta.get("labels"))
    out += _multiline("Annotations", meta.get("annotations"), ": ")
    if _controller(meta):
        out += f"Controlled By:\t{_controller(meta)}\n"
    out += f"Replicas:\t{st.get('replicas', 0)} current / {spec.get('replicas', 1)} desired\n"
    out += pods_status(meta, pods)
    out += pod_template(spec.get("template") or {})
    if st.get("conditions"):
        out += "Conditions:\n  Type\tStatus\tReason\n  ----\t------\t------\n"
        out += "".join(
            f"  {c.get('type')} \t{c.get('status')}\t{c.get('reason', '')}\n" for c in st["conditions"]
        )
    if events is not None:
        out += _events(events, now)
    return out


def describe_namespace(ns: Obj, quotas: list[Obj] | None, ranges: list[Obj] | None) -> str:
    """`quotas`/`ranges`: the namespace's ResourceQuotas and LimitRanges (None: not served)."""
    from .describe import _multiline
    from .describe_policy import namespace_limits, namespace_quotas

    meta = ns.get("metadata") or {}
    out = f"Name:\t{meta.get('name')}\n"
    out += _multiline("Labels", meta.get("labels"))
    out += _multiline("Annotations", meta.get("annotations"), ": ")
    out += f"Status:\t{(ns.get('status') or {}).get('phase', '')}\n"
    return out + namespace_quotas(quotas) + namespace_limits(ranges)
