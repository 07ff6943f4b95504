"""`kubectl describe networkpolicy`, as kubectl 1.32's `describeNetworkPolicy` writes it.

`Name`, `Namespace`, `Created on` (Go's `time.Time` text: `2026-01-01 09:00:00 +0000 UTC`),
`Labels`, `Annotations`, then `Spec:` with the `PodSelector` (`<none> (Allowing the specific
traffic to all pods in this namespace)` for the empty one), and for each direction either
`Allowing ingress traffic:` / `Allowing egress traffic:` with its rules — each rule's ports
(`To Port: 80/TCP`, `To Port Range: 32000-32768/TCP`, or `To Port: <any> (traffic allowed to
all ports)`) then its peers (`From:`/`To:` with `PodSelector`, `NamespaceSelector` or
`IPBlock` `CIDR`/`Except`, or `<any> (traffic not restricted by source)`), rules separated by
`----------`; `<none> (Selected pods are isolated for ingress connectivity)` when the
direction has no rules — or `Not affecting ingress traffic` / `Not affecting egress traffic`
when `policyTypes` leaves it out; last `Policy Types: Ingress, Egress`. kubectl's describer
for NetworkPolicies shows no Events (and asks for none).
"""

from __future__ import annotations

from typing import Any

from clusterlab.engine.network_policy_tables import format_label_selector

from .printers.ages import parse_time

Obj = dict[str, Any]
INDENT = "    "  # the rules' initial indent: `printNetworkPolicySpecIngressFrom(..., "    ", w)`


def _created_on(timestamp: str | None) -> str:
    """`metav1.Time` printed with `%s`: Go's `time.Time.String()` (kubectl's zone: UTC here)."""
    t = parse_time(timestamp)
    return t.strftime("%Y-%m-%d %H:%M:%S +0000 UTC") if t else "0001-01-01 00:00:00 +0000 UTC"


def _ports(rule: Obj, initial: str) -> str:
    ports = rule.get("ports") or []
    if not ports:
        return f"{initial}To Port: <any> (traffic allowed to all ports)\n"
    out = ""
    for port in ports:
        proto = port.get("protocol") or "TCP"
        number = port.get("port")
        text = "<nil>" if number is None else str(number)  # Go's %s of a nil *IntOrString
        if port.get("endPort") is None:
            out += f"{initial}To Port: {text}/{proto}\n"
        else:
            out += f"{initial}To Port Range: {text}-{port['endPort']}/{proto}\n"
    return out


def _peers(peers: list[Obj], title: str, initial: str) -> str:
    out = ""
    inner = "  " + initial  # LEVEL_1 plus the initial indent
    for peer in peers:
        out += f"{initial}{title}:\n"
        pods, namespaces, block = peer.get("podSelector"), peer.get("namespaceSelector"), peer.get("ipBlock")
        if pods is not None and namespaces is not None:
            out += f"{inner}NamespaceSelector: {format_label_selector(namespaces)}\n"
            out += f"{inner}PodSelector: {format_label_selector(pods)}\n"
        elif pods is not None:
            out += f"{inner}PodSelector: {format_label_selector(pods)}\n"
        elif namespaces is not None:
            out += f"{inner}NamespaceSelector: {format_label_selector(namespaces)}\n"
        elif block is not None:
            out += f"{inner}IPBlock:\n"
            out += f"  {inner}CIDR: {block.get('cidr', '')}\n"
            out += f"  {inner}Except: {', '.join(block.get('except') or [])}\n"
    return out


def _rules(rules: list[Obj], direction: str) -> str:
    if not rules:
        return f"{INDENT}<none> (Selected pods are isolated for {direction} connectivity)\n"
    peers_key, title, unrestricted = (
        ("from", "From", "From: <any> (traffic not restricted by source)")
        if direction == "ingress"
        else ("to", "To", "To: <any> (traffic not restricted by destination)")
    )
    out = ""
    for i, rule in enumerate(rules):
        out += _ports(rule, INDENT)
        peers = rule.get(peers_key) or []
        out += _peers(peers, title, INDENT) if peers else f"{INDENT}{unrestricted}\n"
        if i != len(rules) - 1:
            out += f"{INDENT}----------\n"
    return out


def describe_network_policy(policy: Obj) -> str:
    from .describe import _multiline

    meta, spec = policy.get("metadata") or {}, policy.get("spec") or {}
    out = f"Name:\t{meta.get('name', '')}\nNamespace:\t{meta.get('namespace', '')}\n"
    out += f"Created on:\t{_created_on(meta.get('creationTimestamp'))}\n"
    out += _multiline("Labels", meta.get("labels"))
    out += _multiline("Annotations", meta.get("annotations"), ": ")
    out += "Spec:\n  PodSelector: "
    selector = spec.get("podSelector") or {}
    if not selector.get("matchLabels") and not selector.get("matchExpressions"):
        out += "    <none> (Allowing the specific traffic to all pods in this namespace)\n"
    else:
        out += f"    {format_label_selector(selector)}\n"
    types = [str(t) for t in spec.get("policyTypes") or []]
    for direction, title in (("ingress", "Ingress"), ("egress", "Egress")):
        if title in types:
            out += f"  Allowing {direction} traffic:\n" + _rules(spec.get(direction) or [], direction)
        else:
            out += f"  Not affecting {direction} traffic\n"
    out += f"  Policy Types: {', '.join(types) or '<none>'}\n"
    return out
