"""The landing page: what ClusterLab is, and the "Open a lab" form."""

from __future__ import annotations

import pytest
from django.test import Client

from clusterlab.labs.models import Lab


@pytest.mark.django_db
def test_home_explains_the_product_and_offers_a_lab(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Learn how Kubernetes works" in body
    assert "control plane" in body
    assert '<form method="post" action="/labs/"' in body
    assert 'name="csrfmiddlewaretoken"' in body
    assert "Open a lab" in body


@pytest.mark.django_db
def test_home_loads_htmx_and_its_websocket_extension_from_static(client: Client) -> None:
    body = client.get("/").content.decode()
    assert "/static/django_htmx/htmx-2.min.js" in body
    assert "/static/django_htmx/ext/hx-ws-2.min.js" in body
    assert "/static/css/app.css" in body


@pytest.mark.django_db
def test_home_only_answers_get(client: Client) -> None:
    assert client.post("/").status_code == 405


@pytest.mark.django_db
def test_static_files_are_served_by_the_app_itself(client: Client) -> None:
    """whitenoise serves static files, so plain daphne needs nothing in front of it."""
    css = client.get("/static/css/app.css")
    assert css.status_code == 200
    assert b".node" in b"".join(css.streaming_content)  # type: ignore[attr-defined]
    htmx = client.get("/static/django_htmx/ext/hx-ws-2.min.js")
    assert htmx.status_code == 200


@pytest.mark.django_db
def test_home_lists_my_labs_and_nobody_elses(client: Client) -> None:
    assert "Your labs" not in client.get("/").content.decode()
    client.post("/labs/")
    mine = Lab.objects.get()
    body = client.get("/").content.decode()
    assert "Your labs" in body
    assert f'href="/labs/{mine.id}/"' in body
    other = Client()
    assert mine.id not in other.get("/").content.decode()
