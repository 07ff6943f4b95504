"""The console against the real kubectl 1.32 binary for quotas, limit ranges and priority
classes, both reading the same live engine cluster through the lab API's dispatcher.

Unlike the canned API of test_against_kubectl.py, the objects here are the engine's own: a
ResourceQuota whose status the quota controller wrote, a LimitRange the API server defaulted,
the system PriorityClasses, a Deployment held back by the quota. stdout, stderr and the exit
code must be identical. Every limit item names one resource only: kubectl lists an item's
resources in Go map order, which varies from run to run. Skipped without the kubectl binary.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from clusterlab.engine import Cluster
from clusterlab.kubeapi.inprocess import DispatchTransport
from clusterlab.kubectl import run

from .fakeapi import have_kubectl, real_kubectl

pytestmark = pytest.mark.skipif(not have_kubectl(), reason="the kubectl.1.32 binary is not installed")

OBJECTS = """
apiVersion: v1
kind: ResourceQuota
metadata: {name: compute}
spec:
  hard: {requests.cpu: "1", requests.memory: 1Gi, limits.memory: 2Gi, pods: "4", count/deployments.apps: "2"}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: besteffort}
spec:
  hard: {pods: "3"}
  scopes: [NotTerminating, BestEffort]
---
apiVersion: v1
kind: LimitRange
metadata: {name: memory}
spec:
  limits:
  - type: Container
    default: {memory: 256Mi}
    max: {memory: 1Gi}
  - type: Pod
    max: {memory: 2Gi}
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: batch, annotations: {team: data}}
value: 1000
preemptionPolicy: Never
description: Batch jobs.
"""
WEB = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: nginx:1.27
        resources:
          requests: {cpu: 400m, memory: 128Mi}
"""
OVER = """
apiVersion: v1
kind: Pod
metadata: {name: big}
spec:
  containers:
  - name: app
    image: nginx:1.27
    resources:
      requests: {cpu: 900m, memory: 128Mi}
"""

_CLUSTER: Cluster | None = None


def cluster() -> Cluster:
    """A quota that holds a 4-replica Deployment at 2 pods, 30 s after it was applied."""
    global _CLUSTER
    if _CLUSTER is None:
        c = Cluster()
        c.apply(OBJECTS)
        c.advance(2)
        c.apply(WEB)
        c.advance(30)
        _CLUSTER = c
    return _CLUSTER


def compare(line: str, stdin: str = "") -> tuple[str, str, int]:
    transport = DispatchTransport(cluster())
    out, err, rc = real_kubectl(transport, line.split(), stdin)  # type: ignore[arg-type]
    mine = run("kubectl " + line, transport, stdin=stdin, now=datetime.now(UTC))
    assert (mine.stdout, mine.stderr, mine.exit_code) == (out, err, rc), line
    return out, err, rc


@pytest.mark.parametrize(
    "line",
    [
        "get quota",
        "get resourcequotas -A",
        "get quota compute -o wide",
        "get limits",
        "get limitranges memory",
        "get pc",
        "get priorityclasses batch",
        "describe quota compute",
        "describe quota besteffort",
        "describe quota",
        "describe limits memory",
        "describe pc batch",
        "describe pc system-node-critical",
        "describe ns default",
        "describe ns kube-system",
        "describe rs",
        "describe deploy web",
    ],
)
def test_reads_print_exactly_what_kubectl_prints(line: str) -> None:
    compare(line)


def test_the_quota_table_and_the_held_back_deployment() -> None:
    out, _, _ = compare("get quota compute")
    assert "pods: 2/4, requests.cpu: 800m/1, requests.memory: 256Mi/1Gi" in out
    assert "limits.memory: 512Mi/2Gi" in out  # the LimitRange's default limit, counted
    out, _, _ = compare("describe deploy web")
    assert "  ReplicaFailure   True    FailedCreate\n" in out


def test_a_refusal_prints_what_kubectl_prints() -> None:
    _, err, rc = compare("apply -f -", stdin=OVER)
    assert rc == 1
    assert err == (
        'Error from server (Forbidden): error when creating "STDIN": pods "big" is forbidden: exceeded '
        "quota: compute, requested: requests.cpu=900m, used: requests.cpu=800m, limited: requests.cpu=1\n"
    )


@pytest.mark.parametrize(
    "line",
    [
        "create quota q --hard=pods=2,requests.cpu=1000m --scopes=BestEffort",
        "create resourcequota q --hard=pods=1 -n kube-system",
        "create quota q",
        "create quota q --hard=pods",
        "create quota q --hard=cpu=x",
        "create quota",
        "create quota q --hard=pods=2 --dry-run=client -o yaml",
        "create quota bad --hard=cpu=1 --scopes=BestEffort,NotBestEffort",
        "create priorityclass high --value=1000 --description=hi --global-default --preemption-policy=Never",
        "create pc low --value=5 -o name",
        "create pc p --value=x",
        "create pc system-x --value=1",
    ],
)
def test_create_quota_and_priorityclass_print_what_kubectl_prints(line: str) -> None:
    """Each side writes to a cluster of its own (the same seed makes them the same cluster)."""
    out, err, rc = real_kubectl(DispatchTransport(Cluster()), line.split())  # type: ignore[arg-type]
    mine = run("kubectl " + line, DispatchTransport(Cluster()), now=datetime.now(UTC))
    assert (mine.stdout, mine.stderr, mine.exit_code) == (out, err, rc), line
