"""ImageLocality: kube-scheduler's image_locality_test.go cases (v1.32), its image-name
normalisation, and a pod preferring the node that already pulled its images."""

from __future__ import annotations

import pytest

from clusterlab.engine import Cluster, scenarios
from clusterlab.engine.scheduler.framework import CycleState, Handle, NodeInfo
from clusterlab.engine.scheduler.plugins.image_locality import (
    MB,
    ImageLocality,
    calculate_priority,
    normalized_image_name,
)


def image(size_mb: int, *names: str) -> dict:
    return {"names": list(names), "sizeBytes": size_mb * MB}


NODE_40_300_2000 = [
    image(40, "gcr.io/40:latest", "gcr.io/40:v1", "gcr.io/40:v1"),
    image(300, "gcr.io/300:latest", "gcr.io/300:v1"),
    image(2000, "gcr.io/2000:latest"),
]
NODE_250_10 = [image(250, "gcr.io/250:latest"), image(10, "gcr.io/10:latest", "gcr.io/10:v1")]
NODE_600_40_900 = [
    image(600, "gcr.io/600:latest"),
    image(40, "gcr.io/40:latest"),
    image(900, "gcr.io/900:latest"),
]
NODE_300_600_900 = [
    image(300, "gcr.io/300:latest"),
    image(600, "gcr.io/600:latest"),
    image(900, "gcr.io/900:latest"),
]
NODE_4000_30 = [image(4000, "gcr.io/4000:latest"), image(30, "gcr.io/30:latest")]
NODE_20_30_40 = [image(20, "gcr.io/20:latest"), image(30, "gcr.io/30:latest"), image(40, "gcr.io/40:latest")]
NO_IMAGES: list[dict] = []


def pod(*images: str, init: tuple[str, ...] = ()) -> dict:
    spec: dict = {"containers": [{"name": f"c{i}", "image": im} for i, im in enumerate(images)]}
    if init:
        spec["initContainers"] = [{"name": f"i{i}", "image": im} for i, im in enumerate(init)]
    return {"metadata": {"name": "p", "namespace": "default"}, "spec": spec}


def scores(p: dict, *nodes: list[dict]) -> list[int]:
    infos = {
        f"node{i}": NodeInfo({"metadata": {"name": f"node{i}"}, "status": {"images": imgs}})
        for i, imgs in enumerate(nodes, 1)
    }
    plugin = ImageLocality(None, Handle(None, None, None, None, infos))
    state = CycleState()
    return [plugin.score(state, p, info) for info in infos.values()]


@pytest.mark.parametrize(
    ("name", "p", "nodes", "expected"),
    [
        (  # node2: 100 * (250M/2 - 23M) / (1000M * 2 - 23M) = 5
            "two images spread on two nodes, prefer the larger image one",
            pod("gcr.io/40", "gcr.io/250"),
            [NODE_40_300_2000, NODE_250_10],
            [0, 5],
        ),
        (  # node1: 100 * ((40M + 300M)/2 - 23M) / (1000M * 2 - 23M) = 7
            "two images on one node, prefer this node",
            pod("gcr.io/40", "gcr.io/300"),
            [NODE_40_300_2000, NODE_250_10],
            [7, 0],
        ),
        (  # node1: 4000M * 1/2 >= 1000M * 2, the max threshold
            "if exceed limit, use limit",
            pod("gcr.io/10", "gcr.io/4000"),
            [NODE_4000_30, NODE_250_10],
            [100, 0],
        ),
        (  # node1: 100 * (4000M/3 - 23M) / (1000M * 2 - 23M) = 66
            "if exceed limit, use limit (with node which has no images present)",
            pod("gcr.io/10", "gcr.io/4000"),
            [NODE_4000_30, NODE_250_10, NO_IMAGES],
            [66, 0, 0],
        ),
        (  # node1: 100 * (600M*2/3 + 900M*2/3 - 23M) / (1000M*3 - 23M) = 32; node2 adds 300M/3: 36
            "pod with multiple large images, node2 is preferred",
            pod("gcr.io/300", "gcr.io/600", "gcr.io/900"),
            [NODE_600_40_900, NODE_300_600_900, NO_IMAGES],
            [32, 36, 0],
        ),
        (  # node1: 100 * (30M + 40M/2 - 23M) / (1000M * 2 - 23M) = 1; node2: 30M/... = 0
            "pod with multiple small images",
            pod("gcr.io/30", "gcr.io/40"),
            [NODE_20_30_40, NODE_4000_30],
            [1, 0],
        ),
        (  # node1: 100 * (300M/2 - 23M) / (1000M * 2 - 23M) = 6
            "include InitContainers: two images spread on two nodes, prefer the larger image one",
            pod("gcr.io/30", init=("gcr.io/300",)),
            [NODE_40_300_2000, NODE_20_30_40],
            [6, 0],
        ),
    ],
)
def test_score(name: str, p: dict, nodes: list[list[dict]], expected: list[int]) -> None:
    assert scores(p, *nodes) == expected, name


@pytest.mark.parametrize(
    ("given", "normalized"),
    [
        ("root", "root:latest"),
        ("gcr.io:5000/root", "gcr.io:5000/root:latest"),
        ("root:tag", "root:tag"),
        ("root@sha256:" + "ab" * 32, "root@sha256:" + "ab" * 32),
        # no registry defaulting: the short name does not become docker.io/library/nginx
        ("nginx", "nginx:latest"),
        ("docker.io/library/nginx:1.27", "docker.io/library/nginx:1.27"),
    ],
)
def test_normalized_image_name(given: str, normalized: str) -> None:
    assert normalized_image_name(given) == normalized


def test_thresholds() -> None:
    assert calculate_priority(0, 1) == 0
    assert calculate_priority(23 * MB, 1) == 0
    assert calculate_priority(1000 * MB, 1) == 100
    assert calculate_priority(5000 * MB, 2) == 100
    assert calculate_priority(1000 * MB, 2) == 100 * (1000 - 23) // (2000 - 23)


def two_workers(monkeypatch: pytest.MonkeyPatch) -> Cluster:
    """The default lab's control-plane node, worker-1 and worker-2, without add-ons: the two
    workers are alike in everything the other score plugins look at."""
    load = scenarios.load

    def trimmed(name: str) -> scenarios.Scenario:
        scenario = load(name)
        scenario.nodes = [n for n in scenario.nodes if n.name in ("control-plane", "worker-1", "worker-2")]
        scenario.objects = []
        return scenario

    monkeypatch.setattr(scenarios, "load", trimmed)
    return Cluster(seed=7)


IMAGES = ("docker.io/library/nginx:1.27", "docker.io/library/httpd:2.4", "docker.io/library/redis:7")


def three_containers(name: str, images: tuple[str, ...], **spec: object) -> dict:
    containers = [{"name": im.split("/")[-1].split(":")[0], "image": im} for im in images]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": containers, **spec},
    }


def test_a_pod_prefers_the_node_that_already_has_its_images(monkeypatch: pytest.MonkeyPatch) -> None:
    c = two_workers(monkeypatch)
    # an earlier pod pulled the three images onto worker-2 (72 + 58 + 45 MB compressed)
    c.apply(three_containers("earlier", IMAGES, nodeName="worker-2"))

    def reported() -> set[str]:
        return {n for img in c.get("node", "worker-2", None)["status"]["images"] for n in img["names"]}

    # pulled within 10 s; the kubelet lists its images again at t=30 and reports them at once
    c.advance(29.9)
    assert not set(IMAGES) & reported()
    c.advance(0.1)
    assert set(IMAGES) <= reported()
    c.delete("pod", "earlier")
    c.advance(5)
    c.apply(three_containers("app", IMAGES))
    c.advance(1)
    assert c.get("pod", "app")["spec"]["nodeName"] == "worker-2"
    d = c.scheduling_diagnosis("app")
    assert d is not None
    # 175,455,174 bytes on 1 of 3 nodes: 100 * (58,485,058 - 23 MiB) // (3 * 1000 MiB - 23 MiB) = 1
    assert d.plugin_scores["ImageLocality"].raw == {"worker-1": 0, "worker-2": 1}
    assert d.totals["worker-2"] == d.totals["worker-1"] + 1
    # The same images by their short names match nothing the kubelet reports (containerd
    # stores fully qualified names), exactly as in a real cluster: no preference.
    c.apply(three_containers("short", ("nginx:1.27", "httpd:2.4", "redis:7")))
    c.advance(1)
    short = c.scheduling_diagnosis("short")
    assert short is not None
    assert short.plugin_scores["ImageLocality"].raw == {"worker-1": 0, "worker-2": 0}
