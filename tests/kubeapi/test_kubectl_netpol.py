"""Real kubectl 1.32 against a lab's API: the documentation's "Declare Network Policy" task as
its commands are written (the interactive busybox shell aside: a waiting busybox pod and
`kubectl exec`), `get`/`describe networkpolicy`, and a policy the API server refuses."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator

import pytest

from tests.kubeapi.kubectl_cli import Kubectl, columns, kubectl_for_new_lab, wait_for
from tests.live_server import LiveServer
from tests.manifests import DOCS_NGINX_POLICY

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")

BAD_POLICY = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad}
spec:
  podSelector: {}
  ingress:
  - from:
    - ipBlock: {cidr: 10.0.0.0/8, except: [192.168.0.0/16]}
    ports:
    - {port: 8080, endPort: 80}
"""
DESCRIBED = """Spec:
  PodSelector:     app=nginx
  Allowing ingress traffic:
    To Port: <any> (traffic allowed to all ports)
    From:
      PodSelector: access=true
  Not affecting egress traffic
  Policy Types: Ingress
"""


@pytest.fixture(scope="module")
def kubectl(live_server_process: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    yield kubectl_for_new_lab(live_server_process, tmp_path_factory, "netpol-user")


def _running(kubectl: Kubectl, *pods: str) -> bool:
    phases = kubectl.out("get", "pods", *pods, "-o", "jsonpath={.items[*].status.phase}").split()
    return phases == ["Running"] * len(pods)


def test_declare_network_policy(kubectl: Kubectl) -> None:
    assert kubectl.out("create", "deployment", "nginx", "--image=nginx") == "deployment.apps/nginx created\n"
    assert kubectl.out("expose", "deployment", "nginx", "--port=80") == "service/nginx exposed\n"
    kubectl.out("run", "busybox", "--image=busybox:1.28", "--", "sleep", "3600")
    kubectl.out(
        "run", "busybox-access", "--labels=access=true", "--image=busybox:1.28", "--", "sleep", "3600"
    )
    wait_for(lambda: _running(kubectl, "busybox", "busybox-access"), 60)
    wait_for(
        lambda: kubectl.out("get", "deploy", "nginx", "-o", "jsonpath={.status.readyReplicas}") == "1", 60
    )
    ip = kubectl.out("get", "svc", "nginx", "-o", "jsonpath={.spec.clusterIP}")
    connecting = f"Connecting to nginx ({ip}:80)\n"

    first = kubectl("exec", "busybox", "--", "wget", "--spider", "--timeout=1", "nginx")
    assert (first.stdout, first.stderr) == ("", connecting + "remote file exists\n")

    assert kubectl.out("apply", "-f", "-", stdin=DOCS_NGINX_POLICY) == (
        "networkpolicy.networking.k8s.io/access-nginx created\n"
    )
    table = columns(kubectl.out("get", "netpol"))
    assert table[0] == ["NAME", "POD-SELECTOR", "AGE"] and table[1][:2] == ["access-nginx", "app=nginx"]
    text = kubectl.out("describe", "networkpolicy", "access-nginx")
    assert re.match(
        r"Name: +access-nginx\nNamespace: +default\nCreated on: +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ", text
    )
    assert text.endswith("Labels:       <none>\nAnnotations:  <none>\n" + DESCRIBED)

    denied = kubectl("exec", "busybox", "--", "wget", "--spider", "--timeout=1", "nginx", ok=False)
    assert (denied.returncode, denied.stdout) == (1, "")
    assert denied.stderr == connecting + "wget: download timed out\ncommand terminated with exit code 1\n"
    allowed = kubectl("exec", "busybox-access", "--", "wget", "--spider", "--timeout=1", "nginx")
    assert allowed.stderr == connecting + "remote file exists\n"


def test_invalid_policy_is_refused_with_kubernetes_words(kubectl: Kubectl) -> None:
    refused = kubectl("apply", "-f", "-", stdin=BAD_POLICY, ok=False)
    assert refused.returncode == 1
    assert refused.stderr == (
        'The NetworkPolicy "bad" is invalid: \n'
        "* spec.ingress[0].ports[0].endPort: Invalid value: 80: must be greater than or equal to `port`\n"
        '* spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "192.168.0.0/16": must be a strict '
        "subset of `cidr`\n"
    )
