"""Source NAT on the traffic path: kube-proxy marks a NodePort connection under
`externalTrafficPolicy: Cluster` (KUBE-EXT-… → KUBE-MARK-MASQ) and KUBE-POSTROUTING masquerades
it to the address of the interface it leaves by, so the backend pod sees the entry node's
flannel.1 (10.244.N.0) or cni0 (10.244.N.1) address, and NetworkPolicy on a pod's node judges
what it sees; `Local` keeps the client's address. A pod reaching itself through its Service
(hairpin) is masqueraded too; a pod reaching another pod through it is not."""

from __future__ import annotations

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.network.traffic import OUTSIDE_CLIENT_IP, TIMED_OUT

NODE_PORT = 30080
WEB = f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      nodeSelector: {{kubernetes.io/hostname: worker-2}}
      containers: [{{name: nginx, image: nginx:1.27, ports: [{{containerPort: 80}}]}}]
---
apiVersion: v1
kind: Service
metadata: {{name: web}}
spec:
  type: NodePort
  selector: {{app: web}}
  ports: [{{port: 80, nodePort: {NODE_PORT}}}]
"""
#: Only clients of TEST-NET-3 (where the lab's outside client sits) may reach web.
ALLOW_OUTSIDE = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-outside}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
  - from: [{ipBlock: {cidr: 203.0.113.0/24}}]
    ports: [{port: 80}]
"""
WORKER_1, WORKER_2 = "172.18.0.3", "172.18.0.4"


@pytest.fixture
def cluster() -> Cluster:
    c = Cluster.from_scenario("default", seed=7)
    c.apply(WEB)
    c.advance(30)
    return c


def _web(c: Cluster) -> dict:
    (pod,) = c.list("pods", "default", selector="app=web")
    assert pod["spec"]["nodeName"] == "worker-2"
    return pod


def _set_policy(c: Cluster, policy: str) -> None:
    svc = c.get("services", "web")
    svc["spec"]["externalTrafficPolicy"] = policy
    c.update(svc)
    c.advance(2)  # every kube-proxy has synced


def test_cluster_policy_masquerades_to_the_entry_nodes_interface(cluster: Cluster) -> None:
    c = cluster
    net = c.network
    web_ip = _web(c)["status"]["podIP"]
    # entering worker-1: DNAT to worker-2's pod, out by flannel.1 with worker-1's 10.244.1.0
    conn = net.connect(net.outside_source(), WORKER_1, NODE_PORT)
    assert (conn.error, conn.ip, conn.client_ip) == ("", web_ip, "10.244.1.0")
    assert conn.nat is not None
    assert (conn.nat.node, conn.nat.interface, conn.nat.marked_by[:9]) == (
        "worker-1",
        "flannel.1",
        "KUBE-EXT-",
    )
    assert str(conn.nat) == "source NATed to 10.244.1.0 by KUBE-POSTROUTING (Cluster policy)"
    # entering worker-2 itself: out by the bridge, cni0's 10.244.2.1
    conn = net.connect(net.outside_source(), WORKER_2, NODE_PORT)
    assert (conn.error, conn.client_ip, conn.nat.interface if conn.nat else "") == ("", "10.244.2.1", "cni0")
    # a node's own client to the cluster IP is masqueraded too (`! -s 10.244.0.0/16` in KUBE-SVC)
    cluster_ip = c.get("services", "web")["spec"]["clusterIP"]
    conn = net.connect(net.node_source("worker-3"), cluster_ip, 80)
    assert (conn.client_ip, str(conn.nat)) == (
        "10.244.3.0",
        "source NATed to 10.244.3.0 by KUBE-POSTROUTING (from outside the pod network)",
    )


def test_local_policy_keeps_the_client_address(cluster: Cluster) -> None:
    c = cluster
    net = c.network
    _set_policy(c, "Local")
    conn = net.connect(net.outside_source(), WORKER_2, NODE_PORT)
    assert (conn.error, conn.client_ip, conn.nat) == ("", OUTSIDE_CLIENT_IP, None)
    # worker-1 has no local endpoint: its KUBE-EXTERNAL-SERVICES rule drops the SYN
    conn = net.connect(net.outside_source(), WORKER_1, NODE_PORT)
    assert (conn.error, conn.seconds, conn.service) == (TIMED_OUT, 127.0, "default/web")


def test_an_ipblock_for_the_client_fails_under_cluster_and_works_under_local(cluster: Cluster) -> None:
    c = cluster
    net = c.network
    c.apply(ALLOW_OUTSIDE)
    web = _web(c)
    # Cluster: worker-2's Calico sees worker-1's flannel.1 address, which no rule allows
    conn = net.connect(net.outside_source(), WORKER_1, NODE_PORT)
    assert (conn.error, conn.seconds) == (TIMED_OUT, 127.0)
    (drop,) = c.recent_policy_drops()
    assert (drop.source, drop.destination, drop.policies) == (
        "10.244.1.0",
        f"default/{web['metadata']['name']}",
        ("default/web-from-outside",),
    )
    assert c.network_policy_drops() == {("default", "web-from-outside"): 1}
    # the load generator's batches go the same way: every request dropped
    c.send_traffic(f"{WORKER_1}:{NODE_PORT}", 10)
    c.advance(0.5)
    counter = c.traffic().services[("default", "web")]
    assert (counter.requests, counter.errors) == (10, 10)
    c.send_traffic(f"{WORKER_1}:{NODE_PORT}", 0)
    # Local: the pod's node sees the client itself, which the ipBlock allows
    _set_policy(c, "Local")
    conn = net.connect(net.outside_source(), WORKER_2, NODE_PORT)
    assert (conn.error, conn.client_ip) == ("", OUTSIDE_CLIENT_IP)
    assert c.network_policy_drops() == {("default", "web-from-outside"): 2}  # a batch is judged once


def test_a_pod_reaching_itself_through_its_service_is_masqueraded(cluster: Cluster) -> None:
    c = cluster
    c.apply(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: client}\nspec:\n"
        "  nodeSelector: {kubernetes.io/hostname: worker-2}\n"
        "  containers: [{name: bb, image: 'busybox:1.36', command: [sleep, '3600']}]"
    )
    c.advance(10)
    net = c.network
    web = _web(c)
    cluster_ip = c.get("services", "web")["spec"]["clusterIP"]
    hairpin = net.connect(net.pod_source(web), cluster_ip, 80)
    assert (hairpin.error, hairpin.client_ip) == ("", "10.244.2.1")  # KUBE-SEP's `-s <itself>`
    assert str(hairpin.nat) == "source NATed to 10.244.2.1 by KUBE-POSTROUTING (hairpin)"
    client = c.get("pods", "client")
    conn = net.connect(net.pod_source(client), cluster_ip, 80)
    assert (conn.error, conn.client_ip, conn.nat) == ("", client["status"]["podIP"], None)


def test_explain_connection_says_where_the_source_was_natted(cluster: Cluster) -> None:
    c = cluster
    c.apply(ALLOW_OUTSIDE)
    web = _web(c)["metadata"]["name"]
    verdict = c.explain_connection(OUTSIDE_CLIENT_IP, web, 80, via=f"{WORKER_1}:{NODE_PORT}")
    assert not verdict.allowed
    assert verdict.reason == (
        "source NATed to 10.244.1.0 by KUBE-POSTROUTING (Cluster policy); dropped: "
        f"default/{web} is isolated for ingress by default/web-from-outside, and no ingress rule "
        "allows TCP port 80 from 10.244.1.0"
    )
    direct = c.explain_connection(OUTSIDE_CLIENT_IP, web, 80)
    assert direct.reason == "allowed by default/web-from-outside ingress[0]"
    _set_policy(c, "Local")
    local = c.explain_connection(OUTSIDE_CLIENT_IP, web, 80, via=f"{WORKER_2}:{NODE_PORT}")
    assert local.reason == "allowed by default/web-from-outside ingress[0]"
    assert c.network_policy_drops() == {}  # explaining sends nothing
