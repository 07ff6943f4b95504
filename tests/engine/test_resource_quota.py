"""ResourceQuota: the admission plugin's refusals and charges, the resource quota controller's
usage timeline on the virtual clock, and a ReplicaSet held back by a quota."""

from __future__ import annotations

import re
from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.cluster import LEARNER
from clusterlab.engine.errors import AlreadyExists, Forbidden, Invalid


def quota(name: str, hard: dict[str, str], ns: str = "default", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"hard": hard, **spec},
    }


def pod(
    name: str, requests: dict[str, str] | None = None, limits: dict[str, str] | None = None, **spec: Any
) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "app", "image": "nginx:1.27"}
    resources = {k: v for k, v in (("requests", requests), ("limits", limits)) if v}
    if resources:
        container["resources"] = resources
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [container], **spec},
    }


def used(c: Cluster, name: str = "compute", ns: str = "default") -> dict[str, str]:
    return dict((c.get("quota", name, ns).get("status") or {}).get("used") or {})


COMPUTE = {"requests.cpu": "1", "requests.memory": "1Gi", "pods": "2"}
SMALL = {"cpu": "400m", "memory": "256Mi"}


@pytest.fixture
def c() -> Cluster:
    cluster = Cluster()
    cluster.apply(quota("compute", COMPUTE))
    cluster.advance(1)
    return cluster


def test_the_controller_fills_in_status_right_after_creation() -> None:
    c = Cluster()
    created = c.apply(quota("compute", {"requests.cpu": "2000m", "pods": "10"}))[0]
    assert created["status"] == {}
    c.advance(0.01)
    assert c.get("quota", "compute")["status"] == {
        "hard": {"pods": "10", "requests.cpu": "2"},
        "used": {"pods": "0", "requests.cpu": "0"},
    }
    writes = [a for a in c.api_calls() if a.resource == "resourcequotas/status"]
    assert [(a.actor, a.verb, a.code) for a in writes] == [
        ("system:serviceaccount:kube-system:resourcequota-controller", "update", 200)
    ]


def test_admission_charges_a_pod_before_it_is_stored(c: Cluster) -> None:
    c.apply(pod("a", requests=SMALL))
    assert used(c) == {"pods": "1", "requests.cpu": "400m", "requests.memory": "256Mi"}
    charge = [a for a in c.api_calls() if a.resource == "resourcequotas/status"][-1]
    assert (charge.actor, charge.verb) == ("system:apiserver", "update")


def test_exceeding_a_quota_is_forbidden_with_the_exact_text(c: Cluster) -> None:
    c.apply(pod("a", requests=SMALL))
    with pytest.raises(Forbidden) as err:
        c.apply(pod("b", requests={"cpu": "700m", "memory": "900Mi"}))
    assert err.value.code == 403
    assert err.value.message == (
        'pods "b" is forbidden: exceeded quota: compute, requested: requests.cpu=700m,'
        "requests.memory=900Mi, used: requests.cpu=400m,requests.memory=256Mi, limited: "
        "requests.cpu=1,requests.memory=1Gi"
    )
    assert used(c)["pods"] == "1"  # nothing charged for a refusal


def test_a_quota_on_cpu_requires_every_container_to_state_it(c: Cluster) -> None:
    c.apply(quota("limits", {"limits.cpu": "2", "limits.memory": "2Gi"}))
    c.advance(1)
    with pytest.raises(Forbidden) as err:
        c.apply(pod("bare"))
    assert err.value.message == (
        'pods "bare" is forbidden: failed quota: compute: must specify requests.cpu for: app; '
        "requests.memory for: app"
    )
    with pytest.raises(Forbidden) as err:
        c.apply(pod("half", requests=SMALL))
    assert err.value.message == (
        'pods "half" is forbidden: failed quota: limits: must specify limits.cpu for: app; '
        "limits.memory for: app"
    )


def test_the_pods_count_is_a_limit_too(c: Cluster) -> None:
    c.apply(pod("a", requests={"cpu": "100m", "memory": "64Mi"}))
    c.apply(pod("b", requests={"cpu": "100m", "memory": "64Mi"}))
    with pytest.raises(Forbidden) as err:
        c.apply(pod("c", requests={"cpu": "100m", "memory": "64Mi"}))
    assert err.value.message == (
        'pods "c" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2'
    )


def test_usage_is_released_when_the_pod_is_gone(c: Cluster) -> None:
    c.apply(pod("a", requests=SMALL))
    c.advance(20)
    c.delete("pod", "a")
    assert used(c)["pods"] == "1"  # terminating pods still count
    while c.list("pods", "default"):
        c.clock.step()
    gone_at = c.now
    c.advance(0.01)
    assert used(c) == {"pods": "0", "requests.cpu": "0", "requests.memory": "0"}
    assert c.now - gone_at < 0.02


def test_an_overcharge_is_corrected_by_the_five_minute_resync(c: Cluster) -> None:
    """A create refused *after* admission (the name is taken) keeps its charge until the
    controller's next full recalculation, every 300 s from the controller's start."""
    c.apply(pod("a", requests=SMALL))
    with pytest.raises(AlreadyExists):
        c.server.create(LEARNER, pod("a", requests=SMALL))
    assert used(c) == {"pods": "2", "requests.cpu": "800m", "requests.memory": "512Mi"}
    c.advance(299 - c.now)
    assert used(c)["pods"] == "2"
    c.advance(1.01)
    assert used(c) == {"pods": "1", "requests.cpu": "400m", "requests.memory": "256Mi"}


def test_raising_hard_is_picked_up_at_once(c: Cluster) -> None:
    c.apply(quota("compute", {**COMPUTE, "pods": "5"}))
    c.advance(0.01)
    assert c.get("quota", "compute")["status"]["hard"]["pods"] == "5"


def test_scopes_pick_the_pods_a_quota_counts() -> None:
    c = Cluster()
    c.apply(quota("besteffort", {"pods": "1"}, scopes=["BestEffort"]))
    c.apply(
        quota(
            "critical",
            {"pods": "1"},
            scopeSelector={
                "matchExpressions": [{"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}]
            },
        )
    )
    c.apply(
        {
            "apiVersion": "scheduling.k8s.io/v1",
            "kind": "PriorityClass",
            "metadata": {"name": "high"},
            "value": 1000,
        }
    )
    c.advance(1)
    c.apply(pod("free"))
    c.apply(pod("sized", requests=SMALL))  # Burstable: not in the BestEffort quota
    with pytest.raises(Forbidden) as err:
        c.apply(pod("free2"))
    assert err.value.message == (
        'pods "free2" is forbidden: exceeded quota: besteffort, requested: pods=1, used: pods=1, '
        "limited: pods=1"
    )
    c.apply(pod("vip", requests=SMALL, priorityClassName="high"))
    with pytest.raises(Forbidden) as err:
        c.apply(pod("vip2", requests=SMALL, priorityClassName="high"))
    assert "exceeded quota: critical, requested: pods=1, used: pods=1, limited: pods=1" in err.value.message
    c.advance(1)
    assert used(c, "besteffort") == {"pods": "1"}
    assert used(c, "critical") == {"pods": "1"}


def test_object_counts_per_resource() -> None:
    c = Cluster()
    c.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
    c.apply(quota("objects", {"count/deployments.apps": "1", "services": "1"}, ns="team"))
    c.advance(1)
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "one", "namespace": "team"},
        "spec": {
            "selector": {"matchLabels": {"app": "one"}},
            "template": {
                "metadata": {"labels": {"app": "one"}},
                "spec": {"containers": [{"name": "a", "image": "nginx"}]},
            },
        },
    }
    c.apply(deploy)
    deploy["metadata"]["name"] = "two"
    with pytest.raises(Forbidden) as err:
        c.apply(deploy)
    assert err.value.message == (
        'deployments.apps "two" is forbidden: exceeded quota: objects, requested: '
        "count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1"
    )
    assert used(c, "objects", "team") == {"count/deployments.apps": "1", "services": "0"}
    c.delete("deployment", "one", "team")
    c.advance(1)
    assert used(c, "objects", "team")["count/deployments.apps"] == "0"


def test_a_replicaset_held_back_by_a_quota(c: Cluster) -> None:
    web = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [{"name": "app", "image": "nginx:1.27", "resources": {"requests": SMALL}}]
                },
            },
        },
    }
    c.apply(web)
    c.advance(5)
    pods = c.list("pods", "default", selector="app=web")
    assert len(pods) == 2
    rs = c.list("rs", "default")[0]
    failures = [e for e in c.events() if e["reason"] == "FailedCreate"]
    assert failures and all(e["involvedObject"]["name"] == rs["metadata"]["name"] for e in failures)
    pattern = (
        r'Error creating: pods "' + rs["metadata"]["name"] + r'-[a-z0-9]{5}" is forbidden: exceeded quota: '
        r"compute, requested: pods=1,requests\.cpu=400m, used: pods=2,requests\.cpu=800m, limited: "
        r"pods=2,requests\.cpu=1"
    )
    assert all(re.fullmatch(pattern, e["message"]) for e in failures), failures[0]["message"]
    assert failures[0]["type"] == "Warning" and failures[0]["source"] == {
        "component": "replicaset-controller"
    }
    rs_failure = [x for x in rs["status"]["conditions"] if x["type"] == "ReplicaFailure"]
    assert [(x["status"], x["reason"]) for x in rs_failure] == [("True", "FailedCreate")]
    assert rs_failure[0]["message"] == failures[0]["message"].removeprefix("Error creating: ")
    d = c.get("deploy", "web")
    d_failure = [x for x in d["status"]["conditions"] if x["type"] == "ReplicaFailure"]
    assert d_failure == [
        {
            "type": "ReplicaFailure",
            "status": "True",
            "lastUpdateTime": rs_failure[0]["lastTransitionTime"],
            "lastTransitionTime": rs_failure[0]["lastTransitionTime"],
            "reason": "FailedCreate",
            "message": rs_failure[0]["message"],
        }
    ]
    # Making room does not wake the ReplicaSet controller (it does not watch quotas): the key
    # waits out its exponential backoff (5 ms doubling per failure, at most 1000 s) first.
    c.apply(quota("compute", {**COMPUTE, "requests.cpu": "2", "pods": "4"}))
    c.advance(30)
    assert len(c.list("pods", "default", selector="app=web")) == 2
    c.advance(1000)
    assert len(c.list("pods", "default", selector="app=web")) == 3
    assert not [x for x in c.get("deploy", "web")["status"]["conditions"] if x["type"] == "ReplicaFailure"]
    assert not [x for x in c.list("rs", "default")[0]["status"].get("conditions") or ()]
    assert used(c) == {"pods": "3", "requests.cpu": "1200m", "requests.memory": "768Mi"}


def test_a_dry_run_is_checked_but_not_charged(c: Cluster) -> None:
    c.apply(pod("a", requests=SMALL))
    calls = len(c.api_calls())
    c.server.create(LEARNER, pod("b", requests=SMALL), dry_run=True)
    assert [(a.actor, a.resource) for a in c.api_calls()[calls:]] == [("kubernetes-admin", "pods")]
    assert used(c)["requests.cpu"] == "400m"
    with pytest.raises(Forbidden) as err:
        c.server.create(LEARNER, pod("b", requests={"cpu": "700m", "memory": "1Mi"}), dry_run=True)
    assert "exceeded quota: compute, requested: requests.cpu=700m" in err.value.message


def test_quota_validation_of_scopes() -> None:
    c = Cluster()
    with pytest.raises(Invalid) as err:
        c.apply(
            quota(
                "q",
                {"pods": "2", "requests.cpu": "1", "services": "1"},
                scopes=["BestEffort", "NotBestEffort"],
            )
        )
    assert err.value.message == (
        'ResourceQuota "q" is invalid: [spec.scopes: Invalid value: []core.ResourceQuotaScope{"BestEffort", '
        '"NotBestEffort"}: unsupported scope applied to resource, spec.scopes: Invalid value: '
        '[]core.ResourceQuotaScope{"BestEffort", "NotBestEffort"}: conflicting scopes]'
    )
    with pytest.raises(Invalid) as err:
        c.apply(quota("q", {"pods": "-1"}))
    assert err.value.message == (
        'ResourceQuota "q" is invalid: spec.hard[pods]: Invalid value: "-1": must be greater than or '
        "equal to 0"
    )
