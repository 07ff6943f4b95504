"""NetworkPolicy enforcement: whether a new connection may pass, and which policy rule let it.

Kubernetes stores NetworkPolicies but leaves enforcing them to the network plugin. The lab's
cluster runs **Canal**: flannel carries the pod network (the `10.244.0.0/16` pod CIDR kubeadm
is told for flannel, one `/24` per node handed out by the `host-local` IPAM plugin) and
Calico's agent, Felix, on every node turns the policies into iptables rules on the pods'
interfaces. Canal is the combination that keeps flannel's addressing and still enforces
policies; flannel alone accepts NetworkPolicy objects and silently enforces nothing, which
would make every policy lesson a lie.

The semantics (`networking.k8s.io/v1`, as the API reference and Calico implement them):
- A pod is *isolated for ingress* when any policy of its namespace selects it
  (`spec.podSelector`) and lists `Ingress` in `policyTypes`; likewise for egress. A pod no
  policy isolates accepts (or sends) everything in that direction.
- A connection passes when the source's egress allows it *and* the destination's ingress
  allows it. An isolated side allows it when at least one rule of one policy that selects the
  pod for that direction matches (rules and policies are ORed, never ANDed).
- A rule matches when one of its ports matches (none listed: every port of every protocol)
  and one of its peers matches (none listed: every peer). A port is a number, a number range
  (`port` to `endPort`) or a name, with a protocol (TCP by default); a named port is the
  destination pod's container port of that name and protocol. A peer is a `podSelector`
  (pods of the policy's namespace), a `namespaceSelector` (every pod of the selected
  namespaces), both (the selected pods of the selected namespaces), or an `ipBlock` (a CIDR
  less its `except` CIDRs) matched against the other end's address.
- Host-network pods are not selected by any policy and are not pods to selectors: their
  traffic is their node's (its address, which only `ipBlock` peers match). Traffic from a
  pod's own node (the kubelet's probes) is always allowed in, as the API defines.
- Policies judge the first packet of a connection; its replies follow the connection
  tracking entry, so the answer of an allowed connection is never dropped, and a policy
  written after a connection opened does not cut it.

A denied connection is *dropped*, not refused: the client sees nothing and times out
(busybox `wget: download timed out`). Each drop is counted against the policies that
isolated the side that refused it (`PolicyDrops`), with the most recent drops kept for the
lab's page.

`allowed(network, source, pod, port, protocol)` is what the traffic path (`traffic.py`) asks
for a connection that reached pod `pod` on `port`, after any Service DNAT. `evaluate` is the
same without counting, for explanations.

Simplified: Calico's own policy kinds (GlobalNetworkPolicy, tiers, deny rules) are not
modelled; Felix is taken to program a policy the moment it is stored (real agents lag by
milliseconds); IPv4 only.
"""

from __future__ import annotations

import ipaddress
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..network_policies import parse_cidr
from ..selectors import selector_from_spec

Obj = dict[str, Any]

#: The network plugin the simulated cluster runs (see the module docstring).
CNI_PLUGIN = "canal"
INGRESS, EGRESS = "ingress", "egress"
RECENT_DROPS = 50


class ObjectStore(Protocol):
    def get(self, plural: str, namespace: str | None, name: str) -> Obj | None: ...

    def iter(self, plural: str, namespace: str | None = None) -> Iterator[Obj]: ...


class NetworkView(Protocol):
    """What enforcement reads of the cluster: its objects and its nodes' addresses."""

    store: Any
    kubelets: Any


class SourceLike(Protocol):
    """Who opens the connection (`traffic.Source`): `kind` `pod`, `node` or `outside`."""

    kind: str
    ip: str
    node: str
    pod: Obj | None


@dataclass(frozen=True)
class End:
    """One end of a connection as policies see it: its address, and the pod when it is a
    pod on the pod network (None for nodes, host-network pods and the outside world)."""

    ip: str
    pod: Obj | None = None
    node: str = ""  # the node it is on (for a pod or a node)

    @property
    def name(self) -> str:
        if self.pod is None:
            return self.ip
        meta = self.pod["metadata"]
        return f"{meta.get('namespace', '')}/{meta['name']}"


@dataclass(frozen=True)
class RuleRef:
    """A rule of a policy: `policy` is `namespace/name`, `index` its place in the list."""

    policy: str
    direction: str
    index: int

    def __str__(self) -> str:
        return f"{self.policy} {self.direction}[{self.index}]"


@dataclass(frozen=True)
class Side:
    """One direction's judgement: the policies that isolate the pod for it, the rule that
    allowed the connection, or why no rule was needed (`exempt`)."""

    direction: str
    pod: str = ""  # the isolated pod's `namespace/name` ("" when the end is not a pod)
    isolating: tuple[str, ...] = ()
    allowed_by: RuleRef | None = None
    exempt: str = ""

    @property
    def allowed(self) -> bool:
        return not self.isolating or self.allowed_by is not None or bool(self.exempt)


@dataclass(frozen=True)
class Verdict:
    """Whether a connection passes, and why (`reason`, one sentence for the page)."""

    source: End
    destination: End
    port: int
    protocol: str
    egress: Side
    ingress: Side

    @property
    def allowed(self) -> bool:
        return self.egress.allowed and self.ingress.allowed

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def dropped_by(self) -> tuple[str, ...]:
        """The policies a drop counts against: those isolating the side that refused it — the
        source's egress first (a packet dropped there never reaches the destination's rules)."""
        for side in (self.egress, self.ingress):
            if not side.allowed:
                return side.isolating
        return ()

    @property
    def reason(self) -> str:
        what = f"{self.protocol} port {self.port}"
        for side, other, verb in ((self.egress, self.destination, "to"), (self.ingress, self.source, "from")):
            if not side.allowed:
                return (
                    f"dropped: {side.pod} is isolated for {side.direction} by {', '.join(side.isolating)}, "
                    f"and no {side.direction} rule allows {what} {verb} {other.name}"
                )
        rules = [str(s.allowed_by) for s in (self.egress, self.ingress) if s.allowed_by is not None]
        if rules:
            return "allowed by " + " and ".join(rules)
        if self.ingress.exempt:
            return f"allowed: {self.ingress.exempt}"
        return "allowed: no NetworkPolicy isolates either end"


@dataclass(frozen=True)
class Drop:
    """A dropped connection, as the page lists it."""

    at: float
    source: str
    destination: str
    port: int
    protocol: str
    policies: tuple[str, ...]
    reason: str


@dataclass
class PolicyDrops:
    """Connections dropped by NetworkPolicy: a count per policy (`namespace/name`) and the most
    recent drops."""

    counts: dict[str, int] = field(default_factory=dict)
    recent: deque[Drop] = field(default_factory=lambda: deque(maxlen=RECENT_DROPS))
    total: int = 0

    def record(self, verdict: Verdict, at: float) -> None:
        self.total += 1
        for name in verdict.dropped_by:
            self.counts[name] = self.counts.get(name, 0) + 1
        self.recent.append(
            Drop(
                at,
                verdict.source.name,
                verdict.destination.name,
                verdict.port,
                verdict.protocol,
                verdict.dropped_by,
                verdict.reason,
            )
        )


# -- the semantics ---------------------------------------------------------------------------


def _labels(obj: Obj | None) -> dict[str, str]:
    return ((obj or {}).get("metadata") or {}).get("labels") or {}


def _selects(selector: Obj | None, labels: dict[str, str]) -> bool:
    """A selector of a stored (validated) policy; a missing one selects nothing."""
    if selector is None:
        return False
    return selector_from_spec(selector).matches(labels)


def _policies(store: ObjectStore, namespace: str) -> list[Obj]:
    return sorted(store.iter("networkpolicies", namespace), key=lambda p: p["metadata"]["name"])


def isolating_policies(store: ObjectStore, pod: Obj, direction: str) -> list[Obj]:
    """The policies of the pod's namespace that select it and list `direction` in policyTypes."""
    if (pod.get("spec") or {}).get("hostNetwork"):
        return []
    ptype = direction.capitalize()
    meta = pod.get("metadata") or {}
    return [
        p
        for p in _policies(store, meta.get("namespace", ""))
        if ptype in ((p.get("spec") or {}).get("policyTypes") or ())
        and _selects((p.get("spec") or {}).get("podSelector"), _labels(pod))
    ]


def _in_block(block: Obj, ip: str) -> bool:
    network = parse_cidr(str(block.get("cidr", "")))
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    if network is None or address.version != network.version or address not in network:
        return False
    for text in block.get("except") or ():
        excepted = parse_cidr(str(text))
        if excepted is not None and excepted.version == address.version and address in excepted:
            return False
    return True


def _peer_matches(store: ObjectStore, peer: Obj, policy_ns: str, other: End) -> bool:
    if peer.get("ipBlock") is not None:
        return _in_block(peer["ipBlock"], other.ip)
    if other.pod is None:
        return False  # selectors pick pods of the pod network only
    other_ns = other.pod["metadata"].get("namespace", "")
    ns_selector, pod_selector = peer.get("namespaceSelector"), peer.get("podSelector")
    if ns_selector is not None:
        if not _selects(ns_selector, _labels(store.get("namespaces", None, other_ns))):
            return False
    elif other_ns != policy_ns:
        return False  # a podSelector alone picks pods of the policy's own namespace
    return pod_selector is None or _selects(pod_selector, _labels(other.pod))


def named_port(pod: Obj | None, name: str, protocol: str) -> int | None:
    """The pod's container port called `name` with `protocol`, if it has one."""
    for c in (pod or {}).get("spec", {}).get("containers") or ():
        for p in c.get("ports") or ():
            if p.get("name") == name and (p.get("protocol") or "TCP") == protocol:
                return int(p.get("containerPort", 0))
    return None


def _port_matches(entry: Obj, destination: End, port: int, protocol: str) -> bool:
    if (entry.get("protocol") or "TCP") != protocol:
        return False
    wanted = entry.get("port")
    if wanted is None:
        return True
    if isinstance(wanted, str):
        return named_port(destination.pod, wanted, protocol) == port
    end = entry.get("endPort")
    return wanted <= port <= end if end is not None else wanted == port


def _rule_matches(
    store: ObjectStore,
    rule: Obj,
    peers_key: str,
    policy_ns: str,
    other: End,
    destination: End,
    port: int,
    protocol: str,
) -> bool:
    ports = rule.get("ports") or []
    if ports and not any(_port_matches(p, destination, port, protocol) for p in ports):
        return False
    peers = rule.get(peers_key) or []
    return not peers or any(_peer_matches(store, p, policy_ns, other) for p in peers)


def _judge(
    store: ObjectStore, pod: Obj, direction: str, other: End, destination: End, port: int, protocol: str
) -> Side:
    """One side: `pod` (the isolated end) against `other` (the peer its rules name)."""
    meta = pod["metadata"]
    name = f"{meta.get('namespace', '')}/{meta['name']}"
    policies = isolating_policies(store, pod, direction)
    if not policies:
        return Side(direction, name)
    isolating = tuple(f"{p['metadata'].get('namespace', '')}/{p['metadata']['name']}" for p in policies)
    peers_key = "from" if direction == INGRESS else "to"
    for p, ref in zip(policies, isolating, strict=True):
        for i, rule in enumerate((p.get("spec") or {}).get(direction) or []):
            ns = p["metadata"].get("namespace", "")
            if _rule_matches(store, rule or {}, peers_key, ns, other, destination, port, protocol):
                return Side(direction, name, isolating, RuleRef(ref, direction, i))
    return Side(direction, name, isolating)


def _pod_node(pod: Obj) -> str:
    return str((pod.get("spec") or {}).get("nodeName") or "")


def evaluate(store: ObjectStore, source: End, destination: End, port: int, protocol: str = "TCP") -> Verdict:
    """The policies' judgement of a new connection from `source` to `destination`:`port`."""
    protocol = protocol.upper()
    if source.pod is not None:
        egress = _judge(store, source.pod, EGRESS, destination, destination, port, protocol)
    else:
        egress = Side(EGRESS)
    if destination.pod is None:
        ingress = Side(INGRESS)
    elif source.pod is None and source.node and source.node == _pod_node(destination.pod):
        pod = destination.pod["metadata"]
        name = f"{pod.get('namespace', '')}/{pod['name']}"
        isolating = tuple(
            f"{p['metadata'].get('namespace', '')}/{p['metadata']['name']}"
            for p in isolating_policies(store, destination.pod, INGRESS)
        )
        ingress = Side(
            INGRESS, name, isolating, exempt="traffic from the pod's own node is always allowed in"
        )
    else:
        ingress = _judge(store, destination.pod, INGRESS, source, destination, port, protocol)
    return Verdict(source, destination, port, protocol, egress, ingress)


def end_of_pod(pod: Obj, node_ip: str = "") -> End:
    """A pod as an end: on the pod network, or (host network) as its node's address."""
    node = _pod_node(pod)
    if (pod.get("spec") or {}).get("hostNetwork"):
        return End(node_ip or str((pod.get("status") or {}).get("podIP") or ""), None, node)
    return End(str((pod.get("status") or {}).get("podIP") or ""), pod, node)


def _node_ip(network: NetworkView, node: str) -> str:
    kubelet = (network.kubelets or {}).get(node) if node else None
    return str(kubelet.config.internal_ip) if kubelet is not None else ""


def source_end(network: NetworkView, source: SourceLike) -> End:
    """`traffic.Source` as an end: a pod, a node, or a client outside the cluster."""
    if source.kind == "pod" and source.pod is not None:
        end = end_of_pod(source.pod, _node_ip(network, source.node))
        return End(source.ip or end.ip, end.pod, end.node)
    return End(source.ip, None, source.node if source.kind == "node" else "")


def allowed(
    network: NetworkView,
    source: SourceLike,
    pod: Obj | None,
    port: int,
    protocol: str = "TCP",
    ip: str = "",
) -> Verdict:
    """THE enforcement point, as each node's Felix applies it: the verdict on a new connection
    from `source` to `pod` (or, with `pod` None, to the non-pod address `ip`) on `port`. A
    denied connection is counted in `network.policy_drops` when the network keeps one. The
    verdict is truthy when the connection passes."""
    destination = end_of_pod(pod, _node_ip(network, _pod_node(pod))) if pod is not None else End(ip)
    verdict = evaluate(network.store, source_end(network, source), destination, port, protocol)
    drops = getattr(network, "policy_drops", None)
    if not verdict.allowed and isinstance(drops, PolicyDrops):
        clock = getattr(network, "clock", None)
        drops.record(verdict, float(clock.now) if clock is not None else 0.0)
    return verdict


def policies_selecting(store: ObjectStore, pods: Iterable[Obj]) -> dict[str, list[str]]:
    """For the page: each pod's (`namespace/name`) isolating policies, ingress and egress."""
    out: dict[str, list[str]] = {}
    for pod in pods:
        meta = pod["metadata"]
        names = [
            f"{p['metadata'].get('namespace', '')}/{p['metadata']['name']}"
            for direction in (INGRESS, EGRESS)
            for p in isolating_policies(store, pod, direction)
        ]
        out[f"{meta.get('namespace', '')}/{meta['name']}"] = sorted(set(names))
    return out
