"""Real kubectl 1.32 against a lab's API: the docs' `web` StatefulSet (basic-stateful-set
tutorial, without its claim templates: the lab has no storage yet) created in order, its
revisions, `rollout status`, scaling, and a force-deleted pod coming back under its name."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.kubeapi.kubectl_cli import Kubectl, columns, kubectl_for_new_lab, wait_for
from tests.live_server import LiveServer

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")

WEB = """
apiVersion: v1
kind: Service
metadata:
  name: nginx
  labels: {app: nginx}
spec:
  ports: [{port: 80, name: web}]
  clusterIP: None
  selector: {app: nginx}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: "nginx"
  replicas: 3
  minReadySeconds: 0
  selector:
    matchLabels: {app: nginx}
  template:
    metadata:
      labels: {app: nginx}
    spec:
      terminationGracePeriodSeconds: 10
      containers:
      - name: nginx
        image: nginx:1.27
        ports: [{containerPort: 80, name: web}]
"""
FORCE_WARNING = (
    "Warning: Immediate deletion does not wait for confirmation that the running resource has been "
    "terminated. The resource may continue to run on the cluster indefinitely.\n"
)


@pytest.fixture(scope="module")
def kubectl(live_server_process: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    yield kubectl_for_new_lab(live_server_process, tmp_path_factory, "sts-user")


def _pods(kubectl: Kubectl) -> list[str]:
    return kubectl.out("get", "pods", "-l", "app=nginx", "-o", "jsonpath={.items[*].metadata.name}").split()


def test_the_tutorial_statefulset(kubectl: Kubectl) -> None:
    created = kubectl.out("apply", "-f", "-", stdin=WEB)
    assert created == "service/nginx created\nstatefulset.apps/web created\n"
    done = kubectl("rollout", "status", "statefulset/web", "--timeout=60s")
    assert done.stdout.splitlines()[-1] == "partitioned roll out complete: 3 new pods have been updated..."
    assert _pods(kubectl) == ["web-0", "web-1", "web-2"]
    table = columns(kubectl.out("get", "sts"))
    assert table == [["NAME", "READY", "AGE"], ["web", "3/3", table[1][2]]]
    hostnames = kubectl.out("get", "pods", "-l", "app=nginx", "-o", "jsonpath={.items[*].spec.hostname}")
    assert hostnames.split() == ["web-0", "web-1", "web-2"]
    assert kubectl.out("rollout", "history", "statefulset/web") == (
        "statefulset.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n\n"
    )
    revision = kubectl.out("get", "sts", "web", "-o", "jsonpath={.status.currentRevision}")
    revisions = columns(kubectl.out("get", "controllerrevisions"))
    assert revisions[1][:3] == [revision, "statefulset.apps/web", "1"]

    assert kubectl.out("scale", "sts", "web", "--replicas=1") == "statefulset.apps/web scaled\n"
    wait_for(lambda: _pods(kubectl) == ["web-0"], 30)

    uid = kubectl.out("get", "pod", "web-0", "-o", "jsonpath={.metadata.uid}")
    gone = kubectl("delete", "pod", "web-0", "--force", "--grace-period=0")
    assert (gone.stdout, gone.stderr) == ('pod "web-0" force deleted\n', FORCE_WARNING)
    wait_for(
        lambda: (
            kubectl("get", "pod", "web-0", "-o", "jsonpath={.metadata.uid}", ok=False).stdout not in ("", uid)
        ),
        30,
    )
    events = kubectl.out("get", "events", "--field-selector", "involvedObject.kind=StatefulSet")
    assert "create Pod web-0 in StatefulSet web successful" in events
    assert "delete Pod web-2 in StatefulSet web successful" in events
