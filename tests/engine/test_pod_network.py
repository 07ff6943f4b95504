"""A pod's containers share one network namespace: a sidecar finds the main container on
localhost, and a second server on a taken port fails its bind() and crash-loops."""

from __future__ import annotations

from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.node.pod_network import pod_listener


def _pod(name: str, *containers: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": list(containers)},
    }


class Spy:
    """The kubelet's events for one pod, with the exact virtual time."""

    def __init__(self, cluster: Cluster, name: str) -> None:
        self.cluster, self.name = cluster, name
        self.events: list[tuple[float, str, str]] = []
        self.kubelet = cluster.kubelets[cluster.get("pod", name)["spec"]["nodeName"]]
        original = self.kubelet.recorder.event

        def event(obj, etype, reason, message, field_path=None):  # type: ignore[no-untyped-def]
            if obj["metadata"].get("name") == name:
                self.events.append((round(cluster.now, 6), reason, field_path or ""))
            original(obj, etype, reason, message, field_path)

        self.kubelet.recorder.event = event

    def times(self, reason: str, container: str) -> list[float]:
        return [t for t, r, f in self.events if r == reason and f == f"spec.containers{{{container}}}"]


def test_a_sidecar_reaches_the_main_container_on_localhost(cluster: Cluster) -> None:
    cluster.apply(
        _pod(
            "web",
            {"name": "nginx", "image": "nginx:1.27"},
            {"name": "sidecar", "image": "busybox:1.36", "command": ["sleep", "3600"]},
        )
    )
    cluster.advance(30)
    pod = cluster.get("pod", "web")
    st = cluster.kubelets[pod["spec"]["nodeName"]].pods["default/web"]
    specs = {c["name"]: c for c in pod["spec"]["containers"]}
    found = pod_listener(st.all_containers(), specs, "web", 80, cluster.now)
    assert found is not None
    listener, _elapsed = found
    assert listener.port == 80 and listener.http is not None and listener.http("/", 1.0).status == 200
    assert pod_listener(st.all_containers(), specs, "web", 8080, cluster.now) is None  # refused
    assert all(cs["restartCount"] == 0 for cs in pod["status"]["containerStatuses"])


def test_two_nginx_containers_clash_on_port_80_and_the_second_crash_loops(cluster: Cluster) -> None:
    cluster.advance(30)
    cluster.apply(_pod("two", {"name": "a", "image": "nginx:1.27"}, {"name": "b", "image": "nginx:1.27"}))
    cluster.advance(0.05)
    spy = Spy(cluster, "two")
    cluster.advance(60)
    (a_start,) = spy.times("Started", "a")
    b_starts = [round(t - a_start, 6) for t in spy.times("Started", "b")]
    # b starts right after a (create 0.1 s, start 0.2 s); nginx tries bind() five times, 0.5 s
    # apart, and exits 1 2.6 s after it started; the kubelet restarts it at once, then after
    # 10 s and 20 s of back-off
    assert b_starts == pytest.approx([0.3, 4.2, 17.1, 40.0])
    pod = cluster.get("pod", "two")
    a, b = pod["status"]["containerStatuses"]
    assert a["restartCount"] == 0 and "running" in a["state"] and a["ready"] is True
    assert b["restartCount"] == 3 and b["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert (b["lastState"]["terminated"]["exitCode"], b["lastState"]["terminated"]["reason"]) == (1, "Error")
    runtime = spy.kubelet.runtime
    log = [
        (round(t - a_start, 6), line)
        for t, line in runtime.container_log(b["lastState"]["terminated"]["containerID"])
    ]
    emerg = [(t, line) for t, line in log if "bind()" in line]
    # seed 7: a starts at 34.313 s (its pull took 3.513 s), so b's fourth instance binds at 74.413 s
    assert emerg[:5] == [
        (40.1, "2026/01/01 09:01:14 [emerg] 1#1: bind() to 0.0.0.0:80 failed (98: Address already in use)"),
        (40.1, "nginx: [emerg] bind() to 0.0.0.0:80 failed (98: Address already in use)"),
        (40.1, "2026/01/01 09:01:14 [emerg] 1#1: bind() to [::]:80 failed (98: Address already in use)"),
        (40.1, "nginx: [emerg] bind() to [::]:80 failed (98: Address already in use)"),
        (40.1, "2026/01/01 09:01:14 [notice] 1#1: try again to bind() after 500ms"),
    ]
    assert log[-2:] == [
        (42.6, "2026/01/01 09:01:16 [emerg] 1#1: still could not bind()"),
        (42.6, "nginx: [emerg] still could not bind()"),
    ]
    assert len([line for _, line in log if "try again" in line]) == 5
