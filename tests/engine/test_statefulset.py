"""The StatefulSet controller on the virtual clock: ordered creation, scale down, a dead node's
pod, rolling updates with a partition, and what the API server accepts.

Timelines are asserted exactly against the moments the pods themselves change (a pod's
readiness is the kubelet's business; when the controller acts on it is this controller's):
the controller's writes are read from the audit log, the pods' transitions from a watch.

Most manifests here leave out the docs' `volumeClaimTemplates`: the simulation has no
PersistentVolumeClaims yet, so a pod with a claim volume stays Pending (its claim "not
found"); `test_docs_example_waits_for_its_claims` shows exactly that.
"""

from __future__ import annotations

from typing import Any

import pytest

from clusterlab.engine import Cluster, Invalid

from .conftest import events_for, run_until

Obj = dict[str, Any]
CONTROLLER = "system:serviceaccount:kube-system:statefulset-controller"
EPS = 0.001  # a sync runs a fraction of a millisecond after the event that woke it


def statefulset(replicas: int = 3, image: str = "nginx:1.27", **spec: Any) -> Obj:
    """The docs' `web` StatefulSet (basic-stateful-set tutorial) without its claim templates."""
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "web"},
        "spec": {
            "serviceName": "nginx",
            "replicas": replicas,
            "minReadySeconds": 0,
            "selector": {"matchLabels": {"app": "nginx"}},
            "template": {
                "metadata": {"labels": {"app": "nginx"}},
                "spec": {
                    "terminationGracePeriodSeconds": 10,
                    "containers": [
                        {"name": "nginx", "image": image, "ports": [{"containerPort": 80, "name": "web"}]}
                    ],
                },
            },
            **spec,
        },
    }


HEADLESS = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "nginx", "labels": {"app": "nginx"}},
    "spec": {"ports": [{"port": 80, "name": "web"}], "clusterIP": "None", "selector": {"app": "nginx"}},
}


class PodLog:
    """When each pod became Running and Ready, and when it was gone, seen through a watch."""

    def __init__(self, c: Cluster) -> None:
        self.c = c
        self.ready: dict[str, list[float]] = {}
        self.gone: dict[str, list[float]] = {}
        self._was_ready: dict[str, bool] = {}
        c.server.watch(c.learner, "pods", self._on, "default")

    def _on(self, etype: str, pod: Obj) -> None:
        name = pod["metadata"]["name"]
        if etype == "DELETED":
            self.gone.setdefault(name, []).append(self.c.now)
            self._was_ready[name] = False
            return
        ready = pod["status"].get("phase") == "Running" and any(
            x["type"] == "Ready" and x["status"] == "True" for x in pod["status"].get("conditions") or ()
        )
        if ready and not self._was_ready.get(name):
            self.ready.setdefault(name, []).append(self.c.now)
        self._was_ready[name] = ready


def writes(c: Cluster, verb: str, resource: str = "pods") -> list[tuple[float, str]]:
    """The controller's successful `verb`s on `resource`: (virtual time, name), in order."""
    return [
        (a.time, a.name)
        for a in c.api_calls()
        if a.actor == CONTROLLER and a.verb == verb and a.resource == resource and a.code < 300
    ]


def pod(c: Cluster, name: str) -> Obj:
    return c.get("pod", name)


def revision(p: Obj) -> str:
    return p["metadata"]["labels"]["controller-revision-hash"]


def sts_events(c: Cluster) -> list[tuple[str, str]]:
    return [
        (e["reason"], e["message"])
        for e in events_for(c, "web")
        if e["involvedObject"]["kind"] == "StatefulSet"
    ]


@pytest.fixture
def c(cluster: Cluster) -> Cluster:
    cluster.apply(HEADLESS)
    return cluster


def test_ordered_ready_creates_each_pod_once_the_previous_is_ready(c: Cluster) -> None:
    log = PodLog(c)
    c.apply(statefulset(3))
    run_until(c, lambda: len(log.ready) == 3, limit=120)
    created = writes(c, "create")
    assert [n for _, n in created] == ["web-0", "web-1", "web-2"]
    assert created[0][0] == 0.0
    # web-1 is created at the instant web-0 is Running and Ready, web-2 when web-1 is.
    assert created[1][0] == pytest.approx(log.ready["web-0"][0], abs=EPS)
    assert created[2][0] == pytest.approx(log.ready["web-1"][0], abs=EPS)
    assert log.ready["web-0"][0] > 1.0  # and not before: the pod takes its time to start
    assert sts_events(c) == [
        ("SuccessfulCreate", f"create Pod web-{i} in StatefulSet web successful") for i in range(3)
    ]
    (rev,) = c.list("controllerrevisions", "default")
    name = rev["metadata"]["name"]
    h = rev["metadata"]["labels"]["controller.kubernetes.io/hash"]
    assert name == f"web-{h}" and rev["revision"] == 1
    assert rev["metadata"]["ownerReferences"][0]["kind"] == "StatefulSet"
    assert rev["data"]["spec"]["template"]["$patch"] == "replace"
    sts = c.get("statefulset", "web")
    assert sts["status"] == {
        "observedGeneration": 1,
        "replicas": 3,
        "readyReplicas": 3,
        "currentReplicas": 3,
        "updatedReplicas": 3,
        "currentRevision": name,
        "updateRevision": name,
        "collisionCount": 0,
        "availableReplicas": 3,
    }
    p1 = pod(c, "web-1")
    assert p1["metadata"]["labels"] == {
        "app": "nginx",
        "statefulset.kubernetes.io/pod-name": "web-1",
        "apps.kubernetes.io/pod-index": "1",
        "controller-revision-hash": name,
    }
    assert (p1["spec"]["hostname"], p1["spec"]["subdomain"]) == ("web-1", "nginx")
    owner = p1["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["uid"]) == ("StatefulSet", "web", sts["metadata"]["uid"])
    texts = [d.text for d in c.decisions("statefulset", "web")]
    assert texts[0] == (
        "StatefulSet web: 3 desired, 0 exist → create web-0 (OrderedReady: it is the first ordinal; "
        "one at a time)"
    )
    assert (
        "StatefulSet web: OrderedReady, web-0 is not Running and Ready → wait before creating web-1" in texts
    )


def test_scale_down_deletes_the_highest_ordinal_first_one_at_a_time(c: Cluster) -> None:
    log = PodLog(c)
    c.apply(statefulset(4))
    run_until(c, lambda: len(log.ready) == 4, limit=120)
    t = c.now
    c.scale("statefulset", "web", 1)
    run_until(c, lambda: {p["metadata"]["name"] for p in c.list("pods", "default")} == {"web-0"}, limit=120)
    deleted = writes(c, "delete")
    assert [n for _, n in deleted] == ["web-3", "web-2", "web-1"]
    assert deleted[0][0] == pytest.approx(t, abs=EPS)
    # Each delete waits until the pod before it is really gone (not merely terminating).
    assert deleted[1][0] == pytest.approx(log.gone["web-3"][0], abs=EPS)
    assert deleted[2][0] == pytest.approx(log.gone["web-2"][0], abs=EPS)
    assert log.gone["web-3"][0] > deleted[0][0]
    assert [m for r, m in sts_events(c) if r == "SuccessfulDelete"] == [
        f"delete Pod web-{i} in StatefulSet web successful" for i in (3, 2, 1)
    ]
    texts = [d.text for d in c.decisions("statefulset", "web")]
    assert (
        "StatefulSet web: 1 desired, web-3 is beyond ordinal 0 → delete it (highest ordinal first; "
        "one at a time)"
    ) in texts
    assert "StatefulSet web: scaling down, web-3 is terminating → wait until it is gone" in texts
    st = c.get("statefulset", "web")["status"]
    assert (st["replicas"], st["readyReplicas"], st["availableReplicas"]) == (1, 1, 1)


def test_parallel_creates_and_deletes_all_at_once(c: Cluster) -> None:
    log = PodLog(c)
    c.apply(statefulset(3, podManagementPolicy="Parallel"))
    run_until(c, lambda: len(log.ready) == 3, limit=120)
    assert writes(c, "create") == [(0.0, "web-0"), (0.0, "web-1"), (0.0, "web-2")]
    t = c.now
    c.scale("statefulset", "web", 0)
    c.advance(0.01)
    assert [(round(tm - t, 2), n) for tm, n in writes(c, "delete")] == [
        (0.0, "web-2"),
        (0.0, "web-1"),
        (0.0, "web-0"),
    ]
    texts = [d.text for d in c.decisions("statefulset", "web")]
    assert texts[0] == (
        "StatefulSet web: 3 desired, 0 exist → create 3 at once (Parallel), in slow-start batches of "
        "1, 2, 4, …"
    )
    assert texts[-1] == "StatefulSet web: 0 desired, 3 beyond ordinal -1 → delete them at once (Parallel)"


def test_a_dead_nodes_pod_is_not_replaced_until_it_is_force_deleted(c: Cluster) -> None:
    log = PodLog(c)
    c.apply(statefulset(3))
    run_until(c, lambda: len(log.ready) == 3, limit=120)
    old = pod(c, "web-1")
    node = old["spec"]["nodeName"]
    c.kill_node(node)
    # The node controller marks the node unreachable; after the pods' 300 s toleration the
    # taint manager deletes web-1 — gracefully, and the dead kubelet never confirms it.
    evicted = run_until(
        c, lambda: bool(pod(c, "web-1")["metadata"].get("deletionTimestamp")), limit=600, step=1.0
    )
    assert evicted > 300
    c.advance(600)
    stuck = pod(c, "web-1")
    assert stuck["metadata"]["uid"] == old["metadata"]["uid"]
    assert [n for _, n in writes(c, "create")] == ["web-0", "web-1", "web-2"], "no second web-1"
    texts = [d.text for d in c.decisions("statefulset", "web")]
    assert texts[-1] == (
        "StatefulSet web: web-1 is terminating → wait until it is gone: at most one pod per identity, "
        "so no new web-1 (nor any later ordinal) until then"
    )
    t = c.now
    c.delete("pod", "web-1", grace_period_seconds=0)  # kubectl delete pod web-1 --force --grace-period=0
    c.advance(0.01)
    created = writes(c, "create")
    assert created[-1][1] == "web-1" and created[-1][0] == pytest.approx(t, abs=EPS)
    run_until(c, lambda: len(log.ready.get("web-1", ())) == 2, limit=120)
    new = pod(c, "web-1")
    assert new["metadata"]["uid"] != old["metadata"]["uid"]
    assert new["spec"]["nodeName"] != node
    assert c.get("statefulset", "web")["status"]["readyReplicas"] == 3


def _update_image(c: Cluster, image: str, **strategy: Any) -> None:
    """`kubectl set image statefulset/web nginx=<image>` (with a new update strategy, if given)."""
    sts = c.get("statefulset", "web")
    sts["spec"]["template"]["spec"]["containers"][0]["image"] = image
    if strategy:
        sts["spec"]["updateStrategy"] = strategy
    c.update(sts)


def test_rolling_update_goes_down_to_the_partition_from_the_highest_ordinal(c: Cluster) -> None:
    log = PodLog(c)
    c.apply(statefulset(4))
    run_until(c, lambda: len(log.ready) == 4, limit=120)
    old_rev = revision(pod(c, "web-0"))
    t = c.now
    _update_image(c, "nginx:1.28", type="RollingUpdate", rollingUpdate={"partition": 2})
    run_until(c, lambda: len(log.ready.get("web-2", ())) == 2, limit=120)
    c.advance(30)
    deleted = writes(c, "delete")
    assert [n for _, n in deleted] == ["web-3", "web-2"]
    assert deleted[0][0] == pytest.approx(t, abs=EPS)
    # web-3 comes back (at once, when the old one is gone) and web-2 goes when it is Ready.
    recreated = [tm for tm, n in writes(c, "create") if n == "web-3"][-1]
    assert recreated == pytest.approx(log.gone["web-3"][0], abs=EPS)
    assert deleted[1][0] == pytest.approx(log.ready["web-3"][1], abs=EPS)
    new_rev = c.get("statefulset", "web")["status"]["updateRevision"]
    assert new_rev != old_rev
    assert [revision(pod(c, f"web-{i}")) for i in range(4)] == [old_rev, old_rev, new_rev, new_rev]
    assert pod(c, "web-3")["spec"]["containers"][0]["image"] == "nginx:1.28"
    assert pod(c, "web-0")["spec"]["containers"][0]["image"] == "nginx:1.27"
    st = c.get("statefulset", "web")["status"]
    assert (st["currentRevision"], st["updateRevision"], st["currentReplicas"], st["updatedReplicas"]) == (
        old_rev,
        new_rev,
        2,
        2,
    )
    assert c.decisions("statefulset", "web")[-1].text == (
        f"StatefulSet web: ordinals 2..3 run {new_rev}; those below partition 2 keep the old template"
    )
    # Lowering the partition to 0 finishes the rollout: web-1, then web-0.
    c.server.patch(
        c.learner,
        "statefulsets",
        "web",
        {"spec": {"updateStrategy": {"rollingUpdate": {"partition": 0}}}},
        "default",
    )
    run_until(c, lambda: len(log.ready.get("web-0", ())) == 2, limit=120)
    assert [n for _, n in writes(c, "delete")] == ["web-3", "web-2", "web-1", "web-0"]
    c.advance(1)
    st = c.get("statefulset", "web")["status"]
    assert (st["currentRevision"], st["updateRevision"], st["currentReplicas"], st["updatedReplicas"]) == (
        new_rev,
        new_rev,
        4,
        4,
    )
    revs = sorted((r["revision"], r["metadata"]["name"]) for r in c.list("controllerrevisions", "default"))
    assert revs == [(1, old_rev), (2, new_rev)]
    # Going back to the first template re-uses its revision, numbered 3.
    _update_image(c, "nginx:1.27")
    c.advance(0.01)
    assert c.get("statefulset", "web")["status"]["updateRevision"] == old_rev
    revs = sorted((r["revision"], r["metadata"]["name"]) for r in c.list("controllerrevisions", "default"))
    assert revs == [(2, new_rev), (3, old_rev)]


def test_on_delete_updates_a_pod_only_when_it_is_deleted(c: Cluster) -> None:
    log = PodLog(c)
    c.apply(statefulset(2, updateStrategy={"type": "OnDelete"}))
    run_until(c, lambda: len(log.ready) == 2, limit=120)
    old_rev = revision(pod(c, "web-0"))
    _update_image(c, "nginx:1.28")
    c.advance(60)
    assert writes(c, "delete") == []
    assert [revision(pod(c, f"web-{i}")) for i in range(2)] == [old_rev, old_rev]
    c.delete("pod", "web-1")
    run_until(c, lambda: len(log.ready.get("web-1", ())) == 2, limit=120)
    new_rev = c.get("statefulset", "web")["status"]["updateRevision"]
    assert [revision(pod(c, f"web-{i}")) for i in range(2)] == [old_rev, new_rev]
    assert pod(c, "web-1")["spec"]["containers"][0]["image"] == "nginx:1.28"


def test_a_failed_pod_is_deleted_and_recreated(c: Cluster) -> None:
    log = PodLog(c)
    c.apply(statefulset(1))
    run_until(c, lambda: len(log.ready) == 1, limit=120)
    failed = pod(c, "web-0")
    failed["status"]["phase"] = "Failed"
    c.server.update(c.learner, failed, subresource="status")
    c.advance(0.01)
    assert [n for _, n in writes(c, "delete")] == ["web-0"]
    run_until(c, lambda: len(log.ready.get("web-0", ())) == 2, limit=120)
    assert pod(c, "web-0")["metadata"]["uid"] != failed["metadata"]["uid"]


def test_deleting_the_statefulset_removes_its_pods_and_revisions(c: Cluster) -> None:
    log = PodLog(c)
    c.apply(statefulset(2))
    run_until(c, lambda: len(log.ready) == 2, limit=120)
    c.delete("statefulset", "web")
    c.advance(60)
    assert c.list("pods", "default") == []
    assert c.list("controllerrevisions", "default") == []


def test_defaults_as_the_api_server_fills_them(c: Cluster) -> None:
    manifest = statefulset(2)
    del manifest["spec"]["minReadySeconds"]
    manifest["spec"]["volumeClaimTemplates"] = [
        {
            "metadata": {"name": "www"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        }
    ]
    sts = c.apply(manifest)[0]
    spec = sts["spec"]
    assert spec["podManagementPolicy"] == "OrderedReady"
    assert spec["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    assert spec["revisionHistoryLimit"] == 10
    assert spec["volumeClaimTemplates"] == [
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "www", "creationTimestamp": None},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}},
                "volumeMode": "Filesystem",
            },
            "status": {"phase": "Pending"},
        }
    ]
    assert sts["metadata"]["generation"] == 1
    assert sts["status"] == {"replicas": 0, "availableReplicas": 0}
    # A RollingUpdate strategy given without rollingUpdate stays so.
    other = statefulset(1, updateStrategy={"type": "RollingUpdate"})
    other["metadata"]["name"] = "db"
    assert c.apply(other)[0]["spec"]["updateStrategy"] == {"type": "RollingUpdate"}


def _causes(c: Cluster, manifest: Obj) -> list[tuple[str, str]]:
    with pytest.raises(Invalid) as err:
        c.server.create(c.learner, manifest, "default")
    return [(x["field"], x["message"]) for x in err.value.details["causes"]]


def test_validation_as_the_api_server_does_it(c: Cluster) -> None:
    bad = statefulset(1, podManagementPolicy="Sometimes")
    bad["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    bad["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    bad["spec"]["persistentVolumeClaimRetentionPolicy"] = {"whenDeleted": "Keep"}
    causes = _causes(c, bad)
    assert (
        "spec.podManagementPolicy",
        "Invalid value: \"Sometimes\": must be 'OrderedReady' or 'Parallel'",
    ) in causes
    assert (
        "spec.template.metadata.labels",
        'Invalid value: "map[app:other]": `selector` does not match template `labels`',
    ) in causes
    assert (
        "spec.template.spec.restartPolicy",
        'Unsupported value: "Never": supported values: "Always"',
    ) in causes
    assert (
        "spec.persistentVolumeClaimRetentionPolicy.whenDeleted",
        'Unsupported value: "Keep": supported values: "Retain", "Delete"',
    ) in causes
    partition = statefulset(1, updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"partition": -1}})
    assert _causes(c, partition) == [
        (
            "spec.updateStrategy.rollingUpdate.partition",
            "Invalid value: -1: must be greater than or equal to 0",
        )
    ]
    empty = statefulset(1)
    empty["spec"]["selector"] = {}
    assert ("spec.selector", "Required value") in _causes(c, empty)
    # Only some fields may change: serviceName may not.
    c.apply(statefulset(1))
    changed = c.get("statefulset", "web")
    changed["spec"]["serviceName"] = "other"
    with pytest.raises(Invalid) as err:
        c.server.update(c.learner, changed)
    assert err.value.message == (
        'StatefulSet.apps "web" is invalid: spec: Forbidden: updates to statefulset spec for fields other '
        "than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', "
        "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
    )


def test_docs_example_runs_with_its_claims(c: Cluster) -> None:
    """The tutorial's manifest as-is: each pod mounts claim `www-web-<n>`, which the controller
    creates just before the pod; the default StorageClass provisions it on the node the
    scheduler picks, and OrderedReady moves on to web-1 once web-0 is Running and Ready."""
    manifest = statefulset(2, image="registry.k8s.io/nginx-slim:0.24")
    manifest["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] = [
        {"name": "www", "mountPath": "/usr/share/nginx/html"}
    ]
    manifest["spec"]["volumeClaimTemplates"] = [
        {
            "metadata": {"name": "www"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        }
    ]
    c.apply(manifest)
    c.advance(60)
    pods = c.list("pods", "default")
    assert [(p["metadata"]["name"], p["status"]["phase"]) for p in pods] == [
        ("web-0", "Running"),
        ("web-1", "Running"),
    ]
    assert pods[0]["spec"]["volumes"][0] == {
        "name": "www",
        "persistentVolumeClaim": {"claimName": "www-web-0"},
    }
    claims = writes(c, "create", "persistentvolumeclaims")
    created = writes(c, "create")
    assert [n for _, n in claims] == ["www-web-0", "www-web-1"]
    assert [n for _, n in created] == ["web-0", "web-1"]
    assert all(tc == tp for (tc, _), (tp, _) in zip(claims, created, strict=True))  # in the same sync
    for p in pods:
        claim = c.get("pvc", f"www-{p['metadata']['name']}")
        assert claim["status"]["phase"] == "Bound"
        volume = c.get("pv", claim["spec"]["volumeName"], None)
        assert (
            volume["metadata"]["annotations"]["local.path.provisioner/selected-node"] == p["spec"]["nodeName"]
        )


def test_staged_update_and_canary_as_in_the_tutorial(c: Cluster) -> None:
    """The tutorial's "Staging an update" and "Rolling out a canary": a partition above every
    ordinal holds the update back, even for a deleted pod; lowering it updates just the top pod."""
    log = PodLog(c)
    c.apply(statefulset(3))
    run_until(c, lambda: len(log.ready) == 3, limit=120)

    def patch(body: Obj) -> None:  # kubectl patch statefulset web -p '<body>'
        c.server.patch(c.learner, "statefulsets", "web", body, "default", patch_type="strategic")

    patch({"spec": {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 3}}}})
    patch({"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.28"}]}}}})
    c.advance(30)
    assert writes(c, "delete") == []
    new_rev = c.get("statefulset", "web")["status"]["updateRevision"]
    assert c.decisions("statefulset", "web")[-1].text == (
        f"StatefulSet web: partition 3 ≥ 3 replicas → no pod is updated to {new_rev} until the partition "
        "is lowered (a deleted pod comes back as it was)"
    )
    c.delete("pod", "web-2")
    run_until(c, lambda: len(log.ready.get("web-2", ())) == 2, limit=120)
    assert pod(c, "web-2")["spec"]["containers"][0]["image"] == "nginx:1.27"
    patch({"spec": {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}}})
    run_until(c, lambda: len(log.ready.get("web-2", ())) == 3, limit=120)
    assert [pod(c, f"web-{i}")["spec"]["containers"][0]["image"] for i in range(3)] == [
        "nginx:1.27",
        "nginx:1.27",
        "nginx:1.28",
    ]
    st = c.get("statefulset", "web")["status"]
    assert (st["currentReplicas"], st["updatedReplicas"], st["updateRevision"]) == (2, 1, new_rev)
