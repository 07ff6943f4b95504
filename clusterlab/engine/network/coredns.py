"""CoreDNS's view of the cluster and whether its pods can be reached: the `DnsView` that
`dns.resolve` and `dns.query` answer from.

The `kubernetes` plugin of each CoreDNS pod lists and watches Services, EndpointSlices and
Namespaces as the `coredns` service account (kubeadm's `system:coredns` ClusterRole lets it)
and answers only from those caches: a Service exists for DNS once the watch delivered it.

A pod's query goes to its nameserver, 10.96.0.10:53/UDP, and meets its node's netfilter rules
as kube-proxy last wrote them (`netfilter.Walk`): with no endpoint for `kube-dns:dns` the
filter table REJECTs it (port unreachable); otherwise it is DNAT-ed to a CoreDNS pod, which
answers if its container is running on a powered node. A query from a host-network pod or to
the node's own resolver needs none of that.

Simplified: one set of informers stands for all CoreDNS replicas, started with the cluster
when its scenario installs the add-on (a real replica starts its own when its pod starts and
answers `/ready` only once they synced); a query counts as answered when any endpoint the
rules may pick is alive (the real client's one UDP flow goes to one endpoint, which may be a
dead one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ..audit import User
from ..informers import Informer
from ..node.iptables_rules import SERVICE_NAME_LABEL
from ..node.pod_dns_config import CLUSTER_DNS, NODE_NAMESERVER
from .dns import Reach
from .netfilter import Packet, Recent, Walk
from .policy import allowed as policy_allowed

if TYPE_CHECKING:
    from ..apiserver import APIServer
    from ..node.proxy import KubeProxy
    from ..store import Store

Obj = dict[str, Any]
COREDNS_USER = User("system:serviceaccount:kube-system:coredns", "coredns")
DNS_PORT = 53


def installs_coredns(objects: Iterable[Obj]) -> bool:
    """Whether a scenario's objects include kubeadm's CoreDNS Deployment."""
    return any(
        o.get("kind") == "Deployment"
        and o.get("metadata", {}).get("name") == "coredns"
        and o.get("metadata", {}).get("namespace") == "kube-system"
        for o in objects
    )


class CoreDns:
    """The CoreDNS pods' informers, and the path a query takes to them."""

    def __init__(
        self,
        server: APIServer,
        store: Store,
        proxies: dict[str, KubeProxy],
        powered: Callable[[str], bool],
    ) -> None:
        self.server = server
        self.store = store
        self.proxies = proxies
        self.powered = powered
        self._services = Informer(server, COREDNS_USER, "services")
        self._slices = Informer(server, COREDNS_USER, "endpointslices")
        self._slices.add_index("service", _slice_service)
        self._namespaces = Informer(server, COREDNS_USER, "namespaces")
        self.started = False
        #: the pod network (`traffic.Network`), set by the cluster: queries are judged by policy
        self.network: Any = None

    def start(self) -> None:
        self.started = True
        for informer in (self._services, self._slices, self._namespaces):
            informer.start()

    # -- DnsView ----------------------------------------------------------------------------

    def services(self) -> Iterable[Obj]:
        return self._services.cache.values()

    def endpoint_slices(self, namespace: str, service: str) -> Iterable[Obj]:
        return self._slices.by_index("service", f"{namespace}/{service}")

    def namespace_exists(self, namespace: str) -> bool:
        return self._namespaces.get(namespace) is not None

    def reach(self, node: str | None, nameserver: str, pod: Obj | None = None) -> Reach:
        """Whether a query from `node` (from `pod` there, when a pod asks) to `nameserver`:53/UDP
        is answered: the node's kube-proxy rules pick a CoreDNS endpoint, which must be running,
        and — for a pod — the NetworkPolicies on both ends must let the UDP packet through (a
        default-deny egress policy breaks name lookups unless it allows port 53); a dropped query
        times out like an unanswered one."""
        if nameserver == NODE_NAMESERVER:
            return "answers" if node is None or self.powered(node) else "timeout"
        if not self.started or node is None or not self.powered(node):
            return "timeout"
        proxy = self.proxies.get(node)
        if proxy is None:
            return "timeout"
        walk = Walk(proxy.tables)
        packet = Packet("", nameserver, DNS_PORT, "udp")
        outcomes = [o for _, o in walk.outcomes(packet, Recent(), 0.0)]
        if outcomes and all(o.verdict == "REJECT" for o in outcomes):
            return "refused"
        for o in outcomes:
            if o.verdict == "DNAT" and self._answers(o.ip):
                return "answers" if self._policy_allows(pod, o.ip) else "timeout"
            if o.verdict == "PASS" and nameserver != CLUSTER_DNS and self._answers(nameserver):
                return "answers"
        return "timeout"

    def _policy_allows(self, pod: Obj | None, ip: str) -> bool:
        """The NetworkPolicy verdict on `pod`'s query to the CoreDNS pod at `ip` (counted as a
        drop when denied); node-level resolvers and callers without a pod are not judged."""
        network = self.network
        if pod is None or network is None:
            return True
        pods = self.store.iter("pods")
        target = next((p for p in pods if (p.get("status") or {}).get("podIP") == ip), None)
        if target is None:
            return True
        return bool(policy_allowed(network, network.pod_source(pod), target, DNS_PORT, "UDP"))

    def _answers(self, ip: str) -> bool:
        """A CoreDNS process holds `ip`: its pod runs a running `coredns` container on a
        powered node."""
        for pod in self.store.iter("pods"):
            status = pod.get("status") or {}
            if status.get("podIP") != ip or status.get("phase") != "Running":
                continue
            node = (pod.get("spec") or {}).get("nodeName")
            if not node or not self.powered(node):
                continue
            images = {c["name"]: c.get("image", "") for c in pod["spec"].get("containers") or ()}
            for cs in status.get("containerStatuses") or ():
                if "coredns" in images.get(cs.get("name"), "") and (cs.get("state") or {}).get("running"):
                    return True
        return False


def _slice_service(eps: Obj) -> list[str]:
    name = (eps["metadata"].get("labels") or {}).get(SERVICE_NAME_LABEL)
    return [f"{eps['metadata'].get('namespace')}/{name}"] if name else []
