"""The console's `get hpa` and `describe hpa` against the real kubectl 1.32 binary, on the same
canned API answers (see test_against_kubectl.py): identical stdout, stderr and exit code. The
objects come from the docs' php-apache walkthrough run on the engine, under a load step."""

from __future__ import annotations

import pytest

from clusterlab.engine import Cluster

from ..engine.test_hpa import PHP_APACHE, hpa
from .fakeapi import CannedAPI, have_kubectl
from .side_by_side import EngineSnapshot, assert_prints_what_kubectl_prints, serve_kinds

pytestmark = pytest.mark.skipif(not have_kubectl(), reason="the kubectl.1.32 binary is not installed")

HPA_KIND = [
    (
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        True,
        ["hpa"],
        ["all"],
        ["status"],
    )
]


def _walkthrough() -> Cluster:
    """The php-apache walkthrough and a slower twin under a load step, and a second HPA on
    php-apache applied late (AmbiguousSelector once it has synced)."""
    c = Cluster(seed=7)
    c.advance(5)
    c.apply(PHP_APACHE)
    c.apply(PHP_APACHE.replace("php-apache", "php-slow"))
    c.advance(40)
    c.apply(hpa())
    slow = hpa(max_replicas=5, behavior={"scaleDown": {"stabilizationWindowSeconds": 60}})
    slow["metadata"]["name"] = "slow"
    slow["spec"]["scaleTargetRef"]["name"] = "php-slow"
    c.apply(slow)
    fresh = hpa(min_replicas=2)
    fresh["metadata"] = {"name": "fresh", "labels": {"team": "web"}}
    del fresh["spec"]["metrics"]
    c.advance(60)
    c.set_load("run=php-apache", "default", 1)
    c.set_load("run=php-slow", "default", 2)
    c.advance(90)
    c.apply(fresh)  # a second HPA on php-apache: AmbiguousSelector once it has synced
    c.advance(20)
    return c


SNAPSHOT = EngineSnapshot(_walkthrough, ("namespaces", "deployments", "events", "horizontalpodautoscalers"))
_hpa_kind = serve_kinds(*HPA_KIND)


def _api() -> CannedAPI:
    return SNAPSHOT.api(["horizontalpodautoscalers"], groups=["apps", "autoscaling", "coordination.k8s.io"])


READS = [
    "get hpa",
    "get hpa -o wide",
    "get horizontalpodautoscalers.autoscaling php-apache",
    "get hpa php-apache -o yaml",
    "get hpa slow -o json",
    "describe hpa php-apache",
    "describe hpa slow",
    "describe hpa fresh",
    "describe hpa",
    "get hpa nope",
]


@pytest.mark.parametrize("line", READS)
def test_hpa_reads_print_what_kubectl_prints(line: str) -> None:
    assert_prints_what_kubectl_prints(_api, line)


REFUSALS = [
    "autoscale namespace/default --max=3",
    "autoscale deployment/php-apache --min=4 --max=3",
    "autoscale deployment/php-apache --max=0",
    "autoscale deployment/nope --max=3",
]


@pytest.mark.parametrize("line", REFUSALS)
def test_autoscale_refuses_as_kubectl_does(line: str) -> None:
    assert_prints_what_kubectl_prints(_api, line)
