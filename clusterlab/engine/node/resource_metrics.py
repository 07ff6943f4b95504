"""The kubelet's resource-metrics endpoint (`GET https://<node>:10250/metrics/resource`).

What metrics-server scrapes: for the node, its cumulative CPU time and memory working set;
for every running container, the same with the container's start time, pod namespace and
name. A container that is not running (waiting, terminated) has no cgroup and is absent;
a powered-off node does not answer at all.

Simplified: the readings are Python values rather than Prometheus text, taken at the
moment of the scrape (see `usage.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..quantity import milli_value
from .usage import SYSTEM_CPU_MILLIS, SYSTEM_MEMORY_BYTES, Sample, UsageModel, cpu_limit_millis

if TYPE_CHECKING:
    from .kubelet import Kubelet


@dataclass(frozen=True)
class PodSample:
    namespace: str
    name: str
    containers: dict[str, Sample]  # container name → reading


@dataclass(frozen=True)
class NodeSample:
    node: Sample
    pods: list[PodSample]


def scrape(kubelet: Kubelet, model: UsageModel) -> NodeSample | None:
    """What `kubelet` answers now, or None when it does not answer (powered off)."""
    if not kubelet.running or kubelet.informer is None:
        return None
    now = kubelet.clock.now
    cpu_total = SYSTEM_CPU_MILLIS
    wanted: list[tuple[str, str, str, float, float, int, float | None]] = []
    for key, state in sorted(kubelet.pods.items()):
        pod = kubelet.informer.get(key)
        if pod is None or state.terminating:
            continue
        namespace, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        load = model.load(namespace, name)
        specs = {c["name"]: c for c in pod["spec"]["containers"]}
        for cs in state.containers:
            started = kubelet.runtime.started.get(cs.container_id or "")
            if cs.state != "running" or started is None or cs.name not in specs:
                continue
            cpu, memory = model.demand(specs[cs.name], load)
            limit = cpu_limit_millis(specs[cs.name])
            wanted.append(
                (f"{namespace}/{name}", cs.name, cs.container_id or "", started, cpu, memory, limit)
            )
            cpu_total += cpu
    capacity = float(milli_value(kubelet.config.cpu))
    # Contended CPU is shared out in proportion to demand (CFS weights, roughly).
    squeeze = min(1.0, capacity / cpu_total) if cpu_total > 0 else 1.0
    pods: dict[str, dict[str, Sample]] = {}
    grown_ns, pod_memory = 0, 0
    for pod_key, container, container_id, started, cpu, memory, limit in wanted:
        before = model.counters.get(container_id)
        was = before.cpu_ns if before is not None and before.start == started else 0
        reading = model.sample(container_id, started, now, cpu * squeeze, memory, limit)
        pods.setdefault(pod_key, {})[container] = reading
        grown_ns += reading.cpu_ns - was
        pod_memory += reading.memory
    # The node's own counters: its containers' CPU plus the system's (kubelet, containerd, OS).
    system_key = f"system:{kubelet.boot_id}"
    before = model.counters.get(system_key)
    was = before.cpu_ns if before is not None else 0
    system = model.sample(
        system_key, before.start if before else now, now, SYSTEM_CPU_MILLIS, SYSTEM_MEMORY_BYTES
    )
    node = model.accumulate(
        f"node:{kubelet.boot_id}", now, grown_ns + system.cpu_ns - was, pod_memory + system.memory
    )
    running = {w[2] for w in wanted}
    model.forget({cid for cid in kubelet.runtime.started if cid not in running})
    samples = [
        PodSample(key.split("/", 1)[0], key.split("/", 1)[1], containers)
        for key, containers in sorted(pods.items())
    ]
    return NodeSample(node, samples)
