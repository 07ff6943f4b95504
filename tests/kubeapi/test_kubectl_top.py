"""Real kubectl's `top` against a lab's API on a live daphne server (the lab runs at 60x, so
metrics-server's 15 s scrapes come every quarter of a second)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.kubeapi.kubectl_cli import Kubectl, kubectl_for_new_lab
from tests.live_server import LiveServer

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")


@pytest.fixture(scope="module")
def kubectl(live_server_process: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    yield kubectl_for_new_lab(live_server_process, tmp_path_factory, "kubectl-top-user")


def eventually(run: object, seconds: float = 30.0) -> subprocess.CompletedProcess[str]:
    deadline = time.monotonic() + seconds
    while True:
        done = run()  # type: ignore[operator]
        if done is not None:
            return done  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.3)


def test_top_nodes_and_pods(kubectl: Kubectl) -> None:
    def nodes() -> subprocess.CompletedProcess[str] | None:
        done = kubectl("top", "node", ok=False)
        return done if done.returncode == 0 else None

    table = [line.split() for line in eventually(nodes).stdout.splitlines()]
    assert table[0] == ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]
    assert [row[0] for row in table[1:]] == ["control-plane", "worker-1", "worker-2", "worker-3"]
    assert all(row[1].endswith("m") and row[2].endswith("%") and row[3].endswith("Mi") for row in table[1:])

    pods = kubectl("top", "pod", "-A", "--containers", ok=False)
    assert pods.returncode == 0, pods.stderr
    header, *rows = [line.split() for line in pods.stdout.splitlines()]
    assert header == ["NAMESPACE", "POD", "NAME", "CPU(cores)", "MEMORY(bytes)"]
    assert ["kube-system", "etcd-control-plane", "etcd"] in [row[:3] for row in rows]
    assert any(row[1].startswith("metrics-server-") for row in rows)

    empty = kubectl("top", "pod", ok=False)
    assert (empty.returncode, empty.stdout, empty.stderr) == (
        0,
        "",
        "No resources found in default namespace.\n",
    )
    missing = kubectl("top", "pod", "nope", ok=False)
    assert (
        missing.stderr == 'Error from server (NotFound): podmetrics.metrics.k8s.io "default/nope" not found\n'
    )

    assert (
        kubectl("create", "deployment", "web", "--image=nginx:1.27", "--replicas=2", ok=False).returncode == 0
    )

    def web() -> subprocess.CompletedProcess[str] | None:
        done = kubectl("top", "pod", "-l", "app=web", "--sort-by=memory", ok=False)
        if done.returncode == 1:
            assert done.stderr == "error: metrics not available yet\n"  # until they are scraped
            return None
        return done if len(done.stdout.splitlines()) == 3 else None

    lines = eventually(web).stdout.splitlines()
    assert lines[0].split() == ["NAME", "CPU(cores)", "MEMORY(bytes)"]
    assert all(line.startswith("web-") for line in lines[1:])

    resources = kubectl("api-resources", "--api-group=metrics.k8s.io", "--no-headers", ok=False)
    assert [line.split() for line in resources.stdout.splitlines()] == [
        ["nodes", "metrics.k8s.io/v1beta1", "false", "NodeMetrics"],
        ["pods", "metrics.k8s.io/v1beta1", "true", "PodMetrics"],
    ]
    raw = kubectl("get", "nodes.metrics.k8s.io", "worker-1", ok=False)
    assert raw.stdout.splitlines()[0].split() == ["NAME", "CPU", "MEMORY", "WINDOW"]


def test_without_metrics_server_the_api_is_gone(kubectl: Kubectl) -> None:
    done = kubectl("delete", "deployment", "metrics-server", "-n", "kube-system", ok=False)
    assert done.returncode == 0, done.stderr

    def gone() -> subprocess.CompletedProcess[str] | None:
        top = kubectl("top", "node", ok=False)
        return top if top.returncode == 1 else None

    assert eventually(gone).stderr == "error: Metrics API not available\n"
    assert kubectl("top", "pod", "-A", ok=False).stderr == "error: Metrics API not available\n"
