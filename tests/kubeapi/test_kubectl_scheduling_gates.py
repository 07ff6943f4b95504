"""Real kubectl 1.32 against a lab's API: a pod with scheduling gates reads `SchedulingGated`,
refuses a new gate in the API server's words, and is scheduled once its last gate is removed."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.kubeapi.kubectl_cli import Kubectl, columns, kubectl_for_new_lab, wait_for
from tests.live_server import LiveServer

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")

GATED = """
apiVersion: v1
kind: Pod
metadata: {name: gated}
spec:
  schedulingGates:
  - name: example.com/quota
  - name: example.com/arch
  containers:
  - name: app
    image: nginx:1.27
"""


@pytest.fixture(scope="module")
def kubectl(live_server_process: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    yield kubectl_for_new_lab(live_server_process, tmp_path_factory, "gates-user")


def test_a_gated_pod_waits_until_its_gates_are_removed(kubectl: Kubectl) -> None:
    assert kubectl.out("apply", "-f", "-", stdin=GATED) == "pod/gated created\n"
    rows = columns(kubectl.out("get", "pod", "gated"))
    assert rows[0][:3] == ["NAME", "READY", "STATUS"] and rows[1][:3] == ["gated", "0/1", "SchedulingGated"]
    message = kubectl.out("get", "pod", "gated", "-o", "jsonpath={.status.conditions[0].message}")
    assert message == "Scheduling is blocked due to non-empty scheduling gates"

    added = kubectl(
        "patch",
        "pod",
        "gated",
        "--type=json",
        "-p",
        '[{"op":"add","path":"/spec/schedulingGates/-","value":{"name":"example.com/late"}}]',
        ok=False,
    )
    assert added.returncode == 1
    assert added.stderr == (
        'The Pod "gated" is invalid: spec.schedulingGates[2].name: Forbidden: only deletion is allowed, '
        "but found new scheduling gate 'example.com/late'\n"
    )
    assert "FailedScheduling" not in kubectl.out("get", "events")

    kubectl.out(
        "patch", "pod", "gated", "--type=json", "-p", '[{"op":"remove","path":"/spec/schedulingGates"}]'
    )
    wait_for(lambda: columns(kubectl.out("get", "pod", "gated", "-o", "wide"))[1][6].startswith("worker-"))
