"""PersistentVolumes and claims through the API server and the PV controller: defaulting,
validation with Kubernetes' texts, the DefaultStorageClass admission plugin, binding to the
smallest matching volume, pre-binding, Pending claims' events on the 15 s resync, and the
reclaim policies (Retain keeps a Released volume, Delete of a manual hostPath volume fails)."""

from __future__ import annotations

import copy

import pytest

from clusterlab.engine import ApiError, Cluster
from clusterlab.engine.tables import to_table

MANUAL = "manual"


def pv(name: str, size: str = "10Gi", modes: tuple[str, ...] = ("ReadWriteOnce",), **spec: object) -> dict:
    body: dict = {
        "capacity": {"storage": size},
        "accessModes": list(modes),
        "hostPath": {"path": f"/mnt/{name}"},
        "storageClassName": MANUAL,
    }
    body.update(spec)
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name}, "spec": body}


def pvc(name: str, size: str = "3Gi", modes: tuple[str, ...] = ("ReadWriteOnce",), **spec: object) -> dict:
    body: dict = {
        "accessModes": list(modes),
        "resources": {"requests": {"storage": size}},
        "storageClassName": MANUAL,
    }
    body.update(spec)
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name}, "spec": body}


def bare() -> Cluster:
    """A kubeadm cluster without the storage add-on: no StorageClass at all."""
    return Cluster.from_scenario("statefulset-pending", seed=3)


def claim_events(c: Cluster, name: str) -> list[tuple[str, str, str, int]]:
    return [
        (e["type"], e["reason"], e["message"], int(e.get("count", 1)))
        for e in c.events()
        if e["involvedObject"]["name"] == name and e["involvedObject"]["kind"] == "PersistentVolumeClaim"
    ]


def test_defaults_and_status_on_create(cluster: Cluster) -> None:
    volume, claim = cluster.apply([pv("pv-a"), pvc("data")])
    assert volume["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert volume["spec"]["volumeMode"] == "Filesystem"
    assert volume["spec"]["hostPath"] == {"path": "/mnt/pv-a", "type": ""}
    assert volume["status"] == {"phase": "Pending", "lastPhaseTransitionTime": "2026-01-01T09:00:00Z"}
    assert claim["spec"]["volumeMode"] == "Filesystem"
    assert claim["status"] == {"phase": "Pending"}
    sc = cluster.apply(
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": "x"},
            "provisioner": "example.com/x",
        }
    )[0]
    assert (sc["reclaimPolicy"], sc["volumeBindingMode"]) == ("Delete", "Immediate")


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        (
            pv("bad", modes=()),
            'PersistentVolume "bad" is invalid: spec.accessModes: Required value',
        ),
        (
            pv("bad", modes=("ReadWriteSometimes",)),
            'PersistentVolume "bad" is invalid: spec.accessModes: Unsupported value: "ReadWriteSometimes": '
            'supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
        ),
        (
            pv("bad", persistentVolumeReclaimPolicy="Recycled"),
            'PersistentVolume "bad" is invalid: spec.persistentVolumeReclaimPolicy: Unsupported value: '
            '"Recycled": supported values: "Delete", "Recycle", "Retain"',
        ),
        (
            pvc("bad", modes=()),
            'PersistentVolumeClaim "bad" is invalid: spec.accessModes: Required value: at least 1 access '
            "mode is required",
        ),
        (
            pvc("bad", resources={}),
            'PersistentVolumeClaim "bad" is invalid: spec.resources[storage]: Required value',
        ),
        (
            {
                "apiVersion": "storage.k8s.io/v1",
                "kind": "StorageClass",
                "metadata": {"name": "bad"},
                "provisioner": "x.io/y",
                "volumeBindingMode": "Later",
            },
            'StorageClass.storage.k8s.io "bad" is invalid: volumeBindingMode: Unsupported value: "Later": '
            'supported values: "Immediate", "WaitForFirstConsumer"',
        ),
    ],
)
def test_validation_texts(cluster: Cluster, obj: dict, message: str) -> None:
    with pytest.raises(ApiError) as refused:
        cluster.apply(obj)
    assert refused.value.message == message


def test_a_volume_without_a_source_is_refused(cluster: Cluster) -> None:
    volume = pv("bad")
    del volume["spec"]["hostPath"]
    with pytest.raises(ApiError) as refused:
        cluster.apply(volume)
    assert (
        refused.value.message
        == 'PersistentVolume "bad" is invalid: spec: Required value: must specify a volume type'
    )


def test_the_docs_task_pv_binds_to_its_claim_at_once(cluster: Cluster) -> None:
    """Configure a Pod to Use a PersistentVolume: `task-pv-volume` (10Gi, class manual) and
    `task-pv-claim` (3Gi) bind in the instant they are created; the claim shows the volume's
    capacity and modes; both carry the controller's annotations."""
    cluster.apply([pv("task-pv-volume"), pvc("task-pv-claim")])
    cluster.advance(0.1)
    volume, claim = cluster.get("pv", "task-pv-volume", None), cluster.get("pvc", "task-pv-claim")
    assert volume["status"]["phase"] == "Bound"
    ref = volume["spec"]["claimRef"]
    assert (ref["kind"], ref["namespace"], ref["name"], ref["uid"]) == (
        "PersistentVolumeClaim",
        "default",
        "task-pv-claim",
        claim["metadata"]["uid"],
    )
    assert volume["metadata"]["annotations"]["pv.kubernetes.io/bound-by-controller"] == "yes"
    assert claim["spec"]["volumeName"] == "task-pv-volume"
    annotations = claim["metadata"]["annotations"]
    assert annotations["pv.kubernetes.io/bind-completed"] == "yes"
    assert annotations["pv.kubernetes.io/bound-by-controller"] == "yes"
    assert claim["status"] == {
        "phase": "Bound",
        "accessModes": ["ReadWriteOnce"],
        "capacity": {"storage": "10Gi"},
    }
    rows = to_table("persistentvolumes", [volume], now=cluster.now, epoch=cluster.server.epoch)["rows"]
    assert rows[0]["cells"] == [
        "task-pv-volume",
        "10Gi",
        "RWO",
        "Retain",
        "Bound",
        "default/task-pv-claim",
        MANUAL,
        "<unset>",
        "",
        "0s",
        "Filesystem",
    ]
    rows = to_table("persistentvolumeclaims", [claim], now=cluster.now, epoch=cluster.server.epoch)["rows"]
    assert rows[0]["cells"] == [
        "task-pv-claim",
        "Bound",
        "task-pv-volume",
        "10Gi",
        "RWO",
        MANUAL,
        "<unset>",
        "0s",
        "Filesystem",
    ]


def test_the_smallest_fitting_volume_with_the_fewest_modes_wins(cluster: Cluster) -> None:
    cluster.apply(
        [
            pv("big", "20Gi"),
            pv("small", "5Gi"),
            pv("tiny", "1Gi"),
            pv("shared", "5Gi", ("ReadWriteOnce", "ReadWriteMany")),
            pv("other-class", "4Gi", storageClassName="fast"),
        ]
    )
    cluster.advance(1)
    cluster.apply(pvc("data", "3Gi"))
    cluster.advance(0.1)
    assert cluster.get("pvc", "data")["spec"]["volumeName"] == "small"
    cluster.apply(pvc("wide", "3Gi", ("ReadWriteMany",)))
    cluster.advance(0.1)
    assert cluster.get("pvc", "wide")["spec"]["volumeName"] == "shared"


def test_a_selector_and_a_pre_bound_claim_ref(cluster: Cluster) -> None:
    labelled = pv("fast-disk", "5Gi")
    labelled["metadata"]["labels"] = {"disk": "ssd"}
    reserved = pv("reserved", "5Gi", claimRef={"namespace": "default", "name": "owner"})
    cluster.apply([pv("plain", "5Gi"), labelled, reserved])
    cluster.advance(1)
    assert cluster.get("pv", "reserved", None)["status"]["phase"] == "Available"  # pre-bound, no uid yet
    cluster.apply(pvc("picky", "1Gi", selector={"matchLabels": {"disk": "ssd"}}))
    cluster.apply(pvc("owner", "1Gi"))
    cluster.apply(pvc("anyone", "1Gi"))
    cluster.advance(0.1)
    assert cluster.get("pvc", "picky")["spec"]["volumeName"] == "fast-disk"
    assert cluster.get("pvc", "owner")["spec"]["volumeName"] == "reserved"
    assert cluster.get("pvc", "anyone")["spec"]["volumeName"] == "plain"
    # the user's pre-binding: no bound-by-controller annotation on the volume
    assert "pv.kubernetes.io/bound-by-controller" not in (
        cluster.get("pv", "reserved", None)["metadata"].get("annotations") or {}
    )


def test_a_claim_without_class_or_volume_waits_with_failed_binding_every_resync() -> None:
    c = bare()
    c.apply(pvc("orphan", storageClassName=""))
    c.advance(44)
    assert c.get("pvc", "orphan")["status"]["phase"] == "Pending"
    assert claim_events(c, "orphan") == [
        (
            "Normal",
            "FailedBinding",
            "no persistent volumes available for this claim and no storage class is set",
            3,
        )
    ]  # at 0 s, then the controller's 15 s resyncs at 15 s and 30 s


def test_a_missing_class_is_a_provisioning_failure() -> None:
    c = bare()
    c.apply(pvc("fast-data", storageClassName="fast"))
    c.advance(1)
    assert claim_events(c, "fast-data") == [
        ("Warning", "ProvisioningFailed", 'storageclass.storage.k8s.io "fast" not found', 1)
    ]


def test_a_bound_claims_spec_is_immutable_but_its_request_may_grow(cluster: Cluster) -> None:
    cluster.apply([pv("pv-a"), pvc("data")])
    cluster.advance(0.1)
    claim = cluster.get("pvc", "data")
    changed = copy.deepcopy(claim)
    changed["spec"]["accessModes"] = ["ReadWriteMany"]
    with pytest.raises(ApiError) as refused:
        cluster.update(changed)
    head, *diff = refused.value.message.split("\n")
    assert head == (
        'PersistentVolumeClaim "data" is invalid: spec: Forbidden: spec is immutable after creation except '
        "resources.requests and volumeAttributesClassName for bound claims"
    )
    # the changed field, in the shape of Go's cmp.Diff
    assert [line.split() for line in diff] == [
        ["core.PersistentVolumeClaimSpec{"],
        ["-", "AccessModes:", '{"ReadWriteOnce"},'],
        ["+", "AccessModes:", '{"ReadWriteMany"},'],
        ["...", "//", "8", "identical", "fields"],
        ["}"],
    ]
    shrunk = copy.deepcopy(claim)
    shrunk["spec"]["resources"]["requests"]["storage"] = "1Gi"
    with pytest.raises(ApiError) as refused:
        cluster.update(shrunk)
    assert refused.value.message == (
        'PersistentVolumeClaim "data" is invalid: spec.resources.requests.storage: Forbidden: field can not '
        "be less than previous value"
    )
    grown = copy.deepcopy(claim)
    grown["spec"]["resources"]["requests"]["storage"] = "5Gi"
    assert cluster.update(grown)["spec"]["resources"]["requests"]["storage"] == "5Gi"


def test_retain_keeps_a_released_volume_and_its_claim_ref(cluster: Cluster) -> None:
    cluster.apply([pv("pv-a"), pvc("data")])
    cluster.advance(1)
    cluster.delete("pvc", "data")
    cluster.advance(0.1)
    volume = cluster.get("pv", "pv-a", None)
    assert volume["status"]["phase"] == "Released"
    assert volume["spec"]["claimRef"]["name"] == "data"  # an administrator must clear it
    cluster.apply(pvc("data"))  # a new claim of the same name does not get the old data back
    cluster.advance(20)
    assert cluster.get("pvc", "data")["status"]["phase"] == "Pending"
    assert cluster.get("pv", "pv-a", None)["status"]["phase"] == "Released"


def test_delete_of_a_manual_host_path_volume_fails(cluster: Cluster) -> None:
    cluster.apply([pv("pv-a", persistentVolumeReclaimPolicy="Delete"), pvc("data")])
    cluster.advance(1)
    cluster.delete("pvc", "data")
    cluster.advance(0.1)
    volume = cluster.get("pv", "pv-a", None)
    message = "host_path deleter only supports /tmp/.+ but received provided /mnt/pv-a"
    assert (volume["status"]["phase"], volume["status"]["message"]) == ("Failed", message)
    failed = [e for e in cluster.events() if e["involvedObject"]["name"] == "pv-a"]
    assert [(e["type"], e["reason"], e["message"]) for e in failed] == [
        ("Warning", "VolumeFailedDelete", message)
    ]


def test_default_storage_class_admission_and_retroactive_default() -> None:
    c = bare()
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "early"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        }
    )
    assert "storageClassName" not in c.get("pvc", "early")["spec"]
    c.apply(
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {
                "name": "gold",
                "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
            },
            "provisioner": "example.com/gold",
        }
    )
    classless = pvc("late")
    del classless["spec"]["storageClassName"]
    late = c.apply(classless)[0]
    assert late["spec"]["storageClassName"] == "gold"  # DefaultStorageClass
    explicit = c.apply(pvc("explicit", storageClassName=""))[0]
    assert explicit["spec"]["storageClassName"] == ""  # "" asks for no class
    c.advance(15)  # the resync gives the early claim the default class (RetroactiveDefaultStorageClass)
    assert c.get("pvc", "early")["spec"]["storageClassName"] == "gold"
    table = to_table("storageclasses", c.list("storageclasses", None), now=c.now, epoch=c.server.epoch)
    assert [r["cells"] for r in table["rows"]] == [
        ["gold (default)", "example.com/gold", "Delete", "Immediate", False, "15s"]
    ]
