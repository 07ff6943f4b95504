"""What the kubelet's eviction manager measures, whom it evicts first, and what it tells them.

The real manager (`pkg/kubelet/eviction`, helpers.go) reads a stats summary from cAdvisor and
turns it into *signal observations*: `memory.available` is the machine's memory less the node's
working set (everything on it: the operating system, the kubelet and containerd, every pod),
`nodefs.*` / `imagefs.*` the root filesystem's free bytes and inodes (a kubeadm node keeps
containerd's images on the root filesystem, so imagefs is nodefs). A threshold is met when the
observed amount falls below its quantity (`100Mi`, or a percentage of the capacity, computed
with the kubelet's float32 percentage).

Under memory pressure the pods are ranked by `rankMemoryPressure`: first the pods whose memory
working set exceeds their memory request, then the lower `spec.priority`, then the larger
usage above the request (a pod without stats goes first of all). The evicted pod's message
names the starved resource, the threshold and what was available, and each container that
used more than it requested.

Simplified: a container's working set is its image's usage model without the sampling noise
that `kubectl top` shows (`usage.py`), page-aligned as the kernel accounts it; a pod's is the
sum of its running containers' (the pause container is not counted); the filesystems' usage is
the operating system's plus the images on disk (container writable layers and logs are not
modelled), so disk signals are observed but never cross their thresholds.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cmp_to_key
from typing import TYPE_CHECKING, Any

from ..quantity import int_value
from ..quantity_format import BINARY_SI, canonical, canonical_text
from ..scheduler.framework import pod_requests
from .usage import PAGE, SYSTEM_MEMORY_BYTES, UsageModel

if TYPE_CHECKING:
    from .kubelet import Kubelet

Obj = dict[str, Any]

GI = 1024**3
# The root filesystem (`status.capacity["ephemeral-storage"]` reports it) and what the
# operating system, kubeadm's packages and the kubelet's own files take of it.
ROOT_FS_BYTES = 103609120 * 1024
ROOT_FS_SYSTEM_BYTES = 9 * GI
ROOT_FS_INODES = 6_553_600
ROOT_FS_SYSTEM_INODES = 412_000
INODES_PER_IMAGE = 2_500

MEMORY_AVAILABLE = "memory.available"
NODEFS_AVAILABLE = "nodefs.available"
NODEFS_INODES_FREE = "nodefs.inodesFree"
IMAGEFS_AVAILABLE = "imagefs.available"

# `signalToResource` / `signalToNodeCondition`
SIGNAL_RESOURCE = {
    MEMORY_AVAILABLE: "memory",
    NODEFS_AVAILABLE: "ephemeral-storage",
    IMAGEFS_AVAILABLE: "ephemeral-storage",
    NODEFS_INODES_FREE: "inodes",
}
SIGNAL_CONDITION = {
    MEMORY_AVAILABLE: "MemoryPressure",
    NODEFS_AVAILABLE: "DiskPressure",
    IMAGEFS_AVAILABLE: "DiskPressure",
    NODEFS_INODES_FREE: "DiskPressure",
}

NODE_LOW_MESSAGE = "The node was low on resource: {}. "
THRESHOLD_MET_MESSAGE = "Threshold quantity: {}, available: {}. "
CONTAINER_MESSAGE = "Container {} was using {}, request is {}, has larger consumption of {}. "


def float32(x: float) -> float:
    """A Go `float32`: eviction percentages are parsed into one."""
    return float(struct.unpack("f", struct.pack("f", x))[0])


@dataclass(frozen=True)
class Threshold:
    """One eviction threshold: `signal < quantity` (bytes or inodes) or `< percentage` of the
    capacity; hard when its grace period is 0."""

    signal: str
    quantity: int | None = None
    percentage: float = 0.0
    grace_period: float = 0.0

    @classmethod
    def parse(cls, signal: str, value: str, grace_period: float = 0.0) -> Threshold:
        if value.endswith("%"):
            return cls(signal, percentage=float32(float(value[:-1]) / 100), grace_period=grace_period)
        return cls(signal, quantity=int_value(value), grace_period=grace_period)

    @property
    def hard(self) -> bool:
        return self.grace_period == 0

    def amount(self, capacity: int) -> int:
        """`GetThresholdQuantity`: the quantity itself, or int64(capacity × percentage)."""
        if self.quantity is not None:
            return self.quantity
        return int(float(capacity) * self.percentage)

    def describe(self, capacity: int) -> str:
        """The threshold quantity as the kubelet prints it (`100Mi`)."""
        return binary_si(self.amount(capacity))


def binary_si(n: int) -> str:
    """`resource.NewQuantity(n, BinarySI).String()`."""
    return canonical(Fraction(n), BINARY_SI)


# `DefaultEvictionHard` (defaults_linux.go), which kubeadm's KubeletConfiguration keeps.
DEFAULT_EVICTION_HARD = (
    Threshold.parse(MEMORY_AVAILABLE, "100Mi"),
    Threshold.parse(NODEFS_AVAILABLE, "10%"),
    Threshold.parse(NODEFS_INODES_FREE, "5%"),
    Threshold.parse(IMAGEFS_AVAILABLE, "15%"),
)


@dataclass(frozen=True)
class Observation:
    """What a signal measured: available and capacity (bytes or inodes), and when."""

    available: int
    capacity: int
    time: float


@dataclass
class PodStats:
    """One pod's memory working set, in total and per running container (in spec order)."""

    working_set: int = 0
    containers: dict[str, int] = field(default_factory=dict)


@dataclass
class Summary:
    """The stats summary: the node's working set and each pod's, by pod key."""

    node_working_set: int
    pods: dict[str, PodStats]
    images_bytes: int
    images: int


def summarize(kubelet: Kubelet, usage: UsageModel) -> Summary:
    """What cAdvisor would report now: every running container's working set, each pod's
    (a pod with a sandbox has stats even before its containers run) and the node's."""
    pods: dict[str, PodStats] = {}
    total = SYSTEM_MEMORY_BYTES
    informer = kubelet.informer
    for key, state in sorted(kubelet.pods.items()):
        pod = informer.get(key) if informer is not None else None
        if pod is None:
            continue
        running = [c for c in state.containers + state.init_containers if c.state == "running"]
        if not running and not state.sandbox_ready:
            continue
        load = usage.load(pod["metadata"]["namespace"], pod["metadata"]["name"])
        specs = {c["name"]: c for c in (pod["spec"].get("initContainers") or []) + pod["spec"]["containers"]}
        stats = PodStats()
        for cs in running:
            spec = specs.get(cs.name)
            if spec is None:
                continue
            _cpu, memory = usage.demand(spec, load)
            memory -= memory % PAGE
            stats.containers[cs.name] = memory
            stats.working_set += memory
        pods[key] = stats
        total += stats.working_set
    images = kubelet.runtime.images
    return Summary(total, pods, sum(images.values()), len(images))


def observe(summary: Summary, memory_capacity: int, now: float) -> dict[str, Observation]:
    """`makeSignalObservations`: available and capacity of each signal."""
    fs_used = ROOT_FS_SYSTEM_BYTES + summary.images_bytes
    inodes_used = ROOT_FS_SYSTEM_INODES + INODES_PER_IMAGE * summary.images
    fs = Observation(max(0, ROOT_FS_BYTES - fs_used), ROOT_FS_BYTES, now)
    return {
        MEMORY_AVAILABLE: Observation(
            max(0, memory_capacity - summary.node_working_set), memory_capacity, now
        ),
        NODEFS_AVAILABLE: fs,
        NODEFS_INODES_FREE: Observation(max(0, ROOT_FS_INODES - inodes_used), ROOT_FS_INODES, now),
        IMAGEFS_AVAILABLE: fs,  # no dedicated image filesystem
    }


def thresholds_met(thresholds: list[Threshold], observations: dict[str, Observation]) -> list[Threshold]:
    """`thresholdsMet` (without minimum reclaim): the thresholds whose signal is below them."""
    met = []
    for t in thresholds:
        seen = observations.get(t.signal)
        if seen is not None and t.amount(seen.capacity) > seen.available:
            met.append(t)
    return met


def memory_request(pod: Obj) -> int:
    """`GetResourceRequestQuantity(pod, memory)`: containers summed, at least the largest
    init container, plus the pod overhead."""
    total = pod_requests(pod).memory
    overhead = (pod["spec"].get("overhead") or {}).get("memory")
    return total + (int_value(overhead) if overhead is not None else 0)


def _cmp_bool(a: bool, b: bool) -> int:
    """`cmpBool`: true before false."""
    return 0 if a == b else (-1 if a else 1)


def rank_memory_pressure(pods: list[Obj], stats: dict[str, PodStats]) -> list[Obj]:
    """`rankMemoryPressure`: usage over requests first, then lower priority, then the larger
    usage above requests. (Go's sort is not stable; ties keep the input order here.)"""

    def key(p: Obj) -> str:
        return f"{p['metadata']['namespace']}/{p['metadata']['name']}"

    def exceeds(a: Obj, b: Obj) -> int:
        sa, sb = stats.get(key(a)), stats.get(key(b))
        if sa is None or sb is None:
            return _cmp_bool(sa is None, sb is None)
        return _cmp_bool(sa.working_set > memory_request(a), sb.working_set > memory_request(b))

    def priority(a: Obj, b: Obj) -> int:
        pa, pb = int(a["spec"].get("priority") or 0), int(b["spec"].get("priority") or 0)
        return 0 if pa == pb else (1 if pa > pb else -1)

    def memory(a: Obj, b: Obj) -> int:
        sa, sb = stats.get(key(a)), stats.get(key(b))
        if sa is None or sb is None:
            return _cmp_bool(sa is None, sb is None)
        over_a, over_b = sa.working_set - memory_request(a), sb.working_set - memory_request(b)
        return (over_b > over_a) - (over_b < over_a)  # the larger consumer first

    def compare(a: Obj, b: Obj) -> int:
        for cmp in (exceeds, priority, memory):
            result = cmp(a, b)
            if result:
                return result
        return 0

    return sorted(pods, key=cmp_to_key(compare))


def eviction_message(
    resource: str,
    pod: Obj,
    stats: PodStats | None,
    thresholds: list[Threshold],
    observations: dict[str, Observation],
) -> str:
    """`evictionMessage`: the starved resource, the threshold met and what was available, then
    every container using more of it than it requests."""
    message = NODE_LOW_MESSAGE.format(resource)
    for t in thresholds:
        seen = observations.get(t.signal)
        if SIGNAL_RESOURCE.get(t.signal) == resource and seen is not None:
            message += THRESHOLD_MET_MESSAGE.format(t.describe(seen.capacity), binary_si(seen.available))
            break
    if stats is None or resource != "memory":
        return message
    specs = {c["name"]: c for c in pod["spec"]["containers"] + (pod["spec"].get("initContainers") or [])}
    for name, used in stats.containers.items():
        spec = specs.get(name)
        if spec is None:
            continue
        raw = ((spec.get("resources") or {}).get("requests") or {}).get(resource)
        request = int_value(raw) if raw is not None else 0
        if used > request:
            shown = canonical_text(raw) if raw is not None else "0"
            message += CONTAINER_MESSAGE.format(name, binary_si(used), shown, resource)
    return message
