"""Real kubectl 1.32 against a lab's API (at 60x): a crashing busybox pod restarts and
`kubectl logs --previous` reads the instance before; a Job-like pod shows `Completed`; deleting a
pod whose PID 1 ignores SIGTERM waits out the grace period."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import pytest

from tests.kubeapi.kubectl_cli import Kubectl, columns, kubectl_for_new_lab, wait_for
from tests.live_server import LiveServer
from tests.manifests import BUSYBOX_ONCE_POD

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")

PODS = (
    """
apiVersion: v1
kind: Pod
metadata: {name: crash}
spec:
  containers: [{name: app, image: "busybox:1.36", command: [sh, -c, "echo boom; sleep 2; exit 1"]}]
---"""
    + BUSYBOX_ONCE_POD
)


@pytest.fixture(scope="module")
def kubectl(live_server_process: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    yield kubectl_for_new_lab(live_server_process, tmp_path_factory, "containers-user")


def _row(kubectl: Kubectl, name: str) -> list[str]:
    return columns(kubectl.out("get", "pod", name, "--no-headers"))[0]


def test_crash_completed_and_previous_logs(kubectl: Kubectl) -> None:
    kubectl.out("apply", "-f", "-", stdin=PODS)
    wait_for(lambda: _row(kubectl, "once")[2] == "Completed")
    assert kubectl.out("logs", "once") == "done\n"
    wait_for(lambda: _row(kubectl, "crash")[3] not in ("0",))
    assert kubectl.out("logs", "crash", "--previous") == "boom\n"
    assert kubectl("logs", "once", "--previous", ok=False).stderr == (
        'Error from server (BadRequest): previous terminated container "app" in pod "once" not found\n'
    )
    wait_for(lambda: _row(kubectl, "crash")[2] == "CrashLoopBackOff")

    def described_in_backoff() -> bool:
        """At 60x a 10 s back-off lasts a sixth of a second of wall time, so the container may
        already run again when describe asks; the back-off grows, and a later describe sees it."""
        lines = [" ".join(line.split()) for line in kubectl.out("describe", "pod", "crash").splitlines()]
        return "Reason: CrashLoopBackOff" in lines and "Exit Code: 1" in lines

    wait_for(described_in_backoff)


def test_deleting_a_sleeping_pod_waits_out_the_grace_period(kubectl: Kubectl) -> None:
    kubectl.out("run", "sleeper", "--image=busybox:1.36", "--", "sleep", "3600")
    wait_for(lambda: _row(kubectl, "sleeper")[2] == "Running")
    # sleep as PID 1 ignores SIGTERM: the kubelet kills it when the grace period ends, and
    # kubectl (waiting for the deletion) returns only then
    assert kubectl.out("delete", "pod", "sleeper", "--grace-period=3") == 'pod "sleeper" deleted\n'
    assert kubectl("get", "pod", "sleeper", ok=False).returncode == 1
    events = json.loads(
        kubectl.out("get", "events", "--field-selector=involvedObject.name=sleeper", "-o", "json")
    )
    assert [e["message"] for e in events["items"] if e["reason"] == "Killing"] == [
        "Stopping container sleeper"
    ]
