"""The array paths of NodeResourcesFit and NodeResourcesBalancedAllocation against their
per-node formulas: nodes kept in a NodeTable (the scheduler's cache), loose NodeInfos (a
preemption copy) and values beyond the exact range, which fall back to the per-node path."""

import random

import pytest

from clusterlab.engine.scheduler.framework import OK, CycleState, NodeInfo
from clusterlab.engine.scheduler.node_columns import NodeTable
from clusterlab.engine.scheduler.plugins.balanced_allocation import NodeResourcesBalancedAllocation
from clusterlab.engine.scheduler.plugins.node_resources_fit import NodeResourcesFit


def node(name: str, cpu: str, memory: str, pods: str) -> dict:
    alloc = {"cpu": cpu, "memory": memory, "pods": pods}
    return {"metadata": {"name": name}, "spec": {}, "status": {"allocatable": alloc, "capacity": alloc}}


def pod(name: str, cpu: str | None, memory: str | None) -> dict:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    return {
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"containers": [{"name": "c", "resources": {"requests": requests}}]},
    }


def cluster(
    rng: random.Random, table: NodeTable | None, huge: bool, positive: bool = False
) -> list[NodeInfo]:
    """60 random nodes; `positive`: every node offers some cpu and memory (the plugins' fast
    path where no node needs the per-node formula)."""
    infos = []
    zero = [] if positive else ["0"]
    for i in range(60):
        memory = "100Pi" if huge and i == 7 else rng.choice([*zero, "1Gi", "4Gi", "32Gi"])
        info = NodeInfo(
            node(f"n{i}", rng.choice([*zero, "500m", "2", "4"]), memory, rng.choice(["0", "2", "110"]))
        )
        if table is not None:
            info.attach(table)
        for j in range(rng.randint(0, 4)):
            info.add_pod(f"default/p{i}-{j}", pod(f"p{i}-{j}", rng.choice([None, "100m", "1"]), "500Mi"))
        if info.pods and rng.random() < 0.3:
            info.remove_pod(next(iter(info.pods)))
        infos.append(info)
    return infos


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("kind", ["table", "positive", "loose", "copies", "huge"])
def test_batch_paths_agree_with_per_node(seed: int, kind: str) -> None:
    rng = random.Random(seed)
    table = None if kind == "loose" else NodeTable(capacity=4)  # grows while attaching
    infos = cluster(rng, table, huge=kind == "huge", positive=kind == "positive")
    if kind == "copies":
        infos = [info.clone() if i % 2 else info for i, info in enumerate(infos)]
    fit, balanced = NodeResourcesFit(), NodeResourcesBalancedAllocation()
    for cpu, memory in (("100m", "500Mi"), (None, None), ("3", None), (None, "20Gi")):
        p = pod("incoming", cpu, memory)
        state = CycleState()
        fit.pre_filter(state, p, infos)
        statuses = fit.filter_many(state, p, infos)
        assert [st is OK for st in statuses] == [fit.filter(state, p, n).ok for n in infos]
        assert [st.reasons for st in statuses] == [fit.filter(state, p, n).reasons for n in infos]
        fit.pre_score(state, p, infos)
        assert list(map(int, fit.score_many(state, p, infos))) == [fit.score(state, p, n) for n in infos]
        if balanced.pre_score(state, p, infos).ok:
            assert list(map(int, balanced.score_many(state, p, infos))) == [
                balanced.score(state, p, n) for n in infos
            ]


def test_a_deleted_nodes_row_is_reused() -> None:
    table = NodeTable(capacity=2)
    a, b = NodeInfo(node("a", "1", "1Gi", "10")), NodeInfo(node("b", "2", "2Gi", "10"))
    a.attach(table)
    b.attach(table)
    row = a.row
    a.detach()
    c = NodeInfo(node("c", "3", "3Gi", "10"))
    c.attach(table)
    assert c.row == row and table.cols["alloc_cpu"][row] == 3000


def test_re_adding_a_pod_keeps_the_numbers_right_whether_or_not_it_changed() -> None:
    """The binding confirms an assumed pod (same requests: only the reference changes); a pod
    whose containers changed is accounted afresh."""
    table = NodeTable()
    info = NodeInfo(node("n", "4", "8Gi", "110"))
    info.attach(table)
    first = pod("p", "500m", "1Gi")
    info.add_pod("default/p", first)
    bound = {**first, "spec": {**first["spec"], "nodeName": "n"}}
    info.add_pod("default/p", bound)
    assert info.pods["default/p"] is bound
    assert (info.requested.milli_cpu, table.cols["req_cpu"][info.row], len(info.pods)) == (500, 500, 1)
    bigger = pod("p", "2", "1Gi")
    info.add_pod("default/p", bigger)
    assert (info.requested.milli_cpu, table.cols["req_cpu"][info.row], len(info.pods)) == (2000, 2000, 1)
