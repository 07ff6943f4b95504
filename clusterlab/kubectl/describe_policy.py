"""`kubectl describe` for ResourceQuota, LimitRange and PriorityClass, and the quota and limit
sections of `describe namespace`, as kubectl 1.32's describers write them.

- quota: `Name`, `Namespace`, `Scopes` (sorted, each known scope's help text under it), then a
  `Resource Used Hard` table of every `status.hard` resource, sorted; no labels, no events;
- limits: `Name`, `Namespace`, then one row per limit item and resource: `Type Resource Min Max
  Default Request Default Limit Max Limit/Request Ratio`, `-` where unset; no events;
- priorityclass: `Name`, `Value`, `GlobalDefault`, `PreemptionPolicy`, `Description`,
  `Annotations` (as `k=v,k=v`), and its Events.

Simplified: kubectl walks a limit item's resources in Go map order, which varies from run to
run; the console lists them by name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from clusterlab.engine.quantity import QuantityError
from clusterlab.engine.quantity_format import canonical_text

Obj = dict[str, Any]

SCOPE_HELP = {
    "Terminating": (
        "Matches all pods that have an active deadline. These pods have a limited lifespan on a "
        "node before being actively terminated by the system."
    ),
    "NotTerminating": (
        "Matches all pods that do not have an active deadline. These pods usually include long "
        "running pods whose container command is not expected to terminate."
    ),
    "BestEffort": (
        "Matches all pods that do not have resource requirements set. These pods have a best "
        "effort quality of service."
    ),
    "NotBestEffort": (
        "Matches all pods that have at least one resource requirement set. These pods have a "
        "burstable or guaranteed quality of service."
    ),
}
LIMIT_HEADER = "Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio\n"
LIMIT_RULE = "----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n"


def _q(value: Any) -> str:
    """`Quantity.String()`; a missing quantity is the zero quantity, `0`."""
    if value is None:
        return "0"
    try:
        return canonical_text(value)
    except (QuantityError, TypeError):
        return str(value)


def _scopes(rq: Obj, indent: str, help_indent: str) -> str:
    scopes = sorted((rq.get("spec") or {}).get("scopes") or [])
    if not scopes:
        return ""
    out = f"{indent}Scopes:\t{', '.join(scopes)}\n"
    for s in scopes:
        if s in SCOPE_HELP:
            out += f"{help_indent}* {SCOPE_HELP[s]}\n"
    return out


def _usage_rows(rq: Obj, indent: str) -> str:
    status = rq.get("status") or {}
    hard, used = status.get("hard") or {}, status.get("used") or {}
    return "".join(f"{indent}{name}\t{_q(used.get(name))}\t{_q(hard[name])}\n" for name in sorted(hard))


def describe_quota(rq: Obj) -> str:
    meta = rq.get("metadata") or {}
    out = f"Name:\t{meta.get('name', '')}\nNamespace:\t{meta.get('namespace', '')}\n"
    out += _scopes(rq, "", " ")
    out += "Resource\tUsed\tHard\n--------\t----\t----\n"
    return out + _usage_rows(rq, "")


def _limit_rows(lr: Obj, prefix: str) -> str:
    out = ""
    for item in (lr.get("spec") or {}).get("limits") or []:
        fields = ("min", "max", "defaultRequest", "default", "maxLimitRequestRatio")
        names: set[str] = set()
        for f in fields:
            names.update((item.get(f) or {}).keys())
        for name in sorted(names):
            cells = [_q((item.get(f) or {})[name]) if name in (item.get(f) or {}) else "-" for f in fields]
            out += f"{prefix}{item.get('type', '')}\t{name}\t" + "\t".join(cells) + "\n"
    return out


def describe_limit_range(lr: Obj) -> str:
    meta = lr.get("metadata") or {}
    out = f"Name:\t{meta.get('name', '')}\nNamespace:\t{meta.get('namespace', '')}\n"
    return out + LIMIT_HEADER + LIMIT_RULE + _limit_rows(lr, "")


def describe_priority_class(pc: Obj, events: list[Obj] | None, now: datetime | None) -> str:
    from .describe import _events

    meta = pc.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    out = f"Name:\t{meta.get('name', '')}\n"
    out += f"Value:\t{pc.get('value', 0)}\n"
    out += f"GlobalDefault:\t{'true' if pc.get('globalDefault') else 'false'}\n"
    out += f"PreemptionPolicy:\t{pc.get('preemptionPolicy', '')}\n"
    out += f"Description:\t{pc.get('description', '')}\n"
    text = ",".join(f"{k}={annotations[k]}" for k in sorted(annotations)) or "<none>"
    out += f"Annotations:\t{text}\n"
    if events is not None:
        out += _events(events, now)
    return out


def namespace_quotas(quotas: list[Obj] | None) -> str:
    """`DescribeResourceQuotas` (None: the server does not serve quotas)."""
    if quotas is None:
        return ""
    if not quotas:
        return "\nNo resource quota.\n"
    out = "\nResource Quotas\n"
    for rq in sorted(quotas, key=lambda q: (q.get("metadata") or {}).get("name", "")):
        out += f"  Name:\t{(rq.get('metadata') or {}).get('name', '')}\n"
        out += _scopes(rq, "  ", "  ")
        out += "  Resource\tUsed\tHard\n  --------\t---\t---\n"
        out += _usage_rows(rq, "  ")
    return out


def namespace_limits(ranges: list[Obj] | None) -> str:
    """`DescribeLimitRanges` (None: the server does not serve limit ranges)."""
    if ranges is None:
        return ""
    if not ranges:
        return "\nNo LimitRange resource.\n"
    out = "\nResource Limits\n " + LIMIT_HEADER + " " + LIMIT_RULE
    return out + "".join(_limit_rows(lr, " ") for lr in ranges)
