"""Table columns and cells for Services, Endpoints and EndpointSlices (`kubectl get svc`, `ep`,
`endpointslices`), as kube-apiserver's `printService`, `printEndpoints` and
`printEndpointSlice` in `pkg/printers/internalversion/printers.go` compute them.

- Service: NAME, TYPE, CLUSTER-IP (the first of `clusterIPs`, `None` when headless),
  EXTERNAL-IP (`<none>` for ClusterIP and NodePort without `externalIPs`; a LoadBalancer's
  ingress addresses or `<pending>`; an ExternalName's name), PORT(S) (`80/TCP`, `80:30080/TCP`
  with a node port, `<none>` without ports), AGE, and SELECTOR in the wide form.
- Endpoints: NAME, ENDPOINTS (`ip:port` for each ready address and port, at most three, then
  `+ N more...`; `<none>` without subsets), AGE.
- EndpointSlice: NAME, ADDRESSTYPE, PORTS (port numbers, `*` for a port without one),
  ENDPOINTS (addresses), AGE — lists of at most three, then `+ N more...`, `<unset>` if empty.

Column descriptions are the API documentation strings, shortened to their first sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .table_columns import Since, column

Obj = dict[str, Any]


def columns(name_col: Obj, age_col: Obj) -> dict[str, list[Obj]]:
    return {
        "Service": [
            name_col,
            column("Type", "type determines how the Service is exposed."),
            column(
                "Cluster-IP", "clusterIP is the IP address of the service and is usually assigned randomly."
            ),
            column(
                "External-IP",
                "externalIPs is a list of IP addresses for which nodes in the cluster will also accept "
                "traffic for this service.",
            ),
            column("Port(s)", "The list of ports that are exposed by this service."),
            age_col,
            column(
                "Selector",
                "Route service traffic to pods with label keys and values matching this selector.",
                priority=1,
            ),
        ],
        "Endpoints": [
            name_col,
            column("Endpoints", "The set of all endpoints is the union of all subsets."),
            age_col,
        ],
        "EndpointSlice": [
            name_col,
            column("AddressType", "addressType specifies the type of address carried by this EndpointSlice."),
            column(
                "Ports", "ports specifies the list of network ports exposed by each endpoint in this slice."
            ),
            column("Endpoints", "endpoints is a list of unique endpoints in this slice."),
            age_col,
        ],
    }


def format_labels(selector: dict[str, str] | None) -> str:
    """`labels.FormatLabels`: `k=v` pairs sorted by key, `<none>` when empty."""
    if not selector:
        return "<none>"
    return ",".join(f"{k}={selector[k]}" for k in sorted(selector))


def port_string(ports: list[Obj] | None) -> str:
    """`makePortString`."""
    pieces = []
    for p in ports or []:
        proto = p.get("protocol", "TCP")
        if p.get("nodePort"):
            pieces.append(f"{p.get('port')}:{p['nodePort']}/{proto}")
        else:
            pieces.append(f"{p.get('port')}/{proto}")
    return ",".join(pieces)


def external_ip(svc: Obj) -> str:
    """`getServiceExternalIP` (the wide form, which the server always prints)."""
    spec = svc.get("spec") or {}
    stype = spec.get("type")
    external = spec.get("externalIPs") or []
    if stype in ("ClusterIP", "NodePort"):
        return ",".join(external) if external else "<none>"
    if stype == "LoadBalancer":
        ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        lb = [i.get("ip") or i.get("hostname") or "" for i in ingress]
        if external:
            return ",".join([*lb, *external])
        return ",".join(lb) if lb else "<pending>"
    if stype == "ExternalName":
        return str(spec.get("externalName") or "")
    return "<unknown>"


def _service(svc: Obj, t: Since) -> list[Any]:
    spec = svc.get("spec") or {}
    ips = spec.get("clusterIPs") or []
    return [
        svc["metadata"]["name"],
        spec.get("type", ""),
        ips[0] if ips else "<none>",
        external_ip(svc),
        port_string(spec.get("ports")) or "<none>",
        t.since(svc["metadata"].get("creationTimestamp")),
        format_labels(spec.get("selector")),
    ]


def _join_host_port(ip: str, port: Any) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def format_endpoints(ep: Obj, port_names: set[str] | None = None) -> str:
    """`formatEndpoints`: ready addresses with each port (or bare, without ports)."""
    subsets = ep.get("subsets") or []
    if not subsets:
        return "<none>"
    listed: list[str] = []
    limit, more, count = 3, False, 0
    for ss in subsets:
        addresses = ss.get("addresses") or []
        ports = ss.get("ports") or []
        if not ports:
            count += len(addresses)
            for a in addresses:
                if len(listed) == limit:
                    more = True
                    break
                listed.append(a.get("ip", ""))
            continue
        for p in ports:
            if port_names is None or p.get("name", "") in port_names:
                count += len(addresses)
                for a in addresses:
                    if len(listed) == limit:
                        more = True
                        break
                    listed.append(_join_host_port(a.get("ip", ""), p.get("port")))
    text = ",".join(listed)
    return f"{text} + {count - limit} more..." if more else text


def _list_with_more(items: list[str], count: int, limit: int = 3) -> str:
    text = ",".join(items[:limit])
    if count > limit:
        return f"{text} + {count - limit} more..."
    return text or "<unset>"


def _endpoints(ep: Obj, t: Since) -> list[Any]:
    return [ep["metadata"]["name"], format_endpoints(ep), t.since(ep["metadata"].get("creationTimestamp"))]


def _endpoint_slice(eps: Obj, t: Since) -> list[Any]:
    ports = []
    for p in eps.get("ports") or []:
        ports.append(
            str(p["port"])
            if p.get("port") is not None
            else (p.get("name") if p.get("name") is not None else "*")
        )
    addresses = [a for e in eps.get("endpoints") or [] for a in e.get("addresses") or []]
    return [
        eps["metadata"]["name"],
        eps.get("addressType", ""),
        _list_with_more(ports, len(ports)),
        _list_with_more(addresses, len(addresses)),
        t.since(eps["metadata"].get("creationTimestamp")),
    ]


PRINTERS: dict[str, Callable[[Obj, Any], list[Any]]] = {
    "Service": _service,
    "Endpoints": _endpoints,
    "EndpointSlice": _endpoint_slice,
}
