"""The dispatcher against an engine cluster (no server): verbs, subresources, errors, replay."""

from __future__ import annotations

import json
from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.kubeapi.dispatch import dispatch
from clusterlab.kubeapi.messages import ApiRequest, ApiResponse, component_from_user_agent
from clusterlab.kubeapi.negotiation import PATCH_TYPES, TABLE_CONTENT_TYPE
from clusterlab.labs.runner import LabRunner, LoggedCommand

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"


def deployment(name: str = "web", replicas: int = 2) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [{"name": "app", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}]
                },
            },
        },
    }


@pytest.fixture
def cluster() -> Cluster:
    c = Cluster.from_scenario("default", seed=3)
    c.advance(5)
    return c


def call(cluster: Cluster, method: str, path: str, body: Any = None, **kw: Any) -> ApiResponse:
    return dispatch(cluster, ApiRequest(method, path, body=body, **kw))


def test_create_get_list_delete(cluster: Cluster) -> None:
    created = call(cluster, "POST", DEPLOYMENTS, deployment())
    assert created.status == 201 and created.wrote
    assert created.body["metadata"]["namespace"] == "default"
    got = call(cluster, "GET", DEPLOYMENTS + "/web")
    assert got.status == 200 and got.body["spec"]["replicas"] == 2 and not got.wrote
    listed = call(cluster, "GET", DEPLOYMENTS)
    assert listed.body["kind"] == "DeploymentList" and [
        d["metadata"]["name"] for d in listed.body["items"]
    ] == ["web"]
    assert int(listed.body["metadata"]["resourceVersion"]) >= int(got.body["metadata"]["resourceVersion"])
    again = call(cluster, "POST", DEPLOYMENTS, deployment())
    assert again.status == 409 and again.body["reason"] == "AlreadyExists" and again.wrote
    gone = call(cluster, "DELETE", DEPLOYMENTS + "/web", {"propagationPolicy": "Background"})
    assert gone.status == 200 and gone.body["kind"] == "Status" and gone.body["details"]["name"] == "web"
    missing = call(cluster, "GET", DEPLOYMENTS + "/web")
    assert missing.status == 404 and missing.body["message"] == 'deployments.apps "web" not found'


def test_tables_when_asked(cluster: Cluster) -> None:
    resp = call(cluster, "GET", "/api/v1/nodes", accept=TABLE)
    assert resp.content_type == TABLE_CONTENT_TYPE
    assert resp.body["kind"] == "Table"
    names = [c["name"] for c in resp.body["columnDefinitions"]]
    assert names[:5] == ["Name", "Status", "Roles", "Age", "Version"]
    assert [r["cells"][0] for r in resp.body["rows"]] == ["control-plane", "worker-1", "worker-2", "worker-3"]
    assert resp.body["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    one = call(cluster, "GET", "/api/v1/nodes/worker-1", accept=TABLE)
    assert len(one.body["rows"]) == 1


def test_selectors_and_paging(cluster: Cluster) -> None:
    call(cluster, "POST", DEPLOYMENTS, deployment("web", 3))
    cluster.advance(20)
    pods = call(cluster, "GET", "/api/v1/namespaces/default/pods", query={"labelSelector": "app=web"})
    assert len(pods.body["items"]) == 3
    first = call(cluster, "GET", "/api/v1/pods", query={"limit": "2"})
    assert len(first.body["items"]) == 2 and first.body["metadata"]["continue"]
    rest = call(
        cluster, "GET", "/api/v1/pods", query={"limit": "100", "continue": first.body["metadata"]["continue"]}
    )
    total = call(cluster, "GET", "/api/v1/pods").body["items"]
    assert len(first.body["items"]) + len(rest.body["items"]) == len(total)
    node = total[0]["spec"]["nodeName"]
    on_node = call(cluster, "GET", "/api/v1/pods", query={"fieldSelector": f"spec.nodeName={node}"})
    assert {p["spec"]["nodeName"] for p in on_node.body["items"]} == {node}
    bad = call(cluster, "GET", "/api/v1/pods", query={"labelSelector": "app in (("})
    assert bad.status == 400 and bad.body["kind"] == "Status"
    bad_limit = call(cluster, "GET", "/api/v1/pods", query={"limit": "lots"})
    assert bad_limit.status == 400


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/merge-patch+json", {"spec": {"replicas": 4}}),
        ("application/strategic-merge-patch+json", {"spec": {"replicas": 4}}),
        ("application/json-patch+json", [{"op": "replace", "path": "/spec/replicas", "value": 4}]),
    ],
)
def test_patch_types(cluster: Cluster, content_type: str, body: Any) -> None:
    call(cluster, "POST", DEPLOYMENTS, deployment())
    resp = call(cluster, "PATCH", DEPLOYMENTS + "/web", body, content_type=content_type)
    assert resp.status == 200, resp.body
    assert resp.body["spec"]["replicas"] == 4
    # The containers' ports survive a strategic merge of the container list.
    assert resp.body["spec"]["template"]["spec"]["containers"][0]["ports"] == [
        {"containerPort": 80, "protocol": "TCP"}
    ]


def test_server_side_apply_creates_then_updates(cluster: Cluster) -> None:
    query = {"fieldManager": "kubectl", "force": "false"}
    first = call(
        cluster,
        "PATCH",
        DEPLOYMENTS + "/api",
        deployment("api"),
        content_type="application/apply-patch+yaml",
        query=query,
    )
    assert first.status == 201, first.body
    second = call(
        cluster,
        "PATCH",
        DEPLOYMENTS + "/api",
        deployment("api", 5),
        content_type="application/apply-patch+yaml",
        query=query,
    )
    assert second.status == 200 and second.body["spec"]["replicas"] == 5


def test_scale_subresource(cluster: Cluster) -> None:
    call(cluster, "POST", DEPLOYMENTS, deployment())
    scale = call(cluster, "GET", DEPLOYMENTS + "/web/scale")
    assert scale.body["kind"] == "Scale" and scale.body["apiVersion"] == "autoscaling/v1"
    assert scale.body["spec"]["replicas"] == 2
    patched = call(
        cluster,
        "PATCH",
        DEPLOYMENTS + "/web/scale",
        {"spec": {"replicas": 5}},
        content_type="application/merge-patch+json",
    )
    assert patched.status == 200 and patched.body["spec"]["replicas"] == 5 and patched.wrote
    assert call(cluster, "GET", DEPLOYMENTS + "/web").body["spec"]["replicas"] == 5


def test_pod_subresources(cluster: Cluster) -> None:
    call(cluster, "POST", DEPLOYMENTS, deployment("web", 1))
    cluster.advance(30)
    pod = call(cluster, "GET", "/api/v1/namespaces/default/pods").body["items"][0]
    name = pod["metadata"]["name"]
    log = call(cluster, "GET", f"/api/v1/namespaces/default/pods/{name}/log")
    assert log.status == 200 and log.content_type.startswith("text/plain") and log.text is not None
    wrong = call(cluster, "GET", f"/api/v1/namespaces/default/pods/{name}/log", query={"container": "nope"})
    assert wrong.status == 400
    status = call(cluster, "GET", f"/api/v1/namespaces/default/pods/{name}/status")
    assert status.body["status"]["phase"] == "Running"
    evicted = call(
        cluster,
        "POST",
        f"/api/v1/namespaces/default/pods/{name}/eviction",
        {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name, "namespace": "default"}},
    )
    assert evicted.status == 201 and evicted.body["status"] == "Success"
    again = call(cluster, "GET", f"/api/v1/namespaces/default/pods/{name}")
    assert again.status == 404 or again.body["metadata"].get("deletionTimestamp")


def test_binding_places_a_pod(cluster: Cluster) -> None:
    cluster.scheduler.stop()
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
    }
    assert call(cluster, "POST", "/api/v1/namespaces/default/pods", pod).status == 201
    bound = call(
        cluster,
        "POST",
        "/api/v1/namespaces/default/pods/p/binding",
        {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": "p"},
            "target": {"kind": "Node", "name": "worker-2"},
        },
    )
    assert bound.status == 201, bound.body
    assert call(cluster, "GET", "/api/v1/namespaces/default/pods/p").body["spec"]["nodeName"] == "worker-2"


@pytest.mark.parametrize(
    ("method", "path", "body", "code"),
    [
        ("GET", "/api/v1/widgets", None, 404),
        ("POST", "/api/v1/namespaces/default/pods", ["not", "an", "object"], 400),
        ("POST", "/api/v1/namespaces/default/pods", {"apiVersion": "apps/v1", "kind": "Deployment"}, 400),
        (
            "POST",
            "/api/v1/namespaces/default/pods",
            {"kind": "Pod", "metadata": {"name": "UPPER"}, "spec": {"containers": []}},
            422,
        ),
        (
            "POST",
            "/api/v1/namespaces/default/pods",
            {"kind": "Pod", "metadata": {"name": "x", "namespace": "kube-system"}},
            400,
        ),
        ("PUT", "/apis/apps/v1/namespaces/default/deployments/other", deployment("web"), 400),
        ("PATCH", "/apis/apps/v1/namespaces/default/deployments/web", {"spec": {}}, 415),
        ("POST", "/api/v1/pods", {"kind": "Pod"}, 405),
        ("PUT", "/api/v1/namespaces/default/pods", {"kind": "Pod"}, 405),
        ("GET", "/api/v1/namespaces/default/pods/nope/log", None, 404),
        ("GET", "/api/v1/namespaces/%3Cscript%3E/pods/x", None, 404),
        ("POST", DEPLOYMENTS, deployment(), 422),  # dryRun=Foo below
    ],
)
def test_bad_requests_are_status_errors(
    cluster: Cluster, method: str, path: str, body: Any, code: int
) -> None:
    query = {"dryRun": "Foo"} if code == 422 and body == deployment() else {}
    ctype = "application/json" if method == "PATCH" else ""
    resp = call(cluster, method, path, body, query=query, content_type=ctype)
    assert resp.status == code, resp.body
    assert resp.body["kind"] == "Status" and resp.body["status"] == "Failure" and resp.body["code"] == code
    json.dumps(resp.body)


def test_user_agent_names_the_component() -> None:
    assert component_from_user_agent("kubectl/v1.32.4 (linux/amd64) kubernetes/59526cd") == "kubectl"
    assert component_from_user_agent("kubectl1.32.4/v1.32.4 (linux/amd64)") == "kubectl"
    assert component_from_user_agent("OpenAPI-Generator/37.0.2/python") == "kubernetes-python"
    assert component_from_user_agent("k9s/0.32") == "k9s"
    assert component_from_user_agent("<script>/1") == "kubectl"
    assert component_from_user_agent(None) == "kubectl"


def test_requests_are_audited_as_the_learner(cluster: Cluster) -> None:
    before = cluster.api_calls()[-1].seq
    call(cluster, "POST", DEPLOYMENTS, deployment(), component="k9s")
    mine = [c for c in cluster.api_calls(since=before) if c.actor == "kubernetes-admin"]
    assert [(c.verb, c.resource, c.name, c.component, c.code) for c in mine] == [
        ("create", "deployments", "web", "k9s", 201)
    ]


def test_replaying_logged_writes_rebuilds_the_same_cluster() -> None:
    live = LabRunner("lab", Cluster.from_scenario("default", seed=11))
    log: list[LoggedCommand] = []
    steps: list[tuple[float, ApiRequest]] = [
        (3.0, ApiRequest("POST", DEPLOYMENTS, body=deployment("web", 3))),
        (
            3.0,
            ApiRequest(
                "PATCH",
                DEPLOYMENTS + "/web/scale",
                body={"spec": {"replicas": 4}},
                content_type="application/merge-patch+json",
            ),
        ),
        (
            9.5,
            ApiRequest(
                "POST",
                "/api/v1/namespaces/default/pods",
                body={
                    "kind": "Pod",
                    "metadata": {"generateName": "solo-"},
                    "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
                },
            ),
        ),
        (
            12.0,
            ApiRequest(
                "PATCH",
                "/api/v1/nodes/worker-1",
                body={"spec": {"unschedulable": True}},
                content_type="application/strategic-merge-patch+json",
            ),
        ),
        (12.0, ApiRequest("POST", DEPLOYMENTS, body=deployment("web", 3))),  # refused, logged all the same
        (40.0, ApiRequest("DELETE", DEPLOYMENTS + "/web", body={"propagationPolicy": "Background"})),
    ]
    for at, req in steps:
        if at > live.now:  # as the runner: commands in one instant (paused) have no advance between
            live.cluster.advance(at - live.now)
        resp = dispatch(live.cluster, req)
        assert resp.wrote
        log.append(live.log_applied("api", req.to_log(), "kubeapi:kubectl", live.now))
    live.cluster.advance(120 - live.now)
    rebuilt = LabRunner.from_log("lab", scenario="default", seed=11, commands=log, virtual_time=120.0)
    assert rebuilt.cluster.state() == live.cluster.state()
    assert json.loads(json.dumps([e.args for e in log])) == [e.args for e in log]


HOSTILE_NAMES = ["web", "", "..", "a" * 300, "x/y", "ünï", "<script>", "%00", "$(id)", "web\n"]
HOSTILE_BODIES: list[Any] = [
    None,
    {},
    [],
    "text",
    42,
    {"metadata": "x"},
    {"metadata": {"name": 7}},
    {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": "nope"}},
    {"spec": {"replicas": "three"}},
    {"spec": {"replicas": -1}},
    [{"op": "nonsense"}],
    [{"op": "replace", "path": "/spec/replicas", "value": {"deep": [1, 2]}}],
    {"$patch": "delete"},
    {"metadata": {"labels": {"bad key!": "v"}}},
    {"metadata": {"labels": "x", "annotations": [1], "finalizers": "f", "ownerReferences": [3]}},
    {"spec": "x", "status": "y"},
    {"spec": {"template": "x", "selector": "y", "strategy": 1}},
    {"spec": {"containers": [1], "tolerations": "t", "nodeName": 5, "unschedulable": "yes", "taints": [1]}},
    {"spec": {"template": {"spec": {"containers": [{"name": 1, "image": None, "resources": "r"}]}}}},
    {"target": "x"},
    {"deleteOptions": "x"},
    {"deleteOptions": {"gracePeriodSeconds": "soon", "preconditions": "p"}},
    {"gracePeriodSeconds": "soon", "propagationPolicy": 3, "preconditions": "p"},
    deployment(),
]


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_hostile_requests_never_break_the_server(cluster: Cluster, method: str) -> None:
    call(cluster, "POST", DEPLOYMENTS, deployment())
    paths = [f"{DEPLOYMENTS}/{n}" for n in HOSTILE_NAMES] + [
        DEPLOYMENTS,
        "/api/v1/nodes/worker-1",
        "/api/v1/nodes/worker-1/status",
        f"{DEPLOYMENTS}/web/scale",
        "/api/v1/namespaces/default/pods/x/eviction",
        "/api/v1/namespaces/default/pods/x/binding",
        "/api/v1/namespaces/kube-system/finalize",
        "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/worker-1",
    ]
    content_types = ["application/json", *PATCH_TYPES] if method == "PATCH" else ["application/json"]
    for path in paths:
        for body in HOSTILE_BODIES:
            for ctype in content_types:
                for query in ({}, {"labelSelector": "a in (b"}, {"limit": "-1"}, {"continue": "garbage"}):
                    resp = call(cluster, method, path, body, content_type=ctype, query=query)
                    assert resp.status < 500, (method, path, body, ctype, query, resp.body)
                    if resp.status >= 400:
                        assert resp.body["kind"] == "Status" and resp.body["code"] == resp.status
                    json.dumps(resp.body)


def test_the_decoder_refuses_wrong_types_and_strictly_unknown_fields(cluster: Cluster) -> None:
    typo = deployment()
    typo["spec"]["replicass"] = 3
    strict = call(cluster, "POST", DEPLOYMENTS, typo, query={"fieldValidation": "Strict"})
    assert strict.status == 400
    assert strict.body["message"] == (
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: '
        'unknown field "spec.replicass"'
    )
    assert call(cluster, "GET", DEPLOYMENTS + "/web").status != 200
    lenient = call(cluster, "POST", DEPLOYMENTS, typo, query={"fieldValidation": "Warn"})
    assert lenient.status == 201 and "replicass" not in lenient.body["spec"]
    assert lenient.warnings == ['unknown field "spec.replicass"']
    wrong = deployment("other")
    wrong["spec"]["replicas"] = "three"
    bad = call(cluster, "POST", DEPLOYMENTS, wrong)
    assert bad.status == 400 and "spec.replicas: expected integer" in bad.body["message"]
    patched = call(
        cluster,
        "PATCH",
        DEPLOYMENTS + "/web",
        {"spec": {"template": {"spec": {"containers": "none"}}}},
        content_type="application/merge-patch+json",
    )
    assert (
        patched.status == 400 and "spec.template.spec.containers: expected array" in patched.body["message"]
    )


def test_access_reviews_allow_the_learner(cluster: Cluster) -> None:
    path = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
    review = {"spec": {"resourceAttributes": {"verb": "create", "resource": "pods", "namespace": "default"}}}
    answer = call(cluster, "POST", path, review)
    assert answer.status == 201 and answer.body["status"]["allowed"] is True and not answer.wrote
    assert answer.body["status"]["reason"] == (
        'RBAC: allowed by ClusterRoleBinding "kubeadm:cluster-admins" of ClusterRole "cluster-admin" '
        'to Group "kubeadm:cluster-admins"'
    )
    empty = call(cluster, "POST", path, {"spec": {}})
    assert (empty.status, empty.body["message"]) == (
        422,
        'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: '
        '"null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
    )
    assert call(cluster, "GET", path).status == 405
    who = call(cluster, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {})
    assert who.body["status"]["userInfo"]["username"] == "kubernetes-admin"


DRY = {"dryRun": "All"}


def test_dry_run_writes_answer_as_real_ones_and_are_not_logged(cluster: Cluster) -> None:
    created = call(cluster, "POST", DEPLOYMENTS, deployment(), query=DRY)
    assert created.status == 201 and not created.wrote
    assert created.body["metadata"]["uid"] and "resourceVersion" not in created.body["metadata"]
    assert call(cluster, "GET", DEPLOYMENTS + "/web").status == 404
    assert call(cluster, "POST", DEPLOYMENTS, deployment()).wrote
    rv = call(cluster, "GET", DEPLOYMENTS + "/web").body["metadata"]["resourceVersion"]
    changes = [
        ("PUT", DEPLOYMENTS + "/web", deployment(replicas=5), ""),
        ("PATCH", DEPLOYMENTS + "/web", {"spec": {"replicas": 5}}, "application/merge-patch+json"),
        ("PATCH", DEPLOYMENTS + "/web/scale", {"spec": {"replicas": 5}}, "application/merge-patch+json"),
        ("PUT", DEPLOYMENTS + "/web/scale", {"spec": {"replicas": 5}, "metadata": {"name": "web"}}, ""),
        ("PATCH", DEPLOYMENTS + "/web", deployment(replicas=5), "application/apply-patch+yaml"),
    ]
    for method, path, body, ctype in changes:
        query = {**DRY, "fieldManager": "kubectl", "force": "true"}
        if "force" in query and ctype != "application/apply-patch+yaml":
            del query["force"]
        resp = call(cluster, method, path, body, query=query, content_type=ctype)
        assert resp.status == 200 and not resp.wrote, (method, path, resp.body)
        assert resp.body["spec"]["replicas"] == 5
    deleted = call(cluster, "DELETE", DEPLOYMENTS + "/web", {"dryRun": ["All"]})
    assert deleted.status == 200 and not deleted.wrote
    live = call(cluster, "GET", DEPLOYMENTS + "/web").body
    assert (live["spec"]["replicas"], live["metadata"]["resourceVersion"]) == (2, rv)
    gone = call(cluster, "DELETE", DEPLOYMENTS, query=DRY)
    assert [d["metadata"]["name"] for d in gone.body["items"]] == ["web"] and not gone.wrote
    assert call(cluster, "GET", DEPLOYMENTS + "/web").status == 200


@pytest.mark.parametrize(
    ("method", "path", "options"),
    [
        ("POST", DEPLOYMENTS, "CreateOptions"),
        ("PUT", DEPLOYMENTS + "/web", "UpdateOptions"),
        ("PATCH", DEPLOYMENTS + "/web", "PatchOptions"),
        ("DELETE", DEPLOYMENTS + "/web", "DeleteOptions"),
    ],
)
def test_an_unknown_dry_run_value_is_refused_on_the_options(
    cluster: Cluster, method: str, path: str, options: str
) -> None:
    call(cluster, "POST", DEPLOYMENTS, deployment())
    body = deployment() if method in ("POST", "PUT") else {"spec": {}} if method == "PATCH" else None
    ctype = "application/merge-patch+json" if method == "PATCH" else ""
    resp = call(cluster, method, path, body, query={"dryRun": "true"}, content_type=ctype)
    assert resp.status == 422 and not resp.wrote
    assert resp.body["message"] == (
        f'{options}.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{{"true"}}: '
        'supported values: "All"'
    )


def test_log_options_are_checked_as_kube_apiserver_checks_them(cluster: Cluster) -> None:
    call(cluster, "POST", DEPLOYMENTS, deployment(replicas=1))
    cluster.advance(30)
    pod = call(cluster, "GET", "/api/v1/namespaces/default/pods").body["items"][0]["metadata"]["name"]
    path = f"/api/v1/namespaces/default/pods/{pod}/log"
    zero = call(cluster, "GET", path, query={"limitBytes": "0"})
    assert zero.status == 422
    assert (
        zero.body["message"]
        == f'PodLogOptions "{pod}" is invalid: limitBytes: Invalid value: 0: must be greater than 0'
    )
    assert call(cluster, "GET", path, query={"sinceTime": "yesterday"}).status == 400
    whole = call(cluster, "GET", path).text or ""
    assert len(whole) > 7
    assert call(cluster, "GET", path, query={"limitBytes": "7"}).text == whole[:7]
    assert call(cluster, "GET", path, query={"follow": "true"}).text == whole  # in process: what is there
