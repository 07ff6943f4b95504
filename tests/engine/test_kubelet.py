"""The kubelet: a pod's way from bound to Running on the virtual clock, heartbeats, deletion."""

from clusterlab.engine.printers import pod_ready, pod_status
from clusterlab.engine.timefmt import go_duration, seconds_since

from .conftest import events_for, pods_of, run_until, web


def _pod(name="solo", image="nginx:1.27", policy=None):
    c = {"name": "app", "image": image}
    if policy:
        c["imagePullPolicy"] = policy
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {"containers": [c]}}


def test_pod_lifecycle_is_scheduled_pulled_created_started(cluster):
    cluster.apply(_pod())
    cluster.advance(0)
    p = cluster.get("pod", "solo")
    node = p["spec"]["nodeName"]
    assert node.startswith("worker-")
    assert (pod_status(p), pod_ready(p)) == ("ContainerCreating", "0/1")
    assert p["status"]["containerStatuses"][0]["state"] == {"waiting": {"reason": "ContainerCreating"}}
    assert "podIP" not in p["status"]  # no sandbox yet
    running_at = run_until(cluster, lambda: pod_status(cluster.get("pod", "solo")) == "Running")
    p = cluster.get("pod", "solo")
    assert pod_ready(p) == "1/1"
    assert p["status"]["podIP"].startswith("10.244.")
    assert p["status"]["containerStatuses"][0]["imageID"].startswith("docker.io/library/nginx@sha256:")
    evs = events_for(cluster, "solo")
    assert [e["reason"] for e in evs] == ["Scheduled", "Pulling", "Pulled", "Created", "Started"]
    assert evs[0]["message"] == f"Successfully assigned default/solo to {node}"
    assert evs[1]["message"] == 'Pulling image "nginx:1.27"'
    pulled = evs[2]["message"]
    assert pulled.startswith('Successfully pulled image "nginx:1.27" in ')
    assert pulled.endswith("including waiting). Image size: 72099410 bytes.")
    assert evs[3]["message"] == "Created container: app" and evs[4]["message"] == "Started container app"
    assert {e["source"]["component"] for e in evs[1:]} == {"kubelet"}
    # 72 MB at ~25 MB/s takes seconds, not zero: sandbox 0.5 s + pull + create 0.1 s + start 0.2 s
    assert 2.5 < running_at < 5.0


def test_cached_image_is_not_pulled_again(cluster):
    cluster.apply(_pod("first"))
    cluster.advance(10)
    node = cluster.get("pod", "first")["spec"]["nodeName"]
    second = _pod("second")
    second["spec"]["nodeName"] = node  # place it by hand on the same node
    cluster.apply(second)
    cluster.advance(0.5 + 0.1 + 0.2)
    assert pod_status(cluster.get("pod", "second")) == "Running"
    assert [e["message"] for e in events_for(cluster, "second") if e["reason"] == "Pulled"] == [
        'Container image "nginx:1.27" already present on machine'
    ]


def test_missing_image_goes_to_image_pull_backoff(cluster):
    cluster.apply(_pod(image="ngnix:1.27"))
    run_until(cluster, lambda: pod_status(cluster.get("pod", "solo")) == "ErrImagePull", limit=5)
    run_until(cluster, lambda: pod_status(cluster.get("pod", "solo")) == "ImagePullBackOff", limit=5)
    msgs = [(e["reason"], e["message"]) for e in events_for(cluster, "solo")]
    assert "Warning" in {e["type"] for e in events_for(cluster, "solo")}
    assert ("Failed", "Error: ErrImagePull") in msgs
    assert ("BackOff", 'Back-off pulling image "ngnix:1.27"') in msgs
    assert any(
        m.startswith(
            'Failed to pull image "ngnix:1.27": rpc error: code = NotFound desc = '
            'failed to pull and unpack image "docker.io/library/ngnix:1.27"'
        )
        for _, m in msgs
    )
    cluster.advance(120)
    pulls = [e for e in events_for(cluster, "solo") if e["reason"] == "Pulling"]
    # retried after 10 s, 20 s, 40 s, 80 s of backoff: 1 + 3 attempts within ~2 minutes
    assert pulls[0]["count"] == 4


def test_node_lease_is_renewed_every_ten_seconds(cluster):
    cluster.advance(35)
    lease = cluster.get("lease", "worker-2", "kube-node-lease")
    assert lease["spec"]["renewTime"] == "2026-01-01T09:00:30.000000Z"
    assert lease["spec"]["leaseDurationSeconds"] == 40
    renewals = [
        c
        for c in cluster.api_calls()
        if c.resource == "leases" and c.name == "worker-2" and c.verb == "update"
    ]
    assert [c.time for c in renewals] == [10.0, 20.0, 30.0]
    assert {c.actor for c in renewals} == {"system:node:worker-2"}


def test_node_reports_status_and_conditions(cluster):
    node = cluster.get("node", "worker-1", None)
    conds = {c["type"]: (c["status"], c["reason"]) for c in node["status"]["conditions"]}
    assert conds == {
        "MemoryPressure": ("False", "KubeletHasSufficientMemory"),
        "DiskPressure": ("False", "KubeletHasNoDiskPressure"),
        "PIDPressure": ("False", "KubeletHasSufficientPID"),
        "Ready": ("True", "KubeletReady"),
    }
    assert node["status"]["allocatable"]["cpu"] == "2" and node["status"]["allocatable"]["memory"] == "4Gi"
    assert node["status"]["capacity"]["memory"] == "4196Mi"  # + kubeadm's 100Mi eviction threshold
    assert node["status"]["nodeInfo"]["kubeletVersion"] == "v1.32.0"

    # Status is patched when it changed (any field but the heartbeat times: `nodeStatusHasChanged`)
    # and otherwise at the latest nodeStatusReportFrequency (5 min) after the last report. The
    # add-ons' images (CoreDNS, local-path-provisioner) pulled on worker-1 reach the image
    # manager's 30 s cache at t=30: `status.images` changed, so it is posted then, and next at 330.
    def heartbeat() -> float:
        node = cluster.get("node", "worker-1", None)
        ready = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
        return seconds_since(cluster.epoch, ready["lastHeartbeatTime"])

    def images() -> set[str]:
        return {n for i in cluster.get("node", "worker-1", None)["status"]["images"] for n in i["names"]}

    cluster.advance(29)
    assert heartbeat() == 0.0
    assert "registry.k8s.io/coredns/coredns:v1.11.3" not in images()
    cluster.advance(1)
    assert heartbeat() == 30.0
    assert "registry.k8s.io/coredns/coredns:v1.11.3" in images()
    cluster.advance(299)  # t=329: nothing changed since t=30
    assert heartbeat() == 30.0
    cluster.advance(6)  # t=335
    assert heartbeat() == 330.0


def test_control_plane_runs_as_static_mirror_pods(cluster):
    cluster.advance(3)
    # kube-system also runs the metrics-server Deployment's pod, an ordinary one
    pods = [
        p
        for p in cluster.list("pods", "kube-system")
        if p["metadata"]["labels"].get("tier") == "control-plane"
    ]
    (metrics_server,) = cluster.list("pods", "kube-system", selector="k8s-app=metrics-server")
    assert metrics_server["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet"
    assert sorted(p["metadata"]["name"] for p in pods) == [
        "etcd-control-plane",
        "kube-apiserver-control-plane",
        "kube-controller-manager-control-plane",
        "kube-scheduler-control-plane",
    ]
    for p in pods:
        assert pod_status(p) == "Running"
        assert p["metadata"]["annotations"]["kubernetes.io/config.source"] == "file"
        assert p["spec"]["priority"] == 2000001000
        assert p["status"]["podIP"] == "172.18.0.2"  # hostNetwork


def test_go_durations():
    assert [go_duration(x) for x in (0.412, 2.345, 2.0, 65.2)] == ["412ms", "2.345s", "2s", "1m5.2s"]


def test_all_pods_get_distinct_ips(cluster):
    cluster.apply(web(replicas=12))
    cluster.advance(30)
    ips = [p["status"]["podIP"] for p in pods_of(cluster)]
    assert len(set(ips)) == 12


def test_static_pod_events_carry_the_static_pods_uid(cluster):
    cluster.advance(3)
    mirror = cluster.get("pod", "etcd-control-plane", "kube-system")
    config_hash = mirror["metadata"]["annotations"]["kubernetes.io/config.mirror"]
    evs = [e for e in cluster.events() if e["involvedObject"]["name"] == "etcd-control-plane"]
    assert evs and {e["involvedObject"]["uid"] for e in evs} == {config_hash}
    assert config_hash != mirror["metadata"]["uid"]
