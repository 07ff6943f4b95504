"""The decision log: why a controller acted, kept per object by the deciding process."""

from clusterlab.engine import Cluster
from clusterlab.engine.clock import Clock
from clusterlab.engine.decisions import DecisionLog


def test_keeps_the_most_recent_decisions_per_object_with_their_time() -> None:
    clock = Clock()
    log = DecisionLog(clock, per_object=2)
    log.record("replicaset-controller", "ReplicaSet", "default", "web-1", "create 3")
    clock.run_until(5)
    log.record("replicaset-controller", "ReplicaSet", "default", "web-1", "create 1")
    log.record("replicaset-controller", "ReplicaSet", "default", "web-1", "delete 1")
    log.record("replicaset-controller", "ReplicaSet", "default", "web-2", "create 2")
    assert [(d.time, d.text) for d in log.for_object("ReplicaSet", "web-1", "default")] == [
        (5.0, "create 1"),
        (5.0, "delete 1"),
    ]
    assert log.for_object("ReplicaSet", "web-1", "other") == []


def test_a_restarted_controller_manager_remembers_nothing() -> None:
    c = Cluster()
    c.advance(30)
    manager = c.controller_manager
    assert manager is not None
    manager.controllers[0].explain(c.get("namespace", "default"), "looked at it")
    assert [d.text for d in c.decisions("ns", "default", "")] == ["looked at it"]
    c.stop_component("kube-controller-manager")
    assert c.decisions("ns", "default", "") == []
    c.start_component("kube-controller-manager")
    c.advance(30)
    assert c.decisions("namespace", "default", "") == []
