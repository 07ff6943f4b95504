"""Name lookups take virtual time when CoreDNS does not answer: each tool waits on its own
schedule — busybox 1.36's nslookup 5 s, bind's 3 tries of 5 s, busybox 1.28's through uClibc
2 × 5 s per lookup, glibc's getaddrinfo (getent, busybox wget) 2 attempts of 5 s per name
and the search list's first name plus the name as given, musl's (curl's image) 5 s — refused
(CoreDNS scaled to 0: kube-proxy REJECTs) or dropped (a default-deny egress policy). Healthy,
they answer at once. A script waits the lookup out on the clock like any blocking program."""

from __future__ import annotations

from datetime import datetime

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.audit import User
from tests.manifests import DOCS_DEFAULT_DENY_EGRESS

ADMIN = User("kubernetes-admin", "kubectl")
TIMEOUT = ";; connection timed out; no servers could be reached\n\n"
IMAGES = {
    "bb": "busybox:1.36",
    "old": "busybox:1.28",
    "dnsutils": "registry.k8s.io/e2e-test-images/jessie-dnsutils:1.3",
    "curl": "curlimages/curl:8.11.1",
    "nginx": "nginx:1.27",
}


def run(c: Cluster, name: str, *argv: str) -> tuple[int, str, str, float]:
    r = c.server.pod_exec(ADMIN, name, "default", None, list(argv))
    return r.exit_code, r.stdout, r.stderr, r.seconds


@pytest.fixture(scope="module")
def base() -> Cluster:
    c = Cluster.from_scenario("default", seed=7)
    _setup(c)
    return c


def test_healthy_lookups_take_no_time(base: Cluster) -> None:
    c = base
    ip = c.get("services", "web")["spec"]["clusterIP"]
    # busybox 1.36 asks each search domain at once: web.svc.cluster.local's NXDOMAIN fails it
    assert run(c, "bb", "nslookup", "web.default.svc.cluster.local")[::3] == (0, 0.0)
    assert run(c, "old", "nslookup", "web")[::3] == (0, 0.0)
    assert run(c, "dnsutils", "nslookup", "web")[::3] == (0, 0.0)
    assert run(c, "nginx", "getent", "hosts", "web") == (
        0,
        f"{ip:<15} web.default.svc.cluster.local\n",
        "",
        0.0,
    )
    code, _, _, seconds = run(c, "bb", "wget", "-qO-", "http://web")
    assert code == 0 and seconds < 0.01  # the round trip and nginx's service time
    code, _, _, seconds = run(c, "curl", "curl", "-s", "http://web")
    assert code == 0 and seconds < 0.01


def test_coredns_scaled_to_zero_refuses_and_each_tool_waits_its_own_way() -> None:
    c = Cluster.from_scenario("default", seed=7)
    _setup(c)
    c.scale("deployment", "coredns", 0, "kube-system")
    c.advance(60)  # gone; kube-proxy's rules REJECT 10.96.0.10:53 (port unreachable)
    refused = "nslookup: read: Connection refused\n" * 2
    assert run(c, "bb", "nslookup", "web") == (1, TIMEOUT, refused, 5.0)  # waits out its 5 s
    assert run(c, "old", "nslookup", "web") == (
        1,
        "Server:    10.96.0.10\nAddress 1: 10.96.0.10\n\n",
        "nslookup: can't resolve 'web'\n",
        0.0,  # uClibc's connected socket sees the refusal: every try fails at once
    )
    assert run(c, "dnsutils", "nslookup", "web") == (1, TIMEOUT, "", 15.0)  # bind never sees it
    assert run(c, "nginx", "getent", "hosts", "web") == (2, "", "", 0.0)  # glibc: ECONNREFUSED
    assert run(c, "bb", "wget", "-qO-", "http://web") == (1, "", "wget: bad address 'web'\n", 0.0)
    assert run(c, "curl", "curl", "-sS", "http://web") == (
        6,
        "",
        "curl: (6) Could not resolve host: web\n",
        5.0,  # musl's unconnected socket never sees the refusal
    )


def test_queries_dropped_by_a_deny_egress_policy_wait_out_every_try(base: Cluster) -> None:
    c = base
    c.apply(DOCS_DEFAULT_DENY_EGRESS)
    try:
        assert run(c, "bb", "nslookup", "web") == (1, TIMEOUT, "", 5.0)
        # the server's reverse name, then the name: 2 tries of 5 s each
        assert run(c, "old", "nslookup", "web")[::3] == (1, 20.0)
        assert run(c, "dnsutils", "nslookup", "web") == (1, TIMEOUT, "", 15.0)
        # glibc: web.default.svc.cluster.local times out (2 × 5 s), ending the search; then web
        assert run(c, "nginx", "getent", "hosts", "web") == (2, "", "", 20.0)
        assert run(c, "nginx", "getent", "hosts", "web.default.svc.cluster.local.") == (2, "", "", 10.0)
        assert run(c, "bb", "wget", "-q", "-T", "2", "-O-", "http://web") == (
            1,
            "",
            "wget: bad address 'web'\n",
            20.0,  # -T does not cover the lookup
        )
        assert run(c, "curl", "curl", "-sS", "http://web") == (
            6,
            "",
            "curl: (6) Could not resolve host: web\n",
            5.0,
        )
        assert run(c, "curl", "curl", "-sS", "--connect-timeout", "2", "http://web") == (
            28,
            "",
            "curl: (28) Resolving timed out after 2000 milliseconds\n",
            2.0,
        )
    finally:
        c.delete("networkpolicies", "default-deny-egress")


def test_a_script_waits_the_lookup_out_on_the_virtual_clock() -> None:
    c = Cluster.from_scenario("default", seed=7)
    c.apply(DOCS_DEFAULT_DENY_EGRESS)
    c.apply(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: looker}\nspec:\n  containers:\n"
        "  - name: c\n    image: busybox:1.36\n"
        "    command: [sh, -c, 'echo start; nslookup web; nslookup web; echo done; sleep 3600']"
    )
    c.advance(60)
    log = c.server.pod_log(ADMIN, "looker", "default", timestamps=True)
    times = {
        line.split(" ", 1)[1]: datetime.fromisoformat(line.split(" ", 1)[0].replace("Z", "+00:00"))
        for line in log.splitlines()
        if line.split(" ", 1)[1] in ("start", "done")
    }
    assert (times["done"] - times["start"]).total_seconds() == 10.0  # two lookups of 5 s


def _setup(c: Cluster) -> None:
    for name, image in IMAGES.items():
        command = ["sleep", "infinity"] if name != "nginx" else None
        container = {"name": "c", "image": image, **({"command": command} if command else {})}
        c.apply(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name, "labels": {"app": name}},
                "spec": {"containers": [container]},
            }
        )
    c.apply(
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
        "spec: {selector: {app: nginx}, ports: [{port: 80}]}"
    )
    c.advance(60)
