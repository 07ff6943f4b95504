"""Subresources: deployments/scale and replicasets/scale, pods/log, pods/eviction."""

from __future__ import annotations

import re
from typing import Any

import pytest

from clusterlab.engine import ApiError, BadRequest, Cluster, Conflict, Invalid, NotFound
from clusterlab.engine.cluster import LEARNER

from .conftest import run_until, web


@pytest.fixture
def c() -> Cluster:
    cluster = Cluster.from_scenario("default", seed=7)
    cluster.apply(web(2))
    cluster.advance(30)
    return cluster


def pod_names(c: Cluster) -> list[str]:
    return [p["metadata"]["name"] for p in c.list("pods", "default")]


def test_scale_get_update_and_patch(c: Cluster) -> None:
    s = c.server
    scale = s.get_scale(LEARNER, "deployments", "web", "default")
    d = c.get("deployment", "web")
    assert scale == {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "uid": d["metadata"]["uid"],
            "resourceVersion": d["metadata"]["resourceVersion"],
            "creationTimestamp": "2026-01-01T09:00:00Z",
        },
        "spec": {"replicas": 2},
        "status": {"replicas": 2, "selector": "app=web"},
    }
    scale["spec"]["replicas"] = 4
    out = s.update_scale(LEARNER, "deployments", "web", scale, "default")
    assert out["spec"]["replicas"] == 4 and c.get("deployment", "web")["spec"]["replicas"] == 4
    with pytest.raises(Conflict):
        s.update_scale(LEARNER, "deployments", "web", scale, "default")  # stale resourceVersion
    # kubectl scale: a merge patch on the scale subresource
    out = s.patch(LEARNER, "deployments", "web", {"spec": {"replicas": 5}}, "default", subresource="scale")
    assert out["kind"] == "Scale" and out["spec"]["replicas"] == 5
    assert [(r.verb, r.resource, r.code) for r in s.audit.records if r.resource.endswith("/scale")] == [
        ("get", "deployments/scale", 200),
        ("update", "deployments/scale", 200),
        ("update", "deployments/scale", 409),
        ("patch", "deployments/scale", 200),
    ]
    rs = c.list("replicasets", "default")[0]["metadata"]["name"]
    assert s.get_scale(LEARNER, "rs", rs, "default")["status"]["selector"].startswith(
        "app=web,pod-template-hash="
    )
    with pytest.raises(Invalid) as exc:
        s.patch(LEARNER, "deployments", "web", {"spec": {"replicas": -1}}, "default", subresource="scale")
    assert exc.value.message == (
        'Scale.autoscaling "web" is invalid: '
        "spec.replicas: Invalid value: -1: must be greater than or equal to 0"
    )
    with pytest.raises(NotFound):
        s.get_scale(LEARNER, "pods", pod_names(c)[0], "default")
    scaled = next(
        e for e in c.get("deployment", "web")["metadata"]["managedFields"] if e.get("subresource") == "scale"
    )
    assert (scaled["manager"], scaled["fieldsV1"]) == ("kubectl", {"f:spec": {"f:replicas": {}}})


NGINX_LOG = [
    "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
    "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
    "10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf",
    "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf",
    "/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh",
    "/docker-entrypoint.sh: Configuration complete; ready for start up",
]


def test_pod_log_is_nginx_startup_output(c: Cluster) -> None:
    pod = c.list("pods", "default")[0]
    name = pod["metadata"]["name"]
    started = pod["status"]["containerStatuses"][0]["state"]["running"]["startedAt"]
    log = c.server.pod_log(LEARNER, name, "default")
    stamp = log.splitlines()[9][:19]  # nginx logs in its own format, ~0.1 s after the entrypoint
    assert re.fullmatch(r"2026/01/01 09:00:0\d", stamp)
    assert log.splitlines() == [
        *NGINX_LOG,
        f'{stamp} [notice] 1#1: using the "epoll" event method',
        f"{stamp} [notice] 1#1: nginx/1.27.5",
        f"{stamp} [notice] 1#1: built by gcc 12.2.0 (Debian 12.2.0-14) ",
        f"{stamp} [notice] 1#1: OS: Linux 6.8.0-49-generic",
        f"{stamp} [notice] 1#1: getrlimit(RLIMIT_NOFILE): 1048576:1048576",
        f"{stamp} [notice] 1#1: start worker processes",
        f"{stamp} [notice] 1#1: start worker process 29",
        f"{stamp} [notice] 1#1: start worker process 30",
    ]
    assert log.endswith("start worker process 30\n")
    assert (
        c.server.pod_log(LEARNER, name, "default", tail_lines=1)
        == f"{stamp} [notice] 1#1: start worker process 30\n"
    )
    assert c.server.pod_log(LEARNER, name, "default", since_seconds=5) == ""
    first = c.server.pod_log(LEARNER, name, "default", timestamps=True).splitlines()[0]
    assert first.startswith(started[:-1] + ".") and first.endswith("000Z " + NGINX_LOG[0])
    assert len(first.split(" ", 1)[0]) == len("2026-01-01T09:00:03.123456789Z")
    assert c.server.audit.records[-1].resource == "pods/log"


def test_pod_log_errors(c: Cluster) -> None:
    two = web(1, name="two")
    two["spec"]["template"]["spec"]["containers"].append({"name": "cache", "image": "redis:7.4"})
    c.apply(two)
    c.advance(1.0)
    pod = c.list("pods", "default", selector="app=two")[0]["metadata"]["name"]
    with pytest.raises(BadRequest) as exc:
        c.server.pod_log(LEARNER, pod, "default")
    assert (
        exc.value.message == f"a container name must be specified for pod {pod}, choose one of: [nginx cache]"
    )
    with pytest.raises(BadRequest) as exc:
        c.server.pod_log(LEARNER, pod, "default", "cache")
    assert exc.value.message == f'container "cache" in pod "{pod}" is waiting to start: ContainerCreating'
    with pytest.raises(BadRequest, match=f"container nope is not valid for pod {pod}"):
        c.server.pod_log(LEARNER, pod, "default", "nope")
    run_until(c, lambda: "Ready to accept connections" in _safe_log(c, pod, "cache"), limit=30)
    assert "Redis version=7.4.6" in c.server.pod_log(LEARNER, pod, "default", "cache")
    with pytest.raises(BadRequest) as exc:
        c.server.pod_log(LEARNER, pod, "default", "cache", previous=True)
    assert exc.value.message == f'previous terminated container "cache" in pod "{pod}" not found'
    with pytest.raises(NotFound):
        c.server.pod_log(LEARNER, "ghost", "default")


def _safe_log(c: Cluster, pod: str, container: str) -> str:
    try:
        return c.server.pod_log(LEARNER, pod, "default", container)
    except ApiError:
        return ""


def test_previous_log_after_a_reboot_and_unreachable_kubelet(c: Cluster) -> None:
    pod = c.list("pods", "default")[0]
    name, node = pod["metadata"]["name"], pod["spec"]["nodeName"]
    ip = pod["status"]["hostIP"]
    c.kill_node(node)
    with pytest.raises(ApiError) as exc:
        c.server.pod_log(LEARNER, name, "default")
    assert exc.value.code == 500
    assert exc.value.message == (
        f'Get "https://{ip}:10250/containerLogs/default/{name}/nginx": '
        f"dial tcp {ip}:10250: connect: no route to host"
    )
    c.restore_node(node)
    run_until(c, lambda: c.get("pod", name)["status"]["containerStatuses"][0]["restartCount"] == 1, limit=60)
    c.advance(2)
    previous = c.server.pod_log(LEARNER, name, "default", previous=True)
    assert previous.splitlines()[0] == NGINX_LOG[0]


def test_eviction_is_a_graceful_delete(c: Cluster) -> None:
    name = pod_names(c)[0]
    eviction: dict[str, Any] = {
        "apiVersion": "policy/v1",
        "kind": "Eviction",
        "metadata": {"name": name, "namespace": "default"},
    }
    out = c.server.evict(LEARNER, name, "default", eviction)
    assert out == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
    record = c.server.audit.records[-1]
    assert (record.verb, record.resource, record.name, record.code) == ("create", "pods/eviction", name, 201)
    pod = c.get("pod", name)
    assert pod["metadata"]["deletionTimestamp"] == "2026-01-01T09:01:00Z"  # now + 30 s grace
    with pytest.raises(NotFound):
        c.server.evict(LEARNER, "ghost", "default", {"kind": "Eviction", "metadata": {"name": "ghost"}})
    with pytest.raises(BadRequest, match="name in URL does not match name in Eviction object"):
        c.server.evict(LEARNER, pod_names(c)[1], "default", eviction)


def test_httpd_and_redis_write_their_startup_lines() -> None:
    from clusterlab.engine.node.container_logs import startup_output
    from clusterlab.engine.timefmt import parse_epoch

    epoch = parse_epoch("2026-01-01T09:00:00Z")
    httpd = [
        text for _, text in startup_output("docker.io/library/httpd:2.4", 5.5, epoch, "10.244.1.7", "2", "k")
    ]
    assert httpd == [
        "AH00558: httpd: Could not reliably determine the server's fully qualified domain name, using "
        "10.244.1.7. Set the 'ServerName' directive globally to suppress this message",
    ] * 2 + [
        "[Thu Jan 01 09:00:05.500000 2026] [mpm_event:notice] [pid 1:tid 1] AH00489: Apache/2.4.65 (Unix) "
        "configured -- resuming normal operations",
        "[Thu Jan 01 09:00:05.500000 2026] [core:notice] [pid 1:tid 1] AH00094: "
        "Command line: 'httpd -D FOREGROUND'",
    ]
    redis = [
        text for _, text in startup_output("docker.io/library/redis:7.4", 5.5, epoch, "10.244.1.7", "2", "k")
    ]
    assert redis[0] == "1:C 01 Jan 2026 09:00:05.500 * oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo"
    assert redis[-1] == "1:M 01 Jan 2026 09:00:05.500 * Ready to accept connections tcp"
    assert startup_output("docker.io/library/busybox:latest", 0, epoch, "", "1", "k") == []
