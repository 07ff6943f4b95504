"""Live traffic on the Services map: requests, errors and latency per Service and per pod.

The engine's traffic model (`engine/network/live_traffic.py`) follows each request the way a
real packet goes: a Service's cluster IP, node port or load-balancer IP, the entry node's
kube-proxy rules, NetworkPolicy, then the pod's listener, and counts what each pod answered
(a learner's load source and every `wget`/`curl` from a pod alike). `Cluster.traffic()` reads
those counters; this module turns them into the plain numbers the map draws as line widths and
counters, and into a signature that changes when what the page shows of them changes (the
counters move with the virtual clock, not with the stored objects).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from clusterlab.engine import Cluster

#: Line widths on the map, in SVG user units: no traffic, and the busiest path.
MIN_WIDTH = 2
MAX_WIDTH = 9


@dataclass(frozen=True)
class Counter:
    """What one Service or pod answered: requests, how many failed, the mean latency, and the
    current rate (requests per virtual second)."""

    requests: int = 0
    errors: int = 0
    latency_ms: float = 0.0
    rate: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "latency_ms": round(self.latency_ms, 1),
            "rate": round(self.rate, 1),
        }


Key = tuple[str, str]


@dataclass(frozen=True)
class Flows:
    """The counters by Service (`(namespace, name)`) and by pod (`(namespace, name)`)."""

    services: dict[tuple[str, str], Counter] = field(default_factory=dict)
    pods: dict[tuple[str, str], Counter] = field(default_factory=dict)

    @cached_property
    def busiest(self) -> float:
        """The highest pod rate (what the widest line stands for)."""
        return max((c.rate for c in self.pods.values()), default=0.0)

    def width(self, rate: float) -> int:
        """The line width for `rate` requests per second: its share of the busiest pod's rate."""
        top = self.busiest
        if not top or rate <= 0:
            return MIN_WIDTH
        return MIN_WIDTH + round((MAX_WIDTH - MIN_WIDTH) * min(rate, top) / top)

    def through(self, service: tuple[str, str], pod: tuple[str, str], routing: dict[Key, float]) -> float:
        """The part of a pod's rate that came through `service`: the counters are per pod and
        per Service, so a pod behind several busy Services is split by the Services' rates
        (`routing`: per pod, the summed rate of the Services that send to it)."""
        counter, svc = self.pods.get(pod), self.services.get(service)
        total = routing.get(pod, 0.0)
        if counter is None or svc is None or svc.rate <= 0 or total <= 0:
            return 0.0
        return counter.rate * svc.rate / total


def long_text(traffic: dict[str, Any] | None) -> str:
    """A Service's or the ingress controller's counters as its header reads them."""
    if traffic is None:
        return ""
    return (
        f"{traffic['rate']} req/s, {traffic['requests']} requests, {traffic['errors']} errors, "
        f"{traffic['latency_ms']} ms"
    )


def short_text(traffic: dict[str, Any] | None) -> str:
    """A pod's or a backend's counters on its box in the drawing."""
    if traffic is None:
        return ""
    return f"{traffic['rate']} req/s · {traffic['errors']} err · {traffic['latency_ms']} ms"


def words(traffic: dict[str, Any] | None) -> str:
    """The counters as the drawing's text alternative (a table for screen readers) reads them."""
    if traffic is None:
        return ""
    return f"{traffic['rate']} requests per second, {traffic['errors']} errors, {traffic['latency_ms']} ms"


@dataclass
class Live:
    """The map's numbers that move with the virtual clock, sent on their own as JSON: the
    text of each element marked `data-live="KEY"` and the stroke width of each line marked
    `data-live-width="KEY"`, so a tick updates them in place instead of re-sending drawings."""

    text: dict[str, str] = field(default_factory=dict)
    width: dict[str, int] = field(default_factory=dict)

    def merge(self, other: Live) -> Live:
        return Live({**self.text, **other.text}, {**self.width, **other.width})

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return {"text": self.text, "width": self.width}


def _counter(value: Any) -> Counter:
    """The page's copy of one engine counter."""
    return Counter(
        requests=int(value.requests),
        errors=int(value.errors),
        latency_ms=float(value.latency_ms),
        rate=float(value.rate),
    )


def flows(cluster: Cluster) -> Flows:
    """The cluster's traffic counters now."""
    snapshot = cluster.traffic()
    return Flows(
        services={key: _counter(value) for key, value in snapshot.services.items()},
        pods={key: _counter(value) for key, value in snapshot.pods.items()},
    )


def signature(cluster: Cluster) -> tuple[Any, ...]:
    """What the page shows of the traffic, to compare between ticks: each pod's and Service's
    counters as the map rounds them."""
    now = flows(cluster)
    return tuple(
        (kind, key, tuple(counter.as_dict().values()))
        for kind, table in (("svc", now.services), ("pod", now.pods))
        for key, counter in table.items()
    )
