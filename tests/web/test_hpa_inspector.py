"""The HPA inspector: an autoscaled Deployment's row opens it; it shows the formula with the
numbers of the controller's last sync, the conditions and why the HPA acted; owner only,
unknown or hostile names are 404s; a `set_load` command is validated, logged and replayed."""

from __future__ import annotations

import pytest
from django.test import AsyncClient

from clusterlab.engine import Cluster
from clusterlab.labs import board
from clusterlab.labs.commands import CommandError, parse_command
from clusterlab.labs.runner import apply_to_cluster

from ..engine.test_hpa import PHP_APACHE, hpa
from .test_scheduling_view import open_lab, text


def _scaled(cluster: Cluster) -> None:
    cluster.apply(PHP_APACHE)
    cluster.advance(40)
    cluster.apply(hpa())
    cluster.advance(60)
    apply_to_cluster(cluster, "set_load", {"selector": "run=php-apache", "namespace": "default", "load": 1.0})
    cluster.advance(20)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("live_labs")
async def test_the_inspector_shows_the_formula_with_live_numbers(async_client: AsyncClient) -> None:
    url, cluster = await open_lab(async_client)
    _scaled(cluster)
    (row,) = [r for r in board.cluster_board(cluster)["deployments"] if r["name"] == "php-apache"]
    assert row["hpa"] == "php-apache"
    response = await async_client.get(f"{url}hpas/default/php-apache/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'hx-get="{url}hpas/default/php-apache/" hx-trigger="every 3s"' in html
    assert '<input type="hidden" name="selector" value="run=php-apache">' in html
    assert 'name="load" min="0" max="100" step="0.1" value="1" required hx-preserve' in html
    words = text(html)
    assert (
        "HorizontalPodAutoscaler default/php-apache scales Deployment/php-apache between 1 and 10 replicas"
        in words
    )
    # The lab's own seed decides the exact usage: read the numbers the controller used.
    util = cluster.get("hpa", "php-apache")["status"]["currentMetrics"][0]["resource"]["current"][
        "averageUtilization"
    ]
    ratio = f"{util / 50:.2f}"
    assert f"Ratio {util} % / 50 % = {ratio}" in words
    assert f"Desired ceil(1 ready pod × {ratio}) = 5" in words
    assert "Limits limited to 4 by the scale-up limit" in words
    assert "1 current / 4 desired" in words
    assert f"ceil(1 × {util} % / 50 %) = 5, limited to 4 by the scale-up limit → scale 1 → 4" in words
    assert (
        "ScalingLimited True ScaleUpLimit "
        "the desired replica count is increasing faster than the maximum scale rate" in words
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("live_labs")
async def test_unknown_and_hostile_names_are_404s(async_client: AsyncClient) -> None:
    url, _ = await open_lab(async_client)
    assert (await async_client.get(f"{url}hpas/default/nope/")).status_code == 404
    assert (await async_client.get(f"{url}hpas/default/%3Cscript%3E/")).status_code == 404
    other = AsyncClient()
    assert (await other.get(f"{url}hpas/default/nope/")).status_code in (403, 404)


def test_set_load_is_validated_and_replays() -> None:
    command = parse_command({"action": "set_load", "selector": " run=php-apache ", "load": "1.5"})
    assert command.affects_engine
    assert command.args == {"selector": "run=php-apache", "namespace": "default", "load": 1.5}
    for bad, message in (
        (
            {"selector": "", "load": "1"},
            "Say which pods get the load with a label selector, e.g. run=php-apache.",
        ),
        ({"selector": "run=x", "load": "lots"}, "Load must be a number."),
        ({"selector": "run=x", "load": "-1"}, "Load must be between 0 and 100."),
    ):
        with pytest.raises(CommandError) as err:
            parse_command({"action": "set_load", **bad})
        assert str(err.value) == message
    cluster = Cluster(seed=3)
    apply_to_cluster(cluster, "set_load", command.args)
    assert cluster.workload_loads.loads[("default", "run=php-apache")].load == 1.5
