"""The lab page's networking and storage views: Services → endpoints → pods as lines, a node's
kube-proxy rules on click (a Service's chains marked, stale lines marked while kube-proxy is
stopped), and the volumes-and-claims panel. Owner only; hostile names are 404s or escaped."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import AsyncClient

from clusterlab.engine import Cluster
from clusterlab.labs import ingress_map, service_map, storage_view, traffic_flow
from clusterlab.labs.fragments import render_fragments
from clusterlab.labs.proxy_rules import rule_table, service_chains
from clusterlab.labs.runner import LabRunner
from tests.manifests import DATA_CLAIM, EXAMPLE_INGRESS_WEB_WEB2, nginx_web_deployment

from .test_scheduling_view import open_lab, text

WEB = (
    nginx_web_deployment(3, container_port=80)
    + """---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]
"""
)

CLAIM = (
    DATA_CLAIM
    + """---
apiVersion: v1
kind: Pod
metadata: {name: writer}
spec:
  containers:
  - {name: c, image: busybox, command: [sleep, "3600"], volumeMounts: [{name: d, mountPath: /data}]}
  volumes:
  - {name: d, persistentVolumeClaim: {claimName: data}}
"""
)


def _service(cluster: Cluster, name: str, namespace: str = "default") -> dict[str, Any]:
    panel = service_map.services_panel(cluster)
    return next(s for s in panel["services"] if (s["namespace"], s["name"]) == (namespace, name))


def _routes(html: str, service: str) -> list[str]:
    """The endpoints the Service's article draws a line to (kube-proxy sends connections there)."""
    article = html.split(f'id="{service}"', 1)[1].split("</article>", 1)[0]
    return re.findall(r'data-testid="route" data-endpoint="([0-9.]+)"', article)


def test_the_map_draws_lines_only_to_endpoints_that_get_new_connections() -> None:
    cluster = Cluster(seed=3)
    cluster.advance(5)
    cluster.apply(WEB)
    cluster.advance(40)
    web = _service(cluster, "web")
    assert web["type"] == "ClusterIP" and web["ports"] == "80/TCP" and web["selector"] == "app=web"
    assert web["counts"] == {"ready": 3, "serving_terminating": 0, "terminating": 0, "not_ready": 0}
    assert [e["routed"] for e in web["endpoints"]] == [True, True, True]
    pods = {p["metadata"]["name"]: p for p in cluster.observe("pods", "default")}
    for e in web["endpoints"]:
        assert pods[e["pod"]]["status"]["podIP"] == e["ip"]
        assert pods[e["pod"]]["spec"]["nodeName"] == e["node"]
        assert e["ports"] == ["80/TCP"] and e["pod_status"] == "Running"
    # Rows are grouped under their node, one group per node, in node order.
    assert [g["name"] for g in web["nodes"]] == sorted({e["node"] for e in web["endpoints"]})
    assert web["rule_nodes"] == ["control-plane", "worker-1", "worker-2", "worker-3"]

    # Deleting a pod: its endpoint turns serving-and-terminating and loses its line at once (two
    # others are ready), then goes; the ReplicaSet's replacement appears not ready, without a
    # line, and gets one when it is ready.
    victim = web["endpoints"][0]["pod"]
    cluster.delete("pod", victim)
    seen: list[tuple[str, str, bool]] = []
    for _ in range(30):
        cluster.advance(0.1)
        web = _service(cluster, "web")
        others = [e for e in web["endpoints"] if e["pod"] not in (victim, *(p for p in pods))]
        for e in [e for e in web["endpoints"] if e["pod"] == victim] + others:
            step = ("victim" if e["pod"] == victim else "replacement", e["state"], e["routed"])
            if step not in seen:
                seen.append(step)
    assert seen == [
        ("victim", "serving-terminating", False),
        ("replacement", "not-ready", False),
        ("replacement", "ready", True),
    ]
    assert victim not in {e["pod"] for e in web["endpoints"]}
    assert sum(e["routed"] for e in web["endpoints"]) == 3


def test_a_service_whose_pods_all_terminate_still_routes_to_serving_ones() -> None:
    """kube-proxy's fallback: with no ready endpoint, serving-and-terminating ones get traffic."""
    cluster = Cluster(seed=3)
    cluster.advance(5)
    cluster.apply(WEB)
    cluster.advance(40)
    slices = [
        s for s in cluster.observe("endpointslices", "default") if s["metadata"]["name"].startswith("web-")
    ]
    terminating = {"ready": False, "serving": True, "terminating": True}
    endpoints = [{**e, "conditions": terminating} for e in slices[0]["endpoints"]]
    entry = service_map.service_entry(
        cluster.get("service", "web"),
        [{**slices[0], "endpoints": endpoints}],
        {},
        service_map.traffic_flow.Flows(),
        [],
    )
    assert all(e["state"] == "serving-terminating" and e["routed"] for e in entry["endpoints"])
    assert entry["note"] == ""


def test_classroom_scale_draws_a_few_services_and_counts_the_rest() -> None:
    cluster = Cluster(seed=3)
    cluster.advance(2)
    for i in range(service_map.MAX_SERVICES_DRAWN + 3):
        cluster.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"s{i:02d}"},
                       "spec": {"selector": {"app": f"s{i}"}, "ports": [{"port": 80}]}})  # fmt: skip
    panel = service_map.services_panel(cluster)
    drawn = [(s["namespace"], s["name"]) for s in panel["services"]]
    assert len(drawn) == service_map.MAX_SERVICES_DRAWN
    assert drawn[0] == ("default", "kubernetes") and ("kube-system", "kube-dns") not in drawn
    assert panel["total"] == service_map.MAX_SERVICES_DRAWN + 5  # + kubernetes and kube-dns
    assert panel["not_drawn_count"] == 5 and panel["not_drawn"][-1] == "kube-system/kube-dns"
    s00 = next(s for s in panel["services"] if s["name"] == "s00")
    assert s00["endpoints"] == [] and "matches no pod" in s00["note"]


def test_a_services_chains_are_found_from_kube_proxys_comments() -> None:
    cluster = Cluster(seed=3)
    cluster.advance(5)
    cluster.apply(WEB)
    cluster.advance(40)
    table = rule_table(cluster, "worker-1", "default/web")
    assert table is not None and table["running"] and table["stale"] == 0 and table["missing"] == []
    marked = [row["text"] for row in table["lines"] if row["service"]]
    chains = service_chains([row["text"] for row in table["lines"]], "default/web")
    assert len([c for c in chains if c.startswith("KUBE-SEP-")]) == 3
    assert len([c for c in chains if c.startswith("KUBE-SVC-")]) == 1
    ip = cluster.get("service", "web")["spec"]["clusterIP"]
    (svc_chain,) = [c for c in chains if c.startswith("KUBE-SVC-")]
    assert (
        f'-A KUBE-SERVICES -d {ip}/32 -p tcp -m comment --comment "default/web cluster IP" -m tcp --dport 80 '
        f"-j {svc_chain}" in marked
    )
    assert f":{svc_chain} - [0:0]" in marked
    assert any("--probability 0.33333333349" in line for line in marked)
    # kube-dns's rules are not this Service's.
    assert not any("kube-dns" in line for line in marked)
    assert table["highlighted"] == len(marked)


def test_a_stopped_kube_proxy_keeps_stale_rules_and_misses_new_ones() -> None:
    cluster = Cluster(seed=3)
    cluster.advance(5)
    cluster.apply(WEB)
    cluster.advance(40)
    cluster.stop_component("kube-proxy", node="worker-1")
    victim = next(e for e in _service(cluster, "web")["endpoints"])
    cluster.delete("pod", victim["pod"], grace_period_seconds=0)
    cluster.advance(60)
    table = rule_table(cluster, "worker-1", "default/web")
    assert table is not None and not table["running"]
    stale = [row["text"] for row in table["lines"] if row["stale"]]
    assert "-A KUBE-SEP-" in stale[0] or stale[0].startswith(":KUBE-SEP-")
    assert any(f"--to-destination {victim['ip']}:80" in line for line in stale)
    programmed = "\n".join(row["text"] for row in table["lines"])
    (new_ip,) = [e["ip"] for e in _service(cluster, "web")["endpoints"] if e["ip"] not in programmed]
    assert any(f"--to-destination {new_ip}:80" in line for line in table["missing"])
    assert table["stale"] == len(stale)
    # A node whose kube-proxy runs has nothing stale.
    fresh = rule_table(cluster, "worker-2", "default/web")
    assert fresh is not None and fresh["stale"] == 0 and fresh["missing"] == []
    assert rule_table(cluster, "no-such-node") is None


def test_storage_panel_is_empty_without_objects() -> None:
    cluster = Cluster(seed=3)
    panel = storage_view.storage_panel(cluster)
    assert panel["claims"] == [] and panel["volumes"] == []
    html = render_to_string("labs/lab.html#storage", {"storage": {**panel, "classes": []}})
    assert "No StorageClasses, PersistentVolumeClaims or PersistentVolumes yet." in html
    assert storage_view.access_modes(["ReadWriteMany", "ReadWriteOnce"]) == "RWO,RWX"
    pv = {"spec": {"nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
        {"key": "kubernetes.io/hostname", "operator": "In", "values": ["worker-1"]}]}]}}}}  # fmt: skip
    assert storage_view.node_affinity(pv) == "kubernetes.io/hostname in (worker-1)"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("live_labs")
async def test_the_lab_page_draws_services_and_opens_a_nodes_rules(async_client: AsyncClient) -> None:
    url, cluster = await open_lab(async_client)
    cluster.advance(5)
    cluster.apply(WEB)
    cluster.advance(40)
    html = (await async_client.get(url)).content.decode()
    assert '<section id="services" class="panel services-panel"' in html
    assert len(_routes(html, "svc_default_web")) == 3
    assert 'data-action="proxy-rules" data-node="worker-1" data-service="default/web"' in html
    assert 'data-action="proxy-rules" data-node="worker-1" data-service=""' in html  # on the node card
    words = text(html)
    assert "Endpoints of Service default/web" in words
    assert "Volumes and claims" in words

    response = await async_client.get(f"{url}nodes/worker-1/proxy-rules/?service=default/web")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'hx-get="{url}nodes/worker-1/proxy-rules/?service=default/web" hx-trigger="every 3s"' in page
    assert '<option value="default/web" selected>default/web</option>' in page
    assert (
        page.count('data-service-rule="1"') == rule_table(cluster, "worker-1", "default/web")["highlighted"]
    )
    assert "kube-proxy rules on worker-1" in text(page)

    cluster.stop_component("kube-proxy", node="worker-1")
    cluster.delete("pod", cluster.list("pods", "default", selector="app=web")[0]["metadata"]["name"])
    cluster.advance(45)
    page = (await async_client.get(f"{url}nodes/worker-1/proxy-rules/")).content.decode()
    assert "kube-proxy is stopped on worker-1: the kernel keeps the last rules it wrote" in text(page)
    assert 'data-stale="1"' in page and 'data-testid="proxy-rules-missing"' in page


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("live_labs")
async def test_rules_are_owner_only_and_hostile_names_are_404s(async_client: AsyncClient) -> None:
    url, _ = await open_lab(async_client)
    assert (await async_client.get(f"{url}nodes/worker-1/proxy-rules/")).status_code == 200
    assert (await AsyncClient().get(f"{url}nodes/worker-1/proxy-rules/")).status_code == 404
    assert (await async_client.post(f"{url}nodes/worker-1/proxy-rules/")).status_code == 405
    for path in [
        "nodes/no-such-node/proxy-rules/",
        "nodes/%3Cscript%3E/proxy-rules/",
        "nodes/Worker-1/proxy-rules/",
        "nodes/worker-1/proxy-rules/?service=%3Cscript%3E",
        "nodes/worker-1/proxy-rules/?service=default/%3Cb%3E",
        "nodes/worker-1/proxy-rules/?service=a/b/c",
        "nodes/" + "a" * 300 + "/proxy-rules/",
    ]:
        assert (await async_client.get(url + path)).status_code == 404, path


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("live_labs")
async def test_hostile_names_in_endpoint_slices_are_escaped(async_client: AsyncClient) -> None:
    """A hand-written EndpointSlice may name anything as its target: the map shows it as text."""
    url, cluster = await open_lab(async_client)
    hostile = '<img src=x onerror="alert(1)">'
    cluster.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "manual"},
                   "spec": {"ports": [{"port": 80}]}})  # fmt: skip
    cluster.apply(
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {"name": "manual-1", "labels": {"kubernetes.io/service-name": "manual"}},
            "addressType": "IPv4",
            "ports": [{"port": 80, "protocol": "TCP"}],
            "endpoints": [
                {
                    "addresses": ["10.244.9.9"],
                    "nodeName": hostile,
                    "targetRef": {"kind": "Pod", "name": hostile},
                }
            ],
        }
    )
    html = (await async_client.get(url)).content.decode()
    assert hostile not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "No selector: the EndpointSlice controller leaves its endpoints to whoever writes them." in text(
        html
    )


def test_traffic_shows_as_counters_and_line_widths_through_the_service_it_took() -> None:
    cluster = Cluster(seed=3)
    cluster.advance(5)
    cluster.apply(WEB)
    node_port = {"type": "NodePort", "selector": {"app": "web"}, "ports": [{"port": 80}]}
    cluster.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web-np"}, "spec": node_port})
    cluster.advance(40)
    quiet = traffic_flow.signature(cluster)
    assert all(e["width"] == traffic_flow.MIN_WIDTH for e in _service(cluster, "web")["endpoints"])
    cluster.send_traffic("web", 60)
    cluster.advance(12)
    assert traffic_flow.signature(cluster) != quiet  # the page is re-sent as counters move
    web = _service(cluster, "web")
    assert web["traffic"] is not None and web["traffic"]["rate"] == 60.0 and web["traffic"]["errors"] == 0
    snapshot = cluster.traffic()
    for e in web["endpoints"]:
        counter = snapshot.pods[("default", e["pod"])]
        assert e["traffic"]["requests"] == counter.requests and e["traffic"]["rate"] == round(counter.rate, 1)
        assert traffic_flow.MIN_WIDTH < e["width"] <= traffic_flow.MAX_WIDTH
    assert sum(e["traffic"]["requests"] for e in web["endpoints"]) == web["traffic"]["requests"]
    # The same pods behind the NodePort Service: no request came that way, its lines stay thin.
    np = _service(cluster, "web-np")
    assert np["traffic"] is None
    assert all(e["width"] == traffic_flow.MIN_WIDTH for e in np["endpoints"])


def test_claims_show_their_volume_node_and_the_pods_that_mount_them() -> None:
    cluster = Cluster(seed=3)
    cluster.advance(5)
    cluster.apply(CLAIM)
    cluster.advance(30)
    panel = storage_view.storage_panel(cluster)
    pvc = cluster.get("persistentvolumeclaim", "data")
    pod = cluster.get("pod", "writer")
    (claim,) = panel["claims"]
    assert claim["phase"] == pvc["status"]["phase"] == "Bound"
    assert claim["volume"] == pvc["spec"]["volumeName"] and claim["modes"] == "RWO"
    assert claim["selected_node"] == pod["spec"]["nodeName"]
    assert claim["used_by"] == [
        {"name": "writer", "node": pod["spec"]["nodeName"], "status": "Running", "volume": "d"}
    ]
    (volume,) = [v for v in panel["volumes"] if v["name"] == claim["volume"]]
    assert volume["phase"] == "Bound" and volume["claim"] == "default/data"
    assert volume["affinity"].endswith(f"in ({pod['spec']['nodeName']})")
    assert any(c["default"] for c in panel["classes"])


def test_the_runner_resends_only_the_service_that_changed_and_follows_traffic() -> None:
    runner = LabRunner("lab1", Cluster.from_scenario("default", seed=7))
    runner.cluster.advance(5)
    runner.cluster.apply(WEB)
    runner.cluster.advance(40)
    runner.changed_fragments(api_calls=False)
    assert runner.changed_fragments(api_calls=False) == []
    # Traffic moves no stored object. Its first counters re-send the Service's drawing (its
    # lines get traffic texts; the panel once, when its legend starts explaining line widths);
    # after that only the moving numbers are sent, as JSON the page applies in place.
    runner.cluster.send_traffic("web", 30)
    runner.cluster.advance(3)
    first = [f.dom_id for f in runner.changed_fragments(api_calls=False)]
    assert "services" in first and "network-live" in first
    runner.cluster.advance(1)
    fragments = runner.changed_fragments(api_calls=False)
    assert [f.dom_id for f in fragments] == ["clock", "network-live"]
    live = fragments[1].context["network_live"]
    web = _service(runner.cluster, "web")
    assert live["text"]["svc_default_web"] == web["traffic_text"]
    assert web["traffic_text"].startswith(
        f"{web['traffic']['rate']} req/s, {web['traffic']['requests']} requests"
    )
    for e in web["endpoints"]:
        assert live["width"][e["live"]] == e["width"] and live["text"][e["live"]] == e["traffic_text"]
    html = fragments[1].render()
    assert html.strip().startswith('<div id="network-live" hidden') and 'type="application/json"' in html
    # A new Service re-sends the panel (which holds every drawing).
    runner.cluster.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "other"},
                          "spec": {"selector": {"app": "other"}, "ports": [{"port": 80}]}})  # fmt: skip
    changed = [f.dom_id for f in runner.changed_fragments(api_calls=False)]
    assert "services" in changed and "svc_default_web" not in changed


INGRESS = (
    EXAMPLE_INGRESS_WEB_WEB2
    + """      - {path: /admin, pathType: Exact, backend: {service: {name: web, port: {number: 81}}}}
"""
)


def _ingress_html(runner: LabRunner, dom_id: str) -> str:
    html = render_fragments([f for f in runner.fragments() if f.dom_id == dom_id])
    return html


def _ingress_lab() -> LabRunner:
    runner = LabRunner("lab1", Cluster.from_scenario("ingress", seed=7))
    runner.cluster.advance(5)
    runner.cluster.apply(WEB)
    runner.cluster.advance(40)
    return runner


def test_an_ingress_is_drawn_with_a_line_per_path_when_it_is_created() -> None:
    runner = _ingress_lab()
    before = [f for f in runner.changed_fragments(api_calls=False) if f.dom_id == "ingresses"]
    (panel,) = before
    assert panel.context["ingresses"]["ingresses"] == []
    assert "No Ingresses yet" in text(panel.render())
    assert "IngressClass nginx : controller k8s.io/ingress-nginx" in text(panel.render())
    runner.changed_fragments(api_calls=False)

    runner.cluster.apply(INGRESS)
    runner.cluster.advance(1)
    changed = [f.dom_id for f in runner.changed_fragments(api_calls=False)]
    assert "ingresses" in changed  # the panel, with the new Ingress's drawing in it
    html = _ingress_html(runner, "ingresses")
    routes = re.findall(
        r'data-testid="ingress-route" data-host="([^"]*)" data-path="([^"]*)" data-service="([^"]*)" '
        r'data-broken="(true|false)"',
        html,
    )
    assert routes == [
        ("hello-world.example", "/", "web", "false"),
        ("hello-world.example", "/v2", "web2", "true"),
        ("hello-world.example", "/admin", "web", "true"),
    ]
    (entry,) = runner.board()["ingresses"]["ingresses"]
    assert entry["class_name"] == "nginx" and entry["controller"] == "k8s.io/ingress-nginx"
    (controller,) = [p["metadata"]["name"] for p in runner.cluster.observe("pods", "ingress-nginx")]
    assert entry["served_by"] == [f"ingress-nginx/{controller}"] and entry["served_note"] == ""
    # kubectl describe's Backends text: the ready endpoints on the Service port's name.
    ips = sorted(e["ip"] for e in _service(runner.cluster, "web")["endpoints"])
    good = entry["routes"][0]
    assert good["backend"] == "web:80" and sorted(good["detail"].strip("()").split(",")) == [
        f"{ip}:80" for ip in ips
    ]
    # The controller's status sync writes the address a minute later at most: one line re-sent.
    assert entry["address"] == ""
    runner.changed_fragments(api_calls=False)
    runner.cluster.advance(61)
    changed = [f.dom_id for f in runner.changed_fragments(api_calls=False)]
    assert "ing_default_example-ingress" in changed and "ingresses" not in changed
    address = runner.board()["ingresses"]["ingresses"][0]["address"]
    node = runner.cluster.get("pod", controller, namespace="ingress-nginx")["spec"]["nodeName"]
    assert address == next(
        a["address"]
        for a in runner.cluster.get("node", node, namespace=None)["status"]["addresses"]
        if a["type"] == "InternalIP"
    )


def test_a_missing_service_or_port_is_drawn_broken_as_describe_shows_it() -> None:
    runner = _ingress_lab()
    runner.cluster.apply(INGRESS)
    runner.cluster.advance(1)
    (entry,) = runner.board()["ingresses"]["ingresses"]
    _, missing, no_port = entry["routes"]
    assert missing["detail"] == '(<error: services "web2" not found>)'
    assert missing["broken"] == 'no Service "web2" in namespace "default": nginx answers 503'
    assert no_port["broken"] == 'Service "web" has no port 81: nginx answers 503'
    assert entry["broken"] == 2
    words = text(_ingress_html(runner, "ing_default_example-ingress"))
    assert 'web2:8080 (<error: services "web2" not found>)' in words
    assert (
        'hello-world.example /v2 → web2:8080: no Service "web2" in namespace "default": nginx answers 503'
        in words
    )
    assert "2 broken backends" in words
    # As nginx would route it: /v2 answers 503 until web2 exists and has a ready endpoint.
    web2 = WEB.replace("web", "web2").replace("port: 80, targetPort: 80", "port: 8080, targetPort: 80")
    deployment, service = web2.split("---")
    runner.cluster.apply(service)
    runner.cluster.advance(1)
    assert runner.board()["ingresses"]["ingresses"][0]["routes"][1]["broken"] == (
        'Service "web2" has no ready endpoint on that port: nginx answers 503'
    )
    runner.cluster.apply(deployment)
    runner.cluster.advance(40)
    (entry,) = runner.board()["ingresses"]["ingresses"]
    assert entry["routes"][1]["broken"] == "" and entry["broken"] == 1
    assert entry["routes"][1]["detail"].endswith(":80)")  # the pods' port, as describe lists it


def test_an_ingress_without_a_controller_or_class_says_so() -> None:
    cluster = Cluster.from_scenario("default", seed=7)
    cluster.advance(2)
    panel = ingress_map.ingresses_panel(cluster)
    assert panel == {"ingresses": [], "classes": [], "total": 0, "not_drawn_count": 0, "controller": None}
    assert " hidden>" in render_to_string("labs/lab.html#ingresses", {"ingresses": panel}).split("\n", 3)[1]
    cluster.apply(WEB)
    cluster.apply(INGRESS.replace("  ingressClassName: nginx\n", ""))
    cluster.advance(30)
    cluster.send_traffic("web", 40)
    cluster.advance(12)
    (entry,) = ingress_map.ingresses_panel(cluster)["ingresses"]
    assert entry["class_name"] == "<none>" and entry["served_by"] == [] and entry["urls"] == []
    assert entry["class_note"].startswith("No class:") and entry["served_note"].startswith(
        "No running ingress"
    )
    # Requests straight to the Service went through no Ingress: its line stays thin.
    good = entry["routes"][0]
    assert good["broken"] == "" and good["traffic"] is None and good["width"] == traffic_flow.MIN_WIDTH


def test_traffic_through_the_controller_is_drawn_on_the_ingress_lines() -> None:
    runner = _ingress_lab()
    runner.cluster.apply(INGRESS)
    runner.cluster.advance(5)
    runner.changed_fragments(api_calls=False)
    runner.cluster.send_traffic("hello-world.example", 40)
    runner.cluster.advance(12)
    board = runner.board()
    (entry,) = board["ingresses"]["ingresses"]
    good, missing, no_port = entry["routes"]
    web = runner.cluster.traffic().services[("default", "web")]
    assert good["traffic"] == traffic_flow._counter(web).as_dict() and good["traffic"]["rate"] == 40.0
    assert good["width"] == traffic_flow.MAX_WIDTH
    assert missing["traffic"] is None and no_port["traffic"] is None
    assert missing["width"] == no_port["width"] == traffic_flow.MIN_WIDTH
    assert board["ingresses"]["controller"]["traffic_text"].startswith("40.0 req/s, ")
    assert entry["urls"] == [
        "http://hello-world.example/",
        "http://hello-world.example/v2",
        "http://hello-world.example/admin",
    ]
    runner.changed_fragments(api_calls=False)
    runner.cluster.advance(1)
    fragments = runner.changed_fragments(api_calls=False)
    # Moving counters only: the drawings stay, the numbers go as JSON.
    assert "ing_default_example-ingress" not in [f.dom_id for f in fragments]
    (live,) = [f.context["network_live"] for f in fragments if f.dom_id == "network-live"]
    assert live["width"]["ing_default_example-ingress-r0"] == traffic_flow.MAX_WIDTH
    assert live["text"]["ing_default_example-ingress-r0"].startswith("40.0 req/s · 0 err · ")
    assert live["text"]["ingress-controller"] == runner.board()["ingresses"]["controller"]["traffic_text"]


def test_hostile_paths_and_annotations_are_escaped_on_the_ingress_map() -> None:
    cluster = Cluster.from_scenario("default", seed=7)
    cluster.advance(2)
    hostile = '/"><script>alert(1)</script>'
    cluster.apply(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "x", "annotations": {"kubernetes.io/ingress.class": "<b>nginx</b>"}},
            "spec": {
                "rules": [
                    {
                        "http": {
                            "paths": [
                                {
                                    "path": hostile,
                                    "pathType": "ImplementationSpecific",
                                    "backend": {"service": {"name": "web", "port": {"number": 80}}},
                                }
                            ]
                        }
                    }
                ]
            },
        }
    )
    panel = ingress_map.ingresses_panel(cluster)
    (entry,) = panel["ingresses"]
    assert entry["routes"][0]["path"] == hostile and entry["class_name"] == "<b>nginx</b>"
    html = render_to_string("labs/lab.html#ingresses", {"ingresses": panel})
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;b&gt;nginx&lt;/b&gt;" in html
