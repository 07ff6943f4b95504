"""`kubectl describe horizontalpodautoscaler`, as kubectl 1.32's
`describeHorizontalPodAutoscalerV2` writes it: Name, Namespace, Labels, Annotations,
CreationTimestamp, `Reference: Deployment/php-apache`, then `Metrics: ( current / target )`
with one line per metric (`resource cpu on pods  (as a percentage of request):  250% (500m) /
50%`, `<unknown>` until measured), Min and Max replicas, the Behavior when the spec has one,
`Deployment pods: 1 current / 4 desired`, the Conditions table and the Events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

Obj = dict[str, Any]


def _current(status: list[Obj], i: int, key: str) -> Obj | None:
    if i < len(status) and isinstance(status[i], dict) and isinstance(status[i].get(key), dict):
        return status[i][key]
    return None


def _metric_lines(hpa: Obj) -> str:
    spec_metrics = (hpa.get("spec") or {}).get("metrics") or []
    current = (hpa.get("status") or {}).get("currentMetrics") or []
    out = ""
    for i, metric in enumerate(spec_metrics):
        mtype = metric.get("type")
        if mtype in ("Resource", "ContainerResource"):
            key = "resource" if mtype == "Resource" else "containerResource"
            source = metric.get(key) or {}
            target = source.get("target") or {}
            seen = _current(current, i, key)
            head = f"  resource {source.get('name', '')} on pods"
            if mtype == "ContainerResource":
                container = source.get("container", "")
                head = f'  resource {source.get("name", "")} of container "{container}" on pods'
            if target.get("averageValue") is not None:
                value = ((seen or {}).get("current") or {}).get("averageValue") if seen else None
                out += f"{head}:\t{value if value is not None else '<unknown>'} / {target['averageValue']}\n"
                continue
            now = (seen or {}).get("current") or {}
            shown = "<unknown>"
            if seen is not None and now.get("averageUtilization") is not None:
                shown = f"{now['averageUtilization']}% ({now.get('averageValue', '0')})"
            wanted = (
                f"{target['averageUtilization']}%"
                if target.get("averageUtilization") is not None
                else "<auto>"
            )
            out += f"{head}  (as a percentage of request):\t{shown} / {wanted}\n"
        elif mtype in ("Pods", "Object", "External"):
            key = mtype.lower()
            source = metric.get(key) or {}
            name = (source.get("metric") or {}).get("name", "")
            target = source.get("target") or {}
            seen = ((_current(current, i, key) or {}).get("current")) or {}
            if mtype == "Pods":
                value = seen.get("averageValue")
                shown = value if value is not None else "<unknown>"
                out += f'  "{name}" on pods:\t{shown} / {target.get("averageValue")}\n'
            elif mtype == "Object":
                obj = source.get("describedObject") or {}
                wanted = (
                    target.get("value") if target.get("value") is not None else target.get("averageValue")
                )
                value = seen.get("value") if target.get("value") is not None else seen.get("averageValue")
                shown = value if value is not None else "<unknown>"
                avg = "" if target.get("value") is not None else " (avg)"
                out += (
                    f'  "{name}" on {obj.get("kind", "")}/{obj.get("name", "")}:\t{shown} / {wanted}{avg}\n'
                )
            else:
                wanted = (
                    target.get("value") if target.get("value") is not None else target.get("averageValue")
                )
                value = seen.get("value") if target.get("value") is not None else seen.get("averageValue")
                shown = value if value is not None else "<unknown>"
                avg = "" if target.get("value") is not None else " (avg)"
                out += f'  "{name}" (target {"value" if not avg else "average value"}):\t{shown} / {wanted}\n'
        else:
            out += f"  <unknown metric type {mtype!r}>\n"
    return out


def _direction(title: str, rules: Obj | None) -> str:
    """`printDirectionBehavior`."""
    if not rules:
        return ""
    out = f"  {title}:\n"
    if rules.get("stabilizationWindowSeconds") is not None:
        out += f"    Stabilization Window: {rules['stabilizationWindowSeconds']} seconds\n"
    if rules.get("policies"):
        out += f"    Select Policy: {rules.get('selectPolicy') or 'Max'}\n"
        out += "    Policies:\n"
        for p in rules["policies"]:
            out += f"      - Type: {p.get('type')}\tValue: {p.get('value')}\t"
            out += f"Period: {p.get('periodSeconds')} seconds\n"
    return out


def describe_hpa(hpa: Obj, events: list[Obj] | None, now: datetime | None) -> str:
    from .describe import _events, _multiline, rfc1123z

    meta, spec, status = hpa.get("metadata") or {}, hpa.get("spec") or {}, hpa.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    out = f"Name:\t{meta.get('name', '')}\nNamespace:\t{meta.get('namespace', '')}\n"
    out += _multiline("Labels", meta.get("labels"))
    out += _multiline("Annotations", meta.get("annotations"), sep=": ")
    out += f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'))}\n"
    out += f"Reference:\t{ref.get('kind', '')}/{ref.get('name', '')}\n"
    out += "Metrics:\t( current / target )\n"
    out += _metric_lines(hpa)
    min_replicas = spec.get("minReplicas")
    out += f"Min replicas:\t{'<unset>' if min_replicas is None else min_replicas}\n"
    out += f"Max replicas:\t{spec.get('maxReplicas', 0)}\n"
    behavior = spec.get("behavior")
    if behavior is not None:
        out += "Behavior:\n"
        out += _direction("Scale Up", behavior.get("scaleUp"))
        out += _direction("Scale Down", behavior.get("scaleDown"))
    out += f"{ref.get('kind', '')} pods:\t{int(status.get('currentReplicas', 0))} current / "
    out += f"{int(status.get('desiredReplicas', 0))} desired\n"
    conditions = status.get("conditions") or []
    if conditions:
        out += "Conditions:\n  Type\tStatus\tReason\tMessage\n  ----\t------\t------\t-------\n"
        for c in conditions:
            cells = (c.get("type", ""), c.get("status", ""), c.get("reason", ""), c.get("message", ""))
            out += "  " + "\t".join(str(v) for v in cells) + "\n"
    if events is not None:
        out += _events(events, now)
    return out
