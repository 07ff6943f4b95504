"""The scheduling queue as kube-scheduler v1.32's: which events requeue whom, backoff, the
5-minute flush, scheduling gates. Timelines are exact on the virtual clock (the queue started
at 0, so its 1 s backoffQ flush ticks on whole seconds and its 30 s leftover flush on 30 s)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.clock import Clock
from clusterlab.engine.errors import ApiError
from clusterlab.engine.printers import pod_summary
from clusterlab.engine.scheduler import events
from clusterlab.engine.scheduler.events import (
    ADD,
    NODE,
    POD,
    QUEUE,
    QUEUE_SKIP,
    UPDATE_NODE_LABEL,
    ClusterEvent,
    ClusterEventWithHint,
)
from clusterlab.engine.scheduler.framework import Plugin
from clusterlab.engine.scheduler.plugins.node_affinity import NodeAffinity
from clusterlab.engine.scheduler.plugins.node_resources_fit import NodeResourcesFit
from clusterlab.engine.scheduler.plugins.node_unschedulable import NodeUnschedulable
from clusterlab.engine.scheduler.plugins.scheduling_gates import SchedulingGates
from clusterlab.engine.scheduler.plugins.taint_toleration import TaintToleration
from clusterlab.engine.scheduler.queue import SchedulingQueue, backoff_duration
from clusterlab.engine.scheduler.registry import DEFAULT_MULTI_POINT

Obj = dict[str, Any]


def pod(name: str, **spec: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "uid": f"uid-{name}", "labels": {}},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}], **spec},
    }


def node(name: str = "n", labels: Obj | None = None, **spec: Any) -> Obj:
    return {
        "metadata": {"name": name, "labels": labels or {}},
        "spec": spec,
        "status": {"allocatable": {"cpu": "2", "memory": "4Gi", "pods": "110"}},
    }


# -- the pieces ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempts", "seconds"), [(1, 1), (2, 2), (3, 4), (4, 8), (5, 10), (6, 10), (20, 10)]
)
def test_backoff_doubles_from_one_second_to_ten(attempts: int, seconds: float) -> None:
    assert backoff_duration(attempts) == seconds


def test_scheduling_gates_is_the_first_plugin_of_the_default_profile() -> None:
    assert DEFAULT_MULTI_POINT[0] == ("SchedulingGates", 0)


@pytest.mark.parametrize(
    ("registered", "incoming", "matches"),
    [
        (ClusterEvent(NODE, ADD | UPDATE_NODE_LABEL), events.NODE_LABEL_CHANGE, True),
        (ClusterEvent(NODE, ADD | UPDATE_NODE_LABEL), events.NODE_TAINT_CHANGE, False),
        (ClusterEvent(NODE, ADD), events.ASSIGNED_POD_ADD, False),
        (ClusterEvent(POD, events.DELETE), events.ASSIGNED_POD_DELETE, True),
        (ClusterEvent(POD, events.DELETE), events.ASSIGNED_POD_OTHER_UPDATE, False),
        (ClusterEvent(events.WILDCARD, events.ALL), events.NODE_ANNOTATION_CHANGE, True),
    ],
)
def test_registered_events_match_incoming_ones(
    registered: ClusterEvent, incoming: ClusterEvent, matches: bool
) -> None:
    assert registered.match(incoming) is matches


def test_a_node_update_is_told_apart_by_what_changed() -> None:
    old = node(unschedulable=True)
    new = node(labels={"disktype": "ssd"}, taints=[{"key": "k", "effect": "NoSchedule"}])
    assert [e.label for e in events.node_scheduling_properties_change(new, old)] == [
        "NodeSpecUnschedulableChange",
        "NodeLabelChange",
        "NodeTaintChange",
    ]
    # a cordon is no event (it can only make pods less schedulable)
    assert events.node_scheduling_properties_change(old, node()) == []


def test_a_pod_update_is_told_apart_by_what_changed() -> None:
    gated = pod("p", schedulingGates=[{"name": "g"}])
    freed = pod("p", tolerations=[{"operator": "Exists"}])
    assert [e.label for e in events.pod_scheduling_properties_change(freed, gated)] == [
        "PodSchedulingGateChange",
        "PodTolerationChange",
    ]
    assert events.pod_scheduling_properties_change(pod("p"), pod("p")) == [events.ASSIGNED_POD_OTHER_UPDATE]


@pytest.mark.parametrize(
    ("plugin", "waiting", "old", "new", "hint"),
    [
        (
            NodeAffinity(),
            pod("p", nodeSelector={"disktype": "ssd"}),
            None,
            node(labels={"disktype": "ssd"}),
            QUEUE,
        ),
        (
            NodeAffinity(),
            pod("p", nodeSelector={"disktype": "ssd"}),
            None,
            node(labels={"zone": "a"}),
            QUEUE_SKIP,
        ),
        (  # already matched before: the label change is not what was missing
            NodeAffinity(),
            pod("p", nodeSelector={"disktype": "ssd"}),
            node(labels={"disktype": "ssd"}),
            node(labels={"disktype": "ssd", "zone": "a"}),
            QUEUE_SKIP,
        ),
        (
            TaintToleration(),
            pod("p"),
            node(taints=[{"key": "k", "effect": "NoSchedule"}]),
            node(taints=[{"key": "k", "effect": "PreferNoSchedule"}]),
            QUEUE,
        ),
        (TaintToleration(), pod("p"), None, node(taints=[{"key": "k", "effect": "NoExecute"}]), QUEUE_SKIP),
        (NodeUnschedulable(), pod("p"), node(unschedulable=True), node(), QUEUE),
        (NodeUnschedulable(), pod("p"), None, node(unschedulable=True), QUEUE_SKIP),
    ],
)
def test_node_queueing_hints(plugin: Any, waiting: Obj, old: Obj | None, new: Obj, hint: str) -> None:
    assert plugin.is_schedulable_after_node_change(waiting, old, new) == hint


def test_node_resources_fit_hints() -> None:
    fit, big = (
        NodeResourcesFit(),
        pod("big", containers=[{"name": "c", "resources": {"requests": {"cpu": "3"}}}]),
    )
    assigned, pending = pod("a", nodeName="n"), pod("b")
    assert fit.is_schedulable_after_pod_event(big, assigned, None) == QUEUE
    assert (
        fit.is_schedulable_after_pod_event(big, pending, None) == QUEUE_SKIP
    )  # an unscheduled pod freed nothing
    roomy = node()
    roomy["status"]["allocatable"]["cpu"] = "4"
    assert fit.is_schedulable_after_node_change(big, None, node()) == QUEUE_SKIP  # would not fit even empty
    assert fit.is_schedulable_after_node_change(big, None, roomy) == QUEUE
    assert fit.is_schedulable_after_node_change(big, node(), roomy) == QUEUE
    assert fit.is_schedulable_after_node_change(big, roomy, roomy) == QUEUE_SKIP  # nothing grew


# -- the queue on its own -----------------------------------------------------------------


class Labels(Plugin):
    """A plugin that waits for node label changes (hint: always Queue)."""

    name = "Labels"

    def events_to_register(self) -> tuple[ClusterEventWithHint, ...]:
        return (ClusterEventWithHint(ClusterEvent(NODE, UPDATE_NODE_LABEL)),)


def queue_of(clock: Clock) -> tuple[SchedulingQueue, list[float]]:
    woken: list[float] = []
    q = SchedulingQueue(clock, lambda: woken.append(clock.now))
    q.configure("default-scheduler", [SchedulingGates()], [SchedulingGates(), Labels()])
    q.start()
    return q, woken


def test_an_event_during_the_attempt_sends_the_failed_pod_to_backoff() -> None:
    clock = Clock()
    q, _ = queue_of(clock)
    q.add("default/a", pod("a"))
    q.add("default/b", pod("b"))
    assert q.pop().key == "default/a"  # type: ignore[union-attr]
    q.move_all(events.NODE_LABEL_CHANGE)  # arrives while a is in flight
    q.add_unschedulable("default/a", {"Labels"})
    assert q.pool_of("default/a") == "backoff"
    assert q.pop().key == "default/b"  # type: ignore[union-attr]
    q.move_all(events.NODE_TAINT_CHANGE)  # nobody rejecting b waits for this one
    q.add_unschedulable("default/b", {"Labels"})
    assert q.pool_of("default/b") == "unschedulable"
    q.add_unschedulable("default/c", ())  # not queued: ignored
    clock.run_until(1.0)  # the backoffQ flush at 1 s
    assert q.pool_of("default/a") == "active"


def test_a_pod_no_plugin_rejected_goes_to_backoff() -> None:
    clock = Clock()
    q, _ = queue_of(clock)
    q.add("default/a", pod("a"))
    q.pop()
    q.requeue_with_backoff("default/a")  # a failed bind
    (snap,) = q.snapshot()
    assert (snap.pool, snap.attempts, snap.backoff_until, snap.retry_at) == ("backoff", 1, 1.0, 1.0)


# -- on a cluster -------------------------------------------------------------------------


def filler(name: str) -> Obj:
    """A pod bound to worker-1 by its creator: an assigned pod the test can delete."""
    return pod(name, nodeName="worker-1")


def attempt_times(c: Cluster, name: str, until: float, act: Any = None) -> list[float]:
    """Advance to `until` in 0.1 s steps, noting the virtual time of each scheduling attempt
    of pod `name`; `act(n)` runs right after the n-th attempt is seen."""
    seen: list[float] = []
    while c.now < until - 1e-9:
        c.advance(0.1)
        diagnosis = c.scheduling_diagnosis(name)
        if diagnosis is not None and (not seen or diagnosis.time != seen[-1]):
            seen.append(diagnosis.time)
            if act is not None:
                act(len(seen))
    return seen


def snapshot_of(c: Cluster, name: str) -> Any:
    assert c.scheduler is not None
    (snap,) = [s for s in c.scheduler.queue_snapshot() if s.key == f"default/{name}"]
    return snap


def test_a_pod_that_keeps_failing_after_events_backs_off_1_2_4_8_10_10_seconds() -> None:
    c = Cluster()
    for i in range(6):
        c.apply(filler(f"filler-{i}"))
    c.advance(5)
    c.apply(
        pod(
            "big", containers=[{"name": "c", "image": "nginx:1.27", "resources": {"requests": {"cpu": "64"}}}]
        )
    )
    backoffs: list[tuple[str, float | None, float | None]] = []

    def free_some_room(n: int) -> None:
        # an assigned pod deleted: NodeResourcesFit, which rejected the pod, says it may help
        c.delete("pod", f"filler-{n - 1}", grace_period_seconds=0)
        c.advance(0)
        snap = snapshot_of(c, "big")
        backoffs.append((snap.pool, snap.backoff_until, snap.retry_at))

    times = attempt_times(c, "big", 45.0, lambda n: free_some_room(n) if n <= 6 else None)
    assert times == [5.0, 6.0, 8.0, 12.0, 20.0, 30.0, 40.0]
    assert [b - a for a, b in itertools.pairwise(times)] == [1, 2, 4, 8, 10, 10]
    assert backoffs[:3] == [("backoff", 6.0, 6.0), ("backoff", 8.0, 8.0), ("backoff", 12.0, 12.0)]
    snap = snapshot_of(c, "big")  # no 7th room freed: it waits
    assert (snap.pool, snap.attempts, snap.since) == ("unschedulable", 7, 40.0)
    assert snap.rejected_by == ("NodeResourcesFit", "TaintToleration")


def test_a_node_affinity_reject_waits_for_a_matching_label_not_for_a_deleted_pod() -> None:
    c = Cluster()
    c.apply(filler("filler"))
    c.advance(5)
    c.apply(pod("ssd", nodeSelector={"disktype": "ssd"}))
    c.advance(0)
    assert c.scheduling_diagnosis("ssd").time == 5.0  # type: ignore[union-attr]
    c.advance(5)
    c.delete("pod", "filler", grace_period_seconds=0)  # room freed: not what it waits for
    c.advance(5)
    worker = c.get("node", "worker-1", None)
    worker["metadata"]["labels"]["zone"] = "a"  # a label, but not the one it needs
    c.update(worker)
    c.advance(5)
    snap = snapshot_of(c, "ssd")
    assert (snap.pool, snap.attempts, snap.rejected_by) == (
        "unschedulable",
        1,
        ("NodeAffinity", "TaintToleration"),
    )
    assert snap.retry_at == 330.0  # the first leftover flush more than 5 minutes after 5.0
    assert c.now == 20.0
    worker = c.get("node", "worker-2", None)
    worker["metadata"]["labels"]["disktype"] = "ssd"
    c.update(worker)
    c.advance(0)  # the label event moves it straight to activeQ (its 1 s backoff is long over)
    assert c.scheduling_diagnosis("ssd").time == 20.0  # type: ignore[union-attr]
    assert c.get("pod", "ssd")["spec"]["nodeName"] == "worker-2"
    assert [e["reason"] for e in c.events() if e["involvedObject"]["name"] == "ssd"][:2] == [
        "FailedScheduling",
        "Scheduled",
    ]


def test_an_unschedulable_pod_is_retried_by_the_five_minute_flush() -> None:
    c = Cluster()
    c.advance(5)
    c.apply(pod("ssd", nodeSelector={"disktype": "ssd"}))
    # 5.0 + 300 is not *more* than five minutes at the 300 s flush: the 330 s one takes it
    assert attempt_times(c, "ssd", 700.0) == [5.0, 330.0, 660.0]
    failed = [
        e for e in c.events() if e["involvedObject"]["name"] == "ssd" and e["reason"] == "FailedScheduling"
    ]
    assert [e["count"] for e in failed] == [3]


def test_a_gated_pod_is_never_tried_until_its_last_gate_is_removed() -> None:
    c = Cluster()
    c.advance(5)
    c.apply(pod("gated", schedulingGates=[{"name": "example.com/quota"}, {"name": "example.com/arch"}]))
    c.advance(400)  # past the 5-minute flush: gated pods are not flushed
    gated = c.get("pod", "gated")
    cond = next(x for x in gated["status"]["conditions"] if x["type"] == "PodScheduled")
    assert (cond["status"], cond["reason"], cond["message"]) == (
        "False",
        "SchedulingGated",
        "Scheduling is blocked due to non-empty scheduling gates",
    )
    assert pod_summary(gated).status == "SchedulingGated"  # kubectl get pods' STATUS
    assert c.scheduling_diagnosis("gated") is None
    assert [e for e in c.events() if e["involvedObject"]["name"] == "gated"] == []
    snap = snapshot_of(c, "gated")
    assert (snap.pool, snap.attempts, snap.rejected_by, snap.retry_at) == (
        "gated",
        0,
        ("SchedulingGates",),
        None,
    )
    assert snap.gated_message == "waiting for scheduling gates: [example.com/quota example.com/arch]"

    gated["spec"]["schedulingGates"].append({"name": "example.com/late"})
    with pytest.raises(ApiError) as err:
        c.update(gated)
    assert str(err.value).endswith(
        "spec.schedulingGates[2].name: Forbidden: only deletion is allowed, but found new scheduling gate "
        "'example.com/late'"
    )
    gated = c.get("pod", "gated")
    gated["spec"]["schedulingGates"] = [{"name": "example.com/arch"}]
    c.update(gated)
    c.advance(10)  # one gate left: still gated, still untried
    assert snapshot_of(c, "gated").pool == "gated"
    assert c.scheduling_diagnosis("gated") is None

    gated = c.get("pod", "gated")
    del gated["spec"]["schedulingGates"]
    c.update(gated)
    assert c.now == 415.0
    c.advance(0)
    assert c.scheduling_diagnosis("gated").time == 415.0  # type: ignore[union-attr]
    scheduled = c.get("pod", "gated")
    assert scheduled["spec"]["nodeName"]
    assert next(e["reason"] for e in c.events() if e["involvedObject"]["name"] == "gated") == "Scheduled"
    cond = next(x for x in scheduled["status"]["conditions"] if x["type"] == "PodScheduled")
    assert cond["status"] == "True"


@pytest.mark.parametrize(
    ("spec", "cause"),
    [
        (
            {"schedulingGates": [{"name": "a"}, {"name": "a"}]},
            'spec.schedulingGates[1]: Duplicate value: "a"',
        ),
        (
            {"schedulingGates": [{"name": "example.com/-x"}]},
            'spec.schedulingGates[0]: Invalid value: "example.com/-x": name part must consist of '
            "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
            "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
            "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        ),
        (
            {"schedulingGates": [{"name": "a"}], "nodeName": "worker-1"},
            "spec.nodeName: Forbidden: cannot be set until all schedulingGates have been cleared",
        ),
    ],
)
def test_scheduling_gates_are_validated_on_create(spec: Obj, cause: str) -> None:
    c = Cluster()
    with pytest.raises(ApiError) as err:
        c.apply(pod("p", **spec))
    assert str(err.value).endswith(cause)
