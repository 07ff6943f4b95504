"""Name lookups from a pod: the resolver in the pod and CoreDNS's `kubernetes` plugin answering.

A process resolves a name with its C library's stub resolver, which reads the pod's
`/etc/resolv.conf` (`node/pod_dns_config.py`): a name with fewer dots than `ndots` (5 in a
`ClusterFirst` pod) is tried under each search domain first and as given last; a name with at
least `ndots` dots (or ending in `.`) is tried as given first. Each try is one query to the
nameserver, 10.96.0.10 — the `kube-dns` Service, whose packets the source node's kube-proxy
rules send to one of the CoreDNS pods.

CoreDNS (`kubernetes cluster.local in-addr.arpa ip6.arpa { pods insecure … }`) answers
authoritatively from the Services, EndpointSlices and Namespaces its informers have seen —
so a Service created a moment ago resolves only once CoreDNS's watch has delivered it:
- `<svc>.<ns>.svc.cluster.local` A → the cluster IP; for a headless Service, the addresses
  of its ready endpoints (the EndpointSlice controller already counts not-ready pods as ready
  under `publishNotReadyAddresses`); for an `ExternalName` Service, a CNAME to its name.
- `<hostname>.<svc>.<ns>.svc.cluster.local` → an endpoint with that hostname (a pod whose
  `hostname`/`subdomain` match the headless Service: a StatefulSet's `web-0.nginx…`), and
  `<a-b-c-d>.<svc>.<ns>.svc.cluster.local` → an endpoint at a.b.c.d.
- `_<port>._<proto>.<svc>.<ns>.svc.cluster.local` SRV → a named port's target(s).
- `<a-b-c-d>.<ns>.pod.cluster.local` → a.b.c.d when the namespace exists (`pods insecure`).
- `<d.c.b.a>.in-addr.arpa` PTR → the Service or endpoint at that address.
- Names of the zone that exist only as parents of records (`svc.cluster.local`,
  `<ns>.svc.cluster.local`) answer with no records (NODATA); other names in the zone answer
  NXDOMAIN. Names outside it are forwarded to the node's resolver (`forward .
  /etc/resolv.conf`).

When the nameserver is unreachable the client times out: no endpoint in the node's kube-proxy
rules for the `kube-dns` Service rejects the packets (port unreachable); endpoints whose pods
are gone, or a NetworkPolicy that drops the query, just never answer.

Lookups take virtual time when a nameserver does not answer (`DnsAnswer.seconds`), as each
C library's stub resolver waits (`resolv.conf(5)`: `timeout:5 attempts:2` unless the file's
`options` say otherwise; the kubelet writes only `ndots:5`):
- **glibc** (`res_send`): per query name, each attempt asks the servers in turn, waiting
  `timeout` for the first and `(timeout << i) / nscount` for the i-th; A and AAAA go out
  together. A port-unreachable answer (`ECONNREFUSED` on its connected socket) ends the whole
  lookup at once. A timed-out name stops the search list (`res_search`: only NXDOMAIN/NODATA
  go on to the next domain) but the name as given is still tried, if it was not first: a
  short name costs two timed-out names (2 × 2 × 5 s = 20 s).
- **musl** (Alpine images, `__res_msend`): asks every server at once on one unconnected
  socket (which never sees port-unreachable errors), resends every `timeout / attempts` and
  gives up after `timeout` in total (5 s); the first name that times out ends the search.
- **uClibc** (busybox 1.28 and older, `__dns_lookup`): `attempts × nscount` tries, each of
  `timeout` seconds against the next server; a refused try moves on at once.

Simplified: the lab has no Internet, so the upstream resolver answers every name outside the
cluster domain NXDOMAIN; all CoreDNS replicas share one view of the API (each real replica has
its own informers); no caching (the Corefile disables it for cluster.local anyway); no AAAA
records (the cluster is IPv4-only, so an A name answers AAAA with NODATA).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from ..node.pod_dns_config import (
    CLUSTER_DNS,
    CLUSTER_DOMAIN,
    ResolvConf,
    hosts_entries,
    hosts_file,
    resolv_conf,
)

Obj = dict[str, Any]
Rcode = Literal["NOERROR", "NXDOMAIN"]
Reach = Literal["answers", "refused", "timeout"]
Libc = Literal["glibc", "musl", "uclibc"]
#: `resolv.conf(5)`'s defaults: seconds to wait for a reply, and tries per server.
RES_TIMEOUT = 5
RES_ATTEMPTS = 2
#: glibc's caps on `options timeout:` and `attempts:` (RES_MAXRETRANS, RES_MAXRETRY).
RES_MAXRETRANS = 30
RES_MAXRETRY = 5
ZONE = CLUSTER_DOMAIN
SERVICE_NAME_LABEL = "kubernetes.io/service-name"


@dataclass(frozen=True)
class Record:
    """One resource record of an answer. `value`: the address (A), target (CNAME, SRV, PTR)."""

    name: str
    type: str  # A, CNAME, SRV, PTR
    value: str
    priority: int = 0
    weight: int = 0
    port: int = 0


@dataclass(frozen=True)
class Reply:
    """CoreDNS's reply to one query."""

    name: str
    qtype: str
    rcode: Rcode
    records: tuple[Record, ...] = ()
    authoritative: bool = True


@dataclass(frozen=True)
class DnsAnswer:
    """What a resolver library returns for a name: `status` "ok" with `addresses` (and the
    `name` that answered, after search-path expansion and CNAMEs), "nxdomain" when no try
    found it, or "unreachable" when the nameserver could not be reached ("no servers could be
    reached"). `tried` lists each query sent, in order."""

    status: Literal["ok", "nxdomain", "unreachable"]
    name: str
    addresses: tuple[str, ...] = ()
    canonical: str = ""
    server: str = ""
    tried: tuple[str, ...] = field(default_factory=tuple)
    seconds: float = 0.0  # how long the resolver waited for nameservers that did not answer


class DnsView(Protocol):
    """What CoreDNS has seen (its informers' caches) and whether a nameserver answers."""

    def services(self) -> Iterable[Obj]: ...

    def endpoint_slices(self, namespace: str, service: str) -> Iterable[Obj]: ...

    def namespace_exists(self, namespace: str) -> bool: ...

    def reach(self, node: str | None, nameserver: str, pod: Obj | None = None) -> Reach:
        """Whether a query from `node` (from `pod` on it, when a pod asks) to `nameserver`:53/UDP
        is answered."""
        ...


# -- CoreDNS's kubernetes plugin ------------------------------------------------------------


def _dashed(ip: str) -> str:
    return ip.replace(".", "-")


def _undashed(label: str) -> str | None:
    parts = label.split("-")
    if len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts):
        return ".".join(parts)
    return None


def _service(view: DnsView, ns: str, name: str) -> Obj | None:
    for svc in view.services():
        meta = svc["metadata"]
        if meta["name"] == name and meta.get("namespace") == ns:
            return svc
    return None


def _endpoints(view: DnsView, svc: Obj) -> list[tuple[str, str, Obj]]:
    """(address, name label, slice port list) of the Service's ready endpoints, as CoreDNS's
    EndpointSlice conversion keeps them (ready unless `ready: false`)."""
    meta = svc["metadata"]
    out: list[tuple[str, str, Obj]] = []
    seen: set[str] = set()
    for eps in view.endpoint_slices(meta.get("namespace", "default"), meta["name"]):
        if eps.get("addressType") != "IPv4":
            continue
        for ep in eps.get("endpoints") or ():
            if (ep.get("conditions") or {}).get("ready") is False:
                continue
            for ip in ep.get("addresses") or ():
                if ip in seen:
                    continue
                seen.add(ip)
                out.append((ip, ep.get("hostname") or _dashed(ip), {"ports": eps.get("ports") or []}))
    return out


def _a_records(view: DnsView, svc: Obj, name: str) -> list[Record]:
    spec = svc.get("spec") or {}
    if spec.get("type") == "ExternalName":
        return [Record(name, "CNAME", str(spec.get("externalName", "")).rstrip("."))]
    if spec.get("clusterIP") and spec["clusterIP"] != "None":
        return [Record(name, "A", spec["clusterIP"])]
    return [Record(name, "A", ip) for ip, _, _ in _endpoints(view, svc)]


def _srv_records(view: DnsView, svc: Obj, name: str, port_name: str, proto: str) -> list[Record]:
    spec = svc.get("spec") or {}
    meta = svc["metadata"]
    base = f"{meta['name']}.{meta.get('namespace', 'default')}.svc.{ZONE}"
    if spec.get("clusterIP") and spec["clusterIP"] != "None":
        ports = [
            int(p["port"])
            for p in spec.get("ports") or ()
            if p.get("name") == port_name and (p.get("protocol") or "TCP").lower() == proto
        ]
        return [Record(name, "SRV", base, 0, 100, port) for port in ports]
    targets = []
    for _ip, label, slice_ports in _endpoints(view, svc):
        for p in slice_ports["ports"]:
            if p.get("name") == port_name and (p.get("protocol") or "TCP").lower() == proto:
                targets.append((f"{label}.{base}", int(p.get("port") or 0)))
    weight = 100 // len(targets) if targets else 0
    return [Record(name, "SRV", target, 0, weight, port) for target, port in targets]


def _zone_names(view: DnsView) -> set[str]:
    """Every name of the zone that exists as a record owner or as a parent of one."""
    names = {ZONE, f"svc.{ZONE}", f"pod.{ZONE}"}
    for svc in view.services():
        ns = svc["metadata"].get("namespace", "default")
        names.add(f"{ns}.svc.{ZONE}")
        names.add(f"{ns}.pod.{ZONE}")
    return names


def query(view: DnsView, name: str, qtype: str = "A") -> Reply:
    """CoreDNS's reply to one query for `name` (absolute, without the trailing dot)."""
    name = name.rstrip(".").lower()
    if name.endswith(".in-addr.arpa"):
        return _ptr(view, name)
    if not (name == ZONE or name.endswith("." + ZONE)):
        return Reply(name, qtype, "NXDOMAIN", authoritative=False)  # forwarded upstream
    labels = name[: -len(ZONE)].rstrip(".").split(".") if name != ZONE else []
    records: list[Record] = []
    found = False
    if len(labels) >= 3 and labels[-1] == "svc":
        ns, svc_name = labels[-2], labels[-3]
        svc = _service(view, ns, svc_name)
        rest = labels[:-3]
        if svc is not None and not rest:
            found = True
            records = _a_records(view, svc, name)
        elif svc is not None and len(rest) == 2 and rest[0].startswith("_") and rest[1].startswith("_"):
            records = _srv_records(view, svc, name, rest[0][1:], rest[1][1:])
            found = bool(records)
        elif svc is not None and len(rest) == 1:
            for ip, label, _ in _endpoints(view, svc):
                if label == rest[0]:
                    records.append(Record(name, "A", ip))
            found = bool(records)
    elif len(labels) == 3 and labels[-1] == "pod":
        ip = _undashed(labels[0])
        if ip is not None and view.namespace_exists(labels[1]):
            found = True
            records = [Record(name, "A", ip)]
    if not found:
        empty = name in _zone_names(view) or any(
            r.endswith("." + name) for r in _zone_names(view) if r != name
        )
        return Reply(name, qtype, "NOERROR" if empty else "NXDOMAIN")
    wanted = [r for r in records if r.type == qtype or r.type == "CNAME"]
    return Reply(name, qtype, "NOERROR", tuple(wanted))


def _ptr(view: DnsView, name: str) -> Reply:
    octets = name[: -len(".in-addr.arpa")].split(".")
    if len(octets) != 4:
        return Reply(name, "PTR", "NXDOMAIN", authoritative=False)
    ip = ".".join(reversed(octets))
    targets: list[str] = []
    for svc in view.services():
        meta, spec = svc["metadata"], svc.get("spec") or {}
        base = f"{meta['name']}.{meta.get('namespace', 'default')}.svc.{ZONE}"
        if spec.get("clusterIP") == ip:
            targets.append(base)
        elif spec.get("clusterIP") == "None":
            targets += [f"{label}.{base}" for addr, label, _ in _endpoints(view, svc) if addr == ip]
    if not targets:  # `fallthrough in-addr.arpa`: forwarded upstream, which knows nothing
        return Reply(name, "PTR", "NXDOMAIN", authoritative=False)
    return Reply(name, "PTR", "NOERROR", tuple(Record(name, "PTR", t) for t in targets))


# -- the stub resolver in the pod -----------------------------------------------------------


def candidates(name: str, conf: ResolvConf) -> list[str]:
    """The names a glibc/musl resolver tries for `name`, in order (`res_search`)."""
    if name.endswith("."):
        return [name.rstrip(".")]
    searched = [f"{name}.{domain}" for domain in conf.searches]
    if name.count(".") >= conf.ndots:
        return [name, *searched]
    return [*searched, name]


def res_options(conf: ResolvConf) -> tuple[int, int]:
    """(timeout, attempts) from the `options` of a resolv.conf, as glibc reads them."""
    timeout, attempts = RES_TIMEOUT, RES_ATTEMPTS
    for opt in conf.options:
        key, _, value = opt.partition(":")
        if value.isdigit() and key == "timeout":
            timeout = max(1, min(int(value), RES_MAXRETRANS))
        elif value.isdigit() and key == "attempts":
            attempts = max(1, min(int(value), RES_MAXRETRY))
    return timeout, attempts


def reaches(view: DnsView | None, from_pod: Obj, servers: list[str] | tuple[str, ...]) -> list[Reach]:
    """Whether each nameserver answers a query from `from_pod` (no view: none answers)."""
    node = (from_pod.get("spec") or {}).get("nodeName")
    return [view.reach(node, ns, from_pod) if view is not None else "timeout" for ns in servers]


def _server_wait(libc: Libc, reach: Reach, index: int, count: int, timeout: int) -> float:
    """How long one try waits on server `index` (of `count`) that does not answer."""
    if libc == "glibc":
        if reach == "refused":
            return 0.0
        return float((timeout << index) // count if index else timeout)
    if libc == "uclibc":
        return 0.0 if reach == "refused" else float(timeout)
    return 0.0  # musl asks all servers at once


def delay_before_answer(libc: Libc, found: list[Reach], timeout: int) -> float:
    """What one query waits on the servers before the first that answers (`found` ends with
    it)."""
    count = len(found)
    return sum(_server_wait(libc, r, i, count, timeout) for i, r in enumerate(found[:-1]))


def unreachable_names(libc: Libc, name: str, conf: ResolvConf) -> list[str]:
    """The names a resolver asks before giving up when no server answers: glibc one search
    name and the name as given (in its `res_search` order), musl and uClibc the first only."""
    names = candidates(name, conf)
    if libc != "glibc" or len(names) < 2:
        return names[:1]
    as_is = name.rstrip(".")
    first = names[0]
    return [first, as_is] if first != as_is else [first, names[1]]


def unreachable_wait(libc: Libc, found: list[Reach], timeout: int, attempts: int, names: int) -> float:
    """How long a lookup waits before it fails when no server answers: per name, every
    attempt over every server (glibc: nothing when all refuse, which ends the lookup at once);
    musl waits `timeout` per name in all."""
    if libc == "musl":
        return float(timeout * min(names, 1))
    if libc == "glibc" and all(r == "refused" for r in found):
        return 0.0
    count = len(found)
    per_try = sum(_server_wait(libc, r, i, count, timeout) for i, r in enumerate(found))
    return per_try * attempts * (names if libc == "glibc" else 1)


def resolve(
    cluster_view: Any, from_pod: Obj, name: str, hosts: str | None = None, libc: Libc = "glibc"
) -> DnsAnswer:
    """Resolve `name` as a program in `from_pod` does (`getaddrinfo` of its C library
    `libc`): `/etc/hosts` first (`hosts`, else the file the kubelet wrote for the pod), then
    the nameservers of its `resolv.conf` with its search path, waiting on the ones that do
    not answer as that library does (`seconds`). `cluster_view`: a `DnsView` (the cluster's
    `CoreDns`), or an object carrying one as `.dns` (the traffic module's `Network`), or None
    (no DNS). Pure: depends only on what CoreDNS has seen and which servers answer."""
    view: DnsView | None = cluster_view
    if cluster_view is not None and not hasattr(cluster_view, "reach"):
        view = getattr(cluster_view, "dns", None)
    if hosts is None:
        spec, status = from_pod.get("spec") or {}, from_pod.get("status") or {}
        hosts = hosts_file(from_pod, spec.get("nodeName") or "", status.get("hostIP") or "")
    key = name.rstrip(".").lower()
    for ip, names in hosts_entries(hosts or ""):
        if key in (n.lower() for n in names) and ":" not in ip:
            return DnsAnswer("ok", key, (ip,))
    parts = key.split(".")
    if len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts):
        return DnsAnswer("ok", key, (key,))
    conf = resolv_conf(from_pod)
    timeout, attempts = res_options(conf)
    found: list[Reach] = []
    for reach in reaches(view, from_pod, conf.nameservers):
        found.append(reach)
        if reach == "answers":
            break
    if view is None or not found or found[-1] != "answers":
        names = unreachable_names(libc, name, conf)
        waited = unreachable_wait(libc, found, timeout, attempts, len(names))
        if libc == "glibc" and found and all(r == "refused" for r in found):
            names = names[:1]  # ECONNREFUSED ends the search at once
        first = conf.nameservers[0] if conf.nameservers else ""
        return DnsAnswer("unreachable", key, server=first, tried=tuple(names), seconds=waited)
    server = conf.nameservers[len(found) - 1]
    delay = delay_before_answer(libc, found, timeout)  # every query name waits it again
    tried: list[str] = []
    for fq in candidates(name, conf):
        tried.append(fq)
        reply = _answered(view, server, fq)
        target, addresses = _follow(view, server, reply)
        if addresses:
            canonical = target if target != fq else ""
            return DnsAnswer("ok", fq, addresses, canonical, server, tuple(tried), delay * len(tried))
    return DnsAnswer("nxdomain", key, server=server, tried=tuple(tried), seconds=delay * len(tried))


def _answered(view: DnsView, server: str, name: str, qtype: str = "A") -> Reply:
    """A query to `server`: CoreDNS answers from its view; the node's upstream resolver knows
    no names."""
    if server == CLUSTER_DNS:
        return query(view, name, qtype)
    return Reply(name, qtype, "NXDOMAIN", authoritative=False)


def _follow(view: DnsView, server: str, reply: Reply, depth: int = 0) -> tuple[str, tuple[str, ...]]:
    """The A addresses of a reply, following CNAMEs (as the resolver does) at most 8 deep."""
    addresses = tuple(r.value for r in reply.records if r.type == "A")
    if addresses or depth > 8:
        return reply.name, addresses
    cname = next((r.value for r in reply.records if r.type == "CNAME"), None)
    if cname is None:
        return reply.name, ()
    return _follow(view, server, _answered(view, server, cname), depth + 1)
