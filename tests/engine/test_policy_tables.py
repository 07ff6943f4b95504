"""The Tables kube-apiserver 1.32 answers for ResourceQuotas, PriorityClasses and LimitRanges
(tests/kubectl/test_policy_against_kubectl.py has the real kubectl 1.32 print them)."""

from __future__ import annotations

from clusterlab.engine import Cluster
from clusterlab.engine.tables import to_table

from .test_tables import render

QUOTA = """
apiVersion: v1
kind: ResourceQuota
metadata: {name: compute}
spec:
  hard: {requests.cpu: 2000m, requests.memory: 2Gi, limits.cpu: "4", pods: "10"}
---
apiVersion: v1
kind: LimitRange
metadata: {name: defaults}
spec:
  limits:
  - type: Container
    default: {cpu: 500m}
"""
POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "a"},
    "spec": {
        "containers": [
            {
                "name": "app",
                "image": "nginx:1.27",
                "resources": {"requests": {"cpu": "300m", "memory": "1536Mi"}},
            }
        ]
    },
}


def test_quota_pc_and_limits_tables() -> None:
    c = Cluster()
    c.apply(QUOTA)
    c.advance(1)
    c.apply(POD)
    c.advance(59)
    quota = to_table("quota", c.list("quota", "default"), now=c.now, epoch=c.epoch)
    assert [col["name"] for col in quota["columnDefinitions"]] == ["Name", "Age", "Request", "Limit"]
    assert render(quota) == (
        "NAME      AGE   REQUEST                                                         LIMIT\n"
        "compute   60s   pods: 1/10, requests.cpu: 300m/2, requests.memory: 1536Mi/2Gi   limits.cpu: 500m/4"
    )
    pcs = to_table("pc", c.list("pc"), now=c.now, epoch=c.epoch)
    assert [(col["name"], col["type"]) for col in pcs["columnDefinitions"]] == [
        ("Name", "string"),
        ("Value", "integer"),
        ("Global-Default", "boolean"),
        ("Age", "string"),
        ("PreemptionPolicy", "string"),
    ]
    assert pcs["rows"][0]["cells"] == [
        "system-cluster-critical",
        2000000000,
        False,
        "60s",
        "PreemptLowerPriority",
    ]
    limits = to_table("limits", c.list("limits", "default"), now=c.now, epoch=c.epoch)
    assert [(col["name"], col["type"]) for col in limits["columnDefinitions"]] == [
        ("Name", "string"),
        ("Created At", "date"),
    ]
    assert limits["rows"][0]["cells"] == ["defaults", "2026-01-01T09:00:00Z"]
