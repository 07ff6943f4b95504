"""InterPodAffinity: table tests ported from kube-scheduler's filtering_test.go and
scoring_test.go (same pods, nodes, namespaces and expected verdicts/scores), the queueing hint,
the API server's matchLabelKeys merge, and scenarios on a whole cluster."""

from __future__ import annotations

from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.affinity_label_keys import apply_label_keys
from clusterlab.engine.scheduler.events import (
    ADD,
    DELETE,
    NODE,
    POD,
    QUEUE,
    QUEUE_SKIP,
    UPDATE_NODE_LABEL,
    UPDATE_NODE_TAINT,
    UPDATE_POD_LABEL,
)
from clusterlab.engine.scheduler.framework import (
    SKIP,
    UNRESOLVABLE,
    UNSCHEDULABLE,
    CycleState,
    Handle,
    NodeInfo,
)
from clusterlab.engine.scheduler.plugins.inter_pod_affinity import InterPodAffinity
from clusterlab.engine.scheduler.registry import DEFAULT_MULTI_POINT

from .conftest import events_for

Obj = dict[str, Any]

AFF = (UNRESOLVABLE, "node(s) didn't match pod affinity rules")
ANTI = (UNSCHEDULABLE, "node(s) didn't match pod anti-affinity rules")
EXISTING = (UNSCHEDULABLE, "node(s) didn't satisfy existing pods anti-affinity rules")

NAMESPACES = [
    {"metadata": {"name": "subteam1.team1", "labels": {"team": "team1"}}},
    {"metadata": {"name": "subteam2.team1", "labels": {"team": "team1"}}},
    {"metadata": {"name": "subteam1.team2", "labels": {"team": "team2"}}},
    {"metadata": {"name": "subteam2.team2", "labels": {"team": "team2"}}},
]


class FakeNamespaces:
    """The namespaces informer as the plugin uses it (`get`, `list`)."""

    def __init__(self, namespaces: list[Obj]) -> None:
        self.by_name = {ns["metadata"]["name"]: ns for ns in namespaces}

    def get(self, key: str) -> Obj | None:
        return self.by_name.get(key)

    def list(self) -> list[Obj]:
        return list(self.by_name.values())


class FakeInformers:
    def __init__(self, namespaces: list[Obj]) -> None:
        self.namespaces = FakeNamespaces(namespaces)

    def get(self, resource: str) -> FakeNamespaces:
        assert resource == "namespaces"
        return self.namespaces


def term(key: str, op: str, topology: str, values: list[str] | None = None, **extra: Any) -> Obj:
    expr: Obj = {"key": key, "operator": op}
    if values is not None:
        expr["values"] = values
    return {"labelSelector": {"matchExpressions": [expr]}, "topologyKey": topology, **extra}


def weighted(weight: int, t: Obj) -> Obj:
    return {"weight": weight, "podAffinityTerm": t}


def pod(
    labels: dict[str, str] | None = None,
    *,
    node: str = "",
    ns: str = "",
    aff: list[Obj] | None = None,
    anti: list[Obj] | None = None,
    pref_aff: list[Obj] | None = None,
    pref_anti: list[Obj] | None = None,
) -> Obj:
    affinity: Obj = {}
    if aff is not None or pref_aff is not None:
        affinity["podAffinity"] = {
            "requiredDuringSchedulingIgnoredDuringExecution": aff or [],
            "preferredDuringSchedulingIgnoredDuringExecution": pref_aff or [],
        }
    if anti is not None or pref_anti is not None:
        affinity["podAntiAffinity"] = {
            "requiredDuringSchedulingIgnoredDuringExecution": anti or [],
            "preferredDuringSchedulingIgnoredDuringExecution": pref_anti or [],
        }
    spec: Obj = {"containers": [], "nodeName": node}
    if affinity:
        spec["affinity"] = affinity
    return {"metadata": {"name": "p", "namespace": ns, "labels": labels or {}}, "spec": spec}


def snapshot(nodes: dict[str, dict[str, str]], pods: list[Obj]) -> dict[str, NodeInfo]:
    infos = {name: NodeInfo({"metadata": {"name": name, "labels": labels}}) for name, labels in nodes.items()}
    for i, p in enumerate(pods):
        infos[p["spec"]["nodeName"]].add_pod(f"{p['metadata']['namespace']}/p{i}", p)
    return infos


def plugin(infos: dict[str, NodeInfo], namespaces: list[Obj] | None = None, **args: Any) -> InterPodAffinity:
    handle = Handle(
        None, None, None, None, infos, FakeInformers(NAMESPACES if namespaces is None else namespaces)
    )
    return InterPodAffinity(args, handle)


def run_filter(incoming: Obj, pods: list[Obj], nodes: dict[str, dict[str, str]]) -> tuple[str, list[Any]]:
    """PreFilter then Filter on every node: (PreFilter code, per node (code, reason) or None)."""
    infos = snapshot(nodes, pods)
    p, state = plugin(infos), CycleState()
    pre = p.pre_filter(state, incoming, list(infos.values()))
    if pre.code == SKIP:
        return SKIP, []
    verdicts = []
    for info in infos.values():
        st = p.filter(state, incoming, info)
        verdicts.append(None if st.ok else (st.code, st.message()))
    return pre.code, verdicts


# --- filtering_test.go: TestRequiredAffinitySingleNode -------------------------------------

S = {"service": "securityscan"}
S2 = {"security": "S1"}
NODE1 = {"node1": {"region": "r1", "zone": "z11"}}
EXISTING_POD = pod(S, node="node1")
IN_SCAN = term("service", "In", "region", ["securityscan", "value2"])
ANTIVIRUS_ON_NODE = term("service", "In", "node", ["antivirusscan", "value2"])
SCAN_NS_TEAM1 = {
    "labelSelector": {
        "matchExpressions": [{"key": "service", "operator": "In", "values": ["securityscan", "value2"]}]
    },
    "namespaceSelector": {"matchExpressions": [{"key": "team", "operator": "In", "values": ["team1"]}]},
}

SINGLE_NODE = [
    ("no required pod affinity, no existing pods", pod(), [], "Skip", None),
    ("affinity In matches the existing pod", pod(S2, aff=[IN_SCAN]), [EXISTING_POD], "Success", None),
    (
        "affinity NotIn matches the existing pod",
        pod(S2, aff=[term("service", "NotIn", "region", ["securityscan3", "value3"])]),
        [EXISTING_POD],
        "Success",
        None,
    ),
    (
        "affinity fails: the existing pod is in another namespace",
        pod(S2, aff=[{**IN_SCAN, "namespaces": ["DiffNameSpace"], "topologyKey": ""}], anti=[]),
        [pod(S, node="node1", ns="ns")],
        "Success",
        AFF,
    ),
    (
        "affinity fails: the selector does not match the existing pod",
        pod(S, aff=[term("service", "In", "", ["antivirusscan", "value2"])]),
        [EXISTING_POD],
        "Success",
        AFF,
    ),
    (
        "affinity with different operators in two terms",
        pod(
            S2,
            aff=[
                {
                    "labelSelector": {
                        "matchExpressions": [
                            {"key": "service", "operator": "Exists"},
                            {"key": "wrongkey", "operator": "DoesNotExist"},
                        ]
                    },
                    "topologyKey": "region",
                },
                {
                    "labelSelector": {
                        "matchExpressions": [
                            {"key": "service", "operator": "In", "values": ["securityscan"]},
                            {"key": "service", "operator": "NotIn", "values": ["WrongValue"]},
                        ]
                    },
                    "topologyKey": "region",
                },
            ],
            anti=[],
        ),
        [EXISTING_POD],
        "Success",
        None,
    ),
    (
        "the requirements of a selector are ANDed",
        pod(
            S2,
            aff=[
                {
                    "labelSelector": {
                        "matchExpressions": [
                            {"key": "service", "operator": "Exists"},
                            {"key": "wrongkey", "operator": "DoesNotExist"},
                        ]
                    },
                    "topologyKey": "region",
                },
                {
                    "labelSelector": {
                        "matchExpressions": [
                            {"key": "service", "operator": "In", "values": ["securityscan2"]},
                            {"key": "service", "operator": "NotIn", "values": ["WrongValue"]},
                        ]
                    },
                    "topologyKey": "region",
                },
            ],
            anti=[],
        ),
        [EXISTING_POD],
        "Success",
        AFF,
    ),
    (
        "affinity and anti-affinity both satisfied",
        pod(S2, aff=[IN_SCAN], anti=[ANTIVIRUS_ON_NODE]),
        [EXISTING_POD],
        "Success",
        None,
    ),
    (
        "affinity, anti-affinity and symmetry satisfied",
        pod(S2, aff=[IN_SCAN], anti=[ANTIVIRUS_ON_NODE]),
        [pod(S, node="node1", anti=[ANTIVIRUS_ON_NODE])],
        "Success",
        None,
    ),
    (
        "affinity satisfied, anti-affinity not",
        pod(S2, aff=[IN_SCAN], anti=[term("service", "In", "zone", ["securityscan", "value2"])]),
        [EXISTING_POD],
        "Success",
        ANTI,
    ),
    (
        "affinity and anti-affinity satisfied, the existing pod's anti-affinity not",
        pod(S, aff=[IN_SCAN], anti=[ANTIVIRUS_ON_NODE]),
        [pod(S, node="node1", anti=[term("service", "In", "zone", ["securityscan", "value2"])])],
        "Success",
        EXISTING,
    ),
    (
        "the pod matches its own term but so does a pod elsewhere",
        pod(S, aff=[term("service", "NotIn", "region", ["securityscan", "value2"])]),
        [pod({"service": "securityscan"}, node="node2")],
        "Success",
        AFF,
    ),
    (
        "an existing pod's anti-affinity applies to a pod with none",
        pod(S),
        [pod(S, node="node1", anti=[term("service", "In", "zone", ["securityscan", "value2"])])],
        "Success",
        EXISTING,
    ),
    (
        "an existing pod's anti-affinity that does not match: Skip",
        pod(S),
        [pod(S, node="node1", anti=[term("service", "NotIn", "zone", ["securityscan", "value2"])])],
        "Skip",
        None,
    ),
    (
        "anti-affinity matches the existing pod, whose own anti-affinity would not",
        pod(S, anti=[term("service", "Exists", "region"), term("security", "Exists", "region")]),
        [pod(S2, node="node1", anti=[term("security", "Exists", "zone")])],
        "Success",
        ANTI,
    ),
    (
        "symmetry a1: partial match on terms",
        pod(S, anti=[term("service", "Exists", "zone"), term("security", "Exists", "zone")]),
        [pod(S2, node="node1", anti=[term("security", "Exists", "zone")])],
        "Success",
        ANTI,
    ),
    (
        "symmetry a2: partial match on terms",
        pod(S2, anti=[term("security", "Exists", "zone")]),
        [pod(S, node="node1", anti=[term("service", "Exists", "zone"), term("security", "Exists", "zone")])],
        "Success",
        EXISTING,
    ),
    (
        "symmetry b1: partial match on terms",
        pod({"abc": "", "xyz": ""}, anti=[term("abc", "Exists", "zone"), term("def", "Exists", "zone")]),
        [
            pod(
                {"def": "", "xyz": ""},
                node="node1",
                anti=[term("abc", "Exists", "zone"), term("def", "Exists", "zone")],
            )
        ],
        "Success",
        ANTI,
    ),
    (
        "symmetry b2: partial match on terms",
        pod({"def": "", "xyz": ""}, anti=[term("abc", "Exists", "zone"), term("def", "Exists", "zone")]),
        [
            pod(
                {"abc": "", "xyz": ""},
                node="node1",
                anti=[term("abc", "Exists", "zone"), term("def", "Exists", "zone")],
            )
        ],
        "Success",
        ANTI,
    ),
    (
        "affinity with a matching namespaceSelector",
        pod(S2, aff=[{**SCAN_NS_TEAM1, "topologyKey": "region"}], anti=[]),
        [pod(S, node="node1", ns="subteam1.team1")],
        "Success",
        None,
    ),
    (
        "affinity with a namespaceSelector that does not match",
        pod(S2, aff=[{**SCAN_NS_TEAM1, "topologyKey": "region"}], anti=[]),
        [pod(S, node="node1", ns="subteam1.team2")],
        "Success",
        AFF,
    ),
    (
        "anti-affinity with a matching namespaceSelector",
        pod(S2, ns="subteam1.team1", aff=[], anti=[{**SCAN_NS_TEAM1, "topologyKey": "zone"}]),
        [pod(S, node="node1", ns="subteam2.team1")],
        "Success",
        ANTI,
    ),
    (
        "anti-affinity with an empty namespaceSelector: every namespace",
        pod(
            S2,
            ns="subteam1.team1",
            aff=[],
            anti=[
                {
                    "labelSelector": SCAN_NS_TEAM1["labelSelector"],
                    "namespaceSelector": {},
                    "topologyKey": "zone",
                }
            ],
        ),
        [pod(S, node="node1", ns="subteam2.team1")],
        "Success",
        ANTI,
    ),
    (
        "anti-affinity with a namespaceSelector that does not match",
        pod(S2, ns="subteam1.team1", aff=[], anti=[{**SCAN_NS_TEAM1, "topologyKey": "zone"}]),
        [pod(S, node="node1", ns="subteam1.team2")],
        "Success",
        None,
    ),
]


@pytest.mark.parametrize(
    ("incoming", "pods", "pre", "verdict"), [c[1:] for c in SINGLE_NODE], ids=[c[0] for c in SINGLE_NODE]
)
def test_required_affinity_single_node(incoming: Obj, pods: list[Obj], pre: str, verdict: Any) -> None:
    nodes = dict(NODE1)
    for p in pods:  # a pod on another node (node2) needs that node in the snapshot
        nodes.setdefault(p["spec"]["nodeName"], {})
    code, verdicts = run_filter(incoming, pods, nodes)
    assert code == pre
    if code != SKIP:
        assert verdicts[0] == verdict


# --- filtering_test.go: TestRequiredAffinityMultipleNodes ----------------------------------

CHINA, CHINA_AZ1, INDIA = {"region": "China"}, {"region": "China", "az": "az1"}, {"region": "India"}


def hosts(*zones: str, region: str = "r1") -> dict[str, dict[str, str]]:
    return {
        f"node{n}": {"region": region, "zone": z, "hostname": f"node{n}"}
        for n, z in zip("ABC", zones, strict=False)
    }


MULTIPLE_NODES = [
    (
        "all nodes sharing the topology value of a matching pod fit",
        pod(aff=[term("foo", "In", "region", ["bar"])]),
        [pod({"foo": "bar"}, node="node1")],
        {"node1": CHINA, "node2": CHINA_AZ1, "node3": INDIA},
        [None, None, AFF],
    ),
    (
        "the first pod of a collection is not blocked",
        pod(
            {"foo": "bar", "service": "securityscan"},
            aff=[term("foo", "In", "zone", ["bar"]), term("service", "In", "zone", ["securityscan"])],
        ),
        [pod({"foo": "bar"}, node="nodeA")],
        {"nodeA": {"zone": "az1", "hostname": "h1"}, "nodeB": {"zone": "az2", "hostname": "h2"}},
        [None, None],
    ),
    (
        "the first pod of a collection only goes to nodes with the topology keys",
        pod(
            {"foo": "bar", "service": "securityscan"},
            aff=[term("foo", "In", "zone", ["bar"]), term("service", "In", "zone", ["securityscan"])],
        ),
        [pod({"foo": "bar"}, node="nodeA")],
        {"nodeA": {"zoneLabel": "az1", "hostname": "h1"}, "nodeB": {"zoneLabel": "az2", "hostname": "h2"}},
        [AFF, AFF],
    ),
    (
        "anti-affinity covers every node with the matching pod's topology value",
        pod(anti=[term("foo", "In", "region", ["abc"])]),
        [pod({"foo": "abc"}, node="nodeA")],
        {
            "nodeA": {"region": "r1", "hostname": "nodeA"},
            "nodeB": {"region": "r1", "hostname": "nodeB"},
        },
        [ANTI, ANTI],
    ),
    (
        "anti-affinity matches when any term matches",
        pod(anti=[term("foo", "In", "region", ["abc"]), term("service", "In", "zone", ["securityscan"])]),
        [pod({"foo": "abc", "service": "securityscan"}, node="nodeA")],
        hosts("z1", "z2"),
        [ANTI, ANTI],
    ),
    (
        "anti-affinity leaves another region free",
        pod(anti=[term("foo", "In", "region", ["abc"])]),
        [pod({"foo": "abc"}, node="nodeA")],
        {"nodeA": CHINA, "nodeB": CHINA_AZ1, "nodeC": INDIA},
        [ANTI, ANTI, None],
    ),
    (
        "a pod in another namespace does not count",
        pod({"foo": "123"}, ns="NS1", anti=[term("foo", "In", "region", ["bar"])]),
        [
            pod({"foo": "bar"}, node="nodeA", ns="NS1"),
            pod(node="nodeC", ns="NS2", anti=[term("foo", "In", "region", ["123"])]),
        ],
        {"nodeA": CHINA, "nodeB": CHINA_AZ1, "nodeC": INDIA},
        [ANTI, ANTI, None],
    ),
    (
        "an existing pod's term with a topology key no node has: Skip",
        pod({"foo": ""}),
        [pod(node="nodeA", anti=[term("foo", "Exists", "invalid-node-label")])],
        hosts("z1", "z1"),
        "Skip",
    ),
    (
        "the incoming pod's term needs the topology key too",
        pod(anti=[term("foo", "Exists", "invalid-node-label")]),
        [pod({"foo": ""}, node="nodeA")],
        hosts("z1", "z1"),
        [None, None],
    ),
    (
        "existing pods' anti-affinity on every node",
        pod({"foo": "", "bar": ""}),
        [
            pod(node="nodeA", anti=[term("foo", "Exists", "zone")]),
            pod(node="nodeA", anti=[term("bar", "Exists", "region")]),
        ],
        hosts("z1", "z2"),
        [EXISTING, EXISTING],
    ),
    (
        "the incoming pod's anti-affinity violated on every node",
        pod(anti=[term("foo", "Exists", "zone"), term("bar", "Exists", "region")]),
        [pod({"foo": ""}, node="nodeA"), pod({"bar": ""}, node="nodeB")],
        hosts("z1", "z2"),
        [ANTI, ANTI],
    ),
    (
        "existing: a term counts only when selector and topology key both match",
        pod({"foo": "", "bar": ""}),
        [
            pod(
                node="nodeA",
                anti=[term("foo", "Exists", "invalid-node-label"), term("bar", "Exists", "zone")],
            )
        ],
        hosts("z1", "z2"),
        [EXISTING, None],
    ),
    (
        "incoming: a term counts only when selector and topology key both match",
        pod(anti=[term("foo", "Exists", "invalid-node-label"), term("bar", "Exists", "zone")]),
        [pod({"foo": "", "bar": ""}, node="nodeA")],
        hosts("z1", "z2"),
        [ANTI, None],
    ),
    (
        "existing: both terms with valid topology keys",
        pod({"foo": "", "bar": ""}),
        [pod(node="nodeA", anti=[term("foo", "Exists", "region"), term("bar", "Exists", "zone")])],
        hosts("z1", "z2"),
        [EXISTING, EXISTING],
    ),
    (
        "incoming: both terms with valid topology keys",
        pod(anti=[term("foo", "Exists", "region"), term("bar", "Exists", "zone")]),
        [pod({"foo": "", "bar": ""}, node="nodeA")],
        hosts("z1", "z2"),
        [ANTI, ANTI],
    ),
    (
        "existing pods on nodeA and nodeB each match by one term: only nodeC",
        pod({"foo": "", "bar": ""}),
        [
            pod(node="nodeA", anti=[term("foo", "Exists", "zone"), term("labelA", "Exists", "zone")]),
            pod(node="nodeB", anti=[term("bar", "Exists", "zone"), term("labelB", "Exists", "zone")]),
        ],
        hosts("z1", "z2", "z3"),
        [EXISTING, EXISTING, None],
    ),
    (
        "affinity: all terms matched, then all topology keys checked",
        pod(aff=[term("foo", "Exists", "region"), term("bar", "Exists", "zone")]),
        [pod({"foo": "", "bar": ""}, node="nodeA")],
        hosts("z1", "z1"),
        [None, None],
    ),
    (
        "affinity: all terms must be matched by the same pod",
        pod(aff=[term("foo", "Exists", "region"), term("bar", "Exists", "zone")]),
        [pod({"foo": ""}, node="nodeA"), pod({"bar": ""}, node="nodeB")],
        hosts("z1", "z2"),
        [AFF, AFF],
    ),
]


@pytest.mark.parametrize(
    ("incoming", "pods", "nodes", "want"), [c[1:] for c in MULTIPLE_NODES], ids=[c[0] for c in MULTIPLE_NODES]
)
def test_required_affinity_multiple_nodes(incoming: Obj, pods: list[Obj], nodes: Obj, want: Any) -> None:
    code, verdicts = run_filter(incoming, pods, nodes)
    assert (code if code == SKIP else verdicts) == want


# --- filtering_test.go: TestPreFilterStateAddRemovePod (preemption's what-if) ---------------

FOO_BAR_REGION = term("foo", "In", "region", ["bar"])
COMPLEX = [
    term("foo", "In", "region", ["bar", "buzz"]),
    term("service", "NotIn", "zone", ["bar", "security", "test"]),
]
THREE_ZONES = {
    "nodeA": {"region": "r1", "zone": "z11"},
    "nodeB": {"region": "r1", "zone": "z12"},
    "nodeC": {"region": "r2", "zone": "z21"},
}


@pytest.mark.parametrize(
    ("anti", "added_on", "want_anti", "want_existing"),
    [
        ([FOO_BAR_REGION], "nodeB", {("region", "r1"): 2}, {("region", "r1"): 1, ("region", "r2"): 1}),
        (
            COMPLEX,
            "nodeA",
            {("region", "r1"): 2, ("zone", "z11"): 2, ("zone", "z21"): 1},
            {("region", "r1"): 1, ("zone", "z11"): 1, ("region", "r2"): 1},
        ),
    ],
)
def test_pre_filter_state_add_and_remove_pod(
    anti: list[Obj], added_on: str, want_anti: Obj, want_existing: Obj
) -> None:
    pending = pod({"foo": "bar"}, anti=anti)
    infos = snapshot(
        THREE_ZONES, [pod({"foo": "bar"}, node="nodeA"), pod(node="nodeC", anti=[FOO_BAR_REGION])]
    )
    p, state = plugin(infos), CycleState()
    assert p.pre_filter(state, pending, list(infos.values())).ok
    before = state["PreFilterInterPodAffinity"].clone()
    what_if = state.clone()
    added = pod({"foo": "bar"}, node=added_on, anti=anti)
    assert p.add_pod(what_if, pending, "default/added", added, infos[added_on]).ok
    after = what_if["PreFilterInterPodAffinity"]
    assert (after.anti_affinity_counts, after.affinity_counts) == (want_anti, {})
    assert after.existing_anti_affinity_counts == want_existing
    assert state["PreFilterInterPodAffinity"] == before  # the clone was changed, not the original
    assert p.remove_pod(what_if, pending, "default/added", added, infos[added_on]).ok
    assert what_if["PreFilterInterPodAffinity"] == before


# --- scoring_test.go: TestPreferredAffinity ------------------------------------------------


def run_score(incoming: Obj, pods: list[Obj], nodes: dict[str, dict[str, str]], **args: Any) -> Any:
    """PreScore, Score every node, NormalizeScore: the normalised scores, or "Skip"."""
    infos = snapshot(nodes, pods)
    p, state = plugin(infos, **args), CycleState()
    st = p.pre_score(state, incoming, list(infos.values()))
    if st.code == SKIP:
        return SKIP
    scores = {name: p.score(state, incoming, info) for name, info in infos.items()}
    p.normalize(state, incoming, scores)
    return scores


SEC_S1, SEC_S2 = {"security": "S1"}, {"security": "S2"}
AZ1, AZ2 = {"az": "az1"}, {"az": "az2"}
STAY_WITH_S1 = {"pref_aff": [weighted(5, term("security", "In", "region", ["S1"]))]}
STAY_WITH_S2 = {"pref_aff": [weighted(6, term("security", "In", "region", ["S2"]))]}
AFFINITY3 = {
    "pref_aff": [
        weighted(
            8,
            {
                "labelSelector": {
                    "matchExpressions": [
                        {"key": "security", "operator": "NotIn", "values": ["S1"]},
                        {"key": "security", "operator": "In", "values": ["S2"]},
                    ]
                },
                "topologyKey": "region",
            },
        ),
        weighted(
            2,
            {
                "labelSelector": {
                    "matchExpressions": [
                        {"key": "security", "operator": "Exists"},
                        {"key": "wrongkey", "operator": "DoesNotExist"},
                    ]
                },
                "topologyKey": "region",
            },
        ),
    ]
}
HARD = {
    "aff": [
        term("security", "In", "region", ["S1", "value2"]),
        {
            "labelSelector": {
                "matchExpressions": [
                    {"key": "security", "operator": "Exists"},
                    {"key": "wrongkey", "operator": "DoesNotExist"},
                ]
            },
            "topologyKey": "region",
        },
    ]
}
AWAY_FROM_S1 = {"pref_anti": [weighted(5, term("security", "In", "az", ["S1"]))]}
AWAY_FROM_S2 = {"pref_anti": [weighted(5, term("security", "In", "az", ["S2"]))]}
WITH_S1_AWAY_FROM_S2 = {
    "pref_aff": [weighted(8, term("security", "In", "region", ["S1"]))],
    "pref_anti": [weighted(5, term("security", "In", "az", ["S2"]))],
}
NS_SEL_TERM = term(
    "security",
    "In",
    "region",
    ["S1"],
    namespaces=["subteam2.team2"],
    namespaceSelector={"matchExpressions": [{"key": "team", "operator": "In", "values": ["team1"]}]},
)
AFFINITY_NS = {"pref_aff": [weighted(5, NS_SEL_TERM)]}
ANTI_AFFINITY_NS = {"pref_anti": [weighted(5, NS_SEL_TERM)]}
THREE = {"node1": CHINA, "node2": INDIA, "node3": AZ1}

PREFERRED = [
    ("no affinity: Skip", pod(SEC_S1), [], THREE, {}, SKIP),
    (
        "affinity: the node with the topology key and a matching pod scores highest",
        pod(SEC_S1, **STAY_WITH_S1),
        [pod(SEC_S1, node="node1"), pod(SEC_S2, node="node2"), pod(SEC_S1, node="node3")],
        THREE,
        {},
        {"node1": 100, "node2": 0, "node3": 0},
    ),
    (
        "nodes sharing the topology value score the same",
        pod(**STAY_WITH_S1),
        [pod(SEC_S1, node="node1")],
        {"node1": CHINA, "node2": CHINA_AZ1, "node3": INDIA},
        {},
        {"node1": 100, "node2": 100, "node3": 0},
    ),
    (
        "the region with more matching pods scores highest",
        pod(SEC_S1, **STAY_WITH_S2),
        [pod(SEC_S2, node=n) for n in ("node1", "node1", "node2", "node3", "node4", "node5")],
        {"node1": CHINA, "node2": INDIA, "node3": CHINA, "node4": CHINA, "node5": INDIA},
        {},
        {"node1": 100, "node2": 0, "node3": 100, "node4": 100, "node5": 0},
    ),
    (
        "different operators and values, some not matching",
        pod(SEC_S1, **AFFINITY3),
        [pod(SEC_S1, node="node1"), pod(SEC_S2, node="node2"), pod(SEC_S1, node="node3")],
        THREE,
        {},
        {"node1": 20, "node2": 100, "node3": 0},
    ),
    (
        "symmetry: existing pods' preferred affinity",
        pod(SEC_S2),
        [pod(SEC_S1, node="node1", **STAY_WITH_S1), pod(SEC_S2, node="node2", **STAY_WITH_S2)],
        THREE,
        {},
        {"node1": 0, "node2": 100, "node3": 0},
    ),
    (
        "symmetry with a namespace selector",
        pod(SEC_S1, ns="subteam1.team1"),
        [pod(SEC_S1, node="node1", **AFFINITY_NS), pod(SEC_S2, node="node2", **STAY_WITH_S2)],
        THREE,
        {},
        {"node1": 100, "node2": 0, "node3": 0},
    ),
    (
        "anti-affinity symmetry with a namespace selector",
        pod(SEC_S1, ns="subteam1.team1"),
        [pod(SEC_S1, node="node1", **ANTI_AFFINITY_NS), pod(SEC_S2, node="node2", **STAY_WITH_S2)],
        THREE,
        {},
        {"node1": 0, "node2": 100, "node3": 100},
    ),
    (
        "symmetry: existing pods' required affinity counts hardPodAffinityWeight",
        pod(SEC_S1),
        [pod(SEC_S1, node="node1", **HARD), pod(SEC_S2, node="node2", **HARD)],
        THREE,
        {},
        {"node1": 100, "node2": 100, "node3": 0},
    ),
    (
        "anti-affinity: the node without a matching pod scores highest",
        pod(SEC_S1, **AWAY_FROM_S1),
        [pod(SEC_S1, node="node1"), pod(SEC_S2, node="node2")],
        {"node1": AZ1, "node2": CHINA},
        {},
        {"node1": 0, "node2": 100},
    ),
    (
        "anti-affinity: the node without the topology key scores highest",
        pod(SEC_S1, **AWAY_FROM_S1),
        [pod(SEC_S1, node="node1"), pod(SEC_S1, node="node2")],
        {"node1": AZ1, "node2": CHINA},
        {},
        {"node1": 0, "node2": 100},
    ),
    (
        "anti-affinity: more matching pods, lower score",
        pod(SEC_S1, **AWAY_FROM_S1),
        [pod(SEC_S1, node="node1"), pod(SEC_S1, node="node1"), pod(SEC_S2, node="node2")],
        {"node1": AZ1, "node2": INDIA},
        {},
        {"node1": 0, "node2": 100},
    ),
    (
        "anti-affinity symmetry",
        pod(SEC_S2),
        [pod(SEC_S1, node="node1", **AWAY_FROM_S2), pod(SEC_S2, node="node2", **AWAY_FROM_S1)],
        {"node1": AZ1, "node2": AZ2},
        {},
        {"node1": 0, "node2": 100},
    ),
    (
        "affinity and anti-affinity",
        pod(SEC_S1, **WITH_S1_AWAY_FROM_S2),
        [pod(SEC_S1, node="node1"), pod(SEC_S1, node="node2")],
        {"node1": CHINA, "node2": AZ1},
        {},
        {"node1": 100, "node2": 0},
    ),
    (
        "affinity and anti-affinity toward pods like itself",
        pod(SEC_S1, **WITH_S1_AWAY_FROM_S2),
        [pod(SEC_S1, node=n) for n in ("node1", "node1", "node2", "node3", "node3", "node4", "node5")],
        {"node1": CHINA_AZ1, "node2": INDIA, "node3": CHINA, "node4": CHINA, "node5": INDIA},
        {},
        {"node1": 100, "node2": 0, "node3": 100, "node4": 100, "node5": 0},
    ),
    (
        "affinity, anti-affinity and symmetry together",
        pod(SEC_S1, **WITH_S1_AWAY_FROM_S2),
        [
            pod(SEC_S1, node="node1"),
            pod(SEC_S2, node="node2"),
            pod(node="node3", **WITH_S1_AWAY_FROM_S2),
            pod(node="node4", **AWAY_FROM_S1),
        ],
        {"node1": CHINA, "node2": AZ1, "node3": INDIA, "node4": AZ2},
        {},
        {"node1": 100, "node2": 0, "node3": 100, "node4": 0},
    ),
    (
        "some nodes of a topology have no pods with affinity",
        pod(SEC_S1),
        [pod(SEC_S1, node="node1"), pod(node="node2", **WITH_S1_AWAY_FROM_S2)],
        {"node1": CHINA, "node2": CHINA},
        {},
        {"node1": 0, "node2": 0},
    ),
    (
        "affinity with pods matching the namespaceSelector",
        pod(SEC_S1, ns="subteam1.team1", **AFFINITY_NS),
        [
            pod(SEC_S1, node="node1", ns="subteam1.team1"),
            pod(SEC_S1, node="node1", ns="subteam1.team1"),
            pod(SEC_S1, node="node1", ns="subteam1.team2"),
            pod(SEC_S1, node="node2", ns="subteam2.team1"),
        ],
        {"node1": CHINA, "node2": INDIA},
        {},
        {"node1": 100, "node2": 0},
    ),
    (
        "affinity with pods matching namespaceSelector and namespaces",
        pod(SEC_S1, ns="subteam1.team1", **AFFINITY_NS),
        [
            pod(SEC_S1, node="node1", ns="subteam1.team1"),
            pod(SEC_S1, node="node1", ns="subteam1.team1"),
            pod(SEC_S1, node="node1", ns="subteam2.team2"),
            pod(SEC_S1, node="node2", ns="subteam2.team1"),
        ],
        {"node1": CHINA, "node2": INDIA},
        {},
        {"node1": 100, "node2": 0},
    ),
    (
        "anti-affinity with pods matching the namespaceSelector",
        pod(SEC_S1, ns="subteam1.team1", **ANTI_AFFINITY_NS),
        [
            pod(SEC_S1, node="node1", ns="subteam1.team1"),
            pod(SEC_S1, node="node1", ns="subteam1.team1"),
            pod(SEC_S1, node="node1", ns="subteam1.team2"),
            pod(SEC_S1, node="node2", ns="subteam2.team1"),
        ],
        {"node1": CHINA, "node2": INDIA},
        {},
        {"node1": 0, "node2": 100},
    ),
    (
        "ignorePreferredTermsOfExistingPods: Skip",
        pod(SEC_S2),
        [pod(SEC_S1, node="node1", **WITH_S1_AWAY_FROM_S2), pod(SEC_S2, node="node2", **STAY_WITH_S2)],
        {"node1": CHINA, "node2": INDIA},
        {"ignorePreferredTermsOfExistingPods": True},
        SKIP,
    ),
    (
        "existing pods' preferred terms counted by default",
        pod(SEC_S2),
        [pod(SEC_S1, node="node1", **WITH_S1_AWAY_FROM_S2), pod(SEC_S2, node="node2", **STAY_WITH_S2)],
        {"node1": CHINA, "node2": INDIA},
        {},
        {"node1": 0, "node2": 100},
    ),
    ("no nodes to score: Skip", pod(SEC_S2), [], {}, {}, SKIP),
]


@pytest.mark.parametrize(
    ("incoming", "pods", "nodes", "args", "want"), [c[1:] for c in PREFERRED], ids=[c[0] for c in PREFERRED]
)
def test_preferred_affinity(incoming: Obj, pods: list[Obj], nodes: Obj, args: Obj, want: Any) -> None:
    assert run_score(incoming, pods, nodes, **args) == want


HARD_NS = {
    "aff": [
        {
            "labelSelector": {"matchExpressions": [{"key": "service", "operator": "In", "values": ["S1"]}]},
            "namespaces": ["", "subteam2.team2"],
            "namespaceSelector": {
                "matchExpressions": [{"key": "team", "operator": "In", "values": ["team1"]}]
            },
            "topologyKey": "region",
        }
    ]
}


@pytest.mark.parametrize(
    ("ns", "weight", "want"),
    [
        ("", 1, {"node1": 100, "node2": 100, "node3": 0}),  # default weight
        ("", 0, SKIP),
        ("subteam1.team2", 1, SKIP),  # no matching namespace
        ("subteam1.team1", 1, {"node1": 100, "node2": 100, "node3": 0}),  # namespaceSelector
        ("subteam2.team2", 1, {"node1": 100, "node2": 100, "node3": 0}),  # namespaces
    ],
)
def test_preferred_affinity_with_hard_pod_affinity_symmetric_weight(ns: str, weight: int, want: Any) -> None:
    pods = [pod(node="node1", **HARD_NS), pod(node="node2", **HARD_NS)]
    incoming = pod({"service": "S1"}, ns=ns)
    assert run_score(incoming, pods, THREE, hardPodAffinityWeight=weight) == want


def test_raw_scores_are_signed_sums_of_weights() -> None:
    infos = snapshot({"node1": CHINA, "node2": AZ1}, [pod(SEC_S1, node="node1"), pod(SEC_S2, node="node2")])
    p, state = plugin(infos), CycleState()
    incoming = pod(SEC_S1, **WITH_S1_AWAY_FROM_S2)
    p.pre_score(state, incoming, list(infos.values()))
    assert {n: p.score(state, incoming, i) for n, i in infos.items()} == {"node1": 8, "node2": -5}


# --- queueing hint, registration, matchLabelKeys -------------------------------------------


def test_queueing_hints() -> None:
    waiting = pod(
        aff=[term("app", "In", "kubernetes.io/hostname", ["store"])],
        anti=[term("app", "In", "zone", ["web"])],
    )
    p = InterPodAffinity()
    pod_hint, node_hint = p.is_schedulable_after_pod_change, p.is_schedulable_after_node_change
    store, other, web = (
        pod({"app": "store"}, node="n"),
        pod({"app": "other"}, node="n"),
        pod({"app": "web"}, node="n"),
    )
    assert pod_hint(waiting, None, store) == QUEUE  # an assigned pod it wants to be with appeared
    assert pod_hint(waiting, None, other) == QUEUE_SKIP
    assert pod_hint(waiting, None, pod({"app": "store"})) == QUEUE_SKIP  # not assigned: no help
    assert pod_hint(waiting, other, store) == QUEUE  # labels changed to match its affinity
    assert pod_hint(waiting, web, other) == QUEUE  # labels changed away from its anti-affinity
    assert pod_hint(waiting, store, web) == QUEUE_SKIP
    assert pod_hint(waiting, web, None) == QUEUE  # a pod it repels was deleted
    assert pod_hint(waiting, store, None) == QUEUE_SKIP
    # v1.32 looks only at the waiting pod's own terms: an existing pod's anti-affinity is not.
    assert (
        pod_hint(pod({"app": "web"}), pod(node="n", anti=[term("app", "In", "zone", ["web"])]), None)
        == QUEUE_SKIP
    )

    def node(**labels: str) -> Obj:
        return {"metadata": {"name": "n", "labels": labels}}

    assert node_hint(waiting, None, node(zone="z1")) == QUEUE  # the anti-affinity term's key
    assert node_hint(waiting, node(), node(**{"kubernetes.io/hostname": "n"})) == QUEUE
    assert node_hint(waiting, None, node(region="r1")) == QUEUE_SKIP
    registered = {(r.event.resource, r.event.action_type) for r in p.events_to_register()}
    assert registered == {
        (POD, ADD | UPDATE_POD_LABEL | DELETE),
        (NODE, ADD | UPDATE_NODE_LABEL | UPDATE_NODE_TAINT),
    }


def test_registered_after_pod_topology_spread_with_weight_2() -> None:
    names = [name for name, _ in DEFAULT_MULTI_POINT]
    assert ("InterPodAffinity", 2) in DEFAULT_MULTI_POINT
    assert names.index("InterPodAffinity") == names.index("DefaultPreemption") - 1


def test_match_label_keys_are_merged_into_the_selector_at_creation() -> None:
    p = pod(
        {"app": "web", "pod-template-hash": "abc", "tenant": "t1"},
        aff=[{**term("app", "In", "zone", ["web"]), "matchLabelKeys": ["pod-template-hash", "missing"]}],
        pref_anti=[weighted(10, {**term("app", "In", "zone", ["web"]), "mismatchLabelKeys": ["tenant"]})],
    )
    p["spec"]["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"].append(
        {"topologyKey": "zone", "matchLabelKeys": ["app"]}  # no labelSelector: left alone
    )
    apply_label_keys(p)
    required = p["spec"]["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert required[0]["labelSelector"]["matchExpressions"] == [
        {"key": "app", "operator": "In", "values": ["web"]},
        {"key": "pod-template-hash", "operator": "In", "values": ["abc"]},
    ]
    assert "labelSelector" not in required[1]
    preferred = p["spec"]["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    assert preferred[0]["podAffinityTerm"]["labelSelector"]["matchExpressions"][-1] == {
        "key": "tenant",
        "operator": "NotIn",
        "values": ["t1"],
    }


# --- scenarios on a cluster ----------------------------------------------------------------


def spread_one_per_node(replicas: int) -> Obj:
    labels = {"app": "solo"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "solo"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "affinity": {
                        "podAntiAffinity": {
                            "requiredDuringSchedulingIgnoredDuringExecution": [
                                {
                                    "labelSelector": {"matchLabels": labels},
                                    "topologyKey": "kubernetes.io/hostname",
                                }
                            ]
                        }
                    },
                    "containers": [{"name": "app", "image": "nginx:1.27"}],
                },
            },
        },
    }


def placements(c: Cluster, until: float) -> dict[str, tuple[float, str]]:
    """Advance to `until`; when (virtual time, from the audit log's `pods/binding` requests)
    and where each default pod was bound."""
    c.advance(until - c.now)
    bound = {
        call.name: call.time
        for call in c.api_calls()
        if call.resource == "pods/binding" and call.namespace == "default" and call.code == 201
    }
    return {
        p["metadata"]["name"]: (round(bound[p["metadata"]["name"]], 3), p["spec"]["nodeName"])
        for p in c.list("pods", "default")
        if p["metadata"]["name"] in bound
    }


def by_app(c: Cluster, seen: dict[str, tuple[float, str]], app: str) -> list[tuple[float, str]]:
    names = [p["metadata"]["name"] for p in c.list("pods", "default", selector=f"app={app}")]
    return sorted(seen.get(n, (-1.0, "")) for n in names)


def settled_cluster() -> Cluster:
    """The default cluster after its start-up (the add-ons' pods running: no more pod updates)."""
    c = Cluster.from_scenario("default", seed=7)
    c.advance(5)
    return c


def test_required_anti_affinity_spreads_one_per_worker_and_the_extra_replica_waits() -> None:
    c = settled_cluster()
    c.apply(spread_one_per_node(3))
    seen = placements(c, 10.0)
    assert by_app(c, seen, "solo") == [(5.0, "worker-1"), (5.0, "worker-2"), (5.0, "worker-3")]
    c.scale("deployment", "solo", 4)
    seen = placements(c, 30.0)
    (pending,) = [p for p in c.list("pods", "default", selector="app=solo") if not p["spec"].get("nodeName")]
    expected = (
        "0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "3 node(s) didn't match pod anti-affinity rules. preemption: 0/4 nodes are available: "
        "1 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod.."
    )
    name = pending["metadata"]["name"]
    failed = [e for e in events_for(c, name) if e["reason"] == "FailedScheduling"]
    assert [(e["message"], e["count"]) for e in failed] == [(expected, 1)]  # no retry while nothing changes
    cond = next(x for x in pending["status"]["conditions"] if x["type"] == "PodScheduled")
    assert (cond["reason"], cond["message"]) == ("Unschedulable", expected)
    diagnosis = c.scheduling_diagnosis(name)
    assert diagnosis is not None
    assert {n: (st.plugin, st.code) for n, st in diagnosis.node_status.items() if n != "control-plane"} == {
        n: ("InterPodAffinity", UNSCHEDULABLE) for n in ("worker-1", "worker-2", "worker-3")
    }
    # A new node has a new hostname: its NodeAdd event requeues the replica, which lands there.
    c.add_node("worker-4")
    seen = placements(c, 31.0)
    assert seen[name] == (30.0, "worker-4")


WEB_NEXT_TO_CACHE = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: redis-cache
spec:
  selector:
    matchLabels:
      app: store
  replicas: 3
  template:
    metadata:
      labels:
        app: store
    spec:
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - labelSelector:
              matchExpressions:
              - key: app
                operator: In
                values:
                - store
            topologyKey: "kubernetes.io/hostname"
      containers:
      - name: redis-server
        image: redis:3.2-alpine
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-server
spec:
  selector:
    matchLabels:
      app: web-store
  replicas: 3
  template:
    metadata:
      labels:
        app: web-store
    spec:
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - labelSelector:
              matchExpressions:
              - key: app
                operator: In
                values:
                - web-store
            topologyKey: "kubernetes.io/hostname"
        podAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - labelSelector:
              matchExpressions:
              - key: app
                operator: In
                values:
                - store
            topologyKey: "kubernetes.io/hostname"
      containers:
      - name: web-app
        image: nginx:1.16-alpine
"""


def test_web_servers_are_co_located_with_the_cache_as_documented() -> None:
    c = settled_cluster()
    c.apply(WEB_NEXT_TO_CACHE)
    seen = placements(c, 6.0)
    workers = [(5.0, "worker-1"), (5.0, "worker-2"), (5.0, "worker-3")]
    assert by_app(c, seen, "store") == by_app(c, seen, "web-store") == workers


def test_web_servers_created_first_wait_for_the_cache() -> None:
    c = settled_cluster()
    cache, web = WEB_NEXT_TO_CACHE.split("---")
    c.apply(web)
    seen = placements(c, 10.0)
    assert seen == {}
    expected = (
        "0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "3 node(s) didn't match pod affinity rules. preemption: 0/4 nodes are available: "
        "4 Preemption is not helpful for scheduling.."
    )
    failed = [e for e in c.events() if e["reason"] == "FailedScheduling"]
    assert [(e["message"], e["count"]) for e in failed] == [(expected, 1)] * 3
    c.apply(cache)
    seen = placements(c, 15.0)
    assert by_app(c, seen, "store") == [(10.0, "worker-1"), (10.0, "worker-2"), (10.0, "worker-3")]
    # The first cache pod bound (on worker-1: NodeResourcesFit 86 there, next to one CoreDNS pod
    # and its kube-proxy pod, against 85 next to metrics-server and kube-proxy and 81 next to
    # CoreDNS, local-path-provisioner and kube-proxy; pods without requests count as 100m and
    # 200Mi) is an assigned pod the web pods' affinity matches: their queueing hint moves them
    # back at once. The oldest goes next to it; the other two now also fail its anti-affinity,
    # and wait out a 2 s backoff after their second attempt.
    assert by_app(c, seen, "web-store") == [(10.0, "worker-1"), (12.0, "worker-2"), (12.0, "worker-3")]


def test_match_label_keys_let_a_rollout_replace_pods_that_repel_each_other() -> None:
    """The use matchLabelKeys was made for: anti-affinity among the pods of one ReplicaSet only,
    so a rolling update's surge pod may share a node with the old pods it replaces."""
    outcomes = {}
    for keys in ([], ["pod-template-hash"]):
        c = settled_cluster()
        d = spread_one_per_node(3)
        anti = d["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"]
        anti["requiredDuringSchedulingIgnoredDuringExecution"][0]["matchLabelKeys"] = keys
        c.apply(d)
        c.advance(10)
        if keys:
            (hash_,) = {p["metadata"]["labels"]["pod-template-hash"] for p in c.list("pods", "default")}
            created = c.list("pods", "default")[0]["spec"]["affinity"]["podAntiAffinity"]
            assert created["requiredDuringSchedulingIgnoredDuringExecution"][0]["labelSelector"] == {
                "matchLabels": {"app": "solo"},
                "matchExpressions": [{"key": "pod-template-hash", "operator": "In", "values": [hash_]}],
            }
        d["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"
        c.apply(d)
        c.advance(40)
        outcomes[bool(keys)] = sorted(
            (p["spec"]["containers"][0]["image"], p["spec"].get("nodeName") or "")
            for p in c.list("pods", "default", selector="app=solo")
        )
    assert outcomes[False] == [  # the surge pod repels and is repelled by every old pod: stuck
        ("nginx:1.27", "worker-1"),
        ("nginx:1.27", "worker-2"),
        ("nginx:1.27", "worker-3"),
        ("nginx:1.28", ""),
    ]
    assert outcomes[True] == [
        ("nginx:1.28", "worker-1"),
        ("nginx:1.28", "worker-2"),
        ("nginx:1.28", "worker-3"),
    ]


def test_namespace_selector_reads_namespace_labels_through_the_schedulers_informer() -> None:
    c = settled_cluster()
    c.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "data", "labels": {"team": "a"}}})
    c.advance(1)  # its default ServiceAccount
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "db", "namespace": "data", "labels": {"app": "db"}},
            "spec": {"nodeName": "worker-2", "containers": [{"name": "db", "image": "postgres:17"}]},
        }
    )
    c.advance(1)
    near_db = term(
        "app", "In", "kubernetes.io/hostname", ["db"], namespaceSelector={"matchLabels": {"team": "a"}}
    )
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "app"},
            "spec": {
                "affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [near_db]}},
                "containers": [{"name": "app", "image": "nginx:1.27"}],
            },
        }
    )
    c.advance(1)
    assert c.get("pod", "app")["spec"]["nodeName"] == "worker-2"
