"""How long a Deployment takes to become fully Running in a big simulated cluster.

For each size: build the default cluster plus N workers (8 CPU / 32 GiB each), wait until every
node is Ready (a joining node is NotReady for its first few virtual seconds), apply one
Deployment of P replicas (100m CPU / 64Mi each), and advance the virtual clock in 1 s steps
until every pod is Running and the Deployment reports P available. Prints wall seconds, CPU
seconds (the process's: what the engine spent, whatever else loads the machine), pods/s (wall),
the virtual seconds it took, and API requests served.

    python bench/engine_scale.py            # both sizes from the issue
    python bench/engine_scale.py 100 3000   # one size
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from clusterlab.engine import Cluster

SIZES = [(100, 3_000), (1_000, 30_000)]


def deployment(replicas: int) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "bench"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "bench"}},
            "template": {
                "metadata": {"labels": {"app": "bench"}},
                "spec": {
                    "containers": [
                        {
                            "name": "nginx",
                            "image": "nginx:1.27",
                            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
                        }
                    ]
                },
            },
        },
    }


def all_nodes_ready(c: Cluster) -> bool:
    return all(
        any(x["type"] == "Ready" and x["status"] == "True" for x in n["status"].get("conditions", ()))
        for n in c.store.iter("nodes")
    )


def run(nodes: int, pods: int) -> dict[str, float]:
    t0 = time.perf_counter()
    c = Cluster.from_scenario("default", seed=1)
    for i in range(nodes - 3):
        c.add_node(f"worker-{i + 4}", cpu="8", memory="32Gi")
    while not all_nodes_ready(c):  # a joining node is NotReady until its kubelet and CNI are up
        c.advance(1)
        if c.now > 600:
            raise SystemExit("nodes not Ready after 10 virtual minutes")
    setup = time.perf_counter() - t0
    calls_before = c.server.audit.seq
    start_virtual = c.now
    t1, cpu1 = time.perf_counter(), time.process_time()
    c.apply(deployment(pods))
    while True:
        c.advance(1)
        status = c.store.get("deployments", "default", "bench")["status"]
        if status.get("availableReplicas", 0) == pods:
            break
        if c.now - start_virtual > 3600:
            raise SystemExit(f"not converged after an hour of virtual time: {status}")
    wall, cpu = time.perf_counter() - t1, time.process_time() - cpu1
    running = sum(1 for p in c.store.iter("pods", "default") if p.get("status", {}).get("phase") == "Running")
    assert running == pods, (running, pods)
    return {
        "nodes": nodes,
        "pods": pods,
        "setup_s": setup,
        "wall_s": wall,
        "cpu_s": cpu,
        "pods_per_s": pods / wall,
        "virtual_s": c.now - start_virtual,
        "api_requests": c.server.audit.seq - calls_before,
    }


def main() -> None:
    sizes = SIZES if len(sys.argv) < 3 else [(int(sys.argv[1]), int(sys.argv[2]))]
    print(
        f"{'nodes':>6} {'pods':>7} {'setup s':>8} {'wall s':>8} {'CPU s':>8} {'pods/s':>8} {'virtual s':>9} "
        f"{'API reqs':>9} {'max RSS MiB':>8}"
    )
    for nodes, pods in sizes:
        r = run(nodes, pods)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        print(
            f"{r['nodes']:>6} {r['pods']:>7} {r['setup_s']:>8.1f} {r['wall_s']:>8.1f} {r['cpu_s']:>8.1f} "
            f"{r['pods_per_s']:>8.0f} {r['virtual_s']:>9.0f} {r['api_requests']:>9} {peak:>11.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
