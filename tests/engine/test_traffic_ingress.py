"""Load to an Ingress host (`Cluster.send_traffic("hello-world.example", rps)`): it enters from
outside through the ingress controller's node port, the controller pod routes it by host and
path, and both hops are counted. The docs' "Set up Ingress on Minikube with the NGINX Ingress
Controller" flow (as in test_ingress_controller.py), exact counts on the virtual clock."""

from __future__ import annotations

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.errors import BadRequest
from clusterlab.engine.network.ingress_load import entry as ingress_entry
from clusterlab.engine.network.live_traffic import Counter

from .test_ingress_controller import EXAMPLE_INGRESS, V2_PATH, WEB

#: An Ingress whose host has no `/` rule: other paths get the controller's default backend.
API_INGRESS = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: api}
spec:
  ingressClassName: nginx
  rules:
  - host: api.example
    http:
      paths:
      - {path: /v2, pathType: Prefix, backend: {service: {name: web2, port: {number: 8080}}}}
"""
CONTROLLER = ("ingress-nginx", "ingress-nginx-controller")
#: hello-app's 1 ms per request stretched by its utilisation (M/M/1: 100 requests/s × 1 ms on one
#: core, ρ = 0.1), plus the 0.5 ms hop from the controller pod on another node; the controller
#: adds its own 0.3 ms of proxying at ρ = 100 × 0.3 ms = 0.03 and the 0.1 ms hop from the node
#: port on its own node.
WEB_LATENCY_MS = 0.5 + 1.0 / (1 - 0.1)
CONTROLLER_LATENCY_MS = 0.1 + 0.3 / (1 - 0.03) + WEB_LATENCY_MS


def _pod(c: Cluster, app: str) -> tuple[str, str]:
    (pod,) = c.list("pods", namespace="default", selector=f"app={app}")
    return "default", pod["metadata"]["name"]


def _controller_pod(c: Cluster) -> tuple[str, str]:
    (pod,) = c.list("pods", namespace="ingress-nginx")
    return "ingress-nginx", pod["metadata"]["name"]


def _totals(counter: Counter) -> tuple[int, int]:
    return counter.requests, counter.errors


@pytest.fixture()
def lab() -> Cluster:
    c = Cluster("ingress")
    c.advance(30)
    c.apply(WEB % {"name": "web", "version": "1.0"})
    c.apply(EXAMPLE_INGRESS)
    c.advance(40)  # the controller serves it; the Ingress has its address (66 s)
    return c


def test_load_to_the_host_reaches_web_through_the_controller(lab: Cluster) -> None:
    c = lab
    c.send_traffic("hello-world.example", 100)  # a batch at 70 s, then one every second
    c.advance(10)
    snap = c.traffic()
    web, controller = snap.pods[_pod(c, "web")], snap.pods[_controller_pod(c)]
    assert _totals(web) == (1100, 0)
    assert _totals(controller) == (1100, 0)
    assert (web.rate, controller.rate) == (100.0, 100.0)  # the last 10 complete seconds
    assert _totals(snap.services[("default", "web")]) == (1100, 0)
    assert _totals(snap.services[CONTROLLER]) == (1100, 0)
    # the controller's latency is its own (network, proxying) plus the upstream's
    assert controller.latency_ms > web.latency_ms > 0
    assert web.latency_ms == pytest.approx(WEB_LATENCY_MS)
    assert controller.latency_ms == pytest.approx(CONTROLLER_LATENCY_MS)
    c.delete("ingress", "example-ingress")
    c.send_traffic("hello-world.example", 0)  # stopping works though no Ingress names it now
    c.advance(5)
    assert _totals(c.traffic().pods[_pod(c, "web")]) == (1100, 0)


def test_v2_reaches_web2_and_the_rest_stays_on_web(lab: Cluster) -> None:
    c = lab
    c.apply(WEB % {"name": "web2", "version": "2.0"})
    c.apply(EXAMPLE_INGRESS + V2_PATH)
    c.advance(15)
    c.send_traffic("http://hello-world.example/v2", 40)
    c.send_traffic("hello-world.example", 60, path="/v2/page")
    c.send_traffic("http://hello-world.example/v20", 30)  # Prefix matches by element: not /v2
    c.advance(5)
    snap = c.traffic()
    assert _totals(snap.pods[_pod(c, "web2")]) == (40 * 6 + 60 * 5, 0)
    assert _totals(snap.pods[_pod(c, "web")]) == (30 * 5, 0)
    assert _totals(snap.pods[_controller_pod(c)]) == (40 * 6 + 60 * 5 + 30 * 5, 0)
    assert _totals(snap.services[("default", "web2")]) == (540, 0)


def test_an_unknown_path_is_a_404_answered_by_the_controller_not_an_error(lab: Cluster) -> None:
    c = lab
    c.apply(WEB % {"name": "web2", "version": "2.0"})
    c.apply(API_INGRESS)
    c.advance(15)
    c.send_traffic("http://api.example/other", 20)
    c.advance(10)
    snap = c.traffic()
    controller = snap.pods[_controller_pod(c)]
    assert _totals(controller) == (220, 0)  # nginx answered each: a 4xx is no server error
    assert (controller.rate, controller.error_rate) == (20.0, 0.0)
    assert _pod(c, "web2") not in snap.pods  # nothing was proxied


def _request(c: Cluster, host: str, path: str = "/") -> int:
    """One request from outside to the Ingress's address and the controller's node port."""
    at = ingress_entry(c.network, host, "worker-1")
    reply = c.network.request(c.network.outside_source(), at.address, at.port, path, host)
    assert reply.answer is not None
    return reply.answer.status


def test_a_single_request_and_the_load_count_404s_and_503s_alike(lab: Cluster) -> None:
    c = lab
    c.apply(WEB % {"name": "web2", "version": "2.0"})
    c.apply(API_INGRESS)
    c.advance(15)
    controller = _controller_pod(c)
    assert _request(c, "api.example", "/other") == 404
    assert _totals(c.traffic().pods[controller]) == (1, 0)
    c.scale("deployment", "web", 0)
    c.advance(40)
    assert _request(c, "hello-world.example") == 503
    assert _totals(c.traffic().pods[controller]) == (2, 1)
    c.send_traffic("hello-world.example", 10)  # nginx's 503s: errors, 5 batches
    c.send_traffic("http://api.example/other", 10)  # its 404s: answered, from the next batch on
    c.advance(4)
    assert _totals(c.traffic().pods[controller]) == (2 + 50 + 40, 1 + 50)


def test_the_load_follows_the_ingress_address_to_a_new_controller_node(lab: Cluster) -> None:
    c = lab
    (ing,) = c.list("ingresses", namespace="default")
    first = ing["status"]["loadBalancer"]["ingress"][0]["ip"]
    c.send_traffic("hello-world.example", 10)
    c.advance(5)
    old_node = c.get("pods", _controller_pod(c)[1], namespace="ingress-nginx")["spec"]["nodeName"]
    node = c.get("nodes", old_node)
    node["spec"]["unschedulable"] = True  # kubectl cordon
    c.update(node)
    c.delete("pods", _controller_pod(c)[1], namespace="ingress-nginx")
    c.advance(85)  # the replacement runs elsewhere; a status sync after its election publishes it
    (ing,) = c.list("ingresses", namespace="default")
    moved = ing["status"]["loadBalancer"]["ingress"][0]["ip"]
    assert moved != first
    c.kill_node(old_node)  # the old address answers nothing now
    before = _totals(c.traffic().services[("default", "web")])
    c.advance(5)
    after = _totals(c.traffic().services[("default", "web")])
    assert (after[0] - before[0], after[1] - before[1]) == (50, 0)


def test_a_backend_without_ready_endpoints_is_a_503_and_no_controller_refuses(lab: Cluster) -> None:
    c = lab
    c.scale("deployment", "web", 0)
    c.advance(40)
    c.send_traffic("hello-world.example", 10)
    c.advance(4)
    assert _totals(c.traffic().pods[_controller_pod(c)]) == (50, 50)  # nginx's 503 page
    c.send_traffic("hello-world.example", 0)
    c.scale("deployment", "ingress-nginx-controller", 0, namespace="ingress-nginx")
    c.advance(60)
    assert c.list("pods", namespace="ingress-nginx") == []
    before = c.traffic().services[CONTROLLER].requests
    c.send_traffic("hello-world.example", 10)
    c.advance(4)
    service = c.traffic().services[CONTROLLER]
    # kube-proxy's rules REJECT the node port of a Service without endpoints: refused
    assert (service.requests - before, service.errors - before) == (50, 50)


def test_a_target_that_is_no_service_address_or_ingress_host_is_refused(lab: Cluster) -> None:
    with pytest.raises(BadRequest) as err:
        lab.send_traffic("other.example", 10)  # no Ingress serves it, nor a catch-all
    assert str(err.value) == (
        'invalid target "other.example": no Service "other.example" in namespace "default" and no '
        "Ingress serves that host; expected a Service name (NAME or NAME:PORT), an address (IP:PORT) "
        "or an Ingress host (HOST or http://HOST/PATH)"
    )
    lab.send_traffic("web", 5)  # a Service still wins over any host
    lab.advance(1)
    assert _totals(lab.traffic().services[("default", "web")]) == (10, 0)


def test_nginx_splits_the_load_evenly_over_the_ready_endpoints(lab: Cluster) -> None:
    c = lab
    c.scale("deployment", "web", 3)
    c.advance(20)
    c.send_traffic("hello-world.example", 100)
    c.advance(2)  # three batches of 100: round-robin goes on where the last batch stopped
    snap = c.traffic("default")
    pods = c.list("pods", namespace="default", selector="app=web")
    assert sorted(_totals(snap.pods[("default", p["metadata"]["name"])]) for p in pods) == [(100, 0)] * 3
