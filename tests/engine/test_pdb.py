"""PodDisruptionBudgets: validation, the disruption controller's arithmetic, the eviction
subresource's refusals in Kubernetes' words, and a drain a budget holds up. Exact timelines on
the virtual clock."""

from __future__ import annotations

from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.cluster import LEARNER
from clusterlab.engine.errors import ApiError, Invalid
from clusterlab.engine.tables import to_table
from clusterlab.engine.timefmt import seconds_since

from .conftest import web
from .test_tables import render

REFUSED = "Cannot evict pod as it would violate the pod's disruption budget."


def pdb(spec: dict[str, Any], name: str = "web") -> dict[str, Any]:
    full = {"selector": {"matchLabels": {"app": "web"}}, **spec}
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": name},
        "spec": full,
    }


def ready_cluster(replicas: int = 4) -> Cluster:
    c = Cluster.from_scenario("default", seed=7)
    c.apply(web(replicas))
    c.advance(10)
    return c


def status(c: Cluster, name: str = "web") -> dict[str, Any]:
    return c.get("pdb", name)["status"]


def evict(c: Cluster, pod: str, **kw: Any) -> dict[str, Any]:
    return c.server.evict(LEARNER, pod, "default", {"apiVersion": "policy/v1", "kind": "Eviction"}, **kw)


def refusal(c: Cluster, pod: str) -> dict[str, Any]:
    with pytest.raises(ApiError) as exc:
        evict(c, pod)
    return exc.value.status()


def web_pods(c: Cluster) -> list[str]:
    return [p["metadata"]["name"] for p in c.list("pods", "default", selector="app=web")]


# -- validation ---------------------------------------------------------------------------------

BOTH = (
    'PodDisruptionBudget.policy "web" is invalid: spec: Invalid value: policy.PodDisruptionBudgetSpec'
    "{MinAvailable:(*intstr.IntOrString)(0xc00001a740), Selector:(*v1.LabelSelector)(0xc00002a740), "
    "MaxUnavailable:(*intstr.IntOrString)(0xc00003a740), "
    "UnhealthyPodEvictionPolicy:(*policy.UnhealthyPodEvictionPolicyType)(nil)}: "
    "minAvailable and maxUnavailable cannot be both set"
)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"minAvailable": 1, "maxUnavailable": 1}, BOTH),
        (
            {"minAvailable": -1},
            'PodDisruptionBudget.policy "web" is invalid: spec.minAvailable: Invalid value: -1: '
            "must be greater than or equal to 0",
        ),
        (
            {"maxUnavailable": "120%"},
            'PodDisruptionBudget.policy "web" is invalid: spec.maxUnavailable: Invalid value: '
            'intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: must not be greater than 100%',
        ),
        (
            {"minAvailable": "half"},
            'PodDisruptionBudget.policy "web" is invalid: spec.minAvailable: Invalid value: '
            'intstr.IntOrString{Type:1, IntVal:0, StrVal:"half"}: '
            "must be an integer or percentage (e.g '5%')",
        ),
        (
            {"minAvailable": 1, "unhealthyPodEvictionPolicy": "Sometimes"},
            'PodDisruptionBudget.policy "web" is invalid: spec.unhealthyPodEvictionPolicy: Unsupported '
            'value: "Sometimes": supported values: "AlwaysAllow", "IfHealthyBudget"',
        ),
    ],
)
def test_invalid_budgets_are_refused_in_kubernetes_words(spec: dict[str, Any], message: str) -> None:
    c = Cluster()
    with pytest.raises(Invalid) as exc:
        c.apply(pdb(spec))
    assert exc.value.message == message


def test_a_new_budget_starts_with_a_zeroed_status_and_generation_1() -> None:
    c = Cluster()
    (created,) = c.apply(pdb({"minAvailable": 2}))
    assert created["metadata"]["generation"] == 1
    assert created["status"] == {
        "currentHealthy": 0,
        "desiredHealthy": 0,
        "disruptionsAllowed": 0,
        "expectedPods": 0,
    }


# -- the disruption controller's arithmetic ------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected", "desired", "allowed"),
    [
        ({"minAvailable": 2}, 4, 2, 2),
        ({"minAvailable": 5}, 4, 5, 0),
        ({"minAvailable": "50%"}, 4, 2, 2),
        ({"minAvailable": "60%"}, 4, 3, 1),  # 2.4 rounds up
        ({"minAvailable": "100%"}, 4, 4, 0),
        ({"maxUnavailable": 1}, 4, 3, 1),
        ({"maxUnavailable": "30%"}, 4, 2, 2),  # 1.2 unavailable rounds up to 2
        ({"maxUnavailable": 0}, 4, 4, 0),
        ({"maxUnavailable": "100%"}, 4, 0, 4),
    ],
)
def test_budget_status_as_the_disruption_controller_computes_it(
    spec: dict[str, Any], expected: int, desired: int, allowed: int
) -> None:
    c = ready_cluster(4)
    c.apply(pdb(spec))
    c.advance(0.01)
    s = status(c)
    assert (s["expectedPods"], s["desiredHealthy"], s["currentHealthy"], s["disruptionsAllowed"]) == (
        expected,
        desired,
        4,
        allowed,
    )
    assert s["observedGeneration"] == 1
    (cond,) = s["conditions"]
    assert cond == {
        "type": "DisruptionAllowed",
        "status": "True" if allowed else "False",
        "observedGeneration": 1,
        "lastTransitionTime": "2026-01-01T09:00:10Z",
        "reason": "SufficientPods" if allowed else "InsufficientPods",
        "message": "",
    }


def test_percentages_count_the_deployments_replicas_not_the_pods_that_exist() -> None:
    """A percentage or maxUnavailable counts the controller's scale: a replica that is missing
    (its pod not yet created) still counts as expected."""
    c = ready_cluster(4)
    c.apply(pdb({"maxUnavailable": 1}))
    c.scale("deployment", "web", 6)
    c.advance(0.01)
    s = status(c)
    assert (s["expectedPods"], s["desiredHealthy"], s["currentHealthy"], s["disruptionsAllowed"]) == (
        6,
        5,
        4,
        0,
    )
    c.advance(10)
    s = status(c)
    assert (s["expectedPods"], s["desiredHealthy"], s["currentHealthy"], s["disruptionsAllowed"]) == (
        6,
        5,
        6,
        1,
    )


def test_the_budget_follows_its_pods_becoming_ready() -> None:
    """Within the same hundredth of a second as each pod turns Ready, the controller has
    counted it: currentHealthy is the number of Ready pods, disruptionsAllowed what exceeds 2."""
    c = Cluster.from_scenario("default", seed=7)
    c.apply(web(3))
    c.apply(pdb({"minAvailable": 2}))
    changes = []
    while c.now < 10:
        c.advance(0.01)
        s = status(c)
        ready = sum(
            1
            for p in c.list("pods", "default")
            if any(
                x["type"] == "Ready" and x["status"] == "True" for x in p["status"].get("conditions") or ()
            )
        )
        assert (s["currentHealthy"], s["disruptionsAllowed"], s["expectedPods"]) == (
            ready,
            max(0, ready - 2),
            3,
        )
        if not changes or changes[-1] != ready:
            changes.append(ready)
    assert changes == [0, 1, 2, 3]
    (cond,) = status(c)["conditions"]
    assert (cond["status"], cond["reason"]) == ("True", "SufficientPods")


def test_events_for_budgets_without_pods_or_with_unmanaged_pods() -> None:
    c = Cluster()
    c.advance(1)  # the namespace's default ServiceAccount exists
    c.apply(pdb({"maxUnavailable": 1, "selector": {"matchLabels": {"app": "none"}}}, name="nothing"))
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "solo", "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
        }
    )
    c.apply(pdb({"maxUnavailable": 1}))
    c.advance(5)
    events = {(e["involvedObject"]["name"], e["type"], e["reason"]): e["message"] for e in c.events()}
    assert events[("nothing", "Normal", "NoPods")] == "No matching pods found"
    assert events[("web", "Warning", "UnmanagedPods")] == (
        "Pods selected by this PodDisruptionBudget (selector: &LabelSelector{MatchLabels:map[string]string"
        "{app: web,},MatchExpressions:[]LabelSelectorRequirement{},}) were found to be unmanaged. "
        "As a result, the status of the PDB cannot be calculated correctly, which may result in "
        "undefined behavior. To "
        'account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.'
    )
    s = status(c)
    assert (s["expectedPods"], s["desiredHealthy"], s["currentHealthy"], s["disruptionsAllowed"]) == (
        0,
        0,
        1,
        0,
    )


# -- the eviction subresource --------------------------------------------------------------------


def test_an_eviction_the_budget_cannot_afford_is_refused_with_429() -> None:
    c = ready_cluster(4)
    c.apply(pdb({"minAvailable": 4}))
    c.advance(0.01)
    pod = web_pods(c)[0]
    assert refusal(c, pod) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": REFUSED,
        "reason": "TooManyRequests",
        "code": 429,
        "details": {
            "causes": [
                {
                    "reason": "DisruptionBudget",
                    "message": "The disruption budget web needs 4 healthy pods and has 4 currently",
                }
            ]
        },
    }
    assert c.get("pod", pod)["metadata"].get("deletionTimestamp") is None


def test_a_budget_the_controller_has_not_seen_yet_says_so() -> None:
    c = ready_cluster(4)
    c.apply(pdb({"minAvailable": 4}))
    c.advance(0.01)
    budget = c.get("pdb", "web")
    budget["spec"]["minAvailable"] = 2
    c.update(budget)  # generation 2; the controller has not synced it yet
    body = refusal(c, web_pods(c)[0])
    assert body["code"] == 429 and body["message"] == REFUSED
    assert body["details"] == {
        "causes": [
            {
                "reason": "DisruptionBudget",
                "message": "The disruption budget web is still being processed by the server.",
            }
        ],
        "retryAfterSeconds": 10,
    }
    c.advance(0.01)
    assert status(c)["observedGeneration"] == 2 and status(c)["disruptionsAllowed"] == 2


def test_an_accepted_eviction_uses_up_the_budget_until_the_controller_recounts() -> None:
    c = ready_cluster(4)
    c.apply(pdb({"minAvailable": 3}))
    c.advance(0.01)
    first, second = web_pods(c)[:2]
    assert evict(c, first) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "code": 201,
    }
    s = status(c)
    assert s["disruptionsAllowed"] == 0 and s["disruptedPods"] == {first: "2026-01-01T09:00:10Z"}
    assert s["conditions"][0]["reason"] == "InsufficientPods"
    # a graceful delete: deletionTimestamp is when the 30 s grace period ends
    assert c.get("pod", first)["metadata"]["deletionTimestamp"] == "2026-01-01T09:00:40Z"
    assert refusal(c, second)["details"]["causes"][0]["message"] == (
        "The disruption budget web needs 3 healthy pods and has 4 currently"
    )
    c.advance(0.01)  # the controller: the evicted pod is terminating, so it leaves disruptedPods
    s = status(c)
    assert "disruptedPods" not in s
    assert (s["currentHealthy"], s["disruptionsAllowed"]) == (3, 0)
    assert refusal(c, second)["details"]["causes"][0]["message"] == (
        "The disruption budget web needs 3 healthy pods and has 3 currently"
    )
    # The ReplicaSet replaces the pod; once the new one is Ready the budget allows one again.
    c.advance(5)
    s = status(c)
    assert (s["currentHealthy"], s["disruptionsAllowed"]) == (4, 1)
    evict(c, second)


def test_a_dry_run_eviction_changes_nothing() -> None:
    c = ready_cluster(4)
    c.apply(pdb({"minAvailable": 3}))
    c.advance(0.01)
    before = c.get("pdb", "web")
    pod = web_pods(c)[0]
    evict(c, pod, dry_run=True)
    assert c.get("pdb", "web") == before
    assert c.get("pod", pod)["metadata"].get("deletionTimestamp") is None


def test_a_pod_with_two_budgets_cannot_be_evicted() -> None:
    c = ready_cluster(4)
    c.apply(pdb({"minAvailable": 1}))
    c.apply(pdb({"maxUnavailable": 1}, name="web-too"))
    c.advance(0.01)
    pod, other = web_pods(c)[:2]
    body = refusal(c, pod)
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": (
            "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
        ),
        "code": 500,
    }
    # The controller warns when a pod both select changes.
    c.delete("pod", other)
    c.advance(0.01)
    warnings = [e["message"] for e in c.events() if e["reason"] == "MultiplePodDisruptionBudgets"]
    assert (
        warnings[0]
        == f'Pod "default"/"{other}" matches multiple PodDisruptionBudgets.  Chose "web" arbitrarily.'
    )


def test_pending_pods_ignore_budgets() -> None:
    c = Cluster.from_scenario("default", seed=7)
    c.apply(web(2))
    c.apply(pdb({"minAvailable": 2}))
    c.advance(1)  # bound, still creating their containers: Pending
    pod = web_pods(c)[0]
    assert c.get("pod", pod)["status"]["phase"] == "Pending"
    evict(c, pod)
    assert c.get("pod", pod)["metadata"]["deletionTimestamp"]


@pytest.mark.parametrize(
    ("min_available", "policy", "evicted"),
    [
        (2, None, True),  # the application has its 2 healthy pods: an unready one may go
        (3, None, False),  # it has not: IfHealthyBudget protects even the unready pod
        (3, "IfHealthyBudget", False),
        (3, "AlwaysAllow", True),
    ],
)
def test_unhealthy_pod_eviction_policy(min_available: int, policy: str | None, evicted: bool) -> None:
    c = ready_cluster(3)
    spec: dict[str, Any] = {"minAvailable": min_available}
    if policy:
        spec["unhealthyPodEvictionPolicy"] = policy
    c.apply(pdb(spec))
    c.kill_node("worker-1")
    c.advance(50)  # the node controller marks its pods not Ready (Running, Ready=False)
    (pod,) = [p for p in c.list("pods", "default") if p["spec"]["nodeName"] == "worker-1"]
    name = pod["metadata"]["name"]
    assert pod["status"]["phase"] == "Running"
    assert [x["status"] for x in pod["status"]["conditions"] if x["type"] == "Ready"] == ["False"]
    assert status(c)["currentHealthy"] == 2
    if evicted:
        evict(c, name)
        assert c.get("pod", name)["metadata"]["deletionTimestamp"]
        assert "disruptedPods" not in status(c)  # the budget was not charged
    else:
        assert refusal(c, name)["details"]["causes"][0]["message"] == (
            "The disruption budget web needs 3 healthy pods and has 2 currently"
        )


# -- a drain a budget holds up ---------------------------------------------------------------------


def test_drain_blocked_by_a_budget_retries_every_5s_until_the_budget_is_fixed() -> None:
    c = ready_cluster(3)
    c.apply(pdb({"minAvailable": 3}))
    c.advance(0.01)
    on_node: dict[str, list[str]] = {}
    for p in c.list("pods", "default"):
        on_node.setdefault(p["spec"]["nodeName"], []).append(p["metadata"]["name"])
    node = next(n for n in ("worker-1", "worker-2", "worker-3") if len(on_node.get(n, [])) == 1)
    (pod,) = on_node[node]
    # the add-ons' pods on that node (CoreDNS, the storage provisioner) have no budget; its
    # kube-proxy pod is kubeadm's DaemonSet's, which `--ignore-daemonsets` leaves in place
    add_ons = [p for p in c.list("pods", "kube-system") if p["spec"].get("nodeName") == node]
    (proxy,) = [
        p["metadata"]["name"] for p in add_ons if p["metadata"]["ownerReferences"][0]["kind"] == "DaemonSet"
    ]
    others = sorted(("kube-system", p["metadata"]["name"]) for p in add_ons if p["metadata"]["name"] != proxy)
    start = c.now
    drain = c.drain(node)
    refused = f'error when evicting pods/"{pod}" -n "default" (will retry after 5s): {REFUSED}'
    assert [line for _, line in drain.log] == [
        f"$ kubectl drain {node} --ignore-daemonsets",
        f"node/{node} cordoned",
        f"Warning: ignoring DaemonSet-managed Pods: kube-system/{proxy}",
        f"evicting pod default/{pod}",
        *(f"evicting pod {ns}/{name}" for ns, name in others),
        refused,
    ]
    assert c.get("node", node, None)["spec"]["unschedulable"] is True
    c.advance(12)
    assert [round(t - start, 2) for t, line in drain.log if line == refused] == [0.0, 5.0, 10.0]
    assert drain.running and drain.waiting == "a PodDisruptionBudget"
    # The learner relaxes the budget; the next retry goes through.
    budget = c.get("pdb", "web")
    budget["spec"]["minAvailable"] = 2
    c.update(budget)
    c.advance(10)
    times = {line: round(t - start, 2) for t, line in drain.log}
    assert times[refused] == 10.0  # the last refusal
    assert drain.log[-2:] == [
        (pytest.approx(start + 16.0), f"pod/{pod} evicted"),
        (pytest.approx(start + 16.0), f"node/{node} drained"),
    ]
    assert drain.done and drain.failed is None
    assert c.get("pod", proxy, "kube-system")["spec"]["nodeName"] == node  # still there


def test_budget_table_columns() -> None:
    c = ready_cluster(4)
    c.apply(pdb({"minAvailable": 2}))
    c.apply(pdb({"maxUnavailable": "25%"}, name="web-quarter"))
    c.advance(60)
    t = to_table("poddisruptionbudgets", c.list("pdb", "default"), now=c.now, epoch=c.epoch)
    assert [col["name"] for col in t["columnDefinitions"]] == [
        "Name",
        "Min Available",
        "Max Unavailable",
        "Allowed Disruptions",
        "Age",
    ]
    assert render(t) == (
        "NAME          MIN AVAILABLE   MAX UNAVAILABLE   ALLOWED DISRUPTIONS   AGE\n"
        "web           2               N/A               2                     60s\n"
        "web-quarter   N/A             25%               1                     60s"
    )


def test_disrupted_pods_expire_after_two_minutes() -> None:
    """An evicted pod that never starts terminating stops being held out of currentHealthy
    once the two-minute DeletionTimeout passes (kube-controller-manager warns NotDeleted)."""
    c = ready_cluster(4)
    c.apply(pdb({"minAvailable": 3}))
    c.advance(0.01)
    budget = c.get("pdb", "web")
    pod = web_pods(c)[0]
    budget["status"]["disruptedPods"] = {pod: "2026-01-01T09:00:10Z"}
    c.server.update(LEARNER, budget, subresource="status")
    c.advance(0.01)
    assert status(c)["currentHealthy"] == 3 and status(c)["disruptedPods"] == {pod: "2026-01-01T09:00:10Z"}
    c.advance(130)
    s = status(c)
    assert "disruptedPods" not in s and s["currentHealthy"] == 4
    (warning,) = [e for e in c.events() if e["reason"] == "NotDeleted"]
    assert warning["message"] == "Pod was expected by PDB default/default to be deleted but it wasn't"
    assert seconds_since(c.epoch, warning["lastTimestamp"]) == 130.0
