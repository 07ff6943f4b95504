"""The facade's traffic verbs: a learner's load source, and the counters of what pods answered.

`send_traffic(target, rps)` is a load generator the learner points at a Service: by name (its
cluster IP, from a client on a node, as a pod there would send it), or by address — a cluster
IP, a node's address and node port, or a LoadBalancer's external IP (from a client outside
the cluster). `traffic()` reads the per-Service and per-pod counters (`network/live_traffic.py`);
requests from processes in pods (`wget`, `curl`) are counted there too.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .errors import BadRequest
from .network.ingress_load import entry as ingress_entry
from .network.ingress_load import hosts_known
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
        address with a node port, or a load balancer's IP (both from outside the cluster) — or
        an Ingress host (`hello-world.example`, `http://hello-world.example/v2`), reached from
        outside through the ingress controller's node port and routed by its pods
        (`network/ingress_load.py`)."""
        try:
            rate = float(rps)
        except (TypeError, ValueError):
            raise BadRequest(f"invalid rate {rps!r}: must be a number of requests per second") from None
        if not 0 <= rate <= MAX_RPS:
            raise BadRequest(f"invalid rate {rps!r}: must be between 0 and {MAX_RPS:g} requests per second")
        if not path.startswith("/"):
            raise BadRequest(f'invalid path "{path}": must start with "/"')
        running = self.load_sources.sources.get(target)
        if rate == 0 and running is not None:
            self.load_sources.set(replace(running, rps=0.0))  # stopping needs no target lookup
            return
        ingress_host = self._ingress_host(target, namespace)
        if ingress_host:
            url_path = target.removeprefix("http://").partition("/")[2]
            if url_path and path == "/":
                path = "/" + url_path
            fallback = self._client_node(node)
            at = ingress_entry(self.network, ingress_host, fallback)  # looked up again each batch
            source = self.network.outside_source()
            self.load_sources.set(
                LoadSource(target, source, at.address, at.port, rate, path, ingress_host, fallback)
            )
            return
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

    def _ingress_host(self, target: str, namespace: str) -> str:
        """The host when `target` names no Service and some Ingress serves it as a host
        (`hello-world.example`, `http://hello-world.example/v2`); "" otherwise."""
        host = target.removeprefix("http://").split("/", 1)[0].partition(":")[0].lower()
        parts = host.split(".")
        if not host or (len(parts) == 4 and all(p.isdigit() for p in parts)):
            return ""
        if self.store.get("services", namespace, host) is not None:
            return ""
        return host if hosts_known(list(self.store.iter("ingresses")), host) else ""

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
            raise BadRequest(
                f'invalid target "{target}": no Service "{host}" in namespace "{namespace}" and no Ingress '
                "serves that host; expected a Service name (NAME or NAME:PORT), an address (IP:PORT) "
                "or an Ingress host (HOST or http://HOST/PATH)"
            )
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
