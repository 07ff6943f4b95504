"""The console's `get pdb` and `describe pdb` against the real kubectl 1.32 binary, on the same
canned API answers (see test_against_kubectl.py): identical stdout, stderr and exit code."""

from __future__ import annotations

import pytest

from tests.manifests import nginx_web_deployment, web_disruption_budget

from .fakeapi import CannedAPI, have_kubectl
from .side_by_side import EngineSnapshot, applied, assert_prints_what_kubectl_prints, serve_kinds

pytestmark = pytest.mark.skipif(not have_kubectl(), reason="the kubectl.1.32 binary is not installed")

APP = (
    nginx_web_deployment(3)
    + "---"
    + web_disruption_budget(2)
    + """---
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
)
PDB_KIND = [("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", True, ["pdb"], [], ["status"])]
SNAPSHOT = EngineSnapshot(
    applied(APP, 60),
    ("namespaces", "nodes", "pods", "deployments", "replicasets", "events", "poddisruptionbudgets"),
)
_pdb_kind = serve_kinds(*PDB_KIND)


def _api() -> CannedAPI:
    return SNAPSHOT.api(["poddisruptionbudgets"], groups=["apps", "coordination.k8s.io", "policy"])


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
    assert_prints_what_kubectl_prints(_api, line)
