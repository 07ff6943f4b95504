"""What the lab page's network map costs the server, and how much each update sends (prints figures).

For the default lab and the `ingress` scenario, each with a Deployment behind a Service (and
in the second an Ingress with one good and one broken path) and a learner's load running:
the time to build the map's context (Ingresses and Services panels), the size of its first
render, and over a minute of 1x ticks (0.1 s wall each, as the page is paced) the mean
and largest update the websocket sends, with the network map's share of it.

    .venv/bin/python bench/network_map.py
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clusterlab.settings")

import django

django.setup()

from clusterlab.engine import Cluster  # noqa: E402
from clusterlab.labs import ingress_map, service_map  # noqa: E402
from clusterlab.labs.fragments import Fragment, render_fragments, top_level  # noqa: E402
from clusterlab.labs.runner import LabRunner  # noqa: E402
from tests.manifests import EXAMPLE_INGRESS_WEB_WEB2, WEB_SERVICE, nginx_web_deployment  # noqa: E402

WEB = nginx_web_deployment(3, container_port=80) + "---" + WEB_SERVICE

INGRESS = EXAMPLE_INGRESS_WEB_WEB2

MAP_IDS = ("ingresses", "services", "network-live")


def _is_map(fragment: Fragment) -> bool:
    return fragment.dom_id in MAP_IDS or fragment.parent in ("ingresses", "services")


def timed(label: str, fn: Callable[[], Any], repeat: int = 20) -> Any:
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    print(f"  {label:<52} {best * 1000:8.2f} ms")
    return result


def measure(scenario: str, manifests: str, target: str) -> None:
    cluster = Cluster.from_scenario(scenario, seed=1)
    cluster.advance(60)
    cluster.apply(manifests)
    cluster.advance(120)
    cluster.send_traffic(target, 50)
    cluster.advance(15)
    print(f"{scenario}: {len(cluster.observe('pods'))} pods, load of 50 req/s to {target}")
    timed("ingress_map.ingresses_panel", lambda: ingress_map.ingresses_panel(cluster))
    timed("service_map.services_panel", lambda: service_map.services_panel(cluster))
    runner = LabRunner("bench", cluster, speed=1)
    first = runner.changed_fragments()
    page = render_fragments(top_level(first))
    drawn = render_fragments([f for f in top_level(first) if _is_map(f)])
    print(f"  first render: whole board {len(page):,} bytes, network map {len(drawn):,} bytes")
    sizes: list[int] = []
    map_sizes: list[int] = []
    swapped: dict[str, int] = {}
    build = 0.0
    for _ in range(600):  # a minute of wall time at 1x
        start = time.perf_counter()
        fragments = runner.tick(0.1)
        build += time.perf_counter() - start
        sizes.append(len(render_fragments(fragments)) if fragments else 0)
        map_sizes.append(len(render_fragments([f for f in fragments if _is_map(f)])))
        for f in fragments:
            if _is_map(f):
                swapped[f.dom_id] = swapped.get(f.dom_id, 0) + 1
    sent = [s for s in sizes if s]
    print(
        f"  600 ticks of 0.1 s: {len(sent)} updates sent, mean {sum(sent) / max(1, len(sent)):,.0f} bytes, "
        f"largest {max(sizes):,}; network map's part: {sum(map_sizes):,} bytes in all, "
        f"largest {max(map_sizes):,}; tick + diff {build / 600 * 1000:.2f} ms mean"
    )
    print(f"  map elements re-sent: {dict(sorted(swapped.items()))}")


def main() -> None:
    measure("default", WEB, "web")
    measure("ingress", WEB + "---" + INGRESS, "hello-world.example")


if __name__ == "__main__":
    main()
