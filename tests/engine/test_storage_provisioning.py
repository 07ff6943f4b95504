"""Dynamic provisioning by the default StorageClass (`standard`, rancher.io/local-path,
WaitForFirstConsumer) following the scheduler: exact timelines of the claim's events, the pod
bound only once its claim is, the volume pinned to the scheduler's node, Delete reclaiming,
and a node-local volume that pins the next pod."""

from __future__ import annotations

import pytest

from clusterlab.engine import Cluster

PROVISIONER_SOURCE = "rancher.io/local-path_local-path-provisioner-"


def claim(name: str = "data", **spec: object) -> dict:
    body: dict = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    body.update(spec)
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name}, "spec": body}


def writer(name: str = "writer", claim_name: str = "data", **spec: object) -> dict:
    body: dict = {
        "containers": [
            {
                "name": "c",
                "image": "busybox:1.37",
                "command": ["sh", "-c", "sleep 3600"],
                "volumeMounts": [{"name": "d", "mountPath": "/data"}],
            }
        ],
        "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": claim_name}}],
    }
    body.update(spec)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": body}


def reasons(c: Cluster, kind: str, name: str) -> list[tuple[str, str, int]]:
    """(reason, source, count) of an object's events, in the order they were first recorded."""
    out = []
    for e in sorted(c.events(), key=lambda e: (e["firstTimestamp"], e["metadata"]["name"])):
        ref = e["involvedObject"]
        if ref["kind"] == kind and ref["name"] == name:
            source = e["source"]["component"]
            if source.startswith(PROVISIONER_SOURCE):
                source = "local-path-provisioner"
            out.append((e["reason"], source, int(e.get("count", 1))))
    return out


@pytest.fixture(scope="module")
def provisioned() -> tuple[Cluster, dict[str, object]]:
    """A claim of the default class, then a pod using it; the states each second."""
    c = Cluster.from_scenario("default", seed=11)
    c.advance(20)  # the provisioner's pod is up
    c.apply(claim())
    c.advance(5)
    start = c.now
    c.apply(writer())
    seen: list[tuple[float, str, str, str, str]] = []
    while c.now < start + 8:
        c.advance(0.5)
        pvc, pod = c.get("pvc", "data"), c.get("pod", "writer")
        row = (
            (pvc["metadata"].get("annotations") or {}).get("volume.kubernetes.io/selected-node", ""),
            pvc["status"]["phase"],
            pod["spec"].get("nodeName", ""),
            pod["status"]["phase"],
        )
        if not seen or seen[-1][1:] != row:
            seen.append((round(c.now - start, 1), *row))
    return c, {"start": start, "seen": seen}


def test_wait_for_first_consumer_then_provisioned_on_the_scheduled_node(provisioned) -> None:
    c, facts = provisioned
    node = c.get("pod", "writer")["spec"]["nodeName"]
    # the selected node is written at once; 2 s of the provisioner's helper; the claim is bound;
    # the scheduler's next poll (each second) binds the pod; sandbox, pull and start follow
    assert facts["seen"] == [
        (0.5, node, "Pending", "", "Pending"),
        (2.5, node, "Bound", "", "Pending"),
        (3.0, node, "Bound", node, "Pending"),
        (4.5, node, "Bound", node, "Running"),
    ]
    assert reasons(c, "PersistentVolumeClaim", "data") == [
        ("WaitForFirstConsumer", "persistentvolume-controller", 1),
        # once the scheduler selects a node, and again when the controller's own annotation
        # of the claim (storage-provisioner) comes back through its informer
        ("ExternalProvisioning", "persistentvolume-controller", 2),
        ("Provisioning", "local-path-provisioner", 1),
        ("ProvisioningSucceeded", "local-path-provisioner", 1),
    ]
    messages = {e["reason"]: e["message"] for e in c.events() if e["involvedObject"]["name"] == "data"}
    assert messages["WaitForFirstConsumer"] == "waiting for first consumer to be created before binding"
    assert messages["ExternalProvisioning"] == (
        "Waiting for a volume to be created either by the external provisioner 'rancher.io/local-path' or "
        "manually by the system administrator. If volume creation is delayed, please verify that the "
        "provisioner is running and correctly registered."
    )
    assert messages["Provisioning"] == 'External provisioner is provisioning volume for claim "default/data"'
    pvc = c.get("pvc", "data")
    volume = pvc["spec"]["volumeName"]
    assert volume == f"pvc-{pvc['metadata']['uid']}"
    assert messages["ProvisioningSucceeded"] == f"Successfully provisioned volume {volume}"


def test_the_provisioned_volume_is_pinned_to_the_node(provisioned) -> None:
    c, _ = provisioned
    node = c.get("pod", "writer")["spec"]["nodeName"]
    pvc = c.get("pvc", "data")
    pv = c.get("pv", pvc["spec"]["volumeName"], None)
    assert pv["metadata"]["annotations"] == {
        "local.path.provisioner/selected-node": node,
        "pv.kubernetes.io/provisioned-by": "rancher.io/local-path",
    }
    spec = pv["spec"]
    assert spec["hostPath"] == {
        "path": f"/var/local-path-provisioner/{pv['metadata']['name']}_default_data",
        "type": "DirectoryOrCreate",
    }
    assert spec["nodeAffinity"] == {
        "required": {
            "nodeSelectorTerms": [
                {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}]}
            ]
        }
    }
    assert (spec["persistentVolumeReclaimPolicy"], spec["storageClassName"]) == ("Delete", "standard")
    assert (spec["capacity"], spec["accessModes"]) == ({"storage": "1Gi"}, ["ReadWriteOnce"])
    assert (
        pvc["metadata"]["annotations"]["volume.kubernetes.io/storage-provisioner"] == "rancher.io/local-path"
    )


def test_a_node_local_volume_pins_the_next_pod_and_delete_reclaims_it(provisioned) -> None:
    c, _ = provisioned
    node = c.get("pod", "writer")["spec"]["nodeName"]
    c.delete("pod", "writer")
    c.advance(40)
    # a second pod that may not go to that node stays Pending: the volume is on it
    others = [n for n in ("worker-1", "worker-2", "worker-3") if n != node]
    c.apply(writer("elsewhere", nodeSelector={"kubernetes.io/hostname": others[0]}))
    c.advance(1)
    failed = [e["message"] for e in c.events() if e["involvedObject"]["name"] == "elsewhere"]
    assert failed == [
        "0/4 nodes are available: 1 node(s) didn't match PersistentVolume's node affinity, 1 node(s) had "
        "untolerated taint {node-role.kubernetes.io/control-plane: }, 2 node(s) didn't match Pod's node "
        "affinity/selector. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.."
    ]
    c.delete("pod", "elsewhere")
    volume = c.get("pvc", "data")["spec"]["volumeName"]
    c.advance(1)
    c.delete("pvc", "data")
    c.advance(1)
    assert c.get("pv", volume, None)["status"]["phase"] == "Released"
    c.advance(2)  # the teardown helper, then the provisioner deletes the volume
    assert [p["metadata"]["name"] for p in c.list("pv")] == []


def test_immediate_binding_with_local_path_has_no_node_to_provision_on() -> None:
    c = Cluster.from_scenario("default", seed=11)
    c.advance(20)
    c.apply(
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": "local-now"},
            "provisioner": "rancher.io/local-path",
            "volumeBindingMode": "Immediate",
        }
    )
    c.apply(claim("now", storageClassName="local-now"))
    c.advance(16)
    assert c.get("pvc", "now")["status"]["phase"] == "Pending"
    assert reasons(c, "PersistentVolumeClaim", "now") == [
        # at 0 s, again when its own annotation update comes back, then at the 15 s resync
        ("ExternalProvisioning", "persistentvolume-controller", 3),
        # the provisioner's first attempt, then its retry 15 s later
        ("Provisioning", "local-path-provisioner", 2),
        ("ProvisioningFailed", "local-path-provisioner", 2),
    ]
    failed = next(e for e in c.events() if e["reason"] == "ProvisioningFailed")
    assert failed["type"] == "Warning"
    assert failed["message"] == (
        'failed to provision volume with StorageClass "local-now": configuration error, no node was specified'
    )
