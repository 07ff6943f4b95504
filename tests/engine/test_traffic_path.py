"""A connection across the simulated pod network, as `kubectl exec … -- wget / curl` sees it:
the client's node's kube-proxy rules (stale when it is stopped), then the pod's listener."""

from __future__ import annotations

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.node.listeners import NGINX_WELCOME
from tests.manifests import WEB_SERVICE, nginx_web_deployment

WEB = (
    nginx_web_deployment(3)
    + "---"
    + WEB_SERVICE
    + """---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  containers: [{name: bb, image: busybox:1.36, command: [sleep, "3600"]}]
"""
)


def run(c: Cluster, pod: str, *argv: str) -> tuple[int, str, str]:
    r = c.server.pod_exec(c.learner, pod, "default", None, list(argv))
    return r.exit_code, r.stdout, r.stderr


@pytest.fixture
def cluster() -> Cluster:
    c = Cluster.from_scenario("default", seed=7)
    c.apply(WEB)
    c.advance(30)
    return c


def ip_of(c: Cluster) -> str:
    return c.get("services", "web")["spec"]["clusterIP"]


def test_wget_a_service_by_name_prints_busybox_texts(cluster: Cluster) -> None:
    ip = ip_of(cluster)
    code, out, err = run(cluster, "client", "wget", "-O-", "http://web")
    assert (code, out) == (0, NGINX_WELCOME)
    assert err == (
        f"Connecting to web ({ip}:80)\nwriting to stdout\n"
        "\r-                    100% |********************************|   615  0:00:00 ETA\n"
        "written to stdout\n"
    )
    assert run(cluster, "client", "wget", "-qO-", "web") == (0, NGINX_WELCOME, "")
    assert run(cluster, "client", "wget", "-q", "--spider", "http://web/") == (0, "", "")
    assert run(cluster, "client", "wget", "--spider", f"http://{ip}/index.html") == (
        0,
        "",
        f"Connecting to {ip} ({ip}:80)\nremote file exists\n",
    )
    assert run(cluster, "client", "wget", "-q", "-O-", "http://web.default.svc.cluster.local/nope") == (
        1,
        "",
        "wget: server returned error: HTTP/1.1 404 Not Found\n",
    )
    assert run(cluster, "client", "wget", "-qO-", "http://nothere") == (
        1,
        "",
        "wget: bad address 'nothere'\n",
    )


def test_wget_saves_a_file_and_will_not_overwrite_it(cluster: Cluster) -> None:
    code, out, err = run(cluster, "client", "wget", "http://web/")
    assert (code, out) == (0, "")
    assert err.endswith(
        "saving to 'index.html'\n"
        "\rindex.html           100% |********************************|   615  0:00:00 ETA\n"
        "'index.html' saved\n"
    )
    assert run(cluster, "client", "cat", "/index.html")[1] == NGINX_WELCOME
    assert (
        run(cluster, "client", "wget", "-q", "http://web/")[2]
        == "wget: can't open 'index.html': File exists\n"
    )


def test_no_endpoints_is_refused_and_curl_says_so(cluster: Cluster) -> None:
    cluster.scale("deployment", "web", 0)
    cluster.advance(40)
    ip = ip_of(cluster)
    assert run(cluster, "client", "wget", "-qO-", "http://web") == (
        1,
        "",
        f"wget: can't connect to remote host ({ip}): Connection refused\n",
    )
    cluster.apply(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: curler}\n"
        "spec: {containers: [{name: c, image: 'curlimages/curl:8.11.1', args: [sleep, '3600']}]}"
    )
    cluster.advance(20)
    assert run(cluster, "curler", "curl", "-sS", "http://web") == (
        7,
        "",
        "curl: (7) Failed to connect to web port 80 after 0 ms: Couldn't connect to server\n",
    )
    assert (
        run(cluster, "curler", "curl", "-sS", "http://missing")[2]
        == "curl: (6) Could not resolve host: missing\n"
    )
    assert run(cluster, "curler", "curl", "-s", "http://web") == (7, "", "")  # -s alone: silent


def test_containers_of_a_pod_share_localhost(cluster: Cluster) -> None:
    cluster.apply(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: duo}\nspec:\n  containers:\n"
        "  - {name: web, image: 'nginx:1.27'}\n"
        "  - {name: side, image: 'busybox:1.36', command: [sleep, '3600']}"
    )
    cluster.advance(20)
    r = cluster.server.pod_exec(cluster.learner, "duo", "default", "side", ["wget", "-qO-", "localhost"])
    assert (r.exit_code, r.stdout) == (0, NGINX_WELCOME)
    r = cluster.server.pod_exec(cluster.learner, "duo", "default", "side", ["wget", "-qO-", "127.0.0.1:8080"])
    assert r.stderr == "wget: can't connect to remote host (127.0.0.1): Connection refused\n"


def test_requests_are_counted_per_pod_and_service(cluster: Cluster) -> None:
    for _ in range(30):
        assert run(cluster, "client", "wget", "-qO-", "http://web")[0] == 0
    stats = cluster.traffic("default")
    assert stats.services[("default", "web")].requests == 30
    per_pod = sorted(c.requests for k, c in stats.pods.items())
    assert sum(per_pod) == 30 and len(per_pod) == 3


def test_stale_rules_of_a_stopped_kube_proxy_send_requests_to_a_gone_pod(cluster: Cluster) -> None:
    cluster.scale("deployment", "web", 1)
    cluster.advance(40)
    client_node = cluster.get("pods", "client")["spec"]["nodeName"]
    cluster.stop_component("kube-proxy", client_node)
    (old,) = [p for p in cluster.list("pods", "default") if p["metadata"]["name"].startswith("web-")]
    cluster.delete("pods", old["metadata"]["name"])
    cluster.advance(40)  # the replacement runs with a new IP; this node's rules still DNAT to the old one
    gone = (1, "", f"wget: can't connect to remote host ({ip_of(cluster)}): No route to host\n")
    assert run(cluster, "client", "wget", "-qO-", "http://web") == gone
    cluster.start_component("kube-proxy", client_node)
    # kube-proxy runs in the node's kube-proxy pod, whose container was killed at t=70 and at each
    # restart since (71.3, 81.6, 101.9): the kubelet's next restart, after a 40 s back-off and
    # 0.3 s to create and start it, runs at 142.2 and resyncs the rules at once.
    cluster.advance(round(142.199 - cluster.now, 6))
    assert run(cluster, "client", "wget", "-qO-", "http://web") == gone
    cluster.advance(0.001)
    assert run(cluster, "client", "wget", "-qO-", "http://web") == (0, NGINX_WELCOME, "")


def test_a_powered_off_node_swallows_packets_until_wget_gives_up(cluster: Cluster) -> None:
    cluster.scale("deployment", "web", 1)
    cluster.advance(40)
    (pod,) = [p for p in cluster.list("pods", "default") if p["metadata"]["name"].startswith("web-")]
    node = pod["spec"]["nodeName"]
    client = cluster.get("pods", "client")["spec"]["nodeName"]
    assert node != client
    cluster.kill_node(node)
    assert run(cluster, "client", "wget", "-q", "-T", "5", "-O-", "http://web") == (
        1,
        "",
        "wget: download timed out\n",
    )
    ip = ip_of(cluster)
    assert run(cluster, "client", "wget", "-qO-", "http://web") == (
        1,
        "",
        f"wget: can't connect to remote host ({ip}): Connection timed out\n",
    )


def test_a_wget_loop_in_a_pod_counts_as_traffic(cluster: Cluster) -> None:
    cluster.apply(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: loader}\nspec:\n  containers:\n"
        "  - name: bb\n    image: busybox:1.36\n"
        "    command: [sh, -c, 'while sleep 0.1; do wget -q -O- http://web; done']"
    )
    cluster.advance(30)
    web = cluster.traffic().services[("default", "web")]
    assert web.errors == 0
    assert web.rate == 9.9  # one request per 0.1 s sleep plus the request's own ~0.5 ms


def test_external_name_and_headless_services_get_no_rules(cluster: Cluster) -> None:
    cluster.apply(
        "apiVersion: v1\nkind: Service\nmetadata: {name: ext}\n"
        "spec: {type: ExternalName, externalName: example.com}\n"
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: peers}\n"
        "spec: {clusterIP: None, selector: {app: web}, ports: [{port: 80}]}"
    )
    cluster.advance(5)
    for node in cluster.kubelets:
        rules = cluster.proxy_rules(node, None)
        assert "default/ext" not in rules and "default/peers" not in rules
        assert "default/web cluster IP" in rules


def test_curl_image_has_curl_and_busybox_wget(cluster: Cluster) -> None:
    cluster.apply(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: curl}\n"
        "spec: {containers: [{name: curl, image: 'curlimages/curl:8.11.1', args: [sleep, '3600']}]}"
    )
    cluster.advance(20)
    assert run(cluster, "curl", "curl", "-sS", "http://web") == (0, NGINX_WELCOME, "")
    assert run(cluster, "curl", "curl", "-sSf", "http://web/missing") == (
        22,
        "",
        "curl: (22) The requested URL returned error: 404\n",
    )
    assert run(cluster, "curl", "wget", "-qO-", "http://web") == (0, NGINX_WELCOME, "")


def test_pod_ips_across_nodes_and_node_ports_on_any_node(cluster: Cluster) -> None:
    client_node = cluster.get("pods", "client")["spec"]["nodeName"]
    other = next(
        p
        for p in cluster.list("pods", "default")
        if p["metadata"]["name"].startswith("web-") and p["spec"]["nodeName"] != client_node
    )
    ip = other["status"]["podIP"]
    assert run(cluster, "client", "wget", "-qO-", f"http://{ip}") == (0, NGINX_WELCOME, "")
    assert run(cluster, "client", "wget", "-qO-", f"http://{ip}:8080") == (
        1,
        "",
        f"wget: can't connect to remote host ({ip}): Connection refused\n",
    )
    svc = cluster.get("services", "web")
    svc["spec"]["type"] = "NodePort"
    cluster.update(svc)
    cluster.advance(2)
    node_port = cluster.get("services", "web")["spec"]["ports"][0]["nodePort"]
    for node in sorted(cluster.kubelets):
        address = cluster.kubelets[node].config.internal_ip
        assert run(cluster, "client", "wget", "-qO-", f"http://{address}:{node_port}")[:2] == (
            0,
            NGINX_WELCOME,
        )
    cluster.send_traffic(f"{cluster.kubelets['worker-1'].config.internal_ip}:{node_port}", 30)
    cluster.advance(10.5)
    web = cluster.traffic().services[("default", "web")]
    assert (web.requests, web.errors) == (len(cluster.kubelets) + 330, 0)  # the wgets, then 11 batches


def test_client_ip_affinity_keeps_one_pods_connections_on_one_endpoint(cluster: Cluster) -> None:
    svc = cluster.get("services", "web")
    svc["spec"]["sessionAffinity"] = "ClientIP"
    cluster.update(svc)
    cluster.advance(2)
    for _ in range(12):
        assert run(cluster, "client", "wget", "-qO-", "http://web")[0] == 0
    served = [c.requests for c in cluster.traffic("default").pods.values()]
    assert served == [12]  # the `recent` list remembers the client's address for 10800 s


def test_a_wget_loop_waits_out_each_timeout_on_the_virtual_clock(cluster: Cluster) -> None:
    cluster.scale("deployment", "web", 1)
    cluster.advance(40)
    (pod,) = [p for p in cluster.list("pods", "default") if p["metadata"]["name"].startswith("web-")]
    assert pod["spec"]["nodeName"] != cluster.get("pods", "client")["spec"]["nodeName"]
    cluster.kill_node(pod["spec"]["nodeName"])  # its packets vanish; the rules still point there
    cluster.apply(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: prober}\nspec:\n  nodeName: "
        + cluster.get("pods", "client")["spec"]["nodeName"]
        + "\n  containers:\n  - name: bb\n    image: busybox:1.36\n"
        "    command: [sh, -c, 'while true; do wget -q -T 2 -O- http://web; done']"
    )
    cluster.advance(21)
    web = cluster.traffic().services[("default", "web")]
    # One attempt every 2 s (each `download timed out`), all of them failed.
    assert web.requests == web.errors
    assert web.rate == 0.5
