"""Live traffic from a learner's load source: split by the source node's rules, counted per pod
and per Service, following readiness and selector switches, and driving CPU for the HPA."""

from __future__ import annotations

import math

from clusterlab.engine import Cluster
from tests.engine.test_hpa import PHP_APACHE, hpa, replicas, until
from tests.manifests import WEB_SERVICE


def deployment(name: str, replicas: int, labels: str, probe: str = "") -> str:
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{{labels}}}}}
  template:
    metadata: {{labels: {{{labels}}}}}
    spec:
      containers: [{{name: nginx, image: "nginx:1.27"{probe}}}]
---
"""


def per_deployment(c: Cluster) -> dict[str, int]:
    out: dict[str, int] = {}
    for (_, pod), counter in c.traffic("default").pods.items():
        name = pod.rsplit("-", 2)[0]
        out[name] = out.get(name, 0) + counter.requests
    return out


def seconds_served(c: Cluster, prefix: str) -> list[int]:
    return sorted(
        {
            s
            for (_, pod), series in c.traffic_stats.pods.items()
            if pod.startswith(prefix)
            for s in series.buckets
        }
    )


def test_canary_share_follows_the_replica_share() -> None:
    c = Cluster.from_scenario("default", seed=11)
    c.apply(
        deployment("stable", 9, "app: web, track: stable")
        + deployment("canary", 1, "app: web, track: canary")
    )
    c.apply(WEB_SERVICE)
    c.advance(40)
    c.send_traffic("web", 1000)
    c.advance(19.5)  # batches at 40, 41, …, 59: 20,000 requests
    shares = per_deployment(c)
    assert shares["stable"] + shares["canary"] == 20_000
    # 10 endpoints, 1 canary: Binomial(20000, 0.1) — within four standard deviations.
    sd = math.sqrt(20_000 * 0.1 * 0.9)
    assert abs(shares["canary"] - 2_000) < 4 * sd
    assert c.traffic().services[("default", "web")].rate == 1000.0


def test_blue_green_switch_moves_traffic_at_the_next_batch_after_the_rules_change() -> None:
    c = Cluster.from_scenario("default", seed=5)
    c.apply(
        deployment("blue", 2, "app: web, version: blue") + deployment("green", 2, "app: web, version: green")
    )
    c.apply(WEB_SERVICE.replace("{app: web}", "{app: web, version: blue}"))
    c.advance(30)
    c.send_traffic("web", 100)  # batches at 30, 31, …
    c.advance(5)  # the batch of second 35 went to blue
    svc = c.get("services", "web")
    svc["spec"]["selector"]["version"] = "green"
    c.update(svc)
    node = c.network.node_source(c._client_node(None)).node
    c.advance(0.5)
    # The EndpointSlice controller rewrote the slice, and kube-proxy (a token left) synced at once.
    assert 35.0 <= (c.proxies[node].last_sync or 0) < 35.01
    c.advance(4)
    assert seconds_served(c, "blue") == [30, 31, 32, 33, 34, 35]
    assert seconds_served(c, "green") == [36, 37, 38, 39]
    assert per_deployment(c) == {"blue": 600, "green": 400}


def test_unready_pods_get_no_requests_and_no_endpoints_refuse() -> None:
    c = Cluster.from_scenario("default", seed=2)
    never_ready = ", readinessProbe: {httpGet: {path: /nope, port: 80}}"
    c.apply(
        deployment("ready", 1, "app: web, r: y") + deployment("unready", 1, "app: web, r: n", never_ready)
    )
    c.apply(WEB_SERVICE)
    c.advance(40)
    c.send_traffic("web", 50)
    c.advance(9.5)
    assert per_deployment(c) == {"ready": 500}
    c.scale("deployment", "ready", 0)  # at 49.5: its pod terminates, the slice empties
    c.advance(20)
    web = c.traffic().services[("default", "web")]
    # kube-proxy REJECTs a Service port without endpoints: every later request is refused.
    assert (web.requests, web.errors, web.rate, web.error_rate) == (1500, 1000, 50.0, 50.0)
    c.send_traffic("web", 0)
    c.advance(10)
    assert c.traffic().services[("default", "web")].requests == 1500


def test_session_affinity_pins_one_client_to_one_pod() -> None:
    c = Cluster.from_scenario("default", seed=4)
    c.apply(
        deployment("web", 3, "app: web")
        + WEB_SERVICE.replace("ports:", "sessionAffinity: ClientIP\n  ports:")
    )
    c.advance(40)
    c.send_traffic("web", 200)
    c.advance(9.5)
    counts = sorted(v.requests for v in c.traffic().pods.values())
    assert counts == [2000]  # one pod takes every request of the one client address
    rules = c.proxy_rules(c._client_node(None))
    assert "-m recent --rcheck --seconds 10800 --reap" in rules


def test_traffic_drives_cpu_and_the_hpa_scales_up() -> None:
    c = Cluster.from_scenario("default", seed=7)
    c.advance(5)
    c.apply(PHP_APACHE)
    until(c, 45)
    c.apply(hpa())
    until(c, 105)
    # The walkthrough's load generator sends ~100 requests/s; php-apache spends ~7 ms on each.
    c.send_traffic("php-apache", 100)
    seen: list[tuple[float, int]] = []
    for t in range(110, 200, 5):
        until(c, t)
        if not seen or seen[-1][1] != replicas(c):
            seen.append((t, replicas(c)))
    # The requests' CPU shows from the first scrape after they began (50 % at the 120 sync,
    # within tolerance), then 224 %: the one pod, beyond its 500m limit (ρ = 100 × 7 ms / 0.5 =
    # 1.4), serves int(100 / 1.4) = 71 of the 100 a second, ~500m of its 200m request — the
    # docs' walkthrough shows 250–305 %. ceil(1 × 224 / 50) = 5, held to 4 by the scale-up limit
    # (max(100 %, 4 pods) per 15 s), then 5 and 7, the docs' final count.
    # (The ±10 % sampling noise comes from one stream that every container scraped draws from,
    # kube-proxy's pods on each node among them.)
    assert seen == [(110, 1), (135, 4), (150, 5), (180, 7)]
    texts = [(d.time, d.text) for d in c.decisions("HorizontalPodAutoscaler", "php-apache")]
    assert (120.0, "HPA php-apache: 50 % / 50 % = 1.00, within the 0.1 tolerance → keep 1") in texts
    assert (
        135.0,
        "HPA php-apache: ceil(1 × 224 % / 50 %) = 5, limited to 4 by the scale-up limit → scale 1 → 4",
    ) in texts
    # at 195 the 7 pods' ratio asks for more, but the two new pods without metrics yet count
    # at 0 % and bring it back within the tolerance
    assert (
        195.0,
        "HPA php-apache: 70 % / 50 % = 1.40; counting 2 pod(s) without metrics and 0 not ready"
        " at 0 % (scaling up) or 100 % (scaling down): 1.00, within the 0.1 tolerance → keep 7",
    ) in texts
    pods = c.traffic("default").pods
    assert len(pods) == 7  # every new pod takes its share once Ready
    # Alone beyond its capacity (500m / 7 ms ≈ 71 requests/s), the first pod dropped the excess
    # of each batch from 105 s until the next pods were Ready (136 s): 32 batches.
    assert max(p.errors for p in pods.values()) == 32 * (100 - int(100 / 1.4))


def test_a_terminating_pod_gets_no_new_requests_while_it_drains() -> None:
    c = Cluster.from_scenario("default", seed=9)
    drain = ", lifecycle: {preStop: {sleep: {seconds: 20}}}"
    c.apply(deployment("web", 2, "app: web", drain) + WEB_SERVICE)
    c.advance(40)
    c.send_traffic("web", 100)  # batches at 40, 41, …
    c.advance(2)
    first, second = sorted(c.traffic_stats.pods)
    c.delete("pods", first[1])  # at 42: terminating, still running its preStop sleep
    c.advance(10.5)
    pod = c.store.get("pods", "default", first[1])
    assert pod is not None and pod["metadata"].get("deletionTimestamp")
    assert seconds_served(c, first[1]) == [40, 41, 42]
    # The other pod, and the ReplicaSet's replacement once Ready, take all of it.
    at_50 = {k[1]: s.buckets[50].requests for k, s in c.traffic_stats.pods.items() if 50 in s.buckets}
    assert sum(at_50.values()) == 100 and first[1] not in at_50 and second[1] in at_50
