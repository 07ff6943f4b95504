"""Personas for the web tests.

The *owner* created the lab in their browser session; the *outsider* is another browser session
(or another user) that must not learn the lab exists.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from clusterlab.labs import live
from clusterlab.labs.models import Lab

from .helpers import new_session_key


@pytest.fixture
async def live_labs() -> AsyncIterator[None]:
    """Stop every runner the test started, before its event loop goes away."""
    yield
    await live.stop_all()


@pytest.fixture
async def owner_session() -> str:
    return await new_session_key()


@pytest.fixture
async def outsider_session() -> str:
    return await new_session_key()


@pytest.fixture
async def session_lab(owner_session: str) -> Lab:
    """A lab owned by ``owner_session``."""
    return await Lab.objects.acreate(owner_session_key=owner_session, seed=7)
