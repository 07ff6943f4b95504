"""DefaultPreemption: victims, the candidate tie-break, nominatedNodeName, Preempted events.

The table tests port cases of kube-scheduler's default_preemption_test.go (TestDryRunPreemption,
TestSelectBestCandidate, TestPodEligibleToPreemptOthers): nodes of 500m CPU / 500 bytes, pods
of 100m/200m/300m/500m, priorities -100/0/100/1000/10000, NodeResourcesFit as the filter. Go's
start times differ by nanoseconds; here by seconds (the API's RFC 3339 precision).
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.scheduler.framework import (
    UNRESOLVABLE,
    UNSCHEDULABLE,
    CycleState,
    Diagnosis,
    FilterPlugin,
    Handle,
    NodeInfo,
    PreFilterPlugin,
    Status,
)
from clusterlab.engine.scheduler.nominator import Nominator
from clusterlab.engine.scheduler.plugins.default_preemption import DefaultPreemption, validate_args
from clusterlab.engine.scheduler.plugins.node_resources_fit import NodeResourcesFit
from clusterlab.engine.scheduler.preemption import Candidate, Victims, pick_one_node_for_preemption
from clusterlab.engine.scheduler.scheduler import Scheduler

from .conftest import events_for, web

NEG, LOW, MID, HIGH, VERY_HIGH = -100, 0, 100, 1000, 10000
SMALL, MEDIUM, LARGE, VERY_LARGE = ("100m", "100"), ("200m", "200"), ("300m", "300"), ("500m", "500")
NOW = "2026-01-01T09:00:00Z"


def pod(
    name: str,
    priority: int,
    req: tuple[str, str] | None = None,
    node: str | None = None,
    start: int | None = None,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    resources = {"requests": {"cpu": req[0], "memory": req[1]}} if req else {}
    spec: dict[str, Any] = {"containers": [{"name": "c", "resources": resources}], "priority": priority}
    if node:
        spec["nodeName"] = node
    status = {"startTime": f"1970-01-01T00:00:0{start}Z"} if start is not None else {}
    meta: dict[str, Any] = {"name": name, "namespace": "default", "uid": name}
    if labels:
        meta["labels"] = labels
    return {"metadata": meta, "spec": spec, "status": status}


def pdb(allowed: int, disrupted: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "metadata": {"name": "foo", "namespace": "default"},
        "spec": {"selector": {"matchLabels": {"app": "foo"}}},
        "status": {"disruptionsAllowed": allowed, "disruptedPods": dict.fromkeys(disrupted, NOW)},
    }


class FixedOffset:
    def __init__(self, offset: int) -> None:
        self.offset = offset

    def randrange(self, n: int) -> int:
        return self.offset % n


class Verdict(FilterPlugin):
    """The Go tests' TrueFilter / FalseFilter."""

    def __init__(self, ok: bool) -> None:
        super().__init__()
        self.ok = ok
        self.name = "TrueFilter" if ok else "FalseFilter"

    def filter(self, state: CycleState, pod: dict[str, Any], node: NodeInfo) -> Status:
        return Status() if self.ok else Status(UNSCHEDULABLE, ["node(s) didn't fit"])


class Timestamps:
    def timestamp(self) -> str:
        return NOW


class Framework:
    """What the plugin calls back into: the Scheduler's own filter runs over a given profile."""

    run_filter_plugins = Scheduler.run_filter_plugins
    add_ge_nominated_pods = Scheduler.add_ge_nominated_pods
    run_filters_with_nominated_pods = Scheduler.run_filters_with_nominated_pods
    run_pre_filter_extension_add_pod = Scheduler.run_pre_filter_extension_add_pod
    run_pre_filter_extension_remove_pod = Scheduler.run_pre_filter_extension_remove_pod

    def __init__(self, filters: list[FilterPlugin]) -> None:
        self.filters = filters
        self.pre_filters = [p for p in filters if isinstance(p, PreFilterPlugin)]
        self.nominator = Nominator()
        self.pods = None
        self.rng = random.Random(0)


def setup(
    node_names: list[str],
    pods: list[dict[str, Any]],
    preemptor: dict[str, Any],
    filters: list[FilterPlugin] | None = None,
    args: dict[str, Any] | None = None,
) -> tuple[DefaultPreemption, CycleState, list[NodeInfo]]:
    infos = {
        n: NodeInfo(
            {
                "metadata": {"name": n},
                "spec": {},
                "status": {"allocatable": {"cpu": "500m", "memory": "500", "pods": "32"}},
            }
        )
        for n in node_names
    }
    for p in pods:
        infos[p["spec"]["nodeName"]].add_pod(f"default/{p['metadata']['name']}", p)
    framework = Framework(filters if filters is not None else [NodeResourcesFit()])
    handle = Handle(server=Timestamps(), user=None, clock=None, recorder=None, node_infos=infos)
    handle.framework = framework
    plugin = DefaultPreemption(args, handle)
    state = CycleState()
    for pre in framework.pre_filters:
        pre.pre_filter(state, preemptor, list(infos.values()))
    return plugin, state, list(infos.values())


def dry_run(
    plugin: DefaultPreemption,
    state: CycleState,
    preemptor: dict[str, Any],
    nodes: list[NodeInfo],
    pdbs: list[dict[str, Any]],
    offset: int = 0,
) -> tuple[list[tuple[str, list[str], int]], dict[str, Status]]:
    diagnosis = Diagnosis(pod="default/p", time=0.0, num_all_nodes=len(nodes))
    diagnosis.node_status = {n.name: Status(UNSCHEDULABLE, ["Insufficient cpu"]) for n in nodes}
    ev = plugin.evaluator
    assert ev is not None
    ev.offset_rng = FixedOffset(offset)  # type: ignore[assignment]
    candidates, statuses = ev.find_candidates(state, preemptor, diagnosis, nodes, pdbs)
    got = [
        (c.name, [v["metadata"]["name"] for v in c.victims.pods], c.victims.num_pdb_violations)
        for c in candidates
    ]
    return got, statuses


def two_nodes_large() -> list[dict[str, Any]]:
    return [pod("p1", MID, LARGE, "node1"), pod("p2", MID, LARGE, "node2")]


FIVE = ["node1", "node2", "node3", "node4", "node5"]


@pytest.mark.parametrize(
    ("name", "nodes", "pods", "preemptor", "pdbs", "args", "offset", "expected"),
    [
        (
            "a pod that fits on both nodes when lower priority pods are preempted",
            ["node1", "node2"],
            two_nodes_large(),
            pod("p", HIGH, LARGE),
            [],
            None,
            0,
            [("node1", ["p1"], 0), ("node2", ["p2"], 0)],
        ),
        (
            "a pod that would fit on the nodes, but other pods running are higher priority",
            ["node1", "node2"],
            two_nodes_large(),
            pod("p", LOW, LARGE),
            [],
            None,
            0,
            [],
        ),
        (
            "medium priority pod is preempted, but lower priority one stays as it is small",
            ["node1", "node2"],
            [
                pod("p1.1", LOW, SMALL, "node1"),
                pod("p1.2", MID, LARGE, "node1"),
                pod("p2", MID, LARGE, "node2"),
            ],
            pod("p", HIGH, LARGE),
            [],
            None,
            0,
            [("node1", ["p1.2"], 0), ("node2", ["p2"], 0)],
        ),
        (
            "mixed priority pods are preempted",
            ["node1", "node2"],
            [
                pod("p1.1", MID, SMALL, "node1"),
                pod("p1.2", LOW, SMALL, "node1"),
                pod("p1.3", MID, MEDIUM, "node1"),
                pod("p1.4", HIGH, SMALL, "node1"),
                pod("p2", HIGH, LARGE, "node2"),
            ],
            pod("p", HIGH, LARGE),
            [],
            None,
            0,
            [("node1", ["p1.3", "p1.2"], 0)],  # most important first
        ),
        (
            "mixed priority pods are preempted, pick later StartTime one when priorities are equal",
            ["node1", "node2"],
            [
                pod("p1.1", LOW, SMALL, "node1", start=5),
                pod("p1.2", LOW, SMALL, "node1", start=4),
                pod("p1.3", MID, MEDIUM, "node1", start=3),
                pod("p1.4", HIGH, SMALL, "node1", start=2),
                pod("p2", HIGH, LARGE, "node2", start=1),
            ],
            pod("p", HIGH, LARGE),
            [],
            None,
            0,
            [("node1", ["p1.3", "p1.1"], 0)],
        ),
        (
            "preemption with violation of same pdb",
            ["node1"],
            [
                pod("p1.1", MID, MEDIUM, "node1", labels={"app": "foo"}),
                pod("p1.2", MID, MEDIUM, "node1", labels={"app": "foo"}),
            ],
            pod("p", HIGH, VERY_LARGE),
            [pdb(1)],
            None,
            0,
            [("node1", ["p1.2", "p1.1"], 1)],  # p1.1 spent the budget: p1.2 violates, goes first
        ),
        (
            "the pdb's disruptedPods has another pod: still a violation",
            ["node1"],
            [
                pod("p1.1", MID, MEDIUM, "node1", labels={"app": "foo"}),
                pod("p1.2", MID, MEDIUM, "node1", labels={"app": "foo"}),
            ],
            pod("p", HIGH, VERY_LARGE),
            [pdb(1, ("p2",))],
            None,
            0,
            [("node1", ["p1.2", "p1.1"], 1)],
        ),
        (
            "the victim is in the pdb's disruptedPods: no violation",
            ["node1"],
            [
                pod("p1.1", MID, MEDIUM, "node1", labels={"app": "foo"}),
                pod("p1.2", MID, MEDIUM, "node1", labels={"app": "foo"}),
            ],
            pod("p", HIGH, VERY_LARGE),
            [pdb(1, ("p1.2",))],
            None,
            0,
            [("node1", ["p1.1", "p1.2"], 0)],
        ),
        (
            "a victim in disruptedPods is non-violating, the others still spend the budget",
            ["node1"],
            [
                pod("p1.1", MID, MEDIUM, "node1", labels={"app": "foo"}),
                pod("p1.2", MID, MEDIUM, "node1", labels={"app": "foo"}),
                pod("p1.3", MID, MEDIUM, "node1", labels={"app": "foo"}),
            ],
            pod("p", HIGH, VERY_LARGE),
            [pdb(1, ("p1.3",))],
            None,
            0,
            [("node1", ["p1.2", "p1.1", "p1.3"], 1)],  # violating first, then the rest
        ),
        (
            "all nodes are possible candidates, but DefaultPreemptionArgs limits to 2",
            FIVE,
            [pod(f"p{i}", MID, LARGE, f"node{i}") for i in range(1, 6)],
            pod("p", HIGH, LARGE),
            [],
            {"minCandidateNodesPercentage": 40, "minCandidateNodesAbsolute": 1},
            4,
            [("node5", ["p5"], 0), ("node1", ["p1"], 0)],
        ),
        (
            "some nodes are not possible candidates, DefaultPreemptionArgs limits to 2",
            FIVE,
            [pod(f"p{i}", VERY_HIGH if i in (2, 5) else MID, LARGE, f"node{i}") for i in range(1, 6)],
            pod("p", HIGH, LARGE),
            [],
            {"minCandidateNodesPercentage": 40, "minCandidateNodesAbsolute": 1},
            4,
            [("node1", ["p1"], 0), ("node3", ["p3"], 0)],
        ),
        (
            "preemption looks past numCandidates until a non-PDB violating node is found",
            FIVE,
            [
                pod(f"p{i}", MID, LARGE, f"node{i}", labels={"app": "foo"} if i in (1, 2, 5) else None)
                for i in range(1, 6)
            ],
            pod("p", HIGH, LARGE),
            [pdb(0)],
            {"minCandidateNodesPercentage": 40, "minCandidateNodesAbsolute": 2},
            4,
            [("node3", ["p3"], 0), ("node5", ["p5"], 1), ("node1", ["p1"], 1)],
        ),
    ],
)
def test_dry_run_preemption(
    name: str,
    nodes: list[str],
    pods: list[dict[str, Any]],
    preemptor: dict[str, Any],
    pdbs: list[dict[str, Any]],
    args: dict[str, Any] | None,
    offset: int,
    expected: list[tuple[str, list[str], int]],
) -> None:
    plugin, state, infos = setup(nodes, pods, preemptor, args=args)
    got, _ = dry_run(plugin, state, preemptor, infos, pdbs, offset)
    assert got == expected, name
    # The dry run worked on copies: the cache still holds every pod.
    assert sum(len(i.pods) for i in infos) == len(pods)


def test_dry_run_verdicts_of_nodes_that_cannot_be_helped() -> None:
    preemptor = pod("p", HIGH)
    # A filter that fails whatever is removed: its own reason, as the preemption message shows it.
    plugin, state, infos = setup(["node1", "node2"], two_nodes_large(), preemptor, [Verdict(False)])
    got, statuses = dry_run(plugin, state, preemptor, infos, [])
    assert got == []
    assert {n: (s.code, s.reasons) for n, s in statuses.items()} == {
        "node1": (UNSCHEDULABLE, ["node(s) didn't fit"]),
        "node2": (UNSCHEDULABLE, ["node(s) didn't fit"]),
    }
    # A filter that passes once every victim is back: no victim needed is an error, no candidate.
    plugin, state, infos = setup(["node1", "node2"], two_nodes_large(), preemptor, [Verdict(True)])
    got, statuses = dry_run(plugin, state, preemptor, infos, [])
    assert got == []
    assert statuses["node1"].reasons == ['expected at least one victim pod on node "node1"']
    # Nothing of lower priority on the node.
    low = pod("p", LOW, LARGE)
    plugin, state, infos = setup(["node1", "node2"], two_nodes_large(), low)
    got, statuses = dry_run(plugin, state, low, infos, [])
    assert {n: (s.code, s.reasons) for n, s in statuses.items()} == {
        "node1": (UNRESOLVABLE, ["No preemption victims found for incoming pod"]),
        "node2": (UNRESOLVABLE, ["No preemption victims found for incoming pod"]),
    }


@pytest.mark.parametrize(
    ("name", "nodes", "pods", "preemptor", "expected"),
    [
        (
            "node with min highest priority pod is picked",
            ["node1", "node2", "node3"],
            [
                pod("p1.1", MID, MEDIUM, "node1", 0),
                pod("p1.2", MID, LARGE, "node1", 0),
                pod("p2.1", MID, MEDIUM, "node2", 0),
                pod("p2.2", LOW, MEDIUM, "node2", 0),
                pod("p3.1", LOW, MEDIUM, "node3", 0),
                pod("p3.2", LOW, MEDIUM, "node3", 0),
            ],
            pod("p", HIGH, VERY_LARGE),
            "node3",
        ),
        (
            "when highest priorities are the same, minimum sum of priorities is picked",
            ["node1", "node2", "node3"],
            [
                pod("p1.1", MID, MEDIUM, "node1", 0),
                pod("p1.2", MID, LARGE, "node1", 0),
                pod("p2.1", MID, LARGE, "node2", 0),
                pod("p2.2", LOW, MEDIUM, "node2", 0),
                pod("p3.1", MID, MEDIUM, "node3", 0),
                pod("p3.2", MID, MEDIUM, "node3", 0),
            ],
            pod("p", HIGH, VERY_LARGE),
            "node2",
        ),
        (
            "when highest priority and sum are the same, minimum number of pods is picked",
            ["node1", "node2", "node3"],
            [
                pod("p1.1", MID, SMALL, "node1", 0),
                pod("p1.2", NEG, SMALL, "node1", 0),
                pod("p1.3", MID, SMALL, "node1", 0),
                pod("p1.4", NEG, SMALL, "node1", 0),
                pod("p2.1", MID, LARGE, "node2", 0),
                pod("p2.2", NEG, MEDIUM, "node2", 0),
                pod("p3.1", MID, MEDIUM, "node3", 0),
                pod("p3.2", NEG, SMALL, "node3", 0),
                pod("p3.3", LOW, SMALL, "node3", 0),
            ],
            pod("p", HIGH, VERY_LARGE),
            "node2",
        ),
        (
            "sum of adjusted priorities is considered",
            ["node1", "node2", "node3"],
            [
                pod("p1.1", MID, SMALL, "node1", 0),
                pod("p1.2", NEG, SMALL, "node1", 0),
                pod("p1.3", NEG, SMALL, "node1", 0),
                pod("p2.1", MID, LARGE, "node2", 0),
                pod("p2.2", NEG, MEDIUM, "node2", 0),
                pod("p3.1", MID, MEDIUM, "node3", 0),
                pod("p3.2", NEG, SMALL, "node3", 0),
                pod("p3.3", LOW, SMALL, "node3", 0),
            ],
            pod("p", HIGH, VERY_LARGE),
            "node2",
        ),
        (
            "non-overlapping lowest high priority, sum priorities, and number of pods",
            ["node1", "node2", "node3", "node4"],
            [
                pod("p1.1", MID, SMALL, "node1", 0),
                pod("p1.2", LOW, SMALL, "node1", 0),
                pod("p1.3", LOW, SMALL, "node1", 0),
                pod("p2.1", HIGH, LARGE, "node2", 0),
                pod("p3.1", MID, MEDIUM, "node3", 0),
                pod("p3.2", LOW, SMALL, "node3", 0),
                pod("p3.3", LOW, SMALL, "node3", 0),
                pod("p3.4", LOW, MEDIUM, "node3", 0),
                pod("p4.1", MID, MEDIUM, "node4", 0),
                pod("p4.2", MID, SMALL, "node4", 0),
                pod("p4.3", MID, SMALL, "node4", 0),
                pod("p4.4", NEG, SMALL, "node4", 0),
            ],
            pod("p", VERY_HIGH, VERY_LARGE),
            "node1",
        ),
        (
            "same priority, same number of victims, different start time for each node's pod",
            ["node1", "node2", "node3"],
            [
                pod("p1.1", MID, MEDIUM, "node1", 2),
                pod("p1.2", MID, MEDIUM, "node1", 2),
                pod("p2.1", MID, MEDIUM, "node2", 3),
                pod("p2.2", MID, MEDIUM, "node2", 3),
                pod("p3.1", MID, MEDIUM, "node3", 1),
                pod("p3.2", MID, MEDIUM, "node3", 1),
            ],
            pod("p", HIGH, VERY_LARGE),
            "node2",
        ),
        (
            "same priority, same number of victims, different start time for all pods",
            ["node1", "node2", "node3"],
            [
                pod("p1.1", MID, MEDIUM, "node1", 4),
                pod("p1.2", MID, MEDIUM, "node1", 2),
                pod("p2.1", MID, MEDIUM, "node2", 5),
                pod("p2.2", MID, MEDIUM, "node2", 1),
                pod("p3.1", MID, MEDIUM, "node3", 3),
                pod("p3.2", MID, MEDIUM, "node3", 6),
            ],
            pod("p", HIGH, VERY_LARGE),
            "node3",
        ),
        (
            "different priority, same number of victims, different start time for all pods",
            ["node1", "node2", "node3"],
            [
                pod("p1.1", LOW, MEDIUM, "node1", 4),
                pod("p1.2", MID, MEDIUM, "node1", 2),
                pod("p2.1", MID, MEDIUM, "node2", 6),
                pod("p2.2", LOW, MEDIUM, "node2", 1),
                pod("p3.1", LOW, MEDIUM, "node3", 3),
                pod("p3.2", MID, MEDIUM, "node3", 5),
            ],
            pod("p", HIGH, VERY_LARGE),
            "node2",
        ),
    ],
)
def test_select_best_candidate(
    name: str, nodes: list[str], pods: list[dict[str, Any]], preemptor: dict[str, Any], expected: str
) -> None:
    plugin, state, infos = setup(nodes, pods, preemptor)
    for offset in range(len(nodes)):  # whatever the random offset, the same node wins
        ev = plugin.evaluator
        assert ev is not None
        ev.offset_rng = FixedOffset(offset)  # type: ignore[assignment]
        diagnosis = Diagnosis(pod="default/p", time=0.0, num_all_nodes=len(infos))
        diagnosis.node_status = {n.name: Status(UNSCHEDULABLE, ["Insufficient cpu"]) for n in infos}
        candidates, _ = ev.find_candidates(state, preemptor, diagnosis, infos, [])
        assert ev.select_candidate(candidates).name == expected, name


def test_pick_one_node_rules_in_order() -> None:
    def cand(name: str, prios: list[int], violations: int = 0, start: int = 0) -> Candidate:
        pods = [pod(f"{name}-{i}", p, start=start) for i, p in enumerate(sorted(prios, reverse=True))]
        return Candidate(name, Victims(pods, violations))

    # Fewer PDB violations beat everything else.
    assert pick_one_node_for_preemption([cand("a", [0], 1), cand("b", [500, 500], 0)], NOW) == "b"
    # Then the lowest highest victim priority; then the smallest sum (each priority + 2^31).
    assert pick_one_node_for_preemption([cand("a", [10]), cand("b", [5, 5, 5])], NOW) == "b"
    assert pick_one_node_for_preemption([cand("a", [5, -100, -100]), cand("b", [5, -100])], NOW) == "b"
    # Then fewer victims; then the latest start; then the first candidate.
    assert pick_one_node_for_preemption([cand("a", [0, 0]), cand("b", [0])], NOW) == "b"
    assert pick_one_node_for_preemption([cand("a", [0], start=1), cand("b", [0], start=3)], NOW) == "b"
    assert pick_one_node_for_preemption([cand("a", [0]), cand("b", [0])], NOW) == "a"


def terminating(p: dict[str, Any], by_preemption: bool) -> dict[str, Any]:
    p["metadata"]["deletionTimestamp"] = NOW
    if by_preemption:
        p["status"]["conditions"] = [
            {"type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler"}
        ]
    return p


@pytest.mark.parametrize(
    ("name", "preemptor", "pods", "nominated_status", "expected"),
    [
        (
            "nominated node now unresolvable: preempt again",
            {**pod("p", HIGH), "status": {"nominatedNodeName": "node1"}},
            [terminating(pod("p1", LOW, node="node1"), True)],
            Status(UNRESOLVABLE, ["node(s) had untolerated taint {foo: bar}"]),
            (True, ""),
        ),
        ("without a nominated node", pod("p", HIGH), [], None, (True, "")),
        (
            "preemptionPolicy Never",
            {**pod("p", HIGH), "spec": {**pod("p", HIGH)["spec"], "preemptionPolicy": "Never"}},
            [],
            None,
            (False, "not eligible due to preemptionPolicy=Never."),
        ),
        (
            "a victim it preempted is still terminating on the nominated node",
            {**pod("p", HIGH), "status": {"nominatedNodeName": "node1"}},
            [terminating(pod("p1", LOW, node="node1"), True)],
            None,
            (False, "not eligible due to a terminating pod on the nominated node."),
        ),
        (
            "a terminating pod that was not preempted does not hold it back",
            {**pod("p", HIGH), "status": {"nominatedNodeName": "node1"}},
            [terminating(pod("p1", LOW, node="node1"), False)],
            None,
            (True, ""),
        ),
    ],
)
def test_pod_eligible_to_preempt_others(
    name: str,
    preemptor: dict[str, Any],
    pods: list[dict[str, Any]],
    nominated_status: Status | None,
    expected: tuple[bool, str],
) -> None:
    plugin, _, _ = setup(["node1"], pods, preemptor)
    assert plugin.pod_eligible_to_preempt_others(preemptor, nominated_status) == expected, name


def test_args_are_validated_in_kube_schedulers_words() -> None:
    assert validate_args({}) == (10, 100)
    with pytest.raises(
        ValueError, match=r"^minCandidateNodesPercentage: Invalid value: 101: not in valid range"
    ):
        validate_args({"minCandidateNodesPercentage": 101})
    with pytest.raises(ValueError) as err:
        validate_args({"minCandidateNodesPercentage": 0, "minCandidateNodesAbsolute": 0})
    assert str(err.value) == (
        "[minCandidateNodesPercentage: Invalid value: 0: cannot be zero at the same time as "
        "minCandidateNodesAbsolute, minCandidateNodesAbsolute: Invalid value: 0: cannot be zero at "
        "the same time as minCandidateNodesPercentage]"
    )


# -- in a cluster: the whole story on the virtual clock ------------------------------------------

TAINT = "1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"
FULL = f"0/4 nodes are available: {TAINT}, 3 Insufficient cpu."


def priority_class(name: str, value: int, **fields: Any) -> dict[str, Any]:
    return {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": name},
        "value": value,
        **fields,
    }


def urgent(name: str = "urgent", priority_class_name: str = "high", cpu: str = "1") -> dict[str, Any]:
    spec: dict[str, Any] = {
        "containers": [{"name": "app", "image": "nginx:1.27", "resources": {"requests": {"cpu": cpu}}}]
    }
    if priority_class_name:
        spec["priorityClassName"] = priority_class_name
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def full_cluster(deployments: list[dict[str, Any]]) -> Cluster:
    """Three 2-CPU workers filled by priority-0 Deployments (metrics-server's 100m on worker-2)."""
    c = Cluster.from_scenario("default", seed=7)
    c.advance(1)
    c.apply(priority_class("high", 1000))
    c.apply(priority_class("high-never", 1000, preemptionPolicy="Never"))
    for d in deployments:
        c.apply(d)
    c.advance(20)
    return c


def pending_message(c: Cluster, name: str) -> str:
    p = c.get("pod", name, "default")
    cond = next(x for x in p["status"]["conditions"] if x["type"] == "PodScheduled")
    assert (cond["status"], cond["reason"]) == ("False", "Unschedulable")
    return str(cond["message"])


def test_a_high_priority_pod_preempts_a_deployments_pod() -> None:
    c = full_cluster([web(3, cpu="1500m")])
    before = {p["metadata"]["name"]: p["spec"]["nodeName"] for p in c.list("pods", "default")}
    t0, seq = c.now, c.api_calls()[-1].seq
    created = c.apply(urgent())[0]
    c.advance(0.1)

    # The first attempt: no node fits; preemption evicts the web pod on one worker, nominates it.
    pod_now = c.get("pod", "urgent", "default")
    node = pod_now["status"]["nominatedNodeName"]
    assert "nodeName" not in pod_now["spec"]
    assert pending_message(c, "urgent") == FULL  # a successful preemption adds nothing to the text
    [victim_name] = [n for n, on in before.items() if on == node]
    victim = c.get("pod", victim_name, "default")
    assert victim["metadata"]["deletionGracePeriodSeconds"] == 30
    disruption = next(x for x in victim["status"]["conditions"] if x["type"] == "DisruptionTarget")
    assert disruption == {
        "type": "DisruptionTarget",
        "status": "True",
        "lastProbeTime": None,
        "lastTransitionTime": "2026-01-01T09:00:21Z",
        "reason": "PreemptionByScheduler",
        "message": "default-scheduler: preempting to accommodate a higher priority pod",
    }
    preempted = [
        e for e in c.events() if e["involvedObject"]["name"] == victim_name and e["reason"] == "Preempted"
    ]
    assert [(e["type"], e["message"], e["source"]["component"]) for e in preempted] == [
        ("Normal", f"Preempted by pod {created['metadata']['uid']} on node {node}", "default-scheduler")
    ]
    failed = [e["message"] for e in c.events() if e["involvedObject"]["name"] == "urgent"]
    assert failed == [FULL]
    # The ReplicaSet's replacement is priority 0: the room is the nominated pod's, and it cannot preempt.
    names = [p["metadata"]["name"] for p in c.list("pods", "default")]
    [replacement] = [n for n in names if n not in before and n != "urgent"]
    no_victims = (
        f"{FULL} preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, "
        "3 No preemption victims found for incoming pod.."  # the inner FitError's period, then the outer's
    )
    assert pending_message(c, replacement) == no_victims

    c.advance(2.9)
    # The victim stops 0.2 s after SIGTERM (within its 30 s grace) and the kubelet deletes it; the
    # preemptor, back from the unschedulable pool when the assigned pod is deleted, waits out its
    # 1 s backoff and is bound to the nominated node.
    calls = [
        (round(a.time - t0, 3), a.component, a.verb, a.resource, a.name, a.code)
        for a in c.api_calls(seq)
        if a.time - t0 <= 1.0
        and a.resource in ("pods", "pods/status", "pods/binding")
        and a.verb in ("patch", "delete", "create")
        and a.name in ("urgent", victim_name, replacement)
        and a.component != "kubectl"
        and not (a.component.startswith("kubelet") and a.name == "urgent")
    ]
    assert calls == [
        (0.0, "kube-scheduler", "patch", "pods/status", victim_name, 200),
        (0.0, "kube-scheduler", "delete", "pods", victim_name, 200),
        (0.0, "kube-scheduler", "patch", "pods/status", "urgent", 200),
        (0.0, "kube-scheduler", "patch", "pods/status", replacement, 200),
        (0.2, f"kubelet/{node}", "patch", "pods/status", victim_name, 200),
        (0.2, f"kubelet/{node}", "delete", "pods", victim_name, 200),
        (1.0, "kube-scheduler", "create", "pods/binding", "urgent", 201),
    ]
    assert victim_name not in [p["metadata"]["name"] for p in c.list("pods", "default")]
    running = c.get("pod", "urgent", "default")
    assert (running["spec"]["nodeName"], running["status"]["phase"]) == (node, "Running")
    scheduled = [e["message"] for e in c.events() if e["involvedObject"]["name"] == "urgent"]
    assert f"Successfully assigned default/urgent to {node}" in scheduled
    # The replacement stays Pending: no room, and no one of lower priority to preempt.
    assert pending_message(c, replacement) == no_victims
    assert "nominatedNodeName" not in c.get("pod", replacement, "default")["status"]
    assert c.scheduler is not None and c.scheduler.nominator.node_of == {}


def batch(replicas: int, cpu: str) -> dict[str, Any]:
    return web(replicas, cpu=cpu, name="batch")


def test_a_pdb_protected_victim_is_spared_for_a_node_whose_victims_violate_none() -> None:
    c = full_cluster([web(2, cpu="1500m"), batch(1, "1500m")])
    c.apply(
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "web"},
            "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}},
        }
    )
    c.advance(2)
    assert c.get("pdb", "web", "default")["status"]["disruptionsAllowed"] == 0
    placed = {p["metadata"]["name"]: p["spec"]["nodeName"] for p in c.list("pods", "default")}
    c.apply(urgent())
    c.advance(0.1)
    [batch_pod] = [n for n in placed if n.startswith("batch-")]
    node = c.get("pod", "urgent", "default")["status"]["nominatedNodeName"]
    assert node == placed[batch_pod]
    assert c.get("pod", batch_pod, "default")["metadata"].get("deletionTimestamp")
    for name in placed:
        if name.startswith("web-"):
            assert not c.get("pod", name, "default")["metadata"].get("deletionTimestamp")
    c.advance(2)
    assert c.get("pod", "urgent", "default")["spec"]["nodeName"] == node


def test_preemption_policy_never_never_preempts() -> None:
    c = full_cluster([web(3, cpu="1500m")])
    c.apply(urgent("patient", "high-never"))
    c.advance(15)
    assert pending_message(c, "patient") == f"{FULL} preemption: not eligible due to preemptionPolicy=Never.."
    assert "nominatedNodeName" not in c.get("pod", "patient", "default")["status"]
    assert [e for e in c.events() if e["reason"] == "Preempted"] == []
    assert all(not p["metadata"].get("deletionTimestamp") for p in c.list("pods", "default"))


def test_the_room_freed_for_a_nominated_pod_is_not_taken_by_a_lower_priority_one() -> None:
    c = full_cluster([web(3, cpu="1500m")])
    t0 = c.now
    c.apply(urgent())
    c.advance(0.5)  # the victim is gone (at +0.2); the preemptor waits out its backoff until +1.0
    node = c.get("pod", "urgent", "default")["status"]["nominatedNodeName"]
    # 1200m would fit in the 2 CPUs the victim left, but not beside the nominated pod's 1 CPU:
    # filters count nominated pods of equal or higher priority as if they ran there.
    c.apply(urgent("sneaky", "", cpu="1200m"))
    c.advance(0.1)
    diagnosis = c.scheduling_diagnosis("sneaky")
    assert diagnosis is not None and diagnosis.node_status[node].reasons == ["Insufficient cpu"]
    assert pending_message(c, "sneaky").startswith(FULL)
    c.advance(1)
    assert c.get("pod", "urgent", "default")["spec"]["nodeName"] == node
    assert round(c.now - t0, 3) == 1.6
    assert "nodeName" not in c.get("pod", "sneaky", "default")["spec"]


def test_prepare_candidate_evicts_and_clears_lower_priority_nominations() -> None:
    """`prepareCandidate` on its own: the victim's condition, deletion and event, and the
    nominations to that node of pods below the preemptor (those above keep theirs)."""
    c = full_cluster([web(3, cpu="1500m")])
    on_worker_1 = next(p for p in c.list("pods", "default") if p["spec"]["nodeName"] == "worker-1")
    scheduler = c.scheduler
    assert scheduler is not None
    waiting: dict[str, dict[str, Any]] = {}
    for name, klass in (("below", ""), ("above", "high")):
        manifest = urgent(name, klass)
        manifest["spec"]["schedulerName"] = "elsewhere"  # left alone by the default scheduler
        created = c.apply(manifest)[0]
        waiting[name] = c.server.patch(
            scheduler.user,
            "pods",
            name,
            {"status": {"nominatedNodeName": "worker-1"}},
            "default",
            "status",
        )
        scheduler.nominator.add(f"default/{name}", waiting[name])
        assert created["metadata"]["name"] == name
    preemptor = urgent("mid", "")
    preemptor["metadata"] = {"name": "mid", "namespace": "default", "uid": "mid-uid"}
    preemptor["spec"]["priority"] = 500
    plugin = scheduler.plugins["DefaultPreemption"]
    assert isinstance(plugin, DefaultPreemption) and plugin.evaluator is not None
    candidate = Candidate("worker-1", Victims([on_worker_1]))
    assert plugin.evaluator.prepare_candidate(candidate, preemptor) is None
    victim = c.get("pod", on_worker_1["metadata"]["name"], "default")
    # Deleted with the pod's 30 s grace period: the deadline is 30 s from now.
    assert victim["metadata"]["deletionTimestamp"] == "2026-01-01T09:00:51Z"
    assert [x["reason"] for x in victim["status"]["conditions"] if x["type"] == "DisruptionTarget"] == [
        "PreemptionByScheduler"
    ]
    assert [
        e["message"] for e in events_for(c, victim["metadata"]["name"]) if e["reason"] == "Preempted"
    ] == ["Preempted by pod mid-uid on node worker-1"]
    assert "nominatedNodeName" not in c.get("pod", "below", "default")["status"]
    assert c.get("pod", "above", "default")["status"]["nominatedNodeName"] == "worker-1"
