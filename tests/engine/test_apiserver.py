"""The API server as the only door: resourceVersions, errors worded as Kubernetes', audit, watch."""

import re

import pytest

from clusterlab.engine import AlreadyExists, Conflict, Forbidden, Gone, Invalid, NotFound
from clusterlab.engine.audit import User

from .conftest import web

ADMIN = User("kubernetes-admin", "kubectl")
POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "solo"},
    "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
}


def test_create_defaults_and_stamps_metadata(cluster):
    pod = cluster.server.create(ADMIN, POD)
    meta, spec = pod["metadata"], pod["spec"]
    assert meta["namespace"] == "default"
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", meta["uid"])
    assert meta["creationTimestamp"] == "2026-01-01T09:00:00Z"
    assert int(meta["resourceVersion"]) == cluster.revision
    assert spec["restartPolicy"] == "Always" and spec["terminationGracePeriodSeconds"] == 30
    assert spec["containers"][0]["imagePullPolicy"] == "IfNotPresent"
    assert pod["status"] == {"phase": "Pending", "qosClass": "BestEffort"}
    # DefaultTolerationSeconds admission
    assert {
        "key": "node.kubernetes.io/unreachable",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 300,
    } in spec["tolerations"]


def test_latest_tag_defaults_to_always_pull(cluster):
    pod = cluster.server.create(ADMIN, {**POD, "spec": {"containers": [{"name": "a", "image": "nginx"}]}})
    assert pod["spec"]["containers"][0]["imagePullPolicy"] == "Always"


def test_errors_are_worded_as_kubernetes(cluster):
    with pytest.raises(NotFound) as nf:
        cluster.get("deployment", "nope")
    assert str(nf.value) == 'deployments.apps "nope" not found'
    assert nf.value.status()["reason"] == "NotFound" and nf.value.status()["code"] == 404
    cluster.server.create(ADMIN, POD)
    with pytest.raises(AlreadyExists, match=r'pods "solo" already exists'):
        cluster.server.create(ADMIN, POD)


def test_stale_resource_version_is_a_conflict(cluster):
    created = cluster.server.create(
        ADMIN, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}
    )
    fresh = cluster.get("namespace", "team", None)
    fresh["metadata"]["labels"]["x"] = "1"
    cluster.update(fresh)
    created["metadata"]["labels"]["y"] = "2"
    with pytest.raises(Conflict) as exc:
        cluster.update(created)
    assert str(exc.value) == (
        'Operation cannot be fulfilled on namespaces "team": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
    assert exc.value.code == 409


def test_invalid_lists_every_cause(cluster):
    bad = web(replicas=-1)
    bad["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    bad["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = "Sometimes"
    with pytest.raises(Invalid) as exc:
        cluster.apply(bad)
    msg = str(exc.value)
    assert msg.startswith('Deployment.apps "web" is invalid: [')
    assert "spec.replicas: Invalid value: -1: must be greater than or equal to 0" in msg
    assert "spec.template.metadata.labels: Invalid value" in msg and "`selector` does not match" in msg
    assert 'spec.template.spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes"' in msg


def test_hostile_names_are_rejected(cluster):
    for name in ("../etc", "Web", "a" * 254, "<script>"):
        with pytest.raises(Invalid, match=r"metadata\.name: Invalid value"):
            cluster.server.create(ADMIN, {**POD, "metadata": {"name": name}})


def test_namespace_must_exist_and_system_namespaces_cannot_be_deleted(cluster):
    with pytest.raises(NotFound, match='namespaces "ghost" not found'):
        cluster.server.create(ADMIN, {**POD, "metadata": {"name": "p", "namespace": "ghost"}})
    with pytest.raises(
        Forbidden, match='namespaces "default" is forbidden: this namespace may not be deleted'
    ):
        cluster.delete("namespace", "default", None)


def test_priority_cannot_be_set_by_hand(cluster):
    with pytest.raises(Forbidden, match=r"the integer value of priority \(5\) must not be provided"):
        cluster.server.create(ADMIN, {**POD, "spec": {**POD["spec"], "priority": 5}})


def test_every_request_is_audited(cluster):
    before = cluster.api_calls()[-1].seq
    cluster.server.create(ADMIN, POD)
    with pytest.raises(NotFound):
        cluster.get("pod", "missing")
    calls = cluster.api_calls(since=before)
    assert [(c.actor, c.verb, c.resource, c.name, c.code) for c in calls] == [
        ("kubernetes-admin", "create", "pods", "solo", 201),
        ("kubernetes-admin", "get", "pods", "missing", 404),
    ]
    assert all(c.time == cluster.now for c in calls)


def test_watch_is_asynchronous_and_field_selectors_filter(cluster):
    seen: list[tuple[str, str]] = []
    cluster.server.watch(
        ADMIN,
        "pods",
        lambda t, o: seen.append((t, o["metadata"]["name"])),
        namespace="default",
        field_selector="spec.nodeName=worker-2",
    )
    # A pod for another scheduler: kube-scheduler leaves it alone, we bind it by hand.
    cluster.server.create(ADMIN, {**POD, "spec": {**POD["spec"], "schedulerName": "manual"}})
    assert seen == []  # nothing is delivered inside the writer's call
    cluster.advance(0)
    assert seen == []  # not on worker-2 (not bound at all yet)
    cluster.server.bind(ADMIN, "default", "solo", "worker-2")
    cluster.advance(0)
    # Entering the selection is an ADDED event; worker-2's kubelet then reports status (MODIFIED).
    assert seen[0] == ("ADDED", "solo") and {t for t, _ in seen[1:]} <= {"MODIFIED"}


def test_watch_resumes_from_a_resource_version_and_old_history_is_gone(cluster):
    rv = cluster.revision
    cluster.server.create(ADMIN, POD)
    seen: list[tuple[str, str]] = []
    cluster.server.watch(
        ADMIN,
        "pods",
        lambda t, o: seen.append((t, o["metadata"]["name"])),
        namespace="default",
        resource_version=str(rv),
    )
    cluster.advance(0)
    assert seen[0] == ("ADDED", "solo")  # replayed from history: created after rv
    cluster.advance(330)  # kubelet lease writes keep coming; only 5 minutes of history are kept
    with pytest.raises(Gone, match=rf"too old resource version: {rv}"):
        cluster.server.watch(ADMIN, "pods", lambda t, o: None, resource_version=str(rv))


def test_noop_update_keeps_the_resource_version(cluster):
    ns = cluster.get("namespace", "default", None)
    again = cluster.update(ns)
    assert again["metadata"]["resourceVersion"] == ns["metadata"]["resourceVersion"]


def test_callers_cannot_mutate_stored_state(cluster):
    pod = cluster.server.create(ADMIN, POD)
    pod["spec"]["containers"][0]["image"] = "evil"
    assert cluster.get("pod", "solo")["spec"]["containers"][0]["image"] == "nginx:1.27"


def test_managed_fields_of_returned_objects_are_copies_too(cluster):
    pod = cluster.server.create(ADMIN, POD)
    assert pod["metadata"]["managedFields"]
    pod["metadata"]["managedFields"][0]["manager"] = "evil"
    pod["metadata"]["managedFields"].append({"manager": "more evil"})
    stored = cluster.get("pod", "solo")["metadata"]["managedFields"]
    assert [m["manager"] for m in stored] == ["kubectl"]


def test_events_expire_an_hour_after_their_last_write() -> None:
    """kube-apiserver's --event-ttl (1 h): an event goes 3600 s after it was last written, and
    a watcher sees it deleted; one written again later lives 3600 s from then."""
    import random
    from datetime import UTC, datetime

    from clusterlab.engine.apiserver import APIServer
    from clusterlab.engine.clock import Clock
    from clusterlab.engine.store import Store

    clock = Clock()
    server = APIServer(clock, Store(), random.Random(1), datetime(2026, 1, 1, tzinfo=UTC))
    admin = User("system:apiserver", "test")  # a system: user, as the cluster's own writers
    server.create(admin, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}})

    def event(name: str, count: int) -> dict:
        return {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": "default"},
            "involvedObject": {"kind": "Pod", "name": "p", "namespace": "default"},
            "reason": "Test",
            "message": "m",
            "count": count,
        }

    clock.run_until(10)
    server.create(admin, event("first", 1), "default")
    server.create(admin, event("second", 1), "default")
    clock.run_until(110)
    again = server.get(admin, "events", "second", "default")
    again["count"] = 2
    server.update(admin, again)
    gone: list[tuple[float, str]] = []

    def seen(kind: str, obj: dict) -> None:
        if kind == "DELETED":
            gone.append((clock.now, obj["metadata"]["name"]))

    server.watch(admin, "events", seen, "default")

    def names() -> set[str]:
        return {e["metadata"]["name"] for e in server.list(admin, "events", "default")[0]}

    clock.run_until(3609)
    assert names() == {"first", "second"}
    clock.run_until(3610)  # the first has lived an hour
    assert names() == {"second"}
    clock.run_until(3710)  # an hour after the second's last write
    assert names() == set()
    assert gone == [(3610.0, "first"), (3710.0, "second")]
