"""The rules kube-proxy's iptables proxier writes, from Services and EndpointSlices.

`build_tables` turns what kube-proxy read into the `filter` and `nat` tables exactly as
`syncProxyRules` (1.32) writes them, and `Tables.save` prints them as `iptables-save` does; see
`proxy.py` for the process that watches, rate-limits and calls it.
"""

from __future__ import annotations

import base64
import hashlib
import math
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]

#: kubeadm passes the pod subnet as `clusterCIDR`: traffic from outside it is masqueraded.
CLUSTER_CIDR = "10.244.0.0/16"
MASQUERADE_MARK = "0x4000"  # 1 << --iptables-masquerade-bit (14)
LARGE_CLUSTER_ENDPOINTS = 1000
IPTABLES_VERSION = "v1.8.10 (nf_tables)"
NFACCT_LOCALHOST_NODEPORTS = "localhost_nps_accepted_pkts"
NFACCT_INVALID_DROPPED = "ct_state_invalid_dropped_pkts"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"

_BUILTIN = {
    "filter": ("INPUT", "FORWARD", "OUTPUT"),
    "nat": ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"),
    "mangle": ("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"),
}
TABLES = ("mangle", "filter", "nat")  # the order iptables-nft-save prints them


# -- names and texts ------------------------------------------------------------------------


def _hash16(text: str) -> str:
    return base64.b32encode(hashlib.sha256(text.encode()).digest()).decode()[:16]


def service_chain(port_name: str, protocol: str, prefix: str = "KUBE-SVC-") -> str:
    """`servicePortPolicyClusterChain` (and SVL/EXT/FW with another prefix)."""
    return prefix + _hash16(port_name + protocol.lower())


def endpoint_chain(port_name: str, protocol: str, endpoint: str) -> str:
    """`servicePortEndpointChainName`."""
    return "KUBE-SEP-" + _hash16(port_name + protocol.lower() + endpoint)


def probability(n: int) -> str:
    """`1/n` as kube-proxy writes it (`%0.10f`), then as the kernel keeps it (a fraction of
    2^31) and `iptables-save` prints it (`%.11f`): 1/3 shows as 0.33333333349."""
    written = float(f"{1.0 / n:.10f}")
    stored = math.floor(0x80000000 * written + 0.5)
    return f"{stored / 0x80000000:.11f}"


_NO_QUOTE = set("_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def save_string(value: str) -> str:
    """`xtables_save_string`: bare if only letters, digits, `_` and `-`; else double-quoted
    with `"`, `\\` and `'` escaped."""
    if value and all(ch in _NO_QUOTE for ch in value):
        return value
    escaped = "".join("\\" + ch if ch in "\"\\'" else ch for ch in value)
    return f'"{escaped}"'


def _comment(text: str) -> str:
    return f"-m comment --comment {save_string(text)}"


def _rule(
    chain: str,
    *,
    src: str = "",
    dst: str = "",
    proto: str = "",
    matches: tuple[str, ...] = (),
    target: str,
) -> str:
    """One `-A` line in iptables-save's order: addresses and protocol, matches, target.
    `src`/`dst` may start with `! ` (negated)."""
    parts = ["-A", chain]
    for flag, addr in (("-s", src), ("-d", dst)):
        if addr:
            negated = addr.startswith("! ")
            cidr = addr[2:] if negated else addr
            parts += (["!"] if negated else []) + [flag, cidr if "/" in cidr else f"{cidr}/32"]
    if proto:
        parts += ["-p", proto]
    parts += [m for m in matches if m]
    parts += ["-j", target]
    return " ".join(parts)


# -- what kube-proxy reads ------------------------------------------------------------------


@dataclass(frozen=True)
class ServicePort:
    """`BaseServicePortInfo`: one port of a Service, with what the rules need of the Service."""

    name: str  # ServicePortName.String(): ns/svc or ns/svc:port
    protocol: str  # TCP, UDP, SCTP
    cluster_ip: str
    port: int
    node_port: int
    external_ips: tuple[str, ...]
    lb_ips: tuple[str, ...]
    affinity_seconds: int  # ClientIP session affinity timeout; 0 without affinity
    internal_local: bool
    external_local: bool
    health_check_node_port: int

    @property
    def externally_accessible(self) -> bool:
        return bool(self.node_port or self.external_ips or self.lb_ips)

    @property
    def uses_cluster_endpoints(self) -> bool:
        return not self.internal_local or (self.externally_accessible and not self.external_local)

    @property
    def uses_local_endpoints(self) -> bool:
        return self.internal_local or (self.externally_accessible and self.external_local)


@dataclass(frozen=True)
class Endpoint:
    """`BaseEndpointInfo`: one address:port behind a service port."""

    ip: str
    port: int
    ready: bool
    serving: bool
    terminating: bool
    local: bool

    def __str__(self) -> str:
        return f"{self.ip}:{self.port}"


def service_ports(svc: Obj) -> tuple[ServicePort, ...]:
    """`ServiceChangeTracker.serviceToServiceMap`: nothing for a Service without a cluster IP
    (headless, ExternalName)."""
    spec = svc.get("spec") or {}
    ip = spec.get("clusterIP") or ""
    if not ip or ip == "None":
        return ()
    ns, name = svc["metadata"].get("namespace"), svc["metadata"]["name"]
    affinity = 0
    if spec.get("sessionAffinity") == "ClientIP":
        affinity = int(
            ((spec.get("sessionAffinityConfig") or {}).get("clientIP") or {}).get("timeoutSeconds") or 10800
        )
    lb = tuple(
        i["ip"]
        for i in ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or ()
        if i.get("ip")
    )
    out = []
    for p in spec.get("ports") or ():
        pname = f"{ns}/{name}" + (f":{p['name']}" if p.get("name") else "")
        node_port = int(p.get("nodePort") or 0)
        out.append(
            ServicePort(
                name=pname,
                protocol=p.get("protocol") or "TCP",
                cluster_ip=ip,
                port=int(p["port"]),
                node_port=node_port,
                external_ips=tuple(spec.get("externalIPs") or ()),
                lb_ips=lb,
                affinity_seconds=affinity,
                internal_local=spec.get("internalTrafficPolicy") == "Local",
                external_local=spec.get("externalTrafficPolicy") == "Local"
                and bool(node_port or spec.get("externalIPs") or lb),
                health_check_node_port=int(spec.get("healthCheckNodePort") or 0),
            )
        )
    return tuple(out)


def slice_endpoints(eps: Obj, node: str) -> tuple[tuple[str, str, Endpoint], ...]:
    """`EndpointSliceCache`'s view of one slice: (port name, protocol, endpoint) triples. IPv4
    slices of a named Service only; conditions default as the API documents (ready and serving
    when unset, terminating when set)."""
    labels = eps["metadata"].get("labels") or {}
    if eps.get("addressType") != "IPv4" or not labels.get(SERVICE_NAME_LABEL):
        return ()
    out = []
    for port in eps.get("ports") or ():
        if port.get("port") is None:
            continue
        for ep in eps.get("endpoints") or ():
            if not ep.get("addresses"):
                continue
            cond = ep.get("conditions") or {}
            ready = cond.get("ready") is not False
            serving = cond.get("serving") if cond.get("serving") is not None else ready
            out.append(
                (
                    port.get("name") or "",
                    port.get("protocol") or "TCP",
                    Endpoint(
                        ep["addresses"][0],
                        int(port["port"]),
                        ready,
                        bool(serving),
                        cond.get("terminating") is True,
                        ep.get("nodeName") == node,
                    ),
                )
            )
    return tuple(out)


# -- the rules ------------------------------------------------------------------------------


class Tables:
    """The node's iptables state kube-proxy owns: per table, chains and their rules in order."""

    def __init__(self) -> None:
        self.chains: dict[str, dict[str, list[str]]] = {t: {} for t in TABLES}

    def chain(self, table: str, name: str) -> list[str]:
        return self.chains[table].setdefault(name, [])

    def add(self, table: str, line: str) -> None:
        self.chain(table, line.split(" ", 2)[1]).append(line)

    def save(self, table: str | None, when: str) -> str:
        """`iptables-save [-t table]`."""
        out: list[str] = []
        for t in TABLES if table is None else (table,):
            chains = self.chains[t]
            builtin = _BUILTIN[t]
            user = sorted(c for c in chains if c not in builtin)
            out.append(f"# Generated by iptables-save {IPTABLES_VERSION} on {when}")
            out.append(f"*{t}")
            out += [f":{c} ACCEPT [0:0]" for c in builtin]
            out += [f":{c} - [0:0]" for c in user]
            for c in (*builtin, *user):
                out += chains.get(c, [])
            out.append("COMMIT")
            out.append(f"# Completed on {when}")
        return "\n".join(out) + "\n"


def _jump_rules(tables: Tables) -> None:
    """The jumps from the built-in chains (`iptablesJumpChains`, each ensured by prepending,
    after the kubelet's own `KUBE-FIREWALL` jumps were already there)."""
    for c in ("KUBE-PROXY-CANARY",):
        tables.chain("mangle", c)
        tables.chain("filter", c)
        tables.chain("nat", c)
    new = "-m conntrack --ctstate NEW"
    filter_jumps = {
        "INPUT": [
            f"{new} {_comment('kubernetes load balancer firewall')} -j KUBE-PROXY-FIREWALL",
            f"{_comment('kubernetes health check service ports')} -j KUBE-NODEPORTS",
            f"{new} {_comment('kubernetes externally-visible service portals')} -j KUBE-EXTERNAL-SERVICES",
            "-j KUBE-FIREWALL",
        ],
        "FORWARD": [
            f"{new} {_comment('kubernetes load balancer firewall')} -j KUBE-PROXY-FIREWALL",
            f"{_comment('kubernetes forwarding rules')} -j KUBE-FORWARD",
            f"{new} {_comment('kubernetes service portals')} -j KUBE-SERVICES",
            f"{new} {_comment('kubernetes externally-visible service portals')} -j KUBE-EXTERNAL-SERVICES",
        ],
        "OUTPUT": [
            f"{new} {_comment('kubernetes load balancer firewall')} -j KUBE-PROXY-FIREWALL",
            f"{new} {_comment('kubernetes service portals')} -j KUBE-SERVICES",
            "-j KUBE-FIREWALL",
        ],
    }
    for chain, rules in filter_jumps.items():
        for r in rules:
            tables.add("filter", f"-A {chain} {r}")
    tables.add("nat", f"-A PREROUTING {_comment('kubernetes service portals')} -j KUBE-SERVICES")
    tables.add("nat", f"-A OUTPUT {_comment('kubernetes service portals')} -j KUBE-SERVICES")
    tables.add("nat", f"-A POSTROUTING {_comment('kubernetes postrouting rules')} -j KUBE-POSTROUTING")


def categorize(endpoints: list[Endpoint], sp: ServicePort) -> tuple[list[Endpoint], list[Endpoint], bool]:
    """`CategorizeEndpoints`: (cluster endpoints, local endpoints, whether any usable endpoint
    exists anywhere). Ready ones; failing those, serving-and-terminating ones."""
    cluster: list[Endpoint] = []
    local: list[Endpoint] = []
    has_any = False
    if sp.uses_cluster_endpoints:
        cluster = [e for e in endpoints if e.ready] or [e for e in endpoints if e.serving and e.terminating]
        has_any = bool(cluster)
    if sp.uses_local_endpoints:
        local = [e for e in endpoints if e.ready and e.local] or [
            e for e in endpoints if e.serving and e.terminating and e.local
        ]
        has_any = has_any or bool(local) or any(e.ready or (e.serving and e.terminating) for e in endpoints)
    return cluster, local, has_any


def build_tables(ports: list[ServicePort], endpoints: dict[tuple[str, str], list[Endpoint]]) -> Tables:
    """`syncProxyRules`: the whole table for these service ports and their endpoints."""
    t = Tables()
    _jump_rules(t)
    for c in (
        "KUBE-EXTERNAL-SERVICES",
        "KUBE-FORWARD",
        "KUBE-NODEPORTS",
        "KUBE-PROXY-FIREWALL",
        "KUBE-SERVICES",
    ):
        t.chain("filter", c)
    for c in ("KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-MARK-MASQ"):
        t.chain("nat", c)
    mark = f"{MASQUERADE_MARK}/{MASQUERADE_MARK}"
    t.add("nat", f"-A KUBE-POSTROUTING -m mark ! --mark {mark} -j RETURN")
    t.add("nat", f"-A KUBE-POSTROUTING -j MARK --set-xmark {MASQUERADE_MARK}/0x0")
    t.add(
        "nat",
        f"-A KUBE-POSTROUTING {_comment('kubernetes service traffic requiring SNAT')} "
        "-j MASQUERADE --random-fully",
    )
    t.add("nat", f"-A KUBE-MARK-MASQ -j MARK --set-xmark {mark}")
    t.add(
        "filter",
        _rule(
            "KUBE-FIREWALL",
            src="! 127.0.0.0/8",
            dst="127.0.0.0/8",
            matches=(
                _comment("block incoming localnet connections"),
                "-m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT",
            ),
            target="DROP",
        ),
    )
    total = sum(len(endpoints.get((sp.name, sp.protocol), [])) for sp in ports)
    large = total > LARGE_CLUSTER_ENDPOINTS
    for sp in sorted(ports, key=lambda p: (p.name, p.protocol)):
        _service_rules(t, sp, endpoints.get((sp.name, sp.protocol), []), large)
    t.add(
        "nat",
        _rule(
            "KUBE-SERVICES",
            matches=(
                _comment("kubernetes service nodeports; NOTE: this must be the last rule in this chain"),
                "-m addrtype --dst-type LOCAL",
            ),
            target="KUBE-NODEPORTS",
        ),
    )
    t.add(
        "filter",
        "-A KUBE-FORWARD -m conntrack --ctstate INVALID "
        f"-m nfacct --nfacct-name  {NFACCT_INVALID_DROPPED} -j DROP",
    )
    t.add(
        "filter", f"-A KUBE-FORWARD {_comment('kubernetes forwarding rules')} -m mark --mark {mark} -j ACCEPT"
    )
    t.add(
        "filter",
        f"-A KUBE-FORWARD {_comment('kubernetes forwarding conntrack rule')} "
        "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    )
    return t


def _service_rules(t: Tables, sp: ServicePort, all_endpoints: list[Endpoint], large: bool) -> None:
    proto = sp.protocol.lower()
    name = sp.name
    pm = f"-m {proto}"
    svc_chain = service_chain(name, proto)
    svl_chain = service_chain(name, proto, "KUBE-SVL-")
    ext_chain = service_chain(name, proto, "KUBE-EXT-")
    cluster, local, has_any = categorize(all_endpoints, sp)
    uses_cluster_chain = bool(cluster) and sp.uses_cluster_endpoints
    uses_local_chain = bool(local) and sp.uses_local_endpoints
    internal_chain, has_internal = svc_chain, has_any
    if sp.internal_local:
        internal_chain, has_internal = svl_chain, has_any and bool(local)
    external_policy_chain, has_external = svc_chain, has_any
    if sp.external_local:
        external_policy_chain, has_external = svl_chain, has_any and bool(local)
    uses_ext_chain = has_any and sp.externally_accessible
    # loadBalancerSourceRanges need a load balancer's IP: without one there is no KUBE-FW chain.
    if not has_any:
        int_target = ext_target = "REJECT --reject-with icmp-port-unreachable"
        int_comment = ext_comment = f"{name} has no endpoints"
    else:
        int_target = ext_target = "DROP"
        int_comment = ext_comment = f"{name} has no local endpoints"
    dport = f"--dport {sp.port}"
    cluster_comment = _comment(f"{name} cluster IP")
    if has_internal:
        t.add(
            "nat",
            _rule(
                "KUBE-SERVICES",
                dst=sp.cluster_ip,
                proto=proto,
                matches=(cluster_comment, f"{pm} {dport}"),
                target=internal_chain,
            ),
        )
    else:
        t.add(
            "filter",
            _rule(
                "KUBE-SERVICES",
                dst=sp.cluster_ip,
                proto=proto,
                matches=(_comment(int_comment), f"{pm} {dport}"),
                target=int_target,
            ),
        )
    for ip in sp.external_ips:
        if has_any:
            t.add(
                "nat",
                _rule(
                    "KUBE-SERVICES",
                    dst=ip,
                    proto=proto,
                    matches=(_comment(f"{name} external IP"), f"{pm} {dport}"),
                    target=ext_chain,
                ),
            )
        if not has_external:
            t.add(
                "filter",
                _rule(
                    "KUBE-EXTERNAL-SERVICES",
                    dst=ip,
                    proto=proto,
                    matches=(_comment(ext_comment), f"{pm} {dport}"),
                    target=ext_target,
                ),
            )
    for ip in sp.lb_ips:
        if has_any:
            t.add(
                "nat",
                _rule(
                    "KUBE-SERVICES",
                    dst=ip,
                    proto=proto,
                    matches=(_comment(f"{name} loadbalancer IP"), f"{pm} {dport}"),
                    target=ext_chain,
                ),
            )
    if not has_external:
        for ip in sp.lb_ips:
            t.add(
                "filter",
                _rule(
                    "KUBE-EXTERNAL-SERVICES",
                    dst=ip,
                    proto=proto,
                    matches=(_comment(ext_comment), f"{pm} {dport}"),
                    target=ext_target,
                ),
            )
    if sp.node_port:
        node_dport = f"{pm} --dport {sp.node_port}"
        if has_any:
            t.add(
                "nat",
                _rule(
                    "KUBE-NODEPORTS",
                    dst="127.0.0.0/8",
                    proto=proto,
                    matches=(
                        _comment(name),
                        node_dport,
                        f"-m nfacct --nfacct-name  {NFACCT_LOCALHOST_NODEPORTS}",
                    ),
                    target=ext_chain,
                ),
            )
            t.add(
                "nat",
                _rule("KUBE-NODEPORTS", proto=proto, matches=(_comment(name), node_dport), target=ext_chain),
            )
        if not has_external:
            t.add(
                "filter",
                _rule(
                    "KUBE-EXTERNAL-SERVICES",
                    proto=proto,
                    matches=(_comment(ext_comment), "-m addrtype --dst-type LOCAL", node_dport),
                    target=ext_target,
                ),
            )
    if sp.health_check_node_port:
        t.add(
            "filter",
            _rule(
                "KUBE-NODEPORTS",
                proto="tcp",
                matches=(
                    _comment(f"{name} health check node port"),
                    f"-m tcp --dport {sp.health_check_node_port}",
                ),
                target="ACCEPT",
            ),
        )
    if has_internal:
        # Off-cluster traffic to the cluster IP is masqueraded (kubeadm sets clusterCIDR).
        t.add(
            "nat",
            _rule(
                internal_chain,
                src=f"! {CLUSTER_CIDR}",
                dst=sp.cluster_ip,
                proto=proto,
                matches=(cluster_comment, f"{pm} {dport}"),
                target="KUBE-MARK-MASQ",
            ),
        )
    if uses_ext_chain:
        t.chain("nat", ext_chain)
        if not sp.external_local:
            t.add(
                "nat",
                f"-A {ext_chain} {_comment(f'masquerade traffic for {name} external destinations')} "
                "-j KUBE-MARK-MASQ",
            )
        else:
            t.add(
                "nat",
                _rule(
                    ext_chain,
                    src=CLUSTER_CIDR,
                    matches=(_comment(f"pod traffic for {name} external destinations"),),
                    target=svc_chain,
                ),
            )
            t.add(
                "nat",
                f"-A {ext_chain} {_comment(f'masquerade LOCAL traffic for {name} external destinations')} "
                "-m addrtype --src-type LOCAL -j KUBE-MARK-MASQ",
            )
            t.add(
                "nat",
                f"-A {ext_chain} {_comment(f'route LOCAL traffic for {name} external destinations')} "
                f"-m addrtype --src-type LOCAL -j {svc_chain}",
            )
        if has_external:
            t.add("nat", f"-A {ext_chain} -j {external_policy_chain}")
    if uses_cluster_chain:
        t.chain("nat", svc_chain)
        _endpoint_jumps(t, sp, svc_chain, cluster, large)
    if uses_local_chain:
        t.chain("nat", svl_chain)
        _endpoint_jumps(t, sp, svl_chain, local, large)
    reachable = {str(e): e for e in (*cluster, *local)}
    for ep in reachable.values():
        sep = endpoint_chain(name, proto, str(ep))
        t.chain("nat", sep)
        comment = () if large else (_comment(name),)
        t.add("nat", _rule(sep, src=ep.ip, matches=comment, target="KUBE-MARK-MASQ"))
        recent = (
            (f"-m recent --set --name {sep} --mask 255.255.255.255 --rsource",) if sp.affinity_seconds else ()
        )
        t.add(
            "nat",
            _rule(sep, proto=proto, matches=(*comment, *recent, pm), target=f"DNAT --to-destination {ep}"),
        )


def _endpoint_jumps(t: Tables, sp: ServicePort, chain: str, endpoints: list[Endpoint], large: bool) -> None:
    """`writeServiceToEndpointRules`: affinity checks, then one probabilistic jump per endpoint."""
    proto = sp.protocol.lower()
    if sp.affinity_seconds:
        for ep in endpoints:
            sep = endpoint_chain(sp.name, proto, str(ep))
            comment = () if large else (_comment(f"{sp.name} -> {ep}"),)
            recent = (
                f"-m recent --rcheck --seconds {sp.affinity_seconds} --reap "
                f"--name {sep} --mask 255.255.255.255 --rsource"
            )
            t.add("nat", _rule(chain, matches=(*comment, recent), target=sep))
    n = len(endpoints)
    for i, ep in enumerate(endpoints):
        sep = endpoint_chain(sp.name, proto, str(ep))
        comment = () if large else (_comment(f"{sp.name} -> {ep}"),)
        stat = (f"-m statistic --mode random --probability {probability(n - i)}",) if i < n - 1 else ()
        t.add("nat", _rule(chain, matches=(*comment, *stat), target=sep))
