"""The troubleshooting scenarios through a real kubectl, on a live server: the failure reads
as it would on a real cluster, and the fixes are the kubectl commands a learner would type."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.kubeapi.kubectl_cli import Kubectl, columns, wait_for
from tests.live_server import LiveServer

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")

SETUP = """
from django.contrib.auth.models import User
from clusterlab.labs.models import Lab
user, _ = User.objects.get_or_create(username={user!r})
lab = Lab.objects.create(owner=user, speed=600, seed=7, scenario={scenario!r})
print(lab.id)
"""


def kubectl_for(server: LiveServer, home: Path, scenario: str) -> Kubectl:
    """kubectl for a new lab of `scenario`, running at 600x."""
    user = f"learner-{scenario}"
    lab_id = server.manage("shell", "-c", SETUP.format(user=user, scenario=scenario)).strip().splitlines()[-1]
    path = home / "kubeconfig"
    path.write_text(server.manage("kubeconfig", user, "--lab", lab_id, "--server", server.url))
    return Kubectl(home, path)


def test_stuck_rollout_exceeds_its_deadline_and_rollout_undo_fixes_it(
    live_server_process: LiveServer, tmp_path: Path
) -> None:
    kubectl = kubectl_for(live_server_process, tmp_path, "stuck-rollout")

    def timed_out() -> bool:
        done = kubectl("rollout", "status", "deployment/web", "--watch=false", ok=False)
        deadline = 'error: deployment "web" exceeded its progress deadline\n'
        return done.returncode == 1 and done.stderr == deadline

    wait_for(timed_out, 60)
    table = columns(kubectl.out("get", "deploy", "web"))
    assert table[1][:4] == ["web", "3/4", "2", "3"]
    statuses = [row[2] for row in columns(kubectl.out("get", "pods", "-l", "app=web"))[1:]]
    assert statuses.count("Running") == 3 and len(statuses) == 5
    # the two 2.0 pods between crashes: exited (Error) or waiting out their back-off
    assert set(statuses) - {"Running"} <= {"CrashLoopBackOff", "Error"}
    history = columns(kubectl.out("rollout", "history", "deployment/web"))
    assert history[1:] == [["REVISION", "CHANGE-CAUSE"], ["1", "release", "1.1"], ["2", "release", "2.0"]]
    assert kubectl.out("rollout", "undo", "deployment/web") == "deployment.apps/web rolled back\n"
    wait_for(
        lambda: (
            kubectl.out("rollout", "status", "deployment/web", "--watch=false")
            == 'deployment "web" successfully rolled out\n'
        ),
        60,
    )


def test_oom_quota_refuses_the_huge_limit_in_the_replica_sets_events(
    live_server_process: LiveServer, tmp_path: Path
) -> None:
    kubectl = kubectl_for(live_server_process, tmp_path, "oom-quota")
    ns = ("-n", "mem-example")
    wait_for(lambda: "OOMKilled" in kubectl.out("describe", "pod", "-l", "app=memory-demo", *ns), 60)
    described = kubectl.out("describe", "pod", "-l", "app=memory-demo", *ns)
    assert "Reason:       OOMKilled" in described and "Exit Code:    137" in described
    assert kubectl.out("set", "resources", "deployment/memory-demo", "--limits=memory=1Gi", *ns) == (
        "deployment.apps/memory-demo resource requirements updated\n"
    )
    wait_for(lambda: "exceeded quota: mem-quota" in kubectl.out("get", "events", *ns), 60)
    events = kubectl.out("get", "events", *ns, "--field-selector", "reason=FailedCreate", "-o", "name")
    assert events
    message = kubectl.out(
        "get", "events", *ns, "--field-selector", "reason=FailedCreate", "-o", "jsonpath={.items[0].message}"
    )
    assert message.startswith('Error creating: pods "memory-demo-')
    assert message.endswith(
        '" is forbidden: exceeded quota: mem-quota, requested: limits.memory=1Gi, '
        "used: limits.memory=100Mi, limited: limits.memory=512Mi"
    )
    kubectl.out("set", "resources", "deployment/memory-demo", "--limits=memory=200Mi", *ns)
    wait_for(
        lambda: (
            kubectl.out("rollout", "status", "deployment/memory-demo", "--watch=false", *ns)
            == 'deployment "memory-demo" successfully rolled out\n'
        ),
        60,
    )
