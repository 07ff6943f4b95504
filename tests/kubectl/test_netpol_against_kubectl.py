"""The console's `get netpol` and `describe netpol` against the real kubectl 1.32 binary, on
the same canned API answers (see test_against_kubectl.py): identical stdout, stderr and exit
code, and the same requests. The policies are the documentation's examples (the "Declare
Network Policy" task's `access-nginx`, the concepts page's `test-network-policy`, the
default-deny / allow-all ones, the `endPort` range) plus peers and ports that exercise every
line kubectl's describer can print."""

from __future__ import annotations

import pytest

from tests.manifests import (
    DOCS_ALLOW_ALL_EGRESS,
    DOCS_ALLOW_ALL_INGRESS,
    DOCS_DEFAULT_DENY_EGRESS,
    DOCS_DEFAULT_DENY_INGRESS,
    DOCS_NGINX_POLICY,
)

from .fakeapi import CannedAPI, have_kubectl
from .side_by_side import EngineSnapshot, applied, assert_prints_what_kubectl_prints, serve_kinds

pytestmark = pytest.mark.skipif(not have_kubectl(), reason="the kubectl.1.32 binary is not installed")

POLICIES = (
    DOCS_NGINX_POLICY
    + """---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: test-network-policy, labels: {team: net, tier: edge}, annotations: {owner: ops}}
spec:
  podSelector: {matchLabels: {role: db}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - ipBlock: {cidr: 172.17.0.0/16, except: [172.17.1.0/24, 172.17.2.0/24]}
    - namespaceSelector: {matchLabels: {project: myproject}}
    - podSelector: {matchLabels: {role: frontend}}
    ports:
    - {protocol: TCP, port: 6379}
  egress:
  - to:
    - ipBlock: {cidr: 10.0.0.0/24}
    ports:
    - {protocol: TCP, port: 5978}
"""
    + DOCS_DEFAULT_DENY_INGRESS
    + DOCS_ALLOW_ALL_INGRESS
    + DOCS_DEFAULT_DENY_EGRESS
    + DOCS_ALLOW_ALL_EGRESS
    + """---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny-all}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: multi-port-egress}
spec:
  podSelector: {matchLabels: {role: db}}
  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock: {cidr: 10.0.0.0/24}
    ports:
    - {protocol: TCP, port: 32000, endPort: 32768}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: mixed}
spec:
  podSelector:
    matchExpressions:
    - {key: tier, operator: In, values: [web, api]}
    - {key: app, operator: Exists}
    - {key: legacy, operator: DoesNotExist}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}
      podSelector: {matchLabels: {app: prometheus}}
    ports:
    - {port: metrics}
    - {protocol: UDP}
  - {}
  egress:
  - ports: [{port: 53, protocol: UDP}, {port: 53}]
  - to:
    - namespaceSelector: {}
"""
)
NETPOL_KIND = [("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", True, ["netpol"], [], [])]
SNAPSHOT = EngineSnapshot(applied(POLICIES, 75), ("namespaces", "nodes", "networkpolicies", "events"))
_netpol_kind = serve_kinds(*NETPOL_KIND)


def _api() -> CannedAPI:
    return SNAPSHOT.api(["networkpolicies"], groups=["networking.k8s.io"])


READS = [
    "get netpol",
    "get networkpolicies -o wide",
    "get networkpolicies.networking.k8s.io access-nginx",
    "get netpol test-network-policy -o yaml",
    "describe netpol access-nginx",
    "describe networkpolicy test-network-policy",
    "describe netpol default-deny-ingress",
    "describe netpol allow-all-ingress",
    "describe netpol default-deny-egress",
    "describe netpol allow-all-egress",
    "describe netpol default-deny-all",
    "describe netpol multi-port-egress",
    "describe netpol mixed",
    "describe netpol",
    "get netpol nope",
]


@pytest.mark.parametrize("line", READS)
def test_netpol_reads_print_what_kubectl_prints(line: str) -> None:
    assert_prints_what_kubectl_prints(_api, line)
