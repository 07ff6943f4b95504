"""The scheduler's batch paths say exactly what the node-by-node framework says.

`filter_many`/`score_many`/`normalize_many` (a plugin's answer for many nodes at once), the
batched Filter loop and the C-level selectHost are speed-ups only: for random clusters and pods
they must give the same verdicts, scores, processed-node counts, chosen node and random draws as
calling `filter`/`score`/`normalize` per node and walking the nodes one by one.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
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
from clusterlab.engine.scheduler.node_columns import ROWS_KEY, NodeTable, rows_for
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


def _cluster(seed: int, attached: bool = False) -> tuple[Handle, list[NodeInfo], list[Obj]]:
    """40 random nodes with 60 pods, and 40 pods to place; `attached`: the nodes keep their
    numbers and flags in a NodeTable as the scheduler's cache does (the column fast paths)."""
    rng = random.Random(seed)
    infos = {f"node-{i}": NodeInfo(_random_node(rng, i)) for i in range(40)}
    if attached:
        table = NodeTable(capacity=8)  # grown while attaching
        for info in infos.values():
            info.attach(table)
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


def _ints(scores: Any) -> list[int]:
    return [int(s) for s in scores]


@pytest.mark.parametrize("attached", [False, True], ids=["plain", "table"])
@pytest.mark.parametrize("seed", [1, 7])
@pytest.mark.parametrize("name", PLUGINS)
def test_batch_forms_agree_with_per_node_calls(name, seed, attached):
    handle, nodes, pods = _cluster(seed, attached)
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
            assert _ints(raw) == [plugin.score(state, pod, n) for n in nodes]
            names = tuple(n.name for n in nodes)
            by_node = dict(zip(names, _ints(raw), strict=True))
            plugin.normalize(state, pod, by_node)
            assert _ints(plugin.normalize_many(state, pod, names, raw)) == list(by_node.values())


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


@pytest.mark.parametrize("with_rows", [False, True], ids=["plain", "rows"])
@pytest.mark.parametrize("seed", range(20))
def test_batched_filter_loop_matches_node_by_node(seed, with_rows):
    """From a random start index, wrapping around the end of the node list."""
    rng = random.Random(seed)
    n = rng.randrange(1, 60)
    order = [NodeInfo({"metadata": {"name": f"n-{i}"}, "spec": {}, "status": {}}) for i in range(n)]
    rng.shuffle(order)
    filters: list[FilterPlugin] = [
        _Rejects(f"F{k}", {i for i in range(n) if rng.random() < rng.random()}) for k in range(3)
    ]
    want, start = rng.randrange(1, n + 1), rng.randrange(3 * n)
    rows = None
    if with_rows:
        table = NodeTable()
        for info in order:
            info.attach(table)
        rows = (table, np.array([info.row for info in order], dtype=np.intp))
    state = CycleState()
    got = filter_nodes(state, {}, filters, order, want, rows, start)
    rotated = order[start % n :] + order[: start % n]
    assert got == _sequential(filters, rotated, want)
    if rows is not None:
        assert rows_for(state, got[0])[1].tolist() == [info.row for info in got[0]]


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


@pytest.mark.parametrize("column", [False, True], ids=["list", "int64"])
@pytest.mark.parametrize("seed", range(20))
def test_select_host_draws_like_reservoir_sampling(seed, column):
    pick = random.Random(seed)
    values = pick.choice([[3, 5, 5, 7, 7, 7], [1, 2, 3], [9], [4, 4, 4, 4, 5]])
    totals = [pick.choice(values) for _ in range(pick.choice([1, 2, 50, 700]))]
    a, b = random.Random(seed), random.Random(seed)
    given = np.array(totals, dtype=np.int64) if column else totals
    assert select_host(given, a) == _reservoir(totals, b)
    assert a.random() == b.random()  # the same number of draws


def test_the_filter_walk_registers_each_batch_rows_for_the_plugins():
    """Every list a plugin is handed (each batch, what is left of it after a rejection, and
    the feasible list) is registered with the table rows of exactly its nodes."""
    table = NodeTable()
    order = [NodeInfo({"metadata": {"name": f"n-{i}"}, "spec": {}, "status": {}}) for i in range(30)]
    for info in order:
        info.attach(table)
    rows = np.array([info.row for info in order], dtype=np.intp)
    seen: list[tuple[list[int], list[int]]] = []

    class Records(_Rejects):
        def filter_many(self, state, pod, nodes):
            assert state[ROWS_KEY][id(nodes)][0] is nodes  # registered, not recomputed
            hit = rows_for(state, nodes)
            seen.append(([n.row for n in nodes], hit[1].tolist()))
            return super().filter_many(state, pod, nodes)

    state = CycleState()
    feasible, _, _ = filter_nodes(
        state, {}, [Records("A", {1, 4, 9}), Records("B", {2, 11})], order, 20, (table, rows)
    )
    assert seen and all(mine == registered for mine, registered in seen)
    assert state[ROWS_KEY][id(feasible)][0] is feasible
    assert rows_for(state, feasible)[1].tolist() == [n.row for n in feasible]
