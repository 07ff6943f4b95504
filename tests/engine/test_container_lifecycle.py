"""Containers as the real images behave: exits, restart policies, CrashLoopBackOff, OOMKilled,
init containers, graceful termination and `logs --previous`, on the virtual clock."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from clusterlab.engine import BadRequest
from clusterlab.engine.audit import User
from clusterlab.engine.node.crash_backoff import CrashBackoff
from clusterlab.engine.printers import pod_ready, pod_restarts, pod_status

from .conftest import events_for, run_until

ADMIN = User("kubernetes-admin", "kubectl")
CREATE_START = 0.1 + 0.2  # the runtime's create and start
PLEG = 1.0


def _pod(
    name: str, command: list[str] | None, policy: str = "Always", image: str = "busybox:1.36", **spec: Any
):
    container: dict[str, Any] = {"name": "app", "image": image}
    if command is not None:
        container["command"] = command
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"restartPolicy": policy, "containers": [container], **spec},
    }


def _kubelet(cluster, name):
    return cluster.kubelets[cluster.get("pod", name)["spec"]["nodeName"]]


def _starts(cluster, name):
    """When each instance of the pod's containers started (the node's other pods — add-ons
    placed there — left out; their containers run from the start without restarting)."""
    kubelet = _kubelet(cluster, name)
    others = {
        c.container_id
        for key, st in kubelet.pods.items()
        if key != f"default/{name}"
        for c in st.all_containers()
        if c.container_id
    }
    return sorted(t for cid, t in kubelet.runtime.started.items() if cid not in others)


def _watch(cluster, name, seconds, step=0.5):
    """The (STATUS, RESTARTS) pairs a `kubectl get pod -w` would show, in order."""
    seen: list[tuple[str, int]] = []
    end = cluster.now + seconds
    while cluster.now < end:
        cluster.advance(step)
        p = cluster.get("pod", name)
        row = (pod_status(p), pod_restarts(p))
        if not seen or seen[-1] != row:
            seen.append(row)
    return seen


def test_crash_loop_backoff_doubles_from_ten_seconds_to_five_minutes(cluster):
    cluster.apply(_pod("crash", ["sh", "-c", "echo boom; exit 1"]))
    cluster.advance(950)
    starts = _starts(cluster, "crash")
    # exit 1 ends each instance as it starts: the first restart follows the exit as soon as the
    # PLEG notices it; each later one waits 10 s, 20 s, 40 s … capped at 300 s after the exit.
    gaps = [round(b - a, 6) for a, b in itertools.pairwise(starts)]
    expected = [PLEG + CREATE_START] + [d + CREATE_START for d in (10, 20, 40, 80, 160, 300, 300)]
    assert gaps[: len(expected)] == pytest.approx(expected)
    p = cluster.get("pod", "crash")
    status = p["status"]["containerStatuses"][0]
    assert p["status"]["phase"] == "Running"  # restartPolicy Always: restarting, not failed
    waiting = status["state"]["waiting"]
    assert waiting["reason"] == "CrashLoopBackOff"
    uid = p["metadata"]["uid"]
    assert waiting["message"] == f"back-off 5m0s restarting failed container=app pod=crash_default({uid})"
    assert status["lastState"]["terminated"]["exitCode"] == 1
    assert status["lastState"]["terminated"]["reason"] == "Error"
    backoffs = [e for e in events_for(cluster, "crash") if e["reason"] == "BackOff"]
    assert backoffs[0]["type"] == "Warning"
    assert backoffs[0]["message"] == f"Back-off restarting failed container app in pod crash_default({uid})"
    assert backoffs[0]["involvedObject"]["fieldPath"] == "spec.containers{app}"


def test_kubectl_sees_error_then_crash_loop_back_off(cluster):
    cluster.apply(_pod("crash", ["sh", "-c", "exit 1"]))
    rows = _watch(cluster, "crash", 50)
    assert rows == [
        ("ContainerCreating", 0),
        ("Error", 0),
        ("Error", 1),
        ("CrashLoopBackOff", 1),
        ("Error", 2),
        ("CrashLoopBackOff", 2),
        ("Error", 3),
        ("CrashLoopBackOff", 3),
    ]


def test_backoff_resets_after_ten_minutes_of_running():
    b = CrashBackoff()
    b.next("k", 0.0, 1.0)  # first crash: restart at once, next backoff 10 s
    assert b.in_backoff("k", 5.0, 6.0) and not b.in_backoff("k", 5.0, 15.0)
    b.next("k", 5.0, 15.0)
    assert b.get("k") == 20
    # ran for more than 2 × 300 s since the last restart: a crash counts as the first again
    assert not b.in_backoff("k", 700.0, 701.0)
    b.next("k", 700.0, 701.0)
    assert b.get("k") == 10


def test_a_container_that_ran_over_ten_minutes_restarts_at_once_each_time(cluster):
    cluster.apply(_pod("slow", ["sh", "-c", "sleep 610; exit 1"]))
    cluster.advance(1300)
    starts = _starts(cluster, "slow")
    gaps = [round(b - a, 6) for a, b in itertools.pairwise(starts)]
    assert gaps == pytest.approx([610 + PLEG + CREATE_START] * 2)
    assert pod_restarts(cluster.get("pod", "slow")) == 2


@pytest.mark.parametrize("policy", ["Never", "OnFailure"])
def test_a_job_like_pod_that_exits_zero_succeeds(cluster, policy):
    cluster.apply(_pod("once", ["sh", "-c", "echo done; exit 0"], policy))
    run_until(cluster, lambda: cluster.get("pod", "once")["status"]["phase"] == "Succeeded", limit=10)
    p = cluster.get("pod", "once")
    assert (pod_status(p), pod_ready(p), pod_restarts(p)) == ("Completed", "0/1", 0)
    term = p["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (term["exitCode"], term["reason"]) == (0, "Completed")
    ready = next(c for c in p["status"]["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "PodCompleted")
    assert cluster.server.pod_log(ADMIN, "once", "default") == "done\n"
    cluster.advance(60)
    assert pod_restarts(cluster.get("pod", "once")) == 0


def test_never_with_a_failure_fails_the_pod_and_on_failure_restarts_it(cluster):
    cluster.apply(_pod("never", ["sh", "-c", "exit 3"], "Never"))
    cluster.apply(_pod("onfail", ["sh", "-c", "exit 3"], "OnFailure"))
    cluster.advance(30)
    never, onfail = cluster.get("pod", "never"), cluster.get("pod", "onfail")
    assert never["status"]["phase"] == "Failed" and pod_status(never) == "Error"
    assert never["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 3
    ready = next(c for c in never["status"]["conditions"] if c["type"] == "Ready")
    assert ready["reason"] == "PodFailed"
    assert onfail["status"]["phase"] == "Running" and pod_restarts(onfail) >= 2


def test_memory_over_the_limit_is_oom_killed_then_crash_loops(cluster):
    # the docs' assign-memory-resource task, memory-request-limit-2.yaml as-is
    cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "memory-demo-2"},
            "spec": {
                "containers": [
                    {
                        "name": "memory-demo-2-ctr",
                        "image": "polinux/stress",
                        "resources": {"requests": {"memory": "50Mi"}, "limits": {"memory": "100Mi"}},
                        "command": ["stress"],
                        "args": ["--vm", "1", "--vm-bytes", "250M", "--vm-hang", "1"],
                    }
                ]
            },
        }
    )
    rows = _watch(cluster, "memory-demo-2", 40)
    assert ("OOMKilled", 0) in rows and ("OOMKilled", 1) in rows and ("CrashLoopBackOff", 1) in rows
    assert rows.index(("OOMKilled", 1)) < rows.index(("CrashLoopBackOff", 1))
    last = cluster.get("pod", "memory-demo-2")["status"]["containerStatuses"][0]["lastState"]["terminated"]
    assert (last["exitCode"], last["reason"]) == (137, "OOMKilled")
    log = cluster.server.pod_log(ADMIN, "memory-demo-2", "default", previous=True)
    assert log == "stress: info: [1] dispatching hogs: 0 cpu, 0 io, 1 vm, 0 hdd\n"


def test_memory_within_the_limit_keeps_running(cluster):
    pod = _pod("memory-demo", ["stress"], image="polinux/stress")
    pod["spec"]["containers"][0]["args"] = ["--vm", "1", "--vm-bytes", "150M", "--vm-hang", "1"]
    pod["spec"]["containers"][0]["resources"] = {"limits": {"memory": "200Mi"}}
    cluster.apply(pod)
    cluster.advance(60)
    assert (
        pod_status(cluster.get("pod", "memory-demo")),
        pod_restarts(cluster.get("pod", "memory-demo")),
    ) == (
        "Running",
        0,
    )


def _init_pod(first: str = "sleep 2", policy: str = "Always"):
    # the docs' init-containers example, with short waits instead of nslookup loops
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "myapp-pod"},
        "spec": {
            "restartPolicy": policy,
            "containers": [
                {
                    "name": "myapp-container",
                    "image": "busybox:1.28",
                    "command": ["sh", "-c", "echo The app is running! && sleep 3600"],
                }
            ],
            "initContainers": [
                {"name": "init-myservice", "image": "busybox:1.28", "command": ["sh", "-c", first]},
                {"name": "init-mydb", "image": "busybox:1.28", "command": ["sh", "-c", "sleep 3"]},
            ],
        },
    }


def test_init_containers_run_in_order_to_completion_first(cluster):
    cluster.apply(_init_pod())
    rows = _watch(cluster, "myapp-pod", 15)
    assert [r[0] for r in rows] == ["Init:0/2", "Init:1/2", "PodInitializing", "Running"]
    started = [
        e["involvedObject"]["fieldPath"] for e in events_for(cluster, "myapp-pod") if e["reason"] == "Started"
    ]
    assert started == [
        "spec.initContainers{init-myservice}",
        "spec.initContainers{init-mydb}",
        "spec.containers{myapp-container}",
    ]
    p = cluster.get("pod", "myapp-pod")
    done = p["status"]["initContainerStatuses"][0]
    assert done["state"]["terminated"]["reason"] == "Completed" and done["ready"] is True
    assert cluster.server.pod_log(ADMIN, "myapp-pod", "default") == "The app is running!\n"


def test_init_container_status_while_waiting(cluster):
    cluster.apply(_init_pod(first="sleep 60"))
    cluster.advance(10)
    p = cluster.get("pod", "myapp-pod")
    assert pod_status(p) == "Init:0/2" and p["status"]["phase"] == "Pending"
    initialized = next(c for c in p["status"]["conditions"] if c["type"] == "Initialized")
    assert initialized == {
        "type": "Initialized",
        "status": "False",
        "lastProbeTime": None,
        "lastTransitionTime": initialized["lastTransitionTime"],
        "reason": "ContainersNotInitialized",
        "message": "containers with incomplete status: [init-myservice init-mydb]",
    }
    assert p["status"]["containerStatuses"][0]["state"] == {"waiting": {"reason": "PodInitializing"}}


def test_failing_init_container_crash_loops_or_fails_the_pod(cluster):
    cluster.apply(_init_pod(first="exit 1"))
    rows = _watch(cluster, "myapp-pod", 30)
    assert ("Init:Error", 0) in rows and ("Init:CrashLoopBackOff", 1) in rows
    cluster.delete("pod", "myapp-pod")
    cluster.advance(40)
    cluster.apply(_init_pod(first="exit 1", policy="Never"))
    cluster.advance(10)
    p = cluster.get("pod", "myapp-pod")
    assert p["status"]["phase"] == "Failed" and pod_status(p) == "Init:Error"
    assert "Started" not in [
        e["reason"]
        for e in events_for(cluster, "myapp-pod")
        if e["involvedObject"].get("fieldPath") == "spec.containers{myapp-container}"
    ]


def _gone_after(cluster, name):
    cluster.delete("pod", name)
    start = cluster.now
    run_until(
        cluster, lambda: not any(p["metadata"]["name"] == name for p in cluster.list("pods", "default"))
    )
    return round(cluster.now - start, 1)


def test_grace_period_nginx_stops_at_once_sleep_is_killed_at_thirty_seconds(cluster):
    cluster.apply(_pod("web", None, image="nginx:1.27"))
    cluster.apply(_pod("sleeper", ["sleep", "3600"]))
    cluster.advance(10)
    assert _gone_after(cluster, "web") == 0.2
    assert _gone_after(cluster, "sleeper") == 30.0
    killing = [e for e in events_for(cluster, "sleeper") if e["reason"] == "Killing"]
    assert killing[0]["message"] == "Stopping container app"


def test_prestop_runs_before_sigterm_and_counts_against_the_grace_period(cluster):
    pod = _pod("web", None, image="nginx:1.27")
    pod["spec"]["containers"][0]["lifecycle"] = {"preStop": {"sleep": {"seconds": 5}}}
    cluster.apply(pod)
    slow = _pod("slow", ["sh", "-c", "sleep 3600"], terminationGracePeriodSeconds=10)
    slow["spec"]["containers"][0]["lifecycle"] = {"preStop": {"exec": {"command": ["sh", "-c", "sleep 20"]}}}
    cluster.apply(slow)
    cluster.advance(10)
    assert _gone_after(cluster, "web") == 5.2
    # the hook takes the whole 10 s: SIGTERM (ignored), then at least 2 more seconds
    assert _gone_after(cluster, "slow") == 12.0


def test_logs_previous_reads_the_last_terminated_instance(cluster):
    cluster.apply(_pod("counter", ["sh", "-c", 'for i in 1 2 3; do echo "line $i"; sleep 1; done; exit 2']))
    with pytest.raises(BadRequest, match='previous terminated container "app" in pod "counter" not found'):
        cluster.advance(3)
        cluster.server.pod_log(ADMIN, "counter", "default", previous=True)
    run_until(cluster, lambda: pod_restarts(cluster.get("pod", "counter")) == 1, limit=20)
    assert cluster.server.pod_log(ADMIN, "counter", "default", previous=True) == "line 1\nline 2\nline 3\n"
    run_until(cluster, lambda: pod_status(cluster.get("pod", "counter")) == "CrashLoopBackOff", limit=30)
    # a waiting container's log is its last terminated instance's
    assert cluster.server.pod_log(ADMIN, "counter", "default") == "line 1\nline 2\nline 3\n"


def test_loop_prints_on_the_clock_and_exec_sees_the_containers_files(cluster):
    cluster.apply(
        _pod(
            "liveness-exec", ["/bin/sh", "-c", "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"]
        )
    )
    cluster.advance(10)
    cat = cluster.server.pod_exec(ADMIN, "liveness-exec", "default", None, ["cat", "/tmp/healthy"], "")
    assert cat.exit_code == 0
    cluster.advance(30)
    cat = cluster.server.pod_exec(ADMIN, "liveness-exec", "default", None, ["cat", "/tmp/healthy"], "")
    assert cat.exit_code == 1


def test_databases_without_a_password_exit_with_their_error(cluster):
    cluster.apply(_pod("pg", None, image="postgres:16"))
    cluster.apply(_pod("db", None, image="mysql:8.0"))
    ok = _pod("pg-ok", None, image="postgres:16")
    ok["spec"]["containers"][0]["env"] = [{"name": "POSTGRES_PASSWORD", "value": "s3cret"}]
    cluster.apply(ok)
    cluster.advance(40)
    pg = cluster.get("pod", "pg")["status"]["containerStatuses"][0]
    assert pg["lastState"]["terminated"]["exitCode"] == 1
    log = cluster.server.pod_log(ADMIN, "pg", "default", previous=True)
    assert log.startswith("Error: Database is uninitialized and superuser password is not specified.\n")
    mysql = cluster.server.pod_log(ADMIN, "db", "default", previous=True)
    assert "[ERROR] [Entrypoint]: Database is uninitialized and password option is not specified" in mysql
    assert mysql.endswith("    - MYSQL_RANDOM_ROOT_PASSWORD\n")
    assert pod_status(cluster.get("pod", "pg-ok")) == "Running"


def test_demo_web_two_point_oh_is_the_broken_release(cluster):
    cluster.apply(_pod("v1", None, image="ghcr.io/clusterlab/demo-web:1.1"))
    cluster.apply(_pod("v2", None, image="ghcr.io/clusterlab/demo-web:2.0"))
    cluster.apply(_pod("nosh", ["sleep", "10"], image="ghcr.io/clusterlab/demo-web:1.0"))
    cluster.advance(30)
    assert pod_status(cluster.get("pod", "v1")) == "Running"
    assert pod_status(cluster.get("pod", "v2")) in ("CrashLoopBackOff", "Error")
    assert "fatal: reading config" in cluster.server.pod_log(ADMIN, "v2", "default", previous=True)
    nosh = cluster.get("pod", "nosh")["status"]["containerStatuses"][0]
    last = nosh["lastState"].get("terminated") or nosh["state"].get("terminated")
    assert (last["exitCode"], last["reason"]) == (128, "StartError")


def _sidecar_pod(app_command: list[str], policy: str = "Always"):
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "with-sidecar"},
        "spec": {
            "restartPolicy": policy,
            "initContainers": [
                {
                    "name": "logshipper",
                    "image": "busybox:1.36",
                    "restartPolicy": "Always",
                    "command": ["sh", "-c", "while true; do echo tick; sleep 5; done"],
                }
            ],
            "containers": [{"name": "app", "image": "busybox:1.36", "command": app_command}],
        },
    }


def test_a_sidecar_starts_first_keeps_running_and_stops_after_the_app(cluster):
    cluster.apply(_sidecar_pod(["sleep", "3600"]))
    cluster.advance(12)
    p = cluster.get("pod", "with-sidecar")
    assert (pod_status(p), pod_ready(p)) == ("Running", "2/2")
    ticks = cluster.server.pod_log(ADMIN, "with-sidecar", "default", "logshipper")
    assert ticks.count("tick\n") == 3  # at 0, 5 and 10 s after it started
    # the app (sleep) ignores SIGTERM and is killed at 30 s; the sidecar then gets what is left
    assert _gone_after(cluster, "with-sidecar") == 32.0


def test_a_job_pod_with_a_sidecar_succeeds_when_its_app_container_does(cluster):
    cluster.apply(_sidecar_pod(["sh", "-c", "sleep 3"], "Never"))
    run_until(cluster, lambda: cluster.get("pod", "with-sidecar")["status"]["phase"] == "Succeeded", limit=15)
    p = cluster.get("pod", "with-sidecar")
    assert p["status"]["initContainerStatuses"][0]["state"]["terminated"]["reason"] == "Completed"


def test_a_container_that_exits_while_the_kubelet_restarts_is_seen_when_it_is_back(cluster):
    cluster.apply(_pod("short", ["sh", "-c", "sleep 5"], "Never"))
    run_until(cluster, lambda: pod_status(cluster.get("pod", "short")) == "Running", limit=10)
    kubelet = _kubelet(cluster, "short")
    kubelet.stop(keep_containers=True)  # `systemctl restart kubelet`: the containers run on
    cluster.advance(10)
    assert pod_status(cluster.get("pod", "short")) == "Running"  # nobody reports the exit yet
    kubelet.start()
    cluster.advance(PLEG + 0.1)
    p = cluster.get("pod", "short")
    assert (p["status"]["phase"], pod_status(p), pod_restarts(p)) == ("Succeeded", "Completed", 0)
