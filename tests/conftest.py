"""Fixtures shared by every test directory: the live daphne server (browser and kube API tests)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.live_server import LiveServer, run_live_server, server_logs


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """When a test that used the live server fails, show the end of the server's log with it."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    uses_server = {"live_server_process", "server_url"} & set(getattr(item, "fixturenames", ()))
    if report.failed and uses_server and server_logs and server_logs[-1].exists():
        tail = server_logs[-1].read_text(errors="replace")[-6000:]
        report.sections.append(("daphne log (last lines)", tail))


@pytest.fixture(scope="session")
def live_server_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One daphne for the whole session, on its own fresh database."""
    yield from run_live_server(tmp_path_factory.mktemp("server"))


@pytest.fixture(scope="session")
def server_url(live_server_process: LiveServer) -> str:
    """The live server's base URL (`http://127.0.0.1:PORT`)."""
    return live_server_process.url
