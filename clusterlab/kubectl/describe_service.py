"""`kubectl describe service` (kubectl 1.32's `ServiceDescriber`).

kubectl lists the Service's EndpointSlices (`labelSelector=kubernetes.io/service-name=<name>`)
and prints Selector, Type, IP Family Policy, IP Families, IP, IPs, then per port `Port:`
(name or `<unset>`, `port/protocol`), `TargetPort:`, `NodePort:` when allocated and
`Endpoints:` — the ready endpoints' `ip:port` for slice ports of that name, at most three then
`+ N more...` (`formatEndpointSlices`) — then Session Affinity, the traffic policies and the
Events.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

Obj = dict[str, Any]


def _join_host_port(ip: str, port: Any) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def format_endpoint_slices(slices: list[Obj], port_name: str | None) -> str:
    """`formatEndpointSlices` for one Service port name (None: every port)."""
    if not slices:
        return "<none>"
    listed: list[str] = []
    limit, more, count = 3, False, 0

    def add(address: str) -> None:
        nonlocal more, count
        if len(listed) == limit:
            more = True
        if not more:
            listed.append(address)
        count += 1

    for s in slices:
        endpoints = s.get("endpoints") or []
        ports = s.get("ports") or []
        ready = [e for e in endpoints if (e.get("conditions") or {}).get("ready", True) is not False]
        if not ports:
            for e in ready:
                add((e.get("addresses") or [""])[0])
            continue
        for p in ports:
            if port_name is None or (p.get("name") or "") == port_name:
                for e in ready:
                    add(_join_host_port((e.get("addresses") or [""])[0], p.get("port")))
    text = ",".join(listed)
    return f"{text} + {count - limit} more..." if more else text


def describe_service(svc: Obj, slices: list[Obj], events: list[Obj] | None, now: datetime | None) -> str:
    from .describe import _events, _multiline

    meta, spec = svc.get("metadata") or {}, svc.get("spec") or {}
    status = svc.get("status") or {}
    selector = spec.get("selector") or {}
    out = f"Name:\t{meta.get('name')}\nNamespace:\t{meta.get('namespace')}\n"
    out += _multiline("Labels", meta.get("labels"))
    out += _multiline("Annotations", meta.get("annotations"), ": ")
    sel_text = ",".join(f"{k}={selector[k]}" for k in sorted(selector)) or "<none>"
    out += f"Selector:\t{sel_text}\nType:\t{spec.get('type', '')}\n"
    if spec.get("ipFamilyPolicy"):
        out += f"IP Family Policy:\t{spec['ipFamilyPolicy']}\n"
    out += f"IP Families:\t{','.join(spec.get('ipFamilies') or []) or '<none>'}\n"
    out += f"IP:\t{spec.get('clusterIP', '')}\n"
    out += f"IPs:\t{','.join(spec.get('clusterIPs') or []) or '<none>'}\n"
    if spec.get("externalIPs"):
        out += f"External IPs:\t{','.join(spec['externalIPs'])}\n"
    if spec.get("loadBalancerIP"):
        out += f"Desired LoadBalancer IP:\t{spec['loadBalancerIP']}\n"
    if spec.get("externalName"):
        out += f"External Name:\t{spec['externalName']}\n"
    ingress = (status.get("loadBalancer") or {}).get("ingress") or []
    if ingress:
        shown = []
        for i in ingress:
            if i.get("ip"):
                shown.append(i["ip"] + (f" ({i['ipMode']})" if i.get("ipMode") else ""))
            else:
                shown.append(i.get("hostname", ""))
        out += f"LoadBalancer Ingress:\t{', '.join(shown)}\n"
    for p in spec.get("ports") or []:
        name = p.get("name") or "<unset>"
        proto = p.get("protocol", "TCP")
        out += f"Port:\t{name}\t{p.get('port')}/{proto}\n"
        out += f"TargetPort:\t{p.get('targetPort')}/{proto}\n"
        if p.get("appProtocol"):
            out += f"AppProtocol:\t{p['appProtocol']}\n"
        if p.get("nodePort"):
            out += f"NodePort:\t{name}\t{p['nodePort']}/{proto}\n"
        out += f"Endpoints:\t{format_endpoint_slices(slices, p.get('name') or '')}\n"
    out += f"Session Affinity:\t{spec.get('sessionAffinity', '')}\n"
    if spec.get("externalTrafficPolicy"):
        out += f"External Traffic Policy:\t{spec['externalTrafficPolicy']}\n"
    if spec.get("internalTrafficPolicy"):
        out += f"Internal Traffic Policy:\t{spec['internalTrafficPolicy']}\n"
    if spec.get("healthCheckNodePort"):
        out += f"HealthCheck NodePort:\t{spec['healthCheckNodePort']}\n"
    if spec.get("loadBalancerSourceRanges"):
        out += f"LoadBalancer Source Ranges:\t{','.join(spec['loadBalancerSourceRanges'])}\n"
    if spec.get("trafficDistribution"):
        out += f"Traffic Distribution:\t{spec['trafficDistribution']}\n"
    if events is not None:
        out += _events(events, now)
    return out
