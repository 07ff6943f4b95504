"""``POST /labs/``: opening a lab for the current session or user."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from clusterlab.labs.models import Lab


@pytest.mark.django_db
def test_post_creates_a_session_owned_lab_and_redirects_to_it(client: Client) -> None:
    response = client.post("/labs/")
    lab = Lab.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/labs/{lab.id}/"
    assert lab.owner is None
    assert lab.owner_session_key == client.session.session_key
    assert lab.scenario == "default"
    assert lab.commands.count() == 0


@pytest.mark.django_db
def test_each_post_opens_a_new_lab_with_its_own_id_and_seed(client: Client) -> None:
    client.post("/labs/")
    client.post("/labs/")
    first, second = Lab.objects.order_by("created")
    assert first.id != second.id
    assert first.owner_session_key == second.owner_session_key
    assert len(first.id) == 10 and first.id.isalnum()


@pytest.mark.django_db
def test_a_forged_session_cookie_is_replaced_not_trusted(client: Client) -> None:
    client.cookies["sessionid"] = "nobody-ever-issued-this-session-key"
    client.post("/labs/")
    lab = Lab.objects.get()
    assert lab.owner_session_key
    assert lab.owner_session_key != "nobody-ever-issued-this-session-key"


@pytest.mark.django_db
def test_a_signed_in_user_owns_the_lab(client: Client) -> None:
    user = User.objects.create_user("ada", password="correct horse battery staple")
    client.force_login(user)
    client.post("/labs/")
    lab = Lab.objects.get()
    assert lab.owner == user


@pytest.mark.django_db
def test_get_is_not_allowed(client: Client) -> None:
    assert client.get("/labs/").status_code == 405
    assert Lab.objects.count() == 0


@pytest.mark.django_db
def test_csrf_token_is_required() -> None:
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/labs/").status_code == 403
    assert Lab.objects.count() == 0
    strict.get("/")
    token = strict.cookies["csrftoken"].value
    assert strict.post("/labs/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert Lab.objects.count() == 1


@pytest.mark.django_db
def test_the_form_offers_each_scenario_and_opens_the_one_chosen(client: Client) -> None:
    home = client.get("/").content.decode()
    assert 'value="default" checked' in home and 'value="ha"' in home
    assert "Three control-plane nodes (stacked etcd), three workers" in home
    response = client.post("/labs/", {"scenario": "ha"})
    assert response.status_code == 302
    assert Lab.objects.get().scenario == "ha"
    assert client.post("/labs/", {"scenario": "../../etc"}).status_code == 400
    assert Lab.objects.count() == 1
