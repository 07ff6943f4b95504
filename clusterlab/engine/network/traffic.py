"""A connection across the pod network: from a pod, a node or outside the cluster to IP:port.

On a real cluster a client's SYN leaves its network namespace and meets its node's netfilter
hooks, where kube-proxy's rules (as that node's kube-proxy last wrote them) DNAT a Service's
cluster IP, node port or load-balancer IP to one endpoint, or REJECT it when the Service has
no endpoints; the packet is then routed by pod CIDR to the node that owns the address (the
CNI plugin's routes) and into the pod, where the kernel answers it: a process listening on
the port accepts, a closed port resets (`Connection refused`), an address nobody holds fails
ARP (`No route to host`), a dead node swallows it (the client times out). NetworkPolicy, if
any selects the pod, is enforced on the way in and drops what it does not allow.

`Network.connect` follows exactly that path:
1. the source node's tables (`node/proxy.py`, stale when its kube-proxy is stopped) walked
   by `netfilter.py`, the statistic matches drawn from the network's own seeded stream and
   the `recent` lists (ClientIP session affinity) kept per node;
2. the destination by address: a pod IP (from the node pod CIDRs, `node/ipam.py`), a node's
   address (host-network pods), or nothing (timeout);
3. source NAT: a packet the rules marked for masquerading (`KUBE-MARK-MASQ`: a NodePort or
   load-balancer connection under `externalTrafficPolicy: Cluster`, a cluster IP reached from
   outside the pod CIDR, a pod reaching itself through its Service) meets the entry node's
   `nat` POSTROUTING rules (`Walk.postrouting`), and `MASQUERADE` gives it the address of the
   interface it leaves by: flannel's VXLAN device `flannel.1` (the node's pod-CIDR network
   address, 10.244.N.0/32) towards a pod on another node, the bridge `cni0` (the pod CIDR's
   gateway, 10.244.N.1) towards a pod on the same node, `eth0` (the node's own address)
   towards another node's address. The accepting pod sees that address as its client
   (`Connection.client_ip`); under `externalTrafficPolicy: Local` nothing marks an outside
   client's packet and the pod sees the client itself;
4. `network.policy.allowed` (the NetworkPolicy module): `_policy_allows` for a pod, and for a
   node's address the source pod's egress rules alone (a node is no pod: ipBlock rules decide).
   Calico's rules for a pod sit in the `filter` table of the pod's node, which a forwarded
   packet traverses before that node's `nat` POSTROUTING: a packet masqueraded on another node
   is judged by its masqueraded address (so an `ipBlock` that allows an outside client does
   not match it), one masqueraded on the pod's own node by its address before the masquerade;
   the source pod's egress rules always judge the packet as it left the pod;
5. the pod's containers (they share its network namespace): the first whose process listens
   on the port (`node/listeners.py`) answers.
`Network.request` adds the HTTP exchange and counts it (`live_traffic.py`).

Sources: a pod (its node's PREROUTING rules, its IP as source), a node (OUTPUT, its
InternalIP), or a client outside the cluster (`OUTSIDE_CLIENT_IP`): it reaches node ports on
a node's address, and a LoadBalancer's IP through the cloud load balancer, which passes the
packet unchanged (destination still the load-balancer IP, as GCE's passthrough Network Load
Balancer does) to a Ready node chosen by a hash of the client address, where kube-proxy's
`loadbalancer IP` rule takes it.

Simplified: no conntrack (each request is a new connection), no MTU, TLS or UDP payloads;
the kernel's SYN retries end after 127 s (`tcp_syn_retries` 6), ARP after 3 s.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..informers import key_of
from ..node.container_files import ContainerFiles
from ..node.iptables_rules import Tables
from ..node.listeners import Answer, Listener
from ..node.pod_network import pod_listener
from .netfilter import Packet, Recent, Walk, pick
from .policy import PolicyDrops, Verdict, end_of_pod, evaluate, source_end
from .policy import allowed as policy_allowed

if TYPE_CHECKING:
    from ..clock import Clock
    from ..node.kubelet import Kubelet
    from ..node.pod_state import PodState
    from ..node.proxy import KubeProxy
    from ..store import Store
    from .ingress_load import IngressLoad
    from .live_traffic import TrafficStats

Obj = dict[str, Any]

#: A client on the Internet (RFC 5737's TEST-NET-3), for traffic from outside the cluster.
OUTSIDE_CLIENT_IP = "203.0.113.10"
#: How long connect() waits for an unanswered SYN: 1+2+4+8+16+32+64 s (tcp_syn_retries 6).
SYN_TIMEOUT = 127.0
#: How long the kernel tries ARP for an address nobody holds before EHOSTUNREACH.
ARP_TIMEOUT = 3.0
#: One-way network latency inside a node (veth, bridge) and between nodes (plus the wire).
SAME_NODE_RTT = 0.0001
CROSS_NODE_RTT = 0.0005

#: The lowest HTTP status the traffic counters count as an error (a server error).
SERVER_ERROR = 500

REFUSED = "Connection refused"
TIMED_OUT = "Connection timed out"
NO_ROUTE = "No route to host"


def failed(error: str, status: int | None) -> bool:
    """Whether the traffic counters count a request as an error, on every path (a single
    request, a load batch, an ingress controller's): no connection (`error`), no response
    (`status` None) or a server error (5xx). A 4xx is a response, counted as served."""
    return bool(error) or status is None or status >= SERVER_ERROR


@dataclass(frozen=True)
class Source:
    """Who opens the connection: `kind` is `pod`, `node` or `outside`; `node` whose netfilter
    rules it meets first (none for outside); `ip` its source address."""

    kind: str
    ip: str
    node: str = ""
    pod: Obj | None = None


@dataclass(frozen=True)
class Masquerade:
    """A source NAT on the way: the entry `node` whose `KUBE-POSTROUTING` masqueraded the
    packet to `address` (of `interface`), because chain `marked_by` had it marked."""

    node: str
    address: str
    interface: str
    marked_by: str

    @property
    def why(self) -> str:
        """Which of kube-proxy's reasons for the mark it was."""
        chain = self.marked_by
        if chain.startswith("KUBE-EXT-"):
            return "Cluster policy"
        if chain.startswith("KUBE-SEP-"):
            return "hairpin"
        if chain.startswith(("KUBE-SVC-", "KUBE-SVL-")):
            return "from outside the pod network"
        return chain

    def __str__(self) -> str:
        return f"source NATed to {self.address} by KUBE-POSTROUTING ({self.why})"


@dataclass(frozen=True)
class Connection:
    """What connect() got: `error` empty when connected (else the errno's text), after
    `seconds`; the pod that accepted, its listener and the service port the rules used."""

    error: str
    seconds: float = 0.0
    pod: Obj | None = None
    ip: str = ""
    port: int = 0
    service: str = ""  # `ns/name[:port]` when a Service's rules took the packet
    node: str = ""  # the node that holds the accepting pod
    listener: Listener | None = None
    elapsed: float = 0.0  # how long the listening process has run (for its answers)
    client_ip: str = ""  # the source address the accepting end saw ("" when none accepted)
    nat: Masquerade | None = None  # the source NAT on the way, if any


@dataclass(frozen=True)
class Reply:
    """An HTTP exchange: the connection, and the response (None: the server closed without one)."""

    connection: Connection
    answer: Answer | None = None
    seconds: float = 0.0


class Network:
    """The pod network of one cluster: who holds which address, and each node's kernel state."""

    def __init__(
        self,
        store: Store,
        kubelets: dict[str, Kubelet],
        proxies: dict[str, KubeProxy],
        powered: dict[str, bool],
        clock: Clock,
        seed: int,
    ) -> None:
        self.store = store
        self.kubelets = kubelets
        self.proxies = proxies
        self.powered = powered
        self.clock = clock
        # Packets' random choices come from a stream of their own, so traffic shifts no name.
        self.rng = random.Random(f"network:{seed}")
        self.recent: dict[str, Recent] = {}
        self._walks: dict[str, tuple[Tables, Walk]] = {}
        self.stats: TrafficStats | None = None  # counts requests (live_traffic.py)
        self.policy_drops = PolicyDrops()  # connections NetworkPolicy dropped (policy.py)
        self.dns: Any = None  # what CoreDNS has seen (`network/dns.py`'s view), when it runs
        # (network, source, accepted connection, Host, path) → the proxied Reply, or None
        self.ingress_hook: Callable[[Network, Source, Connection, str, str], Reply | None] | None = None
        # a batch of load a controller pod accepted, routed in aggregate (`ingress_load.py`)
        self.ingress_load: IngressLoad | None = None

    # -- addresses --------------------------------------------------------------------------

    def node_ip(self, node: str) -> str:
        return self.kubelets[node].config.internal_ip

    def node_addresses(self, node: str) -> frozenset[str]:
        return frozenset({self.node_ip(node), "127.0.0.1"})

    def pod_source(self, pod: Obj) -> Source:
        """A pod's connections: from its IP through its node's PREROUTING rules (a
        host-network pod's, from the node's address through OUTPUT)."""
        node = (pod.get("spec") or {}).get("nodeName") or ""
        if (pod.get("spec") or {}).get("hostNetwork") and node in self.kubelets:
            return Source("node", self.node_ip(node), node, pod)
        ip = (pod.get("status") or {}).get("podIP") or ""
        return Source("pod", ip, node, pod)

    def node_source(self, node: str) -> Source:
        return Source("node", self.node_ip(node), node)

    def outside_source(self, ip: str = OUTSIDE_CLIENT_IP) -> Source:
        return Source("outside", ip)

    def _load_balancer_ips(self) -> set[str]:
        out: set[str] = set()
        for svc in self.store.iter("services"):
            for ing in ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or ():
                if ing.get("ip"):
                    out.add(ing["ip"])
        return out

    def _ready_nodes(self) -> list[str]:
        out = []
        for node in self.store.iter("nodes"):
            conds = (node.get("status") or {}).get("conditions") or ()
            if any(c.get("type") == "Ready" and c.get("status") == "True" for c in conds):
                out.append(node["metadata"]["name"])
        return sorted(n for n in out if self.powered.get(n))

    def entry_node(self, source: Source, ip: str) -> str:
        """The node whose rules decide the packet ("" when it reaches none): a node's address
        (its node ports) is decided by that node's rules, as nothing on the way matches it;
        otherwise the source's own node's."""
        for name, kubelet in self.kubelets.items():
            if kubelet.config.internal_ip == ip:
                return name
        if source.kind != "outside":
            return source.node
        if ip in self._load_balancer_ips():
            nodes = self._ready_nodes()
            if nodes:
                digest = hashlib.sha256(f"{source.ip}->{ip}".encode()).digest()
                return nodes[int.from_bytes(digest[:4], "big") % len(nodes)]
        return ""

    def walk(self, node: str) -> Walk | None:
        """The node's tables as packets see them (None: the node has no kernel running)."""
        proxy = self.proxies.get(node)
        if proxy is None or not self.powered.get(node):
            return None
        tables = proxy.tables
        cached = self._walks.get(node)
        if cached is None or cached[0] is not tables:  # parsed once per sync's tables
            cached = self._walks[node] = (tables, Walk(tables))
        return cached[1]

    def packet(self, source: Source, node: str, ip: str, port: int, protocol: str = "tcp") -> Packet:
        return Packet(
            source.ip, ip, port, protocol.lower(), self.node_addresses(node) if node else frozenset()
        )

    # -- where an address leads -------------------------------------------------------------

    def _pod_states(self, kubelet: Kubelet) -> dict[str, PodState]:
        survivors = getattr(kubelet, "_survivors", None)
        return kubelet.pods if kubelet.running or survivors is None else survivors

    def holder(self, ip: str) -> tuple[str, Obj | None]:
        """(node, pod) for a pod address: the node whose pod CIDR holds it ("" when none) and
        the pod whose sandbox has it (None when nobody does)."""
        node = ""
        for name, kubelet in self.kubelets.items():
            if ip.rsplit(".", 1)[0] == kubelet.config.pod_cidr.rsplit(".", 1)[0]:
                node = name
                break
        if not node:
            return "", None
        for key, st in self._pod_states(self.kubelets[node]).items():
            if st.pod_ip == ip and st.sandbox_ready:
                ns, _, name = key.partition("/")
                return node, self.store.get("pods", ns, name)
        return node, None

    def _listener(self, node: str, pod: Obj, port: int) -> tuple[Listener, float] | None:
        st = self._pod_states(self.kubelets[node]).get(key_of(pod))
        if st is None:
            return None
        specs = {c["name"]: c for c in (pod.get("spec") or {}).get("containers") or ()}
        specs |= {c["name"]: c for c in (pod.get("spec") or {}).get("initContainers") or ()}
        runtime = self.kubelets[node].runtime

        def files_of(cs: Any) -> ContainerFiles:  # what its server reads (node/container_files.py)
            return ContainerFiles.of(runtime, pod, specs.get(cs.name), cs.container_id)

        # the pod's containers share its network namespace (node/pod_network.py)
        name = pod["metadata"]["name"]
        return pod_listener(st.all_containers(), specs, name, port, self.clock.now, files_of)

    def _host_pods(self, node: str) -> list[Obj]:
        return [
            p
            for p in self.store.iter("pods")
            if (p.get("spec") or {}).get("nodeName") == node and (p.get("spec") or {}).get("hostNetwork")
        ]

    # -- connecting -------------------------------------------------------------------------

    def route(self, source: Source, ip: str, port: int, protocol: str = "tcp") -> tuple[str, Packet, Any]:
        """The source side: (entry node, packet, the rules' outcome) for one new connection."""
        node = self.entry_node(source, ip)
        packet = self.packet(source, node, ip, port, protocol)
        walk = self.walk(node) if node else None
        if walk is None:
            return node, packet, None
        recent = self.recent.setdefault(node, Recent())
        return node, packet, pick(walk, packet, recent, self.clock.now, self.rng)

    def connect(self, source: Source, ip: str, port: int, protocol: str = "tcp") -> Connection:
        """Open a TCP connection from `source` to `ip`:`port`."""
        if ip.startswith("127.") and source.pod is not None and source.kind == "pod":
            # loopback: the pod's own network namespace, shared by its containers
            found = self._listener(source.node, source.pod, port)
            if found is None:
                return Connection(REFUSED, 0.0, source.pod, ip, port, node=source.node)
            return Connection("", 0.0, source.pod, ip, port, "", source.node, *found, "127.0.0.1")
        node, _packet, outcome = self.route(source, ip, port, protocol)
        service = ""
        mark, marked_by = 0, ""
        if outcome is not None:
            service = outcome.service
            if outcome.verdict == "REJECT":
                return Connection(REFUSED, 0.0, service=service)
            if outcome.verdict == "DROP":
                return Connection(TIMED_OUT, SYN_TIMEOUT, service=service)
            if outcome.verdict == "DNAT":
                ip, port = outcome.ip, outcome.port
            mark, marked_by = outcome.mark, outcome.marked_by
        return self.deliver(source, node, ip, port, service, mark, marked_by)

    # -- source NAT -------------------------------------------------------------------------

    def interface_towards(self, node: str, ip: str) -> tuple[str, str]:
        """(interface, its address) by which a packet routed on `node` to `ip` leaves it:
        `cni0` (10.244.N.1) to a pod of its own pod CIDR, `flannel.1` (10.244.N.0) to another
        node's pod CIDR, `eth0` (the node's address) otherwise; ("", "") to its own address
        (delivered locally: no POSTROUTING)."""
        kubelet = self.kubelets[node]
        if ip == kubelet.config.internal_ip or ip.startswith("127."):
            return "", ""
        base = kubelet.config.pod_cidr.rsplit(".", 1)[0]
        holder, _pod = self.holder(ip)
        if holder == node:
            return "cni0", f"{base}.1"
        if holder:
            return "flannel.1", f"{base}.0"
        return "eth0", kubelet.config.internal_ip

    def masquerade(
        self, source: Source, node: str, ip: str, port: int, mark: int, marked_by: str
    ) -> Masquerade | None:
        """The source NAT `node`'s `nat` POSTROUTING applies to a packet from `source` (after
        DNAT, to `ip`:`port`) carrying `mark`; None when it leaves unchanged."""
        if not mark or not node:
            return None
        walk = self.walk(node)
        if walk is None:
            return None
        interface, address = self.interface_towards(node, ip)
        if not interface or not walk.postrouting(self.packet(source, node, ip, port), mark):
            return None
        return Masquerade(node, address, interface, marked_by)

    def deliver(
        self,
        source: Source,
        from_node: str,
        ip: str,
        port: int,
        service: str = "",
        mark: int = 0,
        marked_by: str = "",
    ) -> Connection:
        """The destination side: after any DNAT (with the packet's `mark`, which chain
        `marked_by` set), the packet leaves `from_node` and reaches `ip`:`port`."""
        rtt = SAME_NODE_RTT
        nat = self.masquerade(source, from_node, ip, port, mark, marked_by)
        client = nat.address if nat is not None else source.ip
        for name, kubelet in self.kubelets.items():
            if kubelet.config.internal_ip == ip:
                if not self.powered.get(name):
                    return Connection(TIMED_OUT, SYN_TIMEOUT, service=service)
                # a node's address is no pod: only the source pod's egress rules (ipBlock) judge it
                if source.kind == "pod" and not policy_allowed(self, source, None, port, "TCP", ip):
                    return Connection(TIMED_OUT, SYN_TIMEOUT, ip=ip, port=port, service=service)
                for pod in self._host_pods(name):
                    found = self._listener(name, pod, port)
                    if found is not None:
                        return Connection("", rtt, pod, ip, port, service, name, *found, client, nat)
                return Connection(REFUSED, rtt, ip=ip, port=port, service=service)
        node, pod = self.holder(ip)
        if not node or (source.kind == "outside" and not from_node):
            return Connection(TIMED_OUT, SYN_TIMEOUT, ip=ip, port=port, service=service)
        if node != from_node:
            rtt = CROSS_NODE_RTT
        if not self.powered.get(node):
            return Connection(TIMED_OUT, SYN_TIMEOUT, ip=ip, port=port, service=service)
        if pod is None:
            return Connection(NO_ROUTE, ARP_TIMEOUT, ip=ip, port=port, service=service)
        # Calico judges on the pod's node: a packet masqueraded elsewhere by its new address
        seen = Source("node", nat.address, from_node) if nat is not None and node != from_node else None
        if not self._policy_allows(source, pod, port, seen=seen):
            return Connection(TIMED_OUT, SYN_TIMEOUT, pod, ip, port, service, node, nat=nat)
        found = self._listener(node, pod, port)
        if found is None:
            return Connection(REFUSED, rtt, pod, ip, port, service, node, nat=nat)
        return Connection("", rtt, pod, ip, port, service, node, *found, client, nat)

    def _policy_allows(
        self, source: Source, pod: Obj, port: int, protocol: str = "TCP", seen: Source | None = None
    ) -> bool:
        """THE NetworkPolicy call site: whether the policies on both ends let this connection
        in (a denied one is counted in `policy_drops`). `seen`: the source as the pod's node
        sees it after a masquerade on another node (the source pod's egress still judges the
        packet as it left)."""
        if seen is None:
            return bool(policy_allowed(self, source, pod, port, protocol))
        return bool(judge_masqueraded(self, source, seen, pod, port, protocol))

    def request(
        self, source: Source, ip: str, port: int, path: str = "/", host: str = "", record: bool = True
    ) -> Reply:
        """An HTTP GET of `path` at `ip`:`port`, counted in the traffic statistics."""
        conn = self.connect(source, ip, port)
        if self.ingress_hook is not None and not conn.error and conn.pod is not None:
            # THE Ingress call site: a request an ingress controller pod accepted is routed by
            # its rules (`network/ingress.py`) and proxied on; None when the pod is no controller.
            forwarded = self.ingress_hook(self, source, conn, host or ip, path)
            if forwarded is not None:
                return forwarded
        answer: Answer | None = None
        seconds = conn.seconds
        if not conn.error and conn.listener is not None and conn.listener.http is not None:
            answer = conn.listener.http(path, conn.elapsed)
        if self.stats is not None and record and (conn.pod is not None or conn.service):
            seconds += self.stats.record(conn, answer, self.clock.now)
        return Reply(conn, answer, seconds)


def judge_masqueraded(
    network: Network, source: Source, seen: Source, pod: Obj, port: int, protocol: str = "TCP"
) -> Verdict:
    """The policies' verdict on a masqueraded connection: the source pod's egress rules (if the
    source is a pod) as it left, the destination's ingress rules against the masqueraded
    address `seen`; a denied one is counted in the network's `policy_drops`."""
    node = str((pod.get("spec") or {}).get("nodeName") or "")
    destination = end_of_pod(pod, network.node_ip(node) if node in network.kubelets else "")
    egress = evaluate(network.store, source_end(network, source), destination, port, protocol).egress
    verdict = replace(
        evaluate(network.store, source_end(network, seen), destination, port, protocol), egress=egress
    )
    if not verdict.allowed:
        network.policy_drops.record(verdict, float(network.clock.now))
    return verdict
