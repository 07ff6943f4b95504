"""Aggregate load to an Ingress host: where it enters, and how a controller pod passes it on.

A learner's load generator pointed at `hello-world.example` is a client outside the cluster
whose name resolves to the Ingress's address (the docs' `/etc/hosts` line): it connects to
that node's address on the ingress controller Service's HTTP node port, sending `Host:
hello-world.example`. kube-proxy's rules on that node spread the connections over the
controller pods (`live_traffic.py` draws them in aggregate); in each controller pod nginx
routes a request by host and path (`ingress.route`) and proxies it to one ready endpoint of
the backend Service, round-robin (ingress-nginx's default `load-balance`), so a batch is split
evenly over the endpoints, continuing the pod's round-robin position.

Counted for both hops: the controller pod (its own service time, plus the upstream's latency)
under the controller Service's rule, and each backend pod under `ns/service:port`, as the
single-request path (`NginxProxy`) counts them, with the same rule for errors
(`traffic.failed`): nginx's 503 (no ready endpoint) and 502/504 (the upstream refuses or does
not answer) are errors at the controller, its 404 for a host or path no rule serves is an
answer (served, as a single `wget` of it counts), and what exceeds either pod's capacity
times out.

Simplified: a batch's requests all reach one controller pod's routing at once; the upstream
connection's outcome (refused, unreachable) is taken once per backend pod per batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .ingress import CATCH_ALL, route, server_name, upstreams
from .traffic import SAME_NODE_RTT, Connection, failed

if TYPE_CHECKING:
    from .live_traffic import TrafficStats
    from .traffic import Network

Obj = dict[str, Any]

#: The labels ingress-nginx's manifests put on the controller Service's selector.
CONTROLLER_SELECTOR = {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}
#: The port a client without one connects to for `http://`.
HTTP_PORT = 80
#: How long nginx waits to connect to an upstream (`proxy-connect-timeout`).
CONNECT_TIMEOUT = 5.0


@dataclass(frozen=True)
class IngressEntry:
    """Where load for an Ingress host enters: `address`:`port` from outside the cluster."""

    host: str
    address: str
    port: int


def hosts_known(ingresses: list[Obj], host: str) -> bool:
    """Whether some Ingress serves `host`: a rule naming it (exactly or by wildcard), or a
    catch-all (a rule without a host, or a default backend) that answers every host."""
    if server_name(ingresses, host) != CATCH_ALL:
        return True
    for ing in ingresses:
        spec = ing.get("spec") or {}
        if spec.get("defaultBackend") or any(not (r.get("host") or "") for r in spec.get("rules") or []):
            return True
    return False


def controller_service(services: list[Obj]) -> Obj | None:
    """The ingress controller's Service that clients outside reach (NodePort or LoadBalancer)."""
    for svc in sorted(services, key=lambda s: (s["metadata"].get("namespace") or "", s["metadata"]["name"])):
        spec = svc.get("spec") or {}
        selector = spec.get("selector") or {}
        if spec.get("type") in ("NodePort", "LoadBalancer") and all(
            selector.get(k) == v for k, v in CONTROLLER_SELECTOR.items()
        ):
            return svc
    return None


def entry(network: Network, host: str, fallback_node: str) -> IngressEntry:
    """The address and port a client outside reaches the controller at for `host`: the
    address in an Ingress's status for it (else `fallback_node`'s), and the Service's HTTP node
    port (port 80 itself when no controller Service exists: nothing answers there)."""
    address = ""
    for ing in sorted(
        network.store.iter("ingresses"), key=lambda i: i["metadata"].get("creationTimestamp") or ""
    ):
        hosts = [r.get("host") or "" for r in (ing.get("spec") or {}).get("rules") or []]
        points = ((ing.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        if host in hosts and points and points[0].get("ip"):
            address = points[0]["ip"]
            break
    if not address:
        address = network.node_ip(fallback_node)
    port = HTTP_PORT
    svc = controller_service(list(network.store.iter("services")))
    if svc is not None:
        for sp in (svc.get("spec") or {}).get("ports") or []:
            if sp.get("port") == HTTP_PORT and sp.get("nodePort"):
                port = int(sp["nodePort"])
    return IngressEntry(host, address, port)


class IngressLoad:
    """A batch of requests one controller pod accepted, routed and proxied as nginx does.

    `seen(namespace, pod)` gives the Ingresses the controller process in that pod serves (None
    when the pod runs no controller); `balance(pod, backend, n, count)` splits `count` over `n`
    upstreams round-robin from the pod's current position (and advances it)."""

    def __init__(
        self,
        seen: Callable[[str, str], list[Obj] | None],
        balance: Callable[[str, Any, int, int], list[int]],
    ) -> None:
        self.seen = seen
        self.balance = balance

    def __call__(
        self, network: Network, stats: TrafficStats, conn: Connection, host: str, path: str, count: int
    ) -> bool:
        """Count `count` requests `GET path` (Host `host`) at the controller pod `conn`
        reached; False when that pod runs no ingress controller (the caller serves them)."""
        pod = conn.pod
        if pod is None or conn.port not in (80, 443):
            return False
        meta = pod["metadata"]
        ingresses = self.seen(meta.get("namespace") or "", meta["name"])
        if ingresses is None:
            return False
        decision = route(ingresses, host, path)
        own_rho, own_time = stats.utilisation(pod, count)
        served = count if own_rho < 1.0 else int(count / own_rho)
        own = (conn.seconds or SAME_NODE_RTT) + own_time / max(0.01, 1.0 - min(own_rho, 0.99))
        if decision.backend is None:
            ok = 0 if failed("", decision.status) else served
            stats.add_batch(pod, conn.service, count, count - ok, own * ok)
            return True
        backend = decision.backend
        targets = upstreams(backend, network.store.iter("services"), network.store.iter("endpointslices"))
        if not targets:
            stats.add_batch(pod, conn.service, count, count, 0.0)  # 503
            return True
        service = f"{backend.namespace}/{backend.service}:{backend.port}"
        shares = self.balance(meta["name"], backend, len(targets), served)
        ok_total, latency_total = 0, 0.0
        for (ip, port), share in zip(targets, shares, strict=True):
            if share:
                ok, latency = self._upstream(network, stats, pod, ip, port, service, path, share)
                ok_total += ok
                latency_total += (own + latency) * ok
        stats.add_batch(pod, conn.service, count, count - ok_total, latency_total)
        return True

    def _upstream(
        self,
        network: Network,
        stats: TrafficStats,
        pod: Obj,
        ip: str,
        port: int,
        service: str,
        path: str,
        n: int,
    ) -> tuple[int, float]:
        """Proxy `n` requests to one upstream: (how many it answered, their mean latency)."""
        upstream = network.connect(network.pod_source(pod), ip, port)
        if upstream.error or upstream.pod is None or upstream.listener is None:
            # 502 when refused or unreachable, 504 after the connect timeout
            stats.add_batch(upstream.pod, service, n, n, 0.0)
            return 0, 0.0
        answer = (
            upstream.listener.http(path, upstream.elapsed) if upstream.listener.http is not None else None
        )
        if failed("", answer.status if answer is not None else None):
            stats.add_batch(upstream.pod, service, n, n, 0.0)
            return 0, 0.0
        rho, service_time = stats.utilisation(upstream.pod, n)
        served = n if rho < 1.0 else int(n / rho)
        latency = (upstream.seconds or SAME_NODE_RTT) + service_time / max(0.01, 1.0 - min(rho, 0.99))
        stats.add_batch(upstream.pod, service, n, n - served, latency * served)
        return served, latency


def round_robin_split(start: int, n: int, count: int) -> list[int]:
    """`count` requests over `n` upstreams round-robin from index `start`: each gets
    `count // n`, and the `count % n` after `start` (wrapping) one more."""
    base, extra = divmod(count, n)
    return [base + (1 if (i - start) % n < extra else 0) for i in range(n)]
