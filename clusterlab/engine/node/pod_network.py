"""A pod's network namespace: one IP and one port space shared by all its containers.

The pod sandbox (the `pause` container) holds the network namespace; every container of the
pod joins it. So a sidecar reaches the main container on `localhost`/127.0.0.1, and two
containers cannot both listen on one port: the second server's `bind()` fails with
`EADDRINUSE` (98, "Address already in use") and it exits as its program does —
- nginx retries its listening sockets five times, half a second apart (`try again to bind()
  after 500ms`), logging each failure at `emerg` (also to stderr, prefixed `nginx: `), then
  gives up with `still could not bind()` and exits 1; the official image listens on
  `0.0.0.0:80` and, through its IPv6 entrypoint script, `[::]:80`;
- httpd reports `make_sock: could not bind` for `[::]:80` and `0.0.0.0:80`, `no listening
  sockets available, shutting down` and exits 1;
- redis reports `Could not create server TCP listening socket *:6379` and exits 1.
The kubelet then restarts it with back-off: CrashLoopBackOff, while the first container
keeps serving.

Simplified: a port is taken from the moment its server starts (listeners that open later,
such as postgres's after its init, are counted from the start); host-network pods, whose
port space is the node's, are not checked against the node's own processes.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from datetime import datetime, timedelta
from typing import Any

from .images import Launch
from .listeners import Listener, listeners_for, listening
from .processes import Exit, Out, Sleep, Step
from .web_servers import Files

Obj = dict[str, Any]
NGINX_REPOS = ("docker.io/library/nginx", "registry.k8s.io/nginx-slim")
BIND_TRIES = 5  # nginx's ngx_open_listening_sockets
BIND_RETRY_SECONDS = 0.5
EADDRINUSE = "98: Address already in use"


def listener_ports(image: str, spec: Obj, pod_name: str = "") -> set[int]:
    """The ports a container of `image` with `spec` binds (the every-port fallback binds none)."""
    return {li.port for li in listeners_for(image, spec, pod_name) if li.port is not None}


def ports_in_use(containers: Iterable[Any], specs: dict[str, Obj], pod_name: str, starting: str) -> set[int]:
    """Ports held in the pod's namespace by its other running containers (`containers`: the
    kubelet's container states, with `name`, `image`, `state` and `process`)."""
    taken: set[int] = set()
    for cs in containers:
        if cs.name == starting or cs.state != "running" or cs.process is None or not cs.process.alive:
            continue
        spec = specs.get(cs.name)
        if spec is not None:
            taken |= listener_ports(cs.image, spec, pod_name)
    return taken


def pod_listener(
    containers: Iterable[Any],
    specs: dict[str, Obj],
    pod_name: str,
    port: int,
    now: float,
    files_of: Callable[[Any], Files | None] | None = None,
) -> tuple[Listener, float] | None:
    """Which container of the pod answers on `port` (from the pod IP or from localhost): the
    listener and how long its process has run, or None (connection refused). `files_of(cs)`:
    the container's filesystem its server reads (`container_files.py`)."""
    for cs in containers:
        if cs.state != "running" or cs.process is None or not cs.process.alive or cs.name not in specs:
            continue
        elapsed = now - cs.started_clock
        files = files_of(cs) if files_of is not None else None
        found = listening(listeners_for(cs.image, specs[cs.name], pod_name, files), port, elapsed)
        if found is not None:
            return found, elapsed
    return None


def clash(
    launched: Launch, image: str, spec: Obj, pod_name: str, taken: set[int], started: float, epoch: datetime
) -> Launch:
    """`launched` as it goes when a port it binds is already taken in the pod."""
    ports = sorted(listener_ports(image, spec, pod_name) & taken)
    if not ports:
        return launched
    repo = image.partition("@")[0].rpartition(":")[0]
    if repo in NGINX_REPOS:
        return Launch(_nginx(ports[0], started, epoch), launched.startup, launched.term_seconds)
    if repo == "docker.io/library/httpd":
        return Launch(_httpd(ports[0], started, epoch), [], launched.term_seconds)
    if repo == "docker.io/library/redis":
        return Launch(_redis(ports[0], started, epoch), [], launched.term_seconds)
    return Launch(_exit_code(1), launched.startup, launched.term_seconds)


def _exit_code(code: int) -> Generator[Step, None, None]:
    yield Exit(code)


def _nginx(port: int, started: float, epoch: datetime) -> Generator[Step, None, None]:
    now = started + 0.1
    yield Sleep(0.1)
    for _ in range(BIND_TRIES):
        stamp = (epoch + timedelta(seconds=now)).strftime("%Y/%m/%d %H:%M:%S")
        lines = []
        for address in (f"0.0.0.0:{port}", f"[::]:{port}"):
            lines.append(f"{stamp} [emerg] 1#1: bind() to {address} failed ({EADDRINUSE})")
            lines.append(f"nginx: [emerg] bind() to {address} failed ({EADDRINUSE})")
        lines.append(f"{stamp} [notice] 1#1: try again to bind() after 500ms")
        yield from _lines(lines)
        yield Sleep(BIND_RETRY_SECONDS)
        now += BIND_RETRY_SECONDS
    stamp = (epoch + timedelta(seconds=now)).strftime("%Y/%m/%d %H:%M:%S")
    yield from _lines(
        [f"{stamp} [emerg] 1#1: still could not bind()", "nginx: [emerg] still could not bind()"]
    )
    yield Exit(1)


def _httpd(port: int, started: float, epoch: datetime) -> Generator[Step, None, None]:
    yield from _lines(
        [
            f"(98)Address already in use: AH00072: make_sock: could not bind to address [::]:{port}",
            f"(98)Address already in use: AH00072: make_sock: could not bind to address 0.0.0.0:{port}",
            "no listening sockets available, shutting down",
            "AH00015: Unable to open logs",
        ]
    )
    yield Exit(1)


def _redis(port: int, started: float, epoch: datetime) -> Generator[Step, None, None]:
    at = epoch + timedelta(seconds=started)
    stamp = f"{at:%d %b %Y %H:%M:%S}.{at.microsecond // 1000:03d}"
    yield from _lines(
        [
            f"1:M {stamp} # Warning: Could not create server TCP listening socket *:{port}: bind: "
            "Address already in use",
            f"1:M {stamp} # Failed listening on port {port} (tcp), aborting.",
        ]
    )
    yield Exit(1)


def _lines(lines: list[str]) -> Generator[Step, None, None]:
    for line in lines:
        yield Out(line)
