"""The facade's traffic verbs: a learner's load source, and the counters of what pods answered.

`send_traffic(target, rps)` is a load generator the learner points at a Service: by name (its
cluster IP, from a client on a node, as a pod there would send it), or by address — a cluster
IP, a node's address and node port, or a LoadBalancer's external IP (from a client outside
the cluster). `traffic()` reads the per-Service and per-pod counters (`network/live_traffic.py`);
requests from processes in pods (`wget`, `curl`) are counted there too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import BadRequest
from .network.live_traffic import LoadSource, LoadSources, Snapshot, TrafficStats, pod_lookup
from .network.traffic import Network, Source

if TYPE_CHECKING:
    from .apiserver import APIServer
    from .clock import Clock
    from .node.kubelet import Kubelet
    from .node.proxy import KubeProxy
    from .store import Store

Obj = dict[str, Any]
#: The most requests per second one load source sends.
MAX_RPS = 100_000.0


class TrafficVerbs:
    """Mixed into `Cluster`."""

    # Provided by Cluster.
    clock: Clock
    server: APIServer
    store: Store
    seed: int
    kubelets: dict[str, Kubelet]
    proxies: dict[str, KubeProxy]
    powered: dict[str, bool]
    control_plane_nodes: list[str]

    def _init_traffic(self) -> None:
        self.network = Network(self.store, self.kubelets, self.proxies, self.powered, self.clock, self.seed)
        self.traffic_stats = TrafficStats(self.clock, pod_lookup(self.network))
        self.network.stats = self.traffic_stats
        self.load_sources = LoadSources(self.network, self.traffic_stats)
        self.server.network = self.network  # type: ignore[attr-defined]  # exec's wget and curl

    def send_traffic(
        self, target: str, rps: float, namespace: str = "default", path: str = "/", node: str | None = None
    ) -> None:
        """Send `rps` requests per second (0 stops) of `GET path` to `target`: a Service name
        (`web`, `web:8080`) reached at its cluster IP from a client on `node` (default: the
        first Ready worker), or an address `IP:PORT` — a cluster IP (from that node), a node's
        address with a node port, or a load balancer's IP (both from outside the cluster)."""
        try:
            rate = float(rps)
        except (TypeError, ValueError):
            raise BadRequest(f"invalid rate {rps!r}: must be a number of requests per second") from None
        if not 0 <= rate <= MAX_RPS:
            raise BadRequest(f"invalid rate {rps!r}: must be between 0 and {MAX_RPS:g} requests per second")
        if not path.startswith("/"):
            raise BadRequest(f'invalid path "{path}": must start with "/"')
        source, ip, port = self._traffic_target(target, namespace, node)
        self.load_sources.set(LoadSource(target, source, ip, port, rate, path))

    def traffic(self, namespace: str | None = None) -> Snapshot:
        """Requests, errors, mean latency and rate per Service and per pod, (namespace, name)."""
        return self.traffic_stats.snapshot(namespace)

    def _client_node(self, node: str | None) -> str:
        if node is not None:
            if node not in self.kubelets:
                raise BadRequest(f'nodes "{node}" not found')
            return node
        ready = [n for n in self.network._ready_nodes() if n not in self.control_plane_nodes]
        candidates = ready or self.network._ready_nodes() or sorted(self.kubelets)
        return candidates[0]

    def _traffic_target(self, target: str, namespace: str, node: str | None) -> tuple[Source, str, int]:
        text = target.removeprefix("http://").split("/", 1)[0]
        host, _, port_text = text.partition(":")
        parts = host.split(".")
        if len(parts) == 4 and all(p.isdigit() for p in parts):
            if not port_text.isdigit():
                raise BadRequest(f'invalid target "{target}": an address needs a port (IP:PORT)')
            port = int(port_text)
            node_ips = {k.config.internal_ip for k in self.kubelets.values()}
            if host in node_ips or host in self.network._load_balancer_ips():
                return self.network.outside_source(), host, port
            return self.network.node_source(self._client_node(node)), host, port
        svc = self.store.get("services", namespace, host)
        if svc is None:
            raise BadRequest(f'services "{host}" not found')
        spec = svc.get("spec") or {}
        if spec.get("type") == "ExternalName" or spec.get("clusterIP") in (None, "", "None"):
            raise BadRequest(f'service "{host}" has no cluster IP to send traffic to')
        ports = spec.get("ports") or []
        chosen = next(
            (
                p
                for p in ports
                if not port_text or str(p.get("port")) == port_text or p.get("name") == port_text
            ),
            None,
        )
        if chosen is None:
            raise BadRequest(f'service "{host}" has no port {port_text}')
        return self.network.node_source(self._client_node(node)), spec["clusterIP"], int(chosen["port"])
