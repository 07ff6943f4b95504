"""Real kubectl 1.32 against a lab's API: the Kubernetes docs' DaemonSet example applied as-is
(`get ds`, `describe ds`), then a rolling update followed with `rollout status` and listed
with `rollout history` (which reads the DaemonSet's ControllerRevisions)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator

import pytest

from tests.engine.test_daemonset import FLUENTD
from tests.kubeapi.kubectl_cli import Kubectl, columns, kubectl_for_new_lab, wait_for
from tests.live_server import LiveServer

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")
NS = ("-n", "kube-system")


@pytest.fixture(scope="module")
def kubectl(live_server_process: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    yield kubectl_for_new_lab(live_server_process, tmp_path_factory, "daemonset-user")


def _ready(kubectl: Kubectl) -> str:
    return kubectl.out("get", "ds", "fluentd-elasticsearch", *NS, "-o", "jsonpath={.status.numberReady}")


def test_the_docs_daemonset_runs_on_every_node_and_rolls(kubectl: Kubectl) -> None:
    out = kubectl.out("apply", "-f", "-", stdin=FLUENTD)
    assert out == "daemonset.apps/fluentd-elasticsearch created\n"
    wait_for(lambda: _ready(kubectl) == "4", 60)
    table = columns(kubectl.out("get", "ds", *NS))
    assert table[0] == [
        "NAME",
        "DESIRED",
        "CURRENT",
        "READY",
        "UP-TO-DATE",
        "AVAILABLE",
        "NODE",
        "SELECTOR",
        "AGE",
    ]
    assert table[1][:7] == ["fluentd-elasticsearch", "4", "4", "4", "4", "4", "<none>"]
    pods = columns(kubectl.out("get", "pods", *NS, "-l", "name=fluentd-elasticsearch", "-o", "wide"))
    assert sorted(row[6] for row in pods[1:]) == ["control-plane", "worker-1", "worker-2", "worker-3"]
    text = kubectl.out("describe", "ds", "fluentd-elasticsearch", *NS)
    assert re.search(r"^Desired Number of Nodes Scheduled: 4$", text, re.M)
    assert re.search(r"^Pods Status: +4 Running / 0 Waiting / 0 Succeeded / 0 Failed$", text, re.M)
    assert re.search(
        r"Normal +SuccessfulCreate .* daemonset-controller +Created pod: fluentd-elasticsearch-", text
    )

    kubectl.out("annotate", "ds/fluentd-elasticsearch", *NS, "kubernetes.io/change-cause=memory limit 300Mi")
    kubectl.out(
        "patch",
        "ds/fluentd-elasticsearch",
        *NS,
        "--type=json",
        "-p",
        '[{"op":"replace","path":"/spec/template/spec/containers/0/resources/limits/memory","value":"300Mi"}]',
    )
    done = kubectl("rollout", "status", "ds/fluentd-elasticsearch", *NS, "--timeout=60s")
    assert done.stdout.endswith('daemon set "fluentd-elasticsearch" successfully rolled out\n')
    history = columns(kubectl.out("rollout", "history", "ds/fluentd-elasticsearch", *NS))
    assert history[0] == ["daemonset.apps/fluentd-elasticsearch"]
    assert history[1] == ["REVISION", "CHANGE-CAUSE"]
    assert history[2:] == [["1", "<none>"], ["2", "memory", "limit", "300Mi"]]
    table = columns(kubectl.out("get", "ds", *NS))
    assert table[1][:6] == ["fluentd-elasticsearch", "4", "4", "4", "4", "4"]
