"""Real kubectl against a lab on the live test server: the runner every real-kubectl test uses."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.kubeapi.live import new_lab
from tests.live_server import LiveServer

WEB = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
      - name: app
        image: {image}
        ports:
        - containerPort: 80
"""


@dataclass
class Kubectl:
    """Runs kubectl with the lab's kubeconfig, a scratch HOME and a fresh cache dir each time."""

    home: Path
    kubeconfig: Path
    runs: int = 0

    def argv(self, *args: str) -> list[str]:
        self.runs += 1
        cache = self.home / f"cache-{self.runs}"
        return ["kubectl", f"--kubeconfig={self.kubeconfig}", f"--cache-dir={cache}", *args]

    def env(self) -> dict[str, str]:
        return {"HOME": str(self.home), "PATH": "/usr/local/bin:/usr/bin:/bin"}

    def __call__(
        self, *args: str, stdin: str | None = None, ok: bool = True
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            self.argv(*args), input=stdin, capture_output=True, text=True, env=self.env(), timeout=60
        )
        if ok:
            assert done.returncode == 0, f"kubectl {' '.join(args)}: rc={done.returncode}\n{done.stderr}"
        return done

    def out(self, *args: str, stdin: str | None = None) -> str:
        return self(*args, stdin=stdin).stdout

    def manifest(self, name: str, replicas: int = 2, image: str = "nginx:1.27") -> Path:
        path = self.home / f"{name}.yaml"
        path.write_text(WEB.format(name=name, replicas=replicas, image=image))
        return path


def kubectl_for_new_lab(server: LiveServer, factory: pytest.TempPathFactory, user: str) -> Kubectl:
    """kubectl with a scratch HOME and a kubeconfig (from `manage.py kubeconfig`) for a new lab of
    `user`'s at 60x."""
    home = factory.mktemp(f"kubectl-{user}")
    lab_id = new_lab(server, user, speed=60)
    config = server.manage("kubeconfig", user, "--lab", lab_id, "--server", server.url)
    path = home / "kubeconfig"
    path.write_text(config)
    return Kubectl(home, path)


def wait_for(check: object, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.3)


def columns(text: str) -> list[list[str]]:
    return [line.split() for line in text.strip().splitlines()]


def ready(kubectl: Kubectl, name: str, replicas: int) -> None:
    """Apply the `WEB` Deployment and wait until all its replicas are ready."""
    kubectl.out("apply", "-f", str(kubectl.manifest(name, replicas=replicas)))
    wait_for(
        lambda: kubectl.out("get", "deploy", name, "-o", "jsonpath={.status.readyReplicas}") == str(replicas),
        60,
    )
