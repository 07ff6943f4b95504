"""ReplicaSet and Deployment controllers, garbage collection: create, scale, delete."""

import re

import pytest

from clusterlab.engine import Forbidden, NotFound
from clusterlab.engine.printers import pod_status

from .conftest import events_for, pods_of, web

SUFFIX = "[bcdfghjklmnpqrstvwxz2456789]"


def test_deployment_owns_a_replicaset_that_owns_named_pods(cluster):
    cluster.apply(web(replicas=3))
    cluster.advance(1)
    (rs,) = cluster.list("replicasets", "default")
    d = cluster.get("deployment", "web")
    assert re.fullmatch(rf"web-{SUFFIX}{{1,10}}", rs["metadata"]["name"])
    h = rs["metadata"]["labels"]["pod-template-hash"]
    assert rs["metadata"]["name"] == f"web-{h}"
    assert rs["spec"]["selector"]["matchLabels"] == {"app": "web", "pod-template-hash": h}
    owner = rs["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["uid"], owner["controller"]) == (
        "Deployment",
        "web",
        d["metadata"]["uid"],
        True,
    )
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    pods = pods_of(cluster)
    assert len(pods) == 3
    for p in pods:
        assert re.fullmatch(rf"web-{h}-{SUFFIX}{{5}}", p["metadata"]["name"])
        assert p["metadata"]["ownerReferences"][0]["uid"] == rs["metadata"]["uid"]
    msgs = [e["message"] for e in events_for(cluster, "web")]
    assert f"Scaled up replica set {rs['metadata']['name']} from 0 to 3" in msgs
    created = sorted(e["message"] for e in events_for(cluster, rs["metadata"]["name"]))
    assert created == sorted(f"Created pod: {p['metadata']['name']}" for p in pods)


def test_deployment_status_follows_its_pods(cluster):
    cluster.apply(web(replicas=3))
    cluster.advance(0.1)
    st = cluster.get("deployment", "web")["status"]
    assert st.get("availableReplicas", 0) == 0 and st["unavailableReplicas"] == 3
    cluster.advance(20)
    st = cluster.get("deployment", "web")["status"]
    assert (st["replicas"], st["updatedReplicas"], st["readyReplicas"], st["availableReplicas"]) == (
        3,
        3,
        3,
        3,
    )
    conds = {c["type"]: (c["status"], c["reason"]) for c in st["conditions"]}
    assert conds == {
        "Available": ("True", "MinimumReplicasAvailable"),
        "Progressing": ("True", "NewReplicaSetAvailable"),
    }


def test_scale_up_and_down_deletes_pending_pods_first(cluster):
    cluster.apply(web(replicas=2))
    cluster.advance(20)
    running = {p["metadata"]["name"] for p in pods_of(cluster)}
    cluster.scale("deployment", "web", 30)
    cluster.advance(0.5)
    assert len(pods_of(cluster)) == 30
    unscheduled = {p["metadata"]["name"] for p in pods_of(cluster) if not p["spec"].get("nodeName")}
    # 8 x 250m per worker, 7 beside the 100m of metrics-server or of a CoreDNS replica
    assert len(unscheduled) == 30 - 21
    cluster.scale("deployment", "web", 21)
    cluster.advance(0.5)
    names = {p["metadata"]["name"] for p in pods_of(cluster)}
    assert not (unscheduled & names), "unscheduled pods are the first to go"
    assert running <= names, "long-running pods are the last to go"
    rs = cluster.list("replicasets", "default")[0]["metadata"]["name"]
    deletes = [e for e in events_for(cluster, rs) if e["reason"] == "SuccessfulDelete"]
    assert sorted(e["message"] for e in deletes) == sorted(f"Deleted pod: {n}" for n in unscheduled)
    msgs = [e["message"] for e in events_for(cluster, "web")]
    assert f"Scaled up replica set {rs} from 2 to 30" in msgs
    assert f"Scaled down replica set {rs} from 30 to 21" in msgs


def test_deleted_pod_is_replaced(cluster):
    cluster.apply(web(replicas=3))
    cluster.advance(20)
    victim = pods_of(cluster)[0]["metadata"]["name"]
    cluster.delete("pod", victim)
    cluster.advance(0.01)
    assert pod_status(cluster.get("pod", victim)) == "Terminating"
    assert len([p for p in pods_of(cluster) if not p["metadata"].get("deletionTimestamp")]) == 3
    cluster.advance(5)
    names = [p["metadata"]["name"] for p in pods_of(cluster)]
    assert victim not in names and len(names) == 3
    assert [e["message"] for e in events_for(cluster, victim) if e["reason"] == "Killing"] == [
        "Stopping container nginx"
    ]


def test_deleting_a_deployment_cascades_in_the_background(cluster):
    cluster.apply(web(replicas=3))
    cluster.advance(20)
    cluster.delete("deployment", "web")
    cluster.advance(0.01)
    assert cluster.list("replicasets", "default") == []
    assert all(pod_status(p) == "Terminating" for p in pods_of(cluster))
    cluster.advance(5)
    assert pods_of(cluster) == []
    gc = [
        c
        for c in cluster.api_calls()
        if c.component.endswith("generic-garbage-collector") and c.verb == "delete"
    ]
    assert {c.resource for c in gc} == {"replicasets", "pods"}


def test_apply_updates_in_place_and_unchanged_is_a_no_op(cluster):
    cluster.apply(web(replicas=2))
    cluster.advance(1)
    rv = cluster.get("deployment", "web")["metadata"]["resourceVersion"]
    cluster.apply(web(replicas=2))
    assert cluster.get("deployment", "web")["metadata"]["resourceVersion"] == rv
    cluster.apply(web(replicas=4))
    cluster.advance(1)
    assert cluster.get("deployment", "web")["spec"]["replicas"] == 4
    assert len(pods_of(cluster)) == 4


def test_new_template_rolls_out_through_a_new_replicaset(cluster):
    cluster.apply(web(replicas=4))
    cluster.advance(30)
    cluster.apply(web(replicas=4, image="nginx:1.28"))
    cluster.advance(60)
    rss = {
        r["metadata"]["annotations"]["deployment.kubernetes.io/revision"]: r
        for r in cluster.list("replicasets", "default")
    }
    assert rss["1"]["spec"]["replicas"] == 0 and rss["2"]["spec"]["replicas"] == 4
    pods = pods_of(cluster)
    assert len(pods) == 4 and all(p["spec"]["containers"][0]["image"] == "nginx:1.28" for p in pods)
    # 4 replicas, 25 %/25 %: surge 1 (rounded up), unavailable 1 (rounded down)
    msgs = [e["message"] for e in events_for(cluster, "web") if e["reason"] == "ScalingReplicaSet"]
    new, old = rss["2"]["metadata"]["name"], rss["1"]["metadata"]["name"]
    assert msgs[1:3] == [
        f"Scaled up replica set {new} from 0 to 1",
        f"Scaled down replica set {old} from 4 to 3",
    ]


def test_deleting_a_namespace_empties_it_first(cluster):
    cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
    cluster.apply(web(replicas=2), namespace="team")
    cluster.advance(20)
    cluster.delete("namespace", "team", None)
    ns = cluster.get("namespace", "team", None)
    assert ns["status"]["phase"] == "Terminating"
    with pytest.raises(Forbidden, match="because it is being terminated"):
        cluster.apply(web(name="late"), namespace="team")
    cluster.advance(0.01)
    assert cluster.list("deployments", "team") == []
    cluster.advance(10)  # pods take a moment to stop
    assert cluster.list("pods", "team") == []
    with pytest.raises(NotFound):
        cluster.get("namespace", "team", None)


def test_going_back_to_an_old_template_reuses_its_replicaset_as_the_newest_revision(cluster):
    cluster.apply(web(replicas=2))
    cluster.advance(20)
    cluster.apply(web(replicas=2, image="nginx:1.28"))
    cluster.advance(30)
    assert (
        cluster.get("deployment", "web")["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
        == "2"
    )
    first = min(cluster.list("replicasets", "default"), key=lambda r: r["metadata"]["creationTimestamp"])
    cluster.apply(web(replicas=2))
    cluster.advance(30)
    again = cluster.get("replicaset", first["metadata"]["name"])
    assert again["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    assert again["spec"]["replicas"] == 2 and len(cluster.list("replicasets", "default")) == 2
    assert (
        cluster.get("deployment", "web")["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
        == "3"
    )
