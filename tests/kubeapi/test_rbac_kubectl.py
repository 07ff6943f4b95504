"""Real kubectl against a lab's API: who is asking, as RBAC decides it. `--as` impersonates
(the lab's admin may), `auth can-i` asks the authorizers, a denial is kube-apiserver's own
Forbidden, escalation is refused in RBAC's words, and the RBAC kinds print as kubectl prints
them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.kubeapi.kubectl_cli import Kubectl, columns, kubectl_for_new_lab
from tests.live_server import LiveServer

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")

SA = "system:serviceaccount:default:default"


@pytest.fixture(scope="module")
def kubectl(live_server_process: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    yield kubectl_for_new_lab(live_server_process, tmp_path_factory, "rbac-user")


def test_the_admin_can_do_anything_and_says_why(kubectl: Kubectl) -> None:
    assert kubectl.out("auth", "can-i", "create", "deployments").strip() == "yes"
    assert kubectl.out("auth", "can-i", "*", "*").strip() == "yes"
    who = kubectl.out("auth", "whoami", "-o", "jsonpath={.status.userInfo.groups}")
    assert who == '["kubeadm:cluster-admins","system:authenticated"]'


def test_a_service_account_may_not_list_pods(kubectl: Kubectl) -> None:
    done = kubectl("auth", "can-i", "list", "pods", f"--as={SA}", ok=False)
    assert (done.returncode, done.stdout.strip()) == (1, "no")
    assert kubectl.out("auth", "can-i", "create", "selfsubjectaccessreviews", f"--as={SA}").strip() == "yes"


def test_a_stranger_gets_the_real_forbidden(kubectl: Kubectl) -> None:
    done = kubectl("get", "pods", "--as=jane", ok=False)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        'Error from server (Forbidden): pods is forbidden: User "jane" cannot list resource "pods" '
        'in API group "" in the namespace "default"'
    )
    done = kubectl("get", "node", "worker-1", "--as=jane", ok=False)
    assert done.stderr.strip() == (
        'Error from server (Forbidden): nodes "worker-1" is forbidden: User "jane" cannot get resource '
        '"nodes" in API group "" at the cluster scope'
    )


def test_a_role_and_binding_grant_exactly_what_they_say(kubectl: Kubectl) -> None:
    kubectl("create", "role", "pod-reader", "--verb=get,list,watch", "--resource=pods")
    kubectl("create", "rolebinding", "jane-reads", "--role=pod-reader", "--user=jane")
    assert kubectl.out("auth", "can-i", "list", "pods", "--as=jane").strip() == "yes"
    done = kubectl("auth", "can-i", "delete", "pods", "--as=jane", ok=False)
    assert done.stdout.strip() == "no"
    done = kubectl("auth", "can-i", "list", "pods", "-n", "kube-system", "--as=jane", ok=False)
    assert done.stdout.strip() == "no"
    kubectl.out("get", "pods", "--as=jane")
    table = columns(kubectl.out("get", "rolebindings", "-o", "wide"))
    assert table[0] == ["NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"]
    assert table[1][:2] == ["jane-reads", "Role/pod-reader"] and table[1][3] == "jane"
    assert columns(kubectl.out("get", "roles"))[0] == ["NAME", "CREATED", "AT"]


def test_escalation_is_refused_in_rbacs_words(kubectl: Kubectl) -> None:
    kubectl("create", "role", "role-maker", "--verb=create,get", "--resource=roles.rbac.authorization.k8s.io")
    kubectl("create", "rolebinding", "bob-makes-roles", "--role=role-maker", "--user=bob")
    done = kubectl("create", "role", "deleter", "--verb=delete", "--resource=pods", "--as=bob", ok=False)
    assert done.stderr.strip() == (
        'Error from server (Forbidden): roles.rbac.authorization.k8s.io "deleter" is forbidden: user "bob" '
        '(groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n'
        '{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}'
    )


def test_a_binding_cannot_change_its_role(kubectl: Kubectl) -> None:
    kubectl("create", "clusterrolebinding", "ops-view", "--clusterrole=view", "--group=ops")
    done = kubectl("patch", "clusterrolebinding", "ops-view", "-p", '{"roleRef":{"name":"edit"}}', ok=False)
    assert "cannot change roleRef" in done.stderr
    wide = columns(kubectl.out("get", "clusterrolebinding", "ops-view", "-o", "wide"))
    assert wide[1][:2] == ["ops-view", "ClusterRole/view"] and wide[1][-1] == "ops"


CONSOLE_LINES = [
    "auth can-i list pods",
    f"auth can-i list pods --as={SA}",
    "auth can-i get nodes -A --as=nobody",
    "auth can-i get pods/log --as=nobody -n kube-system",
    "auth can-i list widgets",
    "auth can-i get /healthz --as=nobody",
    "auth can-i get /metrics --as=nobody",
    "auth can-i create deployments.apps -q --as=nobody",
    "auth can-i list",
    "auth whoami",
    "auth whoami --as=nobody --as-group=dev --as-group=qa",
    "get pods --as=nobody",
    "get deploy metrics-server -n kube-system --as=nobody",
]


@pytest.mark.parametrize("line", CONSOLE_LINES)
def test_the_console_answers_as_real_kubectl(kubectl: Kubectl, line: str) -> None:
    """Console and real kubectl print the same for these (they depend on the bootstrap policy
    only, and `nobody` is granted nothing by the other tests)."""
    from clusterlab.engine import Cluster
    from clusterlab.kubeapi.inprocess import DispatchTransport
    from clusterlab.kubectl import run

    real = kubectl(*line.split(), ok=False)
    cluster = Cluster(seed=7)
    cluster.advance(2)
    mine = run("kubectl " + line, DispatchTransport(cluster))
    assert (mine.stdout, mine.stderr, mine.exit_code) == (real.stdout, real.stderr, real.returncode)
