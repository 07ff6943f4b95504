"""Services in kube-apiserver: defaulting, validation, and ClusterIP / NodePort allocation.

A Service's REST storage in kube-apiserver does more than store it:

- Defaulting (`core/v1` `SetDefaults_Service` and the storage's `initIPFamilyFields`): `type:
  ClusterIP`, `sessionAffinity: None`, each port's `protocol: TCP` and `targetPort` = `port`,
  `internalTrafficPolicy: Cluster`, `externalTrafficPolicy: Cluster` for NodePort and
  LoadBalancer, `allocateLoadBalancerNodePorts: true` for LoadBalancer, and on a single-stack
  IPv4 cluster `ipFamilies: [IPv4]` with `ipFamilyPolicy: SingleStack` (`RequireDualStack` for
  a headless Service without a selector, which asks for every family the cluster has).
- Allocation: a cluster IP from the service CIDR (`--service-cluster-ip-range`, kubeadm's
  default `10.96.0.0/12`) and a node port from `--service-node-port-range` (30000-32767) for
  NodePort and LoadBalancer ports. Both allocators are bitmaps that pick a random free slot,
  first in the upper part of the range, leaving the lower part (the first 256 IPs, the first
  86 ports) to Services that ask for a fixed value; a requested value is honoured or refused
  (`provided IP is already allocated`). `clusterIP: None` makes a headless Service.
- Validation the schema cannot express (ports required unless headless or ExternalName, port
  names required and unique when there are several, nodePort only for NodePort/LoadBalancer)
  and, on update, allocated values are carried over when the client left them out, and the
  cluster IP may not change once set.

Simplified: the allocators keep no bitmap of their own; what is allocated is read from the
stored Services at each allocation (the same answer, since only Services hold these values).
Single-stack IPv4 only. A LoadBalancer Service's external IP is not the API server's to give:
the lab cloud's service controller writes it to status (`controllers/service_lb.py`).
"""

from __future__ import annotations

import ipaddress
import random
import re
from collections.abc import Iterable
from typing import Any

from .errors import ApiError, invalid

Obj = dict[str, Any]
Causes = list[tuple[str, str]]

SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")
NODE_PORT_MIN, NODE_PORT_MAX = 30000, 32767
KUBERNETES_SERVICE_IP = "10.96.0.1"  # the first address: the `kubernetes` Service's
TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
PROTOCOLS = ("SCTP", "TCP", "UDP")
_NODE_PORT_TYPES = ("NodePort", "LoadBalancer")
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_IANA_SVC_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def _range_offset(size: int, step: int, low: int, high: int) -> int:
    """`calculateRangeOffset`: the size of the lower band kept for requested values."""
    return max(low, min(high, size // step))


# Usable cluster IPs: the CIDR less its network and broadcast addresses.
_IP_MAX = SERVICE_CIDR.num_addresses - 2
_IP_OFFSET = _range_offset(SERVICE_CIDR.num_addresses, 16, 16, 256)
_PORT_MAX = NODE_PORT_MAX - NODE_PORT_MIN + 1
_PORT_OFFSET = _range_offset(_PORT_MAX, 32, 16, 128)


def _random_scan(rng: random.Random, used: set[int], size: int, offset: int) -> int | None:
    """`randomScanStrategyWithOffset.AllocateBit`: from a random start in the upper band
    `[offset, size)`, the first free slot (wrapping); then the same in the lower band."""
    if len(used) >= size:
        return None
    upper = size - offset
    start = rng.randrange(upper)
    for i in range(upper):
        at = offset + (start + i) % upper
        if at not in used:
            return at
    start = rng.randrange(offset)
    for i in range(offset):
        at = (start + i) % offset
        if at not in used:
            return at
    return None


def _quote(value: Any) -> str:
    return '"' + str(value).replace('"', '\\"') + '"' if isinstance(value, str) else str(value)


def _go_strings(values: Iterable[Any]) -> str:
    return "[]string{" + ", ".join(_quote(str(v)) for v in values) + "}"


def is_headless(svc: Obj) -> bool:
    return (svc.get("spec") or {}).get("clusterIP") == "None"


# -- defaulting ------------------------------------------------------------------------------


def default_service(svc: Obj) -> None:
    """`SetDefaults_Service` plus the IP-family fields the storage fills before allocating."""
    spec = svc.setdefault("spec", {})
    for empty in ("ports", "selector", "externalIPs"):
        if spec.get(empty) in ([], {}):
            del spec[empty]  # an empty list or map is not stored (omitempty)
    stype = spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    if spec["sessionAffinity"] == "ClientIP":
        cfg = spec.setdefault("sessionAffinityConfig", {}).setdefault("clientIP", {})
        cfg.setdefault("timeoutSeconds", 10800)
    for port in spec.get("ports") or []:
        if not isinstance(port, dict):
            continue
        port.setdefault("protocol", "TCP")
        if port.get("targetPort") in (None, 0, ""):
            port["targetPort"] = port.get("port")
    if stype in _NODE_PORT_TYPES:
        spec.setdefault("externalTrafficPolicy", "Cluster")
    if stype == "LoadBalancer":
        spec.setdefault("allocateLoadBalancerNodePorts", True)
    if stype != "ExternalName":
        spec.setdefault("internalTrafficPolicy", "Cluster")
        if spec.get("clusterIP") and not spec.get("clusterIPs"):
            spec["clusterIPs"] = [spec["clusterIP"]]
        elif spec.get("clusterIPs") and not spec.get("clusterIP"):
            spec["clusterIP"] = spec["clusterIPs"][0]
        if spec.get("clusterIP") == "None" and not spec.get("selector"):
            spec.setdefault("ipFamilyPolicy", "RequireDualStack")
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("ipFamilies", ["IPv4"])
    svc.setdefault("status", {}).setdefault("loadBalancer", {})


# -- validation ------------------------------------------------------------------------------


def _port_causes(spec: Obj, stype: str) -> Causes:
    causes: Causes = []
    ports = spec.get("ports") or []
    names: set[str] = set()
    keys: set[tuple[Any, Any]] = set()
    for i, p in enumerate(ports):
        path = f"spec.ports[{i}]"
        name = p.get("name") or ""
        if len(ports) > 1 and not name:
            causes.append((f"{path}.name", "Required value"))
        elif name:
            if not _DNS1123_LABEL.match(name) or len(name) > 63:
                causes.append(
                    (
                        f"{path}.name",
                        f"Invalid value: {_quote(name)}: a lowercase RFC 1123 label must consist of lower "
                        "case alphanumeric characters or '-', and must start and end with an alphanumeric "
                        "character (e.g. 'my-name',  or '123-abc', regex used for validation is "
                        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
                    )
                )
            if name in names:
                causes.append((f"{path}.name", f"Duplicate value: {_quote(name)}"))
            names.add(name)
        port = p.get("port")
        if not isinstance(port, int) or not 1 <= port <= 65535:
            causes.append((f"{path}.port", f"Invalid value: {port}: must be between 1 and 65535, inclusive"))
        protocol = p.get("protocol")
        if protocol not in PROTOCOLS:
            causes.append(
                (
                    f"{path}.protocol",
                    f'Unsupported value: {_quote(protocol)}: supported values: "SCTP", "TCP", "UDP"',
                )
            )
        target = p.get("targetPort")
        if isinstance(target, int) and not 1 <= target <= 65535:
            causes.append(
                (f"{path}.targetPort", f"Invalid value: {target}: must be between 1 and 65535, inclusive")
            )
        elif isinstance(target, str) and (
            len(target) > 15 or not _IANA_SVC_NAME.match(target) or "--" in target or target.isdigit()
        ):
            causes.append(
                (
                    f"{path}.targetPort",
                    f"Invalid value: {_quote(target)}: must contain only alpha-numeric characters "
                    "(a-z, 0-9), and hyphens (-)",
                )
            )
        node_port = p.get("nodePort")
        if node_port and stype not in _NODE_PORT_TYPES:
            causes.append((f"{path}.nodePort", f"Forbidden: may not be used when `type` is '{stype}'"))
        key = (port, protocol)
        if key in keys and isinstance(port, int):
            causes.append((f"{path}", f"Duplicate value: {_go_service_port(port, protocol)}"))
        keys.add(key)
    return causes


def _go_service_port(port: int, protocol: Any) -> str:
    """How apimachinery prints the duplicated `core.ServicePort` key (port and protocol only)."""
    return (
        f'core.ServicePort{{Name:"", Protocol:"{protocol}", AppProtocol:(*string)(nil), Port:{port}, '
        'TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}'
    )


def service_causes(svc: Obj) -> Causes:
    """`ValidateService`: what the schema cannot say."""
    spec = svc.get("spec") or {}
    stype = spec.get("type")
    causes: Causes = []
    if stype not in TYPES:
        causes.append(
            (
                "spec.type",
                f'Unsupported value: {_quote(stype)}: supported values: "ClusterIP", "ExternalName", '
                '"LoadBalancer", "NodePort"',
            )
        )
    if not spec.get("ports") and stype != "ExternalName" and not is_headless(svc):
        causes.append(("spec.ports", "Required value"))
    if stype == "ExternalName" and not spec.get("externalName"):
        causes.append(("spec.externalName", "Required value"))
    if stype in _NODE_PORT_TYPES and is_headless(svc):
        causes.append(
            ("spec.clusterIPs[0]", f"Invalid value: \"None\": may not be set to 'None' for {stype} services")
        )
    affinity = spec.get("sessionAffinity")
    if affinity not in ("None", "ClientIP"):
        causes.append(
            (
                "spec.sessionAffinity",
                f'Unsupported value: {_quote(affinity)}: supported values: "ClientIP", "None"',
            )
        )
    etp = spec.get("externalTrafficPolicy")
    if etp and stype not in _NODE_PORT_TYPES:
        causes.append(
            (
                "spec.externalTrafficPolicy",
                f"Invalid value: {_quote(etp)}: may only be set when `type` is 'NodePort' or 'LoadBalancer'",
            )
        )
    elif etp not in (None, "Cluster", "Local"):
        causes.append(
            (
                "spec.externalTrafficPolicy",
                f'Unsupported value: {_quote(etp)}: supported values: "Cluster", "Local"',
            )
        )
    itp = spec.get("internalTrafficPolicy")
    if itp not in (None, "Cluster", "Local"):
        causes.append(
            (
                "spec.internalTrafficPolicy",
                f'Unsupported value: {_quote(itp)}: supported values: "Cluster", "Local"',
            )
        )
    ip = spec.get("clusterIP")
    if ip and ip != "None":
        try:
            ipaddress.IPv4Address(ip)
        except ValueError:
            causes.append(
                (
                    "spec.clusterIPs[0]",
                    f"Invalid value: {_quote(ip)}: must be a valid IP address, "
                    "(e.g. 10.9.8.7 or 2001:db8::ffff)",
                )
            )
    for key, value in (spec.get("selector") or {}).items():
        if not isinstance(value, str):
            causes.append(("spec.selector", f"Invalid value: {_quote(value)}: must be a string"))
        del key
    causes += _port_causes(spec, str(stype))
    return causes


def update_causes(old: Obj, new: Obj) -> Causes:
    """`ValidateServiceUpdate`: an assigned cluster IP may not change (headless stays headless)."""
    o, n = old.get("spec") or {}, new.get("spec") or {}
    if "ExternalName" in (o.get("type"), n.get("type")):
        return []
    if is_headless(old) and is_headless(new):
        return []
    old_ips, new_ips = o.get("clusterIPs") or [], n.get("clusterIPs") or []
    causes: Causes = []
    if len(old_ips) == len(new_ips):
        for i, ip in enumerate(old_ips):
            if ip != new_ips[i]:
                causes.append(
                    (
                        f"spec.clusterIPs[{i}]",
                        f"Invalid value: {_go_strings(new_ips)}: may not change once set",
                    )
                )
    elif not new_ips:
        causes.append(
            (
                "spec.clusterIPs[0]",
                f"Invalid value: {_go_strings(new_ips)}: primary clusterIP can not be unset",
            )
        )
    return causes


def carry_allocated(old: Obj, new: Obj) -> None:
    """What the storage does before validating an update (`patchAllocatedValues`,
    `dropTypeDependentFields`): a client that left out the cluster IP or a port's nodePort
    (as `kubectl apply` and `replace` do) keeps the allocated ones; a Service leaving the
    NodePort/LoadBalancer types loses the node ports and traffic policy it no longer uses."""
    o, n = old.get("spec") or {}, new.setdefault("spec", {})
    if n.get("type", "ClusterIP") != "ExternalName" and o.get("type") != "ExternalName":
        if not n.get("clusterIP") and not n.get("clusterIPs"):
            for f in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
                if f in o:
                    n[f] = o[f]
        elif (
            n.get("clusterIP")
            and n.get("clusterIPs") == o.get("clusterIPs")
            and n["clusterIP"] != o.get("clusterIP")
        ):
            n["clusterIPs"] = [n["clusterIP"], *n["clusterIPs"][1:]]
    new_type = n.get("type", "ClusterIP")
    if new_type == "ExternalName" and o.get("type") != "ExternalName":
        # An ExternalName Service has no cluster IP: what was allocated goes, if left as it was.
        for f in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy", "internalTrafficPolicy"):
            if f in n and n[f] == o.get(f):
                del n[f]
    if new_type in _NODE_PORT_TYPES and o.get("type") in _NODE_PORT_TYPES:
        by_key = {(p.get("port"), p.get("protocol", "TCP")): p.get("nodePort") for p in o.get("ports") or []}
        for p in n.get("ports") or []:
            if isinstance(p, dict) and not p.get("nodePort"):
                carried = by_key.get((p.get("port"), p.get("protocol", "TCP")))
                if carried:
                    p["nodePort"] = carried
        if (
            o.get("healthCheckNodePort")
            and not n.get("healthCheckNodePort")
            and n.get("externalTrafficPolicy") == "Local"
        ):
            n["healthCheckNodePort"] = o["healthCheckNodePort"]
    elif new_type not in _NODE_PORT_TYPES and o.get("type") in _NODE_PORT_TYPES:
        old_ports = [p.get("nodePort") for p in o.get("ports") or []]
        new_ports = [p.get("nodePort") for p in n.get("ports") or [] if isinstance(p, dict)]
        if new_ports == old_ports[: len(new_ports)]:
            for p in n.get("ports") or []:
                if isinstance(p, dict):
                    p.pop("nodePort", None)
        if n.get("externalTrafficPolicy") == o.get("externalTrafficPolicy"):
            n.pop("externalTrafficPolicy", None)
        if n.get("allocateLoadBalancerNodePorts") == o.get("allocateLoadBalancerNodePorts"):
            n.pop("allocateLoadBalancerNodePorts", None)
        n.pop("healthCheckNodePort", None)


# -- allocation ------------------------------------------------------------------------------


def _ip_index(ip: str) -> int | None:
    """Bitmap slot of an IP in the service CIDR (0 = the first usable address)."""
    try:
        addr = ipaddress.IPv4Address(ip)
    except ValueError:
        return None
    if addr not in SERVICE_CIDR:
        return None
    offset = int(addr) - int(SERVICE_CIDR.network_address) - 1
    return offset if 0 <= offset < _IP_MAX else None


def _used(services: Iterable[Obj], skip: Obj | None) -> tuple[set[int], set[int]]:
    ips: set[int] = set()
    ports: set[int] = set()
    skip_key = _key(skip) if skip is not None else None
    for s in services:
        if skip_key is not None and _key(s) == skip_key:
            continue
        spec = s.get("spec") or {}
        for ip in spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else []):
            idx = _ip_index(ip)
            if idx is not None:
                ips.add(idx)
        for p in spec.get("ports") or []:
            if p.get("nodePort"):
                ports.add(int(p["nodePort"]) - NODE_PORT_MIN)
        if spec.get("healthCheckNodePort"):
            ports.add(int(spec["healthCheckNodePort"]) - NODE_PORT_MIN)
    return ips, ports


def _key(svc: Obj) -> tuple[str, str]:
    meta = svc.get("metadata") or {}
    return (str(meta.get("namespace", "")), str(meta.get("name", "")))


def allocate(rng: random.Random, services: Iterable[Obj], svc: Obj, old: Obj | None = None) -> None:
    """Give `svc` its cluster IP and node ports, as the Service storage does on create (and on an
    update that newly needs them), reading what is taken from `services` (the stored ones).
    Raises 422 Invalid for a requested value that is taken or out of range."""
    spec = svc["spec"]
    name = str((svc.get("metadata") or {}).get("name", ""))
    used_ips, used_ports = _used(services, old)
    stype = spec.get("type")
    if stype != "ExternalName" and not is_headless(svc):
        had = (old or {}).get("spec", {}).get("clusterIP") if old else None
        requested = spec.get("clusterIP")
        if requested and requested == had:
            pass
        elif requested:
            idx = _ip_index(requested)
            if idx is None:
                why = (
                    f"the provided IP ({requested}) is not in the valid range. The range of valid IPs is "
                    f"{SERVICE_CIDR}"
                )
            elif idx in used_ips:
                why = "provided IP is already allocated"
            else:
                why = ""
            if why:
                ips = spec.get("clusterIPs") or [requested]
                raise invalid(
                    "Service",
                    "",
                    name,
                    [
                        (
                            "spec.clusterIPs",
                            f"Invalid value: {_go_strings(ips)}: failed to allocate IP {requested}: {why}",
                        )
                    ],
                )
        else:
            idx = _random_scan(rng, used_ips, _IP_MAX, _IP_OFFSET)
            if idx is None:
                raise ApiError("Internal error occurred: failed to allocate a serviceIP: range is full")
            ip = str(ipaddress.IPv4Address(int(SERVICE_CIDR.network_address) + 1 + idx))
            spec["clusterIP"] = ip
            spec["clusterIPs"] = [ip]
    if stype in _NODE_PORT_TYPES and not (
        stype == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is False
    ):
        for i, p in enumerate(spec.get("ports") or []):
            _allocate_port(rng, used_ports, p, "nodePort", f"spec.ports[{i}].nodePort", name)
        if stype == "LoadBalancer" and spec.get("externalTrafficPolicy") == "Local":
            _allocate_port(rng, used_ports, spec, "healthCheckNodePort", "spec.healthCheckNodePort", name)


def _allocate_port(rng: random.Random, used: set[int], holder: Obj, field: str, path: str, name: str) -> None:
    requested = holder.get(field)
    if requested:
        idx = int(requested) - NODE_PORT_MIN
        if not 0 <= idx < _PORT_MAX:
            why = (
                "provided port is not in the valid range. The range of valid ports is "
                f"{NODE_PORT_MIN}-{NODE_PORT_MAX}"
            )
        elif idx in used:
            why = "provided port is already allocated"
        else:
            used.add(idx)
            return
        raise invalid("Service", "", name, [(path, f"Invalid value: {requested}: {why}")])
    idx = _random_scan(rng, used, _PORT_MAX, _PORT_OFFSET)
    if idx is None:
        raise ApiError("Internal error occurred: failed to allocate a nodePort: range is full")
    used.add(idx)
    holder[field] = NODE_PORT_MIN + idx


# -- Endpoints and EndpointSlices ------------------------------------------------------------


def default_endpoint_ports(obj: Obj) -> None:
    """`SetDefaults_EndpointPort` (v1 and discovery/v1): a port's protocol is TCP; an
    EndpointSlice port's name is the empty string."""
    if obj.get("kind") == "EndpointSlice":
        for p in obj.get("ports") or []:
            if isinstance(p, dict):
                p.setdefault("protocol", "TCP")
                p.setdefault("name", "")
        return
    for subset in obj.get("subsets") or []:
        for p in (subset or {}).get("ports") or []:
            if isinstance(p, dict):
                p.setdefault("protocol", "TCP")


ADDRESS_TYPES = ("FQDN", "IPv4", "IPv6")


def endpoint_slice_causes(eps: Obj) -> Causes:
    """`ValidateEndpointSlice`, the parts a client can get wrong by hand."""
    causes: Causes = []
    address_type = eps.get("addressType")
    if not address_type:
        causes.append(("addressType", "Required value"))
    elif address_type not in ADDRESS_TYPES:
        causes.append(
            (
                "addressType",
                f'Unsupported value: {_quote(address_type)}: supported values: "FQDN", "IPv4", "IPv6"',
            )
        )
    for i, ep in enumerate(eps.get("endpoints") or []):
        addresses = (ep or {}).get("addresses") or []
        if not addresses:
            causes.append((f"endpoints[{i}].addresses", "Required value: must contain at least 1 address"))
        elif len(addresses) > 1:
            causes.append(
                (f"endpoints[{i}].addresses", f"Too many: {len(addresses)}: must have at most 1 items")
            )
        for j, address in enumerate(addresses):
            if address_type in ("IPv4", "IPv6"):
                try:
                    parsed = ipaddress.ip_address(address)
                except ValueError:
                    parsed = None
                if parsed is None or parsed.version != (4 if address_type == "IPv4" else 6):
                    causes.append(
                        (
                            f"endpoints[{i}].addresses[{j}]",
                            f"Invalid value: {_quote(address)}: must be a valid {address_type} address",
                        )
                    )
    return causes
