"""NodePorts: kube-scheduler's node_ports_test.go cases (v1.32), and a second hostPort pod on a
one-worker cluster staying Pending in kube-scheduler's words until the port is free."""

from __future__ import annotations

import pytest

from clusterlab.engine import Cluster, scenarios
from clusterlab.engine.scheduler.events import QUEUE, QUEUE_SKIP
from clusterlab.engine.scheduler.framework import SKIP, SUCCESS, UNSCHEDULABLE, CycleState, NodeInfo
from clusterlab.engine.scheduler.plugins.node_ports import NodePorts, conflicts

REASON = "node(s) didn't have free ports for the requested pod ports"


def ports(*infos: str) -> list[dict]:
    """`PROTOCOL/hostIP/hostPort` strings, as the Go tests write them."""
    out = []
    for info in infos:
        protocol, ip, port = info.split("/")
        out.append({"containerPort": int(port), "hostIP": ip, "hostPort": int(port), "protocol": protocol})
    return out


def pod(*infos: str, name: str = "p", **spec: object) -> dict:
    return {
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"containers": [{"name": "c", "image": "nginx", "ports": ports(*infos)}], **spec},
    }


def node_with(*infos: str) -> NodeInfo:
    info = NodeInfo({"metadata": {"name": "m1"}, "spec": {}, "status": {}})
    if infos:
        info.add_pod("default/existing", pod(*infos, name="existing"))
    return info


@pytest.mark.parametrize(
    ("name", "wanted", "existing", "code"),
    [
        ("other port", ["UDP/127.0.0.1/8080"], ["UDP/127.0.0.1/9090"], SUCCESS),
        ("same udp port", ["UDP/127.0.0.1/8080"], ["UDP/127.0.0.1/8080"], UNSCHEDULABLE),
        ("same tcp port", ["TCP/127.0.0.1/8080"], ["TCP/127.0.0.1/8080"], UNSCHEDULABLE),
        ("different host ip", ["TCP/127.0.0.1/8080"], ["TCP/127.0.0.2/8080"], SUCCESS),
        ("different protocol", ["UDP/127.0.0.1/8080"], ["TCP/127.0.0.1/8080"], SUCCESS),
        (
            "second udp port conflict",
            ["UDP/127.0.0.1/8000", "UDP/127.0.0.1/8080"],
            ["UDP/127.0.0.1/8080"],
            UNSCHEDULABLE,
        ),
        (
            "first tcp port conflict",
            ["TCP/127.0.0.1/8001", "UDP/127.0.0.1/8080"],
            ["TCP/127.0.0.1/8001", "UDP/127.0.0.1/8081"],
            UNSCHEDULABLE,
        ),
        (
            "first tcp port conflict due to 0.0.0.0 hostIP",
            ["TCP/0.0.0.0/8001"],
            ["TCP/127.0.0.1/8001"],
            UNSCHEDULABLE,
        ),
        (
            "TCP hostPort conflict due to 0.0.0.0 hostIP",
            ["TCP/10.0.10.10/8001", "TCP/0.0.0.0/8001"],
            ["TCP/127.0.0.1/8001"],
            UNSCHEDULABLE,
        ),
        (
            "second tcp port conflict to 0.0.0.0 hostIP",
            ["TCP/127.0.0.1/8001"],
            ["TCP/0.0.0.0/8001"],
            UNSCHEDULABLE,
        ),
        ("second different protocol", ["UDP/127.0.0.1/8001"], ["TCP/0.0.0.0/8001"], SUCCESS),
        (
            "UDP hostPort conflict due to 0.0.0.0 hostIP",
            ["UDP/127.0.0.1/8001"],
            ["TCP/0.0.0.0/8001", "UDP/0.0.0.0/8001"],
            UNSCHEDULABLE,
        ),
        # an empty hostIP is 0.0.0.0 and an empty protocol TCP (HostPortInfo.sanitize)
        ("empty hostIP binds all addresses", ["TCP//8001"], ["TCP/127.0.0.1/8001"], UNSCHEDULABLE),
        ("empty protocol is TCP", ["/127.0.0.1/8001"], ["TCP/127.0.0.1/8001"], UNSCHEDULABLE),
    ],
)
def test_filter(name: str, wanted: list[str], existing: list[str], code: str) -> None:
    plugin, state, p = NodePorts(), CycleState(), pod(*wanted)
    assert plugin.pre_filter(state, p, []).code == SUCCESS
    status = plugin.filter(state, p, node_with(*existing))
    assert status.code == code, name
    if code != SUCCESS:
        assert (status.reasons, status.plugin) == ([REASON], "NodePorts")


@pytest.mark.parametrize(
    "spec",
    [
        {"containers": []},  # "skip filter": no ports at all
        {"containers": [{"name": "c", "image": "nginx", "ports": [{"containerPort": 80}]}]},  # no hostPort
        # v1.32 counts only regular containers: an init container's hostPort (sidecar or not)
        # is not checked (restartable init containers were added in v1.33).
        {
            "containers": [],
            "initContainers": [{"name": "i", "image": "busybox", "ports": ports("TCP/0.0.0.0/8001")}],
        },
        {
            "containers": [],
            "initContainers": [
                {
                    "name": "s",
                    "image": "busybox",
                    "restartPolicy": "Always",
                    "ports": ports("TCP/0.0.0.0/8001"),
                }
            ],
        },
    ],
)
def test_pre_filter_skips_pods_without_host_ports(spec: dict) -> None:
    p = {"metadata": {"name": "p", "namespace": "default"}, "spec": spec}
    assert NodePorts().pre_filter(CycleState(), p, [node_with("TCP/0.0.0.0/8001")]).code == SKIP


@pytest.mark.parametrize(
    ("desc", "wanted", "existing", "fits"),
    [
        ("non-conflicting ports", ["TCP/127.0.0.1/80"], ["TCP/127.0.0.1/9090"], True),
        (
            "multiple non-conflicting ports",
            ["TCP/127.0.0.1/80", "TCP/127.0.1.1/80", "TCP/127.0.1.1/90", "TCP/127.0.1.1/100"],
            ["TCP/127.0.0.1/9090", "TCP/127.0.0.1/9191", "TCP/127.0.1.1/8080"],
            True,
        ),
        ("same ports on different protocols", ["TCP/127.0.0.1/80"], ["UDP/127.0.0.1/80"], True),
        ("conflicting ports", ["TCP/127.0.0.1/80"], ["TCP/127.0.0.1/80"], False),
        (
            "multiple ports, some conflicting",
            ["TCP/127.0.0.1/80", "TCP/127.0.1.1/80", "TCP/127.0.1.1/90", "TCP/127.0.1.1/100"],
            ["TCP/127.0.0.1/9090", "TCP/127.0.1.1/90", "TCP/127.0.1.1/8080"],
            False,
        ),
    ],
)
def test_fits(desc: str, wanted: list[str], existing: list[str], fits: bool) -> None:
    plugin, state, p = NodePorts(), CycleState(), pod(*wanted)
    plugin.pre_filter(state, p, [])
    assert plugin.filter(state, p, node_with(*existing)).ok is fits, desc


def test_a_port_is_free_again_only_when_its_last_holder_leaves() -> None:
    info = node_with()
    info.add_pod("default/a", pod("TCP/0.0.0.0/8080", name="a"))
    info.add_pod("default/b", pod("TCP/0.0.0.0/8080", name="b"))  # bound by nodeName, past the scheduler
    info.remove_pod("default/a")
    assert conflicts(info.used_ports, ("0.0.0.0", "TCP", 8080))
    info.remove_pod("default/b")
    assert not conflicts(info.used_ports, ("0.0.0.0", "TCP", 8080))
    assert info.used_ports == {}


@pytest.mark.parametrize(
    ("name", "deleted", "hint"),
    [
        ("skip-queue-on-unscheduled", pod("TCP//8080", name="d"), QUEUE_SKIP),
        ("skip-queue-on-non-hostport", pod(name="d", nodeName="fake-node"), QUEUE_SKIP),
        ("skip-queue-on-unrelated-hostport", pod("TCP//8081", name="d", nodeName="fake-node"), QUEUE_SKIP),
        ("queue-on-released-hostport", pod("TCP//8080", name="d", nodeName="fake-node"), QUEUE),
    ],
)
def test_is_schedulable_after_pod_deleted(name: str, deleted: dict, hint: str) -> None:
    waiting = pod("TCP//8080")
    assert NodePorts().is_schedulable_after_pod_deleted(waiting, deleted, None) == hint, name


def one_worker(monkeypatch: pytest.MonkeyPatch) -> Cluster:
    """The default lab with its control-plane node and worker-1 only."""
    load = scenarios.load

    def trimmed(name: str) -> scenarios.Scenario:
        scenario = load(name)
        scenario.nodes = [n for n in scenario.nodes if n.name in ("control-plane", "worker-1")]
        return scenario

    monkeypatch.setattr(scenarios, "load", trimmed)
    return Cluster(seed=7)


def host_port_pod(name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "containers": [
                {"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80, "hostPort": 8080}]}
            ]
        },
    }


def test_second_host_port_pod_waits_for_the_port(monkeypatch: pytest.MonkeyPatch) -> None:
    c = one_worker(monkeypatch)
    c.apply(host_port_pod("first"))
    c.advance(1)
    assert c.get("pod", "first")["spec"]["nodeName"] == "worker-1"
    c.apply(host_port_pod("second"))
    c.advance(5)
    second = c.get("pod", "second")
    assert not second["spec"].get("nodeName")
    expected = (
        "0/2 nodes are available: 1 node(s) didn't have free ports for the requested pod ports, "
        "1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. "
        "preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, "
        "1 Preemption is not helpful for scheduling.."
    )
    failed = [
        e["message"]
        for e in c.events()
        if e["reason"] == "FailedScheduling" and e["involvedObject"]["name"] == "second"
    ]
    assert failed == [expected]
    cond = next(x for x in second["status"]["conditions"] if x["type"] == "PodScheduled")
    assert (cond["status"], cond["reason"], cond["message"]) == ("False", "Unschedulable", expected)
    diagnosis = c.scheduling_diagnosis("second")
    assert diagnosis is not None
    assert diagnosis.node_status["worker-1"].plugin == "NodePorts"
    # a pod without host ports is not NodePorts' business: its Filter does not run for it
    c.apply({**host_port_pod("plain"), "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}})
    c.advance(1)
    plain = c.scheduling_diagnosis("plain")
    assert plain is not None and "NodePorts" in plain.skipped_filter_plugins
    assert c.get("pod", "plain")["spec"]["nodeName"] == "worker-1"
    # Deleting the holder frees the port once its container has stopped (0.2 s after SIGTERM)
    # and the kubelet has removed the pod at 7.2: that deletion moves the waiting pod out of
    # the unschedulable pool (after whatever backoff its attempts so far have earned, at most
    # 10 s) and it is placed.
    assert c.now == 7.0
    c.delete("pod", "first")
    c.advance(0.15)
    assert not c.get("pod", "second")["spec"].get("nodeName")
    c.advance(11)
    placed = c.scheduling_diagnosis("second")
    assert placed is not None and placed.selected == "worker-1" and placed.time >= 7.2
    assert c.get("pod", "second")["spec"]["nodeName"] == "worker-1"
