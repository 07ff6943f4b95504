"""pods/exec: commands in containers, and the ways an exec fails on a real cluster."""

import pytest

from clusterlab.engine import ApiError, BadRequest, NotFound
from clusterlab.engine.audit import User

ADMIN = User("kubernetes-admin", "kubectl")
POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "p"},
    "spec": {
        "containers": [{"name": "app", "image": "nginx:1.28", "env": [{"name": "GREETING", "value": "hi"}]}]
    },
}


@pytest.fixture
def running(cluster):
    cluster.apply(POD)
    cluster.advance(10)
    return cluster


def run(c, *argv, stdin=""):
    return c.server.pod_exec(ADMIN, "p", "default", None, list(argv), stdin)


def test_commands_see_the_containers_world(running):
    assert run(running, "hostname").stdout == "p\n"
    assert run(running, "printenv", "GREETING").stdout == "hi\n"
    env = run(running, "env").stdout
    assert "KUBERNETES_SERVICE_HOST=10.96.0.1\n" in env and "NGINX_VERSION=1.28.0\n" in env
    resolv = run(running, "cat", "/etc/resolv.conf").stdout
    assert resolv.startswith("search default.svc.cluster.local svc.cluster.local cluster.local\n")
    assert run(running, "nginx", "-v").stderr == "nginx version: nginx/1.28.0\n"
    assert run(running, "date").stdout == "Thu Jan  1 09:00:10 UTC 2026\n"
    assert run(running, "cat", stdin="abc").stdout == "abc"


def test_shell_chains_and_exit_codes(running):
    r = run(running, "sh", "-c", "echo a && false || echo b; exit 3")
    assert (r.stdout, r.exit_code) == ("a\nb\n", 3)
    r = run(running, "sh", "-c", "nosuch")
    assert (r.stderr, r.exit_code) == ("sh: 1: nosuch: not found\n", 127)
    r = run(running, "cat", "/nope")
    assert (r.stderr, r.exit_code) == ("cat: /nope: No such file or directory\n", 1)


def test_a_missing_program_fails_in_the_runtime(running):
    # the nginx image ships curl but not wget
    with pytest.raises(ApiError, match=r'exec: "wget": executable file not found in \$PATH: unknown'):
        run(running, "wget")


def test_exec_needs_a_running_container_and_a_live_node(cluster):
    cluster.apply(POD)
    cluster.advance(0)
    with pytest.raises(BadRequest, match=r'unable to upgrade connection: container not found \("app"\)'):
        run(cluster, "hostname")
    cluster.advance(10)
    node = cluster.get("pod", "p")["spec"]["nodeName"]
    cluster.kill_node(node)
    with pytest.raises(
        ApiError, match=r"error dialing backend: dial tcp 172\.18\.0\.\d+:10250: connect: no route to host"
    ):
        run(cluster, "hostname")
    with pytest.raises(NotFound):
        cluster.server.pod_exec(ADMIN, "ghost", "default", None, ["hostname"])
    calls = [c for c in cluster.api_calls() if c.resource == "pods/exec"]
    assert [c.code for c in calls] == [400, 500, 404]


def test_listing_shows_the_image_not_just_what_kubernetes_mounted(running):
    root = run(running, "ls", "/").stdout
    assert "docker-entrypoint.sh" in root  # nginx's image
    etc = run(running, "ls", "/etc").stdout.split()
    assert {"hostname", "hosts", "resolv.conf", "os-release", "passwd"} <= set(etc)


def test_sleep_takes_its_time_on_the_lab_clock(running):
    """`kubectl exec p -- sleep 5` answers 5 s later: the exec reports the virtual time it took
    (the API's exec stream waits for the lab's clock to run that long)."""
    done = run(running, "sleep", "5")
    assert (done.exit_code, done.stdout, done.stderr, done.seconds) == (0, "", "", 5.0)
    assert run(running, "sh", "-c", "sleep 1m; sleep 2; echo up").seconds == 62.0
    bad = run(running, "sleep", "soon")
    assert (bad.exit_code, bad.stderr, bad.seconds) == (1, "sleep: invalid number 'soon'\n", 0.0)
    assert run(running, "sleep").stderr == "sleep: missing operand\n"
