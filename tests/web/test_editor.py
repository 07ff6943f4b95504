"""``POST /labs/<id>/manifest/check/``: the YAML editor's live check, for the lab's owner only."""

from __future__ import annotations

import pytest
from django.test import AsyncClient

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_labs")]

BAD = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicaz: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
"""


async def open_lab(client: AsyncClient) -> str:
    response = await client.post("/labs/")
    return str(response["Location"])


async def test_the_lab_page_has_the_editor(async_client: AsyncClient) -> None:
    url = await open_lab(async_client)
    body = (await async_client.get(url)).content.decode()
    assert 'data-testid="editor-text"' in body
    assert f'hx-post="{url}manifest/check/"' in body


async def test_problems_come_back_with_their_lines(async_client: AsyncClient) -> None:
    url = await open_lab(async_client)
    response = await async_client.post(f"{url}manifest/check/", {"manifest": BAD})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="editor-problems"' in body
    assert "1 problem:" in body
    assert "line 6" in body and '<code class="editor__field">spec.replicaz</code>' in body
    assert "unknown field" in body


async def test_a_good_manifest_is_ready_to_apply(async_client: AsyncClient) -> None:
    url = await open_lab(async_client)
    good = BAD.replace("  replicaz: 3\n", "  replicas: 3\n")
    body = (
        await async_client.post(f"{url}manifest/check/", {"manifest": good + "---\n" + good})
    ).content.decode()
    assert "No problems: 2 objects ready to apply." in body


async def test_hostile_input_is_escaped_and_reported(async_client: AsyncClient) -> None:
    url = await open_lab(async_client)
    text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: <script>alert(1)</script>\n"
    body = (await async_client.post(f"{url}manifest/check/", {"manifest": text})).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body
    assert "metadata.name" in body


async def test_outsiders_get_404(async_client: AsyncClient) -> None:
    url = await open_lab(async_client)
    other = AsyncClient()
    response = await other.post(f"{url}manifest/check/", {"manifest": BAD})
    assert response.status_code == 404


async def test_get_is_not_allowed(async_client: AsyncClient) -> None:
    url = await open_lab(async_client)
    assert (await async_client.get(f"{url}manifest/check/")).status_code == 405
