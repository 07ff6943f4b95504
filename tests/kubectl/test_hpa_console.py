"""The HPA walkthrough typed into the console against the lab's own API: `kubectl apply` the
php-apache Deployment and Service, `kubectl autoscale deployment php-apache --cpu-percent=50
--min=1 --max=10`, a load step, and `kubectl get hpa` watching it scale."""

from __future__ import annotations

from clusterlab.engine import Cluster
from clusterlab.kubectl import run

from ..engine.test_hpa import PHP_APACHE


def test_the_walkthrough_in_the_console(live_transport, live_cluster: Cluster) -> None:
    c = live_cluster
    assert run("kubectl apply -f -", live_transport, stdin=PHP_APACHE).stdout == (
        "deployment.apps/php-apache created\nservice/php-apache created\n"
    )
    c.advance(40)
    r = run("kubectl autoscale deployment php-apache --cpu-percent=50 --min=1 --max=10", live_transport)
    assert (r.stdout, r.stderr, r.exit_code) == (
        "horizontalpodautoscaler.autoscaling/php-apache autoscaled\n",
        "",
        0,
    )
    created = c.get("hpa", "php-apache")
    assert created["spec"] == {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "php-apache"},
        "minReplicas": 1,
        "maxReplicas": 10,
        "metrics": [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}},
            }
        ],
    }
    assert created["metadata"]["managedFields"][0]["manager"] == "kubectl-autoscale"
    header, row = run("kubectl get hpa", live_transport).stdout.splitlines()
    assert header.split() == ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]
    assert row.split()[:7] == ["php-apache", "Deployment/php-apache", "cpu:", "<unknown>/50%", "1", "10", "0"]
    c.advance(60)
    c.set_load("run=php-apache", "default", 1)
    c.advance(200)
    row = run("kubectl get hpa php-apache --no-headers", live_transport).stdout.split()
    # 1 → 4 → 5 → 7 with this lab's seed, as in the docs' run: at 165 s the 5 pods average 68 %
    # (0.2 × 700 m + 0.5 m of 200 m, plus the samples' noise, drawn from one stream by every
    # container scraped, kube-proxy's among them) → ceil(5 × 68 % / 50 %) = 7; a noisier 72 %
    # would have made it 8
    assert row[:7] == ["php-apache", "Deployment/php-apache", "cpu:", row[3], "1", "10", "7"]
    described = run("kubectl describe hpa php-apache", live_transport).stdout
    assert "Deployment pods:                                       7 current / 7 desired\n" in described
    assert "New size: 4; reason: cpu resource utilization (percentage of request) above target" in described
    assert "New size: 7; reason: cpu resource utilization (percentage of request) above target" in described


def test_autoscale_refuses_what_kubectl_refuses(live_transport, live_cluster: Cluster) -> None:
    r = run("kubectl autoscale deployment php-apache --min=3", live_transport)
    assert (r.stderr, r.exit_code) == ('error: required flag(s) "max" not set\n', 1)
    r = run("kubectl autoscale deployment php-apache --max=0", live_transport)
    assert r.stderr == "error: --max=MAXPODS is required and must be at least 1, max: 0\n"
    r = run("kubectl autoscale deployment php-apache --min=3 --max=2", live_transport)
    assert r.stderr == "error: --max=MAXPODS must be larger or equal to --min=MINPODS, max: 2, min: 3\n"
    r = run("kubectl autoscale deployment nope --max=2", live_transport)
    assert (r.stderr, r.exit_code) == ('Error from server (NotFound): deployments.apps "nope" not found\n', 1)
