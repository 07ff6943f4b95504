"""Deployment rollouts on the virtual clock: RollingUpdate's invariants, a stalled rollout and its
progress deadline, proportional scaling, Recreate, pause/resume, undo, revision history."""

from __future__ import annotations

from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.timefmt import seconds_since

from .conftest import events_for, pods_of, run_until, web

Obj = dict[str, Any]
BROKEN = "nginx:1.99"  # a tag the registry does not have: ErrImagePull, then ImagePullBackOff


def deployment(replicas: int = 10, image: str = "nginx:1.27", **spec: Any) -> Obj:
    d = web(replicas=replicas, cpu="100m", image=image)
    d["spec"].update(spec)
    return d


def patch(c: Cluster, body: Obj) -> Obj:
    return c.server.patch(c.learner, "deployments", "web", body, "default")


def set_image(c: Cluster, image: str) -> Obj:
    """`kubectl set image deployment/web nginx=<image>` (a strategic merge patch)."""
    body = {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": image}]}}}}
    return c.server.patch(c.learner, "deployments", "web", body, "default", patch_type="strategic")


def replica_sets(c: Cluster) -> dict[int, Obj]:
    """The Deployment's ReplicaSets by revision."""
    return {
        int(rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]): rs
        for rs in c.list("replicasets", "default")
    }


def live(pods: list[Obj]) -> list[Obj]:
    return [p for p in pods if not p["metadata"].get("deletionTimestamp")]


def ready(pods: list[Obj]) -> list[Obj]:
    return [
        p
        for p in live(pods)
        if any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions") or ())
    ]


def progressing(c: Cluster) -> Obj:
    conds = c.get("deployment", "web")["status"].get("conditions") or []
    return next(x for x in conds if x["type"] == "Progressing")


def complete(c: Cluster) -> bool:
    return progressing(c)["reason"] == "NewReplicaSetAvailable" and len(c.list("replicasets", "default")) >= 1


def _until_timed_out(c: Cluster) -> None:
    """Run until Progressing is ProgressDeadlineExceeded; check it came exactly when
    `requeueStuckDeployment` looks again: one second after the last progress (lastUpdateTime,
    whole seconds) + 600 s."""
    seen: list[str] = []

    def timed_out() -> bool:
        cond = progressing(c)
        if cond["reason"] == "ReplicaSetUpdated":
            seen.append(cond["lastUpdateTime"])
        return cond["reason"] == "ProgressDeadlineExceeded"

    at = run_until(c, timed_out, limit=800, step=5)
    last_progress = seconds_since(c.server.epoch, seen[-1])
    failed = seconds_since(c.server.epoch, progressing(c)["lastTransitionTime"])
    assert failed == last_progress + 601 and failed <= at < failed + 6


def settled(c: Cluster, replicas: int = 10, **spec: Any) -> Cluster:
    c.apply(deployment(replicas, **spec))
    run_until(c, lambda: len(ready(pods_of(c))) == replicas and complete(c), limit=120, step=1)
    return c


def test_rolling_update_keeps_surge_and_availability_at_every_step(cluster: Cluster) -> None:
    """10 replicas at 25 %/25 %: never more than 13 pods, never fewer than 8 available."""
    settled(cluster)
    set_image(cluster, "nginx:1.28")
    most, fewest, seen = 0, 10, 0.0
    start = cluster.now
    first: list[str] = []
    while cluster.now - start < 180:
        cluster.advance(0.5)  # twice every virtual second
        first = first or [d.text for d in cluster.decisions("deployment", "web")]
        pods = pods_of(cluster)
        most = max(most, len(live(pods)))
        fewest = min(fewest, len(ready(pods)))
        status = cluster.get("deployment", "web")["status"]
        assert len(live(pods)) <= 13, f"{len(live(pods))} pods at {cluster.now}"
        assert len(ready(pods)) >= 8, f"{len(ready(pods))} ready at {cluster.now}"
        assert status.get("availableReplicas", 0) >= 8
        if seen == 0.0 and complete(cluster) and len(live(pods)) == 10:
            seen = cluster.now
            break
    assert seen, "the rollout completed"
    assert (most, fewest) == (13, 8), "it used the whole surge and the whole unavailability budget"
    rss = replica_sets(cluster)
    assert (rss[1]["spec"]["replicas"], rss[2]["spec"]["replicas"]) == (0, 10)
    assert all(p["spec"]["containers"][0]["image"] == "nginx:1.28" for p in live(pods_of(cluster)))
    msgs = [e["message"] for e in events_for(cluster, "web") if e["reason"] == "ScalingReplicaSet"]
    new, old = rss[2]["metadata"]["name"], rss[1]["metadata"]["name"]
    assert msgs[1:3] == [
        f"Scaled up replica set {new} from 0 to 3",
        f"Scaled down replica set {old} from 10 to 8",
    ]
    assert msgs[-1].startswith(f"Scaled down replica set {old} from ") and msgs[-1].endswith(" to 0")
    i = next(i for i, t in enumerate(first) if "(revision 2)" in t)
    assert first[i : i + 3] == [
        f"Deployment web: the template changed → new ReplicaSet {new} (revision 2) with 3: "
        "maxSurge 3 (25 % of 10, rounded up) → at most 13 pods; 10 exist (10 old + 0 new)",
        "Deployment web: maxUnavailable 2 (25 % of 10, rounded down) → at least 8 available; "
        f"10 available → scale down {old} 10→8",
        "Deployment web: maxSurge 3 (25 % of 10, rounded up) → at most 13 pods; 11 exist (8 old + 3 new) "
        f"→ scale up {new} 3→5",
    ], first


def test_a_broken_image_stalls_with_max_unavailable_old_pods_gone_until_the_deadline(
    cluster: Cluster,
) -> None:
    settled(cluster)
    set_image(cluster, BROKEN)
    cluster.advance(60)
    rss = replica_sets(cluster)
    old, new = rss[1], rss[2]
    assert (old["spec"]["replicas"], new["spec"]["replicas"]) == (8, 5)
    pods = pods_of(cluster)
    assert len(live(pods)) == 13 and len(ready(pods)) == 8
    waiting = {
        p["status"]["containerStatuses"][0]["state"].get("waiting", {}).get("reason")
        for p in live(pods)
        if p["spec"]["containers"][0]["image"] == BROKEN
    }
    assert waiting <= {"ErrImagePull", "ImagePullBackOff"} and waiting
    before = progressing(cluster)
    assert (before["status"], before["reason"]) == ("True", "ReplicaSetUpdated")
    _until_timed_out(cluster)
    cond = progressing(cluster)
    assert cond["status"] == "False"
    assert cond["message"] == f'ReplicaSet "{new["metadata"]["name"]}" has timed out progressing.'
    status = cluster.get("deployment", "web")["status"]
    available = next(x for x in status["conditions"] if x["type"] == "Available")
    assert (available["status"], status["availableReplicas"], status["updatedReplicas"]) == ("True", 8, 5)
    assert [x["type"] for x in status["conditions"]] == ["Available", "Progressing"]
    rss = replica_sets(cluster)
    assert (rss[1]["spec"]["replicas"], rss[2]["spec"]["replicas"]) == (8, 5), "still exactly 2 old pods gone"
    assert any("ProgressDeadlineExceeded" in d.text for d in cluster.decisions("deployment", "web"))


def test_scaling_mid_rollout_is_proportional_as_in_the_kubernetes_docs(cluster: Cluster) -> None:
    """The docs' example: 10 replicas, maxSurge 3, maxUnavailable 2, an unresolvable image, then
    scaled to 15: the 5 extra replicas go 3 to the old ReplicaSet and 2 to the new one."""
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 3, "maxUnavailable": 2}}
    settled(cluster, strategy=strategy)
    set_image(cluster, BROKEN)
    cluster.advance(30)
    rss = replica_sets(cluster)
    assert (rss[1]["spec"]["replicas"], rss[2]["spec"]["replicas"]) == (8, 5)
    cluster.scale("deployment", "web", 15)
    cluster.advance(30)
    rss = replica_sets(cluster)
    assert (rss[1]["spec"]["replicas"], rss[2]["spec"]["replicas"]) == (11, 7)
    for rs in rss.values():
        ann = rs["metadata"]["annotations"]
        assert (
            ann["deployment.kubernetes.io/desired-replicas"],
            ann["deployment.kubernetes.io/max-replicas"],
        ) == (
            "15",
            "18",
        )
    d = cluster.get("deployment", "web")
    assert (d["status"]["replicas"], d["status"]["updatedReplicas"], d["status"]["availableReplicas"]) == (
        18,
        7,
        11,
    )
    msgs = [e["message"] for e in events_for(cluster, "web")]
    old, new = rss[1]["metadata"]["name"], rss[2]["metadata"]["name"]
    assert f"Scaled up replica set {old} from 8 to 11" in msgs
    assert f"Scaled up replica set {new} from 5 to 7" in msgs
    texts = [x.text for x in cluster.decisions("deployment", "web")]
    assert (
        "Deployment web: scaled to 15 mid-rollout: max pods 18 (15 + maxSurge 3), "
        "13 in the active ReplicaSets "
        f"→ +5 shared in proportion: {old} 8×18/13 → 11 (+3); {new} 5×18/13 → 7 (+2)" in texts
    )


def test_recreate_removes_every_old_pod_before_creating_new_ones(cluster: Cluster) -> None:
    settled(cluster, replicas=4, strategy={"type": "Recreate"})
    set_image(cluster, "nginx:1.28")
    overlap = False
    for _ in range(120):
        cluster.advance(0.5)
        images = {p["spec"]["containers"][0]["image"] for p in pods_of(cluster)}
        overlap = overlap or images == {"nginx:1.27", "nginx:1.28"}
    assert not overlap, "old pods (terminating ones too) and new pods never coexist"
    pods = pods_of(cluster)
    assert len(ready(pods)) == 4 and {p["spec"]["containers"][0]["image"] for p in pods} == {"nginx:1.28"}
    rss = replica_sets(cluster)
    msgs = [e["message"] for e in events_for(cluster, "web") if e["reason"] == "ScalingReplicaSet"]
    assert msgs[1:] == [
        f"Scaled down replica set {rss[1]['metadata']['name']} from 4 to 0",
        f"Scaled up replica set {rss[2]['metadata']['name']} from 0 to 4",
    ]
    assert progressing(cluster)["reason"] == "NewReplicaSetAvailable"


def test_a_paused_deployment_scales_but_does_not_roll_until_resumed(cluster: Cluster) -> None:
    settled(cluster, replicas=4)
    patch(cluster, {"spec": {"paused": True}})
    cluster.advance(1)
    cond = progressing(cluster)
    assert (cond["status"], cond["reason"], cond["message"]) == (
        "Unknown",
        "DeploymentPaused",
        "Deployment is paused",
    )
    set_image(cluster, "nginx:1.28")
    patch(cluster, {"metadata": {"annotations": {"kubernetes.io/change-cause": "nginx 1.28"}}})
    cluster.scale("deployment", "web", 6)
    cluster.advance(30)
    assert list(replica_sets(cluster)) == [1], "no new ReplicaSet while paused"
    assert len(ready(pods_of(cluster))) == 6, "scaling still works"
    assert {p["spec"]["containers"][0]["image"] for p in pods_of(cluster)} == {"nginx:1.27"}
    # Paused for longer than a short progress deadline: resuming must not time out at once.
    patch(cluster, {"spec": {"progressDeadlineSeconds": 20, "paused": None}})
    cluster.advance(0.5)
    assert progressing(cluster)["reason"] in (
        "DeploymentResumed",
        "NewReplicaSetCreated",
        "ReplicaSetUpdated",
    )
    run_until(cluster, lambda: complete(cluster), limit=120, step=1)
    rss = replica_sets(cluster)
    assert sorted(rss) == [1, 2] and rss[2]["spec"]["replicas"] == 6
    assert rss[2]["metadata"]["annotations"]["kubernetes.io/change-cause"] == "nginx 1.28"
    texts = [x.text for x in cluster.decisions("deployment", "web")]
    assert any("paused → no rollout while paused" in t for t in texts)
    assert any("resumed → the rollout continues" in t for t in texts)


def test_undo_makes_the_old_replicaset_the_newest_revision(cluster: Cluster) -> None:
    settled(cluster, replicas=3)
    set_image(cluster, "nginx:1.28")
    cluster.advance(1)
    run_until(cluster, lambda: complete(cluster))
    first = replica_sets(cluster)[1]["metadata"]["name"]
    # `kubectl rollout undo` puts revision 1's template back (JSON patch of /spec/template).
    set_image(cluster, "nginx:1.27")
    cluster.advance(1)
    run_until(cluster, lambda: complete(cluster) and len(ready(pods_of(cluster))) == 3)
    rss = replica_sets(cluster)
    assert sorted(rss) == [2, 3] and rss[3]["metadata"]["name"] == first
    assert rss[3]["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"] == "1"
    assert rss[3]["spec"]["replicas"] == 3 and rss[2]["spec"]["replicas"] == 0
    d = cluster.get("deployment", "web")
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    texts = [x.text for x in cluster.decisions("deployment", "web")]
    assert (
        f"Deployment web: the template matches ReplicaSet {first} (revision 1) → it becomes revision 3"
        in texts
    )


def test_revision_history_limit_deletes_the_oldest_empty_replicasets(cluster: Cluster) -> None:
    settled(cluster, replicas=2, revisionHistoryLimit=2)
    for n, image in enumerate(("nginx:1.28", "nginx:1.26", "nginx:1.25"), start=2):
        set_image(cluster, image)
        run_until(cluster, lambda n=n: n in replica_sets(cluster) and complete(cluster), limit=120, step=0.5)
        cluster.advance(5)
    rss = replica_sets(cluster)
    assert sorted(rss) == [2, 3, 4], "revision 1 deleted: 2 old ReplicaSets kept beside the new one"
    texts = [x.text for x in cluster.decisions("deployment", "web")]
    assert any(
        t.startswith("Deployment web: revisionHistoryLimit 2, 3 old ReplicaSets → delete web-") for t in texts
    )


def test_rollout_restart_rolls_out_a_new_replicaset(cluster: Cluster) -> None:
    settled(cluster, replicas=2)
    patch(
        cluster,
        {
            "spec": {
                "template": {
                    "metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "2026-01-01T00:01:00Z"}}
                }
            }
        },
    )
    run_until(cluster, lambda: 2 in replica_sets(cluster) and complete(cluster), limit=120, step=0.5)
    rss = replica_sets(cluster)
    assert rss[2]["spec"]["replicas"] == 2 and rss[1]["spec"]["replicas"] == 0
    pods = live(pods_of(cluster))
    assert all(
        p["metadata"]["labels"]["pod-template-hash"] == rss[2]["metadata"]["labels"]["pod-template-hash"]
        for p in pods
    )


def test_replicaset_decisions_say_how_many_are_created_and_which_are_deleted_first(cluster: Cluster) -> None:
    settled(cluster, replicas=3)
    (rs,) = cluster.list("replicasets", "default")
    name = rs["metadata"]["name"]
    texts = [x.text for x in cluster.decisions("replicaset", name)]
    assert texts[0] == f"ReplicaSet {name}: 3 desired, 0 exist → create 3 in slow-start batches of 1, 2, 4, …"
    cluster.scale("deployment", "web", 2)
    cluster.advance(1)
    last = cluster.decisions("replicaset", name)[-1].text
    assert last.startswith(
        f"ReplicaSet {name}: 2 desired, 3 exist → delete 1, first in Kubernetes' deletion order: "
    )
    assert "(Running, ready " in last


@pytest.mark.parametrize("strategy", [{"type": "RollingUpdate"}, {"type": "Recreate"}])
def test_scaling_a_settled_deployment_resizes_its_only_replicaset(cluster: Cluster, strategy: Obj) -> None:
    settled(cluster, replicas=2, strategy=strategy)
    cluster.scale("deployment", "web", 5)
    cluster.advance(20)
    (rs,) = cluster.list("replicasets", "default")
    assert rs["spec"]["replicas"] == 5 and len(ready(pods_of(cluster))) == 5
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] == "5"


def test_min_ready_seconds_delays_availability_and_so_the_old_pods_removal(cluster: Cluster) -> None:
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    settled(cluster, replicas=1, strategy=strategy, minReadySeconds=10)
    set_image(cluster, "nginx:1.28")
    new_ready = run_until(
        cluster,
        lambda: any(p["spec"]["containers"][0]["image"] == "nginx:1.28" for p in ready(pods_of(cluster))),
    )
    (new,) = [p for p in ready(pods_of(cluster)) if p["spec"]["containers"][0]["image"] == "nginx:1.28"]
    since = next(c for c in new["status"]["conditions"] if c["type"] == "Ready")["lastTransitionTime"]
    ready_at = seconds_since(cluster.server.epoch, since)
    assert cluster.get("deployment", "web")["status"]["availableReplicas"] == 1, "the old pod still counts"
    gone = run_until(cluster, lambda: len(live(pods_of(cluster))) == 1, step=0.1)
    # IsPodAvailable: Ready for more than minReadySeconds; the ReplicaSet looks again 11 s later.
    assert ready_at + 10 < gone <= new_ready + 11.2
    rs = replica_sets(cluster)[2]
    assert rs["spec"]["minReadySeconds"] == 10 and rs["status"]["availableReplicas"] == 1


def test_a_crash_looping_release_stalls_the_rollout_until_the_deadline(cluster: Cluster) -> None:
    """The demo app's broken 2.0 starts, exits 1 and goes into CrashLoopBackOff: never available,
    so the rollout stops with 2 old pods gone and fails 600 s after its last progress."""
    settled(cluster, image="ghcr.io/clusterlab/demo-web:1.1")
    set_image(cluster, "ghcr.io/clusterlab/demo-web:2.0")
    _until_timed_out(cluster)
    rss = replica_sets(cluster)
    assert (rss[1]["spec"]["replicas"], rss[2]["spec"]["replicas"]) == (8, 5)
    assert rss[2]["status"].get("availableReplicas", 0) == 0
    crashing = [p for p in live(pods_of(cluster)) if p["spec"]["containers"][0]["image"].endswith(":2.0")]
    assert len(crashing) == 5
    assert all(p["status"]["containerStatuses"][0]["restartCount"] >= 3 for p in crashing)
