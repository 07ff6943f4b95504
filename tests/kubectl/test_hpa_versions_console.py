"""The console's kubectl with HPAs served in autoscaling/v2 (preferred) and autoscaling/v1: the
RESTMapper picks the preferred version for `hpa`, a full `<resource>.v1.autoscaling` name picks
v1, a short name keeps only its group (client-go's shortcut expander), and `autoscale` posts v1."""

from __future__ import annotations

import yaml

from clusterlab.engine import Cluster
from clusterlab.kubectl import run

from ..engine.test_hpa import PHP_APACHE


def test_versions_in_the_console(live_transport, live_cluster: Cluster) -> None:
    run("kubectl apply -f -", live_transport, stdin=PHP_APACHE)
    r = run("kubectl autoscale deployment php-apache --cpu-percent=50 --max=10 -o yaml", live_transport)
    assert r.exit_code == 0, r.stderr
    created = yaml.safe_load(r.stdout)
    assert created["apiVersion"] == "autoscaling/v1"
    assert (
        created["spec"]["targetCPUUtilizationPercentage"] == 50 and "managedFields" not in created["metadata"]
    )
    for name, version in [
        ("hpa", "autoscaling/v2"),
        ("hpa.v1.autoscaling", "autoscaling/v2"),
        ("horizontalpodautoscalers.v1.autoscaling", "autoscaling/v1"),
        ("horizontalpodautoscaler.v1.autoscaling", "autoscaling/v1"),
        ("horizontalpodautoscalers.v2.autoscaling", "autoscaling/v2"),
    ]:
        out = run(f"kubectl get {name} php-apache -o yaml", live_transport)
        assert yaml.safe_load(out.stdout)["apiVersion"] == version, name
    assert run("kubectl get horizontalpodautoscalers.v1.autoscaling", live_transport).stdout.split()[:9] == [
        "NAME",
        "REFERENCE",
        "TARGETS",
        "MINPODS",
        "MAXPODS",
        "REPLICAS",
        "AGE",
        "php-apache",
        "Deployment/php-apache",
    ]
    versions = run("kubectl api-versions", live_transport).stdout.split()
    assert {"autoscaling/v1", "autoscaling/v2"} <= set(versions)
    rows = run("kubectl api-resources --api-group=autoscaling", live_transport).stdout.splitlines()
    assert [line.split() for line in rows[1:]] == [
        ["horizontalpodautoscalers", "hpa", "autoscaling/v2", "true", "HorizontalPodAutoscaler"]
    ]
