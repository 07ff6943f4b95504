"""LoadBalancer Services: an external IP from the lab cloud's pool, written to status by the
service controller with its events, traffic from outside through a node's rules, cleanup."""

from __future__ import annotations

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.service_tables import external_ip
from tests.manifests import nginx_web_deployment

LB = (
    nginx_web_deployment(2)
    + """---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 80}]
"""
)


@pytest.fixture
def cluster() -> Cluster:
    c = Cluster.from_scenario("default", seed=3)
    c.apply(LB)
    c.advance(30)
    return c


def svc_events(c: Cluster, name: str) -> list[tuple[str, str, str]]:
    return [
        (e["reason"], e["message"], e["source"].get("component", ""))
        for e in c.events()
        if e["involvedObject"].get("kind") == "Service" and e["involvedObject"]["name"] == name
    ]


def test_the_service_controller_assigns_the_first_pool_address(cluster: Cluster) -> None:
    svc = cluster.get("services", "web")
    assert svc["status"]["loadBalancer"] == {"ingress": [{"ip": "172.18.255.200", "ipMode": "VIP"}]}
    assert svc["metadata"]["finalizers"] == ["service.kubernetes.io/load-balancer-cleanup"]
    assert svc_events(cluster, "web") == [
        ("EnsuringLoadBalancer", "Ensuring load balancer", "service-controller"),
        ("EnsuredLoadBalancer", "Ensured load balancer", "service-controller"),
    ]
    assert external_ip(svc) == "172.18.255.200"  # kubectl get svc's EXTERNAL-IP
    # The next one gets the next address; a ClusterIP Service gets none.
    cluster.apply(
        "apiVersion: v1\nkind: Service\nmetadata: {name: second}\n"
        "spec: {type: LoadBalancer, selector: {app: web}, ports: [{port: 8080, targetPort: 80}]}"
    )
    cluster.advance(1)
    ip = cluster.get("services", "second")["status"]["loadBalancer"]["ingress"][0]["ip"]
    assert ip == "172.18.255.201"


def test_outside_traffic_to_the_load_balancer_reaches_the_pods(cluster: Cluster) -> None:
    cluster.send_traffic("172.18.255.200:80", 100)
    cluster.advance(9.5)
    stats = cluster.traffic()
    assert stats.services[("default", "web")].requests == 1000
    assert stats.services[("default", "web")].errors == 0
    assert sorted(k[1][:3] for k in stats.pods) == ["web", "web"]
    cluster.send_traffic("172.18.255.200:80", 0)


def test_changing_the_type_or_deleting_releases_the_address(cluster: Cluster) -> None:
    svc = cluster.get("services", "web")
    svc["spec"]["type"] = "ClusterIP"
    for port in svc["spec"]["ports"]:
        port.pop("nodePort", None)
    svc["spec"].pop("externalTrafficPolicy", None)
    svc["spec"].pop("allocateLoadBalancerNodePorts", None)
    cluster.update(svc)
    cluster.advance(1)
    svc = cluster.get("services", "web")
    assert svc["status"]["loadBalancer"] == {}
    assert "finalizers" not in svc["metadata"] or svc["metadata"]["finalizers"] == []
    assert [r for r, _, _ in svc_events(cluster, "web")][-2:] == [
        "DeletingLoadBalancer",
        "DeletedLoadBalancer",
    ]
    cluster.apply(
        "apiVersion: v1\nkind: Service\nmetadata: {name: other}\n"
        "spec: {type: LoadBalancer, selector: {app: web}, ports: [{port: 80}]}"
    )
    cluster.advance(1)
    assert cluster.get("services", "other")["status"]["loadBalancer"]["ingress"][0]["ip"] == "172.18.255.200"
    cluster.delete("services", "other")
    cluster.advance(1)
    assert [s["metadata"]["name"] for s in cluster.list("services", "default")] == ["kubernetes", "web"]


def test_local_traffic_policy_drops_at_nodes_without_an_endpoint() -> None:
    c = Cluster.from_scenario("default", seed=3)
    c.apply(
        LB.replace("replicas: 2", "replicas: 1").replace(
            "type: LoadBalancer", "type: NodePort\n  externalTrafficPolicy: Local"
        )
    )
    c.advance(30)
    (pod,) = [p for p in c.list("pods", "default") if p["metadata"]["name"].startswith("web-")]
    port = c.get("services", "web")["spec"]["ports"][0]["nodePort"]
    home = pod["spec"]["nodeName"]
    away = next(n for n in sorted(c.kubelets) if n not in (home, "control-plane"))
    for node, rps in ((home, 10), (away, 20)):
        c.send_traffic(f"{c.kubelets[node].config.internal_ip}:{port}", rps)
    c.advance(9.5)
    web = c.traffic().services[("default", "web")]
    # From outside: the pod's node serves (its KUBE-SVL chain); the other DROPs (timeouts).
    # Batches at 30…39 for the first source, 31…39 for the second (it joins the next batch).
    assert (web.requests, web.errors) == (10 * 10 + 9 * 20, 9 * 20)
    assert [counter.requests for counter in c.traffic().pods.values()] == [100]
