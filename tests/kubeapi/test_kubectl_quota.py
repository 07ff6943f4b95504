"""Real kubectl 1.32 against a lab's API: ResourceQuota refusals as kubectl prints them,
LimitRange defaults, PriorityClasses, and what `get` and `describe` print for them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.kubeapi.kubectl_cli import Kubectl, columns, kubectl_for_new_lab, wait_for
from tests.live_server import LiveServer

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")

QUOTA = """
apiVersion: v1
kind: ResourceQuota
metadata: {name: compute}
spec:
  hard: {requests.cpu: "1", requests.memory: 1Gi, pods: "4"}
"""
POD = """
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  containers:
  - name: app
    image: nginx:1.27
    resources:
      requests: {{cpu: {cpu}, memory: 256Mi}}
"""
LIMITS = """
apiVersion: v1
kind: LimitRange
metadata: {name: defaults}
spec:
  limits:
  - type: Container
    default: {memory: 128Mi}
    defaultRequest: {memory: 64Mi}
"""


@pytest.fixture(scope="module")
def kubectl(live_server_process: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    yield kubectl_for_new_lab(live_server_process, tmp_path_factory, "quota-user")


def _used(kubectl: Kubectl, resource: str) -> str:
    escaped = resource.replace(".", "\\.")
    return kubectl.out("get", "quota", "compute", "-o", f"jsonpath={{.status.used.{escaped}}}")


def test_a_quota_refusal_reads_as_kube_apiserver_writes_it(kubectl: Kubectl) -> None:
    assert kubectl.out("apply", "-f", "-", stdin=QUOTA) == "resourcequota/compute created\n"
    wait_for(lambda: _used(kubectl, "pods") == "0")
    wait_for(lambda: kubectl("get", "serviceaccount", "default", ok=False).returncode == 0)
    assert kubectl.out("apply", "-f", "-", stdin=POD.format(name="a", cpu="400m")) == "pod/a created\n"
    assert _used(kubectl, "requests.cpu") == "400m"  # charged by admission, at once
    refused = kubectl("apply", "-f", "-", stdin=POD.format(name="b", cpu="700m"), ok=False)
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert refused.stderr == (
        'Error from server (Forbidden): error when creating "STDIN": pods "b" is forbidden: exceeded '
        "quota: compute, requested: requests.cpu=700m, used: requests.cpu=400m, limited: requests.cpu=1\n"
    )
    table = columns(kubectl.out("get", "quota"))
    assert table[0] == ["NAME", "AGE", "REQUEST", "LIMIT"]
    assert table[1][0] == "compute"
    assert " ".join(table[1][2:]) == "pods: 1/4, requests.cpu: 400m/1, requests.memory: 256Mi/1Gi"
    assert kubectl.out("describe", "quota", "compute") == (
        "Name:            compute\n"
        "Namespace:       default\n"
        "Resource         Used   Hard\n"
        "--------         ----   ----\n"
        "pods             1      4\n"
        "requests.cpu     400m   1\n"
        "requests.memory  256Mi  1Gi\n"
    )
    missing = kubectl("run", "bare", "--image=nginx:1.27", ok=False)
    assert missing.stderr == (
        'Error from server (Forbidden): pods "bare" is forbidden: failed quota: compute: must specify '
        "requests.cpu for: bare; requests.memory for: bare\n"
    )


def test_limit_range_defaults_and_priority_classes(kubectl: Kubectl) -> None:
    assert kubectl.out("apply", "-f", "-", stdin=LIMITS) == "limitrange/defaults created\n"
    assert columns(kubectl.out("get", "limits"))[0] == ["NAME", "CREATED", "AT"]
    kubectl.out("create", "namespace", "lr")
    kubectl.out("apply", "-n", "lr", "-f", "-", stdin=LIMITS)
    wait_for(lambda: kubectl("get", "serviceaccount", "default", "-n", "lr", ok=False).returncode == 0)
    assert kubectl.out("run", "x", "-n", "lr", "--image=nginx:1.27") == "pod/x created\n"
    annotation = kubectl.out(
        "get", "pod", "x", "-n", "lr", "-o", "jsonpath={.metadata.annotations.kubernetes\\.io/limit-ranger}"
    )
    assert annotation == (
        "LimitRanger plugin set: memory request for container x; memory limit for container x"
    )
    assert kubectl.out("get", "pod", "x", "-n", "lr", "-o", "jsonpath={.spec.containers[0].resources}") == (
        '{"limits":{"memory":"128Mi"},"requests":{"memory":"64Mi"}}'
    )
    table = columns(kubectl.out("get", "pc"))
    assert table[0] == ["NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"]
    assert [(r[0], r[1], r[2], r[4]) for r in table[1:]] == [
        ("system-cluster-critical", "2000000000", "false", "PreemptLowerPriority"),
        ("system-node-critical", "2000001000", "false", "PreemptLowerPriority"),
    ]
    refused = kubectl("delete", "pc", "system-node-critical", ok=False)
    assert refused.stderr == (
        'Error from server (Forbidden): priorityclasses.scheduling.k8s.io "system-node-critical" is '
        "forbidden: this is a system priority class and cannot be deleted\n"
    )


def test_create_quota_and_priorityclass_send_protobuf_the_lab_reads(kubectl: Kubectl) -> None:
    kubectl.out("create", "namespace", "pb")
    created = kubectl.out(
        "create", "quota", "q", "-n", "pb", "--hard=pods=2,requests.cpu=1", "--scopes=NotTerminating"
    )
    assert created == "resourcequota/q created\n"
    assert kubectl.out("get", "quota", "q", "-n", "pb", "-o", "jsonpath={.spec}") == (
        '{"hard":{"pods":"2","requests.cpu":"1"},"scopes":["NotTerminating"]}'
    )
    assert kubectl.out("create", "priorityclass", "zero", "--value=0") == (
        "priorityclass.scheduling.k8s.io/zero created\n"
    )
    assert kubectl.out("get", "pc", "zero", "-o", "jsonpath={.value} {.preemptionPolicy}") == (
        "0 PreemptLowerPriority"
    )
    bad = kubectl(
        "create", "quota", "bad", "-n", "pb", "--hard=pods=1", "--scopes=BestEffort,NotBestEffort", ok=False
    )
    assert bad.stderr == (
        'error: failed to create quota: ResourceQuota "bad" is invalid: spec.scopes: Invalid value: '
        '[]core.ResourceQuotaScope{"BestEffort", "NotBestEffort"}: conflicting scopes\n'
    )
