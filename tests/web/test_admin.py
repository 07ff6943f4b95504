"""The admin shows labs and their command logs to staff, read-only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from clusterlab.labs.models import Lab, LabCommand


@pytest.mark.django_db
def test_staff_see_a_lab_and_its_log(client: Client) -> None:
    lab = Lab.objects.create(owner_session_key="k", seed=3)
    LabCommand.objects.create(
        lab=lab, seq=1, virtual_time=12.5, actor="learner", action="kill_node", args={"node": "worker-1"}
    )
    client.force_login(User.objects.create_superuser("root", password="a-strong-password-123"))
    body = client.get(f"/admin/labs/lab/{lab.id}/change/").content.decode()
    assert "kill_node" in body and "worker-1" in body and "12.5" in body


@pytest.mark.django_db
def test_learners_do_not_get_the_admin(client: Client) -> None:
    response = client.get("/admin/labs/lab/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
