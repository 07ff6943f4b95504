"""VolumeBinding: the PreFilter cases of kube-scheduler's volume_binding_test.go (v1.32) that
need no PersistentVolume matching, Filter on bound and unbound claims, and a pod naming a claim
nobody created staying Pending in kube-scheduler's words. (Binding through Reserve/PreBind on a
live cluster is in test_storage_provisioning.py.)"""

from __future__ import annotations

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.scheduler.events import QUEUE, QUEUE_SKIP
from clusterlab.engine.scheduler.framework import SKIP, SUCCESS, UNRESOLVABLE, CycleState, NodeInfo
from clusterlab.engine.scheduler.plugins.volume_binding import VolumeBinding

POD_UID = "6f1e6f7a-0000-4000-8000-000000000001"


class FakeLister:
    """An informer's cache, keyed as `namespace/name` (or `name` for cluster-scoped kinds)."""

    def __init__(self, *objs: dict) -> None:
        self.cache = {}
        for o in objs:
            meta = o["metadata"]
            key = f"{meta['namespace']}/{meta['name']}" if meta.get("namespace") else meta["name"]
            self.cache[key] = o

    def get(self, key: str) -> dict | None:
        return self.cache.get(key)


def pod(*volumes: dict) -> dict:
    return {
        "metadata": {"name": "pod-a", "namespace": "default", "uid": POD_UID},
        "spec": {"containers": [{"name": "c", "image": "nginx"}], "volumes": list(volumes)},
    }


def claim_volume(claim: str, name: str = "") -> dict:
    return {"name": name or claim, "persistentVolumeClaim": {"claimName": claim}}


def ephemeral_volume(name: str) -> dict:
    template = {"spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}
    return {"name": name, "ephemeral": {"volumeClaimTemplate": template}}


def pvc(name: str, storage_class: str = "wait", *, bound_to: str = "", **extra: object) -> dict:
    meta: dict = {"name": name, "namespace": "default"}
    spec: dict = {"storageClassName": storage_class}
    status: dict = {"phase": "Pending"}
    if bound_to:
        spec["volumeName"] = bound_to
        meta["annotations"] = {"pv.kubernetes.io/bind-completed": "yes"}
        status["phase"] = "Bound"
    obj = {"metadata": meta, "spec": spec, "status": status}
    for key, value in extra.items():
        if key in ("deletionTimestamp", "ownerReferences"):
            meta[key] = value
        elif key == "phase":
            status["phase"] = value
        elif key == "volumeName":
            spec["volumeName"] = value
    return obj


CLASSES = FakeLister(
    {"metadata": {"name": "wait"}, "volumeBindingMode": "WaitForFirstConsumer"},
    {"metadata": {"name": "immediate"}, "volumeBindingMode": "Immediate"},
)
OWNED = [{"apiVersion": "v1", "kind": "Pod", "name": "pod-a", "uid": POD_UID, "controller": True}]


def plugin(claims: list[dict], volumes: list[dict] | None = None) -> VolumeBinding:
    p = VolumeBinding()
    p.claims, p.classes, p.volumes = FakeLister(*claims), CLASSES, FakeLister(*(volumes or []))
    return p


@pytest.mark.parametrize(
    ("name", "p", "claims", "code", "message"),
    [
        ("pod has no pvcs", pod(), [], SKIP, ""),
        ("pod has only other volumes", pod({"name": "cache", "emptyDir": {}}), [], SKIP, ""),
        ("all bound", pod(claim_volume("pvc-a")), [pvc("pvc-a", bound_to="pv-a")], SUCCESS, ""),
        (
            "PVC does not exist",
            pod(claim_volume("pvc-a")),
            [],
            UNRESOLVABLE,
            'persistentvolumeclaim "pvc-a" not found',
        ),
        (
            "Part of PVCs do not exist",
            pod(claim_volume("pvc-a"), claim_volume("pvc-b")),
            [pvc("pvc-a", bound_to="pv-a")],
            UNRESOLVABLE,
            'persistentvolumeclaim "pvc-b" not found',
        ),
        (
            "immediate claims not bound",
            pod(claim_volume("pvc-a")),
            [pvc("pvc-a", "immediate")],
            UNRESOLVABLE,
            "pod has unbound immediate PersistentVolumeClaims",
        ),
        (  # no class, or a class that does not exist, binds immediately
            "classless claim not bound",
            pod(claim_volume("pvc-a")),
            [pvc("pvc-a", "")],
            UNRESOLVABLE,
            "pod has unbound immediate PersistentVolumeClaims",
        ),
        (  # prebound to a volume but not yet bind-completed: treated as unbound immediate
            "prebound claim",
            pod(claim_volume("pvc-a")),
            [pvc("pvc-a", volumeName="pv-a")],
            UNRESOLVABLE,
            "pod has unbound immediate PersistentVolumeClaims",
        ),
        ("unbound claim, WaitForFirstConsumer", pod(claim_volume("pvc-a")), [pvc("pvc-a")], SUCCESS, ""),
        (
            "pv not found claim lost",
            pod(claim_volume("pvc-a")),
            [pvc("pvc-a", bound_to="pv-a", phase="Lost")],
            UNRESOLVABLE,
            'persistentvolumeclaim "pvc-a" bound to non-existent persistentvolume "pv-a"',
        ),
        (
            "PVC is being deleted",
            pod(claim_volume("pvc-a")),
            [pvc("pvc-a", bound_to="pv-a", deletionTimestamp="2026-01-01T09:00:00Z")],
            UNRESOLVABLE,
            'persistentvolumeclaim "pvc-a" is being deleted',
        ),
        (
            "ephemeral volume not created yet",
            pod(ephemeral_volume("scratch")),
            [],
            UNRESOLVABLE,
            'waiting for ephemeral volume controller to create the persistentvolumeclaim "pod-a-scratch"',
        ),
        (
            "ephemeral volume's claim made for another pod",
            pod(ephemeral_volume("scratch")),
            [pvc("pod-a-scratch", bound_to="pv-a")],
            UNRESOLVABLE,
            "PVC default/pod-a-scratch was not created for pod default/pod-a (pod is not owner)",
        ),
        (
            "ephemeral volume's claim owned by the pod",
            pod(ephemeral_volume("scratch")),
            [pvc("pod-a-scratch", ownerReferences=OWNED)],
            SUCCESS,
            "",
        ),
    ],
)
def test_pre_filter(name: str, p: dict, claims: list[dict], code: str, message: str) -> None:
    status = plugin(claims, [{"metadata": {"name": "pv-a"}}]).pre_filter(CycleState(), p, [])
    assert (status.code, status.message()) == (code, message), name
    if code == UNRESOLVABLE:
        assert status.plugin == "VolumeBinding"


def test_filter_bound_claim_needs_its_volume() -> None:
    node = NodeInfo({"metadata": {"name": "node-a"}, "status": {}})
    p = pod(claim_volume("pvc-a"))
    for volumes, ok in (([{"metadata": {"name": "pv-a"}}], True), ([], False)):  # "pv not found"
        plugin_ = plugin([pvc("pvc-a", bound_to="pv-a")], volumes)
        state = CycleState()
        assert plugin_.pre_filter(state, p, [node]).code == SUCCESS
        status = plugin_.filter(state, p, node)
        assert status.ok is ok
        if not ok:
            assert (status.code, status.message()) == (
                UNRESOLVABLE,
                "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)",
            )


def test_without_a_claim_informer_every_claim_is_not_found() -> None:
    # a plugin built without the scheduler's handle has no claim informer to read from
    assert VolumeBinding().claims is None
    status = VolumeBinding().pre_filter(CycleState(), pod(claim_volume("data")), [])
    assert (status.code, status.message()) == (UNRESOLVABLE, 'persistentvolumeclaim "data" not found')


def test_only_the_pods_own_claims_requeue_it() -> None:
    p = pod(claim_volume("pvc-a"), ephemeral_volume("scratch"))
    hint = VolumeBinding().is_schedulable_after_claim_change
    assert hint(p, None, pvc("pvc-a")) == QUEUE
    assert hint(p, pvc("pod-a-scratch"), pvc("pod-a-scratch", bound_to="pv-a")) == QUEUE
    assert hint(p, None, pvc("pvc-b")) == QUEUE_SKIP
    other_ns = pvc("pvc-a")
    other_ns["metadata"]["namespace"] = "other"
    assert hint(p, None, other_ns) == QUEUE_SKIP


def test_a_pod_naming_a_missing_claim_stays_pending() -> None:
    c = Cluster(seed=7)
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "db"},
            "spec": {
                "containers": [
                    {
                        "name": "db",
                        "image": "redis:7",
                        "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                    }
                ],
                "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}],
            },
        }
    )
    c.advance(5)
    db = c.get("pod", "db")
    assert not db["spec"].get("nodeName")
    expected = (
        '0/4 nodes are available: persistentvolumeclaim "data" not found. '
        "preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.."
    )
    failed = [
        (e["type"], e["message"])
        for e in c.events()
        if e["reason"] == "FailedScheduling" and e["involvedObject"]["name"] == "db"
    ]
    assert failed == [("Warning", expected)]
    cond = next(x for x in db["status"]["conditions"] if x["type"] == "PodScheduled")
    assert (cond["status"], cond["reason"], cond["message"]) == ("False", "Unschedulable", expected)
    d = c.scheduling_diagnosis("db")
    assert d is not None
    assert d.pre_filter_plugin == "VolumeBinding"
    assert d.pre_filter_msg == 'persistentvolumeclaim "data" not found'
    assert {st.code for st in d.node_status.values()} == {UNRESOLVABLE}
    assert len(d.node_status) == 4


def _local_pv(name: str, node: str, claim_ref: dict | None = None) -> dict:
    term = {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}]}
    spec: dict = {
        "capacity": {"storage": "5Gi"},
        "accessModes": ["ReadWriteOnce"],
        "storageClassName": "wait",
        "local": {"path": "/mnt/disks/a"},
        "nodeAffinity": {"required": {"nodeSelectorTerms": [term]}},
    }
    if claim_ref:
        spec["claimRef"] = claim_ref
    return {"metadata": {"name": name}, "spec": spec, "status": {"phase": "Available"}}


def _node(name: str) -> NodeInfo:
    return NodeInfo({"metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}}, "status": {}})


def test_filter_pins_a_pod_to_its_bound_node_local_volume() -> None:
    p = pod(claim_volume("pvc-a"))
    plugin_ = plugin([pvc("pvc-a", bound_to="pv-a")], [_local_pv("pv-a", "node-a")])
    state = CycleState()
    assert plugin_.pre_filter(state, p, []).code == SUCCESS
    assert plugin_.filter(state, p, _node("node-a")).ok
    status = plugin_.filter(state, p, _node("node-b"))
    assert (status.code, status.message()) == (
        UNRESOLVABLE,
        "node(s) didn't match PersistentVolume's node affinity",
    )


def test_filter_finds_a_local_volume_for_a_delayed_claim_or_reports_a_bind_conflict() -> None:
    claim = pvc("pvc-a")
    claim["spec"].update({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}})
    claim["metadata"]["uid"] = "claim-uid"
    classes = FakeLister({"metadata": {"name": "wait"}, "provisioner": "kubernetes.io/no-provisioner",
                          "volumeBindingMode": "WaitForFirstConsumer"})  # fmt: skip
    plugin_ = plugin([claim], [_local_pv("pv-a", "node-a")])
    plugin_.classes = classes
    plugin_.volumes.cache = {"pv-a": _local_pv("pv-a", "node-a")}
    p = pod(claim_volume("pvc-a"))
    state = CycleState()
    assert plugin_.pre_filter(state, p, []).code == SUCCESS
    assert plugin_.filter(state, p, _node("node-a")).ok
    static, provision = state["VolumeBinding"].by_node["node-a"]
    assert [(c["metadata"]["name"], v["metadata"]["name"]) for c, v in static] == [("pvc-a", "pv-a")]
    assert provision == []
    status = plugin_.filter(state, p, _node("node-b"))  # no volume there, and nothing provisions
    assert (status.code, status.message()) == (
        UNRESOLVABLE,
        "node(s) didn't find available persistent volumes to bind",
    )
