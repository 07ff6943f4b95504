"""The authorizers and RBAC's escalation checks, table-driven in the style of Kubernetes' own
RBAC tests: rule matching, subjects and implicit groups, the bootstrap policy, aggregation,
Forbidden wording, escalation, and the facade's narrower learner."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.audit import User
from clusterlab.engine.errors import Forbidden, Invalid
from clusterlab.engine.rbac import Attributes, compact_string, forbidden, groups_of, rule_allows
from clusterlab.engine.rbac_policy import rule

Obj = dict[str, Any]


def attrs(
    verb: str, resource: str, group: str = "", ns: str = "default", name: str = "", sub: str = ""
) -> Attributes:
    return Attributes("jane", ("system:authenticated",), verb, group, resource, sub, ns, name)


@pytest.mark.parametrize(
    ("policy", "request_attrs", "allowed"),
    [
        (rule("get", "", "pods"), attrs("get", "pods"), True),
        (rule("get", "", "pods"), attrs("list", "pods"), False),
        (rule("*", "", "pods"), attrs("deletecollection", "pods"), True),
        (rule("get", "", "pods"), attrs("get", "pods", sub="log"), False),
        (rule("get", "", "pods/log"), attrs("get", "pods", sub="log"), True),
        (rule("get", "", "*/log"), attrs("get", "pods", sub="log"), True),
        (rule("get", "", "*"), attrs("get", "pods", sub="log"), True),
        (rule("get", "apps", "deployments"), attrs("get", "deployments"), False),
        (rule("get", "apps", "deployments"), attrs("get", "deployments", "apps"), True),
        (rule("get", "*", "deployments"), attrs("get", "deployments", "apps"), True),
        (rule("get", "", "pods", ("web",)), attrs("get", "pods", name="web"), True),
        (rule("get", "", "pods", ("web",)), attrs("get", "pods", name="db"), False),
        (rule("list", "", "pods", ("web",)), attrs("list", "pods"), False),
        ({"nonResourceURLs": ["/healthz"], "verbs": ["get"]}, attrs("get", "pods"), False),
    ],
)
def test_rule_matching(policy: Obj, request_attrs: Attributes, allowed: bool) -> None:
    assert rule_allows(request_attrs, policy) is allowed


@pytest.mark.parametrize(
    ("urls", "path", "allowed"),
    [
        (["/healthz"], "/healthz", True),
        (["/apis/*"], "/apis/apps/v1", True),
        (["/api"], "/apis", False),
        (["*"], "/x", True),
    ],
)
def test_non_resource_urls(urls: list[str], path: str, allowed: bool) -> None:
    a = Attributes("jane", ("system:authenticated",), "get", path=path)
    assert rule_allows(a, {"nonResourceURLs": urls, "verbs": ["get"]}) is allowed


@pytest.mark.parametrize(
    ("user", "groups"),
    [
        (User("kubernetes-admin", "kubectl"), ("kubeadm:cluster-admins", "system:authenticated")),
        (
            User("system:serviceaccount:dev:builder", "x"),
            ("system:serviceaccounts", "system:serviceaccounts:dev", "system:authenticated"),
        ),
        (User("system:node:worker-1", "kubelet"), ("system:nodes", "system:authenticated")),
        (User("jane", "kubectl"), ("system:authenticated",)),
        (User("jane", "kubectl", ("dev",)), ("dev", "system:authenticated")),
    ],
)
def test_groups_as_the_authenticators_give_them(user: User, groups: tuple[str, ...]) -> None:
    assert groups_of(user) == groups


def test_forbidden_is_worded_as_kube_apiserver_words_it() -> None:
    cases = [
        (
            attrs("list", "pods"),
            'pods is forbidden: User "jane" cannot list resource "pods" in API group "" '
            'in the namespace "default"',
        ),
        (
            attrs("get", "deployments", "apps", name="web"),
            'deployments.apps "web" is forbidden: User "jane" cannot get resource "deployments" in API group '
            '"apps" in the namespace "default"',
        ),
        (
            attrs("get", "nodes", ns="", name="worker-1"),
            'nodes "worker-1" is forbidden: User "jane" cannot get resource "nodes" in API group "" '
            "at the cluster scope",
        ),
        (
            attrs("get", "pods", name="web", sub="log"),
            'pods "web" is forbidden: User "jane" cannot get resource "pods/log" in API group "" '
            'in the namespace "default"',
        ),
        (
            Attributes("jane", (), "get", path="/metrics"),
            'forbidden: User "jane" cannot get path "/metrics"',
        ),
    ]
    for a, message in cases:
        assert forbidden(a).message == message
    assert forbidden(attrs("get", "deployments", "apps", name="web")).status()["details"] == {
        "name": "web",
        "group": "apps",
        "kind": "deployments",
    }


@pytest.fixture(scope="module")
def cluster() -> Cluster:
    c = Cluster(seed=3)
    c.apply(
        """
apiVersion: v1
kind: Namespace
metadata: {name: dev}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: dev}
rules:
- apiGroups: [""]
  resources: [pods, pods/log]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: readers, namespace: dev}
subjects:
- {kind: User, name: jane}
- {kind: Group, name: auditors}
- {kind: ServiceAccount, name: builder}
roleRef: {kind: Role, name: pod-reader}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dangling, namespace: dev}
subjects: [{kind: User, name: ghost}]
roleRef: {kind: ClusterRole, name: no-such-role}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ops-view}
subjects: [{kind: Group, name: ops}]
roleRef: {kind: ClusterRole, name: view}
"""
    )
    c.advance(1)
    return c


def decide(
    c: Cluster, user: str, groups: tuple[str, ...], verb: str, resource: str, **kw: str
) -> tuple[bool, str]:
    a = Attributes(
        user,
        groups_of(User(user, "test", groups)),
        verb,
        kw.get("group", ""),
        resource,
        kw.get("sub", ""),
        kw.get("ns", ""),
        kw.get("name", ""),
    )
    return c.server.authorizer.authorize(a)


@pytest.mark.parametrize(
    ("user", "groups", "verb", "resource", "kw", "allowed"),
    [
        ("kubernetes-admin", (), "delete", "nodes", {}, True),
        ("jane", (), "list", "pods", {"ns": "dev"}, True),
        ("jane", (), "get", "pods", {"ns": "dev", "sub": "log", "name": "x"}, True),
        ("jane", (), "list", "pods", {"ns": "default"}, False),
        ("jane", (), "list", "pods", {}, False),
        ("jane", (), "delete", "pods", {"ns": "dev"}, False),
        ("bob", ("auditors",), "watch", "pods", {"ns": "dev"}, True),
        ("system:serviceaccount:dev:builder", (), "get", "pods", {"ns": "dev"}, True),
        ("system:serviceaccount:default:builder", (), "get", "pods", {"ns": "dev"}, False),
        ("system:serviceaccount:default:default", (), "list", "pods", {"ns": "default"}, False),
        ("anyone", (), "create", "selfsubjectaccessreviews", {"group": "authorization.k8s.io"}, True),
        ("carol", ("ops",), "list", "deployments", {"group": "apps", "ns": "kube-system"}, True),
        ("carol", ("ops",), "get", "secrets", {"ns": "kube-system"}, False),
        ("carol", ("ops",), "update", "deployments", {"group": "apps", "ns": "kube-system"}, False),
        ("system:node:worker-1", (), "update", "pods", {"ns": "dev", "sub": "status"}, True),
        ("system:node:worker-1", (), "delete", "nodes", {}, False),
        ("system:kube-scheduler", (), "create", "pods", {"ns": "dev", "sub": "binding"}, True),
        ("system:kube-scheduler", (), "create", "pods", {"ns": "dev"}, False),
        (
            "system:serviceaccount:kube-system:replicaset-controller",
            (),
            "create",
            "pods",
            {"ns": "dev"},
            True,
        ),
        ("system:serviceaccount:kube-system:replicaset-controller", (), "get", "pods", {"ns": "dev"}, False),
    ],
)
def test_who_may_do_what(
    cluster: Cluster,
    user: str,
    groups: tuple[str, ...],
    verb: str,
    resource: str,
    kw: dict[str, str],
    allowed: bool,
) -> None:
    assert decide(cluster, user, groups, verb, resource, **kw)[0] is allowed


def test_reasons_say_which_binding_allowed_and_which_role_is_missing(cluster: Cluster) -> None:
    assert decide(cluster, "kubernetes-admin", (), "get", "pods", ns="dev") == (
        True,
        'RBAC: allowed by ClusterRoleBinding "kubeadm:cluster-admins" of ClusterRole "cluster-admin" '
        'to Group "kubeadm:cluster-admins"',
    )
    assert decide(cluster, "system:serviceaccount:dev:builder", (), "get", "pods", ns="dev") == (
        True,
        'RBAC: allowed by RoleBinding "readers/dev" of Role "pod-reader" to ServiceAccount "builder/dev"',
    )
    assert decide(cluster, "ghost", (), "get", "pods", ns="dev") == (
        False,
        'RBAC: clusterrole.rbac.authorization.k8s.io "no-such-role" not found',
    )


def test_the_aggregation_controller_builds_admin_edit_and_view(cluster: Cluster) -> None:
    view = cluster.get("clusterrole", "view", None)["rules"]
    edit = cluster.get("clusterrole", "edit", None)["rules"]
    admin = cluster.get("clusterrole", "admin", None)["rules"]
    assert rule(("get", "list", "watch"), "", "namespaces") in view
    assert all(r in edit for r in view) and all(r in admin for r in edit)
    assert (
        rule("impersonate", "", "serviceaccounts") in edit
        and rule("impersonate", "", "serviceaccounts") not in view
    )
    assert any("rolebindings" in r.get("resources", []) for r in admin)
    assert not any("rolebindings" in r.get("resources", []) for r in edit)
    # metrics-server's aggregated reader joins all three
    metrics = rule(("get", "list", "watch"), "metrics.k8s.io", ("nodes", "pods"))
    assert all({**metrics, "resources": ["pods", "nodes"]} in roles for roles in (view, edit, admin))


def test_aggregation_follows_a_new_labelled_role_and_the_cache_follows_rbac_writes() -> None:
    c = Cluster(seed=5)
    c.apply(
        """
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: dana-view}
subjects: [{kind: User, name: dana}]
roleRef: {kind: ClusterRole, name: view}
"""
    )
    c.advance(1)
    assert decide(c, "dana", (), "list", "widgets", group="example.com", ns="default")[0] is False
    c.apply(
        """
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: widget-viewer
  labels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}
rules: [{apiGroups: [example.com], resources: [widgets], verbs: [get, list, watch]}]
"""
    )
    c.advance(1)
    assert decide(c, "dana", (), "list", "widgets", group="example.com", ns="default")[0] is True
    c.delete("clusterrolebinding", "dana-view", None)
    assert decide(c, "dana", (), "list", "widgets", group="example.com", ns="default")[0] is False


def test_escalation_is_refused_and_bind_or_escalate_lift_it() -> None:
    c = Cluster(seed=2)
    c.advance(1)  # the aggregation controller has filled `admin`
    c.apply(
        """
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: rbac-writer, namespace: default}
rules:
- apiGroups: [rbac.authorization.k8s.io]
  resources: [roles, rolebindings]
  verbs: [create, get, update]
- apiGroups: [""]
  resources: [pods]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bob-writes, namespace: default}
subjects: [{kind: User, name: bob}]
roleRef: {kind: Role, name: rbac-writer}
"""
    )
    c.act_as("bob")
    reader = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "reader", "namespace": "default"},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
    }
    c.apply(reader)  # holds get pods: fine
    deleter = {**reader, "metadata": {"name": "deleter", "namespace": "default"}}
    deleter["rules"] = [
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "delete", "patch"]},
        {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get"]},
    ]
    with pytest.raises(Forbidden) as err:
        c.apply(deleter)
    assert err.value.message == (
        'roles.rbac.authorization.k8s.io "deleter" is forbidden: user "bob" '
        '(groups=["system:authenticated"]) '
        "is attempting to grant RBAC permissions not currently held:\n"
        '{APIGroups:[""], Resources:["pods"], Verbs:["delete" "patch"]}\n'
        '{APIGroups:["apps"], Resources:["deployments"], Verbs:["get"]}'
    )
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "give-admin", "namespace": "default"},
        "subjects": [{"kind": "User", "name": "bob"}],
        "roleRef": {"kind": "ClusterRole", "name": "admin"},
    }
    with pytest.raises(Forbidden) as err:
        c.apply(binding)
    assert err.value.message.startswith(
        'rolebindings.rbac.authorization.k8s.io "give-admin" is forbidden: user "bob" '
        '(groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n'
    )
    c.act_as()
    c.apply(
        """
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: bind-admin}
rules:
- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind], resourceNames: [admin]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bob-binds, namespace: default}
subjects: [{kind: User, name: bob}]
roleRef: {kind: ClusterRole, name: bind-admin}
"""
    )
    c.act_as("bob")
    c.apply(binding)  # may bind `admin` now, without holding it
    c.apply(deleter)  # ... and through it now holds what `deleter` grants


def test_the_learner_can_be_narrowed_and_restored() -> None:
    c = Cluster(seed=4)
    c.act_as("jane", ["dev"])
    with pytest.raises(Forbidden) as err:
        c.list("pods", namespace="default")
    assert err.value.message == (
        'pods is forbidden: User "jane" cannot list resource "pods" in API group "" '
        'in the namespace "default"'
    )
    assert c.api_calls()[-1].code == 403 and c.api_calls()[-1].actor == "jane"
    c.act_as()
    assert c.list("pods", namespace="default") == []


def test_rbac_objects_are_validated_as_the_api_server_validates_them() -> None:
    c = Cluster(seed=1)
    cases = [
        (
            {
                "kind": "Role",
                "metadata": {"name": "r"},
                "rules": [{"apiGroups": [""], "resources": ["pods"]}],
            },
            'Role.rbac.authorization.k8s.io "r" is invalid: rules[0].verbs: Required value: '
            "verbs must contain "
            "at least one value",
        ),
        (
            {
                "kind": "Role",
                "metadata": {"name": "r"},
                "rules": [{"nonResourceURLs": ["/x"], "verbs": ["get"]}],
            },
            'Role.rbac.authorization.k8s.io "r" is invalid: rules[0].nonResourceURLs: Invalid value: '
            '[]string{"/x"}: namespaced rules cannot apply to non-resource URLs',
        ),
        (
            {
                "kind": "RoleBinding",
                "metadata": {"name": "b"},
                "roleRef": {"kind": "Pod", "name": "x"},
                "subjects": [],
            },
            'RoleBinding.rbac.authorization.k8s.io "b" is invalid: roleRef.kind: Unsupported value: "Pod": '
            'supported values: "Role", "ClusterRole"',
        ),
        (
            {
                "kind": "ClusterRoleBinding",
                "metadata": {"name": "b"},
                "roleRef": {"kind": "ClusterRole", "name": "view"},
                "subjects": [{"kind": "ServiceAccount", "name": "x"}],
            },
            'ClusterRoleBinding.rbac.authorization.k8s.io "b" is invalid: '
            "subjects[0].namespace: Required value",
        ),
    ]
    for obj, message in cases:
        with pytest.raises(Invalid) as err:
            c.apply({"apiVersion": "rbac.authorization.k8s.io/v1", **obj})
        assert err.value.message == message
    c.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "b"},
            "roleRef": {"kind": "ClusterRole", "name": "view"},
            "subjects": [{"kind": "User", "name": "jane"}],
        }
    )
    stored = c.get("rolebinding", "b")
    assert stored["roleRef"]["apiGroup"] == stored["subjects"][0]["apiGroup"] == "rbac.authorization.k8s.io"
    stored["roleRef"]["name"] = "edit"
    with pytest.raises(Invalid) as err:
        c.update(stored)
    assert err.value.message == (
        'RoleBinding.rbac.authorization.k8s.io "b" is invalid: roleRef: Invalid value: '
        'rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"edit"}: '
        "cannot change roleRef"
    )


def test_compact_string_matches_rbacs_helper() -> None:
    assert compact_string(
        {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list"]}
    ) == ('{APIGroups:["apps"], Resources:["deployments"], Verbs:["get" "list"]}')
    assert compact_string({"nonResourceURLs": ["/healthz"], "verbs": ["get"]}) == (
        '{NonResourceURLs:["/healthz"], Verbs:["get"]}'
    )


def test_a_decision_is_shared_across_names_only_while_no_rule_names_objects() -> None:
    """The authorizer answers once for every object name while no applicable rule lists
    resourceNames; a Role that does makes each name count again."""
    c = Cluster()
    c.advance(5)
    c.apply(
        [
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role",
                "metadata": {"name": "reader", "namespace": "default"},
                "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}],
            },
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": "jane-reads", "namespace": "default"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
                "subjects": [{"kind": "User", "name": "jane", "apiGroup": "rbac.authorization.k8s.io"}],
            },
        ]
    )
    authz = c.server.authorizer

    def ask(name: str) -> bool:
        groups = ("system:authenticated",)
        return authz.authorize(Attributes("jane", groups, "get", "", "configmaps", "", "default", name))[0]

    assert ask("a") and ask("b")
    general = Attributes("jane", ("system:authenticated",), "get", "", "configmaps", "", "default")
    assert not authz.names_matter(general)
    role = c.get("role", "reader")
    role["rules"] = [
        {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"], "resourceNames": ["a"]}
    ]
    c.update(role)
    assert authz.names_matter(general)
    assert not authz.names_matter(replace(general, verb="list"))  # no rule for it names objects
    assert ask("a") and not ask("b")
