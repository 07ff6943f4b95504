"""Helpers for the tests that drive a lab's API on the live daphne server."""

from __future__ import annotations

from tests.live_server import LiveServer

SETUP = """
from django.contrib.auth.models import User
from clusterlab.labs.models import Lab
user, _ = User.objects.get_or_create(username={user!r})
lab = Lab.objects.create(owner=user, speed={speed}, seed=7)
print(lab.id)
"""


def new_lab(server: LiveServer, user: str, *, speed: int = 60) -> str:
    """Make a lab for ``user`` (created if needed) in the server's database; return its id."""
    out = server.manage("shell", "-c", SETUP.format(user=user, speed=speed))
    return out.strip().splitlines()[-1]
