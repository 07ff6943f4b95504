"""The official Python client (`kubernetes` 37.x, strict pydantic models) against a lab's API
on a live daphne server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tests.kubeapi.live import new_lab
from tests.live_server import LiveServer

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client, watch  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402


def deployment(name: str, replicas: int = 1) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
            },
        },
    }


@pytest.fixture(scope="module")
def api_client(live_server_process: LiveServer) -> Iterator[Any]:
    lab_id = new_lab(live_server_process, "py-client")
    config = yaml.safe_load(
        live_server_process.manage(
            "kubeconfig", "py-client", "--lab", lab_id, "--server", live_server_process.url
        )
    )
    configuration = client.Configuration()
    configuration.host = config["clusters"][0]["cluster"]["server"]
    with client.ApiClient(configuration) as api:
        yield api


def test_version_nodes_and_pods(api_client: Any) -> None:
    assert client.VersionApi(api_client).get_code().git_version == "v1.32.0"
    core = client.CoreV1Api(api_client)
    nodes = core.list_node()  # strict models: needs schema-complete nodes (status.nodeInfo)
    assert [n.metadata.name for n in nodes.items] == ["control-plane", "worker-1", "worker-2", "worker-3"]
    assert nodes.items[1].status.node_info.kubelet_version == "v1.32.0"
    system = core.list_namespaced_pod("kube-system")
    assert {p.metadata.name for p in system.items} >= {"kube-apiserver-control-plane", "etcd-control-plane"}
    with pytest.raises(ApiException) as caught:
        core.read_namespaced_pod("nope", "default")
    assert caught.value.status == 404


def test_create_read_patch_scale_delete(api_client: Any) -> None:
    apps = client.AppsV1Api(api_client)
    created = apps.create_namespaced_deployment("default", deployment("py"))
    assert created.metadata.name == "py" and created.metadata.uid
    assert apps.patch_namespaced_deployment("py", "default", {"spec": {"replicas": 2}}).spec.replicas == 2
    assert (
        apps.patch_namespaced_deployment_scale("py", "default", {"spec": {"replicas": 3}}).spec.replicas == 3
    )
    assert apps.read_namespaced_deployment("py", "default").spec.replicas == 3
    with pytest.raises(ApiException) as caught:
        apps.create_namespaced_deployment("default", deployment("py"))
    assert caught.value.status == 409
    status = apps.delete_namespaced_deployment("py", "default")  # 37.x types this answer `object`
    assert status["kind"] == "Status" and status["status"] == "Success" and status["details"]["name"] == "py"


def test_watch_sees_pods_come(api_client: Any) -> None:
    core = client.CoreV1Api(api_client)
    apps = client.AppsV1Api(api_client)
    rv = core.list_namespaced_pod("default", label_selector="app=watched").metadata.resource_version
    apps.create_namespaced_deployment("default", deployment("watched", 2))
    seen: list[tuple[str, str]] = []
    w = watch.Watch()
    deadline = time.monotonic() + 20
    for event in w.stream(
        core.list_namespaced_pod,
        "default",
        label_selector="app=watched",
        resource_version=rv,
        timeout_seconds=20,
    ):
        seen.append((event["type"], event["object"].metadata.name))
        if sum(1 for t, _ in seen if t == "ADDED") >= 2 or time.monotonic() > deadline:
            w.stop()
    added = [name for t, name in seen if t == "ADDED"]
    assert len(added) == 2 and all(n.startswith("watched-") for n in added)


def test_pod_log(api_client: Any) -> None:
    core = client.CoreV1Api(api_client)
    pod = core.list_namespaced_pod("kube-system", label_selector="component=kube-scheduler").items[0]
    text = core.read_namespaced_pod_log(pod.metadata.name, "kube-system")
    assert isinstance(text, str)


def test_a_quiet_watch_answers_its_headers_at_once(api_client: Any) -> None:
    """Clients block until a watch's headers come (kubectl delete waits on one that may never
    see an event), so they must not wait for the first event."""
    import urllib.request

    url = (
        api_client.configuration.host
        + "/api/v1/namespaces/default/pods?watch=true&fieldSelector=metadata.name%3Dnobody"
    )
    started = time.monotonic()
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200 and response.headers["Content-Type"] == "application/json"
        assert response.headers["Transfer-Encoding"] == "chunked"
    assert time.monotonic() - started < 3


def test_the_key_as_a_bearer_token(live_server_process: LiveServer, api_client: Any) -> None:
    """The https form of a kubeconfig: key-less `/k8s/-` and the key as the user's token. (The
    Python client sends tokens over http too, so the server side is testable without TLS.)"""
    key = api_client.configuration.host.rstrip("/").rsplit("/", 1)[-1]
    configuration = client.Configuration()
    configuration.host = f"{live_server_process.url}/k8s/-"
    configuration.api_key = {"authorization": f"Bearer {key}"}
    with client.ApiClient(configuration) as api:
        names = [n.metadata.name for n in client.CoreV1Api(api).list_node().items]
        assert names == ["control-plane", "worker-1", "worker-2", "worker-3"]
    configuration.api_key = {"authorization": "Bearer not-the-key-at-all"}
    with client.ApiClient(configuration) as api, pytest.raises(ApiException) as denied:
        client.CoreV1Api(api).list_node()
    assert denied.value.status == 404


def test_an_https_kubeconfig_carries_the_key_as_a_token(live_server_process: LiveServer) -> None:
    lab_id = new_lab(live_server_process, "tls-user")
    config = yaml.safe_load(
        live_server_process.manage(
            "kubeconfig", "tls-user", "--lab", lab_id, "--server", "https://labs.example"
        )
    )
    assert config["clusters"][0]["cluster"]["server"] == "https://labs.example/k8s/-"
    token = config["users"][0]["user"]["token"]
    assert len(token) >= 40 and token not in config["clusters"][0]["cluster"]["server"]
