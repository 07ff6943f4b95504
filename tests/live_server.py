"""A real daphne server on a fresh file SQLite database, shared by the browser tests and the
Kubernetes API tests (`tests/conftest.py` exposes it as the `live_server_process` fixture)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Logs of servers started in this session (the last one is shown beside a failing test).
server_logs: list[Path] = []


@dataclass(frozen=True)
class LiveServer:
    """A running daphne: its base URL, and the environment that reaches its database."""

    url: str
    env: dict[str, str]
    log: Path

    def manage(self, *args: str) -> str:
        """Run `manage.py …` against the server's database and return its output."""
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"daphne did not answer {url} within {seconds}s:\n{log.read_text()}")


def run_live_server(workdir: Path) -> Iterator[LiveServer]:
    """Migrate a fresh database in ``workdir``, serve the app with daphne, yield it, stop it."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "clusterlab.settings",
        "DATABASE_URL": f"sqlite:///{workdir / 'live.sqlite3'}",
        "DEBUG": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REDIS_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    port = free_port()
    log = workdir / "daphne.log"
    server_logs.append(log)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "clusterlab.asgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url + "/", process, log)
        yield LiveServer(url, env, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
