""" "Why is my pod Pending?": the decision table and the paragraph for real attempts on the
virtual clock (a pod blocked by CPU and the control-plane taint, a winner against its runner-up,
cordoned nodes), hand-made Diagnoses for the rarer shapes, and pending pods grouped by reason."""

from __future__ import annotations

from typing import Any

from clusterlab.engine import Cluster
from clusterlab.engine.scheduler.decision_table import (
    NO_RECORD,
    NOT_CACHED,
    NOT_EVALUATED,
    NOT_EVALUATED_NOMINATED,
    NOT_RUN,
    NOT_SCORED_NOMINATED,
    NOT_SCORED_ONE,
    PASSED,
    SKIPPED,
    Cell,
    DecisionTable,
    NodeRow,
    decision_table,
)
from clusterlab.engine.scheduler.explain import cpu_words, explain, memory_words
from clusterlab.engine.scheduler.framework import Diagnosis, PluginScores, Status
from clusterlab.engine.scheduler.pending import (
    GATED_MESSAGE,
    NO_SCHEDULER,
    QUEUED,
    QUEUED_MESSAGE,
    SCHEDULING_GATED,
    UNSCHEDULABLE,
    pending_by_reason,
    pending_reason,
)

from .conftest import web

CP_TAINT = "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"
IMAGE = "registry.example/explain:1"  # on no node: ImageLocality scores 0 everywhere


def pod(name: str, cpu: str, node: str | None = None, image: str = IMAGE, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "containers": [
            {"name": "c", "image": image, "resources": {"requests": {"cpu": cpu, "memory": "128Mi"}}}
        ],
        **spec,
    }
    if node:
        body["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": body}


def node_names(c: Cluster) -> list[str]:
    return [n["metadata"]["name"] for n in c.list("nodes")]


def cells(table: DecisionTable, row: NodeRow) -> dict[str, Cell]:
    return dict(zip(table.filter_plugins, row.filters, strict=True))


def assert_rejected_by(table: DecisionTable, row: NodeRow, plugin: str, reason: str) -> None:
    """The plugin's cell says why; every filter before it passed (or had nothing to check),
    and none after it ran."""
    at = table.filter_plugins.index(plugin)
    assert row.filters[at] == Cell(reason, "fail")
    assert {c.text for c in row.filters[:at]} <= {PASSED, SKIPPED}
    assert all(c == Cell(NOT_RUN, "not-run") for c in row.filters[at + 1 :])


def test_a_pod_blocked_by_cpu_and_the_control_plane_taint() -> None:
    c = Cluster.from_scenario("default", seed=7)
    c.advance(5)
    c.apply(web(replicas=1, cpu="3", name="hog"))
    c.advance(0.5)  # the first attempt only (retries follow the backoff)
    (hog,) = c.list("pods", "default", selector="app=hog")
    d = c.scheduling_diagnosis(hog["metadata"]["name"])
    assert d is not None and d.selected is None
    table = decision_table(d, node_names(c))

    assert table.time == 5.0  # the ReplicaSet's pod is tried the instant it is created
    assert [(r.node, r.verdict, r.total) for r in table.rows] == [
        ("control-plane", "filtered out", None),
        ("worker-1", "filtered out", None),
        ("worker-2", "filtered out", None),
        ("worker-3", "filtered out", None),
    ]
    cp, *workers = table.rows
    assert_rejected_by(table, cp, "TaintToleration", CP_TAINT)
    for row in workers:
        assert_rejected_by(table, row, "NodeResourcesFit", "Insufficient cpu")
        row_cells = cells(table, row)
        for plugin in ("NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity"):
            assert row_cells[plugin] == Cell(PASSED, "pass")
    assert not table.scored and table.score_columns == [] and all(r.scores == [] for r in table.rows)
    assert table.fit_error == (
        f"0/4 nodes are available: 1 {CP_TAINT}, 3 Insufficient cpu. preemption: 0/4 nodes are available: "
        "1 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod.."
    )
    assert table.post_filter_msg == (
        "preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, 3 No "
        "preemption victims found for incoming pod."
    )
    assert explain(d) == (
        "The scheduler looked at 4 nodes. 1 (control-plane) was ruled out by TaintToleration because "
        "it has the taint node-role.kubernetes.io/control-plane:NoSchedule that this pod does not "
        "tolerate; 3 (worker-1, worker-2, worker-3) were ruled out by NodeResourcesFit because the "
        "pod requests 3 CPU and none of them has more than 1.9 CPU unrequested. Preemption could not "
        "help: on 1 node evicting pods would not remove what ruled it out, and on 3 there are no "
        "lower-priority pods to evict. It waits until a taint is removed, or a node is added, or a "
        "pod is deleted."
    )


def test_a_scheduled_pod_its_winner_against_the_runner_up() -> None:
    c = Cluster.from_scenario("default", seed=7)
    c.advance(5)
    c.apply(pod("busy-1", "1", "worker-1", "busybox:1.36"), namespace="default")
    c.apply(pod("busy-2", "500m", "worker-2", "busybox:1.36"), namespace="default")
    c.advance(5)
    c.apply(pod("solo", "250m"), namespace="default")
    c.advance(1)
    d = c.scheduling_diagnosis("solo")
    assert d is not None and d.selected == "worker-3" and d.time == 10.0
    table = decision_table(d, node_names(c))
    assert table.scored
    by_node = {r.node: r for r in table.rows}
    assert [(r.node, r.verdict, r.chosen, r.total) for r in table.rows] == [
        ("control-plane", "filtered out", False, None),
        ("worker-1", "feasible", False, 427),
        ("worker-2", "feasible", False, 451),
        ("worker-3", "chosen", True, 471),
    ]
    columns = [col.plugin for col in table.score_columns]
    score = {node: dict(zip(columns, by_node[node].scores, strict=True)) for node in ("worker-2", "worker-3")}
    # LeastAllocated counts a pod without requests at the scheduler's non-zero defaults (100m,
    # 200Mi). worker-3 also holds a CoreDNS pod (100m, 70Mi), local-path-provisioner and its
    # kube-proxy pod (neither requests anything): cpu (2000-100-100-100-250)/2000 → 72, memory
    # (4096-70-200-200-128)/4096 Mi → 85, mean 78; worker-2 also holds busy-2 (500m, 128Mi),
    # metrics-server (100m, 200Mi) and its kube-proxy pod: 950m → 52 and 656Mi → 83, mean 67.
    assert score["worker-3"]["NodeResourcesFit"] == Cell("78 → 78 × 1 = 78", "score")
    assert score["worker-2"]["NodeResourcesFit"] == Cell("67 → 67 × 1 = 67", "score")
    # BalancedAllocation counts only what pods request (kube-proxy's pods add nothing): on
    # worker-3 1 - |350/2000 - 198/4096| / 2 → 93; worker-2: 850m, 456Mi → 84.
    assert score["worker-3"]["NodeResourcesBalancedAllocation"] == Cell("93 → 93 × 1 = 93", "score")
    assert score["worker-2"]["NodeResourcesBalancedAllocation"] == Cell("84 → 84 × 1 = 84", "score")
    # No PreferNoSchedule taints anywhere: reversed normalisation gives every node 100, × 3.
    assert score["worker-2"]["TaintToleration"] == Cell("0 → 100 × 3 = 300", "score")
    assert next(col for col in table.score_columns if col.plugin == "TaintToleration").weight == 3
    # A bare pod has no topology spread to keep: PreScore says Skip.
    assert score["worker-3"]["PodTopologySpread"] == Cell(SKIPPED, "skipped")
    assert by_node["control-plane"].scores == []
    assert explain(d) == (
        "The scheduler looked at 4 nodes. 1 (control-plane) was ruled out by TaintToleration because "
        "it has the taint node-role.kubernetes.io/control-plane:NoSchedule that this pod does not "
        "tolerate. 3 nodes passed the filters. worker-3 won with a total of 471 against 451 for "
        "worker-2, the runner-up: NodeResourcesFit gave it 11 more (78 against 67) and "
        "NodeResourcesBalancedAllocation gave it 9 more (93 against 84)."
    )


def test_cordoned_nodes_and_what_the_pod_waits_for() -> None:
    c = Cluster.from_scenario("default", seed=7)
    c.advance(5)
    for name in ("worker-1", "worker-2", "worker-3"):
        node = c.get("nodes", name, None)
        node["spec"]["unschedulable"] = True
        c.update(node)
    c.advance(1)
    c.apply(pod("stuck", "100m"), namespace="default")
    c.advance(0.5)
    d = c.scheduling_diagnosis("stuck")
    assert d is not None and d.selected is None and d.time == 6.0
    table = decision_table(d, node_names(c))
    for row in table.rows[1:]:
        assert row.filters[0] == Cell("node(s) were unschedulable", "fail")  # NodeUnschedulable runs first
        assert_rejected_by(table, row, "NodeUnschedulable", "node(s) were unschedulable")
    assert_rejected_by(table, table.rows[0], "TaintToleration", CP_TAINT)
    assert explain(d) == (
        "The scheduler looked at 4 nodes. 3 (worker-1, worker-2, worker-3) were ruled out by "
        "NodeUnschedulable because they are cordoned (spec.unschedulable, as kubectl cordon sets it) and the "
        "pod does not tolerate node.kubernetes.io/unschedulable:NoSchedule; 1 (control-plane) was ruled out "
        "by TaintToleration because it has the taint node-role.kubernetes.io/control-plane:NoSchedule that "
        "this pod does not tolerate. Preemption could not help: evicting pods does not remove what ruled the "
        "nodes out (a taint, a cordon, a label). It waits until a node is uncordoned, or a node is added, or "
        "a taint is removed."
    )


# -- hand-made Diagnoses: the shapes a small lab rarely shows --------------------------------

FILTERS = ["NodeUnschedulable", "TaintToleration", "NodeResourcesFit"]


def diagnosis(**fields: Any) -> Diagnosis:
    d = Diagnosis(pod="default/p", time=42.0, num_all_nodes=fields.pop("num_all_nodes", 3), **fields)
    d.filter_plugins = list(FILTERS)
    d.subject = {"metadata": {"name": "p", "namespace": "default"}, "spec": {"containers": []}}
    return d


def test_nodes_the_attempt_never_looked_at() -> None:
    d = diagnosis(num_all_nodes=300, feasible=["n-001"], nodes_evaluated=1, selected="n-001")
    table = decision_table(d, ["n-001", "n-002", "n-010"])
    assert [(r.node, r.verdict, r.note) for r in table.rows] == [
        ("n-001", "chosen", NOT_SCORED_ONE),
        ("n-002", "not evaluated", NOT_EVALUATED),
        ("n-010", "not evaluated", NOT_EVALUATED),
    ]
    assert table.rows[0].filters == [Cell(PASSED, "pass")] * 3
    # a node that joined after the attempt was never in its cache
    later = decision_table(diagnosis(feasible=[], nodes_evaluated=3), ["new-node"])
    assert [(r.node, r.verdict, r.note) for r in later.rows] == [("new-node", "not evaluated", NOT_CACHED)]
    assert explain(d) == (
        "The scheduler looked at 1 of 300 nodes: it stops once it has found 1 feasible ones "
        "(numFeasibleNodesToFind). Only n-001 passed the filters, so it was chosen without scoring."
    )


def test_a_prefilter_rejection_and_a_plugin_without_a_phrase() -> None:
    st = Status(
        "UnschedulableAndUnresolvable", ["pod has unbound immediate PersistentVolumeClaims"], "VolumeBinding"
    )
    d = diagnosis(pre_filter_plugin="VolumeBinding", pre_filter_msg=st.message())
    d.node_status = {"a": st, "b": st, "c": st}
    d.post_filter_msg = "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    table = decision_table(d, ["a", "b", "c"])
    assert table.filter_plugins == ["VolumeBinding", *FILTERS]
    assert table.rows[0].verdict == "rejected by PreFilter"
    assert table.rows[0].filters == [
        Cell("pod has unbound immediate PersistentVolumeClaims", "fail"),
        *[Cell(NOT_RUN, "not-run")] * 3,
    ]
    assert explain(d) == (
        "The scheduler looked at 3 nodes. VolumeBinding rejected the pod before any node was checked "
        "(PreFilter): “pod has unbound immediate PersistentVolumeClaims”. Preemption could not help: "
        "evicting pods does not remove what ruled the nodes out (a taint, a cordon, a label). It "
        "waits until a volume or claim it can use becomes available."
    )
    other = diagnosis()
    other.node_status = {
        n: Status("Unschedulable", ["node(s) had a frobnicated widget"], "Frobnicator") for n in "ab"
    }
    other.post_filter_msg = "preemption: not eligible due to preemptionPolicy=Never."
    assert explain(other) == (
        "The scheduler looked at 3 nodes. 2 (a, b) were ruled out by Frobnicator because it said "
        "“node(s) had a frobnicated widget”. Preemption was not tried: the pod's preemptionPolicy is "
        "Never. It waits until something Frobnicator checks changes."
    )


def test_a_tie_skipped_filters_and_a_nomination() -> None:
    d = diagnosis(
        feasible=["a", "b"], nodes_evaluated=3, selected="b", skipped_filter_plugins=["TaintToleration"]
    )
    d.node_status = {"c": Status("Unschedulable", ["Insufficient memory"], "NodeResourcesFit")}
    d.score_weights = {"NodeResourcesFit": 1, "ImageLocality": 1}
    d.skipped_score_plugins = ["ImageLocality"]
    d.plugin_scores = {"NodeResourcesFit": PluginScores(1, ("a", "b"), [50, 50], [50, 50])}
    d.scored_nodes, d.total_scores = ("a", "b"), [50, 50]
    table = decision_table(d, ["a", "b", "c"])
    a, b, c = table.rows
    assert [col.plugin for col in table.score_columns] == ["NodeResourcesFit", "ImageLocality"]
    assert a.filters[1] == Cell(SKIPPED, "skipped")
    assert b.scores == [Cell("50 → 50 × 1 = 50", "score"), Cell(SKIPPED, "skipped")]
    assert (b.chosen, b.total, c.verdict, c.scores) == (True, 50, "filtered out", [])
    assert explain(d).endswith(
        "2 nodes passed the filters. a and b tied with a total of 50; the scheduler picked b at random among "
        "them."
    )
    nominated = diagnosis(nominated_node="a", post_filter_msg="")
    nominated.node_status = {
        n: Status("Unschedulable", ["Insufficient cpu"], "NodeResourcesFit") for n in "abc"
    }
    assert explain(nominated).endswith(
        "Preemption found room: lower-priority pods on a are evicted and the pod is nominated to that node "
        "(status.nominatedNodeName); the next attempt places it there once they are gone."
    )
    retried = diagnosis(feasible=["a"], nodes_evaluated=1, selected="a")
    retried.subject = {**retried.subject, "status": {"nominatedNodeName": "a"}}
    assert [r.note for r in decision_table(retried, ["a", "b"]).rows] == [
        NOT_SCORED_NOMINATED,
        NOT_EVALUATED_NOMINATED,
    ]
    assert explain(retried) == (
        "The scheduler looked at 1 of 3 nodes. An earlier preemption nominated it to a "
        "(status.nominatedNodeName); the scheduler tried that node first, it passed the filters, and it was "
        "chosen without looking further."
    )
    assert explain(diagnosis(num_all_nodes=0)) == (
        "There are no nodes, so the scheduler has nowhere to put the pod. It waits until a node is added."
    )


def test_quantities_in_plain_words() -> None:
    assert [cpu_words(m) for m in (2000, 1500, 250, 0)] == ["2 CPU", "1.5 CPU", "250m CPU", "0 CPU"]
    assert [memory_words(n) for n in (128 * 2**20, 3 * 2**30 + 2**29, 512)] == [
        "128 MiB",
        "3.5 GiB",
        "512 bytes",
    ]
    assert NO_RECORD.startswith("kube-scheduler has no record of this pod")


# -- pending pods grouped by reason ----------------------------------------------------------


def test_pending_pods_grouped_by_reason() -> None:
    c = Cluster.from_scenario("default", seed=7)
    c.advance(5)
    c.apply(web(replicas=2, cpu="3", name="hog"))
    c.apply(pod("elsewhere", "100m", schedulerName="my-scheduler"), namespace="default")
    c.apply(pod("bound", "100m", "worker-1"), namespace="default")  # bound, containers not started
    c.advance(5)
    c.apply(pod("fresh", "100m"), namespace="default")  # not tried yet: the clock has not moved
    groups = pending_by_reason(c)
    summary = [(g.reason, g.message, sorted(p["metadata"]["name"][:4] for p in g.pods)) for g in groups]
    hog_message = next(g.message for g in groups if g.reason == UNSCHEDULABLE)
    assert hog_message.startswith(f"0/4 nodes are available: 1 {CP_TAINT}, 3 Insufficient cpu.")
    assert summary == [
        # oldest first (creationTimestamp has whole seconds; then namespace and name)
        (
            NO_SCHEDULER,
            "No scheduler named my-scheduler is running: nothing will schedule the pod.",
            ["else"],
        ),
        (UNSCHEDULABLE, hog_message, ["hog-", "hog-"]),
        (QUEUED, QUEUED_MESSAGE, ["fres"]),
    ]
    assert [g.count for g in groups] == [1, 2, 1]

    c.stop_component("kube-scheduler")
    c.advance(1)
    (group,) = [g for g in pending_by_reason(c) if g.reason == NO_SCHEDULER and g.count == 3]
    assert group.message == "No kube-scheduler leads: nothing schedules the pod until one runs and leads."


def test_a_gated_pod_waits_for_its_gates() -> None:
    gated = pod("g", "100m", schedulingGates=[{"name": "example.com/quota"}])
    assert pending_reason(gated, {"default-scheduler"}, True) == (
        SCHEDULING_GATED,
        f"{GATED_MESSAGE} (example.com/quota)",
    )
