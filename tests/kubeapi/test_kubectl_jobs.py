"""Real kubectl 1.32 against a lab's API (at 60x): a busybox Job runs to completion, `kubectl wait`
sees it, `get`/`describe` print it; a CronJob made with `kubectl create cronjob` starts a Job
each minute and `kubectl create job --from=cronjob/...` starts one by hand."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.kubeapi.kubectl_cli import Kubectl, columns, kubectl_for_new_lab, wait_for
from tests.live_server import LiveServer

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")

JOB = """
apiVersion: batch/v1
kind: Job
metadata:
  name: countdown
spec:
  completions: 2
  parallelism: 2
  template:
    spec:
      containers:
      - name: countdown
        image: busybox:1.36
        command: ["sh", "-c", "for i in 3 2 1; do echo $i; sleep 1; done"]
      restartPolicy: Never
  backoffLimit: 4
"""


@pytest.fixture(scope="module")
def kubectl(live_server_process: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    yield kubectl_for_new_lab(live_server_process, tmp_path_factory, "jobs-user")


def test_a_job_runs_to_completion(kubectl: Kubectl) -> None:
    assert kubectl.out("apply", "-f", "-", stdin=JOB) == "job.batch/countdown created\n"
    done = kubectl.out("wait", "--for=condition=complete", "job/countdown", "--timeout=30s")
    assert done == "job.batch/countdown condition met\n"
    table = columns(kubectl.out("get", "jobs"))
    assert table[0] == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]
    assert table[1][:3] == ["countdown", "Complete", "2/2"]
    wide = columns(kubectl.out("get", "job", "countdown", "-o", "wide"))
    assert wide[0][5:] == ["CONTAINERS", "IMAGES", "SELECTOR"]
    uid = kubectl.out("get", "job", "countdown", "-o", "jsonpath={.metadata.uid}")
    assert wide[1][5:] == ["countdown", "busybox:1.36", f"batch.kubernetes.io/controller-uid={uid}"]
    pods = kubectl.out("get", "pods", "-l", "job-name=countdown", "-o", "name").split()
    assert len(pods) == 2
    logs = kubectl.out("logs", pods[0])
    assert logs == "3\n2\n1\n"
    described = kubectl.out("describe", "job", "countdown")
    lines = [" ".join(line.split()) for line in described.splitlines()]
    assert "Parallelism: 2" in lines and "Completions: 2" in lines
    assert "Completion Mode: NonIndexed" in lines
    assert "Pods Statuses: 0 Active (0 Ready) / 2 Succeeded / 0 Failed" in lines
    assert any(
        line.startswith("Normal Completed") and line.endswith("job-controller Job completed")
        for line in lines
    )
    status = columns(kubectl.out("get", "pods", "-l", "job-name=countdown"))
    assert [row[2] for row in status[1:]] == ["Completed", "Completed"]


def test_a_cronjob_starts_jobs_and_one_by_hand(kubectl: Kubectl) -> None:
    made = kubectl.out(
        "create", "cronjob", "tick", "--image=busybox:1.36", "--schedule=*/1 * * * *", "--", "date"
    )
    assert made == "cronjob.batch/tick created\n"
    table = columns(kubectl.out("get", "cj"))
    assert table[0] == ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST", "SCHEDULE", "AGE"]
    assert table[1][:7] == ["tick", "*/1", "*", "*", "*", "*", "<none>"]
    wait_for(lambda: "tick-" in kubectl.out("get", "jobs", "-o", "name"), 20)
    # suspended, it starts no more Jobs: a Job made by hand from it is the newest of its Jobs and
    # stays (at 60x a running schedule makes three newer ones within seconds, and the controller
    # deletes finished Jobs beyond successfulJobsHistoryLimit 3, by hand or not: they are its own)
    suspended = kubectl.out("patch", "cronjob", "tick", "--type=merge", "-p", '{"spec":{"suspend":true}}')
    assert suspended == "cronjob.batch/tick patched\n"
    assert columns(kubectl.out("get", "cj", "tick"))[1][6:8] == ["<none>", "True"]  # TIMEZONE, SUSPEND
    manual = kubectl.out("create", "job", "by-hand", "--from=cronjob/tick")
    assert manual == "job.batch/by-hand created\n"
    annotations = kubectl.out("get", "job", "by-hand", "-o", "jsonpath={.metadata.annotations}")
    assert '"cronjob.kubernetes.io/instantiate":"manual"' in annotations
    wait_for(lambda: "Complete" in kubectl.out("get", "job", "by-hand"), 20)
