"""The facade's NetworkPolicy reads: what the network plugin dropped, and why a connection
between two pods would pass or not.

The lab's network plugin (Canal: Calico's policy agent on flannel's network, see
`network/policy.py`) drops what the policies do not allow; the traffic path counts each drop
against the policies that isolated the refusing side. `network_policy_drops()` reads those
counts, `recent_policy_drops()` the last drops with their reasons, and
`explain_connection()` judges a connection between two pods without sending it (nothing is
counted), naming the rule that allows it or the policies that isolate the side refusing it.
Its source may also be an address (a client outside the cluster, or a node), and `via` the
Service address the client connects to (`IP:PORT`: a cluster IP, a node's address with a
node port, a load-balancer IP): the entry node's kube-proxy rules then take the connection to
the destination pod, and when they mark it for masquerading the policies judge the address
the pod's node sees, which the explanation says first ("source NATed to 10.244.1.0 by
KUBE-POSTROUTING (Cluster policy); dropped: …").
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .errors import BadRequest, NotFound
from .network.netfilter import Recent
from .network.policy import Drop, End, Verdict, end_of_pod, evaluate, source_end
from .network.traffic import Masquerade, Source

if TYPE_CHECKING:
    from .network.traffic import Network
    from .store import Store

Obj = dict[str, Any]


@dataclass(frozen=True)
class RoutedVerdict(Verdict):
    """A verdict on a connection that went through a Service's rules: `nat` is the source NAT
    on the way (None: the pod sees the client's own address)."""

    nat: Masquerade | None = None

    @property
    def reason(self) -> str:
        base = super().reason
        return f"{self.nat}; {base}" if self.nat is not None else base


def _is_address(text: str) -> bool:
    parts = text.split(".")
    return len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts)


class NetworkPolicyVerbs:
    """Mixed into `Cluster`."""

    # Provided by Cluster.
    network: Network
    store: Store

    def network_policy_drops(self, namespace: str | None = None) -> dict[tuple[str, str], int]:
        """Connections each NetworkPolicy dropped so far, by (namespace, name)."""
        out: dict[tuple[str, str], int] = {}
        for key, count in sorted(self.network.policy_drops.counts.items()):
            ns, _, name = key.partition("/")
            if namespace is None or ns == namespace:
                out[(ns, name)] = count
        return out

    def recent_policy_drops(self) -> list[Drop]:
        """The most recent dropped connections, oldest first."""
        return list(self.network.policy_drops.recent)

    def explain_connection(
        self,
        source: str,
        destination: str,
        port: int,
        namespace: str = "default",
        protocol: str = "TCP",
        via: str = "",
    ) -> Verdict:
        """Whether a new connection from `source` to pod `destination` (`name` in
        `namespace`, or `namespace/name`) on `port` would pass the policies, and why. `source`
        is a pod, or an address (a node's, else a client outside the cluster); `via` the
        `IP:PORT` the client connects to, whose rules lead to `destination`:`port`."""
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            raise BadRequest(f"invalid port {port!r}: must be between 1 and 65535")
        pod = self._pod_ref(destination, namespace)
        target = self._end(pod)
        if _is_address(source):
            node = next((n for n in self.network.kubelets if self.network.node_ip(n) == source), "")
            client = self.network.node_source(node) if node else self.network.outside_source(source)
        else:
            client = self.network.pod_source(self._pod_ref(source, namespace))
        if not via:
            return evaluate(self.store, source_end(self.network, client), target, port, protocol)
        return self._explain_via(client, pod, target, port, protocol, via)

    def _pod_ref(self, ref: str, namespace: str) -> Obj:
        ns, _, name = ref.rpartition("/")
        pod = self.store.get("pods", ns or namespace, name)
        if pod is None:
            raise NotFound(f'pods "{name}" not found')
        return pod

    def _end(self, pod: Obj) -> End:
        node = (pod.get("spec") or {}).get("nodeName") or ""
        return end_of_pod(pod, self.network.node_ip(node) if node in self.network.kubelets else "")

    def _explain_via(
        self, client: Source, pod: Obj, target: End, port: int, protocol: str, via: str
    ) -> RoutedVerdict:
        """The connection to `via` as the entry node's rules take it to `pod`:`port`, with the
        masquerade they ask for (nothing drawn, nothing counted)."""
        address, _, via_port = via.rpartition(":")
        if not _is_address(address) or not via_port.isdigit():
            raise BadRequest(f'invalid address "{via}": expected IP:PORT')
        net = self.network
        entry = net.entry_node(client, address)
        walk = net.walk(entry) if entry else None
        name = pod["metadata"]["name"]
        if walk is None:
            raise BadRequest(f"no node's rules take {via} from {client.ip} anywhere")
        packet = net.packet(client, entry, address, int(via_port), protocol)
        recent = Recent({k: dict(v) for k, v in net.recent.get(entry, Recent()).lists.items()})
        options = [o for _, o in walk.outcomes(packet, recent, net.clock.now)]
        chosen = next(
            (o for o in options if o.verdict == "DNAT" and (o.ip, o.port) == (target.ip, port)), None
        )
        if chosen is None:
            raise BadRequest(f"the rules of {entry} do not send {via} to pod {name} port {port}")
        nat = net.masquerade(client, entry, target.ip, port, chosen.mark, chosen.marked_by)
        seen = source_end(net, client)
        verdict = evaluate(self.store, seen, target, port, protocol)
        if nat is not None and target.node != entry:
            # judged on the pod's node by the masqueraded address; egress as the packet left
            masqueraded = evaluate(self.store, End(nat.address, None, entry), target, port, protocol)
            verdict = replace(masqueraded, egress=verdict.egress)
        fields = {
            f: getattr(verdict, f) for f in ("source", "destination", "port", "protocol", "egress", "ingress")
        }
        return RoutedVerdict(**fields, nat=nat)
