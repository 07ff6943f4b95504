"""`kubectl describe endpoints` and `kubectl describe endpointslice` (kubectl's
`EndpointsDescriber` and `EndpointSliceDescriber`).

Endpoints: per subset its ready `Addresses:` and `NotReadyAddresses:` (comma-joined IPs or
`<none>`) and a `Name Port Protocol` table of its ports, then a blank line. EndpointSlice:
AddressType, a `Name Port Protocol` table (`Ports: <unset>` without ports), and per endpoint
`- Addresses:` with its Conditions (`Ready:`), Hostname, TargetRef, NodeName and Zone (each
`<unset>` when absent; `Endpoints: <none>` without endpoints).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

Obj = dict[str, Any]


def describe_endpoints(ep: Obj, events: list[Obj] | None, now: datetime | None) -> str:
    from .describe import _events, _multiline

    meta = ep.get("metadata") or {}
    out = f"Name:\t{meta.get('name')}\nNamespace:\t{meta.get('namespace')}\n"
    out += _multiline("Labels", meta.get("labels"))
    out += _multiline("Annotations", meta.get("annotations"), ": ")
    out += "Subsets:\n"
    for subset in ep.get("subsets") or []:
        ready = ",".join(a.get("ip", "") for a in subset.get("addresses") or []) or "<none>"
        not_ready = ",".join(a.get("ip", "") for a in subset.get("notReadyAddresses") or []) or "<none>"
        out += f"  Addresses:\t{ready}\n  NotReadyAddresses:\t{not_ready}\n"
        ports = subset.get("ports") or []
        if ports:
            out += "  Ports:\n    Name\tPort\tProtocol\n    ----\t----\t--------\n"
            for p in ports:
                out += f"    {p.get('name') or '<unset>'}\t{p.get('port')}\t{p.get('protocol', '')}\n"
        out += "\n"
    if events is not None:
        out += _events(events, now)
    return out


def _bool(value: Any) -> str:
    return "<unset>" if value is None else ("true" if value else "false")


def describe_endpoint_slice(eps: Obj, events: list[Obj] | None, now: datetime | None) -> str:
    from .describe import _events, _multiline

    meta = eps.get("metadata") or {}
    out = f"Name:\t{meta.get('name')}\nNamespace:\t{meta.get('namespace')}\n"
    out += _multiline("Labels", meta.get("labels"))
    out += _multiline("Annotations", meta.get("annotations"), ": ")
    out += f"AddressType:\t{eps.get('addressType', '')}\n"
    ports = eps.get("ports") or []
    if not ports:
        out += "Ports: <unset>\n"
    else:
        out += "Ports:\n  Name\tPort\tProtocol\n  ----\t----\t--------\n"
        for p in ports:
            number = "<unset>" if p.get("port") is None else str(p["port"])
            out += f"  {p.get('name') or '<unset>'}\t{number}\t{p.get('protocol', '')}\n"
    endpoints = eps.get("endpoints") or []
    if not endpoints:
        out += "Endpoints: <none>\n"
    else:
        out += "Endpoints:\n"
        for e in endpoints:
            out += f"  - Addresses:\t{', '.join(e.get('addresses') or []) or '<none>'}\n"
            out += "    Conditions:\n"
            out += f"      Ready:\t{_bool((e.get('conditions') or {}).get('ready'))}\n"
            out += f"    Hostname:\t{e.get('hostname') or '<unset>'}\n"
            ref = e.get("targetRef")
            if ref:
                out += f"    TargetRef:\t{ref.get('kind', '')}/{ref.get('name', '')}\n"
            out += f"    NodeName:\t{e.get('nodeName') or '<unset>'}\n"
            out += f"    Zone:\t{e.get('zone') or '<unset>'}\n"
    if events is not None:
        out += _events(events, now)
    return out
