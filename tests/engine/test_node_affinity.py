"""NodeName and NodeAffinity: table tests in the style of kube-scheduler's plugin tests, and the
FailedScheduling message a pod with an unmatched nodeSelector gets."""

from __future__ import annotations

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.scheduler.framework import CycleState, NodeInfo
from clusterlab.engine.scheduler.plugins.node_affinity import NodeAffinity, requirement_matches, term_matches
from clusterlab.engine.scheduler.plugins.node_name import NodeName


def node(name: str, **labels: str) -> NodeInfo:
    return NodeInfo({"metadata": {"name": name, "labels": labels}, "spec": {}, "status": {}})


def pod(**spec: object) -> dict:
    return {"metadata": {"name": "p", "namespace": "default"}, "spec": {"containers": [], **spec}}


def required(*terms: dict) -> dict:
    return {
        "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}}
    }


@pytest.mark.parametrize(
    ("req", "labels", "matches"),
    [
        ({"key": "zone", "operator": "In", "values": ["a", "b"]}, {"zone": "a"}, True),
        ({"key": "zone", "operator": "In", "values": ["a"]}, {"zone": "c"}, False),
        ({"key": "zone", "operator": "In", "values": ["a"]}, {}, False),
        ({"key": "zone", "operator": "NotIn", "values": ["a"]}, {"zone": "b"}, True),
        ({"key": "zone", "operator": "NotIn", "values": ["a"]}, {}, True),  # absent key: not in the set
        ({"key": "zone", "operator": "NotIn", "values": ["a"]}, {"zone": "a"}, False),
        ({"key": "gpu", "operator": "Exists"}, {"gpu": ""}, True),
        ({"key": "gpu", "operator": "Exists"}, {}, False),
        ({"key": "gpu", "operator": "DoesNotExist"}, {}, True),
        ({"key": "gpu", "operator": "DoesNotExist"}, {"gpu": "1"}, False),
        ({"key": "cores", "operator": "Gt", "values": ["4"]}, {"cores": "8"}, True),
        ({"key": "cores", "operator": "Gt", "values": ["8"]}, {"cores": "8"}, False),
        ({"key": "cores", "operator": "Lt", "values": ["8"]}, {"cores": "4"}, True),
        ({"key": "cores", "operator": "Gt", "values": ["4"]}, {"cores": "many"}, False),
        ({"key": "cores", "operator": "Gt", "values": ["4"]}, {}, False),
    ],
)
def test_requirement_operators(req: dict, labels: dict, matches: bool) -> None:
    assert requirement_matches(req, labels) is matches


def test_terms_and_their_expressions_and_fields() -> None:
    n = node("worker-1", zone="a", disktype="ssd").node
    assert term_matches({}, n) is False  # an empty term matches nothing
    both = {
        "matchExpressions": [
            {"key": "zone", "operator": "In", "values": ["a"]},
            {"key": "disktype", "operator": "In", "values": ["hdd"]},
        ]
    }
    assert term_matches(both, n) is False  # expressions are ANDed
    by_name = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["worker-1"]}]}
    assert term_matches(by_name, n) is True


@pytest.mark.parametrize(
    ("spec", "labels", "fits"),
    [
        ({}, {}, True),
        ({"nodeSelector": {"disktype": "ssd"}}, {"disktype": "ssd"}, True),
        ({"nodeSelector": {"disktype": "ssd"}}, {"disktype": "hdd"}, False),
        ({"nodeSelector": {"disktype": "ssd", "zone": "a"}}, {"disktype": "ssd"}, False),
        (
            {
                "affinity": required(
                    {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["b"]}]}
                )
            },
            {"zone": "a"},
            False,
        ),
        (  # terms are ORed
            {
                "affinity": required(
                    {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["b"]}]},
                    {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]},
                )
            },
            {"zone": "a"},
            True,
        ),
        ({"affinity": required()}, {"zone": "a"}, False),  # no terms: nothing matches
    ],
)
def test_filter(spec: dict, labels: dict, fits: bool) -> None:
    status = NodeAffinity().filter(CycleState(), pod(**spec), node("n", **labels))
    assert status.ok is fits
    if not fits:
        assert status.message() == "node(s) didn't match Pod's node affinity/selector"


def test_preferred_terms_score_by_weight_normalised_to_100() -> None:
    preferred = [
        {
            "weight": 2,
            "preference": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]},
        },
        {"weight": 8, "preference": {"matchExpressions": [{"key": "disktype", "operator": "Exists"}]}},
    ]
    p = pod(affinity={"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": preferred}})
    plugin = NodeAffinity()
    nodes = {
        "both": node("both", zone="a", disktype="ssd"),
        "zone": node("zone", zone="a"),
        "none": node("none"),
    }
    scores = {name: plugin.score(CycleState(), p, n) for name, n in nodes.items()}
    assert scores == {"both": 10, "zone": 2, "none": 0}
    plugin.normalize(CycleState(), p, scores)
    assert scores == {"both": 100, "zone": 20, "none": 0}


def test_node_name_filter() -> None:
    assert NodeName().filter(CycleState(), pod(nodeName="worker-2"), node("worker-2")).ok
    status = NodeName().filter(CycleState(), pod(nodeName="worker-2"), node("worker-1"))
    assert status.message() == "node(s) didn't match the requested node name"


def test_an_unmatched_node_selector_waits_until_a_node_gets_the_label() -> None:
    c = Cluster()
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "ssd"},
            "spec": {
                "nodeSelector": {"disktype": "ssd"},
                "containers": [{"name": "app", "image": "nginx:1.27"}],
            },
        }
    )
    c.advance(5)
    assert not c.get("pod", "ssd")["spec"].get("nodeName")
    (event,) = [e for e in c.events() if e["reason"] == "FailedScheduling"]
    assert event["message"] == (
        "0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "3 node(s) didn't match Pod's node affinity/selector. preemption: 0/4 nodes are available: "
        "4 Preemption is not helpful for scheduling.."
    )
    worker = c.get("node", "worker-2", None)
    worker["metadata"]["labels"]["disktype"] = "ssd"
    c.update(worker)
    c.advance(2)  # a node's labels changed: the pod goes back to the active queue
    assert c.get("pod", "ssd")["spec"]["nodeName"] == "worker-2"
