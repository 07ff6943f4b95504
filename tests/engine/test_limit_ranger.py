"""LimitRange objects and the LimitRanger admission plugin: defaults filled in and annotated,
constraints checked with kube-apiserver's own messages."""

from __future__ import annotations

from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.cluster import LEARNER
from clusterlab.engine.errors import Forbidden, Invalid
from clusterlab.engine.quantity_format import canonical_text

LIMITS = {
    "apiVersion": "v1",
    "kind": "LimitRange",
    "metadata": {"name": "limits"},
    "spec": {
        "limits": [
            {
                "type": "Container",
                "default": {"cpu": "500m", "memory": "256Mi"},
                "defaultRequest": {"cpu": "250m"},
                "max": {"cpu": "1", "memory": "1Gi"},
                "min": {"cpu": "100m", "memory": "32Mi"},
                "maxLimitRequestRatio": {"cpu": "4"},
            },
            {"type": "Pod", "max": {"cpu": "1500m"}},
        ]
    },
}


def pod(name: str, *containers: dict[str, Any], init: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": list(containers)}
    if init:
        spec["initContainers"] = init
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def box(
    name: str, requests: dict[str, str] | None = None, limits: dict[str, str] | None = None
) -> dict[str, Any]:
    c: dict[str, Any] = {"name": name, "image": "nginx:1.27"}
    resources = {k: v for k, v in (("requests", requests), ("limits", limits)) if v}
    if resources:
        c["resources"] = resources
    return c


@pytest.fixture
def c() -> Cluster:
    cluster = Cluster()
    cluster.apply(LIMITS)
    cluster.advance(1)  # the namespace's `default` ServiceAccount, which pods need, exists
    return cluster


def test_the_api_server_defaults_a_container_item_from_max_and_default() -> None:
    c = Cluster()
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": {"name": "m"},
            "spec": {"limits": [{"type": "Container", "max": {"memory": "1Gi"}, "min": {"cpu": "50m"}}]},
        }
    )
    item = c.get("limits", "m")["spec"]["limits"][0]
    assert item == {
        "type": "Container",
        "max": {"memory": "1Gi"},
        "min": {"cpu": "50m"},
        "default": {"memory": "1Gi"},
        "defaultRequest": {"memory": "1Gi", "cpu": "50m"},
    }


def test_defaults_fill_containers_and_init_containers_and_are_annotated(c: Cluster) -> None:
    created = c.apply(pod("web", box("app"), box("side", requests={"cpu": "300m"}), init=[box("setup")]))[0]
    containers = {x["name"]: x["resources"] for x in created["spec"]["containers"]}
    # The API server defaulted the item's memory request from its default limit.
    assert containers["app"] == {
        "limits": {"cpu": "500m", "memory": "256Mi"},
        "requests": {"cpu": "250m", "memory": "256Mi"},
    }
    assert containers["side"] == {
        "limits": {"cpu": "500m", "memory": "256Mi"},
        "requests": {"cpu": "300m", "memory": "256Mi"},
    }
    assert created["spec"]["initContainers"][0]["resources"] == containers["app"]
    assert created["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == (
        "LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for "
        "container app; memory request for container side; cpu, memory limit for container side; "
        "cpu, memory request for init container setup; cpu, memory limit for init container setup"
    )


def test_a_pod_that_sets_everything_is_not_annotated(c: Cluster) -> None:
    full = box("app", requests={"cpu": "200m", "memory": "64Mi"}, limits={"cpu": "400m", "memory": "64Mi"})
    created = c.apply(pod("full", full))[0]
    assert "kubernetes.io/limit-ranger" not in (created["metadata"].get("annotations") or {})


@pytest.mark.parametrize(
    ("containers", "message"),
    [
        (
            [box("app", limits={"cpu": "2", "memory": "128Mi"})],
            'pods "p" is forbidden: [maximum cpu usage per Container is 1, but limit is 2, '
            "maximum cpu usage per Pod is 1500m, but limit is 2]",
        ),
        (
            [box("app", requests={"cpu": "50m"}, limits={"cpu": "100m", "memory": "16Mi"})],
            'pods "p" is forbidden: [minimum cpu usage per Container is 100m, but request is 50m, '
            "minimum memory usage per Container is 32Mi, but request is 16Mi]",
        ),
        (
            [box("app", limits={"cpu": "1", "memory": "2Gi"})],
            'pods "p" is forbidden: maximum memory usage per Container is 1Gi, but limit is 2Gi',
        ),
        (
            [box("a", limits={"cpu": "800m"}), box("b", limits={"cpu": "800m"})],
            'pods "p" is forbidden: maximum cpu usage per Pod is 1500m, but limit is 1600m',
        ),
        (
            [box("app", requests={"cpu": "100m"}, limits={"cpu": "1"})],
            'pods "p" is forbidden: cpu max limit to request ratio per Container is 4, but provided '
            "ratio is 10.000000",
        ),
    ],
)
def test_constraints_are_refused_with_kube_apiserver_messages(
    c: Cluster, containers: list[dict[str, Any]], message: str
) -> None:
    with pytest.raises(Forbidden) as err:
        c.apply(pod("p", *containers))
    assert err.value.message == message
    assert err.value.code == 403


def test_two_containers_with_the_same_violation_report_it_once(c: Cluster) -> None:
    with pytest.raises(Forbidden) as err:
        c.apply(pod("p", box("a", limits={"memory": "2Gi"}), box("b", limits={"memory": "2Gi"})))
    assert (
        err.value.message
        == 'pods "p" is forbidden: maximum memory usage per Container is 1Gi, but limit is 2Gi'
    )


def test_a_generated_name_is_quoted_as_generated(c: Cluster) -> None:
    """LimitRanger validates after the name is generated, so it quotes the generated name."""
    bad = pod("ignored", box("app", limits={"memory": "2Gi"}))
    bad["metadata"] = {"generateName": "job-"}
    with pytest.raises(Forbidden) as err:
        c.server.create(LEARNER, bad)
    assert err.value.message.startswith('pods "job-')
    assert len(err.value.message.split('"')[1]) == len("job-") + 5


def test_a_default_limit_below_the_request_fails_pod_validation(c: Cluster) -> None:
    """LimitRanger does not reconcile its defaults with what the pod asks: a 700m request meets a
    500m default limit and the pod is invalid (kubernetes/kubernetes#112835)."""
    with pytest.raises(Invalid) as err:
        c.apply(pod("p", box("app", requests={"cpu": "700m"})))
    assert "spec.containers[0].resources.requests" in err.value.message


def test_limit_range_validation_messages() -> None:
    c = Cluster()
    bad = {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "bad"},
        "spec": {
            "limits": [
                {"type": "Pod", "default": {"cpu": "1"}, "min": {"cpu": "2"}, "max": {"cpu": "1"}},
                {"type": "Container", "maxLimitRequestRatio": {"cpu": "500m"}},
            ]
        },
    }
    with pytest.raises(Invalid) as err:
        c.apply(bad)
    assert err.value.message == (
        'LimitRange "bad" is invalid: [spec.limits[0].default: Forbidden: may not be specified when '
        "`type` is 'Pod', spec.limits[0].min[cpu]: Invalid value: \"2\": min value 2 is greater than "
        'max value 1, spec.limits[0].default[cpu]: Invalid value: "2": min value 2 is greater than '
        'default value 1, spec.limits[1].maxLimitRequestRatio[cpu]: Invalid value: "500m": ratio 500m '
        "is less than 1]"
    )


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("2000m", "2"),
        ("1800m", "1800m"),
        ("0.5", "500m"),
        ("2048Mi", "2Gi"),
        ("1.5Gi", "1536Mi"),
        ("1e3", "1e3"),
        ("512", "512"),
        ("1500000", "1500k"),
    ],
)
def test_quantities_print_as_apimachinery_prints_them(text: str, printed: str) -> None:
    assert canonical_text(text) == printed
