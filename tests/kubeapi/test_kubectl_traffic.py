"""Real kubectl 1.32 against a lab: `kubectl exec … -- wget` through the simulated pod network,
and a LoadBalancer Service's external IP from the lab cloud's pool."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from clusterlab.engine.node.listeners import NGINX_WELCOME
from tests.kubeapi.kubectl_cli import Kubectl, columns, kubectl_for_new_lab, ready, wait_for
from tests.live_server import LiveServer

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")


@pytest.fixture(scope="module")
def kubectl(live_server_process: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    yield kubectl_for_new_lab(live_server_process, tmp_path_factory, "traffic-user")


def test_exec_wget_reaches_the_service_and_load_balancer_ip_shows(kubectl: Kubectl) -> None:
    ready(kubectl, "web", 2)
    kubectl.out("expose", "deployment", "web", "--port=80", "--type=LoadBalancer")
    kubectl.out("run", "client", "--image=busybox:1.36", "--", "sleep", "3600")
    wait_for(lambda: kubectl.out("get", "pod", "client", "-o", "jsonpath={.status.phase}") == "Running", 60)
    assert kubectl.out("exec", "client", "--", "wget", "-qO-", "http://web") == NGINX_WELCOME
    verbose = kubectl("exec", "client", "--", "wget", "-O-", "http://web")
    ip = kubectl.out("get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}")
    assert verbose.stdout == NGINX_WELCOME
    assert verbose.stderr.startswith(f"Connecting to web ({ip}:80)\nwriting to stdout\n")
    missing = kubectl("exec", "client", "--", "wget", "-qO-", "http://web/nope", ok=False)
    assert missing.returncode == 1
    assert "wget: server returned error: HTTP/1.1 404 Not Found\n" in missing.stderr
    assert "command terminated with exit code 1" in missing.stderr
    wait_for(lambda: "172.18.255.200" in kubectl.out("get", "svc", "web"))
    table = columns(kubectl.out("get", "svc", "web"))
    assert table[0] == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    assert table[1][:4] == ["web", "LoadBalancer", ip, "172.18.255.200"]
    assert table[1][4].startswith("80:3") and table[1][4].endswith("/TCP")
    described = kubectl.out("describe", "svc", "web")
    assert "LoadBalancer Ingress:     172.18.255.200 (VIP)" in described
    assert "Normal  EnsuringLoadBalancer" in described and "Normal  EnsuredLoadBalancer" in described
