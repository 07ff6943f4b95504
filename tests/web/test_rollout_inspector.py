"""The rollout inspector: a Deployment row's button opens it; it shows the surge/unavailable
arithmetic with the live numbers of a rollout, the ReplicaSets and why the controllers acted;
owner only, unknown or hostile names are 404s; what the cluster says is escaped."""

from __future__ import annotations

import pytest
from django.test import AsyncClient

from clusterlab.engine import Cluster

from ..engine.conftest import web
from .test_scheduling_view import open_lab, text


def _stalled(cluster: Cluster) -> None:
    d = web(replicas=10, cpu="50m")
    d["metadata"]["annotations"] = {"kubernetes.io/change-cause": "<b>first</b>"}
    cluster.apply(d)
    cluster.advance(40)
    body = {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.99"}]}}}}
    cluster.server.patch(cluster.learner, "deployments", "web", body, "default", patch_type="strategic")
    cluster.advance(30)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("live_labs")
async def test_the_inspector_shows_the_arithmetic_of_a_stalled_rollout(async_client: AsyncClient) -> None:
    url, cluster = await open_lab(async_client)
    _stalled(cluster)
    page = (await async_client.get(url)).content.decode()
    assert 'data-action="rollout-inspect" data-namespace="default" data-deployment="web"' in page
    response = await async_client.get(f"{url}deployments/default/web/rollout/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'hx-get="{url}deployments/default/web/rollout/" hx-trigger="every 3s"' in html
    words = text(html)
    assert "Deployment default/web RollingUpdate, revision 2" in words
    assert "maxSurge 25% → 3 (25 % of 10, rounded up) → at most 13 pods" in words
    assert "maxUnavailable 25% → 2 (25 % of 10, rounded down) → at least 8 available" in words
    assert "Now 13 pods wanted (8 old + 5 new), 13 exist, 8 available" in words
    assert "May create 13 − 13 = 0 new pods" in words
    assert "May remove 13 − 8 − 5 unavailable new = 0 old pods" in words
    assert "without progress the rollout fails at" in words and "(progressDeadlineSeconds 600," in words
    rss = {
        r["metadata"]["annotations"]["deployment.kubernetes.io/revision"]: r
        for r in cluster.list("rs", "default")
    }
    assert f"2 {rss['2']['metadata']['name']} (new) 5 5 0 0 nginx:1.99" in words
    assert f"1 {rss['1']['metadata']['name']} 8 8 8 8 nginx:1.27" in words
    assert "&lt;b&gt;first&lt;/b&gt;" in html and "<b>first</b>" not in html
    assert "13 pods − 8 − 5 unavailable new = 0 → no old pod can go until new pods become available" in words
    assert f"ReplicaSet {rss['2']['metadata']['name']}: 5 desired, 3 exist → create 2" in words


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("live_labs")
async def test_unknown_and_hostile_names_are_404s(async_client: AsyncClient) -> None:
    url, _ = await open_lab(async_client)
    assert (await async_client.get(f"{url}deployments/default/nope/rollout/")).status_code == 404
    assert (await async_client.get(f"{url}deployments/default/%3Cscript%3E/rollout/")).status_code == 404
    other = AsyncClient()
    assert (await other.get(f"{url}deployments/default/nope/rollout/")).status_code in (403, 404)
