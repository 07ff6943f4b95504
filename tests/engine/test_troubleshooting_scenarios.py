"""The troubleshooting scenarios (issue 6 point 8), each as a learner meets it: load the scenario,
watch the failure appear on the virtual clock (kubectl's STATUS column, the events' texts),
try the naive fix where there is one, apply the real fix through the facade, and see the
scenario's own check pass."""

from __future__ import annotations

import copy
import itertools
import re
from typing import Any

import pytest

from clusterlab.engine import Cluster, scenarios
from clusterlab.engine.errors import ApiError
from clusterlab.engine.node.images import ALLOC_BYTES_PER_S
from clusterlab.engine.node.runtime import CREATE_SECONDS, REGISTRY_LATENCY, START_SECONDS
from clusterlab.engine.node.usage import MIB
from clusterlab.engine.printers import deployment_ready, pod_summary
from clusterlab.engine.scenarios.checks import CHECKS, evaluate
from clusterlab.engine.selectors import parse_label_selector
from clusterlab.engine.timefmt import seconds_since

from .conftest import run_until

Obj = dict[str, Any]
TROUBLESHOOTING = ("image-pull-backoff", "oom-quota", "stuck-rollout", "statefulset-pending")
PLEG = 1.0  # the kubelet notices an exit at its next relist, a second later
CREATE_START = CREATE_SECONDS + START_SECONDS


def statuses(c: Cluster, namespace: str, selector: str, until: float) -> list[tuple[float, str, str, int]]:
    """What `kubectl get pods -w` shows, exactly: (virtual second, pod, STATUS, RESTARTS) at
    each change, read from storage after every instant the clock fires events at."""
    match = parse_label_selector(selector)
    seen: dict[str, tuple[str, int]] = {}
    rows: list[tuple[float, str, str, int]] = []
    while True:
        due = c.next_event_time()
        if due is None or due > until:
            c.advance(until - c.now)
            return rows
        c.advance(due - c.now)
        for pod in c.observe("pods", namespace):
            if not match.matches(pod["metadata"].get("labels") or {}):
                continue
            summary = pod_summary(pod)
            row = (summary.status, summary.restarts)
            if seen.get(pod["metadata"]["name"]) != row:
                seen[pod["metadata"]["name"]] = row
                rows.append((c.now, pod["metadata"]["name"], *row))


def of_pod(rows: list[tuple[float, str, str, int]], name: str) -> list[tuple[float, str, int]]:
    return [(t, status, restarts) for t, pod, status, restarts in rows if pod == name]


def messages(c: Cluster, name: str, reason: str | None = None) -> list[str]:
    """The messages of the events about `name` (with `reason`), oldest first, each once."""
    out: list[str] = []
    for e in c.events():
        about = e["involvedObject"]["name"] == name and (reason is None or e["reason"] == reason)
        if about and e["message"] not in out:
            out.append(e["message"])
    return out


def set_image(c: Cluster, deployment: str, container: str, image: str, namespace: str = "default") -> Obj:
    """`kubectl set image deployment/<d> <container>=<image>` (a strategic merge patch)."""
    body = {"spec": {"template": {"spec": {"containers": [{"name": container, "image": image}]}}}}
    return c.server.patch(c.learner, "deployments", deployment, body, namespace, patch_type="strategic")


def passes(c: Cluster) -> bool:
    return evaluate(c).passed


# -- every troubleshooting scenario -----------------------------------------------------------


@pytest.mark.parametrize("name", TROUBLESHOOTING)
def test_each_scenario_is_offered_with_a_description_and_a_check_of_known_kinds(name):
    assert name in scenarios.available()
    scenario = scenarios.load(name)
    assert scenario.title.startswith("Troubleshooting: ")
    assert scenario.description and scenario.check and scenario.check["summary"]
    for entry in scenario.check["all"]:
        assert len(entry) == 1 and next(iter(entry)) in CHECKS


def test_a_scenario_without_a_check_or_with_an_unknown_kind_is_refused():
    c = Cluster.from_scenario("default", seed=7)
    with pytest.raises(ValueError, match='scenario "default" has no check'):
        evaluate(c)
    c.scenario.check = {"summary": "?", "all": [{"nodesHappy": {}}]}
    with pytest.raises(ValueError, match="unknown check 'nodesHappy'"):
        evaluate(c)


# -- 1. ImagePullBackOff from a bad tag -------------------------------------------------------


def test_a_bad_tag_pulls_fail_then_back_off_doubling_and_setting_a_real_tag_fixes_it():
    c = Cluster.from_scenario("image-pull-backoff", seed=7)
    rows = statuses(c, "default", "app=web", 160)
    pods = sorted({pod for _, pod, _, _ in rows})
    assert len(pods) == 3
    for pod in pods:
        seen = of_pod(rows, pod)
        assert [s for _, s, _ in seen] == ["ContainerCreating"] + ["ErrImagePull", "ImagePullBackOff"] * 5
        assert {r for _, _, r in seen} == {0}
        failed = [t for t, s, _ in seen if s == "ErrImagePull"]
        backing_off = [t for t, s, _ in seen if s == "ImagePullBackOff"]
        # the pod sync after a failed pull (a second later) finds the image in backoff
        assert [round(b - f, 6) for f, b in zip(failed, backing_off, strict=True)] == [1.0] * 5
        # each retry pulls 10 s, 20 s, 40 s, 80 s after the failure before it; the registry
        # takes 0.5-1.1 s to answer that it has no such tag (runtime.py)
        for (before, after), delay in zip(itertools.pairwise(failed), (10, 20, 40, 80), strict=True):
            assert REGISTRY_LATENCY + 0.2 <= after - before - delay <= REGISTRY_LATENCY + 0.8
        assert pod_summary(c.get("pod", pod)).ready == "0/1"
        assert messages(c, pod, "Pulling") == ['Pulling image "nginx:1.277"']
        failures = messages(c, pod, "Failed")
        assert failures[0].startswith('Failed to pull image "nginx:1.277": ')
        assert failures[0].endswith("docker.io/library/nginx:1.277: not found")
        assert failures[1:] == ["Error: ErrImagePull", "Error: ImagePullBackOff"]
        assert messages(c, pod, "BackOff") == ['Back-off pulling image "nginx:1.277"']
        waiting = c.get("pod", pod)["status"]["containerStatuses"][0]["state"]["waiting"]
        assert waiting == {"reason": "ImagePullBackOff", "message": 'Back-off pulling image "nginx:1.277"'}
    web = c.get("deployment", "web")
    assert deployment_ready(web) == "0/3"
    verdict = evaluate(c)
    assert not verdict.passed
    assert verdict.failures[0] == (
        'Waiting for deployment "web" rollout to finish: 0 of 3 updated replicas are available...'
    )

    # Deleting the pods does not help: their ReplicaSet makes new ones of the same template.
    c.delete("pod", pods[0])
    rows = statuses(c, "default", "app=web", c.now + 40)
    fresh = sorted({pod for _, pod, _, _ in rows} - set(pods))
    assert len(fresh) == 1 and "ErrImagePull" in [s for _, s, _ in of_pod(rows, fresh[0])]
    assert not passes(c)

    set_image(c, "web", "nginx", "nginx:1.27")
    fixed_at = c.now
    done = run_until(c, lambda: passes(c), limit=120, step=0.5)
    assert done - fixed_at < 30
    assert deployment_ready(c.get("deployment", "web")) == "3/3"
    assert {p["spec"]["containers"][0]["image"] for p in c.list("pods", "default", selector="app=web")} == {
        "nginx:1.27"
    }


# -- 2. CrashLoopBackOff from OOM, and the quota that blocks the naive fix --------------------


def test_oom_crash_loop_the_quota_refuses_a_huge_limit_and_a_fitting_one_fixes_it():
    c = Cluster.from_scenario("oom-quota", seed=7)
    rows = statuses(c, "mem-example", "app=memory-demo", 170)
    (pod,) = sorted({pod for _, pod, _, _ in rows})
    seen = of_pod(rows, pod)
    assert [(s, r) for _, s, r in seen] == [
        ("ContainerCreating", 0),
        ("Running", 0),
        ("OOMKilled", 0),
        ("Running", 1),
        ("OOMKilled", 1),
        ("CrashLoopBackOff", 1),
        ("Running", 2),
        ("OOMKilled", 2),
        ("CrashLoopBackOff", 2),
        ("Running", 3),
        ("OOMKilled", 3),
        ("CrashLoopBackOff", 3),
        ("Running", 4),
        ("OOMKilled", 4),
        ("CrashLoopBackOff", 4),
        ("Running", 5),
        ("OOMKilled", 5),
        ("CrashLoopBackOff", 5),
    ]
    # stress touches its 150Mi at 1 GiB/s: the kernel kills it once past the 100Mi limit, and
    # the kubelet's relist notices a second later
    allocating = 150 * MIB / ALLOC_BYTES_PER_S
    starts = [t for t, s, _ in seen if s == "Running"]
    killed = [t for t, s, _ in seen if s == "OOMKilled"]
    lived = [k - s for s, k in zip(starts, killed, strict=True)]
    assert lived == pytest.approx([allocating + PLEG] * 6, abs=0.002)  # the program's steps are whole ms
    # a restart waits out the backoff from the kill (at once, then 10 s, 20 s, 40 s, 80 s);
    # `polinux/stress` is `:latest`, so each start first asks the registry (0.24-0.48 s)
    for (before, after), backoff in zip(itertools.pairwise(starts), (PLEG, 10, 20, 40, 80), strict=True):
        extra = after - before - allocating - backoff - CREATE_START
        assert REGISTRY_LATENCY * 0.8 - 0.002 <= extra <= REGISTRY_LATENCY * 1.6 + 0.002
    status = c.get("pod", pod, "mem-example")["status"]["containerStatuses"][0]
    last = status["lastState"]["terminated"]
    assert (last["reason"], last["exitCode"]) == ("OOMKilled", 137)
    uid = c.get("pod", pod, "mem-example")["metadata"]["uid"]
    assert messages(c, pod, "BackOff") == [
        f"Back-off restarting failed container memory-demo-ctr in pod {pod}_mem-example({uid})"
    ]
    assert evaluate(c).failures[1:] == [
        f'pod "{pod}" is CrashLoopBackOff, READY 0/1',
        f'pod "{pod}" has restarted 5 times',
    ]

    # The naive fix: a limit far above what the worker needs. The Deployment takes it, but its
    # new ReplicaSet's pods are refused by the namespace's quota.
    body = {"spec": {"template": {"spec": {"containers": [{"name": "memory-demo-ctr", "resources": {}}]}}}}
    body["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"memory": "1Gi"}}
    c.server.patch(c.learner, "deployments", "memory-demo", body, "mem-example", patch_type="strategic")
    c.advance(30)
    newest = max(
        c.list("replicasets", "mem-example"),
        key=lambda rs: int(rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]),
    )["metadata"]["name"]
    refused = messages(c, newest, "FailedCreate")
    assert refused
    for text in refused:
        m = re.fullmatch(
            rf'Error creating: pods "{newest}-[a-z0-9]{{5}}" is forbidden: exceeded quota: mem-quota, '
            r"requested: limits\.memory=1Gi, used: limits\.memory=100Mi, limited: limits\.memory=512Mi",
            text,
        )
        assert m, text
    assert [p["metadata"]["name"] for p in c.list("pods", "mem-example")] == [pod]  # still crash-looping
    assert evaluate(c).failures[0] == (
        'Waiting for deployment "memory-demo" rollout to finish: 0 out of 1 new replicas have been updated...'
    )

    # The fix: a limit the worker fits in that the quota has room for beside the old pod.
    body["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"memory": "200Mi"}}
    c.server.patch(c.learner, "deployments", "memory-demo", body, "mem-example", patch_type="strategic")
    run_until(c, lambda: passes(c), limit=60, step=0.5)
    c.advance(60)  # and it stays fixed: the worker holds its memory without being killed
    assert passes(c)
    (fixed,) = c.list("pods", "mem-example")
    assert (pod_summary(fixed).status, pod_summary(fixed).restarts) == ("Running", 0)
    quota = c.get("resourcequota", "mem-quota", "mem-example")
    assert quota["status"]["used"]["limits.memory"] == "200Mi"


# -- 3. An upgrade stuck on a broken version --------------------------------------------------


def _revision(c: Cluster, revision: int) -> Obj:
    return next(
        rs
        for rs in c.list("replicasets", "default")
        if rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == str(revision)
    )


def _stalls_then_exceeds_its_deadline(c: Cluster) -> tuple[str, str]:
    """Run the stuck-rollout scenario to its progress deadline, checking what a learner sees;
    returns the names of the old and the new ReplicaSet."""
    assert passes(c) is False  # the scenario is still being set up
    c.advance(9)
    assert deployment_ready(c.get("deployment", "web")) == "4/4"
    counts: list[tuple[int, int]] = []
    while c.now < 200:
        c.advance(0.5)
        live = [p for p in c.observe("pods", "default") if not p["metadata"].get("deletionTimestamp")]
        web = [p for p in live if (p["metadata"].get("labels") or {}).get("app") == "web"]
        available = (c.get("deployment", "web")["status"] or {}).get("availableReplicas", 0)
        counts.append((len(web), available))
    # maxSurge and maxUnavailable are 25 % of 4: one pod over, one pod under, at every moment
    assert max(n for n, _ in counts) == 5 and min(a for _, a in counts) == 3
    old, new = _revision(c, 1)["metadata"]["name"], _revision(c, 2)["metadata"]["name"]
    assert messages(c, "web", "ScalingReplicaSet") == [
        f"Scaled up replica set {old} from 0 to 4",
        f"Scaled up replica set {new} from 0 to 1",
        f"Scaled down replica set {old} from 4 to 3",
        f"Scaled up replica set {new} from 1 to 2",
    ]
    pods = c.list("pods", "default", selector="app=web")
    broken = [p for p in pods if p["metadata"]["name"].startswith(new)]
    assert len(broken) == 2
    for p in broken:
        assert pod_summary(p).status in ("CrashLoopBackOff", "Error") and pod_summary(p).restarts >= 4
        last = p["status"]["containerStatuses"][0]["lastState"]["terminated"]
        assert (last["reason"], last["exitCode"]) == ("Error", 1)
    d = c.get("deployment", "web")
    status = d["status"]
    assert (deployment_ready(d), status["updatedReplicas"], status["availableReplicas"]) == ("3/4", 2, 3)
    progressing = next(x for x in d["status"]["conditions"] if x["type"] == "Progressing")
    assert (progressing["status"], progressing["reason"], progressing["message"]) == (
        "False",
        "ProgressDeadlineExceeded",
        f'ReplicaSet "{new}" has timed out progressing.',
    )
    # the last progress was the second pod of 2.0 at 10 s; 120 s later the controller's
    # requeue (a second after the deadline, lastUpdateTime being whole seconds) times it out
    assert seconds_since(c.server.epoch, progressing["lastTransitionTime"]) == 10 + 120 + 1
    assert evaluate(c).failures[0] == 'deployment "web" exceeded its progress deadline'
    return old, new


def test_a_broken_upgrade_stalls_then_setting_the_working_image_fixes_it():
    c = Cluster.from_scenario("stuck-rollout", seed=7)
    _stalls_then_exceeds_its_deadline(c)
    # Deleting the crashing pods does not help: the new ReplicaSet makes them again.
    for p in c.list("pods", "default", selector="app=web"):
        if p["spec"]["containers"][0]["image"].endswith(":2.0"):
            c.delete("pod", p["metadata"]["name"])
    c.advance(20)
    assert not passes(c)
    set_image(c, "web", "web", "ghcr.io/clusterlab/demo-web:1.1")
    fixed_at = c.now
    done = run_until(c, lambda: passes(c), limit=60, step=0.5)
    assert done - fixed_at < 10  # the image is on the nodes already: one pod to start
    assert deployment_ready(c.get("deployment", "web")) == "4/4"


def test_a_broken_upgrade_is_fixed_by_rollout_undo():
    c = Cluster.from_scenario("stuck-rollout", seed=7)
    old, _ = _stalls_then_exceeds_its_deadline(c)
    # `kubectl rollout undo deployment/web`: revision 1's template (without its
    # pod-template-hash label) and its change-cause, as one JSON patch
    template = copy.deepcopy(_revision(c, 1)["spec"]["template"])
    template["metadata"]["labels"].pop("pod-template-hash")
    annotations = {"kubernetes.io/change-cause": "release 1.1"}
    patch = [
        {"op": "replace", "path": "/spec/template", "value": template},
        {"op": "replace", "path": "/metadata/annotations", "value": annotations},
    ]
    c.server.patch(c.learner, "deployments", "web", patch, "default", patch_type="json")
    run_until(c, lambda: passes(c), limit=60, step=0.5)
    assert _revision(c, 3)["metadata"]["name"] == old  # revision 1 came back as revision 3
    assert {p["spec"]["containers"][0]["image"] for p in c.list("pods", "default", selector="app=web")} == {
        "ghcr.io/clusterlab/demo-web:1.1"
    }


# -- 4. A StatefulSet whose claims stay Pending -----------------------------------------------


def test_a_statefulset_waits_for_its_claim_and_runs_once_volumes_exist():
    c = Cluster.from_scenario("statefulset-pending", seed=7)
    rows = statuses(c, "default", "app=nginx", 300)
    assert rows == [(0.0, "web-0", "Pending", 0)]  # OrderedReady: no web-1 while web-0 is not Ready
    assert messages(c, "web-0", "FailedScheduling") == [
        "0/4 nodes are available: pod has unbound immediate PersistentVolumeClaims. "
        "preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.."
    ]
    assert messages(c, "web", "SuccessfulCreate") == [
        "create Claim www-web-0 Pod web-0 in StatefulSet web success",
        "create Pod web-0 in StatefulSet web successful",
    ]
    # a kubeadm cluster has no StorageClass and no volume: the PV controller says so every 15 s
    (binding,) = [e for e in c.events() if e["involvedObject"]["name"] == "www-web-0"]
    assert (binding["type"], binding["reason"], binding["message"], binding["count"]) == (
        "Normal",
        "FailedBinding",
        "no persistent volumes available for this claim and no storage class is set",
        21,  # at 0, 15, … 300 s
    )
    assert c.get("statefulset", "web")["status"].get("readyReplicas", 0) == 0
    assert evaluate(c).failures == [
        "Waiting for 2 pods to be ready...",
        "1 pods match app=nginx in namespace default, not 2",
        'pod "web-0" is Pending, READY 0/1',
        'persistentvolumeclaim "www-web-0" is Pending',
        'persistentvolumeclaims "www-web-1" not found',
    ]

    # The naive fix: drop the claim template in place. A StatefulSet's spec refuses it.
    sts = c.get("statefulset", "web")
    edited = copy.deepcopy(sts)
    del edited["spec"]["volumeClaimTemplates"]
    edited["spec"]["template"]["spec"]["volumes"] = [{"name": "www", "emptyDir": {}}]
    with pytest.raises(ApiError) as refused:
        c.update(edited)
    assert refused.value.message == (
        'StatefulSet.apps "web" is invalid: spec: Forbidden: updates to statefulset spec for fields '
        "other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', "
        "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
    )

    # The fix that keeps the claims: two volumes they can bind to (1Gi, ReadWriteOnce, no class).
    for i in range(2):
        c.apply(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolume",
                "metadata": {"name": f"www-{i}"},
                "spec": {
                    "capacity": {"storage": "1Gi"},
                    "accessModes": ["ReadWriteOnce"],
                    "hostPath": {"path": f"/srv/www-{i}"},
                },
            }
        )
    start = c.now
    rows = statuses(c, "default", "app=nginx", start + 30)
    # the PV controller's next resync (15 s after the last, at 315 s) binds www-web-0; web-0 is
    # scheduled at once; web-1's claim, made with it, binds to the other volume as it is created
    # (seed 7: web-0's pull takes 3.398 s; web-1, unschedulable at 319.198 s until its claim binds,
    # leaves the 1 s back-off at the queue's next flush, at 321 s; its pull takes 2.795 s)
    assert [(round(t - start, 1), pod, s) for t, pod, s, _ in rows] == [
        (0.0, "web-0", "Pending"),
        (15.0, "web-0", "ContainerCreating"),
        (19.2, "web-0", "Running"),
        (19.2, "web-1", "Pending"),
        (21.0, "web-1", "ContainerCreating"),
        (24.6, "web-1", "Running"),
    ]
    assert [c.get("pvc", f"www-web-{i}")["spec"]["volumeName"] for i in range(2)] == ["www-0", "www-1"]
    assert passes(c)
