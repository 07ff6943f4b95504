"""The kubelet's liveness, readiness and startup probes on the virtual clock: the Kubernetes
docs' examples as-is, thresholds, startup gating, readiness in EndpointSlices, the kubelet's
exact event texts."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from clusterlab.engine import Invalid
from clusterlab.engine.printers import pod_restarts

CREATE_START = 0.1 + 0.2  # the runtime's create and start


def _pod(name: str, image: str, container: dict[str, Any], policy: str = "Always", labels=None) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels or {"test": "liveness"}},
        "spec": {"restartPolicy": policy, "containers": [{"name": "app", "image": image, **container}]},
    }


class Spy:
    """What the pod's kubelet records, with the exact virtual time."""

    def __init__(self, cluster, name: str) -> None:
        self.cluster, self.name = cluster, name
        self.events: list[tuple[float, str, str]] = []
        self.kubelet = None

    def attach(self) -> Any:
        node = self.cluster.get("pod", self.name)["spec"]["nodeName"]
        self.kubelet = self.cluster.kubelets[node]
        original = self.kubelet.recorder.event

        def event(obj, etype, reason, message, field_path=None):
            if obj["metadata"].get("name") == self.name:
                self.events.append((round(self.cluster.now, 6), reason, message))
            original(obj, etype, reason, message, field_path)

        self.kubelet.recorder.event = event
        return self.kubelet

    def times(self, reason: str) -> list[float]:
        return [t for t, r, _ in self.events if r == reason]

    def messages(self, reason: str) -> list[str]:
        return [m for _, r, m in self.events if r == reason]


def _start(cluster, pod: dict) -> Spy:
    """Apply `pod` well after the kubelets started (no start-up jitter) and follow it."""
    cluster.advance(30)
    spy = Spy(cluster, pod["metadata"]["name"])
    cluster.apply(pod)
    cluster.advance(0.05)  # scheduled and admitted; the image pull has not finished
    spy.attach()
    return spy


def _workers(spy: Spy) -> dict[str, Any]:
    return {w.kind: w for w in spy.kubelet.probe_workers[f"default/{spy.name}"]}


def _starts(spy: Spy) -> list[float]:
    """When the runtime started the pod's containers (the kubelet's `Started` events: other
    pods, CoreDNS's, share the node's runtime)."""
    return sorted(spy.times("Started"))


def _ticks(first: float, period: float, until: float) -> list[float]:
    out, t = [], first
    while t <= until:
        out.append(round(t, 6))
        t += period
    return out


def test_probe_fields_are_defaulted(cluster):
    pod = _pod(
        "d",
        "nginx:1.27",
        {"livenessProbe": {"httpGet": {"port": 80}}, "readinessProbe": {"exec": {"command": ["true"]}}},
    )
    cluster.apply(pod)
    spec = cluster.get("pod", "d")["spec"]["containers"][0]
    assert spec["livenessProbe"] == {
        "httpGet": {"port": 80, "path": "/", "scheme": "HTTP"},
        "timeoutSeconds": 1,
        "periodSeconds": 10,
        "successThreshold": 1,
        "failureThreshold": 3,
    }
    assert (
        spec["readinessProbe"]["periodSeconds"] == 10 and "initialDelaySeconds" not in spec["readinessProbe"]
    )


def test_exec_liveness_docs_example_restarts_the_container(cluster):
    # exec-liveness.yaml from the docs, as-is
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"labels": {"test": "liveness"}, "name": "liveness-exec"},
        "spec": {
            "containers": [
                {
                    "name": "liveness",
                    "image": "registry.k8s.io/busybox:1.27.2",
                    "args": ["/bin/sh", "-c", "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"],
                    "livenessProbe": {
                        "exec": {"command": ["cat", "/tmp/healthy"]},
                        "initialDelaySeconds": 5,
                        "periodSeconds": 5,
                    },
                }
            ]
        },
    }
    spy = _start(cluster, pod)
    admitted = round(cluster.now - 0.05, 6)  # the worker probes from the pod's admission on
    cluster.advance(100)
    first_start = _starts(spy)[0]
    ticks = _ticks(admitted, 5, first_start + 100)
    failing = [t for t in ticks if t > first_start + 30][:3]
    assert spy.times("Unhealthy")[:3] == pytest.approx(failing)
    assert spy.messages("Unhealthy")[0] == (
        "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory\n"
    )
    kill = failing[2]
    assert 35 <= kill - first_start <= 45  # the docs: restarted after about 35-40 s
    assert spy.times("Killing") == pytest.approx([kill])
    assert spy.messages("Killing") == ["Container liveness failed liveness probe, will be restarted"]
    # sh as PID 1 ignores SIGTERM: SIGKILL after the 30 s grace period, then the same sync
    # starts it again (the first kill: no earlier exit, so no backoff)
    assert _starts(spy)[1] == pytest.approx(kill + 30 + CREATE_START)
    p = cluster.get("pod", "liveness-exec")
    status = p["status"]["containerStatuses"][0]
    assert pod_restarts(p) == 1 and status["ready"] is True
    last = status["lastState"]["terminated"]
    assert (last["exitCode"], last["reason"]) == (137, "Error")


def test_http_liveness_agnhost_fails_after_ten_seconds(cluster):
    # http-liveness.yaml from the docs, as-is
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"labels": {"test": "liveness"}, "name": "liveness-http"},
        "spec": {
            "containers": [
                {
                    "name": "liveness",
                    "image": "registry.k8s.io/e2e-test-images/agnhost:2.40",
                    "args": ["liveness"],
                    "livenessProbe": {
                        "httpGet": {
                            "path": "/healthz",
                            "port": 8080,
                            "httpHeaders": [{"name": "Custom-Header", "value": "Awesome"}],
                        },
                        "initialDelaySeconds": 3,
                        "periodSeconds": 3,
                    },
                }
            ]
        },
    }
    spy = _start(cluster, pod)
    admitted = round(cluster.now - 0.05, 6)
    cluster.advance(30)
    start = _starts(spy)[0]
    # /healthz answers 200 while at most 10 s have passed since the server started
    failing = [t for t in _ticks(admitted, 3, start + 30) if t - start > 10][:3]
    assert spy.times("Unhealthy")[:3] == pytest.approx(failing)
    assert set(spy.messages("Unhealthy")) == {"Liveness probe failed: HTTP probe failed with statuscode: 500"}
    assert spy.times("Killing") == pytest.approx([failing[2]])
    # a Go server as PID 1 exits on SIGTERM at once, with status 2
    assert _starts(spy)[1] == pytest.approx(failing[2] + CREATE_START)
    last = cluster.get("pod", "liveness-http")["status"]["containerStatuses"][0]["lastState"]["terminated"]
    assert (last["exitCode"], last["reason"]) == (2, "Error")


def test_repeated_liveness_kills_end_in_crash_loop_back_off(cluster):
    pod = _pod(
        "flaky",
        "registry.k8s.io/e2e-test-images/agnhost:2.40",
        {
            "args": ["liveness"],
            "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 3},
        },
    )
    spy = _start(cluster, pod)
    cluster.advance(120)
    kills = spy.times("Killing")
    starts = _starts(spy)
    # doBackOff judges each restart on the exit before the kill: kill 1 (no earlier exit) → at
    # once; kill 2 → backoff 10 s from exit 1, long passed → at once (next: 10 s); kill 3 →
    # at once (next: 20 s); kill 4 comes 18 s after exit 3, within 20 s → CrashLoopBackOff,
    # and the restart waits 20 s from its own exit
    gaps = [round(s - k, 6) for k, s in zip(kills, starts[1:], strict=False)]
    assert [round(b - a, 6) for a, b in itertools.pairwise(kills)][:3] == pytest.approx([18] * 3)
    assert gaps[:3] == pytest.approx([CREATE_START] * 3)
    assert gaps[3] == pytest.approx(20 + CREATE_START)
    backoff = [m for m in spy.messages("BackOff")]
    assert backoff and backoff[0].startswith("Back-off restarting failed container app in pod flaky_default(")


def test_tcp_liveness_readiness_goproxy(cluster):
    # tcp-liveness-readiness.yaml from the docs, as-is
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "goproxy", "labels": {"app": "goproxy"}},
        "spec": {
            "containers": [
                {
                    "name": "goproxy",
                    "image": "registry.k8s.io/goproxy:0.1",
                    "ports": [{"containerPort": 8080}],
                    "readinessProbe": {
                        "tcpSocket": {"port": 8080},
                        "initialDelaySeconds": 5,
                        "periodSeconds": 10,
                    },
                    "livenessProbe": {
                        "tcpSocket": {"port": 8080},
                        "initialDelaySeconds": 15,
                        "periodSeconds": 20,
                    },
                }
            ]
        },
    }
    spy = _start(cluster, pod)
    admitted = round(cluster.now - 0.05, 6)
    start = None
    while cluster.now < admitted + 60:
        cluster.advance(0.1)
        status = cluster.get("pod", "goproxy")["status"]
        cs = (status.get("containerStatuses") or [{}])[0]
        if start is None and cs.get("state", {}).get("running"):
            start = _starts(spy)[0]
            assert cs["ready"] is False  # readiness starts out as Failure
        if cs.get("ready"):
            break
    ready_at = next(t for t in _ticks(admitted, 10, admitted + 60) if t - start >= 5)
    assert cluster.now == pytest.approx(ready_at, abs=0.11)
    ready = next(c for c in cluster.get("pod", "goproxy")["status"]["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "True"
    cluster.advance(120)
    assert spy.messages("Unhealthy") == [] and pod_restarts(cluster.get("pod", "goproxy")) == 0


def test_readiness_flips_the_endpoint_in_the_endpointslice(cluster):
    script = "touch /tmp/ready; sleep 30; rm /tmp/ready; sleep 30; touch /tmp/ready; sleep 3600"
    pod = _pod(
        "backend",
        "busybox:1.36",
        {
            "command": ["sh", "-c", script],
            "readinessProbe": {"exec": {"command": ["cat", "/tmp/ready"]}, "periodSeconds": 5},
        },
        labels={"app": "backend"},
    )
    cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "backend"},
            "spec": {"selector": {"app": "backend"}, "ports": [{"port": 80}]},
        }
    )
    spy = _start(cluster, pod)
    admitted = round(cluster.now - 0.05, 6)

    def endpoint_ready() -> bool | None:
        slices = cluster.list("endpointslices", "default", selector="kubernetes.io/service-name=backend")
        endpoints = [e for s in slices for e in s.get("endpoints") or ()]
        return endpoints[0]["conditions"]["ready"] if endpoints else None

    seen: list[bool | None] = []
    for _ in range(900):
        cluster.advance(0.1)
        value = endpoint_ready()
        if not seen or seen[-1] != value:
            seen.append(value)
    assert seen == [None, False, True, False, True]
    start = _starts(spy)[0]
    # every tick between the rm (30 s after start) and the next touch (60 s) fails; the third
    # in a row (failureThreshold 3) makes it unready, and the pod sync that reports that runs
    # the readiness probe once more at once (UpdatePodStatus's manual trigger)
    failing = [t for t in _ticks(admitted, 5, start + 90) if start + 30 < t < start + 60]
    assert spy.times("Unhealthy") == pytest.approx([*failing[:3], failing[2], *failing[3:]])
    assert spy.messages("Unhealthy")[0] == (
        "Readiness probe failed: cat: can't open '/tmp/ready': No such file or directory\n"
    )
    assert spy.messages("Killing") == []  # readiness never restarts anything


def test_startup_probe_gates_liveness_and_kills_when_it_fails(cluster):
    pod = _pod(
        "slow",
        "nginx:1.27",
        {
            "startupProbe": {"httpGet": {"path": "/starting", "port": 80}, "periodSeconds": 2},
            "livenessProbe": {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 2},
        },
    )
    spy = _start(cluster, pod)
    # seed 7: the container starts at 34.313 s (its pull took 3.513 s); the startup probe's ticks
    # at 36, 38 and 40 s fail, and the third failure kills it
    cluster.advance(10)
    status = cluster.get("pod", "slow")["status"]["containerStatuses"][0]
    assert status["started"] is False and status["ready"] is False
    messages = spy.messages("Unhealthy")
    assert messages[:3] == ["Startup probe failed: HTTP probe failed with statuscode: 404"] * 3
    assert spy.messages("Killing") == ["Container app failed startup probe, will be restarted"]
    assert not any(m.startswith("Liveness") for m in messages)  # liveness waits for startup


def test_startup_success_then_liveness_runs(cluster):
    pod = _pod(
        "gated",
        "nginx:1.27",
        {
            "startupProbe": {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 3},
            "livenessProbe": {"httpGet": {"path": "/healthz", "port": 80}, "periodSeconds": 3},
        },
    )
    spy = _start(cluster, pod)
    cluster.advance(20)
    first = spy.messages("Unhealthy")[0]
    assert first == "Liveness probe failed: HTTP probe failed with statuscode: 404"
    started_at = min(spy.times("Unhealthy"))
    # the startup probe succeeded on one tick; liveness runs from the next tick on
    assert (started_at - (cluster.now - 20 - 0.05)) % 3 == pytest.approx(0, abs=1e-6)


def test_restart_policy_never_fails_the_pod_on_liveness_failure(cluster):
    pod = _pod(
        "once",
        "nginx:1.27",
        {"livenessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 1, "failureThreshold": 2}},
        policy="Never",
    )
    spy = _start(cluster, pod)
    cluster.advance(10)
    assert spy.messages("Unhealthy")[0].startswith("Liveness probe failed: dial tcp 10.")
    assert spy.messages("Unhealthy")[0].endswith(":8080: connect: connection refused")
    assert spy.messages("Killing") == ["Container app failed liveness probe"]
    p = cluster.get("pod", "once")
    # nginx exits 0 on its stop signal: the pod completes
    assert p["status"]["phase"] == "Succeeded" and pod_restarts(p) == 0


def test_thresholds_count_results_in_a_row(cluster):
    pod = _pod(
        "counted",
        "nginx:1.27",
        {"readinessProbe": {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 2, "successThreshold": 3}},
    )
    spy = _start(cluster, pod)
    admitted = round(cluster.now - 0.05, 6)
    became_ready = None
    while cluster.now < admitted + 20:
        cluster.advance(0.1)
        if cluster.get("pod", "counted")["status"]["containerStatuses"][0]["ready"]:
            became_ready = cluster.now
            break
    start = _starts(spy)[0]
    # the status after the start triggers one run (success 1), then ticks every 2 s: 2, 3
    ticks = [t for t in _ticks(admitted, 2, admitted + 20) if t > start]
    assert became_ready == pytest.approx(ticks[1], abs=0.11)


def test_grpc_probe_on_a_non_grpc_server_and_the_docs_etcd(cluster):
    pod = _pod("rpc", "nginx:1.27", {"livenessProbe": {"grpc": {"port": 80}, "periodSeconds": 2}})
    spy = _start(cluster, pod)
    cluster.advance(6)  # seed 7: nginx starts at 34.313 s; the first probe after it is at 36 s
    assert spy.messages("Unhealthy")[0] == (
        "Liveness probe failed: error: health rpc probe failed: rpc error: code = Unavailable desc = "
        'connection error: desc = "error reading server preface: http2: frame too large"'
    )
    etcd = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "etcd-with-grpc"},
        "spec": {
            "containers": [
                {
                    "name": "etcd",
                    "image": "registry.k8s.io/etcd:3.5.1-0",
                    "command": ["/usr/local/bin/etcd", "--data-dir", "/var/lib/etcd"],
                    "ports": [{"containerPort": 2379}],
                    "livenessProbe": {"grpc": {"port": 2379}, "initialDelaySeconds": 10},
                }
            ]
        },
    }
    spy = _start(cluster, etcd)
    cluster.advance(60)
    assert spy.messages("Unhealthy") == [] and pod_restarts(cluster.get("pod", "etcd-with-grpc")) == 0


@pytest.mark.parametrize(
    ("probes", "causes"),
    [
        (
            {"livenessProbe": {"exec": {"command": ["true"]}, "successThreshold": 2}},
            ["livenessProbe.successThreshold: Invalid value: 2: must be 1"],
        ),
        (
            {"startupProbe": {"periodSeconds": 3}},
            ["startupProbe: Required value: must specify a handler type"],
        ),
        (
            {"readinessProbe": {"tcpSocket": {"port": 80}, "grpc": {"port": 80}}},
            ["readinessProbe.grpc: Forbidden: may not specify more than 1 handler type"],
        ),
        (
            {"readinessProbe": {"httpGet": {"port": 70000}, "terminationGracePeriodSeconds": 5}},
            [
                "readinessProbe.httpGet.port: Invalid value: 70000: must be between 1 and 65535, inclusive",
                "readinessProbe.terminationGracePeriodSeconds: Invalid value: 5: "
                "must not be set for readinessProbes",
            ],
        ),
    ],
)
def test_invalid_probes_are_refused_with_the_api_servers_words(cluster, probes, causes):
    with pytest.raises(Invalid) as err:
        cluster.apply(_pod("bad", "nginx:1.27", probes))
    expected = ", ".join(f"spec.containers[0].{c}" for c in causes)
    if len(causes) > 1:
        expected = f"[{expected}]"
    assert err.value.message == f'Pod "bad" is invalid: {expected}'


def test_an_exec_probe_running_past_its_timeout_fails_when_the_timeout_ends(cluster):
    pod = _pod(
        "sluggish",
        "busybox:1.36",
        {
            "command": ["sh", "-c", "sleep 3600"],
            "readinessProbe": {"exec": {"command": ["sleep", "5"]}, "periodSeconds": 10, "timeoutSeconds": 2},
        },
    )
    spy = _start(cluster, pod)
    admitted = round(cluster.now - 0.05, 6)
    cluster.advance(25)
    start = _starts(spy)[0]
    # the status after the start runs it at once; then every 10 s; each result 2 s later
    runs = [start] + [t for t in _ticks(admitted, 10, admitted + 25) if t > start]
    ended = [t + 2 for t in runs if t + 2 <= cluster.now]
    assert spy.times("Unhealthy") == pytest.approx(ended)
    assert set(spy.messages("Unhealthy")) == {'Readiness probe failed: command "sleep 5" timed out'}


def test_mysql_is_ready_once_it_accepts_connections(cluster):
    pod = _pod(
        "db",
        "mysql:8.4",
        {
            "env": [{"name": "MYSQL_ROOT_PASSWORD", "value": "secret"}],
            "readinessProbe": {"tcpSocket": {"port": 3306}, "periodSeconds": 2},
        },
    )
    spy = _start(cluster, pod)
    cluster.advance(40)
    start = _starts(spy)[0]
    ip = cluster.get("pod", "db")["status"]["podIP"]
    assert set(spy.messages("Unhealthy")) == {
        f"Readiness probe failed: dial tcp {ip}:3306: connect: connection refused"
    }
    assert all(t < start + 9 for t in spy.times("Unhealthy"))  # listening 9 s after start
    assert cluster.get("pod", "db")["status"]["containerStatuses"][0]["ready"] is True


def test_a_restarted_kubelet_probes_its_adopted_pods_again(cluster):
    pod = _pod(
        "kept",
        "nginx:1.27",
        {
            "readinessProbe": {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 5},
            "livenessProbe": {"httpGet": {"path": "/gone", "port": 80}, "periodSeconds": 5},
        },
    )
    spy = _start(cluster, pod)
    cluster.advance(8)
    kubelet = spy.kubelet
    kubelet.stop(keep_containers=True)
    cluster.advance(60)
    assert spy.messages("Killing") == []  # nobody probes while the kubelet is down
    kubelet.start()
    assert [w.kind for w in kubelet.probe_workers["default/kept"]] == ["readiness", "liveness"]
    cluster.advance(30)
    assert spy.messages("Killing")[0] == "Container app failed liveness probe, will be restarted"
    assert cluster.get("pod", "kept")["status"]["containerStatuses"][0]["ready"] is True


def test_a_deployment_is_available_only_when_its_pods_pass_readiness(cluster):
    from .conftest import web

    broken, working = web(2, name="broken"), web(2, name="working")
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"] = {
        "httpGet": {"path": "/nope", "port": 80}
    }
    working["spec"]["template"]["spec"]["containers"][0]["readinessProbe"] = {
        "httpGet": {"path": "/", "port": 80}
    }
    cluster.apply(broken)
    cluster.apply(working)
    cluster.advance(60)
    assert cluster.get("deployment", "broken")["status"].get("availableReplicas", 0) == 0
    assert cluster.get("deployment", "working")["status"]["availableReplicas"] == 2
    unhealthy = {e["message"] for e in cluster.events() if e["reason"] == "Unhealthy"}
    assert unhealthy == {"Readiness probe failed: HTTP probe failed with statuscode: 404"}
