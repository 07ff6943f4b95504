"""Services in the engine: defaulting, ClusterIP and NodePort allocation, validation, the
`kubernetes` Service, and the EndpointSlice and Endpoints controllers on the virtual clock."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.controllers import endpointslice
from clusterlab.engine.errors import ApiError

APP = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: app, image: nginx:1.27, ports: [{containerPort: 8080, name: http}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, labels: {tier: front}}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
"""


def svc(name: str, **spec: Any) -> dict[str, Any]:
    spec.setdefault("ports", [{"port": 80}])
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec}


def error_of(c: Cluster, obj: dict[str, Any]) -> str:
    with pytest.raises(ApiError) as exc:
        c.apply(obj)
    return exc.value.message


def slices_of(c: Cluster, service: str) -> list[dict[str, Any]]:
    return c.list("endpointslices", "default", selector=f"kubernetes.io/service-name={service}")


@pytest.fixture
def cluster() -> Cluster:
    return Cluster.from_scenario("default", seed=7)


def test_kubernetes_service_and_its_endpoints_exist_from_the_start(cluster: Cluster) -> None:
    s = cluster.get("service", "kubernetes")
    assert s["metadata"]["labels"] == {"component": "apiserver", "provider": "kubernetes"}
    assert s["spec"] == {
        "clusterIP": "10.96.0.1",
        "clusterIPs": ["10.96.0.1"],
        "internalTrafficPolicy": "Cluster",
        "ipFamilies": ["IPv4"],
        "ipFamilyPolicy": "SingleStack",
        "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
        "sessionAffinity": "None",
        "type": "ClusterIP",
    }
    assert cluster.get("endpoints", "kubernetes")["subsets"] == [
        {"addresses": [{"ip": "172.18.0.2"}], "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]}
    ]
    eps = cluster.get("endpointslices", "kubernetes")
    assert eps["endpoints"] == [{"addresses": ["172.18.0.2"], "conditions": {"ready": True}}]
    cluster.advance(30)  # no controller touches a selector-less Service's endpoints
    assert (
        cluster.get("endpointslices", "kubernetes")["metadata"]["resourceVersion"]
        == (eps["metadata"]["resourceVersion"])
    )


def test_defaults_and_a_deterministic_cluster_ip(cluster: Cluster) -> None:
    s = cluster.apply(svc("web", selector={"app": "web"}, ports=[{"port": 80}]))[0]
    ip = s["spec"]["clusterIP"]
    assert s["spec"] == {
        "selector": {"app": "web"},
        "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
        "type": "ClusterIP",
        "sessionAffinity": "None",
        "internalTrafficPolicy": "Cluster",
        "ipFamilyPolicy": "SingleStack",
        "ipFamilies": ["IPv4"],
        "clusterIP": ip,
        "clusterIPs": [ip],
    }
    assert s["status"] == {"loadBalancer": {}}
    # Dynamic addresses come from above the 256 kept for requests, within 10.96.0.0/12.
    assert ipaddress.ip_address(ip) in ipaddress.ip_network("10.96.0.0/12")
    assert int(ipaddress.ip_address(ip)) - int(ipaddress.ip_address("10.96.0.0")) > 256
    again = Cluster.from_scenario("default", seed=7).apply(svc("web", selector={"app": "web"}))[0]
    assert again["spec"]["clusterIP"] == ip  # same seed, same commands: same address
    other = Cluster.from_scenario("default", seed=8).apply(svc("web", selector={"app": "web"}))[0]
    assert other["spec"]["clusterIP"] != ip


def test_requested_cluster_ips_and_headless(cluster: Cluster) -> None:
    # kubeadm's kube-dns Service holds the 10th address, the kubelets' cluster DNS
    assert error_of(cluster, svc("dns", clusterIP="10.96.0.10")) == (
        'Service "dns" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: '
        "failed to allocate IP 10.96.0.10: provided IP is already allocated"
    )
    assert cluster.apply(svc("a", clusterIP="10.96.0.20"))[0]["spec"]["clusterIPs"] == ["10.96.0.20"]
    assert error_of(cluster, svc("b", clusterIP="10.96.0.20")) == (
        'Service "b" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.20"}: '
        "failed to allocate IP 10.96.0.20: provided IP is already allocated"
    )
    assert error_of(cluster, svc("c", clusterIP="192.168.1.1")) == (
        'Service "c" is invalid: spec.clusterIPs: Invalid value: []string{"192.168.1.1"}: failed to '
        "allocate IP 192.168.1.1: the provided IP (192.168.1.1) is not in the valid range. The range "
        "of valid IPs is 10.96.0.0/12"
    )
    headless = cluster.apply(svc("h", clusterIP="None", selector={"app": "web"}))[0]["spec"]
    assert headless["clusterIPs"] == ["None"] and headless["ipFamilyPolicy"] == "SingleStack"
    bare = cluster.apply(svc("bare", clusterIP="None", ports=[]))[0]["spec"]
    assert bare["ipFamilyPolicy"] == "RequireDualStack" and "ports" not in bare
    cluster.delete("service", "a")  # released: the address can be asked for again
    assert cluster.apply(svc("b", clusterIP="10.96.0.20"))[0]["spec"]["clusterIP"] == "10.96.0.20"


def test_node_ports(cluster: Cluster) -> None:
    two = cluster.apply(
        svc("np", type="NodePort", ports=[{"name": "a", "port": 80}, {"name": "b", "port": 443}])
    )
    first, second = (p["nodePort"] for p in two[0]["spec"]["ports"])
    assert first != second and all(30086 <= p <= 32767 for p in (first, second))
    created = cluster.apply(
        svc("np3", type="NodePort", ports=[{"name": "a", "port": 80, "nodePort": 30080}])
    )[0]
    spec = created["spec"]
    assert spec["ports"][0]["nodePort"] == 30080 and spec["externalTrafficPolicy"] == "Cluster"
    assert error_of(cluster, svc("np4", type="NodePort", ports=[{"port": 80, "nodePort": 30080}])) == (
        'Service "np4" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already '
        "allocated"
    )
    assert error_of(cluster, svc("np5", type="NodePort", ports=[{"port": 80, "nodePort": 8080}])) == (
        'Service "np5" is invalid: spec.ports[0].nodePort: Invalid value: 8080: provided port is not in '
        "the valid range. The range of valid ports is 30000-32767"
    )
    auto = cluster.apply(svc("np6", type="NodePort"))[0]["spec"]["ports"][0]["nodePort"]
    assert 30000 + 86 <= auto <= 32767  # dynamic ports come from above the static band
    lb = cluster.apply(svc("lb", type="LoadBalancer"))[0]["spec"]
    assert lb["allocateLoadBalancerNodePorts"] is True and lb["ports"][0]["nodePort"]


def test_validation_the_schema_cannot_do(cluster: Cluster) -> None:
    assert error_of(cluster, svc("x", ports=[])) == 'Service "x" is invalid: spec.ports: Required value'
    assert error_of(cluster, svc("x", ports=[{"port": 80}, {"port": 81}])) == (
        'Service "x" is invalid: [spec.ports[0].name: Required value, spec.ports[1].name: Required value]'
    )
    assert error_of(cluster, svc("x", ports=[{"port": 80, "name": "a"}, {"port": 81, "name": "a"}])) == (
        'Service "x" is invalid: spec.ports[1].name: Duplicate value: "a"'
    )
    assert error_of(cluster, svc("x", ports=[{"port": 80, "nodePort": 30001}])) == (
        'Service "x" is invalid: spec.ports[0].nodePort: Forbidden: may not be used when `type` is '
        "'ClusterIP'"
    )
    assert error_of(cluster, svc("x", type="Bogus")) == (
        'Service "x" is invalid: spec.type: Unsupported value: "Bogus": supported values: "ClusterIP", '
        '"ExternalName", "LoadBalancer", "NodePort"'
    )
    assert error_of(cluster, svc("x", ports=[{"port": 0}])) == (
        'Service "x" is invalid: [spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, '
        "inclusive, spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive]"
    )
    name = cluster.apply(svc("ext", type="ExternalName", externalName="db.example.com", ports=[]))[0]
    assert "clusterIP" not in name["spec"] and "internalTrafficPolicy" not in name["spec"]


def test_updates_keep_allocations_and_the_cluster_ip_is_immutable(cluster: Cluster) -> None:
    first = cluster.apply(svc("web", type="NodePort", selector={"app": "web"}))[0]["spec"]
    second = cluster.apply(svc("web", type="NodePort", selector={"app": "web2"}))[0]["spec"]
    assert second["clusterIP"] == first["clusterIP"]
    assert second["ports"][0]["nodePort"] == first["ports"][0]["nodePort"]
    live = cluster.get("service", "web")
    live["spec"]["clusterIP"] = "10.96.7.7"
    with pytest.raises(ApiError) as exc:
        cluster.update(live)
    assert exc.value.message == (
        'Service "web" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.7.7"}: '
        "may not change once set"
    )
    as_cluster_ip = cluster.apply(svc("web", type="ClusterIP", selector={"app": "web2"}))[0]["spec"]
    assert "nodePort" not in as_cluster_ip["ports"][0] and "externalTrafficPolicy" not in as_cluster_ip
    live = cluster.get("service", "web")
    live["spec"].update(type="ExternalName", externalName="db.example.com")
    external = cluster.update(live)["spec"]  # the allocated IP goes with the type that needed it
    assert "clusterIP" not in external and "clusterIPs" not in external and "ipFamilies" not in external
    live = cluster.get("service", "web")
    live["spec"].update(type="ClusterIP")
    del live["spec"]["externalName"]
    assert cluster.update(live)["spec"]["clusterIP"].startswith("10.")


def test_endpoint_slice_follows_the_pods_on_the_virtual_clock(cluster: Cluster) -> None:
    cluster.apply(APP)
    in_slice: list[tuple[float, Any]] = []
    in_pods: list[tuple[float, Any]] = []
    while cluster.now < 20:
        slices = slices_of(cluster, "web")
        state = sorted(
            (e["targetRef"]["name"], e["addresses"][0], e["conditions"]["ready"])
            for s in slices
            for e in s.get("endpoints") or []
        )
        if not in_slice or in_slice[-1][1] != (len(slices), state):
            in_slice.append((round(cluster.now, 2), (len(slices), state)))
        pods = sorted(
            (
                p["metadata"]["name"],
                p["status"]["podIP"],
                any(
                    c["type"] == "Ready" and c["status"] == "True"
                    for c in p["status"].get("conditions") or ()
                ),
            )
            for p in cluster.list("pods", "default", selector="app=web")
            if p["status"].get("podIP")
        )
        if not in_pods or in_pods[-1][1] != pods:
            in_pods.append((round(cluster.now, 2), pods))
        cluster.advance(0.05)
    # The Service was created at 0: its placeholder slice is there by the next step (0.05).
    assert in_slice[:2] == [(0.0, (0, [])), (0.05, (1, []))]
    # From then on the slice changes in the very step the pods change: sandbox IPs at 0.5
    # (listed, not ready), then each pod's Ready condition.
    assert [t for t, _ in in_pods][1] == 0.5
    assert [(t, s) for t, (_, s) in in_slice[2:]] == in_pods[1:]
    assert len(in_pods) == 4 and all(ready for _, _, ready in in_pods[-1][1])
    eps = slices_of(cluster, "web")[0]
    assert eps["metadata"]["labels"] == {
        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
        "kubernetes.io/service-name": "web",
        "tier": "front",
    }
    assert eps["metadata"]["ownerReferences"][0]["kind"] == "Service"
    pod = cluster.get("pods", eps["endpoints"][0]["targetRef"]["name"])
    assert eps["endpoints"][0] == {
        "addresses": [pod["status"]["podIP"]],
        "conditions": {"ready": True, "serving": True, "terminating": False},
        "nodeName": pod["spec"]["nodeName"],
        "targetRef": {
            "kind": "Pod",
            "namespace": "default",
            "name": pod["metadata"]["name"],
            "uid": pod["metadata"]["uid"],
        },
    }
    assert eps["ports"] == [{"name": "", "port": 8080, "protocol": "TCP"}]
    ep = cluster.get("endpoints", "web")
    assert ep["metadata"]["labels"] == {"tier": "front"}
    ips = [a["ip"] for a in ep["subsets"][0]["addresses"]]
    assert len(ips) == 2 and ips == sorted(ips, key=ipaddress.ip_address)  # RepackSubsets sorts by IP
    assert ep["subsets"][0]["ports"] == [{"port": 8080, "protocol": "TCP"}]


def test_a_terminating_pod_is_serving_but_not_ready(cluster: Cluster) -> None:
    cluster.apply(APP)
    cluster.advance(10)
    victim = slices_of(cluster, "web")[0]["endpoints"][0]["targetRef"]["name"]
    cluster.delete("pods", victim)
    cluster.advance(0.05)
    conditions = {e["targetRef"]["name"]: e["conditions"] for e in slices_of(cluster, "web")[0]["endpoints"]}
    assert conditions[victim] == {"ready": False, "serving": True, "terminating": True}
    ep = cluster.get("endpoints", "web")  # v1 Endpoints drop terminating pods at once
    assert victim not in [a["targetRef"]["name"] for s in ep["subsets"] for a in s.get("addresses", [])]
    cluster.advance(40)
    names = [e["targetRef"]["name"] for e in slices_of(cluster, "web")[0]["endpoints"]]
    assert victim not in names and len(names) == 2  # the replacement is in


def test_slices_shard_and_go_with_their_service(cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(endpointslice, "MAX_ENDPOINTS_PER_SLICE", 1)
    cluster.apply(APP)
    cluster.advance(10)
    assert [len(s["endpoints"]) for s in slices_of(cluster, "web")] == [1, 1]
    cluster.delete("service", "web")
    cluster.advance(1)
    assert slices_of(cluster, "web") == []
    assert [e["metadata"]["name"] for e in cluster.list("endpoints", "default")] == ["kubernetes"]


def test_pods_with_different_numbers_for_a_named_port_get_separate_slices(cluster: Cluster) -> None:
    cluster.apply(APP)
    cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "odd", "labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {"name": "a", "image": "nginx:1.27", "ports": [{"containerPort": 9090, "name": "http"}]}
                ]
            },
        }
    )
    cluster.advance(10)
    ports = sorted(s["ports"][0]["port"] for s in slices_of(cluster, "web"))
    assert ports == [8080, 9090]
    subsets = cluster.get("endpoints", "web")["subsets"]
    assert sorted((s["ports"][0]["port"], len(s["addresses"])) for s in subsets) == [(8080, 2), (9090, 1)]
