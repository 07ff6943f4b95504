"""How fast the simulated kube-scheduler places pods, after scheduler_perf's SchedulingBasic.

Kubernetes measures its scheduler with `test/integration/scheduler_perf`: only an API server
and kube-scheduler run (no kubelets, no controllers), nodes are created from
`templates/node-default.yaml` (capacity 110 pods, 4 CPU, 32Gi; Ready) and pods from
`templates/pod-default.yaml` (one `pause` container requesting 100m CPU and 500Mi). The
SchedulingBasic workload creates the nodes, then `initPods` pods that are scheduled first
and not measured, then `measurePods` pods whose scheduling throughput is the result.

This bench does the same with the engine's own pieces: one `APIServer` over one `Store`, with
the bootstrap namespaces, RBAC policy and system PriorityClasses a cluster starts with, and
the engine's `Scheduler` (the default profile with whatever plugins are registered) driven by
the virtual clock. There are no kubelets: nodes are plain Node objects written through the API,
and pods stay bound-but-Pending, as in scheduler_perf. Every pod is created through the API
(admission, validation, managedFields, audit and watch fan-out included), every binding goes
through `pods/binding`, and every `Scheduled` event is written.

Reported per size: wall seconds to create the measured pods, wall seconds for the scheduler to
bind them all, pods/s (scheduling wall time only, as scheduler_perf's SchedulingThroughput;
`per CPU s` divides by the process's CPU time instead, which a busy machine disturbs less;
`incl. create` also counts creating them), the virtual time it took (not the point: the
scheduler loop runs every cycle at the same virtual instant), API requests served during the
measured phase, and the process's peak RSS. Each size runs in its own process so that peak
RSS is that size's.

    python bench/scheduler.py                       # 500, 1,000, 5,000 nodes + 150k convergence
    python bench/scheduler.py 5000 1000 10000       # one size: nodes, initial pods, measured pods
    python bench/scheduler.py --converge 5000 150000  # time and memory for N pods to converge
    python bench/scheduler.py --profile 5000 1000 2000  # cProfile of the measured phase
"""

from __future__ import annotations

import cProfile
import pstats
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from clusterlab.engine.apiserver import APIServer
from clusterlab.engine.audit import User
from clusterlab.engine.clock import Clock
from clusterlab.engine.priority_classes import system_priority_classes
from clusterlab.engine.rbac_policy import bootstrap_objects
from clusterlab.engine.scheduler.scheduler import Scheduler
from clusterlab.engine.store import Store

SIZES = [(500, 1_000, 10_000), (1_000, 1_000, 10_000), (5_000, 1_000, 10_000)]
CONVERGE = (5_000, 150_000)
ADMIN = User("kubernetes-admin", "scheduler-perf")
APISERVER = User("system:apiserver", "kube-apiserver")
SA_CONTROLLER = User(
    "system:serviceaccount:kube-system:service-account-controller", "kube-controller-manager"
)
NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
Obj = dict[str, Any]


def node(name: str) -> Obj:
    """scheduler_perf's `node-default.yaml`; allocatable is the capacity (no reservations)."""
    resources = {"pods": "110", "cpu": "4", "memory": "32Gi"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
        "spec": {},
        "status": {
            "capacity": dict(resources),
            "allocatable": dict(resources),
            "conditions": [{"type": "Ready", "status": "True"}],
            "phase": "Running",
        },
    }


def pod(name: str) -> Obj:
    """scheduler_perf's `pod-default.yaml`."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "containers": [
                {
                    "name": "pause",
                    "image": "registry.k8s.io/pause:3.10",
                    "ports": [{"containerPort": 80}],
                    "resources": {
                        "limits": {"cpu": "100m", "memory": "500Mi"},
                        "requests": {"cpu": "100m", "memory": "500Mi"},
                    },
                }
            ]
        },
    }


class Bench:
    """An API server and a kube-scheduler on one virtual clock, and nothing else."""

    def __init__(self, nodes: int, seed: int = 1) -> None:
        self.clock = Clock()
        self.rng = random.Random(seed)
        self.store = Store()
        self.server = APIServer(self.clock, self.store, self.rng, datetime(2026, 1, 1, tzinfo=UTC))
        for ns in NAMESPACES:
            self.server.create(APISERVER, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        for obj in (*system_priority_classes(), *bootstrap_objects()):
            self.server.create(APISERVER, obj)
        for ns in NAMESPACES:
            sa = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}}
            self.server.create(SA_CONTROLLER, sa, ns)
        for i in range(nodes):
            self.server.create(ADMIN, node(f"scheduler-perf-{i:05d}"), copy=False)
        self.scheduler = Scheduler(self.server, self.clock, self.rng)
        self.scheduler.start()
        self.settle()
        self.created = 0

    def settle(self) -> None:
        """Run the clock until the scheduler's queue is empty (backoffs advance virtual time)."""
        self.clock.run_until(self.clock.now)
        deadline = self.clock.now + 3600
        while self.scheduler.queue.info or self.clock.next_time() == self.clock.now:
            if self.clock.now > deadline:
                raise SystemExit(
                    f"not converged after an hour of virtual time: {len(self.scheduler.queue.info)}"
                )
            self.clock.run_until(self.clock.now + 1)

    def create_pods(self, count: int) -> None:
        for _ in range(count):
            self.server.create(ADMIN, pod(f"pod-{self.created:06d}"), "default", copy=False)
            self.created += 1

    def bound(self) -> int:
        return sum(1 for p in self.store.iter("pods", "default") if p["spec"].get("nodeName"))


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(nodes: int, initial: int, measured: int, profile: bool = False) -> dict[str, float]:
    t0 = time.perf_counter()
    b = Bench(nodes)
    b.create_pods(initial)
    b.settle()
    setup = time.perf_counter() - t0
    calls, start_virtual = b.server.audit.seq, b.clock.now
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    t1 = time.perf_counter()
    b.create_pods(measured)
    t2, c2 = time.perf_counter(), time.process_time()
    b.settle()
    t3, c3 = time.perf_counter(), time.process_time()
    if profiler:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    bound = b.bound()
    assert bound == initial + measured, (bound, initial + measured)
    return {
        "nodes": nodes,
        "initial": initial,
        "measured": measured,
        "setup_s": setup,
        "create_s": t2 - t1,
        "schedule_s": t3 - t2,
        "pods_per_s": measured / (t3 - t2),
        "pods_per_cpu_s": measured / (c3 - c2),
        "with_create": measured / (t3 - t1),
        "virtual_s": b.clock.now - start_virtual,
        "api_requests": b.server.audit.seq - calls,
        "rss": peak_rss_mib(),
    }


def converge(nodes: int, pods: int, batch: int = 10_000) -> dict[str, float]:
    """Create `pods` pods, `batch` at a time, each batch bound before the next is created, and
    run until every one is bound; progress goes to stderr."""
    t0 = time.perf_counter()
    b = Bench(nodes)
    setup = time.perf_counter() - t0
    t1 = time.perf_counter()
    while b.created < pods:
        b.create_pods(min(batch, pods - b.created))
        b.settle()
        print(
            f"  {b.created} pods bound, {time.perf_counter() - t1:.0f} s, "
            f"{time.process_time():.0f} CPU s, peak RSS {peak_rss_mib():.0f} MiB",
            file=sys.stderr,
            flush=True,
        )
    wall = time.perf_counter() - t1
    bound = b.bound()
    assert bound == pods, (bound, pods)
    return {"nodes": nodes, "pods": pods, "setup_s": setup, "wall_s": wall, "rss": peak_rss_mib()}


HEADER = (
    f"{'nodes':>6} {'initial':>7} {'measured':>8} {'setup s':>7} {'create s':>8} {'sched s':>7} "
    f"{'pods/s':>7} {'per CPU s':>9} {'incl. create':>12} {'virtual s':>9} {'API reqs':>8} "
    f"{'peak RSS MiB':>12}"
)


def row(r: dict[str, float]) -> str:
    return (
        f"{r['nodes']:>6} {r['initial']:>7} {r['measured']:>8} {r['setup_s']:>7.1f} {r['create_s']:>8.1f} "
        f"{r['schedule_s']:>7.1f} {r['pods_per_s']:>7.0f} {r['pods_per_cpu_s']:>9.0f} "
        f"{r['with_create']:>12.0f} {r['virtual_s']:>9.0f} {r['api_requests']:>8} {r['rss']:>12.0f}"
    )


def converge_row(r: dict[str, float]) -> str:
    return (
        f"converge: {r['nodes']} nodes, {r['pods']} pods: setup {r['setup_s']:.1f} s, "
        f"wall {r['wall_s']:.1f} s ({r['pods'] / r['wall_s']:.0f} pods/s), peak RSS {r['rss']:.0f} MiB"
    )


MODES = ("--converge", "--profile")


def main() -> None:
    args = sys.argv[1:]
    if args[:1] in (["-h"], ["--help"]) or (args and args[0].startswith("-") and args[0] not in MODES):
        print(__doc__)
        return
    if args[:1] == ["--converge"]:
        print(converge_row(converge(int(args[1]), int(args[2]))), flush=True)
        return
    if args[:1] == ["--profile"]:
        print(HEADER)
        print(row(run(int(args[1]), int(args[2]), int(args[3]), profile=True)), flush=True)
        return
    if len(args) == 3:
        print(HEADER)
        print(row(run(int(args[0]), int(args[1]), int(args[2]))), flush=True)
        return
    print(HEADER, flush=True)
    for nodes, initial, measured in SIZES:  # one process per size: peak RSS is that size's
        out = subprocess.run(
            [sys.executable, __file__, str(nodes), str(initial), str(measured)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        print(out.splitlines()[-1], flush=True)
    out = subprocess.run(
        [sys.executable, __file__, "--converge", *map(str, CONVERGE)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    print(out.splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
