"""The facade others rely on (DESIGN.md §3): its names and their behaviour at the edges."""

import pytest

import clusterlab.engine as engine
from clusterlab.engine import BadRequest, Cluster, NotFound


def test_public_api_is_pinned():
    assert sorted(engine.__all__) == [
        "AlreadyExists",
        "ApiCall",
        "ApiError",
        "BadRequest",
        "Cluster",
        "Conflict",
        "Forbidden",
        "Gone",
        "Invalid",
        "NotFound",
        "ServiceUnavailable",
    ]
    for name in (
        "from_scenario",
        "apply",
        "advance",
        "now",
        "get",
        "list",
        "update",
        "delete",
        "add_node",
        "remove_node",
        "kill_node",
        "restore_node",
        "events",
        "scale",
        "api_calls",
        "components",
    ):
        assert hasattr(Cluster, name), name


def test_default_scenario_shape(cluster):
    nodes = cluster.list("nodes")
    assert [n["metadata"]["name"] for n in nodes] == ["control-plane", "worker-1", "worker-2", "worker-3"]
    cp = nodes[0]
    assert cp["spec"]["taints"] == [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
    assert [(c["name"], c["running"]) for c in cluster.components()] == [
        ("kube-apiserver", True),
        ("etcd", True),
        ("kube-scheduler", True),
        ("kube-controller-manager", True),
    ]
    assert sorted(n["metadata"]["name"] for n in cluster.list("namespaces")) == [
        "default",
        "kube-node-lease",
        "kube-public",
        "kube-system",
        "local-path-storage",  # the default StorageClass's provisioner
    ]


def test_names_plurals_and_short_names_resolve(cluster):
    assert cluster.get("no", "worker-1", None)["kind"] == "Node"
    assert cluster.get("nodes", "worker-1", None)["kind"] == "Node"
    assert cluster.list("ns") == cluster.list("Namespace")
    with pytest.raises(NotFound, match='the server doesn\'t have a resource type "widgets"'):
        cluster.list("widgets")


def test_unknown_scenario_and_bad_input_are_clear_errors():
    with pytest.raises(NotFound, match='scenario "nope" not found'):
        Cluster.from_scenario("nope")
    c = Cluster()
    with pytest.raises(BadRequest, match="error parsing manifest at line 2"):
        c.apply("kind: Pod\n  bad: [indent")
    with pytest.raises(BadRequest, match='no matches for kind "Widget" in version "v1"'):
        c.apply({"apiVersion": "v1", "kind": "Widget", "metadata": {"name": "w"}})
    with pytest.raises(BadRequest, match="Object 'kind' is missing"):
        c.apply({"apiVersion": "v1", "metadata": {"name": "w"}})
    with pytest.raises(ValueError):
        c.advance(-1)
    with pytest.raises(BadRequest):
        c.scale("deployment", "web", -3)
    with pytest.raises(NotFound):
        c.kill_node("worker-9")


def test_multi_document_apply_applies_every_valid_document():
    c = Cluster()
    text = """
apiVersion: v1
kind: Namespace
metadata: {name: team-a}
---
apiVersion: v1
kind: Pod
metadata: {name: Bad_Name}
spec: {containers: [{name: a, image: nginx}]}
---
apiVersion: v1
kind: Namespace
metadata: {name: team-b}
"""
    with pytest.raises(engine.Invalid) as exc:
        c.apply(text)
    assert [o["metadata"]["name"] for o in exc.value.applied] == ["team-a", "team-b"]
    assert {"team-a", "team-b"} <= {n["metadata"]["name"] for n in c.list("namespaces")}


def test_apply_decodes_strictly_like_the_api_server():
    c = Cluster()
    bad = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "w"},
        "spec": {
            "replicaz": 2,
            "selector": {"matchLabels": {"a": "b"}},
            "template": {
                "metadata": {"labels": {"a": "b"}},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
        },
    }
    with pytest.raises(BadRequest) as exc:
        c.apply(bad)
    assert str(exc.value) == (
        'Deployment in version "v1" cannot be handled as a Deployment: '
        'strict decoding error: unknown field "spec.replicaz"'
    )
    for broken in ({**bad, "spec": "nonsense"}, {**bad, "spec": {**bad["spec"], "template": []}}):
        with pytest.raises(BadRequest, match="cannot be handled as a Deployment"):
            c.apply(broken)
    with pytest.raises(BadRequest, match="resource name may not be empty"):
        c.apply({**bad, "metadata": "w"})


def test_a_template_with_or_without_a_null_creation_timestamp_is_the_same_template():
    c = Cluster()
    d = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "w"},
        "spec": {
            "selector": {"matchLabels": {"a": "b"}},
            "template": {
                "metadata": {"labels": {"a": "b"}},
                "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
            },
        },
    }
    c.apply(d)
    c.advance(5)
    assert c.get("deployment", "w")["spec"]["template"]["metadata"]["creationTimestamp"] is None
    d["spec"]["template"]["metadata"]["creationTimestamp"] = (
        None  # as `kubectl create --dry-run -o yaml` writes
    )
    c.apply(d)
    c.advance(5)
    assert len(c.list("replicasets", "default")) == 1


def test_timestamps_count_from_the_given_epoch():
    c = Cluster(epoch="2030-05-06T07:08:09.75Z")
    assert c.get("namespace", "default", None)["metadata"]["creationTimestamp"] == "2030-05-06T07:08:09Z"
    c.advance(61)
    lease = c.get("lease", "worker-1", "kube-node-lease")
    assert lease["spec"]["renewTime"] == "2030-05-06T07:09:09.000000Z"
