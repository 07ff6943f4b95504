"""kube-proxy as kubeadm installs it: the `kube-system/kube-proxy` DaemonSet's pod on every node,
whose container is the node's kube-proxy process (`node/proxy_pod.py`).

The clusters are the default scenario, whose add-ons include `kube-proxy` (after CoreDNS, as
`kubeadm init`'s addon phase orders them), and that scenario without it, where kube-proxy is a
node process.
"""

from __future__ import annotations

import pytest

from clusterlab.engine import Cluster, scenarios
from clusterlab.engine.errors import NotFound
from clusterlab.engine.node.proxy_pod import installs_kube_proxy
from tests.manifests import WEB_SERVICE

WEB = (
    """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: app, image: nginx:1.27}
---"""
    + WEB_SERVICE
)
SVC = "KUBE-SVC-LOLE4ISW44XBNF3G"  # default/web, tcp
NODES = ("control-plane", "worker-1", "worker-2", "worker-3")


def proxy_pods(c: Cluster) -> dict[str, dict]:
    """The kube-proxy pods by node."""
    return {
        p["spec"]["nodeName"]: p
        for p in c.observe("pods", "kube-system")
        if p["metadata"]["name"].startswith("kube-proxy-")
    }


def web_jumps(c: Cluster, node: str) -> list[str]:
    return [
        line for line in c.proxy_rules(node).splitlines() if line.startswith(f"-A {SVC} ") and "SEP" in line
    ]


def until(c: Cluster, t: float) -> None:
    c.advance(round(t - c.now, 6))


def test_kubeadm_installs_the_daemonset_its_config_and_identity() -> None:
    c = Cluster.from_scenario("default", seed=7)
    ds = c.get("daemonset", "kube-proxy", "kube-system")
    assert ds["metadata"]["labels"] == {"k8s-app": "kube-proxy"}
    assert ds["spec"]["updateStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},  # the API server's defaults
    }
    pod = ds["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == "registry.k8s.io/kube-proxy:v1.32.0"  # the cluster's version
    assert container["command"] == [
        "/usr/local/bin/kube-proxy",
        "--config=/var/lib/kube-proxy/config.conf",
        "--hostname-override=$(NODE_NAME)",
    ]
    assert "resources" not in container or not container["resources"]  # no requests
    assert pod["hostNetwork"] is True
    assert pod["priorityClassName"] == "system-node-critical"
    assert pod["tolerations"] == [{"operator": "Exists"}]
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert pod["serviceAccountName"] == "kube-proxy"
    config = c.get("configmap", "kube-proxy", "kube-system")["data"]
    assert sorted(config) == ["config.conf", "kubeconfig.conf"]
    assert "kind: KubeProxyConfiguration\n" in config["config.conf"]
    assert "clusterCIDR: 10.244.0.0/16\n" in config["config.conf"]
    assert "server: https://172.18.0.2:6443\n" in config["kubeconfig.conf"]  # control-plane's address
    c.get("serviceaccount", "kube-proxy", "kube-system")
    binding = c.get("clusterrolebinding", "kubeadm:node-proxier", None)
    assert binding["roleRef"]["name"] == "system:node-proxier"
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "kube-proxy", "namespace": "kube-system"}
    ]


def test_a_pod_per_node_runs_kube_proxy_from_the_preloaded_image() -> None:
    c = Cluster.from_scenario("default", seed=7)
    # t=0: the DaemonSet controller made a pod per node (tolerating the control plane's taint)
    # and the scheduler bound them; no container runs yet, so no node has rules.
    c.advance(0)
    pods = proxy_pods(c)
    assert sorted(pods) == sorted(NODES)
    assert all(not c.kube_proxy_running(n) for n in NODES)
    assert all("KUBE-SERVICES" not in c.proxy_rules(n) for n in NODES)
    # A host-network pod needs no CNI set-up: sandbox 0.5 s, create 0.1 s, start 0.2 s, and no
    # pull (kubeadm pulled the image before init). kube-proxy starts with its container at 0.8
    # and, its informers listed, writes the whole table at once.
    until(c, 0.799)
    assert all(not c.kube_proxy_running(n) for n in NODES)
    until(c, 0.8)
    for node in NODES:
        assert c.kube_proxy_running(node)
        assert (c.proxies[node].started_at, c.proxies[node].last_sync) == (0.8, 0.8)
        assert "KUBE-SVC-NPX46M4PTMTKRN6Y" in c.proxy_rules(node)  # default/kubernetes:https
    pods = proxy_pods(c)
    for node, pod in pods.items():
        assert pod["status"]["phase"] == "Running"
        address = c.get("node", node, None)["status"]["addresses"][0]["address"]
        assert pod["status"]["podIP"] == pod["status"]["hostIP"] == address  # the host's network
    messages = [
        (e["involvedObject"]["name"], e["reason"], e["message"])
        for e in c.events()
        if e["involvedObject"]["name"].startswith("kube-proxy-") and e["reason"] in ("Pulling", "Pulled")
    ]
    image = 'Container image "registry.k8s.io/kube-proxy:v1.32.0" already present on machine'
    assert sorted(messages) == sorted((p["metadata"]["name"], "Pulled", image) for p in pods.values())
    ds = c.get("daemonset", "kube-proxy", "kube-system")
    assert ds["status"]["desiredNumberScheduled"] == ds["status"]["numberReady"] == 4


def test_a_deleted_pods_rules_stay_stale_until_its_replacement_syncs() -> None:
    c = Cluster.from_scenario("default", seed=7)
    c.advance(1)
    c.apply(WEB)
    until(c, 20)
    assert len(web_jumps(c, "worker-1")) == 3
    old = proxy_pods(c)["worker-1"]["metadata"]["name"]
    c.delete("pod", old, "kube-system")
    # The kubelet stops the container; its process has exited 0.2 s later (the runtime's stop):
    # kube-proxy is gone, its rules stay in the kernel.
    until(c, 20.199)
    assert c.kube_proxy_running("worker-1")
    until(c, 20.2)
    assert not c.kube_proxy_running("worker-1")
    c.scale("deployment", "web", 1)
    until(c, 20.999)
    assert len(web_jumps(c, "worker-1")) == 3  # stale: still sending to the deleted pods
    assert len(web_jumps(c, "worker-2")) == 1
    # At 20.2 the kubelet deleted the pod; the DaemonSet controller made another, bound at once:
    # sandbox 0.5 s, create 0.1 s, start 0.2 s. Its kube-proxy resyncs everything at 21.0.
    until(c, 21.0)
    assert proxy_pods(c)["worker-1"]["metadata"]["name"] != old
    assert c.kube_proxy_running("worker-1")
    assert (c.proxies["worker-1"].started_at, c.proxies["worker-1"].last_sync) == (21.0, 21.0)
    assert web_jumps(c, "worker-1") == web_jumps(c, "worker-2")
    assert len(web_jumps(c, "worker-1")) == 1


def container_status(c: Cluster, node: str) -> tuple[int, str, str | None, bool]:
    """restartCount, state, waiting reason and ready of the node's kube-proxy container."""
    (status,) = proxy_pods(c)[node]["status"]["containerStatuses"]
    (state,) = status["state"]
    reason = (status["state"].get("waiting") or {}).get("reason")
    return status["restartCount"], state, reason, status["ready"]


def test_stop_kills_the_container_until_start_lets_the_next_restart_run() -> None:
    c = Cluster.from_scenario("default", seed=7)
    c.apply(WEB)
    until(c, 20)
    stale = web_jumps(c, "worker-2")
    assert len(stale) == 3
    c.stop_component("kube-proxy", node="worker-2")
    assert not c.kube_proxy_running("worker-2")
    c.scale("deployment", "web", 1)
    # The kubelet notices the exit at its next relist (1 s) and restarts the container at once
    # (no back-off yet; create 0.1 s, start 0.2 s): 21.3. Each instance is killed as it starts,
    # so each later restart comes its back-off (10 s, 20 s, 40 s, 80 s) after the previous
    # start, plus 0.3 s: 31.6, 51.9, 92.2.
    until(c, 20.999)
    assert container_status(c, "worker-2") == (0, "running", None, True)
    until(c, 21.0)
    assert container_status(c, "worker-2") == (0, "terminated", None, False)
    until(c, 21.3)
    assert container_status(c, "worker-2") == (1, "running", None, True)
    until(c, 31.3)
    assert container_status(c, "worker-2") == (1, "waiting", "CrashLoopBackOff", False)
    until(c, 120)
    assert container_status(c, "worker-2") == (4, "waiting", "CrashLoopBackOff", False)
    (status,) = proxy_pods(c)["worker-2"]["status"]["containerStatuses"]
    assert status["lastState"]["terminated"]["exitCode"] == 2  # Go's death by SIGTERM
    assert web_jumps(c, "worker-2") == stale  # never synced since t=20
    assert len(web_jumps(c, "worker-1")) == 1
    c.start_component("kube-proxy", node="worker-2")
    assert not c.kube_proxy_running("worker-2")  # the container waits out its back-off
    # The next restart is not hastened: 92.2 + 80 + 0.3 = 172.5, and that instance is let run.
    until(c, 172.499)
    assert not c.kube_proxy_running("worker-2")
    until(c, 172.5)
    assert c.kube_proxy_running("worker-2")
    assert c.proxies["worker-2"].last_sync == 172.5
    assert web_jumps(c, "worker-2") == web_jumps(c, "worker-1")
    assert container_status(c, "worker-2") == (5, "running", None, True)


def test_a_joining_node_gets_its_kube_proxy_pod_before_its_network_is_ready() -> None:
    c = Cluster.from_scenario("default", seed=7)
    until(c, 10)
    c.add_node("worker-4")
    assert not c.kube_proxy_running("worker-4")
    # The DaemonSet controller makes its pod as the Node registers (t=10); a host-network pod
    # needs no CNI, so it runs at 10.8 while the node is still NotReady (Ready at 16).
    until(c, 10.799)
    assert not c.kube_proxy_running("worker-4")
    until(c, 10.8)
    pod = proxy_pods(c)["worker-4"]
    assert pod["status"]["phase"] == "Running"
    assert c.kube_proxy_running("worker-4") and c.proxies["worker-4"].last_sync == 10.8
    assert "KUBE-SVC-NPX46M4PTMTKRN6Y" in c.proxy_rules("worker-4")
    ready = next(x for x in c.get("node", "worker-4", None)["status"]["conditions"] if x["type"] == "Ready")
    assert ready["status"] == "False"
    events = [e["reason"] for e in c.events() if e["involvedObject"]["name"] == pod["metadata"]["name"]]
    assert events == ["Scheduled", "Pulled", "Created", "Started"]  # the image was there: no pull


def test_power_off_loses_the_tables_and_the_rebooted_kubelet_restarts_the_pod() -> None:
    c = Cluster.from_scenario("default", seed=7)
    until(c, 30)
    c.kill_node("worker-3")
    assert not c.kube_proxy_running("worker-3")
    c.restore_node("worker-3")
    # The machine boots for 10 s; its kubelet then restarts the pod's containers (0.8 s) and
    # kube-proxy, starting with the container, writes the tables afresh.
    until(c, 40.799)
    assert not c.kube_proxy_running("worker-3")
    assert "KUBE-SVC-" not in c.proxy_rules("worker-3")  # booted kernel, no rules yet
    until(c, 40.8)
    assert c.kube_proxy_running("worker-3") and c.proxies["worker-3"].last_sync == 40.8
    assert "KUBE-SVC-NPX46M4PTMTKRN6Y" in c.proxy_rules("worker-3")


def test_without_the_add_on_kube_proxy_is_a_node_process() -> None:
    assert installs_kube_proxy(scenarios.load("default").objects)
    bare = scenarios.load("default", without=["kube-proxy"])
    assert not installs_kube_proxy(bare.objects)
    with pytest.raises(NotFound, match='scenario "default" installs no add-on ingress-nginx'):
        scenarios.load("default", without=["ingress-nginx"])
    c = Cluster(bare, seed=7)
    # Started with the node, at t=0, as its machine's service: the whole table is written at once,
    # as the bootstrap binding's `system:kube-proxy`, with no pod and no DaemonSet.
    assert all(c.kube_proxy_running(n) and c.proxies[n].last_sync == 0 for n in NODES)
    assert "KUBE-SVC-NPX46M4PTMTKRN6Y" in c.proxy_rules("worker-2")
    assert c.list("daemonsets", "kube-system") == [] and proxy_pods(c) == {}
    assert {a.actor for a in c.api_calls() if a.component == "kube-proxy"} == {"system:kube-proxy"}
    # Stopped, it leaves its rules stale; started, it resyncs at once (no kubelet, no back-off).
    c.apply(WEB)
    until(c, 20)
    stale = web_jumps(c, "worker-2")
    assert len(stale) == 3
    c.stop_component("kube-proxy", node="worker-2")
    assert not c.kube_proxy_running("worker-2")
    c.scale("deployment", "web", 1)
    until(c, 30)
    assert web_jumps(c, "worker-2") == stale
    assert len(web_jumps(c, "worker-1")) == 1
    c.start_component("kube-proxy", node="worker-2")
    assert c.kube_proxy_running("worker-2") and c.proxies["worker-2"].last_sync == 30
    assert web_jumps(c, "worker-2") == web_jumps(c, "worker-1")
    # Powered off, the node loses its tables; it boots for 10 s and kube-proxy starts with it.
    c.kill_node("worker-3")
    c.restore_node("worker-3")
    until(c, 39.999)
    assert not c.kube_proxy_running("worker-3")
    assert "KUBE-SVC-" not in c.proxy_rules("worker-3")
    until(c, 40)
    assert c.kube_proxy_running("worker-3") and c.proxies["worker-3"].last_sync == 40
    assert web_jumps(c, "worker-3") == web_jumps(c, "worker-1")
