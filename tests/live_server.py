"""A real daphne server on a fresh file SQLite database, shared by the browser tests and the
Kubernetes API tests (`tests/conftest.py` exposes it as the `live_server_process` fixture)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
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
    commands: ManageWorker

    def manage(self, *args: str) -> str:
        """Run `manage.py …` against the server's database and return its output."""
        return self.commands.run(*args)


class ManageError(subprocess.CalledProcessError):
    """A `manage.py` command failed: says what it wrote to stderr (its traceback) too."""

    def __str__(self) -> str:
        return f"{super().__str__()}\n{self.stderr}"


class ManageWorker:
    """One `python -m tests.manage_worker` for the session: runs `manage.py` commands without
    paying Django's and the app's start-up for each (see that module). A failing command raises
    `CalledProcessError`, as `subprocess.run(..., check=True)` of `manage.py` would."""

    def __init__(self, env: dict[str, str]) -> None:
        self._lock = threading.Lock()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.manage_worker"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, *args: str) -> str:
        process = self._process
        assert process.stdin is not None and process.stdout is not None
        with self._lock:
            process.stdin.write(json.dumps(args) + "\n")
            process.stdin.flush()
            line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the manage.py worker exited with {process.wait(timeout=10)}")
        answer = json.loads(line)
        if answer["status"] != 0:
            raise ManageError(answer["status"], ["manage.py", *args], answer["stdout"], answer["stderr"])
        return str(answer["stdout"])

    def close(self) -> None:
        """End the worker (it stops at the end of its input)."""
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)


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
    commands = ManageWorker(env)
    try:
        commands.run("migrate", "--noinput")
        yield from _serve(env, workdir, commands)
    finally:
        commands.close()


def _serve(env: dict[str, str], workdir: Path, commands: ManageWorker) -> Iterator[LiveServer]:
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
        yield LiveServer(url, env, log, commands)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
