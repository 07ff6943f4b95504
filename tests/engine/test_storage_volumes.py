"""The kubelet's data volumes: files written to an emptyDir survive a container's restart but
not the pod; files on a claim's volume survive the pod's deletion and re-creation; a pod whose
claim is not bound waits in ContainerCreating with FailedMount; and the StatefulSet
controller's claims (`www-web-0`), created before their pods and kept by the default
retention policy."""

from __future__ import annotations

from clusterlab.engine import Cluster
from clusterlab.engine.audit import User

ADMIN = User("kubernetes-admin", "kubectl")
# each run of the container appends a line, then the container exits and is restarted
APPEND_AND_EXIT = "echo run >> /data/runs; sleep 2; exit 1"


def pod(name: str, volume: dict, command: str = "sleep 3600", **spec: object) -> dict:
    body: dict = {
        "containers": [
            {
                "name": "c",
                "image": "busybox:1.37",
                "command": ["sh", "-c", command],
                "volumeMounts": [{"name": "d", "mountPath": "/data"}],
            }
        ],
        "volumes": [{"name": "d", **volume}],
    }
    body.update(spec)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": body}


def cat(c: Cluster, name: str, path: str) -> str:
    result = c.server.pod_exec(ADMIN, name, "default", None, ["cat", path])
    return result.stdout or result.stderr


def sh(c: Cluster, name: str, script: str) -> None:
    c.server.pod_exec(ADMIN, name, "default", None, ["sh", "-c", script])


def test_an_empty_dir_keeps_files_across_restarts_but_not_across_pods(cluster: Cluster) -> None:
    cluster.apply(pod("counter", {"emptyDir": {}}, APPEND_AND_EXIT))
    uid = cluster.get("pod", "counter")["metadata"]["uid"]
    cluster.advance(1)
    node = cluster.get("pod", "counter")["spec"]["nodeName"]
    disk = cluster._kubelet(node).volumes.disk
    path = f"/var/lib/kubelet/pods/{uid}/volumes/kubernetes.io~empty-dir/d"
    for _ in range(6):
        cluster.advance(7)
        status = cluster.get("pod", "counter")["status"]["containerStatuses"][0]
        # every start of the container (the restarts, and the first) appended to the same file
        assert disk.get(path) == {"runs": "run\n" * (status["restartCount"] + 1)}
    assert status["restartCount"] >= 2
    cluster.delete("pod", "counter")
    cluster.advance(40)
    assert disk.get(path) is None  # the pod left the node: its emptyDir is removed
    cluster.apply(pod("counter", {"emptyDir": {}}, "sleep 3600"))
    cluster.advance(5)
    assert cat(cluster, "counter", "/data/runs") == "cat: /data/runs: No such file or directory\n"


def test_a_claims_files_survive_the_pod(cluster: Cluster) -> None:
    cluster.advance(20)
    cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        }
    )
    claim = {"persistentVolumeClaim": {"claimName": "data"}}
    cluster.apply(pod("writer", claim))
    cluster.advance(10)
    sh(cluster, "writer", "echo kept > /data/f; echo lost > /f")
    assert (cat(cluster, "writer", "/data/f"), cat(cluster, "writer", "/f")) == ("kept\n", "lost\n")
    node = cluster.get("pod", "writer")["spec"]["nodeName"]
    cluster.delete("pod", "writer")
    cluster.advance(40)
    cluster.apply(pod("reader", claim))
    cluster.advance(5)
    assert cluster.get("pod", "reader")["spec"]["nodeName"] == node  # the volume is on that node
    assert cat(cluster, "reader", "/data/f") == "kept\n"
    assert cat(cluster, "reader", "/f") == "cat: /f: No such file or directory\n"


def test_a_pod_bound_to_a_node_waits_for_its_unbound_claim() -> None:
    c = Cluster.from_scenario("statefulset-pending", seed=5)  # no StorageClass: the claim stays Pending
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        }
    )
    c.apply(pod("pinned", {"persistentVolumeClaim": {"claimName": "data"}}, nodeName="worker-1"))
    c.advance(30)
    status = c.get("pod", "pinned")["status"]
    waiting = status["containerStatuses"][0]["state"]["waiting"]
    assert (status["phase"], waiting["reason"], status.get("podIP")) == ("Pending", "ContainerCreating", None)
    mounts = [
        e for e in c.events() if e["involvedObject"]["name"] == "pinned" and e["reason"] == "FailedMount"
    ]
    assert mounts[0]["message"] == (
        "Unable to attach or mount volumes: unmounted volumes=[d], unattached volumes=[], failed to process "
        "volumes=[d]: error processing PVC default/data: PVC is not bound"
    )
    assert mounts[0]["count"] == 3  # the pod worker retries every 10–15 s
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {"name": "disk"},
            "spec": {
                "capacity": {"storage": "1Gi"},
                "accessModes": ["ReadWriteOnce"],
                "hostPath": {"path": "/srv"},
            },
        }
    )
    c.advance(30)  # the PV controller's resync binds the claim; the next retry mounts it
    assert c.get("pod", "pinned")["status"]["phase"] == "Running"


def test_a_statefulset_makes_its_claims_first_and_keeps_them(cluster: Cluster) -> None:
    cluster.advance(20)
    cluster.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "web"},
            "spec": {
                "serviceName": "nginx",
                "replicas": 2,
                "selector": {"matchLabels": {"app": "nginx"}},
                "template": {
                    "metadata": {"labels": {"app": "nginx"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "nginx",
                                "image": "registry.k8s.io/nginx-slim:0.24",
                                "volumeMounts": [{"name": "www", "mountPath": "/usr/share/nginx/html"}],
                            }
                        ]
                    },
                },
                "volumeClaimTemplates": [
                    {
                        "metadata": {"name": "www"},
                        "spec": {
                            "accessModes": ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": "1Gi"}},
                        },
                    }
                ],
            },
        }
    )
    cluster.advance(30)
    claims = cluster.list("pvc", "default")
    assert [(p["metadata"]["name"], p["status"]["phase"], p["metadata"]["labels"]) for p in claims] == [
        ("www-web-0", "Bound", {"app": "nginx"}),
        ("www-web-1", "Bound", {"app": "nginx"}),
    ]
    assert all("ownerReferences" not in p["metadata"] for p in claims)  # Retain, Retain
    created = [e["message"] for e in cluster.events() if e["reason"] == "SuccessfulCreate"]
    assert created[-4:] == [
        "create Claim www-web-0 Pod web-0 in StatefulSet web success",
        "create Pod web-0 in StatefulSet web successful",
        "create Claim www-web-1 Pod web-1 in StatefulSet web success",
        "create Pod web-1 in StatefulSet web successful",
    ]
    sh(cluster, "web-1", "echo web-1 > /usr/share/nginx/html/index.html")
    cluster.scale("statefulset", "web", 1)
    cluster.advance(30)
    cluster.scale("statefulset", "web", 2)
    cluster.advance(30)
    # web-1 comes back on its old claim, with its page
    assert cat(cluster, "web-1", "/usr/share/nginx/html/index.html") == "web-1\n"
    cluster.delete("statefulset", "web")
    cluster.advance(60)
    assert [p["metadata"]["name"] for p in cluster.list("pvc", "default")] == ["www-web-0", "www-web-1"]


def test_when_deleted_delete_lets_the_claims_go_with_the_set(cluster: Cluster) -> None:
    cluster.advance(20)
    cluster.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "db"},
            "spec": {
                "serviceName": "db",
                "replicas": 1,
                "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete", "whenScaled": "Retain"},
                "selector": {"matchLabels": {"app": "db"}},
                "template": {
                    "metadata": {"labels": {"app": "db"}},
                    "spec": {
                        "containers": [{"name": "c", "image": "busybox:1.37", "command": ["sleep", "3600"]}]
                    },
                },
                "volumeClaimTemplates": [
                    {
                        "metadata": {"name": "data"},
                        "spec": {
                            "accessModes": ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": "1Gi"}},
                        },
                    }
                ],
            },
        }
    )
    cluster.advance(15)
    sts = cluster.get("statefulset", "db")
    refs = cluster.get("pvc", "data-db-0")["metadata"]["ownerReferences"]
    assert refs == [
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db", "uid": sts["metadata"]["uid"]}
    ]
    cluster.delete("statefulset", "db")
    cluster.advance(60)
    assert cluster.list("pvc", "default") == []
    assert cluster.list("pv") == []  # the Delete reclaim policy of the default class


def test_a_claim_in_use_stays_terminating_until_its_pod_is_gone(cluster: Cluster) -> None:
    cluster.advance(20)
    cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        }
    )
    cluster.apply(pod("user", {"persistentVolumeClaim": {"claimName": "data"}}))
    cluster.advance(10)
    claim = cluster.get("pvc", "data")
    volume = cluster.get("pv", claim["spec"]["volumeName"], None)
    assert claim["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"]
    assert volume["metadata"]["finalizers"] == ["kubernetes.io/pv-protection"]
    cluster.delete("pvc", "data")
    cluster.advance(30)
    claim = cluster.get("pvc", "data")  # still there: the pod uses it
    assert claim["metadata"].get("deletionTimestamp") and claim["status"]["phase"] == "Bound"
    cluster.delete("pod", "user")
    cluster.advance(40)  # the pod's 30 s grace period, then the claim goes, then its volume
    assert cluster.list("pvc", "default") == []
    assert cluster.list("pv") == []


def test_host_path_types_check_what_the_node_has(cluster: Cluster) -> None:
    cluster.apply(pod("logs", {"hostPath": {"path": "/var/log", "type": "Directory"}}))
    cluster.apply(pod("docker", {"hostPath": {"path": "/var/run/docker.sock", "type": "Socket"}}))
    cluster.advance(10)
    assert cluster.get("pod", "logs")["status"]["phase"] == "Running"
    assert (
        cluster.get("pod", "docker")["status"]["phase"] == "Pending"
    )  # containerd nodes have no docker.sock
    (failed,) = [
        e
        for e in cluster.events()
        if e["involvedObject"]["name"] == "docker" and e["reason"] == "FailedMount"
    ]
    assert failed["message"] == (
        'MountVolume.SetUp failed for volume "d" : hostPath type check failed: /var/run/docker.sock is not '
        "a socket file"
    )
    assert failed["count"] == 5  # at 0.5 s, then 0.5, 1, 2 and 4 s later
