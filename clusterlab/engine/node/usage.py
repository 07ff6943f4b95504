"""How much CPU and memory each running container (and each node) uses.

On a real node the kernel accounts every cgroup's CPU time and memory; cAdvisor inside the
kubelet reads them and the kubelet serves them at `/metrics/resource`
(`container_cpu_usage_seconds_total`, a counter since the container started, and
`container_memory_working_set_bytes`, a gauge), with the same for the node as a whole. That
endpoint is what metrics-server scrapes.

Here a container's usage follows from what its image does (`PROFILES`: the idle behaviour of
each image in the runtime's catalogue, from what these images use on a small real cluster)
plus a per-pod *load factor* that traffic and the HorizontalPodAutoscaler lessons drive
(`UsageModel.set_load`): at load L a container uses `idle + L × busy` CPU and memory.
`polinux/stress` uses what its arguments ask for (`--vm N --vm-bytes B` holds N × B; `--cpu N`
and non-hanging `--vm` workers spin a core each). CPU is capped at the container's
`limits.cpu` (CFS throttling); a node's CPU is the sum of its pods' plus the system's (kubelet,
containerd, kernel), capped at its capacity; its memory working set likewise.

Every sample carries small noise (±10 % CPU, ±1.5 % memory) from a random stream the cluster
derives from its seed, so the same seed gives the same numbers and sampling never shifts the
choices the rest of the cluster makes (names, pull times).

Memory a container's process allocates itself (polinux/stress's `--vm-bytes`, see `images.py`)
is checked against `limits.memory` when it allocates: over the limit, the kernel's OOM killer
ends the container (`OOMKilled`, exit code 137) and the kubelet restarts it as its
`restartPolicy` says.

Simplified: usage is sampled when metrics-server scrapes (cAdvisor's own 10 s housekeeping is
not modelled), memory that grows with the load factor over `limits.memory` is reported rather
than OOM-killed, and images outside the catalogue get a small generic profile.
"""

from __future__ import annotations

import random
import shlex
from dataclasses import dataclass, field
from typing import Any

from ..quantity import QuantityError, milli_value
from .runtime import normalize

MIB = 1024 * 1024
NANO = 1_000_000_000
PAGE = 4096
CPU_NOISE = 0.10
MEMORY_NOISE = 0.015
#: What a node uses outside its pods: kubelet (~15m, ~45 MiB), containerd (~5m, ~35 MiB),
#: systemd, journald and the kernel (~10m, ~400 MiB of working set on Ubuntu 24.04).
#: kube-proxy is not in it: kubeadm runs it as a DaemonSet pod, whose cgroup (and usage) is
#: under kubepods like any other pod's.
SYSTEM_CPU_MILLIS = 30.0
SYSTEM_MEMORY_BYTES = 480 * MIB

Obj = dict[str, Any]


@dataclass(frozen=True)
class Profile:
    """An image's usage: idle CPU (millicores) and working set (bytes), and what one unit of
    load adds to each."""

    idle_cpu: float
    idle_memory: int
    busy_cpu: float = 0.0
    busy_memory: int = 0


# Idle profiles, by image repository (normalized). nginx idles at well under a millicore with
# its master and one worker per CPU (~3.5 MiB); httpd's event MPM keeps three processes
# (~7 MiB); Redis runs its serverCron ten times a second (~2m, ~3.5 MiB); the control-plane
# figures are those of a quiet kubeadm cluster of this size.
PROFILES: dict[str, Profile] = {
    "docker.io/library/nginx": Profile(0.3, int(3.5 * MIB), busy_cpu=250.0, busy_memory=4 * MIB),
    "registry.k8s.io/nginx-slim": Profile(0.3, int(3.5 * MIB), busy_cpu=250.0, busy_memory=4 * MIB),
    "docker.io/library/httpd": Profile(1.0, 7 * MIB, busy_cpu=300.0, busy_memory=24 * MIB),
    "docker.io/library/redis": Profile(2.2, int(3.5 * MIB), busy_cpu=200.0, busy_memory=8 * MIB),
    "docker.io/polinux/stress": Profile(0.0, int(0.6 * MIB)),
    "docker.io/library/busybox": Profile(0.0, int(0.4 * MIB)),
    "docker.io/library/postgres": Profile(1.5, 22 * MIB, busy_cpu=300.0, busy_memory=64 * MIB),
    "docker.io/library/mysql": Profile(6.0, 380 * MIB, busy_cpu=300.0, busy_memory=64 * MIB),
    "ghcr.io/clusterlab/demo-web": Profile(0.5, 6 * MIB, busy_cpu=200.0, busy_memory=8 * MIB),
    # The HPA walkthrough's php-apache: each request computes a million square roots (~7 ms of
    # CPU), so one unit of load — its load generator's ~100 requests/s — is ~700m.
    "registry.k8s.io/hpa-example": Profile(0.5, 9 * MIB, busy_cpu=700.0, busy_memory=6 * MIB),
    "registry.k8s.io/pause": Profile(0.0, int(0.3 * MIB)),
    "registry.k8s.io/kube-apiserver": Profile(38.0, 245 * MIB, busy_cpu=200.0, busy_memory=64 * MIB),
    "registry.k8s.io/kube-controller-manager": Profile(14.0, 48 * MIB),
    "registry.k8s.io/kube-scheduler": Profile(3.0, 20 * MIB),
    "registry.k8s.io/etcd": Profile(22.0, 42 * MIB),
    "registry.k8s.io/kube-proxy": Profile(1.0, 13 * MIB),
    "registry.k8s.io/coredns/coredns": Profile(2.0, 14 * MIB, busy_cpu=100.0, busy_memory=6 * MIB),
    "registry.k8s.io/metrics-server/metrics-server": Profile(4.0, 19 * MIB),
    # ingress-nginx: the Go controller plus nginx's master and workers (Lua balancer loaded)
    "registry.k8s.io/ingress-nginx/controller": Profile(2.0, 95 * MIB, busy_cpu=300.0, busy_memory=16 * MIB),
    "gcr.io/google-samples/hello-app": Profile(0.1, 3 * MIB, busy_cpu=150.0, busy_memory=4 * MIB),
    "docker.io/rancher/local-path-provisioner": Profile(1.0, 11 * MIB),
}
GENERIC = Profile(1.0, 8 * MIB)

_STRESS_UNITS = {"b": 1, "k": 1024, "m": MIB, "g": 1024 * MIB}


def stress_profile(words: list[str]) -> Profile:
    """What `stress` does with these arguments: `--vm N` workers each holding `--vm-bytes`
    (default 256M, with stress's binary suffixes) and spinning unless `--vm-hang`; `--cpu N`
    workers each spinning a core; `--io`/`--hdd` workers use some CPU too."""
    opts: dict[str, str] = {}
    i = 0
    while i < len(words):
        w = words[i]
        if w.startswith("-") and i + 1 < len(words) and not words[i + 1].startswith("-"):
            opts[w.lstrip("-")] = words[i + 1]
            i += 2
            continue
        i += 1
    aliases = {"c": "cpu", "m": "vm", "i": "io", "d": "hdd"}
    opts = {aliases.get(k, k): v for k, v in opts.items()}

    def count(name: str) -> int:
        try:
            return max(0, int(opts.get(name, "0")))
        except ValueError:
            return 0

    vm, cpu, io = count("vm"), count("cpu"), count("io") + count("hdd")
    size = 256 * MIB
    raw = opts.get("vm-bytes", "")
    if raw:
        unit = _STRESS_UNITS.get(raw[-1].lower())
        try:
            size = int(raw[:-1]) * unit if unit else int(raw)
        except ValueError:
            size = 256 * MIB
    hang = "vm-hang" in opts
    spinning = cpu + (0 if hang else vm)
    return Profile(spinning * 1000.0 + io * 150.0, int(0.6 * MIB) + vm * size)


def profile_for(container: Obj) -> Profile:
    """The usage profile of a container spec (image, command, args)."""
    image = normalize(str(container.get("image") or ""))
    repo = image.partition("@")[0].rpartition(":")[0]
    if repo == "docker.io/polinux/stress":
        words = [str(w) for w in (container.get("command") or []) + (container.get("args") or [])]
        if len(words) == 1 and " " in words[0]:
            words = shlex.split(words[0])
        return stress_profile(words)
    return PROFILES.get(repo, GENERIC)


def cpu_limit_millis(container: Obj) -> float | None:
    raw = ((container.get("resources") or {}).get("limits") or {}).get("cpu")
    if raw is None:
        return None
    try:
        return float(milli_value(str(raw)))
    except QuantityError:
        return None


@dataclass
class Counter:
    """A cumulative CPU counter and the last memory reading of one container or node."""

    start: float
    sampled_at: float
    cpu_ns: int = 0
    memory: int = 0


@dataclass(frozen=True)
class Sample:
    """One reading, as the kubelet's resource-metrics endpoint reports it."""

    start: float  # when the container (or node) started: its counter was 0 then
    timestamp: float
    cpu_ns: int  # CPU time since `start`, in nanoseconds
    memory: int  # working set, bytes


@dataclass
class UsageModel:
    """The cluster's usage state: per-pod load factors and per-container counters."""

    rng: random.Random
    loads: dict[str, float] = field(default_factory=dict)  # "namespace/name" → load factor
    counters: dict[str, Counter] = field(default_factory=dict)  # container ID or node boot ID

    def set_load(self, namespace: str, name: str, factor: float) -> None:
        """How busy a pod is: 0 idle (the default), 1 one unit of its image's busy profile."""
        if factor < 0:
            raise ValueError("a load factor is never negative")
        key = f"{namespace}/{name}"
        if factor == 0:
            self.loads.pop(key, None)
        else:
            self.loads[key] = factor

    def load(self, namespace: str, name: str) -> float:
        return self.loads.get(f"{namespace}/{name}", 0.0)

    def demand(self, container: Obj, load: float) -> tuple[float, int]:
        """(CPU millicores, memory bytes) a container wants right now, before noise."""
        p = profile_for(container)
        cpu = p.idle_cpu + load * p.busy_cpu
        limit = cpu_limit_millis(container)
        if limit is not None:
            cpu = min(cpu, limit)
        return cpu, int(p.idle_memory + load * p.busy_memory)

    def sample(
        self, key: str, start: float, now: float, cpu_millis: float, memory: int, ceiling: float | None = None
    ) -> Sample:
        """Advance `key`'s counter to `now` at this rate, with noise (never above `ceiling`: the
        CFS quota of `limits.cpu`), and read it."""
        counter = self.counters.get(key)
        if counter is None or counter.start != start:
            counter = self.counters[key] = Counter(start, start)
        if now > counter.sampled_at:
            rate = max(0.0, cpu_millis * (1 + self.rng.uniform(-CPU_NOISE, CPU_NOISE)))
            if ceiling is not None:
                rate = min(rate, ceiling)
            counter.cpu_ns += int(rate * 1_000_000 * (now - counter.sampled_at))
            noisy = int(memory * (1 + self.rng.uniform(-MEMORY_NOISE, MEMORY_NOISE)))
            counter.memory = max(0, noisy - noisy % PAGE)  # the kernel accounts whole pages
            counter.sampled_at = now
        return Sample(counter.start, counter.sampled_at, counter.cpu_ns, counter.memory)

    def accumulate(self, key: str, now: float, cpu_ns: int, memory: int) -> Sample:
        """Add `cpu_ns` to `key`'s counter (started now if new) and set its working set."""
        counter = self.counters.get(key)
        if counter is None:
            counter = self.counters[key] = Counter(now, now)
        if now > counter.sampled_at:
            counter.cpu_ns += max(0, cpu_ns)
            counter.sampled_at = now
        counter.memory = memory
        return Sample(counter.start, counter.sampled_at, counter.cpu_ns, counter.memory)

    def forget(self, keys: set[str]) -> None:
        """Drop the counters of containers that are gone (their cgroups are)."""
        for key in keys:
            self.counters.pop(key, None)
