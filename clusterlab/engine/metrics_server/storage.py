"""metrics-server's storage: the last two readings of every node and container.

Usage is a rate, so it takes two readings: metrics-server keeps, per node and per container,
the reading of the last scrape and the one before, and reports CPU as the counter's growth
divided by the time between them (the `window`) and memory as the last working set. A node or
pod has no metrics until it has both. The one shortcut is metrics-server's own: a container
that started less than one resolution but at least 10 s before its first reading counts from
its start (counter 0), so a fresh pod can show up after a single scrape. A container that
restarted (a new start time) begins again; a node or pod missing from a scrape is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..node.usage import Sample

#: A fresh container needs at least this long between its start and its first reading.
FRESH_CONTAINER_MIN_SECONDS = 10.0


@dataclass(frozen=True)
class Usage:
    """A reported usage: CPU in nanocores, memory in bytes, at `timestamp` over `window` s."""

    cpu_nanocores: int
    memory: int
    timestamp: float
    window: float


def usage_between(last: Sample, prev: Sample) -> Usage | None:
    """metrics-server's `resourceUsage`: None when the counter went backwards."""
    if last.start < prev.start or last.cpu_ns < prev.cpu_ns:
        return None
    window = last.timestamp - prev.timestamp
    if window <= 0:
        return None
    return Usage(int((last.cpu_ns - prev.cpu_ns) / window), last.memory, last.timestamp, window)


@dataclass
class Storage:
    resolution: float
    nodes_last: dict[str, Sample] = field(default_factory=dict)
    nodes_prev: dict[str, Sample] = field(default_factory=dict)
    pods_last: dict[str, dict[str, Sample]] = field(default_factory=dict)  # "ns/name" → container → reading
    pods_prev: dict[str, dict[str, Sample]] = field(default_factory=dict)

    def ready(self) -> bool:
        """The `metric-storage-ready` check of `/readyz`: something can be reported."""
        return bool(self.nodes_prev or self.pods_prev)

    def store(self, nodes: dict[str, Sample], pods: dict[str, dict[str, Sample]]) -> None:
        """Take one scrape's batch (every node that answered, with its pods)."""
        nodes_prev: dict[str, Sample] = {}
        for name, new in nodes.items():
            old = self.nodes_last.get(name)
            if old is None:
                continue
            if new.timestamp > old.timestamp:
                nodes_prev[name] = old
            elif name in self.nodes_prev and self.nodes_prev[name].timestamp < new.timestamp:
                nodes_prev[name] = self.nodes_prev[name]
        pods_prev: dict[str, dict[str, Sample]] = {}
        for key, containers in pods.items():
            prev: dict[str, Sample] = {}
            for cname, new in containers.items():
                age = new.timestamp - new.start
                if new.start < new.timestamp and FRESH_CONTAINER_MIN_SECONDS <= age < self.resolution:
                    prev[cname] = Sample(new.start, new.start, 0, new.memory)
                    continue
                old = self.pods_last.get(key, {}).get(cname)
                if old is None or not new.start < old.timestamp:
                    continue
                if new.timestamp > old.timestamp:
                    prev[cname] = old
                else:
                    kept = self.pods_prev.get(key, {}).get(cname)
                    if kept is not None and kept.timestamp < new.timestamp:
                        prev[cname] = kept
            if prev:
                pods_prev[key] = prev
        self.nodes_last, self.nodes_prev = dict(nodes), nodes_prev
        self.pods_last, self.pods_prev = {k: dict(v) for k, v in pods.items()}, pods_prev

    def node(self, name: str) -> Usage | None:
        last, prev = self.nodes_last.get(name), self.nodes_prev.get(name)
        if last is None or prev is None:
            return None
        return usage_between(last, prev)

    def pod(self, key: str) -> tuple[dict[str, Usage], float, float] | None:
        """Per-container usage of a pod with the earliest timestamp and its window, or None
        unless every container has two readings."""
        last, prev = self.pods_last.get(key), self.pods_prev.get(key)
        if last is None or prev is None:
            return None
        out: dict[str, Usage] = {}
        earliest: Usage | None = None
        for cname, point in last.items():
            before = prev.get(cname)
            if before is None:
                return None
            usage = usage_between(point, before)
            if usage is None:
                continue
            out[cname] = usage
            if earliest is None or usage.timestamp < earliest.timestamp:
                earliest = usage
        if earliest is None:
            return out, 0.0, 0.0
        return out, earliest.timestamp, earliest.window
