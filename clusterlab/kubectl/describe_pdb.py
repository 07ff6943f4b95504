"""`kubectl describe poddisruptionbudget`, as kubectl 1.32's `describePodDisruptionBudgetV1`
writes it: `Name`, `Namespace`, `Min available` or `Max unavailable` (whichever the budget
sets), `Selector` (`<unset>` for none), then `Status:` with `Allowed disruptions`, `Current`,
`Desired` and `Total` (the status' disruptionsAllowed, currentHealthy, desiredHealthy and
expectedPods), and the Events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from clusterlab.engine.selectors import format_selector

Obj = dict[str, Any]


def _format_selector(selector: Obj) -> str:
    """`metav1.FormatLabelSelector`: the selector's requirements as `labels.Selector` prints
    them, sorted by key, each `in`/`notin` value set sorted (`<none>` when empty)."""
    exprs = []
    for e in selector.get("matchExpressions") or []:
        exprs.append({**e, "values": sorted(e.get("values") or [])})
    parts: list[tuple[str, str]] = [
        (k, format_selector({"matchLabels": {k: v}})) for k, v in (selector.get("matchLabels") or {}).items()
    ]
    parts += [(e.get("key", ""), format_selector({"matchExpressions": [e]})) for e in exprs]
    text = ",".join(p for _, p in sorted(parts, key=lambda kp: kp[0]))
    return text or "<none>"


def describe_pdb(pdb: Obj, events: list[Obj] | None, now: datetime | None) -> str:
    from .describe import _events

    meta, spec, status = pdb.get("metadata") or {}, pdb.get("spec") or {}, pdb.get("status") or {}
    out = f"Name:\t{meta.get('name', '')}\nNamespace:\t{meta.get('namespace', '')}\n"
    if spec.get("minAvailable") is not None:
        out += f"Min available:\t{spec['minAvailable']}\n"
    elif spec.get("maxUnavailable") is not None:
        out += f"Max unavailable:\t{spec['maxUnavailable']}\n"
    selector = spec.get("selector")
    if selector is not None:
        out += f"Selector:\t{_format_selector(selector)}\n"
    else:
        out += "Selector:\t<unset>\n"
    out += "Status:\n"
    out += f"    Allowed disruptions:\t{int(status.get('disruptionsAllowed', 0))}\n"
    out += f"    Current:\t{int(status.get('currentHealthy', 0))}\n"
    out += f"    Desired:\t{int(status.get('desiredHealthy', 0))}\n"
    out += f"    Total:\t{int(status.get('expectedPods', 0))}\n"
    if events is not None:
        out += _events(events, now)
    return out
