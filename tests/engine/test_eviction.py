"""The kubelet's eviction manager: memory pressure observed every 10 s, the MemoryPressure
condition and its taint, rankMemoryPressure's choice, the evicted pod's status and message, the
5-minute transition period, and admission refused to BestEffort pods under pressure. Exact
timelines on the virtual clock."""

from __future__ import annotations

from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.node.eviction_manager import is_critical
from clusterlab.engine.node.eviction_ranking import (
    DEFAULT_EVICTION_HARD,
    PodStats,
    Threshold,
    rank_memory_pressure,
)

MI = 1024 * 1024
HOG_MESSAGE = (
    "The node was low on resource: memory. Threshold quantity: 100Mi, available: 51824Ki. "
    "Container stress was using 1024612Ki, request is 0, has larger consumption of memory. "
)
REJECTED = "Pod was rejected: The node had condition: [MemoryPressure]. "


def stress(mb: int, request: str | None = None, priority_class: str | None = None) -> dict[str, Any]:
    """A pod spec on worker-1 whose stress worker holds `mb` MiB (no limit)."""
    resources = {"requests": {"memory": request}} if request else {}
    spec: dict[str, Any] = {
        "nodeSelector": {"kubernetes.io/hostname": "worker-1"},
        "containers": [
            {
                "name": "stress",
                "image": "polinux/stress",
                "command": ["stress"],
                "args": ["--vm", "1", "--vm-bytes", f"{mb}M", "--vm-hang", "1"],
                "resources": resources,
            }
        ],
    }
    if priority_class:
        spec["priorityClassName"] = priority_class
    return spec


def pod(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def filled_node() -> Cluster:
    """worker-1 filled by stress pods without limits: a Deployment's BestEffort hog (1000 MiB),
    a small BestEffort pod (150 MiB), a BestEffort pod of a higher priority (1200 MiB) and a
    Burstable pod within its request (1300 MiB of 1400Mi) — with the node's kube-proxy pod
    (13 MiB), 51824Ki left, under 100Mi."""
    c = Cluster.from_scenario("default", seed=7)
    high = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "high"}}
    c.apply([{**high, "value": 1000}])
    hog = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "hog"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "hog"}},
            "template": {"metadata": {"labels": {"app": "hog"}}, "spec": stress(1000)},
        },
    }
    c.apply(
        [
            hog,
            pod("small", stress(150)),
            pod("important", stress(1200, priority_class="high")),
            pod("steady", stress(1300, request="1400Mi")),
        ]
    )
    return c


def condition(c: Cluster, ctype: str = "MemoryPressure") -> dict[str, Any]:
    node = c.get("nodes", "worker-1")
    return next(x for x in node["status"]["conditions"] if x["type"] == ctype)


def taints(c: Cluster) -> list[str]:
    return [t["key"] for t in c.get("nodes", "worker-1")["spec"].get("taints") or ()]


def events(c: Cluster, kind: str, name: str) -> list[tuple[str, str, str]]:
    out = [
        (e["lastTimestamp"], e["reason"], e["message"])
        for e in c.list("events", "default")
        if e["involvedObject"]["kind"] == kind and e["involvedObject"]["name"] == name
    ]
    return sorted(out)


def hog_pods(c: Cluster) -> list[dict[str, Any]]:
    return sorted(
        c.list("pods", "default", selector="app=hog"), key=lambda p: p["metadata"]["creationTimestamp"]
    )


def test_allocatable_is_capacity_less_the_hard_eviction_thresholds() -> None:
    c = Cluster.from_scenario("default", seed=7)
    status = c.get("nodes", "worker-1")["status"]
    assert (status["capacity"]["memory"], status["allocatable"]["memory"]) == ("4196Mi", "4Gi")
    # nodefs.available<10% of 103609120Ki, with the kubelet's float32 percentage: 10609574046 bytes
    assert status["capacity"]["ephemeral-storage"] == "103609120Ki"
    assert status["allocatable"]["ephemeral-storage"] == str(103609120 * 1024 - 10609574046)
    assert [(t.signal, t.quantity, t.percentage) for t in DEFAULT_EVICTION_HARD] == [
        ("memory.available", 100 * MI, 0.0),
        ("nodefs.available", None, pytest.approx(0.1)),
        ("nodefs.inodesFree", None, pytest.approx(0.05)),
        ("imagefs.available", None, pytest.approx(0.15)),
    ]
    report = c.kubelets["worker-1"].eviction.report()
    assert report["signals"] == []  # nothing observed before the first round at 10 s
    c.advance(10)
    signals = {s["signal"]: s for s in c.kubelets["worker-1"].eviction.report()["signals"]}
    assert signals["memory.available"]["thresholdText"] == "100Mi"
    assert signals["nodefs.available"]["thresholdText"] == "10609574046"
    assert not any(s["met"] for s in signals.values())


def test_memory_pressure_evicts_the_lowest_ranked_pod_and_clears_after_five_minutes() -> None:
    c = filled_node()
    manager = c.kubelets["worker-1"].eviction
    c.advance(9.9)
    assert [p["status"]["phase"] for p in hog_pods(c)] == ["Running"]
    assert condition(c)["status"] == "False" and manager.node_conditions == []
    # 10 s: the monitoring round sees 51824Ki available, under 100Mi; the status update of
    # the same instant reports MemoryPressure, the node lifecycle controller taints the node.
    c.advance(0.1)
    memory = next(s for s in manager.report()["signals"] if s["signal"] == "memory.available")
    assert (memory["available"], memory["met"]) == (51824 * 1024, True)
    mp = condition(c)
    assert (mp["status"], mp["reason"], mp["message"], mp["lastTransitionTime"]) == (
        "True",
        "KubeletHasInsufficientMemory",
        "kubelet has insufficient memory available",
        "2026-01-01T09:00:10Z",
    )
    assert taints(c) == ["node.kubernetes.io/memory-pressure"]
    assert c.get("nodes", "worker-1")["spec"]["taints"][0]["effect"] == "NoSchedule"
    node_events = [e for e in events(c, "Node", "worker-1") if e[0] == "2026-01-01T09:00:10Z"]
    assert node_events == [
        ("2026-01-01T09:00:10Z", "EvictionThresholdMet", "Attempting to reclaim memory"),
        (
            "2026-01-01T09:00:10Z",
            "NodeHasInsufficientMemory",
            "Node worker-1 status is now: NodeHasInsufficientMemory",
        ),
    ]
    # rankMemoryPressure: the pods over their requests first (the hog, then the small one: both
    # priority 0, larger usage first), then the higher priorities (1000, then kube-proxy's
    # system-node-critical: over its zero request too), then the pod within its request. A
    # critical pod is ranked but never evicted; the first of the ranking goes.
    (decision,) = manager.report()["evictions"]
    hog = hog_pods(c)[0]["metadata"]["name"]
    (proxy,) = c.list(
        "pods", "kube-system", selector="k8s-app=kube-proxy", field_selector="spec.nodeName=worker-1"
    )
    assert proxy["spec"]["priority"] == 2000001000
    assert decision["ranking"] == [
        f"default/{hog}",
        "default/small",
        "default/important",
        f"kube-system/{proxy['metadata']['name']}",
        "default/steady",
    ]
    assert decision["message"] == HOG_MESSAGE
    assert events(c, "Pod", hog)[-2:] == [
        ("2026-01-01T09:00:10Z", "Evicted", HOG_MESSAGE),
        ("2026-01-01T09:00:10Z", "Killing", "Stopping container stress"),
    ]
    target = next(x for x in c.get("pods", hog)["status"]["conditions"] if x["type"] == "DisruptionTarget")
    assert (target["status"], target["reason"], target["message"]) == (
        "True",
        "TerminationByKubelet",
        HOG_MESSAGE,
    )
    # The grace period is 1 s, which the runtime raises to its 2 s minimum: stress ignores
    # SIGTERM and is killed at 12 s; only then is the pod Failed.
    c.advance(1.9)
    assert c.get("pods", hog)["status"]["phase"] == "Running"
    c.advance(0.1)
    evicted = c.get("pods", hog)["status"]
    assert (evicted["phase"], evicted["reason"], evicted["message"]) == ("Failed", "Evicted", HOG_MESSAGE)
    assert evicted["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 137
    # Its ReplicaSet replaces it; the replacement cannot go anywhere while the node is tainted.
    old, new = hog_pods(c)
    assert old["metadata"]["name"] == hog and "nodeName" not in new["spec"]
    (failed,) = events(c, "Pod", new["metadata"]["name"])
    assert "1 node(s) had untolerated taint {node.kubernetes.io/memory-pressure: }" in failed[2]
    # One pod was enough: nothing else is evicted, the others keep running.
    c.advance(60)
    assert len(manager.report()["evictions"]) == 1
    assert {
        p["metadata"]["name"]: p["status"]["phase"]
        for p in c.list("pods", "default")
        if p["metadata"]["name"] in ("small", "important", "steady")
    } == {"small": "Running", "important": "Running", "steady": "Running"}
    memory = next(s for s in manager.report()["signals"] if s["signal"] == "memory.available")
    assert memory["available"] == 1076436 * 1024 and not memory["met"]
    # The condition holds for evictionPressureTransitionPeriod (5 min) after the threshold was
    # last met (10 s): the round at 302 s still has it, the one at 312 s drops it, and the
    # status update at 320 s reports it; the taint goes and the replacement is scheduled.
    c.advance(302 - c.now)
    assert manager.node_conditions == ["MemoryPressure"]
    c.advance(312 - c.now)
    assert manager.node_conditions == []
    assert condition(c)["status"] == "True" and taints(c) == ["node.kubernetes.io/memory-pressure"]
    c.advance(320 - c.now)
    mp = condition(c)
    assert (mp["status"], mp["reason"], mp["message"], mp["lastTransitionTime"]) == (
        "False",
        "KubeletHasSufficientMemory",
        "kubelet has sufficient memory available",
        "2026-01-01T09:05:20Z",
    )
    assert events(c, "Node", "worker-1")[-1] == (
        "2026-01-01T09:05:20Z",
        "NodeHasSufficientMemory",
        "Node worker-1 status is now: NodeHasSufficientMemory",
    )
    assert taints(c) == []
    assert c.get("pods", new["metadata"]["name"])["spec"]["nodeName"] == "worker-1"
    assert c.get("pods", hog)["status"]["reason"] == "Evicted"  # the evicted pod stays


def test_best_effort_pods_are_rejected_under_memory_pressure() -> None:
    c = filled_node()
    c.advance(10.5)
    assert c.kubelets["worker-1"].eviction.is_under_memory_pressure()

    def bound(name: str, spec: dict[str, Any]) -> dict[str, Any]:
        spec = {**spec, "nodeName": "worker-1"}
        spec.pop("nodeSelector")
        return pod(name, spec)

    tolerating = {
        **stress(10),
        "tolerations": [
            {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"}
        ],
    }
    c.apply(
        [
            bound("besteffort", stress(10)),
            bound("burstable", stress(10, request="64Mi")),
            bound("tolerating", tolerating),
            bound("critical", stress(10, priority_class="system-node-critical")),
        ]
    )
    c.advance(0.5)
    rejected = c.get("pods", "besteffort")["status"]
    assert (rejected["phase"], rejected["reason"], rejected["message"], rejected["qosClass"]) == (
        "Failed",
        "Evicted",
        REJECTED,
        "BestEffort",
    )
    assert events(c, "Pod", "besteffort") == [
        ("2026-01-01T09:00:10Z", "Evicted", REJECTED[len("Pod was rejected: ") :])
    ]
    c.advance(5)
    for name in ("burstable", "tolerating", "critical"):
        assert c.get("pods", name)["status"]["phase"] == "Running", name


def test_rank_memory_pressure_orders_as_the_kubelet_does() -> None:
    def p(name: str, priority: int = 0, request: str | None = None) -> dict[str, Any]:
        res = {"requests": {"memory": request}} if request else {}
        spec = {"priority": priority, "containers": [{"name": "c", "image": "x", "resources": res}]}
        return {"metadata": {"namespace": "ns", "name": name}, "spec": spec}

    pods = [
        p("within", request="500Mi"),
        p("high-over", priority=10),
        p("low-over-small"),
        p("no-stats", priority=100),
        p("low-over-big", request="10Mi"),
    ]
    stats = {
        "ns/within": PodStats(400 * MI),
        "ns/high-over": PodStats(900 * MI),
        "ns/low-over-small": PodStats(20 * MI),
        "ns/low-over-big": PodStats(300 * MI),
    }
    ranked = [x["metadata"]["name"] for x in rank_memory_pressure(pods, stats)]
    assert ranked == ["no-stats", "low-over-big", "low-over-small", "high-over", "within"]


def test_critical_pods_and_thresholds() -> None:
    mirror = {"metadata": {"annotations": {"kubernetes.io/config.mirror": "abc"}}, "spec": {}}
    system = {"metadata": {}, "spec": {"priority": 2000001000}}
    user = {"metadata": {}, "spec": {"priority": 1000000000}}
    assert [is_critical(x) for x in (mirror, system, user)] == [True, True, False]
    assert Threshold.parse("memory.available", "1Gi").amount(10) == 1024 * MI
    assert Threshold.parse("nodefs.inodesFree", "5%").amount(6553600) == 327680
