"""How long the lab page's server-side work takes on a big cluster (prints figures).

Builds a cluster of 100 nodes and 3,000 pods, then times: building the board view-model,
finding changed fragments, rendering them, and one runner tick at 600x.

    .venv/bin/python bench/lab_board.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clusterlab.settings")

import django

django.setup()

from clusterlab.engine import Cluster  # noqa: E402
from clusterlab.labs import board  # noqa: E402
from clusterlab.labs.fragments import render_fragments, top_level  # noqa: E402
from clusterlab.labs.runner import LabRunner  # noqa: E402

NODES = 100
PODS = 3000

MANIFEST = f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: load, namespace: default}}
spec:
  replicas: {PODS}
  selector: {{matchLabels: {{app: load}}}}
  template:
    metadata: {{labels: {{app: load}}}}
    spec:
      containers:
        - name: app
          image: nginx:1.27
          resources: {{requests: {{cpu: 10m, memory: 16Mi}}}}
"""


def timed(label: str, fn, repeat: int = 5) -> object:  # type: ignore[no-untyped-def]
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    print(f"{label:<48} {best * 1000:8.1f} ms")
    return result


def main() -> None:
    start = time.perf_counter()
    cluster = Cluster.from_scenario("default", seed=1)
    for i in range(4, NODES):
        cluster.add_node(f"worker-{i}", cpu="4", memory="8Gi")
    cluster.apply(MANIFEST)
    cluster.advance(300)
    pods = len(cluster.state()["pods"])
    print(f"cluster: {NODES} nodes, {pods} pods, built in {time.perf_counter() - start:.1f} s")

    timed("board.cluster_board (view-model)", lambda: board.cluster_board(cluster))
    runner = LabRunner("bench", cluster, speed=600)
    full = timed(
        "all fragments, first time (build + diff)", lambda: LabRunner("b", cluster).changed_fragments()
    )
    timed("render the whole page's fragments", lambda: render_fragments(top_level(full)))  # type: ignore[arg-type]
    runner.changed_fragments()
    timed("steady tick at 600x (0.15 s wall = 90 s virtual)", lambda: runner.tick(0.15), repeat=10)


if __name__ == "__main__":
    main()
