"""Real kubectl 1.32 against a lab's API: Services, Endpoints and EndpointSlices, `kubectl
expose`, and what `get` and `describe` print for them."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator

import pytest
import yaml

from tests.kubeapi.kubectl_cli import Kubectl, columns, kubectl_for_new_lab, ready, wait_for
from tests.live_server import LiveServer

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")

SERVICE = """
apiVersion: v1
kind: Service
metadata: {{name: front}}
spec:
  selector: {{app: web}}
  ports:
  - {{name: http, port: {port}, targetPort: 80}}
"""


@pytest.fixture(scope="module")
def kubectl(live_server_process: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    yield kubectl_for_new_lab(live_server_process, tmp_path_factory, "services-user")


def test_the_kubernetes_service_is_there_from_the_start(kubectl: Kubectl) -> None:
    table = columns(kubectl.out("get", "svc"))
    assert table[0] == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    assert table[1][:5] == ["kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP"]
    ep = columns(kubectl.out("get", "ep", "kubernetes"))
    assert ep[1][:2] == ["kubernetes", "172.18.0.2:6443"]
    assert "service/kubernetes" in kubectl.out("get", "all")
    assert kubectl.out("cluster-info").startswith("Kubernetes control plane is running at http")
    resources = {row[0]: row for row in columns(kubectl.out("api-resources"))[1:]}
    assert resources["services"] == ["services", "svc", "v1", "true", "Service"]
    assert resources["endpoints"] == ["endpoints", "ep", "v1", "true", "Endpoints"]
    assert resources["endpointslices"] == ["endpointslices", "discovery.k8s.io/v1", "true", "EndpointSlice"]
    text = kubectl.out("describe", "svc", "kubernetes")
    assert re.search(r"^Port: +https  443/TCP$", text, re.M)
    assert re.search(r"^TargetPort: +6443/TCP$", text, re.M)
    assert re.search(r"^Endpoints: +172.18.0.2:6443$", text, re.M)


def test_expose_a_deployment_then_get_and_describe(kubectl: Kubectl) -> None:
    ready(kubectl, "web", 2)
    assert kubectl.out("expose", "deployment", "web", "--port=80", "--target-port=80").strip() == (
        "service/web exposed"
    )
    svc = json.loads(kubectl.out("get", "svc", "web", "-o", "json"))
    spec = svc["spec"]
    assert spec["type"] == "ClusterIP" and spec["sessionAffinity"] == "None"
    assert spec["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]
    assert spec["ipFamilies"] == ["IPv4"] and spec["ipFamilyPolicy"] == "SingleStack"
    assert spec["clusterIPs"] == [spec["clusterIP"]] and spec["clusterIP"].startswith("10.")
    pod_ips = sorted(
        kubectl.out("get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].status.podIP}").split()
    )

    def endpoints_listed() -> bool:
        row = columns(kubectl.out("get", "ep", "web"))[1]
        return sorted(row[1].split(",")) == [f"{ip}:80" for ip in pod_ips]

    wait_for(endpoints_listed)
    wide = columns(kubectl.out("get", "svc", "web", "-o", "wide"))
    assert wide[0][-1] == "SELECTOR" and wide[1][-1] == "app=web"
    assert wide[1][:5] == ["web", "ClusterIP", spec["clusterIP"], "<none>", "80/TCP"]
    slices = columns(kubectl.out("get", "endpointslices", "-l", "kubernetes.io/service-name=web"))
    assert slices[0] == ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]
    assert re.fullmatch(r"web-[bcdfghjklmnpqrstvwxz2456789]{5}", slices[1][0])
    assert slices[1][1:3] == ["IPv4", "80"] and sorted(slices[1][3].split(",")) == pod_ips
    text = kubectl.out("describe", "svc", "web")
    assert re.search(r"^Selector: +app=web$", text, re.M)
    assert re.search(rf"^IP: +{re.escape(spec['clusterIP'])}$", text, re.M)
    shown = re.search(r"^Endpoints: +(\S+)$", text, re.M)
    assert shown and sorted(shown.group(1).split(",")) == [f"{ip}:80" for ip in pod_ips]


def test_expose_as_nodeport_and_the_allocation_errors(kubectl: Kubectl) -> None:
    ready(kubectl, "shop", 1)
    out = kubectl.out("expose", "deploy", "shop", "--name=shop-np", "--type=NodePort", "--port=8080")
    assert out.strip() == "service/shop-np exposed"
    spec = json.loads(kubectl.out("get", "svc", "shop-np", "-o", "json"))["spec"]
    node_port = spec["ports"][0]["nodePort"]
    assert 30000 <= node_port <= 32767 and spec["externalTrafficPolicy"] == "Cluster"
    row = columns(kubectl.out("get", "svc", "shop-np"))[1]
    assert row[1] == "NodePort" and row[4] == f"8080:{node_port}/TCP"
    taken = kubectl(
        "create", "service", "nodeport", "other", "--tcp=80:80", f"--node-port={node_port}", ok=False
    )
    assert taken.returncode == 1
    assert taken.stderr.strip() == (
        f'error: failed to create NodePort service: Service "other" is invalid: spec.ports[0].nodePort: '
        f"Invalid value: {node_port}: provided port is already allocated"
    )
    same_ip = kubectl(
        "expose", "deploy", "shop", "--name=again", f"--cluster-ip={spec['clusterIP']}", ok=False
    )
    assert same_ip.stderr.strip() == (
        f'The Service "again" is invalid: spec.clusterIPs: Invalid value: []string{{"{spec["clusterIP"]}"}}: '
        f"failed to allocate IP {spec['clusterIP']}: provided IP is already allocated"
    )
    headless = kubectl.out("expose", "deploy", "shop", "--name=shop-headless", "--cluster-ip=None")
    assert headless.strip() == "service/shop-headless exposed"
    assert columns(kubectl.out("get", "svc", "shop-headless"))[1][2] == "None"


def test_apply_keeps_the_cluster_ip_and_it_cannot_change(kubectl: Kubectl) -> None:
    path = kubectl.home / "front.yaml"
    path.write_text(SERVICE.format(port=80))
    assert kubectl.out("apply", "-f", str(path)).strip() == "service/front created"
    ip = kubectl.out("get", "svc", "front", "-o", "jsonpath={.spec.clusterIP}")
    path.write_text(SERVICE.format(port=8080))
    assert kubectl.out("apply", "-f", str(path)).strip() == "service/front configured"
    live = yaml.safe_load(kubectl.out("get", "svc", "front", "-o", "yaml"))
    assert live["spec"]["clusterIP"] == ip
    assert live["spec"]["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP", "targetPort": 80}]
    patch = json.dumps({"spec": {"clusterIP": "10.96.7.7"}})
    changed = kubectl("patch", "svc", "front", "-p", patch, ok=False)
    assert changed.returncode == 1
    assert changed.stderr.strip() == (
        'The Service "front" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.7.7"}: '
        "may not change once set"
    )
    assert kubectl.out("delete", "svc", "front").strip() == 'service "front" deleted'
    wait_for(lambda: "front" not in kubectl.out("get", "endpointslices,ep"))
