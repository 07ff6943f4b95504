"""The scheduler's batch paths say exactly what the node-by-node framework says.

`filter_many`/`score_many`/`normalize_many` (a plugin's answer for many nodes at once), the
batched Filter loop and the C-level selectHost are speed-ups only: for random clusters and pods
they must give the same verdicts, scores, processed-node counts, chosen node and random draws as
calling `filter`/`score`/`normalize` per node and walking the nodes one by one.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from clusterlab.engine.scheduler.framework import (
    OK,
    SKIP,
    UNSCHEDULABLE,
    CycleState,
    FilterPlugin,
    Handle,
    NodeInfo,
    PreFilterPlugin,
    PreScorePlugin,
    ScorePlugin,
    Status,
)
from clusterlab.engine.scheduler.registry import REGISTRY
from clusterlab.engine.scheduler.selection import filter_nodes, select_host

Obj = dict[str, Any]
IMAGES = ["registry.k8s.io/pause:3.10", "docker.io/library/nginx:1.27", "docker.io/library/redis:7"]


def _random_node(rng: random.Random, i: int) -> Obj:
    taints = []
    if rng.random() < 0.5:
        taints.append(
            {
                "key": rng.choice(["a", "b"]),
                "value": "x",
                "effect": rng.choice(["NoSchedule", "PreferNoSchedule"]),
            }
        )
    cpu, mem = rng.choice(["0", "1", "2", "4"]), rng.choice(["0", "1Gi", "4Gi", "32Gi"])
    return {
        "metadata": {
            "name": f"node-{i}",
            "labels": {"zone": rng.choice(["z1", "z2"]), "kubernetes.io/hostname": f"node-{i}"},
        },
        "spec": {"taints": taints, "unschedulable": rng.random() < 0.1},
        "status": {
            "allocatable": {"cpu": cpu, "memory": mem, "pods": rng.choice(["2", "110"])},
            "images": [
                {"names": [img], "sizeBytes": rng.choice([10, 300, 900]) * 2**20}
                for img in IMAGES
                if rng.random() < 0.3
            ],
        },
    }


def _random_pod(rng: random.Random, i: int) -> Obj:
    req = {}
    if rng.random() < 0.8:
        req["cpu"] = rng.choice(["100m", "500m", "3"])
    if rng.random() < 0.8:
        req["memory"] = rng.choice(["64Mi", "2Gi", "16Gi"])
    spec: Obj = {
        "containers": [{"name": "c", "image": rng.choice(IMAGES), "resources": {"requests": req}}],
        "tolerations": [{"key": "a", "operator": "Exists"}] if rng.random() < 0.3 else [],
    }
    if rng.random() < 0.3:
        spec["nodeSelector"] = {"zone": rng.choice(["z1", "z2"])}
    if rng.random() < 0.3:
        term = {"matchExpressions": [{"key": "zone", "operator": "In", "values": [rng.choice(["z1", "z2"])]}]}
        spec["affinity"] = {
            "nodeAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 5, "preference": term}]
            }
        }
    if rng.random() < 0.1:
        spec["nodeName"] = f"node-{rng.randrange(40)}"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"pod-{i}", "namespace": "default"},
        "spec": spec,
    }


def _cluster(seed: int) -> tuple[Handle, list[NodeInfo], list[Obj]]:
    rng = random.Random(seed)
    infos = {f"node-{i}": NodeInfo(_random_node(rng, i)) for i in range(40)}
    for i in range(60):  # some pods already running
        pod = _random_pod(rng, 1000 + i)
        pod["spec"].pop("nodeName", None)
        infos[f"node-{rng.randrange(40)}"].add_pod(f"default/{pod['metadata']['name']}", pod)
    return (
        Handle(None, None, None, None, infos),
        list(infos.values()),
        [_random_pod(rng, i) for i in range(40)],
    )


PLUGINS = sorted(name for name, cls in REGISTRY.items() if issubclass(cls, FilterPlugin | ScorePlugin))


@pytest.mark.parametrize("seed", [1, 7])
@pytest.mark.parametrize("name", PLUGINS)
def test_batch_forms_agree_with_per_node_calls(name, seed):
    handle, nodes, pods = _cluster(seed)
    plugin = REGISTRY[name](None, handle)
    for pod in pods:
        state = CycleState()
        if isinstance(plugin, PreFilterPlugin) and plugin.pre_filter(state, pod, nodes).code == SKIP:
            pass
        elif isinstance(plugin, FilterPlugin):
            assert plugin.filter_many(state, pod, nodes) == [plugin.filter(state, pod, n) for n in nodes]
        if isinstance(plugin, ScorePlugin):
            if isinstance(plugin, PreScorePlugin) and plugin.pre_score(state, pod, nodes).code == SKIP:
                continue
            raw = plugin.score_many(state, pod, nodes)
            assert raw == [plugin.score(state, pod, n) for n in nodes]
            names = tuple(n.name for n in nodes)
            by_node = dict(zip(names, raw, strict=True))
            plugin.normalize(state, pod, by_node)
            assert plugin.normalize_many(state, pod, names, raw) == list(by_node.values())


class _Rejects(FilterPlugin):
    """Fails the nodes whose index is in `bad`, as a plugin named `name`."""

    def __init__(self, name: str, bad: set[int]) -> None:
        super().__init__()
        self.name, self.bad = name, bad  # type: ignore[misc]

    def filter(self, state: CycleState, pod: Obj, node: NodeInfo) -> Status:
        if int(node.name.split("-")[1]) in self.bad:
            return Status(UNSCHEDULABLE, [f"rejected by {self.name}"], self.name)
        return OK


def _sequential(filters: list[FilterPlugin], order: list[NodeInfo], want: int):
    feasible, failures, processed = [], [], 0
    for info in order:
        processed += 1
        for plugin in filters:
            st = plugin.filter(CycleState(), {}, info)
            if not st.ok:
                failures.append((info, st))
                break
        else:
            feasible.append(info)
            if len(feasible) >= want:
                break
    return feasible, failures, processed


@pytest.mark.parametrize("seed", range(20))
def test_batched_filter_loop_matches_node_by_node(seed):
    rng = random.Random(seed)
    n = rng.randrange(1, 60)
    order = [NodeInfo({"metadata": {"name": f"n-{i}"}, "spec": {}, "status": {}}) for i in range(n)]
    rng.shuffle(order)
    filters: list[FilterPlugin] = [
        _Rejects(f"F{k}", {i for i in range(n) if rng.random() < rng.random()}) for k in range(3)
    ]
    want = rng.randrange(1, n + 1)
    assert filter_nodes(CycleState(), {}, filters, order, want) == _sequential(filters, order, want)


def _reservoir(totals: list[int], rng: random.Random) -> int:
    best, best_score, ties = -1, -1, 0
    for i, total in enumerate(totals):
        if total > best_score:
            best, best_score, ties = i, total, 1
        elif total == best_score:
            ties += 1
            if rng.random() * ties < 1.0:
                best = i
    return best


@pytest.mark.parametrize("seed", range(20))
def test_select_host_draws_like_reservoir_sampling(seed):
    totals = [random.Random(seed * 100 + i).choice([3, 5, 5, 7, 7, 7]) for i in range(50)]
    a, b = random.Random(seed), random.Random(seed)
    assert select_host(totals, a) == _reservoir(totals, b)
    assert a.random() == b.random()  # the same number of draws
