"""The console's `get pdb` and `describe pdb` against the real kubectl 1.32 binary, on the same
canned API answers (see test_against_kubectl.py): identical stdout, stderr and exit code."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine import tables as engine_tables
from clusterlab.kubectl import run

from . import fakeapi
from .fakeapi import AGG, CannedAPI, have_kubectl, real_kubectl
from .test_against_kubectl import _requests

pytestmark = pytest.mark.skipif(not have_kubectl(), reason="the kubectl.1.32 binary is not installed")

APP = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: nginx, image: nginx:1.27}]}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  minAvailable: 2
  selector: {matchLabels: {app: web}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: quarter}
spec:
  maxUnavailable: 25%
  unhealthyPodEvictionPolicy: AlwaysAllow
  selector:
    matchExpressions: [{key: app, operator: In, values: [web, api]}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: nothing}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: none}}
"""
PDB_KIND = [("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", True, ["pdb"], [], ["status"])]
_OBJECTS: tuple[list[dict[str, Any]], Cluster] | None = None


def _objects() -> tuple[list[dict[str, Any]], Cluster]:
    global _OBJECTS
    if _OBJECTS is None:
        c = Cluster()
        c.apply(APP)
        c.advance(60)
        kinds = (
            "namespaces",
            "nodes",
            "pods",
            "deployments",
            "replicasets",
            "events",
            "poddisruptionbudgets",
        )
        _OBJECTS = ([copy.deepcopy(o) for k in kinds for o in c.observe(k)], c)
    return copy.deepcopy(_OBJECTS[0]), _OBJECTS[1]


class PolicyAPI(CannedAPI):
    """The canned API with the policy group discoverable."""

    def request(self, method: str, path: str, **kw: Any) -> Any:
        if path == "/apis":
            groups = ["apps", "coordination.k8s.io", "policy"]
            return fakeapi.Response(200, AGG, json.dumps(fakeapi.discovery(groups)).encode())
        return super().request(method, path, **kw)


@pytest.fixture(autouse=True)
def _pdb_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fakeapi, "RESOURCES", [*fakeapi.RESOURCES, *PDB_KIND])


def _api() -> PolicyAPI:
    objs, cluster = _objects()

    def table(items: list[dict[str, Any]]) -> Any:
        return engine_tables.to_table("poddisruptionbudgets", items, now=cluster.now, epoch=cluster.epoch)

    return PolicyAPI(objs, {"poddisruptionbudgets": table})


READS = [
    "get pdb",
    "get pdb -o wide",
    "get poddisruptionbudgets.policy web",
    "get pdb web -o yaml",
    "get pdb quarter -o json",
    "describe pdb web",
    "describe pdb quarter",
    "describe pdb nothing",
    "describe pdb",
    "get pdb nope",
]


@pytest.mark.parametrize("line", READS)
def test_pdb_reads_print_what_kubectl_prints(line: str) -> None:
    apis = [_api() for _ in range(2)]
    out, err, rc = real_kubectl(apis[0], line.split())
    mine = run("kubectl " + line, apis[1], now=datetime.now(UTC))
    assert (mine.stdout, mine.stderr, mine.exit_code) == (out, err, rc), line
    assert _requests(apis[1].requests) == _requests(apis[0].requests)
