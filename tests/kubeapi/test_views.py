"""`/k8s/<key>/…` through Django (no real server): keys, errors, the command log, watches,
the kubeconfig download and `manage.py kubeconfig`."""

from __future__ import annotations

import asyncio
import gc
import io
import json
from typing import Any

import pytest
import yaml
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import AsyncClient

from clusterlab.labs import live
from clusterlab.labs.models import Lab, LabCommand

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_labs")]

DEPLOY = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
        },
    },
}


@pytest.fixture
async def lab() -> Lab:
    return await Lab.objects.acreate(owner_session_key="someone", seed=5, speed=600)


def api(lab: Lab, path: str) -> str:
    return f"/k8s/{lab.api_key}{path}"


def status_of(response: Any) -> dict[str, Any]:
    body = json.loads(response.content)
    assert body["kind"] == "Status", body
    return body  # type: ignore[no-any-return]


async def test_each_lab_gets_its_own_unguessable_key(lab: Lab) -> None:
    other = await Lab.objects.acreate(owner_session_key="other")
    assert lab.api_key != other.api_key and len(lab.api_key) >= 40


@pytest.mark.parametrize("key", ["nope", "A" * 43, "../../etc", "%00"])
async def test_a_wrong_key_is_a_404_status_that_leaks_nothing(
    async_client: AsyncClient, lab: Lab, key: str
) -> None:
    response = await async_client.get(f"/k8s/{key}/api/v1/pods")
    assert response.status_code == 404
    assert status_of(response)["message"] == "the server could not find the requested resource"
    assert response["Content-Type"] == "application/json"


async def test_version_and_discovery(async_client: AsyncClient, lab: Lab) -> None:
    version = await async_client.get(api(lab, "/version"))
    assert version.json()["gitVersion"] == "v1.32.0"
    aggregated = await async_client.get(
        api(lab, "/apis"),
        headers={"Accept": "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"},
    )
    assert (
        aggregated["Content-Type"] == "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    )
    assert aggregated.json()["kind"] == "APIGroupDiscoveryList"
    legacy = await async_client.get(api(lab, "/apis"))
    assert legacy.json()["kind"] == "APIGroupList"
    index = (await async_client.get(api(lab, "/openapi/v3"))).json()
    assert index["paths"]["api/v1"]["serverRelativeURL"].startswith(
        f"/k8s/{lab.api_key}/openapi/v3/api/v1?hash="
    )


@pytest.mark.parametrize(
    ("body", "content_type", "code"),
    [
        (b'{"apiVersion": "apps/v1", ', "application/json", 400),
        (b"kind: [", "application/yaml", 400),
        (b"k8s\x00\x0a", "application/vnd.kubernetes.protobuf", 400),
        (b'{"a": "' + b"x" * (3 * 1024 * 1024) + b'"}', "application/json", 413),
    ],
)
async def test_bad_bodies_are_status_errors(
    async_client: AsyncClient, lab: Lab, body: bytes, content_type: str, code: int
) -> None:
    response = await async_client.post(
        api(lab, "/apis/apps/v1/namespaces/default/deployments"), body, content_type=content_type
    )
    assert response.status_code == code
    assert status_of(response)["code"] == code
    assert await LabCommand.objects.filter(lab=lab).acount() == 0


async def test_writes_are_logged_and_replayed(async_client: AsyncClient, lab: Lab) -> None:
    created = await async_client.post(
        api(lab, "/apis/apps/v1/namespaces/default/deployments"),
        yaml.safe_dump(DEPLOY),
        content_type="application/yaml",
        headers={"User-Agent": "k9s/v0.32.5"},
    )
    assert created.status_code == 201, created.content
    scaled = await async_client.patch(
        api(lab, "/apis/apps/v1/namespaces/default/deployments/web/scale"),
        json.dumps({"spec": {"replicas": 3}}),
        content_type="application/merge-patch+json",
    )
    assert scaled.status_code == 200 and scaled.json()["spec"]["replicas"] == 3
    read = await async_client.get(api(lab, "/apis/apps/v1/namespaces/default/deployments/web"))
    assert read.status_code == 200
    log = [c async for c in LabCommand.objects.filter(lab=lab).order_by("seq")]
    assert [(c.action, c.args["method"], c.args["path"]) for c in log] == [
        ("api", "POST", "/apis/apps/v1/namespaces/default/deployments"),
        ("api", "PATCH", "/apis/apps/v1/namespaces/default/deployments/web/scale"),
    ]
    assert (log[0].actor, log[1].actor) == ("kubeapi:k9s", "kubeapi:kubectl")
    assert all(lab.api_key not in json.dumps(c.args) for c in log)
    running = live.running_lab(lab.id)
    assert running is not None
    calls = [c for c in running.runner.cluster.api_calls() if c.actor == "kubernetes-admin"]
    assert ("create", "deployments", "web", "k9s") in [
        (c.verb, c.resource, c.name, c.component) for c in calls
    ]
    before = running.runner.cluster.get("deployment", "web")
    await live.stop_all()
    rebuilt = await live.get_live_lab(lab)
    after = rebuilt.runner.cluster.get("deployment", "web")
    assert after["metadata"]["uid"] == before["metadata"]["uid"]
    assert after["spec"]["replicas"] == 3


async def test_a_lab_used_only_through_the_api_keeps_running(async_client: AsyncClient, lab: Lab) -> None:
    await async_client.get(api(lab, "/api/v1/nodes"))
    running = live.running_lab(lab.id)
    assert running is not None and running.clients == 0
    start = running.runner.now
    await asyncio.sleep(0.5)
    await async_client.get(api(lab, "/api/v1/nodes"))
    assert running.running and running.runner.now > start  # its clock advanced meanwhile


async def test_watch_streams_events_as_json_lines(async_client: AsyncClient, lab: Lab) -> None:
    listed = (await async_client.get(api(lab, "/apis/apps/v1/namespaces/default/deployments"))).json()
    rv = listed["metadata"]["resourceVersion"]
    response = await async_client.get(
        api(lab, "/apis/apps/v1/namespaces/default/deployments"),
        {"watch": "true", "resourceVersion": rv, "timeoutSeconds": "5"},
    )
    assert response.status_code == 200 and response.streaming
    running = live.running_lab(lab.id)
    assert running is not None
    lines = aiter(response.streaming_content)  # type: ignore[arg-type]
    await async_client.post(
        api(lab, "/apis/apps/v1/namespaces/default/deployments"), DEPLOY, content_type="application/json"
    )
    assert await asyncio.wait_for(anext(lines), 5) == b""  # headers go out before any event
    event = json.loads(await asyncio.wait_for(anext(lines), 5))
    assert event["type"] == "ADDED" and event["object"]["metadata"]["name"] == "web"
    assert running.clients == 1  # the watch holds the lab open
    await lines.aclose()  # type: ignore[attr-defined]
    del lines, response
    for _ in range(50):  # the stream's own generator is closed when collected
        gc.collect()
        await asyncio.sleep(0.02)
        if running.clients == 0:
            break
    assert running.clients == 0


async def test_a_watch_from_a_compacted_version_ends_with_410(async_client: AsyncClient, lab: Lab) -> None:
    await async_client.get(api(lab, "/api/v1/nodes"))
    running = live.running_lab(lab.id)
    assert running is not None
    running.runner.cluster.advance(900)  # etcd keeps five minutes of history
    response = await async_client.get(api(lab, "/api/v1/nodes"), {"watch": "1", "resourceVersion": "2"})
    chunks = [json.loads(c) async for c in response.streaming_content if c]  # type: ignore[union-attr]
    assert chunks[0]["type"] == "ERROR"
    assert (chunks[0]["object"]["code"], chunks[0]["object"]["reason"]) == (410, "Expired")


async def test_owner_downloads_a_kubeconfig_outsiders_get_404(async_client: AsyncClient) -> None:
    response = await async_client.post("/labs/")
    lab_url = str(response["Location"])
    lab = await Lab.objects.aget()
    page = await async_client.get(lab_url)
    assert f'href="/labs/{lab.id}/kubeconfig/"' in page.content.decode()
    download = await async_client.get(f"/labs/{lab.id}/kubeconfig/")
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    config = yaml.safe_load(download.content)
    assert config["clusters"][0]["cluster"]["server"] == f"http://testserver/k8s/{lab.api_key}"
    assert config["current-context"] == f"clusterlab-{lab.id}"
    outsider = AsyncClient()
    assert (await outsider.get(f"/labs/{lab.id}/kubeconfig/")).status_code == 404


def _kubeconfig(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command("kubeconfig", *args, stdout=out)
    return yaml.safe_load(out.getvalue())  # type: ignore[no-any-return]


@pytest.mark.django_db(transaction=True)
def test_manage_kubeconfig_prints_the_users_lab() -> None:
    alice = User.objects.create_user("alice")
    first = _kubeconfig("alice", "--server", "http://lab.example:8000")
    lab = Lab.objects.get(owner=alice)  # made for her
    assert first["clusters"][0]["cluster"]["server"] == f"http://lab.example:8000/k8s/{lab.api_key}"
    newer = Lab.objects.create(owner=alice)
    assert _kubeconfig("alice")["current-context"] == f"clusterlab-{newer.id}"
    assert _kubeconfig("alice", "--lab", lab.id)["current-context"] == f"clusterlab-{lab.id}"
    stranger = Lab.objects.create(owner_session_key="x")
    with pytest.raises(CommandError):
        _kubeconfig("alice", "--lab", stranger.id)
    with pytest.raises(CommandError):
        _kubeconfig("nobody")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/namespaces/default/pods/%00",
        "/api/v1/namespaces/default/pods/" + "a" * 2000,
        "/api/v1/namespaces/%E2%9C%93/pods/%E2%9C%93",
        "/api/v1/namespaces/default/pods/..%2F..%2Fetc",
        "/apis/../../api/v1/pods",
        "/api/v1/namespaces/default/pods/x/log/%0Aextra",
    ],
)
async def test_hostile_paths_are_status_errors(async_client: AsyncClient, lab: Lab, path: str) -> None:
    response = await async_client.get(api(lab, path))
    assert response.status_code in (400, 404)
    assert status_of(response)["code"] == response.status_code


async def test_api_404s_do_not_put_the_key_in_django_warnings(
    async_client: AsyncClient, lab: Lab, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING", logger="django.request"):
        response = await async_client.get(api(lab, "/api/v1/namespaces/default/pods/missing"))
    assert response.status_code == 404
    assert lab.api_key not in caplog.text


async def test_a_write_to_a_path_naming_nothing_is_404_whatever_its_body(
    async_client: AsyncClient, lab: Lab
) -> None:
    response = await async_client.post(
        api(lab, "/api/v1/namespaces/default/podtemplates"),
        b"k8s\x00junk",
        content_type="application/vnd.kubernetes.protobuf",
    )
    assert response.status_code == 404 and status_of(response)["reason"] == "NotFound"
