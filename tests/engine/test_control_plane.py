"""Control-plane components as processes: stop/start, leader election through Leases, the API
server and etcd going away. Exact timelines on the virtual clock."""

from __future__ import annotations

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.errors import BadRequest, NotFound, ServiceUnavailable, StorageUnavailable
from clusterlab.engine.leader_election import JITTER_FACTOR, LEASE_DURATION, RENEW_DEADLINE, RETRY_PERIOD
from clusterlab.engine.printers import node_status, pod_status
from clusterlab.engine.timefmt import seconds_since

from .conftest import pods_of, web

EPS = 0.001
MAX_RETRY = RETRY_PERIOD * (1 + JITTER_FACTOR)  # a candidate's longest wait between tries
START = 0.5 + 0.1 + 0.2  # sandbox, create and start of the component's container


def _lease(c: Cluster, name: str) -> dict:
    return c.get("lease", name, "kube-system")["spec"]


def _component(c: Cluster, name: str, node: str | None = None) -> dict:
    return next(x for x in c.components() if x["name"] == name and (node is None or x["node"] == node))


def _leader_events(c: Cluster, lease: str) -> list[tuple[float, str]]:
    return [
        (seconds_since(c.epoch, e["lastTimestamp"]), e["message"])
        for e in c.events()
        if e["reason"] == "LeaderElection" and e["involvedObject"]["name"] == lease
    ]


def _kube_system_pods(c: Cluster) -> list[str]:
    return sorted(p["metadata"]["name"] for p in c.list("pods", namespace="kube-system"))


def test_scheduler_and_controller_manager_hold_their_leases():
    c = Cluster()
    c.advance(7)
    for name in ("kube-scheduler", "kube-controller-manager"):
        spec = _lease(c, name)
        identity = _component(c, name)["identity"]
        assert identity.startswith("control-plane_") and len(identity) == len("control-plane_") + 36
        assert spec["holderIdentity"] == identity
        assert spec["leaseDurationSeconds"] == 15 and spec["leaseTransitions"] == 0
        assert seconds_since(c.epoch, spec["acquireTime"]) == 0.0
        assert seconds_since(c.epoch, spec["renewTime"]) == 6.0  # renewed every 2 s
        assert _leader_events(c, name) == [(0.0, f"{identity} became leader")]


def test_stopped_scheduler_leaves_pods_pending_until_a_new_one_leads():
    c = Cluster()
    c.advance(10)
    old = _component(c, "kube-scheduler")["identity"]
    c.stop_component("kube-scheduler")
    assert "kube-scheduler-control-plane" not in _kube_system_pods(c)  # the kubelet deleted the mirror pod
    spec = _lease(c, "kube-scheduler")
    assert (spec["holderIdentity"], spec["leaseDurationSeconds"]) == ("", 1)  # ReleaseOnCancel
    assert _component(c, "kube-scheduler")["running"] is False
    assert c.scheduler is None

    c.apply(web(replicas=3))
    c.advance(60)
    pods = pods_of(c)
    assert len(pods) == 3  # the controller manager still creates them...
    assert all(not p["spec"].get("nodeName") for p in pods)  # ...but nobody places them
    assert all(pod_status(p) == "Pending" for p in pods)
    assert not [
        e
        for e in c.events()
        if e["reason"] in ("Scheduled", "FailedScheduling") and e["involvedObject"]["namespace"] == "default"
    ]

    started = c.now
    c.start_component("kube-scheduler")
    c.advance(START - EPS)
    assert c.scheduler is None
    c.advance(EPS)
    new = _component(c, "kube-scheduler")["identity"]
    assert new != old and new.startswith("control-plane_")
    spec = _lease(c, "kube-scheduler")
    assert spec["holderIdentity"] == new and spec["leaseTransitions"] == 1  # the lease was free
    assert seconds_since(c.epoch, spec["acquireTime"]) == pytest.approx(started + START)
    assert _leader_events(c, "kube-scheduler")[-1][1] == f"{new} became leader"
    c.advance(5)
    assert all(p["spec"].get("nodeName") for p in pods_of(c))
    assert "kube-scheduler-control-plane" in _kube_system_pods(c)
    mirror = c.get("pod", "kube-scheduler-control-plane", "kube-system")
    assert pod_status(mirror) == "Running"


def test_restarted_controller_manager_waits_out_the_unreleased_lease():
    c = Cluster()
    c.apply(web(replicas=2))
    c.advance(20)
    c.stop_component("kube-controller-manager")
    old_holder = _lease(c, "kube-controller-manager")["holderIdentity"]
    victim = pods_of(c)[0]["metadata"]["name"]
    c.delete("pod", victim)
    c.advance(30)
    assert len(pods_of(c)) == 1  # nothing heals
    started = c.now
    c.start_component("kube-controller-manager")
    c.advance(START)
    # The new process found the old holder's record and must see it unchanged for 15 s.
    assert _lease(c, "kube-controller-manager")["holderIdentity"] == old_holder
    observed = started + START
    c.advance(LEASE_DURATION - EPS)
    assert _lease(c, "kube-controller-manager")["holderIdentity"] == old_holder
    # It takes over on its first jittered retry after that: no later than one retry period
    # stretched by 120 %.
    c.advance(MAX_RETRY + EPS)
    spec = _lease(c, "kube-controller-manager")
    assert spec["holderIdentity"] == _component(c, "kube-controller-manager")["identity"] != old_holder
    assert spec["leaseTransitions"] == 1
    took_over = seconds_since(c.epoch, spec["acquireTime"])
    assert observed + LEASE_DURATION <= took_over <= observed + LEASE_DURATION + MAX_RETRY
    c.advance(5)
    assert len(pods_of(c)) == 2  # healed by the new leader


def test_apiserver_down_refuses_everything_and_leaders_lose_their_leases():
    c = Cluster()
    c.apply(web(replicas=3))
    c.advance(30)
    c.stop_component("kube-apiserver")
    stopped = c.now
    with pytest.raises(ServiceUnavailable):
        c.list("pods")
    with pytest.raises(ServiceUnavailable):
        c.scale("deployment", "web", 5)
    # The leaders cannot renew; after the renew deadline they give up and exit.
    c.advance(RENEW_DEADLINE + RETRY_PERIOD)
    assert _component(c, "kube-scheduler")["leader"] is False
    assert _component(c, "kube-controller-manager")["leader"] is False
    c.advance(60 - (c.now - stopped))
    c.start_component("kube-apiserver")
    c.advance(START + 5.0)  # the container starts, then the API server needs ~5 s to serve
    assert len(c.list("pods", namespace="default")) == 3
    c.advance(30)
    # A fresh controller manager gives every node a fresh grace period: nothing went NotReady.
    assert [node_status(n) for n in c.list("nodes")] == ["Ready"] * 4
    assert _component(c, "kube-scheduler")["leader"] and _component(c, "kube-controller-manager")["leader"]
    assert all(pod_status(p) == "Running" for p in pods_of(c))


def test_etcd_down_makes_every_request_time_out():
    c = Cluster()
    c.advance(5)
    c.stop_component("etcd")
    with pytest.raises(StorageUnavailable) as err:
        c.get("node", "worker-1", None)
    assert err.value.message == "etcdserver: request timed out"
    assert err.value.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "etcdserver: request timed out",
        "code": 500,
    }
    c.advance(20)
    c.start_component("etcd")
    c.advance(START)
    assert not _component(c, "etcd")["serving"]  # a restarted member first elects itself
    c.advance(1.0)
    etcd = _component(c, "etcd")
    assert etcd["serving"] and etcd["leader"] and etcd["term"] == 3
    assert c.get("node", "worker-1", None)["metadata"]["name"] == "worker-1"


def test_stopped_kubelet_leaves_containers_running_and_adopts_them_again():
    c = Cluster()
    c.apply(web(replicas=3))
    c.advance(30)
    node = pods_of(c)[0]["spec"]["nodeName"]
    on_node = sorted(p["metadata"]["name"] for p in pods_of(c) if p["spec"]["nodeName"] == node)
    last_renewal = seconds_since(c.epoch, c.get("lease", node, "kube-node-lease")["spec"]["renewTime"])
    c.stop_component("kubelet", node=node)
    c.advance(last_renewal + 50 - c.now)
    assert node_status(c.get("node", node, None)) == "NotReady"
    c.start_component("kubelet", node=node)
    c.advance(1)
    assert node_status(c.get("node", node, None)) == "Ready"
    for name in on_node:
        pod = c.get("pod", name)
        assert pod_status(pod) == "Running"
        assert pod["status"]["containerStatuses"][0]["restartCount"] == 0  # nothing was restarted
    assert not [e for e in c.events() if e["reason"] in ("SandboxChanged", "Rebooted")]


def test_control_plane_node_power_cycle():
    c = Cluster()
    c.advance(5)
    c.kill_node("control-plane")
    assert all(not x["running"] for x in c.components())
    with pytest.raises(ServiceUnavailable):
        c.list("nodes")
    c.advance(30)
    c.restore_node("control-plane")
    c.advance(10 + START + 5.0)  # boot, container start, API server warm-up
    assert [x["running"] for x in c.components()] == [True] * 4
    assert len(c.list("nodes")) == 4
    c.advance(20)
    assert _component(c, "kube-scheduler")["leader"] and _component(c, "kube-controller-manager")["leader"]


def test_component_names_are_checked():
    c = Cluster()
    with pytest.raises(BadRequest, match='unknown component "kube-dns"'):
        c.stop_component("kube-dns")
    with pytest.raises(BadRequest, match="say which with node="):
        c.stop_component("kubelet")
    with pytest.raises(NotFound):
        c.stop_component("kube-scheduler", node="worker-1")


# -- ha -------------------------------------------------------------------------------------


def test_ha_standby_scheduler_takes_over_at_its_next_retry():
    c = Cluster("ha")
    c.advance(10)
    leader = next(x for x in c.components() if x["name"] == "kube-scheduler" and x["leader"])
    assert leader["node"] == "control-plane-1"
    standbys = [x for x in c.components() if x["name"] == "kube-scheduler" and not x["leader"]]
    assert [x["running"] for x in standbys] == [True, True]
    c.stop_component("kube-scheduler", node="control-plane-1")
    stopped = c.now
    c.advance(MAX_RETRY)  # released: the next retry of either standby wins
    new = next(x for x in c.components() if x["name"] == "kube-scheduler" and x["leader"])
    assert new["node"] in ("control-plane-2", "control-plane-3")
    spec = _lease(c, "kube-scheduler")
    assert spec["holderIdentity"] == new["identity"] and spec["leaseTransitions"] == 1
    assert stopped < seconds_since(c.epoch, spec["acquireTime"]) <= stopped + MAX_RETRY
    c.apply(web(replicas=2))
    c.advance(5)
    assert all(p["spec"].get("nodeName") for p in pods_of(c))


def test_ha_controller_manager_fails_over_when_its_node_dies():
    c = Cluster("ha")
    c.advance(10)
    c.kill_node("control-plane-1")
    died = c.now
    c.advance(LEASE_DURATION - 1)
    assert not any(x["leader"] for x in c.components() if x["name"] == "kube-controller-manager")
    c.advance(1 + MAX_RETRY + 2)
    new = next(x for x in c.components() if x["name"] == "kube-controller-manager" and x["leader"])
    assert new["node"] != "control-plane-1"
    took_over = seconds_since(c.epoch, _lease(c, "kube-controller-manager")["acquireTime"])
    assert died + LEASE_DURATION - MAX_RETRY <= took_over
    c.apply(web(replicas=2))
    c.advance(5)
    assert len(pods_of(c)) == 2 and all(pod_status(p) == "Running" for p in pods_of(c))


def test_ha_etcd_keeps_quorum_with_one_member_down_and_loses_it_with_two():
    c = Cluster("ha")
    c.advance(5)
    c.stop_component("etcd", node="control-plane-1")  # the leader
    with pytest.raises(StorageUnavailable):
        c.list("nodes")  # no leader until the others elect one (election timeout 1 s)
    c.advance(1.0)
    members = [x for x in c.components() if x["name"] == "etcd"]
    assert [m["leader"] for m in members] == [False, True, False]
    assert members[1]["term"] == 3 and members[1]["quorum"]
    assert len(c.list("nodes")) == 6
    c.stop_component("etcd", node="control-plane-2")
    c.advance(3.0)
    with pytest.raises(StorageUnavailable):
        c.list("nodes")
    term = _component(c, "etcd", "control-plane-3")["term"]
    assert term > 3  # the lone member keeps campaigning, a new term each time
    c.start_component("etcd", node="control-plane-1")
    c.advance(START + 1.0)
    assert _component(c, "etcd", "control-plane-1")["quorum"]
    assert len(c.list("nodes")) == 6


# -- etcd snapshot and restore ----------------------------------------------------------------


def test_etcd_snapshot_and_restore_rolls_the_cluster_back():
    c = Cluster()
    c.apply(web(replicas=3))
    c.advance(30)
    before = sorted(p["metadata"]["name"] for p in pods_of(c))
    status = c.etcd_snapshot("before-change")
    assert status["revision"] == c.revision and status["totalKey"] > 20
    assert len(status["hash"]) == 8 and status["totalSize"] > 1000

    c.scale("deployment", "web", 5)
    c.apply(web(replicas=2, name="api"))
    c.advance(30)
    assert len(pods_of(c)) == 5 and len(c.list("pods", namespace="default", selector="app=api")) == 2

    with pytest.raises(BadRequest, match="stop every kube-apiserver before restoring etcd"):
        c.etcd_restore("before-change")
    with pytest.raises(NotFound):
        c.etcd_restore("nope")
    c.stop_component("kube-apiserver")
    old_revision = c.revision
    restored = c.etcd_restore("before-change")
    assert restored["revision"] > old_revision + 1_000_000_000  # --bump-revision: never backwards
    c.start_component("kube-apiserver")
    c.advance(60)

    assert c.get("deployment", "web")["spec"]["replicas"] == 3
    with pytest.raises(NotFound):
        c.get("deployment", "api")
    assert sorted(p["metadata"]["name"] for p in pods_of(c)) == before
    assert c.list("pods", namespace="default", selector="app=api") == []
    assert all(pod_status(p) == "Running" for p in pods_of(c))
    assert [node_status(n) for n in c.list("nodes")] == ["Ready"] * 4


def test_etcd_snapshot_needs_a_serving_etcd():
    c = Cluster()
    c.stop_component("etcd")
    with pytest.raises(StorageUnavailable):
        c.etcd_snapshot("x")
    with pytest.raises(BadRequest, match="invalid snapshot name"):
        Cluster().etcd_snapshot("../etc/passwd")


def test_ha_etcd_replicates_its_log_and_a_stale_member_cannot_lead():
    c = Cluster("ha")
    c.advance(5)
    c.stop_component("etcd", node="control-plane-3")
    stopped_at = _component(c, "etcd", "control-plane-3")["index"]
    c.apply(web(replicas=2))
    c.advance(10)  # writes go on with two members
    first = _component(c, "etcd", "control-plane-1")
    assert first["leader"] and first["behind"] == 0 and first["index"] > stopped_at
    third = _component(c, "etcd", "control-plane-3")
    assert (third["index"], third["behind"]) == (stopped_at, first["index"] - stopped_at)
    c.start_component("etcd", node="control-plane-3")
    c.advance(START)
    third = _component(c, "etcd", "control-plane-3")
    assert third["behind"] == 0  # caught up from the leader

    # control-plane-1 (the leader) stops and falls behind; control-plane-2 leads on
    c.stop_component("etcd", node="control-plane-1")
    c.advance(1.0)
    assert _component(c, "etcd", "control-plane-2")["leader"]
    c.advance(10)
    c.stop_component("etcd", node="control-plane-2")  # quorum lost, with control-plane-3 up to date
    c.start_component("etcd", node="control-plane-1")
    c.advance(START + 1.0)
    members = {m["node"]: m for m in c.components() if m["name"] == "etcd"}
    # the stale member cannot win: the up-to-date one leads, and the stale one catches up
    assert members["control-plane-3"]["leader"] and not members["control-plane-1"]["leader"]
    assert members["control-plane-1"]["behind"] == 0
    assert len(c.list("nodes")) == 6


def test_a_restarted_component_keeps_the_version_it_was_upgraded_to():
    c = Cluster()
    c.upgrade_control_plane("v1.33.0")
    c.advance(60)
    c.stop_component("kube-scheduler")
    c.start_component("kube-scheduler")
    c.advance(15)
    mirror = c.get("pod", "kube-scheduler-control-plane", "kube-system")
    assert mirror["spec"]["containers"][0]["image"] == "registry.k8s.io/kube-scheduler:v1.33.0"
    assert pod_status(mirror) == "Running"
