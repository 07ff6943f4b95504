"""PodTopologySpread: table tests ported from kube-scheduler's podtopologyspread
filtering_test.go and scoring_test.go (v1.32: minDomains, nodeInclusionPolicy and
matchLabelKeys on), the system default constraints, and a Deployment spread over three zones.

Nodes are named and labelled as upstream: `zone` and `node` keys for filtering,
`kubernetes.io/hostname` for scoring; pods are in `default` unless said otherwise."""

from __future__ import annotations

from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.scheduler.framework import (
    SKIP,
    SUCCESS,
    UNRESOLVABLE,
    UNSCHEDULABLE,
    CycleState,
    Handle,
    NodeInfo,
)
from clusterlab.engine.scheduler.plugins.pod_topology_spread import PodTopologySpread
from clusterlab.engine.scheduler.plugins.pod_topology_spread.filtering import CriticalPaths
from clusterlab.engine.scheduler.plugins.pod_topology_spread.scoring import topology_normalizing_weight
from clusterlab.engine.topology_spread_validation import topology_spread_causes

Obj = dict[str, Any]
HOST = "kubernetes.io/hostname"
FOO = {"matchExpressions": [{"key": "foo", "operator": "Exists"}]}
BAR = {"matchExpressions": [{"key": "bar", "operator": "Exists"}]}
NULL = object()  # a constraint without labelSelector
UNSCHED_TAINT = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}


def tsc(
    skew: int,
    key: str,
    when: str = "DoNotSchedule",
    selector: Any = FOO,
    *,
    min_domains: int | None = None,
    affinity_policy: str | None = None,
    taints_policy: str | None = None,
    match_label_keys: list[str] | None = None,
) -> Obj:
    c: Obj = {"maxSkew": skew, "topologyKey": key, "whenUnsatisfiable": when}
    if selector is not NULL:
        c["labelSelector"] = selector
    if min_domains is not None:
        c["minDomains"] = min_domains
    if affinity_policy:
        c["nodeAffinityPolicy"] = affinity_policy
    if taints_policy:
        c["nodeTaintsPolicy"] = taints_policy
    if match_label_keys:
        c["matchLabelKeys"] = match_label_keys
    return c


def pod(
    name: str = "p",
    node: str = "",
    *constraints: Obj,
    ns: str = "default",
    terminating: bool = False,
    owner: Obj | None = None,
    **labels: str,
) -> Obj:
    meta: Obj = {"name": name, "namespace": ns, "labels": labels}
    if terminating:
        meta["deletionTimestamp"] = "2026-01-01T09:00:00Z"
    if owner:
        meta["ownerReferences"] = [owner]
    spec: Obj = {"containers": [{"name": "c", "image": "nginx"}]}
    if node:
        spec["nodeName"] = node
    if constraints:
        spec["topologySpreadConstraints"] = list(constraints)
    return {"metadata": meta, "spec": spec}


def with_spec(p: Obj, **spec: Any) -> Obj:
    p["spec"].update(spec)
    return p


def node_in(key: str, *values: str) -> Obj:
    term = {"matchExpressions": [{"key": key, "operator": "In", "values": list(values)}]}
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}}


def node_not_in(key: str, *values: str) -> Obj:
    term = {"matchExpressions": [{"key": key, "operator": "NotIn", "values": list(values)}]}
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}}


def mk_node(name: str, taints: list[Obj] | None = None, **labels: str) -> Obj:
    return {"metadata": {"name": name, "labels": labels}, "spec": {"taints": taints or []}, "status": {}}


def zn(name: str, zone: str | None = None, **labels: str) -> Obj:
    """node-a in zone1 with label node=node-a, as upstream's filtering tests build them."""
    if zone is not None:
        labels["zone"] = zone
    return mk_node(name, node=name, **labels)


def hn(name: str, **labels: str) -> Obj:
    """A node labelled kubernetes.io/hostname=<name>, as upstream's scoring tests build them."""
    return mk_node(name, **{HOST: name}, **labels)


FOUR_NODES = [zn("node-a", "zone1"), zn("node-b", "zone1"), zn("node-x", "zone2"), zn("node-y", "zone2")]


def snapshot(nodes: list[Obj], pods: list[Obj]) -> dict[str, NodeInfo]:
    infos = {n["metadata"]["name"]: NodeInfo(n) for n in nodes}
    for i, p in enumerate(pods):
        infos[p["spec"]["nodeName"]].add_pod(f"{p['metadata']['namespace']}/{p['metadata']['name']}-{i}", p)
    return infos


class FakeInformer:
    def __init__(self, objs: list[Obj]) -> None:
        self.cache = {f"{o['metadata'].get('namespace')}/{o['metadata']['name']}": o for o in objs}

    def get(self, key: str) -> Obj | None:
        return self.cache.get(key)

    def list(self) -> list[Obj]:
        return list(self.cache.values())


class FakeFactory:
    def __init__(self, objs: dict[str, list[Obj]]) -> None:
        self.objs = objs

    def get(self, resource: str) -> FakeInformer:
        return FakeInformer(self.objs.get(resource, []))


def plugin(
    infos: dict[str, NodeInfo], args: Obj | None = None, objs: dict[str, list[Obj]] | None = None
) -> PodTopologySpread:
    handle = Handle(None, None, None, None, infos, FakeFactory(objs or {}))
    return PodTopologySpread(args if args is not None else {"defaultingType": "List"}, handle)


def service(selector: dict[str, str] | None, name: str = "svc") -> Obj:
    return {"metadata": {"name": name, "namespace": "default"}, "spec": {"selector": selector}}


# -- CriticalPaths -----------------------------------------------------------------------


def test_critical_paths_keep_the_minimum_first() -> None:
    paths = CriticalPaths()
    for value, num in (("zone1", 3), ("zone2", 2), ("zone3", 0)):
        paths.update(value, num)
    assert paths.paths == [("zone3", 0), ("zone2", 2)]
    paths.update("zone3", 5)  # an existing path changes: re-sorted
    assert paths.paths == [("zone2", 2), ("zone3", 5)]


# -- PreFilter state (TestPreFilterState) ------------------------------------------------


def p_on(name: str, node: str, ns: str = "default", **labels: str) -> Obj:
    return pod(name, node, ns=ns, **labels)


SIX = [  # upstream's usual 2/1/0/3 spread of foo pods
    p_on("p-a1", "node-a", foo=""),
    p_on("p-a2", "node-a", foo=""),
    p_on("p-b1", "node-b", foo=""),
    p_on("p-y1", "node-y", foo=""),
    p_on("p-y2", "node-y", foo=""),
    p_on("p-y3", "node-y", foo=""),
]


@pytest.mark.parametrize(
    ("incoming", "nodes", "existing", "want_counts", "want_min"),
    [
        pytest.param(
            pod("p", "", tsc(5, "zone", selector={"matchLabels": {"foo": "bar"}}), foo=""),
            FOUR_NODES,
            [],
            [{"zone1": 0, "zone2": 0}],
            [0],
            id="clean cluster with one spreadConstraint",
        ),
        pytest.param(
            pod("p", "", tsc(1, "zone"), foo=""),
            FOUR_NODES,
            SIX[:3] + SIX[3:5],
            [{"zone1": 3, "zone2": 2}],
            [2],
            id="normal case with one spreadConstraint",
        ),
        pytest.param(
            pod("p", "", tsc(1, "zone", selector=NULL), foo=""),
            FOUR_NODES,
            SIX[:5],
            [{"zone1": 0, "zone2": 0}],
            [0],
            id="normal case with null label selector",
        ),
        pytest.param(
            pod("p", "", tsc(1, "zone"), foo=""),
            [*FOUR_NODES, zn("node-o", "zone3"), zn("node-p", "zone3")],
            SIX[:5],
            [{"zone1": 3, "zone2": 2, "zone3": 0}],
            [0],
            id="normal case with one spreadConstraint, on a 3-zone cluster",
        ),
        pytest.param(
            pod("p", "", tsc(1, "zone"), foo=""),
            FOUR_NODES,
            [
                p_on("p-a1", "node-a", foo=""),
                p_on("p-a2", "node-a", ns="ns1", foo=""),
                p_on("p-b1", "node-b", foo=""),
                p_on("p-y1", "node-y", ns="ns2", foo=""),
                p_on("p-y2", "node-y", foo=""),
            ],
            [{"zone1": 2, "zone2": 1}],
            [1],
            id="namespace mismatch doesn't count",
        ),
        pytest.param(
            pod("p", "", tsc(1, "zone"), tsc(1, "node"), foo=""),
            FOUR_NODES,
            [*SIX, p_on("p-y4", "node-y", foo="")],
            [{"zone1": 3, "zone2": 4}, {"node-a": 2, "node-b": 1, "node-x": 0, "node-y": 4}],
            [3, 0],
            id="normal case with two spreadConstraints",
        ),
        pytest.param(
            pod(
                "p",
                "",
                tsc(1, "zone", "ScheduleAnyway"),
                tsc(1, "zone"),
                tsc(1, "node", "ScheduleAnyway"),
                tsc(1, "node"),
                foo="",
            ),
            [zn("node-a", "zone1"), zn("node-b", "zone1"), zn("node-y", "zone2")],
            [*SIX, p_on("p-y4", "node-y", foo="")],
            [{"zone1": 3, "zone2": 4}, {"node-a": 2, "node-b": 1, "node-y": 4}],
            [3, 1],
            id="soft spreadConstraints should be bypassed",
        ),
        pytest.param(
            with_spec(
                pod("p", "", tsc(1, "zone"), tsc(1, "node"), foo=""), affinity=node_not_in("node", "node-x")
            ),
            FOUR_NODES,
            [*SIX, p_on("p-y4", "node-y", foo="")],
            [{"zone1": 3, "zone2": 4}, {"node-a": 2, "node-b": 1, "node-y": 4}],
            [3, 1],
            id="two spreadConstraints, and with podAffinity",
        ),
        pytest.param(
            with_spec(pod("p", "", tsc(1, "node", selector=BAR), foo=""), nodeSelector={"foo": ""}),
            [zn("node-a", foo=""), zn("node-b", foo=""), zn("node-c", bar="")],
            [
                p_on("p-a", "node-a", bar=""),
                p_on("p-b", "node-b", bar=""),
                p_on("p-c", "node-b", bar=""),
                p_on("p-d", "node-c"),
            ],
            [{"node-a": 1, "node-b": 2}],
            [1],
            id="NodeAffinityPolicy honored with labelSelectors",
        ),
        pytest.param(
            with_spec(
                pod("p", "", tsc(1, "node", selector=BAR, affinity_policy="Ignore"), foo=""),
                nodeSelector={"foo": ""},
            ),
            [zn("node-a", foo=""), zn("node-b", foo=""), zn("node-c", bar="")],
            [
                p_on("p-a", "node-a", bar=""),
                p_on("p-b", "node-b", bar=""),
                p_on("p-c", "node-b", bar=""),
                p_on("p-d", "node-c"),
            ],
            [{"node-a": 1, "node-b": 2, "node-c": 0}],
            [0],
            id="NodeAffinityPolicy ignored with labelSelectors",
        ),
        pytest.param(
            pod("p", "", tsc(1, "node", selector=BAR), foo=""),
            [zn("node-a"), zn("node-b"), mk_node("node-c", [UNSCHED_TAINT], node="node-c", bar="")],
            [
                p_on("p-a", "node-a", bar=""),
                p_on("p-b", "node-b", bar=""),
                p_on("p-c", "node-b", bar=""),
                p_on("p-d", "node-c"),
            ],
            [{"node-a": 1, "node-b": 2, "node-c": 0}],
            [0],
            id="NodeTaintsPolicy ignored",
        ),
        pytest.param(
            pod("p", "", tsc(1, "node", selector=BAR, taints_policy="Honor"), foo=""),
            [zn("node-a"), zn("node-b"), mk_node("node-c", [UNSCHED_TAINT], node="node-c", bar="")],
            [
                p_on("p-a", "node-a", bar=""),
                p_on("p-b", "node-b", bar=""),
                p_on("p-c", "node-b", bar=""),
                p_on("p-d", "node-c"),
            ],
            [{"node-a": 1, "node-b": 2}],
            [1],
            id="NodeTaintsPolicy honored",
        ),
        pytest.param(
            with_spec(
                pod("p", "", tsc(1, "node", selector=BAR, taints_policy="Honor"), foo=""),
                tolerations=[{"key": "node.kubernetes.io/unschedulable", "operator": "Exists"}],
            ),
            [zn("node-a"), zn("node-b"), mk_node("node-c", [UNSCHED_TAINT], node="node-c", bar="")],
            [
                p_on("p-a", "node-a", bar=""),
                p_on("p-b", "node-b", bar=""),
                p_on("p-c", "node-b", bar=""),
                p_on("p-d", "node-c"),
            ],
            [{"node-a": 1, "node-b": 2, "node-c": 0}],
            [0],
            id="NodeTaintsPolicy honored with tolerated taints",
        ),
        pytest.param(
            pod("p", "", tsc(1, "zone", match_label_keys=["bar"]), foo="", bar="a"),
            FOUR_NODES,
            [
                p_on("p-a1", "node-a", foo=""),
                p_on("p-a2", "node-a", foo="", bar="a"),
                p_on("p-b1", "node-b", foo=""),
                p_on("p-y1", "node-y", foo="", bar="a"),
                p_on("p-y2", "node-y", bar=""),
            ],
            [{"zone1": 1, "zone2": 1}],
            [1],
            id="matchLabelKeys ANDed with LabelSelector when LabelSelector isn't empty",
        ),
        pytest.param(
            pod("p", "", tsc(1, "zone", selector={}, match_label_keys=["foo"]), foo="a"),
            FOUR_NODES,
            [p_on(f"p-{n}", n, foo="a") for n in ("node-a", "node-a", "node-b", "node-y", "node-y")],
            [{"zone1": 3, "zone2": 2}],
            [2],
            id="matchLabelKeys ANDed with LabelSelector when LabelSelector is empty",
        ),
        pytest.param(
            pod("p", "", tsc(1, "zone", match_label_keys=["bar"]), foo=""),
            FOUR_NODES,
            [p_on(f"p-{n}", n, foo="a") for n in ("node-a", "node-a", "node-b", "node-y", "node-y")],
            [{"zone1": 3, "zone2": 2}],
            [2],
            id="key in matchLabelKeys is ignored when it isn't exist in pod.labels",
        ),
    ],
)
def test_pre_filter_state(
    incoming: Obj,
    nodes: list[Obj],
    existing: list[Obj],
    want_counts: list[dict[str, int]],
    want_min: list[int],
) -> None:
    infos = snapshot(nodes, existing)
    state = CycleState()
    assert plugin(infos).pre_filter(state, incoming, list(infos.values())).code == SUCCESS
    s = state["PreFilterPodTopologySpread"]
    assert s.tp_value_to_match_num == want_counts
    assert [p.min_match for p in s.critical_paths] == want_min


def test_pre_filter_skips_a_pod_without_hard_constraints() -> None:
    infos = snapshot([zn("node-a", "zone1")], [])
    soft = pod("p", "", tsc(1, "zone", "ScheduleAnyway"), foo="")
    for p in (pod("p", foo=""), soft):
        assert plugin(infos).pre_filter(CycleState(), p, list(infos.values())).code == SKIP


@pytest.mark.parametrize(
    ("defaults", "services", "want"),
    [
        pytest.param(
            [
                tsc(3, "node", selector=NULL),
                tsc(2, "node", "ScheduleAnyway", selector=NULL),
                tsc(5, "rack", selector=NULL),
            ],
            [service({"foo": "bar"})],
            [(3, "node"), (5, "rack")],
            id="default constraints and a service",
        ),
        pytest.param(
            [tsc(3, "node", selector=NULL)],
            [service({"baz": "kep"})],
            SKIP,
            id="a service that doesn't match",
        ),
        pytest.param(
            [tsc(2, "node", "ScheduleAnyway", selector=NULL)],
            [service({"foo": "bar"})],
            SKIP,
            id="default soft constraints and a service",
        ),
        pytest.param(
            [tsc(3, "node", selector=NULL)],
            [service(None)],
            SKIP,
            id="a nil service selector matches nothing",
        ),
    ],
)
def test_pre_filter_default_constraints(defaults: list[Obj], services: list[Obj], want: Any) -> None:
    infos = snapshot([], [])
    pl = plugin(infos, {"defaultingType": "List", "defaultConstraints": defaults}, {"services": services})
    state = CycleState()
    status = pl.pre_filter(state, pod("p", foo="bar", baz="kar"), [])
    if want == SKIP:
        assert status.code == SKIP
        return
    assert status.code == SUCCESS
    s = state["PreFilterPodTopologySpread"]
    assert [(c.max_skew, c.topology_key) for c in s.constraints] == want
    assert all(
        c.selector.matches({"foo": "bar"}) and not c.selector.matches({"baz": "kar"}) for c in s.constraints
    )


def test_a_pods_own_constraints_win_over_the_defaults() -> None:
    pl = plugin(
        {},
        {"defaultingType": "List", "defaultConstraints": [tsc(2, "node", selector=NULL)]},
        {"services": [service({"foo": "bar"})]},
    )
    state = CycleState()
    own = pod(
        "p",
        "",
        tsc(1, "zone", selector={"matchLabels": {"baz": "tar"}}),
        tsc(2, "planet", "ScheduleAnyway"),
        foo="bar",
        baz="tar",
    )
    assert pl.pre_filter(state, own, []).code == SUCCESS
    assert [(c.max_skew, c.topology_key) for c in state["PreFilterPodTopologySpread"].constraints] == [
        (1, "zone")
    ]


# -- Filter (TestSingleConstraint, TestMultipleConstraints) -----------------------------

S, U, X = SUCCESS, UNSCHEDULABLE, UNRESOLVABLE


@pytest.mark.parametrize(
    ("incoming", "nodes", "existing", "want"),
    [
        pytest.param(pod("p", "", tsc(1, "zone"), foo=""), FOUR_NODES, [], "SSSS", id="no existing pods"),
        pytest.param(
            pod("p", "", tsc(1, "zone", selector=BAR), foo=""),
            FOUR_NODES,
            [],
            "SSSS",
            id="no existing pods, incoming pod doesn't match itself",
        ),
        pytest.param(
            pod("p", "", tsc(1, "zone"), foo=""),
            FOUR_NODES,
            [
                p_on("p-a1", "node-a", ns="ns1", foo=""),
                p_on("p-b1", "node-a", ns="ns2", foo=""),
                p_on("p-x1", "node-x", foo=""),
                p_on("p-y1", "node-y", foo=""),
            ],
            "SSUU",
            id="existing pods in a different namespace do not count",
        ),
        pytest.param(
            pod("p", "", tsc(1, "zone", selector=NULL), foo=""),
            FOUR_NODES,
            [p_on("p-x1", "node-x", foo=""), p_on("p-y1", "node-y", foo="")],
            "SSSS",
            id="existing pods do not match null selector",
        ),
        pytest.param(
            pod("p", "", tsc(1, "zone"), foo=""),
            FOUR_NODES,
            SIX,
            "SSSS",
            id="pods spread across zones as 3/3, all nodes fit",
        ),
        pytest.param(
            pod("p", "", tsc(1, "zone"), foo=""),
            [zn("node-a", "zone1"), zn("node-b", zon="zone1"), zn("node-x", "zone2"), zn("node-y", "zone2")],
            [p_on(f"p-{n}", n, foo="") for n in ("node-a", "node-b", "node-x", "node-y")],
            "SXUU",
            id="pods spread across zones as 1/2 due to absence of label 'zone' on node-b",
        ),
        pytest.param(
            pod("p", "", tsc(1, "rack"), foo=""),
            [zn("node-a", "zone1"), zn("node-x", "zone2")],
            [],
            "XX",
            id="pod cannot be scheduled as all nodes don't have label 'rack'",
        ),
        pytest.param(
            pod("p", "", tsc(1, "node"), foo=""),
            FOUR_NODES,
            SIX,
            "UUSU",
            id="pods spread across nodes as 2/1/0/3, only node-x fits",
        ),
        pytest.param(
            pod("p", "", tsc(2, "node"), foo=""),
            FOUR_NODES,
            SIX,
            "USSU",
            id="pods spread across nodes as 2/1/0/3, maxSkew is 2, node-b and node-x fit",
        ),
        pytest.param(
            pod("p", "", tsc(1, "node"), bar=""),
            FOUR_NODES,
            SIX,
            "USSU",
            id="pods spread across nodes as 2/1/0/3, but pod doesn't match itself",
        ),
        pytest.param(
            with_spec(pod("p", "", tsc(1, "node"), foo=""), affinity=node_in("node", "node-a", "node-y")),
            FOUR_NODES,
            SIX,
            "SSSU",  # node-b and node-x are NodeAffinity's to reject
            id="incoming pod has nodeAffinity, pods spread as 2/~1~/~0~/3, hence node-a fits",
        ),
        pytest.param(
            pod("p", "", tsc(1, "node"), foo=""),
            [zn("node-a"), zn("node-b")],
            [pod("p-a", "node-a", terminating=True, foo=""), p_on("p-b", "node-b", foo="")],
            "SU",
            id="terminating Pods should be excluded",
        ),
        pytest.param(
            with_spec(pod("p", "", tsc(1, "zone"), foo=""), affinity=node_not_in("node", "node-b")),
            FOUR_NODES,
            [p_on("p-b1", "node-b", foo=""), p_on("p-b2", "node-b", foo=""), p_on("p-y1", "node-y", foo="")],
            "SSUU",
            id="incoming pod has nodeAffinity, pods spread as 0/~2~/0/1, hence node-a fits",
        ),
        pytest.param(
            pod("p", "", tsc(2, "node", min_domains=4), foo=""),
            [zn("node-a"), zn("node-b"), zn("node-c")],
            [
                p_on(f"p-{i}", n, foo="")
                for i, n in enumerate(("node-a", "node-a", "node-b", "node-b", "node-c"))
            ],
            "UUS",
            id="pods spread across nodes as 2/2/1, maxSkew is 2, and the number of domains < minDomains",
        ),
        pytest.param(
            pod("p", "", tsc(2, "node", min_domains=2), foo=""),
            [zn("node-a"), zn("node-b"), zn("node-c")],
            [
                p_on(f"p-{i}", n, foo="")
                for i, n in enumerate(("node-a", "node-a", "node-b", "node-b", "node-c"))
            ],
            "SSS",
            id="pods spread across nodes as 2/2/1, maxSkew is 2, and the number of domains > minDomains",
        ),
        pytest.param(
            pod("p", "", tsc(2, "zone", min_domains=3), foo=""),
            FOUR_NODES,
            [p_on("p-b1", "node-a", foo=""), p_on("p-b2", "node-b", foo=""), p_on("p-y1", "node-y", foo="")],
            "UUSS",
            id="pods spread across zone as 2/1, maxSkew is 2 and the number of domains < minDomains",
        ),
        pytest.param(
            with_spec(pod("p", "", tsc(1, "node"), foo=""), nodeSelector={"foo": ""}),
            [zn("node-a", foo=""), zn("node-b", foo=""), zn("node-x", foo=""), zn("node-y")],
            [p_on("p-b1", "node-a", foo=""), p_on("p-b2", "node-b", foo=""), p_on("p-y1", "node-y", foo="")],
            "UUSS",
            id="NodeAffinityPolicy honored with labelSelectors",
        ),
        pytest.param(
            with_spec(
                pod("p", "", tsc(1, "node", affinity_policy="Ignore"), foo=""), nodeSelector={"foo": ""}
            ),
            [zn("node-a", foo=""), zn("node-b", foo=""), zn("node-x", foo=""), zn("node-y")],
            [p_on("p-b1", "node-a", foo=""), p_on("p-b2", "node-b", foo=""), p_on("p-y1", "node-y", foo="")],
            "UUSU",
            id="NodeAffinityPolicy ignored with labelSelectors",
        ),
        pytest.param(
            pod("p", "", tsc(1, "node", taints_policy="Honor"), foo=""),
            [
                zn("node-a", foo=""),
                zn("node-b", foo=""),
                zn("node-x", foo=""),
                mk_node("node-y", [UNSCHED_TAINT], node="node-y"),
            ],
            [p_on("p-b1", "node-a", foo=""), p_on("p-b2", "node-b", foo=""), p_on("p-y1", "node-y", foo="")],
            "UUSS",
            id="NodeTaintsPolicy honored",
        ),
        pytest.param(
            pod("p", "", tsc(1, "node"), foo=""),
            [
                zn("node-a", foo=""),
                zn("node-b", foo=""),
                zn("node-x", foo=""),
                mk_node("node-y", [UNSCHED_TAINT], node="node-y"),
            ],
            [p_on("p-b1", "node-a", foo=""), p_on("p-b2", "node-b", foo=""), p_on("p-y1", "node-y", foo="")],
            "UUSU",
            id="NodeTaintsPolicy ignored",
        ),
        # TestMultipleConstraints
        pytest.param(
            pod("p", "", tsc(1, "zone"), tsc(1, "node"), foo=""),
            FOUR_NODES,
            SIX,
            "UUSU",
            id="two Constraints on zone and node, spreads = [3/3, 2/1/0/3]",
        ),
        pytest.param(
            pod("p", "", tsc(1, "zone"), tsc(1, "node"), foo=""),
            FOUR_NODES,
            [*SIX, p_on("p-y4", "node-y", foo="")],
            "UUUU",
            id="two Constraints on zone and node, spreads = [3/4, 2/1/0/4]",
        ),
        pytest.param(
            pod("p", "", tsc(1, "zone"), tsc(1, "node", selector=BAR), foo="", bar=""),
            FOUR_NODES,
            [p_on("p-a1", "node-a", foo=""), p_on("p-y1", "node-y", bar="")],
            "UUSU",
            id="Constraints hold different labelSelectors, spreads = [1/0, 1/0/0/1]",
        ),
        pytest.param(
            pod("p", "", tsc(1, "zone"), tsc(1, "node", selector=BAR), foo="", bar=""),
            FOUR_NODES,
            [p_on("p-a1", "node-a", foo=""), p_on("p-x1", "node-x", bar=""), p_on("p-y1", "node-y", bar="")],
            "UUUU",
            id="Constraints hold different labelSelectors, spreads = [1/0, 0/0/1/1]",
        ),
        pytest.param(
            pod("p", "", tsc(1, "zone"), tsc(1, "node", selector=BAR), foo="", bar=""),
            FOUR_NODES,
            [
                p_on("p-a1", "node-a", foo=""),
                p_on("p-a2", "node-a", foo="", bar=""),
                p_on("p-y1", "node-y", foo=""),
                p_on("p-y2", "node-y", foo="", bar=""),
                p_on("p-y3", "node-y", foo=""),
            ],
            "USUU",
            id="Constraints hold different labelSelectors, spreads = [2/3, 1/0/0/1]",
        ),
        pytest.param(
            pod("p", "", tsc(1, "zone"), tsc(1, "node", selector=BAR), bar=""),
            FOUR_NODES,
            [p_on("p-a1", "node-a", foo=""), p_on("p-x1", "node-x", bar=""), p_on("p-y1", "node-y", bar="")],
            "SSUU",
            id="Constraints hold different labelSelectors but pod doesn't match itself on 'zone' constraint",
        ),
        pytest.param(
            pod("p", "", tsc(1, "zone"), tsc(1, "node"), foo=""),
            [
                zn("node-a", "zone1"),
                zn("node-b", "zone1"),
                mk_node("node-x", zone="zone2"),
                zn("node-y", "zone2"),
            ],
            [p_on("p-a1", "node-a", foo=""), p_on("p-y3", "node-y", foo="")],
            "USXU",
            id="two Constraints on zone and node, absence of label 'node' on node-x, [1/1, 1/0/0/1]",
        ),
        pytest.param(
            with_spec(
                pod("p", "", tsc(1, "zone"), tsc(1, "node", affinity_policy="Ignore"), foo=""),
                nodeSelector={"foo": ""},
            ),
            [
                zn("node-a", "zone1", foo=""),
                zn("node-b", "zone1", foo=""),
                zn("node-x", "zone2", foo=""),
                zn("node-y", "zone2"),
            ],
            [p_on("p-a1", "node-a", foo=""), p_on("p-b1", "node-b", foo=""), p_on("p-y1", "node-y", foo="")],
            "UUSU",
            id="two node inclusion Constraints, zone: honor/ignore, node: ignore/ignore",
        ),
        pytest.param(
            pod("p", "", tsc(1, "zone", taints_policy="Honor"), tsc(1, "node"), foo=""),
            [
                zn("node-a", "zone1", foo=""),
                zn("node-b", "zone1", foo=""),
                zn("node-x", "zone2", foo=""),
                mk_node("node-y", [UNSCHED_TAINT], zone="zone2", node="node-y"),
            ],
            [p_on("p-a1", "node-a", foo=""), p_on("p-b1", "node-b", foo=""), p_on("p-y1", "node-y", foo="")],
            "UUSU",
            id="two node inclusion Constraints, zone: honor/honor, node: honor/ignore",
        ),
        pytest.param(
            pod("p", "", tsc(1, "zone", selector=BAR), tsc(1, "zone"), foo="", bar=""),
            FOUR_NODES,
            [
                p_on("p-a1", "node-a", foo="", bar=""),
                p_on("p-a2", "node-a", foo=""),
                p_on("p-b1", "node-b", foo="", bar=""),
                p_on("p-y1", "node-y", foo=""),
                p_on("p-y2", "node-y", foo="", bar=""),
                p_on("p-y3", "node-y", foo=""),
            ],
            "UUSS",
            id="two Constraints on zone, spreads = [3/3, 2/1]",
        ),
    ],
)
def test_filter(incoming: Obj, nodes: list[Obj], existing: list[Obj], want: str) -> None:
    infos = snapshot(nodes, existing)
    pl = plugin(infos)
    state = CycleState()
    assert pl.pre_filter(state, incoming, list(infos.values())).code == SUCCESS
    codes = {"S": S, "U": U, "X": X}
    got = {name: pl.filter(state, incoming, info).code for name, info in infos.items()}
    assert got == {n["metadata"]["name"]: codes[w] for n, w in zip(nodes, want, strict=True)}


def test_filter_messages() -> None:
    infos = snapshot(
        [zn("node-a", "zone1"), zn("node-b", "zone1"), zn("node-x")], [p_on("p-a1", "node-a", foo="")]
    )
    pl = plugin(infos)
    state = CycleState()
    incoming = pod("p", "", tsc(1, "node"), tsc(1, "zone"), foo="")
    pl.pre_filter(state, incoming, list(infos.values()))
    assert (
        pl.filter(state, incoming, infos["node-a"]).message()
        == "node(s) didn't match pod topology spread constraints"
    )
    assert pl.filter(state, incoming, infos["node-x"]).message() == (
        "node(s) didn't match pod topology spread constraints (missing required label)"
    )
    assert pl.filter(state, incoming, infos["node-a"]).plugin == "PodTopologySpread"


# -- PreScore / Score / NormalizeScore (TestPodTopologySpreadScore) ---------------------


def spread(counts: dict[str, int], label: str = "foo") -> list[Obj]:
    """`counts` matching pods on each node."""
    return [p_on(f"p-{n}{i}", n, **{label: ""}) for n, k in counts.items() for i in range(k)]


def soft(skew: int, key: str = HOST, selector: Any = FOO, **kw: Any) -> Obj:
    return tsc(skew, key, "ScheduleAnyway", selector, **kw)


HOSTS4 = [hn("node-a"), hn("node-b"), hn("node-c"), hn("node-d")]
ZH = [
    hn("node-a", zone="zone1"),
    hn("node-b", zone="zone1"),
    hn("node-x", zone="zone2"),
    hn("node-y", zone="zone2"),
]


@pytest.mark.parametrize(
    ("incoming", "nodes", "failed", "existing", "services", "want"),
    [
        pytest.param(
            pod("p", "", soft(1), foo=""),
            HOSTS4[:2],
            [],
            [],
            [],
            [100, 100],
            id="one constraint on node, no existing pods",
        ),
        pytest.param(
            pod("p", "", soft(1), foo=""),
            HOSTS4[:1],
            HOSTS4[1:2],
            spread({"node-a": 2, "node-b": 1}),
            [],
            [100],
            id="one constraint on node, only one node is candidate",
        ),
        pytest.param(
            pod("p", "", soft(1), foo=""),
            HOSTS4[:2],
            [],
            spread({"node-a": 1, "node-b": 1}),
            [],
            [100, 100],
            id="one constraint on node, all nodes have the same number of matching pods",
        ),
        pytest.param(
            pod("p", "", soft(1), foo=""),
            HOSTS4,
            [],
            spread({"node-a": 2, "node-b": 1, "node-d": 3}),
            [],
            [20, 60, 100, 0],
            id="one constraint on node, all 4 nodes are candidates",
        ),
        pytest.param(
            pod("p", "", soft(1, selector=NULL), foo=""),
            HOSTS4,
            [],
            spread({"node-a": 2, "node-b": 1, "node-d": 3}),
            [],
            [100, 100, 100, 100],
            id="one constraint on node, null selector",
        ),
        pytest.param(
            pod("p", "", soft(2), foo=""),
            HOSTS4,
            [],
            spread({"node-a": 2, "node-b": 1, "node-d": 3}),
            [],
            [33, 66, 100, 16],
            id="one constraint on node, all 4 nodes are candidates, maxSkew=2",
        ),
        pytest.param(
            pod("p", "", soft(3), foo=""),
            HOSTS4,
            [],
            spread({"node-a": 4, "node-b": 3, "node-c": 2, "node-d": 1}),
            [],
            [44, 66, 77, 100],
            id="one constraint on node, all 4 nodes are candidates, maxSkew=3",
        ),
        pytest.param(
            pod("p", foo=""),
            HOSTS4,
            [],
            spread({"node-a": 4, "node-b": 3, "node-c": 2, "node-d": 1}),
            [service({"foo": ""})],
            [44, 66, 77, 100],
            id="system defaulting, nodes don't have zone, pods match service",
        ),
        pytest.param(
            pod("p", "", soft(1), foo=""),
            [hn("node-a"), hn("node-b"), hn("node-x")],
            [hn("node-y")],
            spread({"node-a": 4, "node-b": 2, "node-x": 1, "node-y": 3}),
            [],
            [33, 83, 100],
            id="one constraint on node, 3 out of 4 nodes are candidates",
        ),
        pytest.param(
            pod("p", "", soft(1), foo=""),
            [hn("node-a"), mk_node("node-b", n="node-b"), hn("node-x")],
            [hn("node-y")],
            spread({"node-a": 4, "node-b": 2, "node-x": 1, "node-y": 3}),
            [],
            [16, 0, 100],
            id="one constraint on node, 3 out of 4 nodes are candidates, one node doesn't match topology key",
        ),
        pytest.param(
            pod("p", "", soft(1, "zone"), foo=""),
            [ZH[0], ZH[1], ZH[2]],
            [ZH[3]],
            spread({"node-a": 4, "node-b": 2, "node-x": 1, "node-y": 3}),
            [],
            [75, 75, 100],
            id="one constraint on zone, 3 out of 4 nodes are candidates",
        ),
        pytest.param(
            pod("p", "", soft(1, "zone"), soft(1), foo=""),
            [ZH[0], ZH[2]],
            [ZH[1], ZH[3]],
            spread({"node-a": 2, "node-b": 1, "node-x": 2, "node-y": 4}),
            [],
            [100, 63],
            id="two Constraints on zone and node, 2 out of 4 nodes are candidates",
        ),
        pytest.param(
            pod("p", "", soft(1, "zone"), soft(1, "zone", selector=BAR), foo="", bar=""),
            [mk_node("node-a", zone="zone1"), mk_node("node-x", zone="zone2")],
            [mk_node("node-b", zone="zone1"), mk_node("node-y", zone="zone2")],
            [
                p_on("p-a1", "node-a", foo="", bar=""),
                p_on("p-a2", "node-a", foo=""),
                p_on("p-b1", "node-b", foo="", bar=""),
                p_on("p-y1", "node-y", foo=""),
                p_on("p-y2", "node-y", foo="", bar=""),
                p_on("p-y3", "node-y", foo=""),
            ],
            [],
            [85, 100],
            id="two Constraints on zone, 2 out of 4 nodes are candidates",
        ),
        pytest.param(
            pod("p", "", soft(1, "zone"), soft(1, selector=BAR), foo="", bar=""),
            ZH,
            [],
            [
                p_on("p-a1", "node-a", foo=""),
                p_on("p-b1", "node-b", foo="", bar=""),
                p_on("p-y1", "node-y", foo=""),
                p_on("p-y2", "node-y", bar=""),
            ],
            [],
            [60, 20, 100, 60],
            id="two Constraints on zone and node, with different labelSelectors",
        ),
        pytest.param(
            pod("p", "", soft(1, "zone"), soft(1, selector=BAR), foo="", bar=""),
            ZH,
            [],
            [
                p_on("p-b1", "node-b", bar=""),
                p_on("p-x1", "node-x", foo=""),
                p_on("p-y1", "node-y", foo="", bar=""),
            ],
            [],
            [100, 60, 40, 0],
            id="two Constraints on zone and node, with different labelSelectors, some nodes have 0 pods",
        ),
        pytest.param(
            pod("p", "", soft(1, "zone"), soft(1, selector=BAR), foo="", bar=""),
            ZH[:3],
            ZH[3:],
            [
                p_on("p-a1", "node-a", foo=""),
                p_on("p-b1", "node-b", foo="", bar=""),
                p_on("p-y1", "node-y", foo=""),
                p_on("p-y2", "node-y", bar=""),
            ],
            [],
            [50, 25, 100],
            id="two Constraints on zone and node, different labelSelectors, 3 out of 4 nodes are candidates",
        ),
        pytest.param(
            pod("p", "", soft(1), foo=""),
            HOSTS4[:2],
            [],
            [p_on("p-a1", "node-a", ns="ns1", foo=""), *spread({"node-a": 1, "node-b": 2})],
            [],
            [100, 33],
            id="existing pods in a different namespace do not count",
        ),
        pytest.param(
            pod("p", "", soft(1), foo=""),
            HOSTS4[:2],
            [],
            [pod("p-a", "node-a", terminating=True, foo=""), p_on("p-b", "node-b", foo="")],
            [],
            [100, 0],
            id="terminating Pods should be excluded",
        ),
        pytest.param(
            pod("p", "", soft(2, "node", min_domains=10), foo=""),
            [zn("node-a"), zn("node-b"), zn("node-c")],
            [],
            spread({"node-a": 2, "node-b": 2, "node-c": 1}),
            [],
            [75, 75, 100],
            id="minDomains has no effect when ScheduleAnyway",
        ),
        pytest.param(
            with_spec(pod("p", "", soft(1, "node"), foo=""), nodeSelector={"foo": ""}),
            [zn("node-a", foo=""), zn("node-b", foo=""), zn("node-c")],
            [],
            spread({"node-a": 2, "node-b": 1, "node-c": 1}),
            [],
            [0, 33, 100],
            id="NodeAffinityPolicy honoed with labelSelectors",
        ),
        pytest.param(
            with_spec(
                pod("p", "", soft(1, "node", affinity_policy="Ignore"), foo=""), nodeSelector={"foo": ""}
            ),
            [zn("node-a", foo=""), zn("node-b", foo=""), zn("node-c")],
            [],
            spread({"node-a": 2, "node-b": 1, "node-c": 1}),
            [],
            [66, 100, 100],
            id="NodeAffinityPolicy ignored with labelSelectors",
        ),
        pytest.param(
            with_spec(pod("p", "", soft(1, "node"), foo=""), affinity=node_in("foo", "")),
            [zn("node-a", foo=""), zn("node-b", foo=""), zn("node-c")],
            [],
            spread({"node-a": 2, "node-b": 1, "node-c": 1}),
            [],
            [0, 33, 100],
            id="NodeAffinityPolicy honoed with nodeAffinity",
        ),
        pytest.param(
            pod("p", "", soft(1, "node", taints_policy="Honor"), foo=""),
            [zn("node-a"), zn("node-b"), mk_node("node-c", [UNSCHED_TAINT], node="node-c")],
            [],
            spread({"node-a": 2, "node-b": 1, "node-c": 1}),
            [],
            [0, 33, 100],
            id="NodeTaintsPolicy honored",
        ),
        pytest.param(
            pod("p", "", soft(1, "node"), foo=""),
            [zn("node-a"), zn("node-b"), mk_node("node-c", [UNSCHED_TAINT], node="node-c")],
            [],
            spread({"node-a": 2, "node-b": 1, "node-c": 1}),
            [],
            [66, 100, 100],
            id="NodeTaintsPolicy ignored",
        ),
        pytest.param(
            pod(
                "p",
                "",
                soft(1, "zone", selector={}, match_label_keys=["foo"]),
                soft(1, selector={}, match_label_keys=["bar"]),
                foo="",
                bar="",
            ),
            [
                hn("node-a", zone="zone1"),
                hn("node-b", zone="zone1"),
                hn("node-c", zone="zone2"),
                hn("node-d", zone="zone2"),
            ],
            [],
            [
                p_on("p-a1", "node-a", foo=""),
                p_on("p-b1", "node-b", foo="", bar=""),
                p_on("p-y1", "node-c", foo=""),
                p_on("p-y2", "node-c", bar=""),
            ],
            [],
            [60, 20, 60, 100],
            id="matchLabelKeys ANDed with LabelSelector when LabelSelector is empty",
        ),
        pytest.param(
            pod(
                "p",
                "",
                soft(1, "zone"),
                soft(1, selector=BAR, match_label_keys=["baz"]),
                foo="",
                bar="",
                baz="",
            ),
            [
                hn("node-a", zone="zone1"),
                hn("node-b", zone="zone1"),
                hn("node-c", zone="zone2"),
                hn("node-d", zone="zone2"),
            ],
            [],
            [
                p_on("p-a1", "node-a", foo=""),
                p_on("p-b1", "node-b", foo="", bar="", baz=""),
                p_on("p-c1", "node-c", foo=""),
                p_on("p-c2", "node-c", bar=""),
                p_on("p-d3", "node-c", bar="", baz=""),
            ],
            [],
            [60, 20, 60, 100],
            id="matchLabelKeys ANDed with LabelSelector when LabelSelector isn't empty",
        ),
    ],
)
def test_score(
    incoming: Obj,
    nodes: list[Obj],
    failed: list[Obj],
    existing: list[Obj],
    services: list[Obj],
    want: list[int],
) -> None:
    infos = snapshot(nodes + failed, existing)
    pl = plugin(infos, {"defaultingType": "System"}, {"services": services})
    state = CycleState()
    candidates = [infos[n["metadata"]["name"]] for n in nodes]
    assert pl.pre_score(state, incoming, candidates).code == SUCCESS
    scores = {info.name: pl.score(state, incoming, info) for info in candidates}
    pl.normalize(state, incoming, scores)
    assert list(scores.values()) == want


def test_pre_score_state_weights_and_counts() -> None:
    """TestPreScoreStateEmptyNodes' zone/hostname case: hostname's weight counts the candidate
    nodes, zone's the candidate zones; counts cover every node that counts."""
    nodes = [
        hn("node-a", zone="zone1"),
        hn("node-b", zone="zone1"),
        hn("node-x", zone="zone2"),
        hn("node-y", zone="zone3"),
    ]
    infos = snapshot(nodes, spread({"node-a": 1, "node-y": 2}))
    pl = plugin(infos)
    state = CycleState()
    incoming = pod("p", "", soft(1, "zone"), soft(1), foo="")
    candidates = [infos["node-a"], infos["node-x"]]
    assert pl.pre_score(state, incoming, candidates).code == SUCCESS
    s = state["PreScorePodTopologySpread"]
    assert s.tp_value_to_pod_counts == [{"zone1": 1, "zone2": 0}, {}]
    assert s.topology_normalizing_weight == [topology_normalizing_weight(2), topology_normalizing_weight(2)]


def test_pre_score_skips_without_soft_constraints_or_nodes() -> None:
    infos = snapshot(HOSTS4, [])
    hard_only = pod("p", "", tsc(1, HOST), foo="")
    assert plugin(infos).pre_score(CycleState(), hard_only, list(infos.values())).code == SKIP
    assert plugin({}).pre_score(CycleState(), pod("p", "", soft(1), foo=""), []).code == SKIP
    # system defaults but nothing selects the pod: no selector, nothing to spread
    assert plugin(infos, {}).pre_score(CycleState(), pod("p", foo=""), list(infos.values())).code == SKIP


def test_list_defaulting_requires_every_topology_key() -> None:
    """With `List` defaults the nodes lacking a key are ignored (score 0); with the system
    defaults they still spread by hostname: raw 2*log(4)+2 = 5 against 0+2 = 2, normalised
    100*(5+2-5)/5 = 40 and 100."""
    defaults = [
        tsc(3, HOST, "ScheduleAnyway", NULL),
        tsc(5, "topology.kubernetes.io/zone", "ScheduleAnyway", NULL),
    ]
    infos = snapshot(HOSTS4[:2], spread({"node-a": 2}))
    objs = {"services": [service({"foo": ""})]}
    for args, want in (({"defaultingType": "List", "defaultConstraints": defaults}, [0, 0]), ({}, [40, 100])):
        pl = plugin(infos, args, objs)
        state = CycleState()
        assert pl.pre_score(state, pod("p", foo=""), list(infos.values())).code == SUCCESS
        scores = {name: pl.score(state, pod("p", foo=""), info) for name, info in infos.items()}
        pl.normalize(state, pod("p", foo=""), scores)
        assert list(scores.values()) == want


def test_default_selector_from_the_owning_replicaset_and_services() -> None:
    rs = {
        "metadata": {"name": "web-1", "namespace": "default"},
        "spec": {"selector": {"matchLabels": {"app": "web", "pod-template-hash": "1"}}},
    }
    owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1", "controller": True}
    infos = snapshot(HOSTS4[:2], [])
    pl = plugin(
        infos, {}, {"replicasets": [rs], "services": [service({"app": "web"}), service({"app": "db"}, "db")]}
    )
    constraints = pl._constraints(
        pod("p", owner=owner, app="web", **{"pod-template-hash": "1"}), "ScheduleAnyway"
    )
    assert [(c.topology_key, c.max_skew) for c in constraints] == [
        (HOST, 3),
        ("topology.kubernetes.io/zone", 5),
    ]
    sel = constraints[0].selector
    assert sel.matches({"app": "web", "pod-template-hash": "1"})
    assert not sel.matches({"app": "web", "pod-template-hash": "2"})  # the ReplicaSet's own selector
    # an owner the scheduler does not know (a Job) adds nothing: only the Service's selector
    job = {"apiVersion": "batch/v1", "kind": "Job", "name": "j", "controller": True}
    (c, _) = pl._constraints(pod("p", owner=job, app="web"), "ScheduleAnyway")
    assert c.selector.matches({"app": "web"})


# -- a Deployment spread over three zones ---------------------------------------------

ZONE = "topology.kubernetes.io/zone"


def zoned_deployment(replicas: int) -> Obj:
    labels = {"app": "web"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "topologySpreadConstraints": [
                        {
                            "maxSkew": 1,
                            "topologyKey": ZONE,
                            "whenUnsatisfiable": "DoNotSchedule",
                            "labelSelector": {"matchLabels": labels},
                        }
                    ],
                    "containers": [
                        {"name": "nginx", "image": "nginx:1.27", "resources": {"requests": {"cpu": "100m"}}}
                    ],
                },
            },
        },
    }


def per_zone(c: Cluster) -> dict[str, int]:
    zones = {n["metadata"]["name"]: n["metadata"]["labels"].get(ZONE) for n in c.list("nodes", None)}
    counts: dict[str, int] = {}
    for p in c.list("pods", "default", selector="app=web"):
        if p["spec"].get("nodeName"):
            zone = zones[p["spec"]["nodeName"]]
            counts[zone] = counts.get(zone, 0) + 1
    return counts


def test_a_deployment_spreads_over_three_zones_and_the_replica_that_would_skew_them_waits() -> None:
    c = Cluster.from_scenario("default", seed=7)
    for worker, zone in (("worker-1", "zone-a"), ("worker-2", "zone-b"), ("worker-3", "zone-c")):
        node = c.get("node", worker, None)
        node["metadata"]["labels"][ZONE] = zone
        c.update(node)
    c.apply(zoned_deployment(6))
    c.advance(20)
    assert per_zone(c) == {"zone-a": 2, "zone-b": 2, "zone-c": 2}

    # zone-c takes no more pods; two more replicas still keep the skew at 1 (3/3/2), a third
    # would make it 2 wherever it went.
    node = c.get("node", "worker-3", None)
    node["spec"]["unschedulable"] = True
    c.update(node)
    c.scale("deployment", "web", 9)
    c.advance(20)
    assert per_zone(c) == {"zone-a": 3, "zone-b": 3, "zone-c": 2}
    (pending,) = [p for p in c.list("pods", "default", selector="app=web") if not p["spec"].get("nodeName")]
    message = (
        "0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "1 node(s) were unschedulable, 2 node(s) didn't match pod topology spread constraints. "
        "preemption: 0/4 nodes are available: 2 No preemption victims found for incoming pod, "
        "2 Preemption is not helpful for scheduling.."
    )
    events = [e for e in c.events() if e["reason"] == "FailedScheduling"]
    assert {e["involvedObject"]["name"] for e in events} == {pending["metadata"]["name"]}
    assert {e["message"] for e in events} == {message}
    (cond,) = [x for x in pending["status"]["conditions"] if x["type"] == "PodScheduled"]
    assert (cond["status"], cond["reason"], cond["message"]) == ("False", "Unschedulable", message)
    diagnosis = c.scheduling_diagnosis(pending["metadata"]["name"], "default")
    assert {n: s.plugin for n, s in diagnosis.node_status.items()} == {
        "control-plane": "TaintToleration",
        "worker-1": "PodTopologySpread",
        "worker-2": "PodTopologySpread",
        "worker-3": "NodeUnschedulable",
    }

    # uncordoned, zone-c is the one place the skew allows
    node = c.get("node", "worker-3", None)
    node["spec"]["unschedulable"] = False
    c.update(node)
    c.advance(20)
    assert per_zone(c) == {"zone-a": 3, "zone-b": 3, "zone-c": 3}


# -- API validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("constraints", "causes"),
    [
        ([tsc(1, ZONE)], []),
        (
            [{"maxSkew": 0, "topologyKey": "", "whenUnsatisfiable": "Sometimes"}],
            [
                "spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero",
                "spec.topologySpreadConstraints[0].topologyKey: Required value: can not be empty",
                'spec.topologySpreadConstraints[0].whenUnsatisfiable: Unsupported value: "Sometimes": '
                'supported values: "DoNotSchedule", "ScheduleAnyway"',
            ],
        ),
        (
            [tsc(1, ZONE), tsc(2, ZONE)],
            [
                "spec.topologySpreadConstraints[0].{topologyKey, whenUnsatisfiable}: "
                'Duplicate value: "{topology.kubernetes.io/zone, DoNotSchedule}"'
            ],
        ),
        (
            [tsc(1, ZONE, "ScheduleAnyway", min_domains=0)],
            [
                "spec.topologySpreadConstraints[0].minDomains: Invalid value: 0: must be greater than zero",
                "spec.topologySpreadConstraints[0].minDomains: Invalid value: 0: can only use minDomains if "
                "whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway",
            ],
        ),
        (
            [tsc(1, ZONE, affinity_policy="Always")],
            [
                'spec.topologySpreadConstraints[0].nodeAffinityPolicy: Unsupported value: "Always": '
                'supported values: "Honor", "Ignore"'
            ],
        ),
        (
            [tsc(1, ZONE, selector=NULL, match_label_keys=["app"]), tsc(1, HOST, match_label_keys=["foo"])],
            [
                "spec.topologySpreadConstraints[0].matchLabelKeys: Forbidden: must not be specified when "
                "labelSelector is not set",
                'spec.topologySpreadConstraints[1].matchLabelKeys[0]: Invalid value: "foo": exists in both '
                "matchLabelKeys and labelSelector",
            ],
        ),
    ],
)
def test_the_api_server_validates_spread_constraints(constraints: list[Obj], causes: list[str]) -> None:
    got = topology_spread_causes(constraints, "spec.topologySpreadConstraints")
    assert [f"{path}: {msg}" for path, msg in got] == causes


def test_the_ha_scenario_spreads_over_its_three_zones() -> None:
    """The `ha` scenario puts one control-plane node and one worker in each of three zones."""
    c = Cluster.from_scenario("ha", seed=7)
    c.apply(zoned_deployment(3))
    c.advance(20)
    assert per_zone(c) == {"zone-a": 1, "zone-b": 1, "zone-c": 1}
    assert sorted(p["spec"]["nodeName"] for p in c.list("pods", "default", selector="app=web")) == [
        "worker-1",
        "worker-2",
        "worker-3",
    ]


# -- PreFilterExtensions (TestPreFilterStateAddPod, TestPreFilterStateRemovePod) ----------


@pytest.mark.parametrize(
    ("existing", "change", "node_name", "delta", "want_counts", "want_paths"),
    [
        pytest.param(
            [],
            p_on("p-a1", "node-a", foo=""),
            "node-a",
            1,
            {"node-a": 1, "node-b": 0},
            [("node-b", 0), ("node-a", 1)],
            id="node a and b both impact current min match",
        ),
        pytest.param(
            [p_on("p-b1", "node-b", foo="")],
            p_on("p-a1", "node-a", foo=""),
            "node-a",
            1,
            {"node-a": 1, "node-b": 1},
            [("node-a", 1), ("node-b", 1)],
            id="only node a impacts current min match",
        ),
        pytest.param(
            [p_on("p-b1", "node-b", foo="")],
            p_on("p-a1", "node-a", ns="ns1", foo=""),
            "node-a",
            1,
            {"node-a": 0, "node-b": 1},
            [("node-a", 0), ("node-b", 1)],
            id="add a pod in a different namespace doesn't change topologyKeyToMinPodsMap",
        ),
        pytest.param(
            [p_on("p-a1", "node-a", foo=""), p_on("p-b1", "node-b", foo="")],
            p_on("p-a1", "node-a", foo=""),
            "node-a",
            -1,
            {"node-a": 0, "node-b": 1},
            [("node-a", 0), ("node-b", 1)],
            id="remove a pod: its node becomes the critical path",
        ),
    ],
)
def test_pre_filter_extensions(
    existing: list[Obj],
    change: Obj,
    node_name: str,
    delta: int,
    want_counts: dict[str, int],
    want_paths: list[tuple[str, int]],
) -> None:
    infos = snapshot([zn("node-a", "zone1"), zn("node-b", "zone1")], existing)
    pl = plugin(infos)
    incoming = pod("p", "", tsc(1, "node"), foo="")
    state = CycleState()
    assert pl.pre_filter(state, incoming, list(infos.values())).code == SUCCESS
    before = state["PreFilterPodTopologySpread"].tp_value_to_match_num[0].copy()
    clone = state.clone()
    extension = pl.add_pod if delta > 0 else pl.remove_pod
    assert extension(clone, incoming, "k", change, infos[node_name]).ok
    s = clone["PreFilterPodTopologySpread"]
    assert s.tp_value_to_match_num[0] == want_counts
    assert s.critical_paths[0].paths == want_paths
    assert state["PreFilterPodTopologySpread"].tp_value_to_match_num[0] == before  # the clone alone


# -- QueueingHints --------------------------------------------------------------------------


def assigned(name: str, ns: str = "default", **labels: str) -> Obj:
    return p_on(name, "node-a", ns=ns, **labels)


WAITING = pod("p", "", tsc(1, "zone"), tsc(1, "node", selector=BAR, taints_policy="Honor"), foo="")


@pytest.mark.parametrize(
    ("old", "new", "want"),
    [
        (None, assigned("a", foo=""), "Queue"),  # a matching pod added
        (None, assigned("a", baz=""), "QueueSkip"),  # matches no selector
        (None, assigned("a", ns="other", foo=""), "QueueSkip"),  # another namespace
        (None, pod("u", foo=""), "QueueSkip"),  # not assigned
        (assigned("a", bar=""), None, "Queue"),  # a matching pod deleted
        (assigned("a", foo=""), assigned("a", foo="", baz=""), "QueueSkip"),  # verdicts unchanged
        (assigned("a", foo=""), assigned("a", baz=""), "Queue"),  # stops matching foo
        (assigned("a", foo=""), assigned("a", foo=""), "QueueSkip"),  # labels unchanged
        (
            WAITING,
            with_spec(
                pod("p", "", *WAITING["spec"]["topologySpreadConstraints"], foo=""),
                tolerations=[{"operator": "Exists"}],
            ),
            "Queue",
        ),
    ],
)
def test_queueing_hint_for_pod_changes(old: Obj | None, new: Obj | None, want: str) -> None:
    assert plugin({}).is_schedulable_after_pod_change(WAITING, old, new) == want


@pytest.mark.parametrize(
    ("old", "new", "want"),
    [
        (None, zn("n", "zone1"), "Queue"),  # added with both keys
        (None, zn("n"), "QueueSkip"),  # no zone: cannot host the pod
        (zn("n", "zone1"), None, "Queue"),
        (zn("n"), zn("n", "zone1"), "Queue"),  # gains the missing key
        (zn("n", "zone1"), zn("n", "zone2"), "Queue"),  # moves to another zone
        (zn("n", "zone1"), zn("n", "zone1", disk="ssd"), "QueueSkip"),  # an unrelated label
        (zn("n", "zone1"), mk_node("n", [UNSCHED_TAINT], zone="zone1", node="n"), "Queue"),  # taints
    ],
)
def test_queueing_hint_for_node_changes(old: Obj | None, new: Obj | None, want: str) -> None:
    assert plugin({}).is_schedulable_after_node_change(WAITING, old, new) == want


# -- PodTopologySpreadArgs ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (
            {"defaultingType": "Sometimes"},
            'defaultingType: Unsupported value: "Sometimes": supported values: "System", "List"',
        ),
        (
            {"defaultConstraints": [tsc(1, ZONE, "ScheduleAnyway", NULL)]},
            'defaultingType: Invalid value: "System": when .defaultConstraints are not empty',
        ),
        (
            {
                "defaultingType": "List",
                "defaultConstraints": [
                    {"maxSkew": 0, "topologyKey": "a b", "whenUnsatisfiable": ""},
                    tsc(1, ZONE, "ScheduleAnyway"),
                    tsc(2, ZONE, "ScheduleAnyway", NULL),
                ],
            },
            "[defaultConstraints[0].maxSkew: Invalid value: 0: not in valid range (0, inf), "
            'defaultConstraints[0].topologyKey: Invalid value: "a b": name part must consist of alphanumeric '
            "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
            "'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
            "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'), "
            "defaultConstraints[0].whenUnsatisfiable: Required value: can not be empty, "
            "defaultConstraints[1].labelSelector: Forbidden: constraint must not define a selector, as they "
            "deduced for each pod, "
            'defaultConstraints[2]: Duplicate value: "{topology.kubernetes.io/zone, ScheduleAnyway}"]',
        ),
    ],
)  # fmt: skip
def test_bad_args_stop_the_plugin_from_being_built(args: Obj, error: str) -> None:
    with pytest.raises(ValueError) as info:
        PodTopologySpread(args, None)
    assert str(info.value) == error


def test_list_defaulting_spreads_by_the_configured_constraints() -> None:
    """A profile with `defaultingType: List` and one hard zone constraint: a Deployment without
    constraints of its own is kept within skew 1 over the zones, its ReplicaSet's selector
    deduced; a bare pod nothing selects is not constrained."""
    c = Cluster.from_scenario("ha", seed=7)
    c.configure_scheduler(
        "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n"
        "profiles:\n- schedulerName: default-scheduler\n  pluginConfig:\n  - name: PodTopologySpread\n"
        "    args:\n      defaultingType: List\n      defaultConstraints:\n      - maxSkew: 1\n"
        f"        topologyKey: {ZONE}\n        whenUnsatisfiable: DoNotSchedule\n"
    )
    c.advance(10)
    deployment = zoned_deployment(4)
    del deployment["spec"]["template"]["spec"]["topologySpreadConstraints"]
    c.apply(deployment)
    c.apply({"apiVersion": "v1", "kind": "Pod", **pod("bare", foo="")})
    c.advance(20)
    assert sorted(per_zone(c).values()) == [1, 1, 2]
    (replica, *_) = c.list("pods", "default", selector="app=web")
    filtered = c.scheduling_diagnosis(replica["metadata"]["name"], "default")
    assert "PodTopologySpread" not in filtered.skipped_filter_plugins
    assert "PodTopologySpread" not in filtered.plugin_scores  # no soft defaults in this list
    bare = c.scheduling_diagnosis("bare", "default")
    assert "PodTopologySpread" in bare.skipped_filter_plugins
