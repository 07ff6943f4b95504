"""Fixtures of the Kubernetes API tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from clusterlab.labs import live


@pytest.fixture
async def live_labs() -> AsyncIterator[None]:
    """Stop every runner the test started, before its event loop goes away."""
    yield
    await live.stop_all()
