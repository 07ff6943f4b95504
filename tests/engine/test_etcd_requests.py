"""What each API request did in etcd, as the audit log records it: the key under /registry, the
etcd operation, and the revision etcd answered at (a write's new resourceVersion)."""

from __future__ import annotations

import copy

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.audit import ApiCall, User
from clusterlab.engine.errors import AlreadyExists, Conflict, Forbidden, Invalid, NotFound
from clusterlab.engine.etcd_requests import key_range, object_key
from clusterlab.engine.kinds import KINDS
from clusterlab.labs.samples import SAMPLE_DEPLOYMENT

LEARNER = User("kubernetes-admin", "kubectl")

# Where kube-apiserver's etcd3 storage keeps each kind the lab serves.
EXPECTED_KEYS = {
    "namespaces": "/registry/namespaces/x",
    "nodes": "/registry/minions/x",
    "pods": "/registry/pods/ns/x",
    "replicasets": "/registry/replicasets/ns/x",
    "deployments": "/registry/deployments/ns/x",
    "events": "/registry/events/ns/x",
    "leases": "/registry/leases/ns/x",
    "services": "/registry/services/specs/ns/x",
    "endpoints": "/registry/services/endpoints/ns/x",
    "endpointslices": "/registry/endpointslices/ns/x",
    "ingresses": "/registry/ingress/ns/x",  # kube-apiserver's compiled-in prefix
    "serviceaccounts": "/registry/serviceaccounts/ns/x",
    "roles": "/registry/roles/ns/x",
    "clusterroles": "/registry/clusterroles/x",
    "rolebindings": "/registry/rolebindings/ns/x",
    "clusterrolebindings": "/registry/clusterrolebindings/x",
    "limitranges": "/registry/limitranges/ns/x",
    "resourcequotas": "/registry/resourcequotas/ns/x",
    "priorityclasses": "/registry/priorityclasses/x",
    "poddisruptionbudgets": "/registry/poddisruptionbudgets/ns/x",
}


@pytest.fixture
def cluster() -> Cluster:
    c = Cluster.from_scenario("default", seed=7)
    c.advance(5)
    return c


def calls_after(cluster: Cluster, seq: int, **match: object) -> list[ApiCall]:
    return [
        c
        for c in cluster.api_calls(since=seq)
        if all(getattr(c, field) == value for field, value in match.items())
    ]


def last_seq(cluster: Cluster) -> int:
    return cluster.api_calls()[-1].seq


def pod(name: str) -> dict:  # type: ignore[type-arg]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
    }


def test_every_kind_has_its_kube_apiserver_etcd_key() -> None:
    for kind in KINDS:
        ns = "ns" if kind.namespaced else None
        expected = EXPECTED_KEYS.get(kind.plural, f"/registry/{kind.plural}/{'ns/' if ns else ''}x")
        assert object_key(kind.plural, ns, "x") == expected, kind.plural
        assert key_range(kind.plural, ns) == expected[: -len("x")]
        assert key_range(kind.plural, None) == expected.split("/ns/")[0].removesuffix("/x") + "/"
    assert key_range("services", None) == "/registry/services/specs/"
    assert key_range("nodes", None) == "/registry/minions/"


def test_the_clusters_own_writes_name_their_keys(cluster: Cluster) -> None:
    """Booting the cluster: kubelets register their Nodes and renew their Leases, the API server
    writes the `kubernetes` Service and Endpoints, each write at its object's resourceVersion."""
    calls = cluster.api_calls()
    writes = {(c.component, c.verb, c.etcd_key): c for c in calls if c.etcd_op == "txn put"}
    assert ("kubelet/worker-1", "create", "/registry/minions/worker-1") in writes
    assert ("kubelet/worker-1", "create", "/registry/leases/kube-node-lease/worker-1") in writes
    assert ("kube-apiserver", "create", "/registry/services/specs/default/kubernetes") in writes
    assert ("kube-apiserver", "create", "/registry/services/endpoints/default/kubernetes") in writes
    assert ("kube-scheduler", "create", "/registry/leases/kube-system/kube-scheduler") in writes
    # revisions only grow, one per write
    revisions = [c.revision for c in calls if c.etcd_op in ("txn put", "txn delete")]
    assert revisions == sorted(revisions) and len(set(revisions)) == len(revisions)
    # a node Lease renewal: the kubelet renews every 10 s (a quarter of its 40 s lease)
    renewals = [
        c
        for c in calls
        if c.component == "kubelet/worker-1" and c.verb == "update" and c.resource == "leases"
    ]
    assert renewals == []  # the first renewal is due at t=10
    cluster.advance(5)
    renewal = calls_after(cluster, 0, component="kubelet/worker-1", verb="update", resource="leases")
    assert [(c.time, c.code, c.etcd_op, c.etcd_key) for c in renewal] == [
        (10.0, 200, "txn put", "/registry/leases/kube-node-lease/worker-1")
    ]
    lease = cluster.get("lease", "worker-1", "kube-node-lease")
    assert renewal[0].revision == int(lease["metadata"]["resourceVersion"])


def test_learner_reads_and_writes(cluster: Cluster) -> None:
    server, store = cluster.server, cluster.store
    before = last_seq(cluster)
    created = server.create(LEARNER, pod("p1"))
    (create,) = calls_after(cluster, before)
    assert (create.verb, create.resource, create.code, create.time) == ("create", "pods", 201, 5.0)
    assert (create.etcd_op, create.etcd_key) == ("txn put", "/registry/pods/default/p1")
    assert create.revision == int(created["metadata"]["resourceVersion"]) == store.revision

    seq = last_seq(cluster)
    got = server.get(LEARNER, "pods", "p1", "default")
    items, list_rv = server.list(LEARNER, "pods", "default")
    assert [i["metadata"]["name"] for i in items] == ["p1"]
    server.list(LEARNER, "nodes")
    get, listed, nodes = calls_after(cluster, seq)
    assert (get.etcd_op, get.etcd_key, get.revision) == ("range", "/registry/pods/default/p1", store.revision)
    assert got["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert (listed.etcd_op, listed.etcd_key, listed.revision) == (
        "range",
        "/registry/pods/default/",
        int(list_rv),
    )
    assert (nodes.etcd_op, nodes.etcd_key) == ("range", "/registry/minions/")

    seq = last_seq(cluster)
    got["metadata"].setdefault("labels", {})["tier"] = "web"
    updated = server.update(LEARNER, got)
    (update,) = calls_after(cluster, seq)
    assert (update.code, update.etcd_op, update.etcd_key) == (200, "txn put", "/registry/pods/default/p1")
    assert update.revision == int(updated["metadata"]["resourceVersion"]) == create.revision + 1

    # an update that changes nothing is not written: etcd only saw the read
    seq = last_seq(cluster)
    server.update(LEARNER, updated)
    (noop,) = calls_after(cluster, seq)
    assert (noop.code, noop.etcd_op, noop.revision) == (200, "range", update.revision)
    assert store.revision == update.revision


def test_which_refusals_reached_etcd(cluster: Cluster) -> None:
    server, store = cluster.server, cluster.store
    created = server.create(LEARNER, pod("p1"))
    stale = copy.deepcopy(created)
    server.patch(LEARNER, "pods", "p1", {"metadata": {"labels": {"a": "b"}}}, "default")
    rev = store.revision
    seq = last_seq(cluster)

    with pytest.raises(NotFound):
        server.get(LEARNER, "pods", "nope", "default")
    with pytest.raises(AlreadyExists):
        server.create(LEARNER, pod("p1"))
    with pytest.raises(Conflict):
        server.update(LEARNER, stale)
    bad = pod("p2")
    bad["spec"]["containers"][0]["image"] = ""
    with pytest.raises(Invalid):
        server.create(LEARNER, bad)
    wrong = copy.deepcopy(created)
    wrong["spec"]["containers"][0]["name"] = "renamed"  # pod spec is immutable
    del wrong["metadata"]["resourceVersion"]
    with pytest.raises(Invalid):
        server.update(LEARNER, wrong)
    with pytest.raises(Forbidden):
        server.get(User("jane", "kubectl"), "pods", "p1", "default")
    with pytest.raises(Invalid):  # an apply patch without a field manager: its options fail
        server.patch(LEARNER, "pods", "p1", {}, "default", patch_type="apply")

    got = [(c.verb, c.code, c.etcd_op, c.etcd_key, c.revision) for c in calls_after(cluster, seq)]
    assert got == [
        ("get", 404, "range", "/registry/pods/default/nope", rev),  # the range found no key
        ("create", 409, "txn put", "/registry/pods/default/p1", rev),  # the create txn's compare failed
        ("update", 409, "range", "/registry/pods/default/p1", rev),  # read, found a newer resourceVersion
        ("create", 422, "", "", 0),  # validation refuses a create before storage
        ("update", 422, "range", "/registry/pods/default/p1", rev),  # validated against the object read
        ("get", 403, "", "", 0),  # RBAC: jane holds no role
        ("patch", 422, "", "", 0),  # PatchOptions are checked before storage
    ]
    assert store.revision == rev  # nothing was written


def test_a_pods_life_in_etcd(cluster: Cluster) -> None:
    """The learner creates a pod, the scheduler binds it (a txn put on the pod's key), the
    learner deletes it (a txn put of deletionTimestamp), the kubelet's last write removes it
    (txn delete)."""
    seq = last_seq(cluster)
    cluster.server.create(LEARNER, pod("p1"))
    cluster.advance(2)
    (binding,) = calls_after(cluster, seq, resource="pods/binding")
    assert (binding.component, binding.actor, binding.verb, binding.code) == (
        "kube-scheduler",
        "system:kube-scheduler",
        "create",
        201,
    )
    assert (binding.etcd_op, binding.etcd_key) == ("txn put", "/registry/pods/default/p1")
    # the write at the binding's revision is the one that set spec.nodeName
    (change,) = [c for c in cluster.store.changes_since(0, "pods") if c.revision == binding.revision]
    assert change.old is not None and change.new is not None
    assert "nodeName" not in change.old["spec"]
    assert change.new["spec"]["nodeName"] == cluster.get("pod", "p1")["spec"]["nodeName"]
    assert change.new["metadata"]["resourceVersion"] == str(binding.revision)

    cluster.advance(10)
    seq = last_seq(cluster)
    terminating = cluster.delete("pod", "p1")
    (delete,) = calls_after(cluster, seq)
    assert (delete.verb, delete.code, delete.etcd_op, delete.etcd_key) == (
        "delete",
        200,
        "txn put",
        "/registry/pods/default/p1",
    )
    assert delete.revision == int(terminating["metadata"]["resourceVersion"])
    cluster.advance(40)
    # the kubelet, its containers stopped, writes the last status; nothing holds the pod (no
    # finalizers), so that write removes it
    final = calls_after(cluster, seq, etcd_op="txn delete")
    assert len(final) == 1 and final[0].component.startswith("kubelet/")
    assert final[0].etcd_key == "/registry/pods/default/p1"
    assert final[0].revision > delete.revision
    with pytest.raises(NotFound):
        cluster.get("pod", "p1")


def test_watches_start_at_the_current_revision(cluster: Cluster) -> None:
    seq = last_seq(cluster)
    cluster.server.watch(LEARNER, "deployments", lambda event: None, namespace="default")
    (watch,) = calls_after(cluster, seq)
    assert (watch.verb, watch.code, watch.etcd_op, watch.etcd_key, watch.revision) == (
        "watch",
        200,
        "watch",
        "/registry/deployments/default/",
        cluster.store.revision,
    )
    informer_watches = calls_after(cluster, 0, component="kube-scheduler", verb="watch")
    assert {c.etcd_key for c in informer_watches} >= {"/registry/pods/", "/registry/minions/"}


def test_a_dry_run_only_reads(cluster: Cluster) -> None:
    rev = cluster.store.revision
    seq = last_seq(cluster)
    cluster.server.create(LEARNER, pod("p1"), dry_run=True)
    (call,) = calls_after(cluster, seq)
    assert (call.code, call.etcd_op, call.etcd_key, call.revision) == (
        201,
        "range",
        "/registry/pods/default/p1",
        rev,
    )


def test_generated_names_are_the_keys_written(cluster: Cluster) -> None:
    seq = last_seq(cluster)
    cluster.apply(SAMPLE_DEPLOYMENT)
    cluster.advance(3)
    creates = calls_after(cluster, seq, resource="pods", verb="create", code=201)
    assert len(creates) == 6
    names = sorted(p["metadata"]["name"] for p in cluster.list("pods", "default"))
    assert sorted(c.etcd_key for c in creates) == [f"/registry/pods/default/{n}" for n in names]
    assert all(c.name.endswith("-") for c in creates)  # the audit keeps the generateName asked for
    bindings = calls_after(cluster, seq, resource="pods/binding")
    assert sorted(c.etcd_key for c in bindings) == sorted(c.etcd_key for c in creates)


def test_without_an_etcd_quorum_requests_time_out_in_etcd(cluster: Cluster) -> None:
    cluster.stop_component("etcd", node="control-plane")
    seq = last_seq(cluster)
    with pytest.raises(Exception, match="etcdserver: request timed out"):
        cluster.get("pod", "nope")
    with pytest.raises(Exception, match="etcdserver: request timed out"):
        cluster.server.create(LEARNER, pod("p1"))
    mine = calls_after(cluster, seq, actor="kubernetes-admin")
    assert [(c.verb, c.code, c.etcd_op, c.etcd_key, c.revision) for c in mine] == [
        ("get", 500, "range", "/registry/pods/default/nope", 0),
        ("create", 500, "txn put", "/registry/pods/default/p1", 0),
    ]
