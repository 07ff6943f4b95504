"""The console's `get` and `describe` of Jobs and CronJobs against the real kubectl 1.32 binary,
on the same canned API answers (see test_against_kubectl.py): identical stdout, stderr and exit
code, and the same requests."""

from __future__ import annotations

from typing import Any

import pytest

from .fakeapi import CannedAPI, have_kubectl
from .side_by_side import EngineSnapshot, applied, assert_prints_what_kubectl_prints, serve_kinds

pytestmark = pytest.mark.skipif(not have_kubectl(), reason="the kubectl.1.32 binary is not installed")

# A Job that completes, one that fails (backoffLimit 1, a deadline), and a CronJob every minute
# whose Jobs complete.
APP = """
apiVersion: batch/v1
kind: Job
metadata: {name: countdown}
spec:
  completions: 2
  parallelism: 2
  ttlSecondsAfterFinished: 3600
  template:
    spec:
      restartPolicy: Never
      containers: [{name: countdown, image: "busybox:1.36", command: [sh, -c, "echo 3 2 1; sleep 3"]}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: flaky, labels: {team: a}}
spec:
  backoffLimit: 1
  activeDeadlineSeconds: 600
  template:
    spec:
      restartPolicy: Never
      containers: [{name: flaky, image: "busybox:1.36", command: [sh, -c, "sleep 1; exit 2"]}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: hello}
spec:
  schedule: "*/1 * * * *"
  startingDeadlineSeconds: 30
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: hello, image: "busybox:1.36", command: [sh, -c, "date; echo Hello"]}]
"""
BATCH_KINDS = [
    ("batch", "v1", "jobs", "Job", True, [], ["all"], ["status"]),
    ("batch", "v1", "cronjobs", "CronJob", True, ["cj"], ["all"], ["status"]),
]
SNAPSHOT = EngineSnapshot(applied(APP, 150), ("namespaces", "nodes", "pods", "jobs", "cronjobs", "events"))
_batch_kinds = serve_kinds(*BATCH_KINDS)


def _countdown_logs(objs: list[dict[str, Any]]) -> dict[str, str]:
    """What the countdown Job's pods printed."""
    return {
        o["metadata"]["name"]: "3 2 1\n"
        for o in objs
        if o["kind"] == "Pod" and o["metadata"]["name"].startswith("countdown-")
    }


def _api() -> CannedAPI:
    return SNAPSHOT.api(
        ("jobs", "cronjobs", "pods"), groups=["batch", "coordination.k8s.io"], logs=_countdown_logs
    )


READS = [
    "get jobs",
    "get jobs -o wide",
    "get job flaky",
    "get cj",
    "get cronjobs -o wide",
    "describe job countdown",
    "describe job flaky",
    "describe cronjob hello",
    "get job nope",
    "logs job/countdown",
]


@pytest.mark.parametrize("line", READS)
def test_job_reads_print_what_kubectl_prints(line: str) -> None:
    assert_prints_what_kubectl_prints(_api, line)


WRITES = [
    ["create", "job", "once", "--image=busybox:1.36"],
    ["create", "job", "once", "--image=busybox:1.36", "--", "sh", "-c", "echo hi"],
    ["create", "job", "by-hand", "--from=cronjob/hello"],
    ["create", "job", "once"],
    ["create", "job", "once", "--from=cronjob/hello", "--", "date"],
    ["create", "cronjob", "tick", "--image=busybox:1.36", "--schedule=*/5 * * * *", "--", "date"],
    ["create", "cj", "tick", "--image=busybox:1.36", "--schedule=@hourly", "--restart=Never"],
]


@pytest.mark.parametrize("args", WRITES, ids=" ".join)
def test_create_builds_what_kubectl_builds(args: list[str]) -> None:
    assert_prints_what_kubectl_prints(_api, [*args[:3], "--dry-run=client", "-o", "json", *args[3:]])
