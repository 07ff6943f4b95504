"""Live traffic: load sources sending requests to Services, and what each pod answered.

A load source is what a learner points at a Service (`Cluster.send_traffic(target, rps)`), or
any process in a pod making requests (a busybox `while sleep 0.01; do wget -q -O- http://x;
done`, whose every `wget` goes through `Network.request` and is counted the same way).

A learner's load source is simulated in aggregate, one batch per virtual second: the
requests of that second take the rules of the node they enter (`netfilter.Walk.outcomes`),
split over the outcomes by drawing from the network's seeded stream (a multinomial draw as
successive binomials), so a 3-endpoint Service gets about a third each and a canary of 1 pod
in 10 about a tenth. ClientIP affinity pins the whole source (one client address) to one
endpoint, as the `recent` list does. A source aimed at an Ingress host carries its Host
header: the ingress controller pods it reaches route and proxy each batch
(`ingress_load.py`). No per-request timers: thousands of requests per second
cost one walk of the rules per source per second.

What a pod answers depends on it: a closed port refuses, a port the pod does not listen on
refuses, an HTTP server answers with its status. Each request costs the server CPU
(`CPU_MS_PER_REQUEST`, by image); a pod's latency is the network's round trip plus its service
time stretched by its utilisation (an M/M/1 queue: `service / (1 - ρ)`, ρ = demand over the
CPU it has, `limits.cpu` or one core), and beyond its capacity the excess times out (errors).
The served rate becomes the pod's load factor in the usage model (`node/usage.py`): CPU rises
with traffic, so a HorizontalPodAutoscaler on CPU reacts to it.

What counts as an error (`failed`) is the same for every path — a single `wget`/`curl`, a
learner's load to a Service, load routed by an ingress controller: a request that got no HTTP
response (refused, dropped, timed out, closed without a reply) or a `5xx` status. A `4xx` is
the server's correct answer to the request it was sent (nginx's 404 for an unknown path
included) and counts as served, as load balancers' and ingress-nginx's success rates count it.

The entry address of a load source aimed at an Ingress host (the address in the Ingress's
status, the controller Service's node port) is looked up again for every batch, so the load
follows a replaced controller pod or a changed load-balancer address.

Counters per pod and per Service (requests, errors, mean latency, rate) are kept per virtual
second; rates and latency are over the last `WINDOW` complete seconds, with running totals;
`snapshot` reads them.

Simplified: requests of one second all happen at its start; a source's connections share its
one client address; each request is an HTTP GET of one path.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..clock import Timer
from ..node.listeners import Answer
from ..node.runtime import normalize
from ..node.usage import cpu_limit_millis, profile_for
from .ingress_load import entry as ingress_entry
from .netfilter import Outcome, Recent, pick
from .traffic import SAME_NODE_RTT, Connection, Network, Source, failed

if TYPE_CHECKING:
    from ..clock import Clock

Obj = dict[str, Any]
Key = tuple[str, str]

#: Seconds of history the rates and latencies are computed over.
WINDOW = 10
#: Server CPU per request, milliseconds, by image repository: nginx serves a static page in
#: about 0.1 ms of CPU, httpd in 0.3 ms; php-apache's index.php computes a million square
#: roots (the HPA walkthrough: ~7 ms, so its load generator's ~100 requests/s use ~700m).
CPU_MS_PER_REQUEST = {
    "docker.io/library/nginx": 0.1,
    "registry.k8s.io/nginx-slim": 0.1,
    "docker.io/library/httpd": 0.3,
    "registry.k8s.io/hpa-example": 7.0,
    "ghcr.io/clusterlab/demo-web": 0.2,
    "registry.k8s.io/e2e-test-images/agnhost": 0.1,
    # nginx proxying one request (routing, Lua balancer, upstream connection)
    "registry.k8s.io/ingress-nginx/controller": 0.3,
}
DEFAULT_CPU_MS = 1.0
ONE_CORE = 1000.0


def _repo(image: str) -> str:
    return normalize(image).partition("@")[0].rpartition(":")[0]


def cpu_ms(container: Obj) -> float:
    return CPU_MS_PER_REQUEST.get(_repo(str(container.get("image") or "")), DEFAULT_CPU_MS)


@dataclass
class Bucket:
    requests: int = 0
    errors: int = 0
    latency: float = 0.0  # sum of the successful requests' latencies, seconds


@dataclass(frozen=True)
class Counter:
    """What one pod or Service answered: totals, and over the last `WINDOW` seconds the mean
    latency of successful requests and the rate (requests per virtual second)."""

    requests: int = 0
    errors: int = 0
    latency_ms: float = 0.0
    rate: float = 0.0
    error_rate: float = 0.0


@dataclass(frozen=True)
class Snapshot:
    """Counters by Service and by pod, keyed by (namespace, name)."""

    services: dict[Key, Counter]
    pods: dict[Key, Counter]


@dataclass
class Series:
    """One pod's or Service's per-second buckets and running totals."""

    buckets: dict[int, Bucket] = field(default_factory=dict)
    requests: int = 0
    errors: int = 0

    def add(self, second: int, requests: int, errors: int, latency: float) -> None:
        b = self.buckets.setdefault(second, Bucket())
        b.requests += requests
        b.errors += errors
        b.latency += latency
        self.requests += requests
        self.errors += errors
        for old in [s for s in self.buckets if s <= second - WINDOW - 1]:
            del self.buckets[old]

    def window(self, now: float) -> tuple[int, int, float]:
        """(requests, errors, latency sum) over the last WINDOW complete seconds."""
        current = math.floor(now)
        picked = [b for s, b in self.buckets.items() if current - WINDOW <= s < current]
        return (
            sum(b.requests for b in picked),
            sum(b.errors for b in picked),
            sum(b.latency for b in picked),
        )

    def counter(self, now: float) -> Counter:
        requests, errors, latency = self.window(now)
        ok = requests - errors
        return Counter(
            self.requests,
            self.errors,
            1000.0 * latency / ok if ok > 0 else 0.0,
            requests / WINDOW,
            errors / WINDOW,
        )


@dataclass(frozen=True)
class LoadSource:
    """A learner's load generator: `rps` requests per second from `source` to `ip`:`port`."""

    target: str  # as the learner named it
    source: Source
    ip: str
    port: int
    rps: float
    path: str = "/"
    host: str = ""  # the Host header: an Ingress host, routed by the controller pods it reaches
    entry_node: str = ""  # for an Ingress host: the node whose address it enters by when no
    # Ingress status names one (`ingress_load.entry`, looked up for every batch)


def binomial(rng: random.Random, n: int, p: float) -> int:
    """A Binomial(n, p) draw: exact for small n, the normal approximation (rounded, clamped)
    above."""
    if n <= 0 or p <= 0:
        return 0
    if p >= 1:
        return n
    if n <= 64:
        return sum(1 for _ in range(n) if rng.random() < p)
    value = round(rng.gauss(n * p, math.sqrt(n * p * (1 - p))))
    return max(0, min(n, value))


def multinomial(rng: random.Random, n: int, probabilities: list[float]) -> list[int]:
    """Split n over the outcomes as independent draws would, by successive binomials."""
    out: list[int] = []
    left, mass = n, 1.0
    for i, p in enumerate(probabilities):
        if i == len(probabilities) - 1 or mass <= 0:
            out.append(left)
            left = 0
            continue
        k = binomial(rng, left, min(1.0, p / mass))
        out.append(k)
        left -= k
        mass -= p
    return out


class TrafficStats:
    """The counters, and the pods' current demand (what the usage model is told)."""

    def __init__(self, clock: Clock, pod_lookup: Any) -> None:
        self.clock = clock
        self.pod_lookup = pod_lookup  # (namespace, name) → the pod, or None
        self.pods: dict[Key, Series] = {}
        self.services: dict[Key, Series] = {}

    def _service_key(self, service: str) -> Key | None:
        if not service:
            return None
        ns, _, rest = service.partition("/")
        return ns, rest.partition(":")[0]

    def utilisation(self, pod: Obj, batch: int = 0) -> tuple[float, float]:
        """(ρ, service time in seconds) of a pod: its arrival rate × CPU per request / its cores.

        One request (`batch` 0) meets the pod's recent rate (the last WINDOW seconds' average).
        A load source's batch is this virtual second's arrivals: `batch` plus what already reached
        the pod this second (other sources, single requests) — not plus the recent average, which
        is the same steady load measured before and would count it twice."""
        containers = (pod.get("spec") or {}).get("containers") or [{}]
        main = containers[0]
        service = cpu_ms(main) / 1000.0
        cores = (cpu_limit_millis(main) or ONE_CORE) / 1000.0
        series = self.pods.get((pod["metadata"].get("namespace", ""), pod["metadata"]["name"]))
        if batch:
            so_far = series.buckets.get(math.floor(self.clock.now)) if series else None
            rate = float(batch + (so_far.requests if so_far else 0))
        else:
            rate = series.window(self.clock.now)[0] / WINDOW if series else 0.0
        return rate * service / cores, service

    def record(self, conn: Connection, answer: Answer | None, now: float) -> float:
        """Count one request; returns the server-side time it took (seconds)."""
        second = math.floor(now)
        error = failed(conn.error, answer.status if answer is not None else None)
        latency = 0.0
        if conn.pod is not None and not conn.error:
            rho, service = self.utilisation(conn.pod)
            latency = conn.seconds + service / max(0.01, 1.0 - min(rho, 0.99))
        if conn.pod is not None:
            key = (conn.pod["metadata"].get("namespace", ""), conn.pod["metadata"]["name"])
            self.pods.setdefault(key, Series()).add(second, 1, int(error), 0.0 if error else latency)
        svc = self._service_key(conn.service)
        if svc is not None:
            self.services.setdefault(svc, Series()).add(second, 1, int(error), 0.0 if error else latency)
        return latency

    def add_batch(self, pod: Obj | None, service: str, requests: int, errors: int, latency: float) -> None:
        second = math.floor(self.clock.now)
        if pod is not None:
            key = (pod["metadata"].get("namespace", ""), pod["metadata"]["name"])
            self.pods.setdefault(key, Series()).add(second, requests, errors, latency)
        svc = self._service_key(service)
        if svc is not None:
            self.services.setdefault(svc, Series()).add(second, requests, errors, latency)

    def snapshot(self, namespace: str | None = None) -> Snapshot:
        now = self.clock.now
        return Snapshot(
            {k: s.counter(now) for k, s in sorted(self.services.items()) if namespace in (None, k[0])},
            {
                k: s.counter(now)
                for k, s in sorted(self.pods.items())
                if namespace in (None, k[0]) and self.pod_lookup(k) is not None  # gone pods drop out
            },
        )

    def load_factors(self) -> dict[Key, float]:
        """Each pod's served rate as a load factor of its image's busy profile (`usage.py`)."""
        out: dict[Key, float] = {}
        now = self.clock.now
        for key, series in self.pods.items():
            requests, errors, _ = series.window(now)
            served = (requests - errors) / WINDOW
            pod = self.pod_lookup(key)
            if served <= 0 or pod is None:
                continue
            main = ((pod.get("spec") or {}).get("containers") or [{}])[0]
            busy = profile_for(main).busy_cpu
            if busy > 0:
                out[key] = served * cpu_ms(main) / busy
        return out


class LoadSources:
    """The learner's load sources, sent one batch per virtual second."""

    def __init__(self, network: Network, stats: TrafficStats) -> None:
        self.network = network
        self.stats = stats
        self.sources: dict[str, LoadSource] = {}
        self._carry: dict[str, float] = {}
        self._timer: Timer | None = None

    def set(self, source: LoadSource) -> None:
        """Start (or change, or with rps 0 stop) the load source named by its target."""
        if source.rps <= 0:
            self.sources.pop(source.target, None)
            self._carry.pop(source.target, None)
            if not self.sources and self._timer is not None:
                self._timer.cancel()
                self._timer = None
            return
        self.sources[source.target] = source
        if self._timer is None:
            self._tick()

    def _tick(self) -> None:
        self._timer = None
        for name in sorted(self.sources):
            self._send(self.sources[name])
        if self.sources:
            self._timer = self.network.clock.call_later(1.0, self._tick)

    def _send(self, src: LoadSource) -> None:
        carry = self._carry.get(src.target, 0.0) + src.rps
        n = math.floor(carry + 1e-9)
        self._carry[src.target] = carry - n
        if n <= 0:
            return
        net = self.network
        if src.host and src.entry_node in net.kubelets:
            # where the host's load enters now: the Ingress's current address and node port
            at = ingress_entry(net, src.host, src.entry_node)
            src = replace(src, ip=at.address, port=at.port)
        node = net.entry_node(src.source, src.ip)
        packet = net.packet(src.source, node, src.ip, src.port)
        walk = net.walk(node) if node else None
        if walk is None:
            self._deliver(src, node, src.ip, src.port, "", n)
            return
        recent = net.recent.setdefault(node, Recent())
        options = walk.outcomes(packet, recent, net.clock.now)
        if any(o.affinity_list for _, o in options):
            # One client address: the first connection's endpoint is remembered, so all go there.
            outcome = pick(walk, packet, recent, net.clock.now, net.rng)
            batches: Iterable[tuple[int, Any]] = [(n, outcome)]
        else:
            counts = multinomial(net.rng, n, [p for p, _ in options])
            batches = [(k, o) for k, (_, o) in zip(counts, options, strict=True) if k]
        for count, outcome in batches:
            if outcome.verdict in ("REJECT", "DROP"):
                self.stats.add_batch(None, outcome.service, count, count, 0.0)
            elif outcome.verdict == "DNAT":
                self._deliver(src, node, outcome.ip, outcome.port, outcome.service, count, outcome)
            else:
                self._deliver(src, node, src.ip, src.port, outcome.service, count, outcome)

    def _deliver(
        self,
        src: LoadSource,
        node: str,
        ip: str,
        port: int,
        service: str,
        count: int,
        outcome: Outcome | None = None,
    ) -> None:
        mark, marked_by = (outcome.mark, outcome.marked_by) if outcome is not None else (0, "")
        conn = self.network.deliver(src.source, node, ip, port, service, mark, marked_by)
        if conn.error or conn.pod is None or conn.listener is None:
            self.stats.add_batch(conn.pod, service, count, count, 0.0)
            return
        routed = self.network.ingress_load
        if src.host and routed and routed(self.network, self.stats, conn, src.host, src.path, count):
            return  # an ingress controller pod routed and proxied them (`ingress_load.py`)
        answer = conn.listener.http(src.path, conn.elapsed) if conn.listener.http is not None else None
        if failed("", answer.status if answer is not None else None):
            self.stats.add_batch(conn.pod, service, count, count, 0.0)
            return
        rho, service_time = self.stats.utilisation(conn.pod, count)
        served = count
        if rho >= 1.0:
            served = int(count / rho)  # beyond capacity: the rest wait past the client's patience
        latency = conn.seconds or SAME_NODE_RTT
        latency += service_time / max(0.01, 1.0 - min(rho, 0.99))
        self.stats.add_batch(conn.pod, service, count, count - served, latency * served)


def pod_lookup(network: Network) -> Any:
    def lookup(key: Key) -> Obj | None:
        return network.store.get("pods", key[0], key[1])

    return lookup
