"""The board view-model: a cluster's objects as plain dicts for the lab page."""

from __future__ import annotations

from typing import Any

from clusterlab.engine import Cluster
from clusterlab.labs import board
from clusterlab.labs.samples import SAMPLE_DEPLOYMENT


def running_pod(name: str, node: str, *, cpu: str = "250m", memory: str = "128Mi") -> dict[str, Any]:
    """A pod as the API shows one that runs and is ready."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "labels": {"app": "web"}},
        "spec": {
            "nodeName": node,
            "containers": [
                {
                    "name": "nginx",
                    "image": "nginx:1.27",
                    "resources": {"requests": {"cpu": cpu, "memory": memory}},
                }
            ],
        },
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [
                {
                    "name": "nginx",
                    "ready": True,
                    "started": True,
                    "restartCount": 2,
                    "image": "nginx:1.27",
                    "imageID": "",
                    "state": {"running": {"startedAt": "2026-01-01T00:00:05Z"}},
                }
            ],
        },
    }


def worker(name: str, ready: str = "True") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
        "spec": {},
        "status": {
            "allocatable": {"cpu": "2", "memory": "4Gi", "pods": "110"},
            "capacity": {"cpu": "2", "memory": "4Gi", "pods": "110"},
            "conditions": [{"type": "Ready", "status": ready}],
        },
    }


def test_clock_text() -> None:
    assert board.clock_text(0) == "00:00:00"
    assert board.clock_text(3723.9) == "01:02:03"
    assert board.clock_text(90000) == "25:00:00"


def test_node_card_words_and_resources() -> None:
    pods = [running_pod(f"web-{i}", "worker-1") for i in range(3)]
    card = board.node_card(worker("worker-1"), pods, powered=True)
    assert card["name"] == "worker-1"
    assert card["dom_id"] == "node-worker-1"
    assert card["role"] == "worker"
    assert card["status"] == "Ready"
    assert card["condition"] == "Ready"
    assert card["cpu"] == {"requested": "750m", "allocatable": "2", "percent": 37}
    assert card["memory"] == {"requested": "384Mi", "allocatable": "4Gi", "percent": 9}
    assert [(p["name"], p["status"], p["ready"], p["restarts"]) for p in card["pods"]] == [
        ("web-0", "Running", "1/1", 2),
        ("web-1", "Running", "1/1", 2),
        ("web-2", "Running", "1/1", 2),
    ]
    assert card["status_counts"] == [("Running", 3)]


def test_node_card_with_an_unknown_ready_condition_says_notready() -> None:
    card = board.node_card(worker("worker-2", ready="Unknown"), [], powered=False)
    assert card["status"] == "NotReady"
    assert card["condition"] == "Unknown"
    assert card["powered"] is False
    assert card["tone"] == "bad"


def test_a_crowded_node_shows_a_few_chips_and_counts() -> None:
    pods = [running_pod(f"web-{i:03d}", "worker-1", cpu="1m", memory="1Mi") for i in range(60)]
    card = board.node_card(worker("worker-1"), pods, powered=True)
    assert len(card["pods"]) == board.POD_CHIPS_PER_NODE
    assert card["more_pods"] == 60 - board.POD_CHIPS_PER_NODE
    assert card["pod_count"] == 60
    assert card["status_counts"] == [("Running", 60)]


def test_scheduling_message_of_a_pending_pod() -> None:
    pod = running_pod("web-x", "")
    pod["spec"].pop("nodeName")
    pod["status"] = {
        "phase": "Pending",
        "conditions": [
            {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": "0/4 nodes are available: 3 Insufficient cpu.",
            }
        ],
    }
    assert board.scheduling_message(pod) == "0/4 nodes are available: 3 Insufficient cpu."
    assert board.pod_chip(pod)["status"] == "Pending"


def test_default_cluster_board() -> None:
    cluster = Cluster.from_scenario("default", seed=7)
    cluster.advance(5)
    view = board.cluster_board(cluster)
    assert [c["name"] for c in view["nodes"]] == ["control-plane", "worker-1", "worker-2", "worker-3"]
    control_plane = view["nodes"][0]
    assert control_plane["role"] == "control-plane"
    assert any("NoSchedule" in taint for taint in control_plane["taints"])
    assert view["nodes"][1]["cpu"]["allocatable"] == "2"
    assert view["nodes"][1]["memory"]["allocatable"] == "4Gi"
    assert {c["title"] for c in view["control_plane"]} == {
        "API server",
        "etcd",
        "Scheduler",
        "Controller manager",
    }
    assert all(c["status"] == "Running" for c in view["control_plane"])
    # the one Deployment of a fresh lab is the metrics-server add-on
    assert [(d["namespace"], d["name"]) for d in view["deployments"]] == [
        ("kube-system", "coredns"),
        ("kube-system", "metrics-server"),
        ("local-path-storage", "local-path-provisioner"),
    ]
    assert view["summary"]["nodes"] == 4


def test_sample_deployment_on_the_board() -> None:
    cluster = Cluster.from_scenario("default", seed=7)
    cluster.apply(SAMPLE_DEPLOYMENT)
    cluster.advance(120)
    view = board.cluster_board(cluster)
    (web,) = [d for d in view["deployments"] if d["namespace"] == "default"]
    assert (web["name"], web["desired"], web["ready"], web["available"]) == ("web", 6, 6, 6)
    placed = [p for card in view["nodes"] for p in card["pods"] if p["name"].startswith("web-")]
    assert len(placed) == 6
    assert {p["status"] for p in placed} == {"Running"}
    assert not [p for p in view["nodes"][0]["pods"] if p["name"].startswith("web-")], (
        "control plane is tainted"
    )
    assert view["events"], "scheduling and pulling leave events"
    first = view["events"][-1]
    assert first["time"] and first["reason"] and first["object"]


def test_too_many_pending_pods_are_counted_not_listed() -> None:
    cluster = Cluster.from_scenario("default", seed=7)
    cluster.apply(SAMPLE_DEPLOYMENT)
    cluster.scale("deployment", "web", 80, namespace="default")
    cluster.advance(60)
    pending = board.cluster_board(cluster)["pending"]
    # 3 workers x 2 CPU / 250m = 24 pods fit, less one on each worker beside the 100m of
    # metrics-server or of a CoreDNS replica; 59 wait
    assert pending["total"] == 80 - 21
    assert sum(len(group["pods"]) for group in pending["groups"]) == board.MAX_PENDING_SHOWN
    assert pending["more"] == 80 - 21 - board.MAX_PENDING_SHOWN
    # the same reason is said once, for the whole group
    (group,) = pending["groups"]
    assert "Insufficient cpu" in group["message"]
    assert {pod["status"] for pod in group["pods"]} == {"Pending"}


def test_a_big_cluster_shows_counts_instead_of_chips() -> None:
    cluster = Cluster.from_scenario("default", seed=7)
    for i in range(4, 4 + board.COMPACT_ABOVE_NODES):
        cluster.add_node(f"worker-{i}", cpu="2", memory="4Gi")
    cluster.apply(SAMPLE_DEPLOYMENT)
    cluster.advance(120)
    view = board.cluster_board(cluster)
    assert len(view["nodes"]) == 4 + board.COMPACT_ABOVE_NODES
    assert all(card["compact"] and card["pods"] == [] for card in view["nodes"])
    counted = sum(
        count for card in view["nodes"] for word, count in card["status_counts"] if word == "Running"
    )
    assert counted == view["summary"]["pods_running"] >= 6


def test_a_dead_nodes_card_shows_its_silent_lease_and_the_eviction_clock() -> None:
    cluster = Cluster.from_scenario("default", seed=3)
    cluster.apply(SAMPLE_DEPLOYMENT)
    cluster.advance(65)
    victim = next(
        c["name"] for c in board.cluster_board(cluster)["nodes"] if c["pod_count"] and c["role"] == "worker"
    )
    healthy = next(c for c in board.cluster_board(cluster)["nodes"] if c["name"] != victim)
    assert healthy["lease_renewed"] == "" and "eviction_at" not in healthy

    cluster.kill_node(victim)
    card = next(c for c in board.cluster_board(cluster)["nodes"] if c["name"] == victim)
    assert card["lease_renewed"] == "00:01:00" and card["status"] == "Ready"

    cluster.advance(50)  # 50 s after the last renewal: NotReady and tainted at 00:01:50
    card = next(c for c in board.cluster_board(cluster)["nodes"] if c["name"] == victim)
    assert card["status"] == "NotReady"
    assert (card["eviction_taint"], card["tainted_at"], card["toleration_seconds"], card["eviction_at"]) == (
        "node.kubernetes.io/unreachable:NoExecute",
        "00:01:50",
        300,
        "00:06:50",
    )
    # Evicted: nothing left there to count down for. kube-proxy's pod (kubeadm's DaemonSet)
    # tolerates the taint without a time limit: it stays, Running as far as the API knows.
    cluster.advance(301)
    card = next(c for c in board.cluster_board(cluster)["nodes"] if c["name"] == victim)
    assert "eviction_at" not in card
    proxy = [chip for chip in card["pods"] if chip["name"].startswith("kube-proxy-")]
    assert [(chip["namespace"], chip["status"]) for chip in proxy] == [("kube-system", "Running")]
    assert {chip["status"] for chip in card["pods"] if chip not in proxy} == {"Terminating"}
