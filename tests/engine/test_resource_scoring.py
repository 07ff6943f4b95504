"""NodeResourcesFit's scoring strategies: the cases of kube-scheduler's most_allocated_test.go,
least_allocated_test.go and requested_to_capacity_ratio_test.go, ported."""

from __future__ import annotations

from typing import Any

import pytest

from clusterlab.engine.scheduler.framework import CycleState, NodeInfo
from clusterlab.engine.scheduler.plugins.node_resources_fit import NodeResourcesFit
from clusterlab.engine.scheduler.resource_scoring import InvalidArgs, broken_linear

EXT = "abc.com/xyz"
DEFAULT = [("cpu", 1), ("memory", 1)]
EXTENDED = [("cpu", 1), ("memory", 1), (EXT, 1)]


def node(name: str, ext: dict[str, str] | None = None, **capacity: str) -> NodeInfo:
    alloc = {**capacity, **(ext or {})}
    return NodeInfo({"metadata": {"name": name}, "spec": {}, "status": {"allocatable": alloc}})


def pod(*containers: dict[str, str], node_name: str = "") -> dict[str, Any]:
    """A pod with one container per requests map (`{}`: a container without requests)."""
    spec: dict[str, Any] = {
        "containers": [
            {"name": f"c{i}", "image": "x", "resources": {"requests": req} if req else {}}
            for i, req in enumerate(containers)
        ]
    }
    if node_name:
        spec["nodeName"] = node_name
    return {"metadata": {"name": "p", "namespace": "default"}, "spec": spec}


def scores(
    kind: str,
    resources: list[tuple[str, int]],
    incoming: dict[str, Any],
    nodes: list[NodeInfo],
    existing: list[dict[str, Any]] = (),  # type: ignore[assignment]
    shape: list[tuple[int, int]] | None = None,
) -> list[int]:
    strategy: dict[str, Any] = {"type": kind, "resources": [{"name": n, "weight": w} for n, w in resources]}
    if shape is not None:
        strategy["requestedToCapacityRatio"] = {"shape": [{"utilization": u, "score": s} for u, s in shape]}
    plugin = NodeResourcesFit({"scoringStrategy": strategy})
    by_name = {n.name: n for n in nodes}
    for i, p in enumerate(existing):
        by_name[p["spec"]["nodeName"]].add_pod(f"default/existing-{i}", p)
    state = CycleState()
    assert plugin.pre_score(state, incoming, nodes).ok
    return [plugin.score(state, incoming, n) for n in nodes]


TWO_CONTAINERS = pod({"cpu": "1000", "memory": "2000"}, {"cpu": "2000", "memory": "3000"})


def pair(cpu1: str, mem1: str, cpu2: str, mem2: str, ext2: dict[str, str] | None = None) -> list[NodeInfo]:
    return [node("node1", cpu=cpu1, memory=mem1), node("node2", ext2, cpu=cpu2, memory=mem2)]


def on(node_name: str, cpu: str, memory: str) -> dict[str, Any]:
    """An existing pod with one container requesting `cpu` and `memory`."""
    return pod({"cpu": cpu, "memory": memory}, node_name=node_name)


EXT_NODES = [
    node("node1", {EXT: "4"}, cpu="6000", memory="10000"),
    node("node2", {EXT: "10"}, cpu="6000", memory="10000"),
]
WANTS_EXT = pod({"cpu": "3000", "memory": "5000", EXT: "2"})
FOUR_WITH_CPU = [
    on("node1", "3000", "0"),
    on("node1", "3000", "0"),
    on("node2", "3000", "0"),
    on("node2", "3000", "5000"),
]
TWO_WITH_CPU = [on("node1", "3000", "0"), on("node2", "3000", "5000")]
MEMORY_2 = [("memory", 2), ("cpu", 1)]


@pytest.mark.parametrize(
    ("incoming", "nodes", "existing", "resources", "expected"),
    [
        pytest.param(
            pod(), pair("4000", "10000", "4000", "10000"), [], DEFAULT, [0, 0], id="nothing requested"
        ),
        pytest.param(
            TWO_CONTAINERS, pair("4000", "10000", "6000", "10000"), [], DEFAULT, [62, 50], id="sizes"
        ),
        pytest.param(
            pod(),
            pair("10000", "20000", "10000", "20000"),
            FOUR_WITH_CPU,
            DEFAULT,
            [30, 42],
            id="no resources requested, pods scheduled with resources",
        ),
        pytest.param(
            TWO_CONTAINERS,
            pair("10000", "20000", "10000", "20000"),
            TWO_WITH_CPU,
            DEFAULT,
            [42, 55],
            id="resources requested, pods scheduled with resources",
        ),
        pytest.param(
            pod({"cpu": "2000", "memory": "4000"}, {"cpu": "3000", "memory": "5000"}),
            pair("5000", "10000", "10000", "9000"),
            [],
            DEFAULT,
            [95, 75],
            id="requests equal capacity",
        ),
        pytest.param(
            TWO_CONTAINERS, pair("4000", "10000", "6000", "10000"), [], MEMORY_2, [58, 50], id="weights"
        ),
        pytest.param(
            pod({}),
            pair("250m", "1000Mi", "250m", "1000Mi"),
            [pod({}, node_name="node1")] * 2,
            DEFAULT,
            [80, 30],
            id="no resources requested, pods scheduled, nonzero request for resource",
        ),
        pytest.param(
            TWO_CONTAINERS,
            pair("6000", "10000", "6000", "10000", {EXT: "4"}),
            [],
            EXTENDED,
            [50, 50],
            id="bypass extended resource if the pod does not request",
        ),
        pytest.param(
            WANTS_EXT, EXT_NODES, [], EXTENDED, [50, 40], id="honor extended resource if the pod requests"
        ),
        pytest.param(
            pod({"cpu": "3000", "memory": "4000"}),
            pair("6000", "10000", "6000", "10000", {EXT: "4"}),
            [],
            [(EXT, 2), ("cpu", 1), ("memory", 1)],
            [45, 45],
            id="if the node doesn't have a resource",
        ),
    ],
)
def test_most_allocated(incoming: Any, nodes: Any, existing: Any, resources: Any, expected: Any) -> None:
    assert scores("MostAllocated", resources, incoming, nodes, existing) == expected


@pytest.mark.parametrize(
    ("incoming", "nodes", "existing", "resources", "expected"),
    [
        pytest.param(
            pod(), pair("4000", "10000", "4000", "10000"), [], DEFAULT, [100, 100], id="nothing requested"
        ),
        pytest.param(
            TWO_CONTAINERS, pair("4000", "10000", "6000", "10000"), [], DEFAULT, [37, 50], id="sizes"
        ),
        pytest.param(
            pod(),
            pair("4000", "10000", "4000", "10000"),
            [pod(node_name="node1")] * 2,
            DEFAULT,
            [100, 100],
            id="no resources requested, pods scheduled",
        ),
        pytest.param(
            pod(),
            pair("10000", "20000", "10000", "20000"),
            FOUR_WITH_CPU,
            DEFAULT,
            [70, 57],
            id="no resources requested, pods scheduled with resources",
        ),
        pytest.param(
            TWO_CONTAINERS,
            pair("10000", "20000", "10000", "50000"),
            TWO_WITH_CPU,
            DEFAULT,
            [57, 60],
            id="resources requested, pods scheduled with resources, differently sized nodes",
        ),
        pytest.param(
            pod({"cpu": "3000", "memory": "0"}),
            pair("4000", "10000", "4000", "10000"),
            TWO_WITH_CPU,
            DEFAULT,
            [50, 25],
            id="requested resources exceed node capacity",
        ),
        pytest.param(
            pod(),
            [node("node1"), node("node2")],
            TWO_WITH_CPU,
            DEFAULT,
            [0, 0],
            id="zero node resources, pods scheduled with resources",
        ),
        pytest.param(
            TWO_CONTAINERS, pair("4000", "10000", "6000", "10000"), [], MEMORY_2, [41, 50], id="weights"
        ),
        pytest.param(
            TWO_CONTAINERS,
            pair("6000", "10000", "6000", "10000", {EXT: "4"}),
            [],
            EXTENDED,
            [50, 50],
            id="bypass extended resource if the pod does not request",
        ),
        pytest.param(
            WANTS_EXT, EXT_NODES, [], EXTENDED, [50, 60], id="honor extended resource if the pod requests"
        ),
    ],
)
def test_least_allocated(incoming: Any, nodes: Any, existing: Any, resources: Any, expected: Any) -> None:
    assert scores("LeastAllocated", resources, incoming, nodes, existing) == expected


def test_requested_to_capacity_ratio_with_a_falling_shape_spreads() -> None:
    """The test file's default shape, {0, 10} → {100, 0}: least requested first; the mean rounds."""
    falling = [(0, 10), (100, 0)]
    two_empty = [pod(node_name="node1")] * 2
    kind = "RequestedToCapacityRatio"
    assert scores(kind, DEFAULT, pod(), pair("4000", "10000", "4000", "10000"), two_empty, falling) == [
        100,
        100,
    ]
    assert scores(
        kind, DEFAULT, TWO_CONTAINERS, pair("4000", "10000", "6000", "10000"), two_empty, falling
    ) == [
        38,
        50,
    ]
    loaded = [on("node1", "3000", "5000"), on("node2", "3000", "5000")]
    assert scores(kind, DEFAULT, pod(), pair("4000", "10000", "6000", "10000"), loaded, falling) == [38, 50]


@pytest.mark.parametrize(
    ("incoming", "existing", "expected"),
    [
        (pod(), [], [0, 0]),  # no extended resource asked for: nothing scores
        (pod({"intel.com/foo": "2"}), [pod(node_name="node1")], [2, 5]),
        (pod({"intel.com/foo": "2"}), [pod({"intel.com/foo": "2"}, node_name="node2")], [2, 10]),
        (pod({"intel.com/foo": "4"}), [pod(node_name="node1")], [5, 10]),
    ],
)
def test_requested_to_capacity_ratio_bin_packs_one_extended_resource(
    incoming: Any, existing: Any, expected: list[int]
) -> None:
    nodes = [
        node("node1", cpu="4", memory="10000Mi", ext={"intel.com/foo": "8"}),
        node("node2", cpu="4", memory="10000Mi", ext={"intel.com/foo": "4"}),
    ]
    rising = [(0, 0), (100, 1)]
    assert (
        scores("RequestedToCapacityRatio", [("intel.com/foo", 1)], incoming, nodes, existing, rising)
        == expected
    )


@pytest.mark.parametrize(
    ("points", "assertions"),
    [
        (
            [(10, 1), (90, 9)],
            [
                (-10, 1),
                (0, 1),
                (9, 1),
                (10, 1),
                (15, 1),
                (19, 1),
                (20, 2),
                (89, 8),
                (90, 9),
                (99, 9),
                (100, 9),
                (110, 9),
            ],
        ),
        (
            [(0, 2), (40, 10), (100, 0)],
            [(-10, 2), (0, 2), (20, 6), (30, 8), (40, 10), (70, 5), (100, 0), (110, 0)],
        ),
        (
            [(0, 2), (40, 2), (100, 2)],
            [(-10, 2), (0, 2), (20, 2), (30, 2), (40, 2), (70, 2), (100, 2), (110, 2)],
        ),
    ],
)
def test_broken_linear_function(points: list[tuple[int, int]], assertions: list[tuple[int, int]]) -> None:
    for p, expected in assertions:
        assert broken_linear(tuple(points), p) == expected


@pytest.mark.parametrize(
    ("strategy", "error"),
    [
        (
            {
                "type": "MostAllocated",
                "resources": [{"name": "memory", "weight": -1}, {"name": "cpu", "weight": 1}],
            },
            "scoringStrategy.resources[0].weight: Invalid value: -1: "
            "resource weight of memory not in valid range (0, 100]",
        ),
        (
            {
                "type": "LeastAllocated",
                "resources": [{"name": "memory", "weight": 1}, {"name": "cpu", "weight": 101}],
            },
            "scoringStrategy.resources[1].weight: Invalid value: 101: "
            "resource weight of cpu not in valid range (0, 100]",
        ),
        (
            {"type": "Balanced"},
            'scoringStrategy.type: Unsupported value: "Balanced": supported values: '
            '"LeastAllocated", "MostAllocated", "RequestedToCapacityRatio"',
        ),
        (
            {"type": "RequestedToCapacityRatio"},
            "scoringStrategy.requestedToCapacityRatio: Required value: "
            "must be specified when type is RequestedToCapacityRatio",
        ),
        (
            {
                "type": "MostAllocated",
                "requestedToCapacityRatio": {"shape": [{"utilization": 0, "score": 0}]},
            },
            "scoringStrategy.requestedToCapacityRatio: Forbidden: "
            "must be nil when type is not RequestedToCapacityRatio",
        ),
        (
            {
                "type": "RequestedToCapacityRatio",
                "requestedToCapacityRatio": {
                    "shape": [{"utilization": 50, "score": 1}, {"utilization": 40, "score": 11}]
                },
            },
            "[scoringStrategy.requestedToCapacityRatio.shape[1].utilization: Invalid value: 40: "
            "values must be sorted in increasing order, "
            "scoringStrategy.requestedToCapacityRatio.shape[1].score: Invalid value: 11: "
            "not in valid range [0, 10]]",
        ),
    ],
)
def test_invalid_scoring_strategies_are_refused(strategy: dict[str, Any], error: str) -> None:
    with pytest.raises(InvalidArgs) as info:
        NodeResourcesFit({"scoringStrategy": strategy})
    assert str(info.value) == error


def test_an_unset_resource_weight_is_one_and_no_resources_means_cpu_and_memory() -> None:
    plugin = NodeResourcesFit({"scoringStrategy": {"type": "MostAllocated", "resources": [{"name": "cpu"}]}})
    assert plugin.strategy.resources == (("cpu", 1),)
    assert NodeResourcesFit({"scoringStrategy": {"type": "MostAllocated"}}).strategy.resources == (
        ("cpu", 1),
        ("memory", 1),
    )
    assert NodeResourcesFit().strategy.type == "LeastAllocated"
