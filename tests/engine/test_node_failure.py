"""A node dies: the exact timeline under Kubernetes' defaults, then self-healing.

Defaults reproduced: kubelet Lease renewed every 10 s; node-monitor-period 5 s;
node-monitor-grace-period 50 s (v1.32+); DefaultTolerationSeconds 300 s for the
`unreachable` NoExecute taint; eviction by the taint-eviction controller; replacement by the
ReplicaSet controller on healthy nodes.
"""

from clusterlab.engine.printers import node_status, pod_ready, pod_status
from clusterlab.engine.timefmt import seconds_since

from .conftest import pods_of, web

EPS = 0.001


def _ready(node):
    return next(c for c in node["status"]["conditions"] if c["type"] == "Ready")


def _taints(node):
    return sorted((t["key"], t["effect"]) for t in node["spec"].get("taints") or [])


def test_dead_node_timeline(cluster):
    c = cluster
    c.apply(web(replicas=6))
    c.advance(65)
    assert all(pod_status(p) == "Running" for p in pods_of(c))
    victim = pods_of(c)[0]["spec"]["nodeName"]
    doomed = sorted(p["metadata"]["name"] for p in pods_of(c) if p["spec"]["nodeName"] == victim)
    assert doomed, "the victim node runs pods"
    # every pod there is evicted, the add-ons' placed on it too (metrics-server, say), but not
    # kube-proxy's: a DaemonSet pod tolerates the unreachable NoExecute taint without a time limit
    there = {
        f"{p['metadata']['namespace']}/{p['metadata']['name']}": p
        for p in c.list("pods", None)
        if p["spec"].get("nodeName") == victim
    }
    (proxy,) = [k for k, p in there.items() if p["metadata"]["ownerReferences"][0]["kind"] == "DaemonSet"]
    assert proxy.startswith("kube-system/kube-proxy-")
    assert {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"} in there[
        proxy
    ]["spec"]["tolerations"]
    evicted = sorted(k for k in there if k != proxy)
    lease = c.get("lease", victim, "kube-node-lease")
    last_renewal = seconds_since(c.epoch, lease["spec"]["renewTime"])
    assert last_renewal == 60.0  # renewed every 10 s since the kubelet started at t=0

    c.kill_node(victim)
    grace_ends = last_renewal + 50  # node-monitor-grace-period

    # Until the grace period is over the node looks healthy: nobody can tell yet.
    c.advance(grace_ends - EPS - c.now)
    node = c.get("node", victim, None)
    assert node_status(node) == "Ready" and _taints(node) == []

    # 50 s after the last renewal: Ready=Unknown and the unreachable taints.
    c.advance(EPS)
    node = c.get("node", victim, None)
    ready = _ready(node)
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "Unknown",
        "NodeStatusUnknown",
        "Kubelet stopped posting node status.",
    )
    assert seconds_since(c.epoch, ready["lastTransitionTime"]) == grace_ends
    assert node_status(node) == "NotReady"
    assert _taints(node) == [
        ("node.kubernetes.io/unreachable", "NoExecute"),
        ("node.kubernetes.io/unreachable", "NoSchedule"),
    ]
    no_execute = next(t for t in node["spec"]["taints"] if t["effect"] == "NoExecute")
    assert seconds_since(c.epoch, no_execute["timeAdded"]) == grace_ends

    # Its pods look as they do on a real cluster: still "Running 1/1" (the dead kubelet cannot
    # say otherwise) while the node controller has marked them not Ready.
    on_victim = [p for p in pods_of(c) if p["spec"]["nodeName"] == victim]
    assert sorted(p["metadata"]["name"] for p in on_victim) == doomed
    for p in on_victim:
        assert (pod_status(p), pod_ready(p)) == ("Running", "1/1")
        assert next(x for x in p["status"]["conditions"] if x["type"] == "Ready")["status"] == "False"

    # The default 300 s toleration runs from the taint: nothing is evicted a moment before.
    evict_at = grace_ends + 300
    c.advance(evict_at - EPS - c.now)
    assert all(not p["metadata"].get("deletionTimestamp") for p in pods_of(c))
    c.advance(EPS)
    on_victim = [p for p in pods_of(c) if p["spec"]["nodeName"] == victim]
    assert sorted(p["metadata"]["name"] for p in on_victim) == doomed
    for p in on_victim:
        assert pod_status(p) == "Terminating"  # no kubelet to confirm: they stay Terminating
        target = next(x for x in p["status"]["conditions"] if x["type"] == "DisruptionTarget")
        assert target["reason"] == "DeletionByTaintManager"
    marks = [e for e in c.events() if e["reason"] == "TaintManagerEviction"]
    assert sorted(e["message"] for e in marks) == [f"Marking for deletion Pod {n}" for n in evicted]
    kept = c.get("pod", proxy.split("/")[1], "kube-system")
    assert not kept["metadata"].get("deletionTimestamp") and pod_status(kept) == "Running"

    # The ReplicaSet replaces them at once, on healthy nodes, and they come up Running.
    c.advance(5)
    live = [p for p in pods_of(c) if not p["metadata"].get("deletionTimestamp")]
    assert len(live) == 6
    assert all(p["spec"]["nodeName"] != victim for p in live)
    assert all(pod_status(p) == "Running" for p in live)
    assert c.get("deployment", "web")["status"]["availableReplicas"] == 6

    # Nothing new was ever scheduled onto the dead node after it was tainted.
    scheduled = [
        e
        for e in c.events()
        if e["reason"] == "Scheduled"
        and e["message"].endswith(f" to {victim}")
        and seconds_since(c.epoch, e["firstTimestamp"]) >= grace_ends
    ]
    assert scheduled == []


def test_restored_node_comes_back_ready_and_untainted(cluster):
    c = cluster
    c.apply(web(replicas=6))
    c.advance(65)
    victim = pods_of(c)[0]["spec"]["nodeName"]
    c.kill_node(victim)
    c.advance(400)  # evicted at 410 ... still before
    c.advance(20)  # after eviction: the old pods are Terminating
    terminating = [p for p in pods_of(c) if p["spec"]["nodeName"] == victim]
    assert terminating and all(pod_status(p) == "Terminating" for p in terminating)
    assert not c.node_powered(victim)

    c.restore_node(victim)
    assert c.node_powered(victim)
    c.advance(10 + 5)  # boot, kubelet start, next node-controller pass
    node = c.get("node", victim, None)
    assert node_status(node) == "Ready"
    assert _taints(node) == []
    # The kubelet is back: it finishes the deletions it could not confirm.
    assert [p for p in pods_of(c) if p["spec"]["nodeName"] == victim] == []
    reasons = [e["reason"] for e in c.events() if e["involvedObject"]["name"] == victim]
    assert "Rebooted" in reasons and "NodeReady" in reasons


def test_node_back_before_eviction_keeps_its_pods_and_restarts_them(cluster):
    c = cluster
    c.apply(web(replicas=6))
    c.advance(65)
    victim = pods_of(c)[0]["spec"]["nodeName"]
    names = sorted(p["metadata"]["name"] for p in pods_of(c) if p["spec"]["nodeName"] == victim)
    c.kill_node(victim)
    c.advance(120)  # NotReady, tainted, but the 300 s tolerations have not run out
    assert node_status(c.get("node", victim, None)) == "NotReady"
    c.restore_node(victim)
    c.advance(30)
    kept = [p for p in pods_of(c) if p["spec"]["nodeName"] == victim]
    assert sorted(p["metadata"]["name"] for p in kept) == names  # same pods, not replaced
    for p in kept:
        cs = p["status"]["containerStatuses"][0]
        assert pod_status(p) == "Running" and cs["restartCount"] == 1
        assert cs["lastState"]["terminated"]["reason"] == "Unknown"
        assert cs["lastState"]["terminated"]["exitCode"] == 255
    assert not [e for e in c.events() if e["reason"] == "TaintManagerEviction" and "Marking" in e["message"]]
    assert len(pods_of(c)) == 6


def test_partially_disrupted_small_zone_stops_evictions(cluster):
    """3 of 4 nodes down (>= 55 % and more than 2): the zone is in PartialDisruption, and a cluster
    of at most 50 nodes then evicts nothing — more likely a network problem than dead machines."""
    c = cluster
    c.apply(web(replicas=3))
    c.advance(65)
    for n in ("worker-1", "worker-2", "worker-3"):
        c.kill_node(n)
    c.advance(60)
    for n in ("worker-1", "worker-2", "worker-3"):
        node = c.get("node", n, None)
        assert node_status(node) == "NotReady"
        assert ("node.kubernetes.io/unreachable", "NoExecute") not in _taints(node)
    c.advance(400)
    assert all(not p["metadata"].get("deletionTimestamp") for p in pods_of(c))


def test_eviction_rate_limit_taints_one_node_per_ten_seconds(cluster):
    c = cluster
    c.add_node("worker-4")
    c.add_node("worker-5")
    c.advance(65)
    c.kill_node("worker-1")
    c.kill_node("worker-2")  # 2 of 6 down: the zone is still Normal
    c.advance(60)
    added = sorted(
        seconds_since(c.epoch, t["timeAdded"])
        for n in ("worker-1", "worker-2")
        for t in c.get("node", n, None)["spec"].get("taints") or []
        if t["effect"] == "NoExecute"
    )
    assert added == [110.0, 120.0]  # --node-eviction-rate 0.1/s, burst 1


def test_removed_node_pods_are_garbage_collected_and_replaced(cluster):
    """A deleted Node can never confirm its pods stopped: PodGC force-deletes them after its
    40 s quarantine (checking every 20 s), and the ReplicaSet replaces them."""
    c = cluster
    c.apply(web(replicas=6))
    c.advance(65)
    victim = pods_of(c)[0]["spec"]["nodeName"]
    doomed = {p["metadata"]["name"] for p in pods_of(c) if p["spec"]["nodeName"] == victim}
    c.remove_node(victim)
    assert victim not in {n["metadata"]["name"] for n in c.list("nodes")}
    c.advance(39)
    assert doomed <= {p["metadata"]["name"] for p in pods_of(c)}  # still quarantined
    # PodGC passes at 80, 100, 120 s: first seen missing at 80, deleted at the pass 40 s later.
    c.advance(120 - c.now - EPS)
    assert doomed <= {p["metadata"]["name"] for p in pods_of(c)}
    c.advance(EPS)
    names = {p["metadata"]["name"] for p in pods_of(c)}
    assert not (doomed & names)
    c.advance(5)
    assert len(pods_of(c)) == 6 and all(pod_status(p) == "Running" for p in pods_of(c))
    gc = [a for a in c.api_calls() if a.component.endswith("pod-garbage-collector") and a.verb == "delete"]
    # every pod of the node goes, the add-ons' placed on it too (metrics-server, say)
    on_victim = {a.name for a in gc if a.namespace == "default"}
    assert on_victim == doomed


def test_added_node_registers_ready_and_takes_pods(cluster):
    c = cluster
    c.add_node("worker-4", cpu="4", memory="8Gi", labels={"disk": "ssd"})
    node = c.get("node", "worker-4", None)
    # NotReady until its CNI plugin is set up, 6 s later
    (ready,) = [x for x in node["status"]["conditions"] if x["type"] == "Ready"]
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "False",
        "KubeletNotReady",
        "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady "
        "message:Network plugin returns error: cni plugin not initialized",
    )
    assert node["status"]["nodeInfo"]["kubeletVersion"] == "v1.32.0"
    c.advance(5.99)
    assert node_status(c.get("node", "worker-4", None)) == "NotReady"
    c.advance(0.01)
    node = c.get("node", "worker-4", None)
    assert node_status(node) == "Ready" and node["metadata"]["labels"]["disk"] == "ssd"
    assert node["status"]["allocatable"]["cpu"] == "4"
    assert [e["message"] for e in c.events() if e["involvedObject"]["name"] == "worker-4"][-1] == (
        "Node worker-4 status is now: NodeReady"
    )
    c.apply(web(replicas=1, cpu="3"))  # fits only the new 4-CPU node
    c.advance(10)
    (pod,) = pods_of(c)
    assert pod["spec"]["nodeName"] == "worker-4" and pod_status(pod) == "Running"
