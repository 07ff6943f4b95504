"""`kubectl describe pod` of pods with probes, console against the real kubectl 1.32: the
`Liveness:`/`Readiness:`/`Startup:` lines and the kubelet's `Unhealthy`/`Killing` events of
the Kubernetes docs' probe examples, run on an engine cluster."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.kubectl import run

from .fakeapi import CannedAPI, have_kubectl, real_kubectl
from .tables import TABLES

pytestmark = pytest.mark.skipif(not have_kubectl(), reason="the kubectl.1.32 binary is not installed")


def _container(name: str, image: str, **spec: Any) -> dict[str, Any]:
    return {"name": name, "image": image, **spec}


PODS = [
    (
        "liveness-exec",
        _container(
            "liveness",
            "registry.k8s.io/busybox:1.27.2",
            args=["/bin/sh", "-c", "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"],
            livenessProbe={
                "exec": {"command": ["cat", "/tmp/healthy"]},
                "initialDelaySeconds": 5,
                "periodSeconds": 5,
            },
        ),
    ),
    (
        "liveness-http",
        _container(
            "liveness",
            "registry.k8s.io/e2e-test-images/agnhost:2.40",
            args=["liveness"],
            livenessProbe={
                "httpGet": {
                    "path": "/healthz",
                    "port": 8080,
                    "httpHeaders": [{"name": "Custom-Header", "value": "A"}],
                },
                "initialDelaySeconds": 3,
                "periodSeconds": 3,
            },
        ),
    ),
    (
        "goproxy",
        _container(
            "goproxy",
            "registry.k8s.io/goproxy:0.1",
            ports=[{"containerPort": 8080}],
            readinessProbe={"tcpSocket": {"port": 8080}, "initialDelaySeconds": 5, "periodSeconds": 10},
            livenessProbe={"tcpSocket": {"port": 8080}, "initialDelaySeconds": 15, "periodSeconds": 20},
        ),
    ),
    (
        "etcd-with-grpc",
        _container(
            "etcd",
            "registry.k8s.io/etcd:3.5.1-0",
            command=["/usr/local/bin/etcd", "--data-dir", "/var/lib/etcd"],
            ports=[{"containerPort": 2379}],
            livenessProbe={"grpc": {"port": 2379}, "initialDelaySeconds": 10},
        ),
    ),
    (
        "gated",
        _container(
            "web",
            "nginx:1.27",
            startupProbe={
                "httpGet": {"path": "/starting", "port": 80},
                "failureThreshold": 30,
                "periodSeconds": 2,
            },
        ),
    ),
]


@cache
def _objects() -> tuple[dict[str, Any], ...]:
    c = Cluster()
    c.advance(30)
    for name, container in PODS:
        c.apply(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name},
                "spec": {"containers": [container]},
            }
        )
    c.advance(60)
    kinds = ("namespaces", "nodes", "pods", "events")
    return tuple(copy.deepcopy(o) for k in kinds for o in c.observe(k))


@pytest.mark.parametrize("name", [name for name, _ in PODS])
def test_describe_pod_with_probes_prints_what_kubectl_prints(name: str) -> None:
    objects = [copy.deepcopy(o) for o in _objects()]
    apis = [CannedAPI(objects, TABLES) for _ in range(2)]
    out, err, rc = real_kubectl(apis[0], ["describe", "pod", name])
    mine = run(f"kubectl describe pod {name}", apis[1], now=datetime.now(UTC))
    assert (mine.stdout, mine.stderr, mine.exit_code) == (out, err, rc)
    assert ("Liveness:" in out) or ("Startup:" in out)


def test_the_docs_exec_example_events_read_as_in_the_docs() -> None:
    objects = [copy.deepcopy(o) for o in _objects()]
    out, _, _ = real_kubectl(CannedAPI(objects, TABLES), ["describe", "pod", "liveness-exec"])
    assert (
        "Liveness:       exec [cat /tmp/healthy] delay=5s timeout=1s period=5s #success=1 #failure=3" in out
    )
    assert "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory" in out
    assert "Container liveness failed liveness probe, will be restarted" in out
