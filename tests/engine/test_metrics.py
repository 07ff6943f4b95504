"""metrics-server and the Metrics API on the virtual clock: exact timelines.

metrics-server is an ordinary Deployment in kube-system. Its process starts with its
container, scrapes every kubelet 1 s later and then every 15 s; the Metrics API is Available
from its second scrape (two readings make a rate) while its pod is Ready. A pod's metrics
appear at the first scrape that has two readings of it (or one, when its container started
10-15 s before it), change only when a scrape happens, and vanish with metrics-server.
"""

from __future__ import annotations

from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.audit import User
from clusterlab.engine.errors import NotFound, ServiceUnavailable
from clusterlab.engine.metrics_server import METRIC_RESOLUTION
from clusterlab.engine.metrics_server.api import cpu_quantity, go_seconds, memory_quantity
from clusterlab.engine.metrics_server.server import STARTUP_SECONDS
from clusterlab.engine.node.usage import MIB, PROFILES, stress_profile
from clusterlab.engine.quantity import parse_quantity
from clusterlab.engine.timefmt import rfc3339

EPS = 0.001
ADMIN = User("kubernetes-admin", "kubectl")


def pause_pod(name: str, **spec: Any) -> dict[str, Any]:
    """A pod whose image every node already has, so it starts at a predictable moment."""
    container = {"name": "main", "image": "registry.k8s.io/pause:3.10", **spec}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [container]},
    }


def started(c: Cluster) -> float:
    """When the (only) metrics-server container started."""
    (proc,) = c.metrics_server.processes.values()
    return proc.started


def scrapes(c: Cluster) -> list[float]:
    """The scrape times from the start of metrics-server on, for the next few minutes."""
    first = started(c) + STARTUP_SECONDS
    return [round(first + k * METRIC_RESOLUTION, 6) for k in range(40)]


def container_start(c: Cluster, pod: str, namespace: str = "default") -> float:
    obj = c.get("pod", pod, namespace)
    kubelet = c.kubelets[obj["spec"]["nodeName"]]
    (cid,) = [s["containerID"] for s in obj["status"]["containerStatuses"]]
    return kubelet.runtime.started[cid]


def on_node(c: Cluster, metrics: dict[str, Any], node: str) -> bool:
    """Whether the pod a PodMetrics item is about runs on `node`."""
    meta = metrics["metadata"]
    return c.get("pod", meta["name"], meta["namespace"])["spec"]["nodeName"] == node


def until(c: Cluster, t: float) -> None:
    c.advance(t - c.now)


@pytest.fixture
def cluster() -> Cluster:
    c = Cluster.from_scenario("default", seed=7)
    c.advance(5)
    return c


def test_metrics_server_is_an_ordinary_deployment(cluster: Cluster) -> None:
    dep = cluster.get("deployment", "metrics-server", "kube-system")
    assert dep["metadata"]["labels"] == {"k8s-app": "metrics-server"}
    (container,) = dep["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "registry.k8s.io/metrics-server/metrics-server:v0.7.2"
    assert container["resources"]["requests"] == {"cpu": "100m", "memory": "200Mi"}
    assert "--metric-resolution=15s" in container["args"]
    (pod,) = cluster.list("pods", "kube-system", selector="k8s-app=metrics-server")
    assert pod["status"]["phase"] == "Running" and pod["spec"]["nodeName"].startswith("worker-")
    reasons = [
        e["reason"] for e in cluster.events() if e["involvedObject"]["name"] == pod["metadata"]["name"]
    ]
    assert reasons == ["Scheduled", "Pulling", "Pulled", "Created", "Started"]
    # its process started with its container, and lists and watches Nodes and Pods as itself
    assert started(cluster) == container_start(cluster, pod["metadata"]["name"], "kube-system")
    calls = {(a.verb, a.resource) for a in cluster.api_calls() if a.component == "metrics-server"}
    assert calls == {("list", "nodes"), ("watch", "nodes"), ("list", "pods"), ("watch", "pods")}


def test_api_is_available_from_the_second_scrape(cluster: Cluster) -> None:
    first, second = scrapes(cluster)[:2]
    assert 0 < started(cluster) < 5
    until(cluster, second - EPS)
    assert not cluster.metrics_api.available()
    with pytest.raises(ServiceUnavailable) as exc:
        cluster.metrics_api.list_nodes(ADMIN)
    assert exc.value.code == 503
    assert exc.value.message == "the server is currently unable to handle the request"
    until(cluster, second)
    assert cluster.metrics_api.available()
    nodes = cluster.metrics_api.list_nodes(ADMIN)
    assert nodes["kind"] == "NodeMetricsList" and nodes["apiVersion"] == "metrics.k8s.io/v1beta1"
    assert [n["metadata"]["name"] for n in nodes["items"]] == [
        "control-plane",
        "worker-1",
        "worker-2",
        "worker-3",
    ]
    for n in nodes["items"]:
        assert (n["timestamp"], n["window"]) == (rfc3339(cluster.epoch, second), "15s")
    # The control plane's static pods ran before the first scrape; metrics-server's own pod too.
    pods = cluster.metrics_api.list_pods(ADMIN, "kube-system")["items"]
    names = [p["metadata"]["name"] for p in pods]
    assert names[2:5] == [
        "etcd-control-plane",
        "kube-apiserver-control-plane",
        "kube-controller-manager-control-plane",
    ]
    assert names[9] == "kube-scheduler-control-plane"
    # kubeadm's two CoreDNS replicas (sorted first by name), its kube-proxy DaemonSet's pod on
    # every node (their containers start ~0.8 s in, long before the first scrape) and
    # metrics-server itself
    assert len(names) == 11 and all(n.startswith("coredns-") for n in names[:2])
    proxies = names[5:9]
    assert all(n.startswith("kube-proxy-") for n in proxies)
    on = sorted(cluster.get("pod", n, "kube-system")["spec"]["nodeName"] for n in proxies)
    assert on == ["control-plane", "worker-1", "worker-2", "worker-3"]
    assert names[10].startswith("metrics-server-")
    assert first < second


def test_fresh_pods_appear_at_the_first_scrape_with_two_readings(cluster: Cluster) -> None:
    ticks = scrapes(cluster)
    until(cluster, ticks[3] - 5)
    cluster.apply(pause_pod("late"))  # starts < 10 s before the next scrape
    until(cluster, ticks[4] - 13.5)
    cluster.apply(pause_pod("early"))  # starts 10-15 s before a scrape: counted from its start
    until(cluster, ticks[4] - EPS)
    late, early = container_start(cluster, "late"), container_start(cluster, "early")
    assert 0 < ticks[3] - late < 10 and 10 <= ticks[4] - early < 15

    def listed() -> list[str]:
        return [p["metadata"]["name"] for p in cluster.metrics_api.list_pods(ADMIN, "default")["items"]]

    assert listed() == []
    with pytest.raises(NotFound) as exc:
        cluster.metrics_api.get_pod(ADMIN, "default", "late")
    assert exc.value.message == 'podmetrics.metrics.k8s.io "default/late" not found'
    until(cluster, ticks[4])
    assert listed() == ["early", "late"]
    got = cluster.metrics_api.get_pod(ADMIN, "default", "early")
    assert got["timestamp"] == rfc3339(cluster.epoch, ticks[4])
    assert got["window"] == go_seconds(ticks[4] - early)  # from its start, counter 0 then
    assert cluster.metrics_api.get_pod(ADMIN, "default", "late")["window"] == "15s"


def test_values_change_only_when_scraped(cluster: Cluster) -> None:
    ticks = scrapes(cluster)

    def reading() -> tuple[Any, ...]:
        n = cluster.metrics_api.get_node(ADMIN, "control-plane")
        return n["timestamp"], n["window"], n["usage"]

    until(cluster, ticks[2])
    at_scrape = reading()
    until(cluster, ticks[3] - EPS)
    assert reading() == at_scrape
    until(cluster, ticks[3])
    assert reading()[0] == rfc3339(cluster.epoch, ticks[3]) != at_scrape[0]
    assert reading()[2] != at_scrape[2]  # new readings carry new noise


def test_load_factor_raises_cpu_from_the_next_scrape(cluster: Cluster) -> None:
    cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web"},
            "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]},
        }
    )
    ticks = scrapes(cluster)
    until(cluster, ticks[4])

    def cpu_millis() -> float:
        (c,) = cluster.metrics_api.get_pod(ADMIN, "default", "web")["containers"]
        return float(parse_quantity(c["usage"]["cpu"]) * 1000)

    assert cpu_millis() < 1  # an idle nginx
    cluster.usage.set_load("default", "web", 2.0)
    until(cluster, ticks[5] - EPS)
    assert cpu_millis() < 1
    until(cluster, ticks[5])
    busy = PROFILES["docker.io/library/nginx"]
    expected = busy.idle_cpu + 2.0 * busy.busy_cpu
    assert expected * 0.9 <= cpu_millis() <= expected * 1.1


def test_stress_uses_what_it_allocates_and_cpu_stops_at_its_limit(cluster: Cluster) -> None:
    args = ["--vm", "1", "--vm-bytes", "150M", "--vm-hang", "1"]
    assert stress_profile(args).idle_memory == 150 * MIB + int(0.6 * MIB)
    cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "memory-demo"},
            "spec": {
                "containers": [
                    {"name": "stress", "image": "polinux/stress", "command": ["stress"], "args": args},
                    {
                        "name": "spin",
                        "image": "polinux/stress",
                        "command": ["stress", "--cpu", "2"],
                        "resources": {"limits": {"cpu": "500m"}},
                    },
                ]
            },
        }
    )
    until(cluster, scrapes(cluster)[4])
    m = cluster.metrics_api.get_pod(ADMIN, "default", "memory-demo")
    usage = {c["name"]: c["usage"] for c in m["containers"]}
    memory = parse_quantity(usage["stress"]["memory"])
    assert 150.6 * MIB * 0.985 <= memory <= 150.6 * MIB * 1.015
    assert parse_quantity(usage["stress"]["cpu"]) == 0
    assert 0.45 <= parse_quantity(usage["spin"]["cpu"]) <= 0.5  # throttled at its limit


def test_node_usage_is_its_pods_plus_the_system(cluster: Cluster) -> None:
    until(cluster, scrapes(cluster)[3])
    node = cluster.metrics_api.get_node(ADMIN, "control-plane")
    pods = cluster.metrics_api.list_pods(ADMIN, "kube-system", field_selector="metadata.name!=x")["items"]
    # The static pods and kube-proxy's DaemonSet pod: kube-proxy's usage is its pod's (its cgroup
    # is under kubepods), not the system's.
    on_cp = [p for p in pods if on_node(cluster, p, "control-plane")]
    assert len(on_cp) == 5
    pod_memory = sum(parse_quantity(c["usage"]["memory"]) for p in on_cp for c in p["containers"])
    system = parse_quantity(node["usage"]["memory"]) - pod_memory
    assert 480 * MIB * 0.985 <= system <= 480 * MIB * 1.015
    pod_cpu = sum(parse_quantity(c["usage"]["cpu"]) for p in on_cp for c in p["containers"])
    assert 0.027 <= parse_quantity(node["usage"]["cpu"]) - pod_cpu <= 0.033


def test_deleting_metrics_server_takes_the_api_away(cluster: Cluster) -> None:
    until(cluster, scrapes(cluster)[2])
    assert cluster.metrics_api.available()
    cluster.delete("deployment", "metrics-server", "kube-system")
    cluster.advance(0.5)  # the garbage collector deletes the pod; it leaves the endpoints at once
    assert not cluster.metrics_api.available()
    with pytest.raises(ServiceUnavailable):
        cluster.metrics_api.list_pods(ADMIN)
    cluster.advance(60)
    assert cluster.metrics_server.processes == {}


def test_power_loss_kills_it_and_a_restarted_container_starts_empty(cluster: Cluster) -> None:
    until(cluster, scrapes(cluster)[2])
    (pod,) = cluster.list("pods", "kube-system", selector="k8s-app=metrics-server")
    node = pod["spec"]["nodeName"]
    cluster.kill_node(node)
    assert not cluster.metrics_api.available()  # nothing answers behind the Service any more
    cluster.advance(20)
    cluster.restore_node(node)
    cluster.advance(20)  # boots in 10 s, then the kubelet restarts the pod's container
    restarted = started(cluster)
    until(cluster, restarted + STARTUP_SECONDS + METRIC_RESOLUTION - EPS)
    assert not cluster.metrics_api.available()  # one scrape so far: storage not ready
    until(cluster, restarted + STARTUP_SECONDS + METRIC_RESOLUTION)
    assert cluster.metrics_api.available()


def test_selectors_and_quantities(cluster: Cluster) -> None:
    until(cluster, scrapes(cluster)[2])
    api = cluster.metrics_api
    assert [
        n["metadata"]["name"] for n in api.list_nodes(ADMIN, "node-role.kubernetes.io/control-plane")["items"]
    ] == ["control-plane"]
    assert [
        n["metadata"]["name"] for n in api.list_nodes(ADMIN, None, "metadata.name=worker-2")["items"]
    ] == ["worker-2"]
    assert [p["metadata"]["name"] for p in api.list_pods(ADMIN, None, "component=etcd")["items"]] == [
        "etcd-control-plane"
    ]
    with pytest.raises(NotFound) as exc:
        api.get_node(ADMIN, "worker-9")
    assert exc.value.message == 'nodemetrics.metrics.k8s.io "worker-9" not found'
    assert [cpu_quantity(n) for n in (0, 1500, 2_000_000, 31_588_000, 10**9)] == [
        "0",
        "1500n",
        "2m",
        "31588u",
        "1",
    ]
    assert [memory_quantity(n) for n in (0, 3584 * 1024, 12 * MIB, 1000)] == ["0", "3584Ki", "12Mi", "1000"]
    assert [go_seconds(x) for x in (15, 11.7, 60)] == ["15s", "11.7s", "1m0s"]


def test_same_seed_same_numbers() -> None:
    def run() -> list[Any]:
        c = Cluster.from_scenario("default", seed=3)
        c.advance(60)
        return [n["usage"] for n in c.metrics_api.list_nodes(ADMIN)["items"]]

    assert run() == run()
