"""The lab page's kubectl console and the YAML editor's apply, through the lab's own API."""

from __future__ import annotations

import pytest
from django.test import AsyncClient

from clusterlab.labs.models import Lab, LabCommand

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_labs")]

MANIFEST = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
"""


async def open_lab(client: AsyncClient) -> str:
    return str((await client.post("/labs/"))["Location"])


async def run(client: AsyncClient, url: str, command: str, **extra: str) -> str:
    response = await client.post(f"{url}kubectl/", {"command": command, **extra})
    assert response.status_code == 200
    return response.content.decode()


async def test_the_page_has_the_console(async_client: AsyncClient) -> None:
    url = await open_lab(async_client)
    body = (await async_client.get(url)).content.decode()
    assert 'data-testid="console-input"' in body and f'hx-post="{url}kubectl/"' in body
    assert 'data-testid="editor-apply"' in body


async def test_get_nodes_prints_kubectls_table(async_client: AsyncClient) -> None:
    url = await open_lab(async_client)
    body = await run(async_client, url, "get nodes")
    assert "$</span> kubectl get nodes" in body
    stdout = body.split('<pre class="console__stdout">', 1)[1].split("</pre>", 1)[0]
    assert stdout.splitlines()[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    for node in ("control-plane", "worker-1", "worker-2", "worker-3"):
        assert node in body
    assert "v1.32.0" in body


async def test_editor_apply_creates_through_the_api_and_is_logged_for_replay(
    async_client: AsyncClient,
) -> None:
    url = await open_lab(async_client)
    body = await run(async_client, url, "apply -f -", manifest=MANIFEST)
    assert "deployment.apps/api created" in body
    lab = await Lab.objects.aget()
    logged = [c async for c in LabCommand.objects.filter(lab=lab)]
    assert [(c.action, c.args["method"], c.args["path"]) for c in logged] == [
        ("api", "POST", "/apis/apps/v1/namespaces/default/deployments")
    ]
    again = await run(async_client, url, "apply -f -", manifest=MANIFEST)
    assert "deployment.apps/api unchanged" in again
    listed = await run(async_client, url, "get deploy api -o name")
    assert "deployment.apps/api" in listed


async def test_errors_print_as_kubectl_prints_them(async_client: AsyncClient) -> None:
    url = await open_lab(async_client)
    body = await run(async_client, url, "get pod nope")
    assert "console__entry--error" in body
    assert "Error from server (NotFound): pods &quot;nope&quot; not found" in body
    body = await run(async_client, url, "frobnicate")
    assert "error: unknown command &quot;frobnicate&quot; for &quot;kubectl&quot;" in body
    body = await run(async_client, url, "get pods --bogus")
    assert "error: unknown flag: --bogus" in body


async def test_hostile_input_is_escaped(async_client: AsyncClient) -> None:
    url = await open_lab(async_client)
    body = await run(async_client, url, "get pod <script>alert(1)</script>")
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body


async def test_completion_of_kinds_and_names(async_client: AsyncClient) -> None:
    url = await open_lab(async_client)
    response = await async_client.get(f"{url}kubectl/complete/", {"line": "get no", "cursor": "6"})
    data = response.json()
    assert "nodes" in data["completions"]
    response = await async_client.get(f"{url}kubectl/complete/", {"line": "cordon worker-", "cursor": "14"})
    data = response.json()
    assert data["completions"] == ["worker-1", "worker-2", "worker-3"]
    assert data["line"] == "cordon worker-" and data["cursor"] == 14


async def test_outsiders_get_404(async_client: AsyncClient) -> None:
    url = await open_lab(async_client)
    other = AsyncClient()
    assert (await other.post(f"{url}kubectl/", {"command": "get nodes"})).status_code == 404
    assert (await other.get(f"{url}kubectl/complete/", {"line": "get "})).status_code == 404
