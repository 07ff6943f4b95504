"""Versions, joining nodes and cluster upgrades as kubeadm runs them: the version-skew refusals in
kubeadm's words, the control plane upgraded component by component, the VERSION column changing
node by node, and the failures real upgrades meet (a drain a PodDisruptionBudget holds up, a
kubelet that does not come back). Exact timelines on the virtual clock."""

from __future__ import annotations

from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.errors import BadRequest, ServiceUnavailable
from clusterlab.engine.printers import node_status
from clusterlab.engine.tables import to_table
from clusterlab.engine.versions import UpgradeRefused

from .conftest import web
from .test_tables import render

POLL = 0.5  # kubeadm and the procedure poll every half second


def versions(c: Cluster) -> dict[str, str]:
    return {n["metadata"]["name"]: n["status"]["nodeInfo"]["kubeletVersion"] for n in c.observe("nodes")}


def images(c: Cluster, node: str = "control-plane") -> dict[str, str]:
    out = {}
    for p in c.observe("pods", "kube-system"):
        if p["spec"].get("nodeName") == node and "kubernetes.io/config.mirror" in p["metadata"].get(
            "annotations", {}
        ):
            out[p["metadata"]["labels"]["component"]] = p["spec"]["containers"][0]["image"].rsplit(":", 1)[1]
    return out


def log_at(proc: Any, line: str) -> float:
    return next(t for t, text in proc.log if text == line)


# -- versions and joining -----------------------------------------------------------------------


def test_nodes_and_control_plane_report_their_versions() -> None:
    c = Cluster()
    c.advance(1)
    assert c.version == "v1.32.0"
    assert versions(c) == {n: "v1.32.0" for n in ("control-plane", "worker-1", "worker-2", "worker-3")}
    node = c.get("node", "worker-1", None)
    assert node["status"]["nodeInfo"]["kubeProxyVersion"] == "v1.32.0"
    assert images(c) == {
        "etcd": "3.5.16-0",
        "kube-apiserver": "v1.32.0",
        "kube-controller-manager": "v1.32.0",
        "kube-scheduler": "v1.32.0",
    }
    assert c.component_version("kube-apiserver", "control-plane") == "v1.32.0"


def test_a_joining_node_is_not_ready_until_its_network_plugin_is_up() -> None:
    c = Cluster()
    c.advance(1)
    c.add_node("worker-4")
    ready = [x for x in c.get("node", "worker-4", None)["status"]["conditions"] if x["type"] == "Ready"]
    assert [(r["status"], r["reason"]) for r in ready] == [("False", "KubeletNotReady")]
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "early"},
            "spec": {"nodeName": "worker-4", "containers": [{"name": "c", "image": "nginx:1.27"}]},
        }
    )
    c.advance(3)
    (warning,) = [e for e in c.events() if e["reason"] == "NetworkNotReady"]
    assert warning["message"] == (
        "network is not ready: container runtime network not ready: NetworkReady=false "
        "reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized"
    )
    assert c.get("pod", "early")["status"].get("podIP") is None
    c.advance(3)  # 6 s after joining: the CNI is set up, the node Ready, the pod gets its sandbox
    assert node_status(c.get("node", "worker-4", None)) == "Ready"
    c.advance(5)  # sandbox, then nginx is pulled: the new node has no images yet
    assert c.get("pod", "early")["status"]["phase"] == "Running"
    assert c.get("pod", "early")["status"]["podIP"] == "10.244.4.2"


def test_join_checks_the_kubelet_version_against_the_control_plane() -> None:
    c = Cluster()
    with pytest.raises(UpgradeRefused) as exc:
        c.add_node("worker-4", version="v1.33.0")
    assert exc.value.message == (
        "error execution phase preflight: [preflight] Some fatal errors occurred:\n"
        "\t[ERROR KubeletVersion]: the kubelet version is higher than the control plane version. This is not "
        'a supported version skew and may lead to a malfunctional cluster. Kubelet version: "1.33.0" Control '
        'plane version: "1.32.0"\n'
        "[preflight] If you know what you are doing, you can make a check non-fatal with "
        "`--ignore-preflight-errors=...`"
    )
    with pytest.raises(UpgradeRefused) as exc:
        c.add_node("worker-4", version="v1.28.0")
    too_old = '[ERROR KubeletVersion]: Kubelet version "1.28.0" is lower than kubeadm can support.'
    assert f"{too_old} Please upgrade kubelet\n" in exc.value.message
    c.add_node("worker-4", version="v1.29.0")  # three minors older: supported
    c.advance(7)
    assert versions(c)["worker-4"] == "v1.29.0"


# -- kubeadm's version policy --------------------------------------------------------------------


def test_kubeadm_upgrades_one_minor_at_a_time() -> None:
    c = Cluster()
    with pytest.raises(UpgradeRefused) as exc:
        c.upgrade_control_plane("v1.34.0")
    assert exc.value.message == (
        "[upgrade/version] FATAL: the --version argument is invalid due to these fatal errors:\n\n"
        '\t- Specified version to upgrade to "v1.34.0" is too high; kubeadm can upgrade only 1 minor version '
        "at a time\n\n"
        "Please fix the misalignments highlighted above and try upgrading again"
    )
    with pytest.raises(UpgradeRefused) as exc:
        c.upgrade_control_plane("v1.29.0")
    assert (
        '\t- Specified version to downgrade to "v1.29.0" is too low; kubeadm can downgrade only 1 minor '
        "version at a time\n" in exc.value.message
    )
    assert c.version == "v1.32.0" and c.procedures == []


def test_a_kubelet_too_far_behind_blocks_the_upgrade_unless_forced() -> None:
    c = Cluster()
    c.add_node("worker-4", version="v1.29.0")
    with pytest.raises(UpgradeRefused) as exc:
        c.upgrade_control_plane("v1.33.0")
    assert exc.value.message == (
        "[upgrade/version] FATAL: the --version argument is invalid due to these errors:\n\n"
        "\t- There are kubelets in this cluster that are too old that have these versions [v1.29.0]\n\n"
        "Can be bypassed if you pass the --force flag"
    )
    proc = c.upgrade_control_plane("v1.33.0", force=True)
    c.advance(30)
    assert proc.done and c.version == "v1.33.0"


def test_a_kubelet_may_not_be_newer_than_the_api_server() -> None:
    c = Cluster()
    with pytest.raises(UpgradeRefused) as exc:
        c.upgrade_kubelet("worker-1", "v1.33.0")
    assert (
        "[ERROR KubeletVersion]: the kubelet version is higher than the control plane version."
        in exc.value.message
    )
    assert 'Kubelet version: "1.33.0" Control plane version: "1.32.0"' in exc.value.message
    assert versions(c)["worker-1"] == "v1.32.0"


def test_unknown_versions_are_refused() -> None:
    c = Cluster()
    with pytest.raises(BadRequest) as exc:
        c.upgrade_control_plane("v1.40.0")
    assert exc.value.message.startswith("no Kubernetes release v1.40.0 in this lab's package repository")


# -- the control plane ---------------------------------------------------------------------------


def test_kubeadm_upgrade_apply_restarts_each_component_in_turn() -> None:
    c = Cluster()
    c.advance(10)
    proc = c.upgrade_control_plane("v1.33.0")
    assert proc.log[:6] == [
        (
            10.0,
            '[upgrade] Reading configuration from the "kubeadm-config" ConfigMap in namespace '
            '"kube-system"...',
        ),
        (10.0, '[upgrade/version] You have chosen to upgrade to version "v1.33.0"'),
        (10.0, "[upgrade/versions] Cluster version: v1.32.0"),
        (10.0, "[upgrade/versions] kubeadm version: v1.33.0"),
        (10.0, "[upgrade/prepull] Pulling images required for setting up a Kubernetes cluster"),
        (10.0, '[upgrade/staticpods] Preparing for "kube-apiserver" upgrade to "v1.33.0"'),
    ]
    # The single API server restarts: nothing answers for its container start + readiness.
    with pytest.raises(ServiceUnavailable):
        c.list("nodes")
    c.advance(5.79)
    with pytest.raises(ServiceUnavailable):
        c.list("nodes")
    c.advance(0.01)
    c.list("nodes")
    c.advance(20)
    assert proc.done and proc.failed is None
    upgraded = {
        name: log_at(proc, f'[upgrade/staticpods] Component "{name}" upgraded successfully!')
        for name in ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
    }
    # kubeadm goes on once the new mirror pod runs: the API server's is published at the
    # kubelet's next status sync after the API is back (t=20); the others a second after restart.
    assert upgraded == {"kube-apiserver": 21.0, "kube-controller-manager": 23.0, "kube-scheduler": 25.0}
    assert (
        log_at(proc, '[upgrade] SUCCESS! A control plane node of your cluster was upgraded to "v1.33.0".')
        == 25.0
    )
    assert c.version == "v1.33.0"
    assert images(c) == {
        "etcd": "3.5.16-0",
        "kube-apiserver": "v1.33.0",
        "kube-controller-manager": "v1.33.0",
        "kube-scheduler": "v1.33.0",
    }
    # The kubelets are untouched: the VERSION column still says v1.32.0 everywhere.
    assert set(versions(c).values()) == {"v1.32.0"}


def test_ha_control_plane_is_upgraded_one_node_at_a_time_and_keeps_serving() -> None:
    c = Cluster.from_scenario("ha", seed=7)
    c.advance(10)
    with pytest.raises(UpgradeRefused) as exc:
        c.upgrade_control_plane("v1.33.0", node="control-plane-2")
    assert exc.value.message == (
        'kubeadm upgrade node upgrades "control-plane-2" to the cluster\'s version v1.32.0: run '
        '"kubeadm upgrade apply v1.33.0" on control-plane-1 first'
    )
    first = c.upgrade_control_plane("v1.33.0")
    with pytest.raises(Exception, match="still running"):
        c.upgrade_control_plane("v1.33.0", node="control-plane-2")
    while first.running:
        c.advance(0.5)
        c.list("nodes")  # the other two API servers answer throughout
    assert images(c, "control-plane-1")["kube-apiserver"] == "v1.33.0"
    assert images(c, "control-plane-2")["kube-apiserver"] == "v1.32.0"
    for node in ("control-plane-2", "control-plane-3"):
        proc = c.upgrade_control_plane("v1.33.0", node=node)
        while proc.running:
            c.advance(0.5)
            c.list("nodes")
        assert (
            proc.log[-1][1] == "[upgrade] The control plane instance for this node was successfully upgraded!"
        )
    for node in ("control-plane-1", "control-plane-2", "control-plane-3"):
        assert images(c, node) == {
            "etcd": "3.5.16-0",
            "kube-apiserver": "v1.33.0",
            "kube-controller-manager": "v1.33.0",
            "kube-scheduler": "v1.33.0",
        }


# -- the whole upgrade ---------------------------------------------------------------------------


def test_the_version_column_changes_node_by_node() -> None:
    c = Cluster.from_scenario("default", seed=7)
    c.apply(web(3))
    c.advance(10)
    proxies = {
        p["spec"]["nodeName"]: p["metadata"]["name"]
        for p in c.list("pods", "kube-system", selector="k8s-app=kube-proxy")
    }
    proc = c.upgrade("v1.33.0")
    timeline: list[tuple[float, str, str, str]] = []
    seen: dict[str, tuple[str, str]] = {}
    mid_upgrade = ""
    while proc.running:
        c.advance(0.5)
        for n in c.observe("nodes"):
            now = (n["status"]["nodeInfo"]["kubeletVersion"], node_status(n))
            if seen.get(n["metadata"]["name"], now) != now:
                timeline.append((c.now, n["metadata"]["name"], *now))
            seen[n["metadata"]["name"]] = now
        if c.now == 31.0:
            table = to_table("nodes", c.list("nodes"), now=c.now, epoch=c.epoch)
            mid_upgrade = render(table)
    assert proc.done and proc.failed is None
    # `kubectl get nodes` halfway: worker-1 done, worker-2 being drained, worker-3 still old
    assert mid_upgrade == (
        "NAME            STATUS                     ROLES           AGE   VERSION\n"
        "control-plane   Ready                      control-plane   31s   v1.33.0\n"
        "worker-1        Ready                      <none>          31s   v1.33.0\n"
        "worker-2        Ready,SchedulingDisabled   <none>          31s   v1.32.0\n"
        "worker-3        Ready                      <none>          31s   v1.32.0"
    )
    # Control plane first (kubeadm upgrade apply ends at t=25), then each node: cordoned,
    # drained, its kubelet restarted 2 s later with the new version, uncordoned once Ready.
    assert timeline == [
        (25.0, "control-plane", "v1.32.0", "Ready,SchedulingDisabled"),
        (27.0, "control-plane", "v1.33.0", "Ready"),
        (27.0, "worker-1", "v1.32.0", "Ready,SchedulingDisabled"),
        (30.0, "worker-1", "v1.33.0", "Ready"),
        (30.0, "worker-2", "v1.32.0", "Ready,SchedulingDisabled"),
        (33.0, "worker-2", "v1.33.0", "Ready"),
        (33.0, "worker-3", "v1.32.0", "Ready,SchedulingDisabled"),
        (36.0, "worker-3", "v1.33.0", "Ready"),
    ]
    assert proc.log[-1] == (36.0, "### the cluster runs v1.33.0")
    assert c.get("deployment", "web")["status"]["availableReplicas"] == 3
    # Each drain (`kubectl drain --ignore-daemonsets`) leaves the node's kube-proxy pod alone,
    # so the control plane's drain has nothing to wait for and kube-proxy never stops.
    assert [(t, line) for t, line in proc.log if line.startswith("Warning:")] == [
        (t, f"Warning: ignoring DaemonSet-managed Pods: kube-system/{proxies[n]}")
        for t, n in ((25.0, "control-plane"), (27.0, "worker-1"), (30.0, "worker-2"), (33.0, "worker-3"))
    ]
    assert {
        p["spec"]["nodeName"]: p["metadata"]["name"]
        for p in c.list("pods", "kube-system", selector="k8s-app=kube-proxy")
    } == proxies


def test_an_upgrade_stuck_on_a_budget_goes_on_once_the_budget_is_fixed() -> None:
    c = Cluster.from_scenario("default", seed=7)
    c.apply(web(3))
    c.apply(
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "web"},
            "spec": {"minAvailable": 3, "selector": {"matchLabels": {"app": "web"}}},
        }
    )
    c.advance(10)
    proc = c.upgrade("v1.33.0")
    c.advance(60)
    assert proc.running and proc.waiting == "a PodDisruptionBudget"
    refusals = [t for t, line in proc.log if "(will retry after 5s)" in line]
    assert refusals[:3] == [27.0, 32.0, 37.0] and refusals[-1] == 67.0
    assert versions(c) == {
        "control-plane": "v1.33.0",
        "worker-1": "v1.32.0",
        "worker-2": "v1.32.0",
        "worker-3": "v1.32.0",
    }
    assert c.get("node", "worker-1", None)["spec"]["unschedulable"] is True
    budget = c.get("pdb", "web")
    budget["spec"]["minAvailable"] = 2
    c.update(budget)
    c.advance(200)
    assert proc.done, proc.text()
    assert set(versions(c).values()) == {"v1.33.0"}
    assert not any(n["spec"].get("unschedulable") for n in c.observe("nodes"))


def test_a_kubelet_that_does_not_come_back_and_its_recovery() -> None:
    c = Cluster.from_scenario("default", seed=7)
    c.advance(10)
    cp = c.upgrade_control_plane("v1.33.0")
    c.advance(20)
    assert cp.done
    # A stale flag someone left in /etc/default/kubelet bites only when the kubelet restarts.
    c.set_kubelet_extra_args("worker-2", "--container-runtime=remote --node-ip=172.18.0.4")
    assert c.kubelet_status("worker-2")["active"] == "active (running)"
    start = c.now
    proc = c.upgrade_kubelet("worker-2")
    assert [line for _, line in proc.log] == [
        "Setting up kubelet (1.33.0-1.1) ...",
        "$ systemctl daemon-reload && systemctl restart kubelet",
    ]
    c.advance(2)
    status = c.kubelet_status("worker-2")
    assert status == {
        "active": "activating (auto-restart) (Result: exit-code)",
        "version": "v1.33.0",
        "error": '"command failed" err="failed to parse kubelet flag: unknown flag: --container-runtime"',
        "extraArgs": "--container-runtime=remote --node-ip=172.18.0.4",
    }
    # No kubelet: no heartbeat. The node controller marks it NotReady after the grace period.
    c.advance(60)
    node = c.get("node", "worker-2", None)
    assert node_status(node) == "NotReady"
    assert node["status"]["nodeInfo"]["kubeletVersion"] == "v1.32.0"  # never reported the new one
    # The fix: drop the flag. systemd's next attempt (every 10 s) starts the kubelet.
    c.set_kubelet_extra_args("worker-2", "--node-ip=172.18.0.4")
    fixed = c.now
    c.advance(10)
    node = c.get("node", "worker-2", None)
    assert node_status(node) == "Ready" and node["status"]["nodeInfo"]["kubeletVersion"] == "v1.33.0"
    assert c.kubelet_status("worker-2")["active"] == "active (running)"
    assert c.kubelet_status("worker-2")["error"] == ""
    # The retries came every 10 s from the first failed start, 2 s after the restart.
    assert (fixed - start) == 62.0


def test_an_upgrade_is_deterministic() -> None:
    def run() -> tuple[Any, Any]:
        c = Cluster.from_scenario("default", seed=11)
        c.apply(web(4))
        c.apply(
            {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": {"name": "web"},
                "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "web"}}},
            }
        )
        c.advance(10)
        proc = c.upgrade("v1.33.0")
        c.advance(120)
        return c.state(), proc.log

    first, second = run(), run()
    assert first == second
    assert first[1][-1][1] == "### the cluster runs v1.33.0"


def test_a_drain_leaves_daemonset_pods_and_stops_at_a_pod_without_a_controller() -> None:
    """`kubectl drain --ignore-daemonsets` as kubectl 1.32 runs it: the node's pods listed, the
    kube-proxy pod's DaemonSet looked up (and the pod left alone), a bare pod refused in
    kubectl's own doubled wording; nothing is evicted and the node stays cordoned."""
    c = Cluster.from_scenario("default", seed=7)
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "lonely"},
            "spec": {"nodeName": "worker-1", "containers": [{"name": "c", "image": "nginx:1.27"}]},
        }
    )
    c.advance(5)
    start = len(c.api_calls())
    drain = c.drain("worker-1")
    c.advance(1)
    problem = (
        "cannot delete cannot delete Pods that declare no controller (use --force to override): "
        "default/lonely"
    )
    assert drain.log == [
        (5.0, "$ kubectl drain worker-1 --ignore-daemonsets"),
        (5.0, "node/worker-1 cordoned"),
        (5.0, f'error: unable to drain node "worker-1" due to error: {problem}, continuing command...'),
        (5.0, f"There are pending nodes to be drained:\n worker-1\n{problem}"),
    ]
    assert drain.failed == f"error: {problem}" and not drain.done
    assert [
        (x.verb, x.resource, x.namespace, x.name) for x in c.api_calls(start) if x.component == "kubectl"
    ] == [
        ("get", "nodes", "", "worker-1"),
        ("patch", "nodes", "", "worker-1"),
        ("list", "pods", "", ""),
        ("get", "daemonsets", "kube-system", "kube-proxy"),
    ]
    assert c.get("node", "worker-1", None)["spec"]["unschedulable"] is True
