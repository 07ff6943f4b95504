"""Real kubectl 1.32 against a lab's API: the HPA walkthrough's objects applied as the docs
give them, `kubectl get hpa` until the controller has measured the idle pod, `describe hpa`."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator

import pytest

from tests.engine.test_hpa import PHP_APACHE
from tests.kubeapi.kubectl_cli import Kubectl, columns, kubectl_for_new_lab, wait_for
from tests.live_server import LiveServer

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")

HPA = """
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: php-apache
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: php-apache
  minReplicas: 1
  maxReplicas: 10
  metrics:
  - type: Resource
    resource:
      name: cpu
      target:
        type: Utilization
        averageUtilization: 50
"""


@pytest.fixture(scope="module")
def kubectl(live_server_process: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    yield kubectl_for_new_lab(live_server_process, tmp_path_factory, "hpa-user")


def test_the_walkthrough_objects_with_real_kubectl(kubectl: Kubectl) -> None:
    assert kubectl.out("apply", "-f", "-", stdin=PHP_APACHE) == (
        "deployment.apps/php-apache created\nservice/php-apache created\n"
    )
    assert (
        kubectl.out("apply", "-f", "-", stdin=HPA)
        == "horizontalpodautoscaler.autoscaling/php-apache created\n"
    )
    table = columns(kubectl.out("get", "hpa"))
    assert table[0] == ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]
    wait_for(lambda: columns(kubectl.out("get", "hpa"))[1][2:4] == ["cpu:", "0%/50%"], 60)
    assert columns(kubectl.out("get", "hpa"))[1][:7] == [
        "php-apache",
        "Deployment/php-apache",
        "cpu:",
        "0%/50%",
        "1",
        "10",
        "1",
    ]
    text = kubectl.out("describe", "hpa", "php-apache")
    assert re.search(r"^Reference: +Deployment/php-apache$", text, re.M)
    assert re.search(
        r"^  resource cpu on pods  \(as a percentage of request\): +0% \(\d+m\) / 50%$", text, re.M
    )
    assert re.search(r"^Deployment pods: +1 current / 1 desired$", text, re.M)
    assert re.search(
        r"^  ScalingActive +True +ValidMetricFound +the HPA was able to successfully", text, re.M
    )
    assert kubectl.out("get", "hpa", "php-apache", "-o", "jsonpath={.spec.minReplicas}") == "1"
