"""The DaemonSet controller: one pod per eligible node, node changes, rolling updates.

Times are virtual seconds. What the controller alone decides is asserted at its exact instant
(a sync runs in well under a millisecond of virtual time); what waits on a kubelet (an image
pull, a container start) is asserted as an exact causal order against the instant the kubelet
reported it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from clusterlab.engine import Cluster, Invalid
from clusterlab.engine.controllers.base import is_pod_ready
from clusterlab.engine.controllers.podgc import GC_PERIOD, QUARANTINE
from clusterlab.engine.tables import to_table

from .conftest import run_until

SUFFIX = "[bcdfghjklmnpqrstvwxz2456789]{5}"
SYNC = 0.01  # a controller's reaction to a watch event, in virtual seconds (generous)

# The example of https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/, as-is.
FLUENTD = """
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: fluentd-elasticsearch
  namespace: kube-system
  labels:
    k8s-app: fluentd-logging
spec:
  selector:
    matchLabels:
      name: fluentd-elasticsearch
  template:
    metadata:
      labels:
        name: fluentd-elasticsearch
    spec:
      tolerations:
      # these tolerations are to have the daemonset runnable on control plane nodes
      # remove them if your control plane nodes should not run pods
      - key: node-role.kubernetes.io/control-plane
        operator: Exists
        effect: NoSchedule
      - key: node-role.kubernetes.io/master
        operator: Exists
        effect: NoSchedule
      containers:
      - name: fluentd-elasticsearch
        image: quay.io/fluentd_elasticsearch/fluentd:v5.0.1
        resources:
          limits:
            memory: 200Mi
          requests:
            cpu: 100m
            memory: 200Mi
        volumeMounts:
        - name: varlog
          mountPath: /var/log
      # it may be desirable to set a high priority class to ensure that a DaemonSet Pod
      # preempts running Pods
      # priorityClassName: important
      terminationGracePeriodSeconds: 30
      volumes:
      - name: varlog
        hostPath:
          path: /var/log
"""

AUTO_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
]


def agent(**spec: Any) -> dict[str, Any]:
    """A small DaemonSet in `default` (nginx as the daemon), with extra spec fields."""
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "agent"},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {
                "metadata": {"labels": {"app": "agent"}},
                "spec": {"containers": [{"name": "agent", "image": "nginx:1.27"}]},
            },
            **spec,
        },
    }


def daemon_pods(c: Cluster, namespace: str = "default", app: str = "agent") -> list[dict[str, Any]]:
    return sorted(
        (p for p in c.list("pods", namespace) if p["metadata"]["name"].startswith(app)),
        key=lambda p: p["spec"].get("nodeName") or "",
    )


def by_node(c: Cluster) -> dict[str, str]:
    return {p["spec"].get("nodeName") or "-": p["metadata"]["name"] for p in daemon_pods(c)}


def counts(c: Cluster, name: str = "agent", namespace: str = "default") -> tuple[int, ...]:
    st = c.get("ds", name, namespace)["status"]
    keys = ("desiredNumberScheduled", "currentNumberScheduled", "numberReady", "updatedNumberScheduled")
    return (
        *(int(st.get(k, 0)) for k in keys),
        int(st.get("numberAvailable", 0)),
        int(st["numberMisscheduled"]),
    )


def controller_calls(c: Cluster, since: int = 0, namespace: str = "default") -> list[tuple[float, str, str]]:
    """The DaemonSet controller's pod creates and deletes in a namespace: (time, verb, pod name).

    `default` by default: the lab's kube-system also has kubeadm's kube-proxy DaemonSet."""
    return [
        (call.time, call.verb, call.name)
        for call in c.api_calls(since)
        if call.actor.endswith(":daemon-set-controller")
        and call.resource == "pods"
        and call.namespace == namespace
        and call.verb in ("create", "delete")
    ]


def ready(c: Cluster) -> int:
    return sum(1 for p in daemon_pods(c) if is_pod_ready(p))


# -- the documentation's example ---------------------------------------------------------------


def test_docs_example_runs_a_pod_on_every_node_including_the_control_plane(cluster):
    cluster.apply(FLUENTD)
    cluster.advance(0.1)
    ds = cluster.get("ds", "fluentd-elasticsearch", "kube-system")
    assert ds["metadata"]["generation"] == 1
    assert ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] == "1"
    assert ds["spec"]["updateStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},
    }
    assert ds["spec"]["revisionHistoryLimit"] == 10
    # kube-system also holds the revision of kubeadm's kube-proxy DaemonSet (the scenario's add-on).
    revisions = {
        r["metadata"]["ownerReferences"][0]["name"]: r
        for r in cluster.list("controllerrevisions", "kube-system")
    }
    assert sorted(revisions) == ["fluentd-elasticsearch", "kube-proxy"]
    rev = revisions["fluentd-elasticsearch"]
    h = rev["metadata"]["labels"]["controller-revision-hash"]
    assert rev["metadata"]["name"] == f"fluentd-elasticsearch-{h}" and rev["revision"] == 1
    assert rev["data"]["spec"]["template"]["$patch"] == "replace"
    assert rev["metadata"]["ownerReferences"][0]["uid"] == ds["metadata"]["uid"]

    pods = daemon_pods(cluster, "kube-system", "fluentd-elasticsearch")
    assert [p["spec"]["nodeName"] for p in pods] == ["control-plane", "worker-1", "worker-2", "worker-3"]
    for pod in pods:
        node = pod["spec"]["nodeName"]
        assert re.fullmatch(rf"fluentd-elasticsearch-{SUFFIX}", pod["metadata"]["name"])
        assert pod["metadata"]["labels"] == {
            "name": "fluentd-elasticsearch",
            "controller-revision-hash": h,
            "pod-template-generation": "1",
        }
        assert pod["metadata"]["ownerReferences"][0]["kind"] == "DaemonSet"
        assert pod["spec"]["affinity"] == {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}
                    ]
                }
            }
        }
        assert pod["spec"]["tolerations"] == [
            {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"},
            {"key": "node-role.kubernetes.io/master", "operator": "Exists", "effect": "NoSchedule"},
            *AUTO_TOLERATIONS,
        ]
    # Bound by the default scheduler, not by the controller.
    binds = [c for c in cluster.api_calls() if c.resource == "pods/binding" and c.name.startswith("fluentd")]
    assert len(binds) == 4 and {c.actor for c in binds} == {"system:kube-scheduler"}

    created = [
        e
        for e in cluster.events()
        if e["involvedObject"]["kind"] == "DaemonSet"
        and e["involvedObject"]["name"] == "fluentd-elasticsearch"
    ]
    assert sorted(e["message"] for e in created) == sorted(
        f"Created pod: {p['metadata']['name']}" for p in pods
    )
    assert {(e["reason"], e["source"]["component"]) for e in created} == {
        ("SuccessfulCreate", "daemonset-controller")
    }
    (why,) = cluster.decisions("ds", "fluentd-elasticsearch", "kube-system")
    assert why.time == 0.0
    assert why.text == (
        "DaemonSet fluentd-elasticsearch: 4 eligible nodes, 0 have a pod → create on control-plane, "
        "worker-1, worker-2, worker-3"
    )
    run_until(cluster, lambda: counts(cluster, "fluentd-elasticsearch", "kube-system")[2] == 4, limit=120)
    assert counts(cluster, "fluentd-elasticsearch", "kube-system") == (4, 4, 4, 4, 4, 0)
    st = cluster.get("ds", "fluentd-elasticsearch", "kube-system")["status"]
    assert st["observedGeneration"] == 1 and "numberUnavailable" not in st


def test_without_the_control_plane_toleration_the_control_plane_runs_none(cluster):
    cluster.apply(agent())
    cluster.advance(0.1)
    assert sorted(by_node(cluster)) == ["worker-1", "worker-2", "worker-3"]
    assert counts(cluster)[:2] == (3, 3)


def test_node_selector_follows_node_labels(cluster):
    node_selector = {"disktype": "ssd"}
    ds = agent()
    ds["spec"]["template"]["spec"]["nodeSelector"] = node_selector
    cluster.apply(ds)
    cluster.advance(1)
    assert by_node(cluster) == {} and counts(cluster)[:2] == (0, 0)
    node = cluster.get("node", "worker-2", None)
    node["metadata"]["labels"]["disktype"] = "ssd"
    cluster.update(node)
    t = cluster.now
    cluster.advance(0.1)
    assert list(by_node(cluster)) == ["worker-2"]
    (why,) = cluster.decisions("ds", "agent")
    assert why.time == pytest.approx(t, abs=SYNC)
    assert why.text == "DaemonSet agent: 1 eligible node, 0 have a pod → create on worker-2"
    run_until(cluster, lambda: ready(cluster) == 1, limit=60)
    node = cluster.get("node", "worker-2", None)
    del node["metadata"]["labels"]["disktype"]
    cluster.update(node)
    t = cluster.now
    pod = by_node(cluster)["worker-2"]
    cluster.advance(0.1)
    assert cluster.decisions("ds", "agent")[-1].text == (
        f"DaemonSet agent: 0 eligible nodes, 0 have a pod → delete {pod} on worker-2: its labels do not "
        "match the nodeSelector / node affinity"
    )
    deletes = [e for e in cluster.events() if e["reason"] == "SuccessfulDelete"]
    assert [e["message"] for e in deletes] == [f"Deleted pod: {pod}"]
    assert cluster.decisions("ds", "agent")[-1].time == pytest.approx(t, abs=SYNC)


# -- nodes come and go ------------------------------------------------------------------------


def test_a_new_node_gets_a_pod_and_a_removed_node_loses_it(cluster):
    cluster.apply(agent())
    run_until(cluster, lambda: ready(cluster) == 3, limit=60)
    start = len(cluster.api_calls())
    cluster.add_node("worker-4")
    joined = cluster.now
    cluster.advance(0.1)
    ((t, verb, _),) = controller_calls(cluster, start)
    assert verb == "create" and t == pytest.approx(joined, abs=SYNC)
    assert (
        cluster.decisions("ds", "agent")[-1].text
        == "DaemonSet agent: 4 eligible nodes, 3 have a pod → create on worker-4"
    )
    # kubeadm's kube-proxy DaemonSet (it tolerates every taint) gives the new node its pod too.
    ((t, verb, name),) = controller_calls(cluster, start, "kube-system")
    assert (verb, name) == ("create", "kube-proxy-") and t == pytest.approx(joined, abs=SYNC)
    assert (
        cluster.decisions("ds", "kube-proxy", "kube-system")[-1].text
        == "DaemonSet kube-proxy: 5 eligible nodes, 4 have a pod → create on worker-4"
    )
    # The pod waits for the new node to become Ready (not-ready:NoSchedule is not tolerated).
    run_until(cluster, lambda: ready(cluster) == 4, limit=60)
    assert counts(cluster) == (4, 4, 4, 4, 4, 0)

    cluster.remove_node("worker-3")
    removed = cluster.now
    gone = by_node(cluster)["worker-3"]
    # The Node object is gone at once; its pod is orphaned, and the pod garbage collector
    # (every 20 s) deletes it once it has been orphaned for its 40 s quarantine. The
    # controller creates nothing in its place.
    cluster.advance(QUARANTINE - 1)
    assert gone in by_node(cluster).values()
    t = run_until(cluster, lambda: gone not in by_node(cluster).values(), limit=GC_PERIOD + 2, step=0.05)
    assert QUARANTINE <= t - removed <= QUARANTINE + GC_PERIOD + 0.05
    (gc,) = [c for c in cluster.api_calls(start) if c.verb == "delete" and c.name == gone]
    assert gc.actor == "system:serviceaccount:kube-system:pod-garbage-collector"
    assert sorted(by_node(cluster)) == ["worker-1", "worker-2", "worker-4"]
    assert counts(cluster) == (3, 3, 3, 3, 3, 0)
    assert not [c for c in controller_calls(cluster, start) if c[0] > joined + 1]


def test_a_dead_node_keeps_its_daemon_pod(cluster):
    """Powered off: after the 50 s grace the node is unreachable and tainted NoExecute; the
    daemon pod tolerates that without a time limit, so it is never evicted (a Deployment's
    pod would be, after 300 s). The NoSchedule taint that comes with it makes the node one
    that *should not run* the pod — desired drops and the pod counts as misscheduled — but
    it *should continue running* it, so nothing is deleted."""
    cluster.apply(agent())
    run_until(cluster, lambda: ready(cluster) == 3, limit=60)
    pod = by_node(cluster)["worker-2"]
    start = len(cluster.api_calls())
    cluster.kill_node("worker-2")
    cluster.advance(600)
    assert by_node(cluster)["worker-2"] == pod
    assert not cluster.get("pod", pod)["metadata"].get("deletionTimestamp")
    taints = {(t["key"], t["effect"]) for t in cluster.get("node", "worker-2", None)["spec"]["taints"]}
    assert ("node.kubernetes.io/unreachable", "NoExecute") in taints
    assert controller_calls(cluster, start) == []
    assert counts(cluster) == (2, 2, 2, 2, 2, 1)
    cluster.restore_node("worker-2")
    run_until(cluster, lambda: counts(cluster) == (3, 3, 3, 3, 3, 0), limit=120)
    assert by_node(cluster)["worker-2"] == pod


# -- rolling updates --------------------------------------------------------------------------


def _set_image(c: Cluster, image: str, name: str = "agent") -> float:
    ds = c.get("ds", name)
    ds["spec"]["template"]["spec"]["containers"][0]["image"] = image
    c.update(ds)
    return c.now


def _node_available(c: Cluster) -> dict[str, bool]:
    out = {n: False for n in ("worker-1", "worker-2", "worker-3")}
    for p in daemon_pods(c):
        if is_pod_ready(p) and not p["metadata"].get("deletionTimestamp"):
            out[p["spec"]["nodeName"]] = True
    return out


def test_rolling_update_replaces_one_node_at_a_time(cluster):
    cluster.apply(agent())
    run_until(cluster, lambda: ready(cluster) == 3, limit=60)
    old = by_node(cluster)
    start = len(cluster.api_calls())
    updated_at = _set_image(cluster, "nginx:1.28")
    ds = cluster.get("ds", "agent")
    assert ds["metadata"]["generation"] == 2
    assert ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] == "2"
    became_ready: dict[str, float] = {}
    while cluster.now < updated_at + 120:
        cluster.advance(0.05)
        unavailable = [n for n, ok in _node_available(cluster).items() if not ok]
        assert len(unavailable) <= 1, f"{unavailable} unavailable at {cluster.now}"
        for p in daemon_pods(cluster):
            if is_pod_ready(p) and p["metadata"]["name"] not in old.values():
                became_ready.setdefault(p["spec"]["nodeName"], cluster.now)
        if counts(cluster) == (3, 3, 3, 3, 3, 0):
            break
    calls = controller_calls(cluster, start)
    # Nodes in order; each: delete the old pod, create the new one once the old has gone.
    assert [(v, n) for _, v, n in calls][::2] == [
        ("delete", old[n]) for n in ("worker-1", "worker-2", "worker-3")
    ]
    assert [v for _, v, _ in calls] == ["delete", "create"] * 3
    assert calls[0][0] == pytest.approx(updated_at, abs=SYNC)
    # The next node's old pod goes as soon as the previous node's new pod is Ready (as seen
    # in 0.05 s steps).
    assert calls[2][0] == pytest.approx(became_ready["worker-1"], abs=0.05 + SYNC)
    assert calls[4][0] == pytest.approx(became_ready["worker-2"], abs=0.05 + SYNC)
    texts = [d.text for d in cluster.decisions("ds", "agent")]
    assert (
        f"DaemonSet agent: rolling update, maxUnavailable 1 of 3 nodes, 0 unavailable; delete old pod "
        f"{old['worker-1']} on worker-1"
    ) in texts
    new = by_node(cluster)
    revisions = sorted(cluster.list("controllerrevisions", "default"), key=lambda r: r["revision"])
    assert [r["revision"] for r in revisions] == [1, 2]
    h = revisions[1]["metadata"]["labels"]["controller-revision-hash"]
    for name in new.values():
        labels = cluster.get("pod", name)["metadata"]["labels"]
        assert (labels["controller-revision-hash"], labels["pod-template-generation"]) == (h, "2")


def test_rolling_update_with_max_surge_starts_the_new_pod_first(cluster):
    cluster.apply(
        agent(updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}})
    )
    run_until(cluster, lambda: ready(cluster) == 3, limit=60)
    old = by_node(cluster)
    start = len(cluster.api_calls())
    updated_at = _set_image(cluster, "nginx:1.28")
    while cluster.now < updated_at + 120:
        cluster.advance(0.05)
        assert all(_node_available(cluster).values()), f"a node without an available pod at {cluster.now}"
        if counts(cluster) == (3, 3, 3, 3, 3, 0) and len(daemon_pods(cluster)) == 3:
            break
    calls = controller_calls(cluster, start)
    assert [v for _, v, _ in calls] == ["create", "delete"] * 3
    assert calls[0][0] == pytest.approx(updated_at, abs=SYNC)
    assert [n for _, v, n in calls if v == "delete"] == [old[n] for n in ("worker-1", "worker-2", "worker-3")]
    texts = [d.text for d in cluster.decisions("ds", "agent")]
    assert (
        "DaemonSet agent: rolling update, maxSurge 1 of 3 nodes, 0 surging; start new pods on worker-1"
        in texts
    )


def test_on_delete_replaces_a_pod_only_when_it_is_deleted(cluster):
    cluster.apply(agent(updateStrategy={"type": "OnDelete"}))
    run_until(cluster, lambda: ready(cluster) == 3, limit=60)
    old = by_node(cluster)
    _set_image(cluster, "nginx:1.28")
    cluster.advance(30)
    assert by_node(cluster) == old
    assert counts(cluster)[3] == 0  # none up to date
    cluster.delete("pod", old["worker-3"])
    run_until(
        cluster, lambda: old["worker-3"] not in by_node(cluster).values() and "worker-3" in by_node(cluster)
    )
    fresh = cluster.get("pod", by_node(cluster)["worker-3"])
    assert fresh["spec"]["containers"][0]["image"] == "nginx:1.28"
    assert fresh["metadata"]["labels"]["pod-template-generation"] == "2"


def test_revision_history_is_trimmed_to_the_limit(cluster):
    cluster.apply(agent(revisionHistoryLimit=1, updateStrategy={"type": "OnDelete"}))
    cluster.advance(1)
    for image in ("nginx:1.28", "nginx:alpine", "nginx:stable"):
        _set_image(cluster, image)
        cluster.advance(1)
    # The pods still run revision 1 (OnDelete), so it is kept; of the unused ones only the
    # newest old one fits the limit of 1.
    revisions = sorted(r["revision"] for r in cluster.list("controllerrevisions", "default"))
    assert revisions == [1, 4]


# -- the API server's side ------------------------------------------------------------------


def test_validation_and_defaulting(cluster):
    def causes(**spec: Any) -> list[tuple[str, str]]:
        with pytest.raises(Invalid) as err:
            cluster.apply(agent(**spec))
        return [(c["field"], c["message"]) for c in err.value.details["causes"]]

    assert causes(
        updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}}
    ) == [
        (
            "spec.updateStrategy.rollingUpdate.maxSurge",
            'Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:""}: may not be set when '
            "maxUnavailable is non-zero",
        )
    ]
    assert causes(updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0}}) == [
        ("spec.updateStrategy.rollingUpdate.maxUnavailable", "Required value: cannot be 0 when maxSurge is 0")
    ]
    assert causes(updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "120%"}}) == [
        (
            "spec.updateStrategy.rollingUpdate.maxUnavailable",
            'Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: must not be greater '
            "than 100%",
        )
    ]
    ds = agent()
    ds["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    ds["spec"]["selector"] = {"matchLabels": {"app": "other"}}
    with pytest.raises(Invalid) as err:
        cluster.apply(ds)
    assert [(c["field"], c["message"]) for c in err.value.details["causes"]] == [
        (
            "spec.template.metadata.labels",
            'Invalid value: "map[app:agent]": `selector` does not match template `labels`',
        ),
        ("spec.template.spec.restartPolicy", 'Unsupported value: "Never": supported values: "Always"'),
    ]
    cluster.apply(agent())
    ds = cluster.get("ds", "agent")
    ds["spec"]["selector"] = {"matchLabels": {"app": "agent", "tier": "x"}}
    ds["spec"]["template"]["metadata"]["labels"]["tier"] = "x"
    with pytest.raises(Invalid) as err:
        cluster.update(ds)
    assert err.value.details["causes"][0]["field"] == "spec.selector"
    assert err.value.details["causes"][0]["message"].endswith(": field is immutable")


def test_deleting_the_daemonset_deletes_its_pods_and_revisions(cluster):
    cluster.apply(agent())
    cluster.advance(10)
    cluster.delete("ds", "agent")
    cluster.advance(40)
    assert daemon_pods(cluster) == []
    assert cluster.list("controllerrevisions", "default") == []


def test_table_columns_are_kubectls(cluster):
    ds = agent()
    ds["spec"]["template"]["spec"]["nodeSelector"] = {"kubernetes.io/os": "linux"}
    cluster.apply(ds)
    run_until(cluster, lambda: counts(cluster)[4] == 3, limit=60)
    table = to_table("daemonsets", cluster.list("ds", "default"), now=cluster.now, epoch=cluster.server.epoch)
    assert [c["name"] for c in table["columnDefinitions"]] == [
        "Name",
        "Desired",
        "Current",
        "Ready",
        "Up-to-date",
        "Available",
        "Node Selector",
        "Age",
        "Containers",
        "Images",
        "Selector",
    ]
    cells = table["rows"][0]["cells"]
    assert cells[:7] == ["agent", 3, 3, 3, 3, 3, "kubernetes.io/os=linux"]
    assert cells[8:] == ["agent", "nginx:1.27", "app=agent"]


def test_a_failed_daemon_pod_is_replaced_with_backoff(cluster):
    """A daemon pod that failed (here: reported Failed, as after a kubelet eviction) is deleted
    with a `FailedDaemonPod` warning and replaced at once; a second failure on the same node
    within the 1 s backoff waits it out (the backoff then doubles)."""
    cluster.apply(agent())
    run_until(cluster, lambda: ready(cluster) == 3, limit=60)

    def fail(node: str) -> tuple[str, float]:
        pod = cluster.get("pod", by_node(cluster)[node])
        pod["status"]["phase"] = "Failed"
        cluster.server.update(cluster.learner, pod, subresource="status")
        return pod["metadata"]["name"], cluster.now

    start = len(cluster.api_calls())
    first, t1 = fail("worker-1")
    run_until(
        cluster, lambda: first not in by_node(cluster).values() and ready(cluster) == 3, limit=5, step=0.01
    )
    second, t2 = fail("worker-1")
    assert t2 - t1 < 1.0  # the replacement ran and failed within the first 1 s backoff
    cluster.advance(3)
    calls = controller_calls(cluster, start)
    assert [(v, n) for _, v, n in calls] == [
        ("delete", first),
        ("create", "agent-"),
        ("delete", second),
        ("create", "agent-"),
    ]
    assert calls[0][0] == t1
    assert calls[2][0] == pytest.approx(t2 + 1.0, abs=SYNC)  # 1 s after the sync that found it
    warnings = [e["message"] for e in cluster.events() if e["reason"] == "FailedDaemonPod"]
    assert warnings == [
        f"Found failed daemon pod default/{first} on node worker-1, will try to kill it",
        f"Found failed daemon pod default/{second} on node worker-1, will try to kill it",
    ]
    assert cluster.decisions("ds", "agent")[1].text == (
        f"DaemonSet agent: 3 eligible nodes, 3 have a pod → delete failed pod {first} on worker-1"
    )


def test_a_cordoned_node_stays_eligible(cluster):
    """Cordoning taints the node `node.kubernetes.io/unschedulable:NoSchedule`, which every
    daemon pod tolerates: the node keeps its pod, and a replacement still lands there."""
    cluster.apply(agent())
    run_until(cluster, lambda: ready(cluster) == 3, limit=60)
    node = cluster.get("node", "worker-3", None)
    node["spec"]["unschedulable"] = True
    cluster.update(node)
    run_until(cluster, lambda: bool(cluster.get("node", "worker-3", None)["spec"].get("taints")), limit=10)
    pod = by_node(cluster)["worker-3"]
    cluster.delete("pod", pod)
    run_until(cluster, lambda: by_node(cluster).get("worker-3", pod) != pod and ready(cluster) == 3, limit=60)
    assert counts(cluster) == (3, 3, 3, 3, 3, 0)


def test_host_network_pods_also_tolerate_network_unavailable(cluster):
    ds = agent()
    ds["spec"]["template"]["spec"]["hostNetwork"] = True
    cluster.apply(ds)
    cluster.advance(0.1)
    for pod in daemon_pods(cluster):
        assert pod["spec"]["tolerations"] == [
            *AUTO_TOLERATIONS,
            {"key": "node.kubernetes.io/network-unavailable", "operator": "Exists", "effect": "NoSchedule"},
        ]
