"""ingress-nginx as pods (the `ingress` scenario): the controller's lease, its Sync events, the
status address it writes a minute apart, the docs' "Set up Ingress on Minikube with the NGINX
Ingress Controller" flow end to end (hello-app behind `web` and `web2`), Ingresses of other
classes, and a TLS section whose Secret is missing. Exact times on the virtual clock."""

from __future__ import annotations

from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.ingress_nginx import FAKE_CERTIFICATE
from clusterlab.engine.network.ingress import NOT_FOUND_PAGE
from clusterlab.engine.timefmt import seconds_since

Obj = dict[str, Any]

WEB = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: %(name)s, labels: {app: %(name)s}}
spec:
  replicas: 1
  selector: {matchLabels: {app: %(name)s}}
  template:
    metadata: {labels: {app: %(name)s}}
    spec: {containers: [{name: hello-app, image: "gcr.io/google-samples/hello-app:%(version)s"}]}
---
apiVersion: v1
kind: Service
metadata: {name: %(name)s, labels: {app: %(name)s}}
spec:
  type: NodePort
  selector: {app: %(name)s}
  ports: [{port: 8080, protocol: TCP, targetPort: 8080}]
"""
# service/networking/example-ingress.yaml from the docs, and the /v2 path the task adds
EXAMPLE_INGRESS = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: example-ingress
spec:
  ingressClassName: nginx
  rules:
    - host: hello-world.example
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: web
                port:
                  number: 8080
"""
V2_PATH = """
          - path: /v2
            pathType: Prefix
            backend:
              service:
                name: web2
                port:
                  number: 8080
"""
MINIMAL_INGRESS = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: minimal-ingress
spec:
  ingressClassName: nginx-example
  rules:
  - http:
      paths:
      - path: /testpath
        pathType: Prefix
        backend:
          service:
            name: test
            port:
              number: 80
"""
#: seed 0: the controller's pod lands on worker-2, where its pull (3.998 s) waits 1.07 s behind
#: coredns's (5.068 s including waiting): its container starts at 5.868 s; its process is up and
#: elected one second later, and the leader syncs status then and every 60 s.
LEADER_AT = 6.868


def _events(c: Cluster, kind: str, name: str) -> list[Obj]:
    return [
        e for e in c.events() if e["involvedObject"]["kind"] == kind and e["involvedObject"]["name"] == name
    ]


def _address(c: Cluster, name: str) -> list[Obj]:
    return c.get("ingress", name)["status"]["loadBalancer"].get("ingress") or []


def _controller(c: Cluster) -> Obj:
    (pod,) = c.list("pods", namespace="ingress-nginx")
    return pod


def _curl(c: Cluster, host: str, path: str = "/") -> tuple[int, str]:
    """`curl http://<host><path>` from outside, the name resolving to the Ingress's address
    (the docs' /etc/hosts line), to the controller Service's node port."""
    svc = c.get("service", "ingress-nginx-controller", namespace="ingress-nginx")
    node_port = next(p["nodePort"] for p in svc["spec"]["ports"] if p["name"] == "http")
    address = _address(c, "example-ingress")[0]["ip"]
    reply = c.network.request(c.network.outside_source(), address, node_port, path, host)
    assert not reply.connection.error and reply.answer is not None
    return reply.answer.status, reply.answer.body


@pytest.fixture(scope="module")
def tutorial() -> Cluster:
    c = Cluster("ingress")
    c.advance(30)
    c.apply(WEB % {"name": "web", "version": "1.0"})
    c.apply(EXAMPLE_INGRESS)
    return c


def test_the_controller_is_elected_a_second_after_its_container_starts() -> None:
    c = Cluster("ingress")
    c.advance(LEADER_AT - 0.01)
    assert c.store.get("leases", "ingress-nginx", "ingress-nginx-leader") is None
    c.advance(0.01)
    pod = _controller(c)
    started = seconds_since(c.epoch, pod["status"]["containerStatuses"][0]["state"]["running"]["startedAt"])
    lease = c.get("lease", "ingress-nginx-leader", namespace="ingress-nginx")
    assert lease["spec"]["holderIdentity"] == pod["metadata"]["name"]
    assert lease["spec"]["leaseDurationSeconds"] == 30
    assert seconds_since(c.epoch, lease["spec"]["acquireTime"]) == pytest.approx(LEADER_AT)
    assert started == 5  # startedAt has whole seconds: 5.868 s
    (elected,) = _events(c, "Lease", "ingress-nginx-leader")
    assert (elected["reason"], elected["source"]) == (
        "LeaderElection",
        {"component": "ingress-leader-elector"},
    )
    assert elected["message"] == f"{pod['metadata']['name']} became leader"


def test_the_address_appears_at_the_first_status_sync_after_the_controller_is_ready(
    tutorial: Cluster,
) -> None:
    c = tutorial
    c.advance(LEADER_AT + 60 - c.now - 0.01)
    assert _address(c, "example-ingress") == []  # the sync at 6.868 s found no Ready controller pod
    (sync,) = _events(c, "Ingress", "example-ingress")
    assert (sync["type"], sync["reason"], sync["message"], sync["count"]) == (
        "Normal",
        "Sync",
        "Scheduled for sync",
        1,
    )
    assert sync["source"] == {"component": "nginx-ingress-controller"}
    assert seconds_since(c.epoch, sync["firstTimestamp"]) == 30
    c.advance(0.01)
    node = _controller(c)["spec"]["nodeName"]
    internal_ip = next(
        a["address"] for a in c.get("node", node)["status"]["addresses"] if a["type"] == "InternalIP"
    )
    assert _address(c, "example-ingress") == [{"ip": internal_ip}]
    (sync,) = _events(c, "Ingress", "example-ingress")
    assert sync["count"] == 2  # the status update is a change: "Scheduled for sync" again
    assert seconds_since(c.epoch, sync["lastTimestamp"]) == 66


def test_curl_hello_world_example_reaches_hello_app(tutorial: Cluster) -> None:
    c = tutorial
    c.advance(max(0.0, 70 - c.now))
    (web,) = c.list("pods", namespace="default", selector="app=web")
    status, body = _curl(c, "hello-world.example")
    assert status == 200
    assert body == f"Hello, world!\nVersion: 1.0.0\nHostname: {web['metadata']['name']}\n"
    assert _curl(c, "hello-world.example", "/v2") == (200, body)  # Prefix / takes everything
    assert _curl(c, "other.example") == (404, NOT_FOUND_PAGE)


def test_the_second_version_behind_v2(tutorial: Cluster) -> None:
    c = tutorial
    c.advance(max(0.0, 75 - c.now))
    c.apply(WEB % {"name": "web2", "version": "2.0"})
    c.apply(EXAMPLE_INGRESS + V2_PATH)
    c.advance(15)
    (web2,) = c.list("pods", namespace="default", selector="app=web2")
    status, body = _curl(c, "hello-world.example", "/v2")
    assert status == 200
    assert body == f"Hello, world!\nVersion: 2.0.0\nHostname: {web2['metadata']['name']}\n"
    assert _curl(c, "hello-world.example")[1].startswith("Hello, world!\nVersion: 1.0.0\n")
    (sync,) = _events(c, "Ingress", "example-ingress")
    assert sync["count"] == 3  # the edited Ingress was scheduled for sync once more


def test_an_ingress_of_another_class_is_ignored() -> None:
    c = Cluster("ingress")
    c.apply(MINIMAL_INGRESS)
    c.advance(130)
    assert _address(c, "minimal-ingress") == []
    assert _events(c, "Ingress", "minimal-ingress") == []


def test_a_missing_tls_secret_serves_the_fake_certificate_and_says_so_in_the_log() -> None:
    c = Cluster("ingress")
    c.advance(10)
    tls = EXAMPLE_INGRESS.replace(
        "  rules:", "  tls:\n  - hosts: [hello-world.example]\n    secretName: hello-tls\n  rules:"
    )
    c.apply(tls)
    c.advance(1)
    pod = _controller(c)
    name = pod["metadata"]["name"]
    assert c.ingress_nginx.certificate_for("ingress-nginx", name, "hello-world.example") == FAKE_CERTIFICATE
    runtime = c.kubelets[pod["spec"]["nodeName"]].runtime
    cid = pod["status"]["containerStatuses"][0]["containerID"]
    text = "\n".join(line for _, line in runtime.container_log(cid))
    assert "NGINX Ingress controller\n  Release:       v1.11.3" in text
    assert (
        'controller.go:1372] Error getting SSL certificate "default/hello-tls": local SSL certificate '
        "default/hello-tls was not found. Using default certificate"
    ) in text
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "hello-tls"},
            "type": "kubernetes.io/tls",
            "data": {"tls.crt": "Y2VydA==", "tls.key": "a2V5"},
        }
    )
    c.advance(1)
    assert (
        c.ingress_nginx.certificate_for("ingress-nginx", name, "hello-world.example") == "default/hello-tls"
    )


def test_a_deleted_controller_pod_stops_serving() -> None:
    c = Cluster("ingress")
    c.advance(30)
    name = _controller(c)["metadata"]["name"]
    assert c.ingress_nginx.ingresses_seen("ingress-nginx", name) == []
    c.delete("pod", name, namespace="ingress-nginx")
    c.advance(0)
    assert c.ingress_nginx.ingresses_seen("ingress-nginx", name) is None  # terminating: shutting down
    # its next lease renewal (every 7.5 s from 6.868 s: at 36.868 s) finds it stopping: it gives
    # the lease back
    c.advance(6.868)
    lease = c.get("lease", "ingress-nginx-leader", namespace="ingress-nginx")["spec"]
    assert (lease["holderIdentity"], lease["leaseDurationSeconds"]) == ("", 1)
    c.advance(30)
    (new,) = [p for p in c.list("pods", namespace="ingress-nginx") if p["metadata"]["name"] != name]
    lease = c.get("lease", "ingress-nginx-leader", namespace="ingress-nginx")["spec"]
    assert (lease["holderIdentity"], lease["leaseTransitions"]) == (new["metadata"]["name"], 1)
    assert c.ingress_nginx.ingresses_seen("ingress-nginx", new["metadata"]["name"]) == []
