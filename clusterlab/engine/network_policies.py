"""NetworkPolicy (`networking.k8s.io/v1`) in kube-apiserver: its defaulting and validation.

The API server only stores policies; the CNI plugin enforces them (`network/policy.py`).
- Defaulting (`SetDefaults_NetworkPolicy`, `SetDefaults_NetworkPolicyPort`): a policy without
  `policyTypes` gets `[Ingress]`, plus `Egress` when it has egress rules; a port without a
  protocol gets `TCP`. `podSelector` is a required, non-pointer field: left out, it is stored
  as `{}` (every pod of the namespace).
- Validation (`ValidateNetworkPolicySpec`, Kubernetes 1.32): label selectors; ports (a
  protocol of TCP, UDP or SCTP; a port number in 1-65535 or a valid port name; `endPort` only
  after a numeric `port`, not below it); each peer exactly one of pod/namespace selectors
  (which may be combined) or an `ipBlock` (a valid CIDR whose `except` entries are strict
  subsets of it); at most two `policyTypes`, each `Ingress` or `Egress`.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from .label_selector_validation import label_selector_causes

Obj = dict[str, Any]
Causes = list[tuple[str, str]]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

PROTOCOLS = ("TCP", "UDP", "SCTP")
POLICY_TYPES = ("Ingress", "Egress")
PORT_RANGE = "must be between 1 and 65535, inclusive"
_PORT_NAME_CHARS = re.compile(r"^[-a-z0-9]+$")
_LETTER = re.compile(r"[a-z]")


# -- defaulting ------------------------------------------------------------------------------


def default_network_policy(policy: Obj) -> None:
    spec = policy.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    if spec.get("podSelector") is None:
        spec["podSelector"] = {}
    for direction in ("ingress", "egress"):
        for rule in spec.get(direction) or []:
            for port in (rule.get("ports") or []) if isinstance(rule, dict) else ():
                if isinstance(port, dict) and not port.get("protocol"):
                    port["protocol"] = "TCP"
    if not spec.get("policyTypes"):
        spec["policyTypes"] = ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]


# -- validation ------------------------------------------------------------------------------


def _quote(value: Any) -> str:
    return '"' + str(value).replace('"', '\\"') + '"' if isinstance(value, str) else str(value)


def port_name_errors(name: str) -> list[str]:
    """apimachinery's `IsValidPortName` (an IANA service name)."""
    errors = []
    if len(name) > 15:
        errors.append("must be no more than 15 characters")
    if not _PORT_NAME_CHARS.match(name):
        errors.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not _LETTER.search(name):
        errors.append("must contain at least one letter (a-z)")
    if "--" in name:
        errors.append("must not contain consecutive hyphens (-)")
    if name and (name[0] == "-" or name[-1] == "-"):
        errors.append("must not begin or end with a hyphen (-)")
    return errors


def _port_causes(port: Obj, path: str) -> Causes:
    """`ValidateNetworkPolicyPort`."""
    causes: Causes = []
    protocol = port.get("protocol")
    if protocol is not None and protocol not in PROTOCOLS:
        supported = ", ".join(f'"{p}"' for p in PROTOCOLS)
        causes.append(
            (f"{path}.protocol", f"Unsupported value: {_quote(protocol)}: supported values: {supported}")
        )
    number, end = port.get("port"), port.get("endPort")
    if number is not None:
        if isinstance(number, int):
            if not 1 <= number <= 65535:
                causes.append((f"{path}.port", f"Invalid value: {number}: {PORT_RANGE}"))
            if end is not None:
                if end < number:
                    causes.append(
                        (f"{path}.endPort", f"Invalid value: {end}: must be greater than or equal to `port`")
                    )
                if not 1 <= end <= 65535:
                    causes.append((f"{path}.endPort", f"Invalid value: {end}: {PORT_RANGE}"))
        else:
            if end is not None:
                causes.append(
                    (
                        f"{path}.endPort",
                        f"Invalid value: {end}: may not be specified when `port` is non-numeric",
                    )
                )
            text = str(number)
            causes += [
                (f"{path}.port", f"Invalid value: {_quote(text)}: {msg}") for msg in port_name_errors(text)
            ]
    elif end is not None:
        causes.append(
            (f"{path}.endPort", f"Invalid value: {end}: may not be specified when `port` is not specified")
        )
    return causes


def parse_cidr(text: str) -> Network | None:
    """`netutils.ParseCIDRSloppy`: `address/prefix` (IPv4 octets may have leading zeros; host
    bits may be set), as the network it names; None if it is not one."""
    if not isinstance(text, str) or text.count("/") != 1:
        return None
    address, prefix = text.split("/")
    if not prefix.isdigit() or len(prefix) > 3:
        return None
    if "." in address and ":" not in address:
        octets = address.split(".")
        if len(octets) != 4 or not all(o.isdigit() and len(o) <= 3 for o in octets):
            return None
        address = ".".join(str(int(o)) for o in octets)
    try:
        return ipaddress.ip_network(f"{address}/{int(prefix)}", strict=False)
    except ValueError:
        return None


def _ip_block_causes(block: Obj, path: str) -> Causes:
    """`ValidateIPBlock` (1.32)."""
    cidr = block.get("cidr") or ""
    if not cidr:
        return [(f"{path}.cidr", "Required value")]
    network = parse_cidr(cidr)
    if network is None:
        return [(f"{path}.cidr", f"Invalid value: {_quote(cidr)}: not a valid CIDR")]
    causes: Causes = []
    for i, text in enumerate(block.get("except") or []):
        epath = f"{path}.except[{i}]"
        excepted = parse_cidr(text)
        if excepted is None:
            causes.append((epath, f"Invalid value: {_quote(text)}: not a valid CIDR"))
            return causes
        inside = excepted.version == network.version and excepted.network_address in network
        if not inside or network.prefixlen >= excepted.prefixlen:
            causes.append((epath, f"Invalid value: {_quote(text)}: must be a strict subset of `cidr`"))
    return causes


def _peer_causes(peer: Obj, path: str) -> Causes:
    """`ValidateNetworkPolicyPeer`."""
    causes: Causes = []
    count = 0
    for key in ("podSelector", "namespaceSelector"):
        if peer.get(key) is not None:
            count += 1
            causes += label_selector_causes(peer[key], f"{path}.{key}")
    if peer.get("ipBlock") is not None:
        count += 1
        causes += _ip_block_causes(peer["ipBlock"], f"{path}.ipBlock")
    if count == 0:
        causes.append((path, "Required value: must specify a peer"))
    elif count > 1 and peer.get("ipBlock") is not None:
        causes.append((path, "Forbidden: may not specify both ipBlock and another peer"))
    return causes


def network_policy_causes(policy: Obj) -> Causes:
    """`ValidateNetworkPolicySpec` of a (defaulted) policy."""
    spec = policy.get("spec") if isinstance(policy.get("spec"), dict) else {}
    causes = label_selector_causes(spec.get("podSelector"), "spec.podSelector")
    for direction, peers in (("ingress", "from"), ("egress", "to")):
        for i, rule in enumerate(spec.get(direction) or []):
            rule = rule if isinstance(rule, dict) else {}
            rpath = f"spec.{direction}[{i}]"
            for j, port in enumerate(rule.get("ports") or []):
                causes += _port_causes(port if isinstance(port, dict) else {}, f"{rpath}.ports[{j}]")
            for j, peer in enumerate(rule.get(peers) or []):
                causes += _peer_causes(peer if isinstance(peer, dict) else {}, f"{rpath}.{peers}[{j}]")
    types = spec.get("policyTypes") or []
    if len(types) > len(POLICY_TYPES):
        listed = ", ".join(_quote(t) for t in types)
        causes.append(
            (
                "spec.policyTypes",
                f"Invalid value: []networking.PolicyType{{{listed}}}: "
                "may not specify more than two policyTypes",
            )
        )
        return causes
    for i, ptype in enumerate(types):
        if ptype not in POLICY_TYPES:
            causes.append(
                (
                    f"spec.policyTypes[{i}]",
                    f'Unsupported value: {_quote(ptype)}: supported values: "Ingress", "Egress"',
                )
            )
    return causes
