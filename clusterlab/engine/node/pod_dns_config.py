"""The files the kubelet writes for a pod's name resolution: `/etc/resolv.conf` and `/etc/hosts`.

The kubelet's DNS configurer builds each pod's `resolv.conf` from its `dnsPolicy`:
- `ClusterFirst` (the default): the cluster DNS Service (`--cluster-dns`, kubeadm's 10th
  address of the service CIDR, 10.96.0.10) as the only nameserver, the search path
  `<namespace>.svc.<domain> svc.<domain> <domain>` followed by the node's own search
  domains, and `options ndots:5`. A `hostNetwork` pod with `ClusterFirst` falls back to
  `Default` (it shares the node's network, so its resolver is the node's).
- `ClusterFirstWithHostNet`: `ClusterFirst`, also for `hostNetwork` pods.
- `Default`: the node's resolver configuration (`--resolv-conf`), as CoreDNS itself uses.
- `None`: nothing but the pod's `dnsConfig`.
`dnsConfig` is then merged in: its nameservers and searches are appended (duplicates dropped,
at most 3 nameservers and 32 search domains), its options override options of the same name.

The managed `/etc/hosts` starts with kubelet's header and localhost lines, then the pod's IP
with its hostname (`spec.hostname`, else the pod name); with `spec.subdomain` the first name
is the FQDN `<hostname>.<subdomain>.<namespace>.svc.<domain>`; `hostAliases` follow under
their own comment. A `hostNetwork` pod sees the node's hosts file under a different header.

Simplified: every node has the same upstream resolver (its network's gateway, 172.18.0.1) and
no search domains of its own; no IPv6 pod addresses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]

CLUSTER_DOMAIN = "cluster.local"  # kubelet `--cluster-domain` (kubeadm's default)
CLUSTER_DNS = "10.96.0.10"  # kubelet `--cluster-dns`: the kube-dns Service's cluster IP
NODE_NAMESERVER = "172.18.0.1"  # the nodes' upstream resolver
NODE_RESOLV_CONF = f"nameserver {NODE_NAMESERVER}\n"
MAX_NAMESERVERS = 3  # validation.MaxDNSNameservers
MAX_SEARCH = 32  # validation.MaxDNSSearchPaths
MANAGED_HEADER = "# Kubernetes-managed hosts file.\n"
HOST_NETWORK_HEADER = "# Kubernetes-managed hosts file (host network).\n"
LOCALHOST_LINES = (
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "fe00::0\tip6-mcastprefix\n"
    "fe00::1\tip6-allnodes\n"
    "fe00::2\tip6-allrouters\n"
)
# a node's own /etc/hosts (Debian's defaults plus its name)
NODE_HOSTS = (
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "ff00::0\tip6-mcastprefix\n"
    "ff02::1\tip6-allnodes\n"
    "ff02::2\tip6-allrouters\n"
)


@dataclass(frozen=True)
class ResolvConf:
    """A parsed `resolv.conf`: what the pod's resolver library reads."""

    nameservers: tuple[str, ...]
    searches: tuple[str, ...]
    options: tuple[str, ...]

    @property
    def ndots(self) -> int:
        """`options ndots:N` (the last one wins), 1 when unset as in glibc and musl."""
        value = 1
        for opt in self.options:
            if opt.startswith("ndots:") and opt[6:].isdigit():
                value = min(int(opt[6:]), 15)
        return value

    def text(self) -> str:
        lines = []
        if self.searches:
            lines.append("search " + " ".join(self.searches))
        lines += [f"nameserver {ns}" for ns in self.nameservers]
        if self.options:
            lines.append("options " + " ".join(self.options))
        return "".join(f"{line}\n" for line in lines)


def host_network(pod: Obj) -> bool:
    return bool((pod.get("spec") or {}).get("hostNetwork"))


def hostname(pod: Obj) -> str:
    """The pod's hostname: `spec.hostname`, else its name (cut to 63 characters and a trailing
    `-`/`.` dropped, as the kubelet's GeneratePodHostNameAndDomain does)."""
    spec = pod.get("spec") or {}
    if spec.get("hostname"):
        return str(spec["hostname"])
    name = pod["metadata"]["name"]
    return name[:63].rstrip("-.") if len(name) > 63 else name


def host_domain(pod: Obj) -> str:
    """`<subdomain>.<namespace>.svc.<domain>` for a pod with `spec.subdomain`, else ``."""
    spec = pod.get("spec") or {}
    if not spec.get("subdomain"):
        return ""
    ns = pod["metadata"].get("namespace", "default")
    return f"{spec['subdomain']}.{ns}.svc.{CLUSTER_DOMAIN}"


def fqdn(pod: Obj) -> str:
    domain = host_domain(pod)
    return f"{hostname(pod)}.{domain}" if domain else hostname(pod)


def _node_resolv() -> ResolvConf:
    return ResolvConf((NODE_NAMESERVER,), (), ())


def resolv_conf(pod: Obj) -> ResolvConf:
    """The pod's `/etc/resolv.conf` as the kubelet writes it."""
    spec = pod.get("spec") or {}
    policy = spec.get("dnsPolicy") or "ClusterFirst"
    ns = pod["metadata"].get("namespace", "default")
    node = _node_resolv()
    if policy == "ClusterFirst" and host_network(pod):
        policy = "Default"
    if policy in ("ClusterFirst", "ClusterFirstWithHostNet"):
        base = ResolvConf(
            (CLUSTER_DNS,),
            (f"{ns}.svc.{CLUSTER_DOMAIN}", f"svc.{CLUSTER_DOMAIN}", CLUSTER_DOMAIN, *node.searches),
            ("ndots:5",),
        )
    elif policy == "None":
        base = ResolvConf((), (), ())
    else:
        base = node
    config = spec.get("dnsConfig") or {}
    nameservers = _dedup([*base.nameservers, *(config.get("nameservers") or ())])[:MAX_NAMESERVERS]
    searches = _dedup([*base.searches, *(config.get("searches") or ())])[:MAX_SEARCH]
    options = _merge_options(list(base.options), config.get("options") or ())
    return ResolvConf(tuple(nameservers), tuple(searches), tuple(options))


def _dedup(values: list[str]) -> list[str]:
    seen: list[str] = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return seen


def _merge_options(base: list[str], extra: Any) -> list[str]:
    """kubelet's mergeDNSOptions: options by name, a later one overriding an earlier one."""
    merged: dict[str, str] = {}
    for opt in base:
        merged[opt.partition(":")[0]] = opt
    for opt in extra:
        name = str(opt.get("name", ""))
        if not name:
            continue
        merged[name] = f"{name}:{opt['value']}" if opt.get("value") is not None else name
    return list(merged.values())


def hosts_file(pod: Obj, node_name: str = "", node_ip: str = "") -> str:
    """The pod's `/etc/hosts` as the kubelet manages it."""
    spec = pod.get("spec") or {}
    aliases = _host_aliases(spec.get("hostAliases") or ())
    if host_network(pod):
        node_line = f"{node_ip}\t{node_name}\n" if node_ip and node_name else ""
        return HOST_NETWORK_HEADER + NODE_HOSTS + node_line + aliases
    ips = [p["ip"] for p in (pod.get("status") or {}).get("podIPs") or () if p.get("ip")]
    if not ips and (pod.get("status") or {}).get("podIP"):
        ips = [pod["status"]["podIP"]]
    name, domain = hostname(pod), host_domain(pod)
    if domain:
        lines = "".join(f"{ip}\t{name}.{domain}\t{name}\n" for ip in ips)
    else:
        lines = "".join(f"{ip}\t{name}\n" for ip in ips)
    return MANAGED_HEADER + LOCALHOST_LINES + lines + aliases


def _host_aliases(aliases: Any) -> str:
    if not aliases:
        return ""
    lines = "".join(f"{a.get('ip', '')}\t{chr(9).join(a.get('hostnames') or ())}\n" for a in aliases)
    return "\n# Entries added by HostAliases.\n" + lines


def hosts_entries(text: str) -> list[tuple[str, list[str]]]:
    """`/etc/hosts` as the resolver reads it: (address, names) per line, comments dropped."""
    out = []
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 2:
            out.append((fields[0], fields[1:]))
    return out
