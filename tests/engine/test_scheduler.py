"""The scheduler: filters by requests and taints, LeastAllocated/Balanced scores, Kubernetes' words."""

import pytest

from clusterlab.engine.audit import User
from clusterlab.engine.printers import pod_status
from clusterlab.engine.scheduler.framework import NodeInfo
from clusterlab.engine.scheduler.plugins.balanced_allocation import NodeResourcesBalancedAllocation
from clusterlab.engine.scheduler.plugins.node_resources_fit import NodeResourcesFit
from clusterlab.engine.scheduler.plugins.taint_toleration import TaintToleration
from clusterlab.engine.scheduler.selection import num_feasible_nodes_to_find

from .conftest import events_for, pods_of, web

ADMIN = User("kubernetes-admin", "kubectl")


def _node(name="n", cpu="2", memory="4Gi", taints=None, unschedulable=False):
    return {
        "metadata": {"name": name},
        "spec": {"taints": taints or [], "unschedulable": unschedulable},
        "status": {"allocatable": {"cpu": cpu, "memory": memory, "pods": "110"}},
    }


def _pod(cpu=None, memory=None, tolerations=None):
    req = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
    return {
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {
            "containers": [{"name": "c", "resources": {"requests": req} if req else {}}],
            "tolerations": tolerations or [],
        },
    }


@pytest.mark.parametrize(
    ("pod_cpu", "used_cpu", "fits", "reasons"),
    [("500m", "1500m", True, []), ("600m", "1500m", False, ["Insufficient cpu"]), (None, "2", True, [])],
)
def test_node_resources_fit_filter_uses_requests(pod_cpu, used_cpu, fits, reasons):
    plugin, state = NodeResourcesFit(), {}
    info = NodeInfo(_node())
    info.add_pod("default/x", _pod(cpu=used_cpu))
    pod = _pod(cpu=pod_cpu)
    plugin.pre_filter(state, pod, [info])
    st = plugin.filter(state, pod, info)
    assert st.ok == fits and st.reasons == reasons


def test_least_allocated_and_balanced_scores():
    fit, bal, state = NodeResourcesFit(), NodeResourcesBalancedAllocation(), {}
    empty = NodeInfo(_node("empty"))
    busy = NodeInfo(_node("busy"))
    busy.add_pod("default/x", _pod(cpu="1", memory="512Mi"))
    pod = _pod(cpu="500m", memory="1Gi")
    fit.pre_filter(state, pod, [empty, busy])
    bal.pre_score(state, pod, [empty, busy])
    # LeastAllocated: cpu (2000-500)*100/2000=75, memory (4Gi-1Gi)*100/4Gi=75 → 75
    assert fit.score(state, pod, empty) == 75
    # busy: cpu (2000-1500)*100/2000=25, memory (4Gi-1.5Gi)*100/4Gi=62 → (25+62)//2 = 43
    assert fit.score(state, pod, busy) == 43
    # Balanced: empty 0.25 vs 0.25 → 100; busy 0.75 vs 0.375 → (1 - 0.1875)*100 = 81
    assert bal.score(state, pod, empty) == 100
    assert bal.score(state, pod, busy) == 81


def test_taint_toleration_filter_and_prefer_no_schedule_score():
    plugin = TaintToleration()
    cp = NodeInfo(_node(taints=[{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]))
    st = plugin.filter({}, _pod(), cp)
    assert st.code == "UnschedulableAndUnresolvable"
    assert st.reasons == ["node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"]
    tolerant = _pod(
        tolerations=[
            {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}
        ]
    )
    assert plugin.filter({}, tolerant, cp).ok
    soft = NodeInfo(_node("soft", taints=[{"key": "a", "value": "b", "effect": "PreferNoSchedule"}]))
    clean = NodeInfo(_node("clean"))
    scores = {"soft": plugin.score({}, _pod(), soft), "clean": plugin.score({}, _pod(), clean)}
    plugin.normalize({}, _pod(), scores)
    assert scores == {"soft": 0, "clean": 100}


@pytest.mark.parametrize(
    ("nodes", "expected"),
    [(50, 50), (100, 100), (200, 100), (500, 230), (1000, 420), (5000, 500), (6000, 300)],
)
def test_num_feasible_nodes_to_find(nodes, expected):
    assert num_feasible_nodes_to_find(nodes) == expected


def test_pods_spread_by_least_allocated_and_never_land_on_the_control_plane(cluster):
    cluster.apply(web(replicas=6))
    cluster.advance(1)
    per_node: dict[str, int] = {}
    for p in pods_of(cluster):
        per_node[p["spec"]["nodeName"]] = per_node.get(p["spec"]["nodeName"], 0) + 1
    assert per_node == {"worker-1": 2, "worker-2": 2, "worker-3": 2}


def test_failed_scheduling_is_worded_as_kube_scheduler_words_it(cluster):
    # 8 x 250m fit per 2-CPU worker, 7 beside the 100m of metrics-server (worker-1) or of a
    # CoreDNS replica (worker-2, worker-3): 21 fit
    cluster.apply(web(replicas=22))
    cluster.advance(30)
    pending = [p for p in pods_of(cluster) if not p["spec"].get("nodeName")]
    assert len(pending) == 1
    expected = (
        "0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"
        ", 3 Insufficient cpu. preemption: 0/4 nodes are available: 1 Preemption is not helpful for "
        "scheduling, 3 No preemption victims found for incoming pod.."
    )
    name = pending[0]["metadata"]["name"]
    failed = [e for e in events_for(cluster, name) if e["reason"] == "FailedScheduling"]
    assert [(e["type"], e["message"], e["source"]["component"]) for e in failed] == [
        ("Warning", expected, "default-scheduler")
    ]
    cond = next(c for c in pending[0]["status"]["conditions"] if c["type"] == "PodScheduled")
    assert (cond["status"], cond["reason"], cond["message"]) == ("False", "Unschedulable", expected)
    assert pod_status(pending[0]) == "Pending"
    diagnosis = cluster.scheduling_diagnosis(name)
    assert diagnosis.node_status["control-plane"].plugin == "TaintToleration"
    assert {n: diagnosis.node_status[n].reasons for n in ("worker-1", "worker-2", "worker-3")} == {
        n: ["Insufficient cpu"] for n in ("worker-1", "worker-2", "worker-3")
    }


def test_pending_pod_is_scheduled_when_room_appears(cluster):
    cluster.apply(web(replicas=22))
    cluster.advance(30)
    (pending,) = [p for p in pods_of(cluster) if not p["spec"].get("nodeName")]
    cluster.add_node("worker-4")
    cluster.advance(2)
    placed = cluster.get("pod", pending["metadata"]["name"])
    assert placed["spec"]["nodeName"] == "worker-4"


def test_cordoned_node_is_unschedulable(cluster):
    for n in ("worker-1", "worker-2", "worker-3"):
        node = cluster.get("node", n, None)
        node["spec"]["unschedulable"] = True
        cluster.update(node)
    cluster.apply(web(replicas=1))
    cluster.advance(5)
    (pod,) = pods_of(cluster)
    msg = next(
        e["message"]
        for e in events_for(cluster, pod["metadata"]["name"])
        if e["reason"] == "FailedScheduling"
    )
    # NodeUnschedulable runs before TaintToleration, so the cordon (not the taint the node
    # controller adds for it) is the reason given.
    assert msg == (
        "0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"
        ", 3 node(s) were unschedulable. preemption: 0/4 nodes are available: 4 Preemption is not helpful "
        "for scheduling.."
    )
    taints = cluster.get("node", "worker-1", None)["spec"]["taints"]
    assert {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"} in taints


def test_scheduler_records_scores_per_plugin(cluster):
    cluster.apply(web(replicas=1))
    cluster.advance(1)
    (pod,) = pods_of(cluster)
    d = cluster.scheduling_diagnosis(pod["metadata"]["name"])
    assert d.selected == pod["spec"]["nodeName"]
    assert sorted(d.feasible) == ["worker-1", "worker-2", "worker-3"]
    row = d.scores[d.selected]
    assert set(row.weighted) == {
        "TaintToleration",
        "NodeAffinity",
        "NodeResourcesFit",
        "NodeResourcesBalancedAllocation",
        "ImageLocality",
        "PodTopologySpread",  # the system default constraints: a ReplicaSet selects the pod
    }
    assert row.weighted["TaintToleration"] == 3 * row.normalized["TaintToleration"] == 300
    assert row.weighted["NodeAffinity"] == 0  # no preferred terms: every node scores 0
    assert row.total == sum(row.weighted.values())
