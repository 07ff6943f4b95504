"""Real kubectl 1.32 against a lab's API: IngressClass and Ingress (`apply`, `create ingress`,
`get`, `describe`), the DefaultIngressClass admission and a refusal in Kubernetes' words."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator

import pytest

from tests.kubeapi.kubectl_cli import Kubectl, columns, kubectl_for_new_lab
from tests.live_server import LiveServer

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")

CLASS = """
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: nginx
  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}
spec: {controller: k8s.io/ingress-nginx}
"""
INGRESS = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop}
spec:
  rules:
  - host: shop.example
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: web, port: {number: 80}}}
"""
NO_PATH_TYPE = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bad}
spec:
  rules:
  - http:
      paths:
      - path: /x
        backend: {service: {name: web, port: {number: 80}}}
"""


@pytest.fixture(scope="module")
def kubectl(live_server_process: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    yield kubectl_for_new_lab(live_server_process, tmp_path_factory, "ingress-user")


def test_apply_get_and_describe_ingress(kubectl: Kubectl) -> None:
    assert kubectl.out("apply", "-f", "-", stdin=CLASS) == "ingressclass.networking.k8s.io/nginx created\n"
    assert kubectl.out("apply", "-f", "-", stdin=INGRESS) == "ingress.networking.k8s.io/shop created\n"
    # DefaultIngressClass filled in the class
    assert kubectl.out("get", "ing", "shop", "-o", "jsonpath={.spec.ingressClassName}") == "nginx"
    table = columns(kubectl.out("get", "ingress"))
    assert table[0] == ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"]
    assert table[1][:4] == ["shop", "nginx", "shop.example", "80"]
    classes = columns(kubectl.out("get", "ingressclass"))
    assert classes[0] == ["NAME", "CONTROLLER", "PARAMETERS", "AGE"]
    assert classes[1][:3] == ["nginx", "k8s.io/ingress-nginx", "<none>"]
    text = kubectl.out("describe", "ingress", "shop")
    assert re.search(r"^Ingress Class: +nginx$", text, re.M)
    assert re.search(r"^Default backend: +<default>$", text, re.M)
    assert re.search(r'^ +/ +web:80 \(<error: services "web" not found>\)$', text, re.M)


def test_create_ingress_builds_the_rules(kubectl: Kubectl) -> None:
    out = kubectl.out("create", "ingress", "simple", "--rule=foo.example/bar*=svc1:8080")
    assert out == "ingress.networking.k8s.io/simple created\n"
    path = kubectl.out("get", "ing", "simple", "-o", "jsonpath={.spec.rules[0].http.paths[0].pathType}")
    assert path == "Prefix"


def test_a_path_without_path_type_is_refused(kubectl: Kubectl) -> None:
    result = kubectl("apply", "-f", "-", stdin=NO_PATH_TYPE, ok=False)
    assert result.returncode == 1
    assert (
        'The Ingress "bad" is invalid: spec.rules[0].http.paths[0].pathType: Required value: '
        "pathType must be specified"
    ) in result.stderr
