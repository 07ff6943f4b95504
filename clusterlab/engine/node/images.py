"""What each image in the simulated registry does when a container of it runs.

The container runtime starts PID 1 from the image config and the container spec, as
Kubernetes defines it: `command` replaces the image's ENTRYPOINT, `args` its CMD (and a
`command` without `args` drops the CMD). What that process then does is the image's:
- `nginx`, `httpd`, `redis`, `registry.k8s.io/hpa-example` (Apache + PHP) serve until stopped,
  writing their real start-up lines; their stop signals (nginx SIGQUIT, httpd and Apache
  SIGWINCH, redis SIGTERM) end them within a fraction of a second with exit code 0.
- `postgres` and `mysql` run their entrypoint scripts, which refuse an uninitialised
  database without a password: postgres needs POSTGRES_PASSWORD (or
  POSTGRES_HOST_AUTH_METHOD=trust), mysql one of MYSQL_ROOT_PASSWORD,
  MYSQL_ALLOW_EMPTY_PASSWORD or MYSQL_RANDOM_ROOT_PASSWORD; without, they print the
  docker-library scripts' error and exit 1.
- `perl` (Debian-based) runs the interpreter of `perl.py`: the docs' Job prints π to 2000
  digits after ~5 s and exits 0; `registry.k8s.io/nginx-slim` (the StatefulSet tutorials'
  image) is nginx without the official image's entrypoint script: it serves on :80 and, its
  error log at the default `error` level, writes nothing when it starts.
- `busybox` (and any Debian-based image given a shell command) runs its command through the
  shell of `processes.py`: `sleep`, `exit N`, `echo`, loops, files.
- `polinux/stress` forks its hogs: `--vm N --vm-bytes B` allocates N × B (which the kernel
  OOM-kills when over `limits.memory`), `--timeout` ends the run.
- `ghcr.io/clusterlab/demo-web` is *this simulator's own demo app*, not a real image: 1.0 and
  1.1 serve on :8080; 2.0 is the broken release — it fails at start-up reading a config file
  the release renamed, exits 1, and so gets stuck in CrashLoopBackOff in a rollout.
- the Kubernetes docs' probe examples: `registry.k8s.io/busybox` (as busybox),
  `registry.k8s.io/e2e-test-images/agnhost` (its subcommand serves: `liveness`,
  `serve-hostname`; `pause` waits) and `registry.k8s.io/goproxy` (an HTTP proxy on :8080);
  agnhost and goproxy are Go programs, which exit with status 2 on SIGTERM as PID 1. What
  each server answers on the network (for probes) is in `listeners.py`.
- `registry.k8s.io/ingress-nginx/controller` runs the ingress controller (`ingress_nginx.py`)
  and nginx; `gcr.io/google-samples/hello-app` (the docs' Ingress tutorial) serves on :8080.
An image without a shell (the distroless control-plane images) cannot run a command it does
not contain: runc fails the start (`StartError`, exit code 128).

Simplified: servers only write their start-up lines (no traffic); start-up takes no time
beyond the runtime's create/start; every image's PID 1 is its entrypoint (no init such as
tini), so a shell or `sleep` as PID 1 ignores SIGTERM.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .container_logs import LogLine, startup_output
from .perl import perl_program
from .processes import Alloc, Exit, Forever, Out, Program, ShellContext, Sleep, shell_program
from .usage import MIB, stress_profile

GIB = 1024 * MIB
#: How fast a stress `--vm` worker touches the memory it allocates (bytes per second).
ALLOC_BYTES_PER_S = 1 * GIB


@dataclass(frozen=True)
class ImageConfig:
    """The parts of an image's config that decide what its container runs."""

    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]
    servers: tuple[str, ...] = ()  # program names that start the image's own server
    shell: bool = True  # has /bin/sh and the usual tools
    busybox: bool = False
    stop_seconds: float = 0.2  # how long the server takes to exit on its stop signal


IMAGES: dict[str, ImageConfig] = {
    "docker.io/library/nginx": ImageConfig(
        ("/docker-entrypoint.sh",), ("nginx", "-g", "daemon off;"), ("nginx", "docker-entrypoint.sh")
    ),
    "docker.io/library/httpd": ImageConfig((), ("httpd-foreground",), ("httpd-foreground", "httpd")),
    "docker.io/library/redis": ImageConfig(
        ("docker-entrypoint.sh",), ("redis-server",), ("redis-server", "docker-entrypoint.sh")
    ),
    "docker.io/library/busybox": ImageConfig((), ("sh",), busybox=True),
    "docker.io/library/postgres": ImageConfig(
        ("docker-entrypoint.sh",), ("postgres",), ("postgres", "docker-entrypoint.sh")
    ),
    "docker.io/library/mysql": ImageConfig(
        ("docker-entrypoint.sh",), ("mysqld",), ("mysqld", "docker-entrypoint.sh"), stop_seconds=1.5
    ),
    "docker.io/polinux/stress": ImageConfig((), ("stress", "--help"), ("stress",)),
    "registry.k8s.io/hpa-example": ImageConfig(
        ("docker-php-entrypoint",), ("apache2-foreground",), ("apache2-foreground", "docker-php-entrypoint")
    ),
    "ghcr.io/clusterlab/demo-web": ImageConfig(("/demo-web",), (), ("demo-web",), shell=False),
    # the Kubernetes docs' probe examples: busybox (exec), agnhost (HTTP), goproxy (TCP)
    "registry.k8s.io/busybox": ImageConfig((), ("sh",), busybox=True),
    "registry.k8s.io/e2e-test-images/agnhost": ImageConfig(
        ("/agnhost",), ("pause",), ("agnhost",), busybox=True
    ),
    "registry.k8s.io/goproxy": ImageConfig(("/goproxy",), (), ("goproxy",), shell=False),
    # curl's own image (Alpine: busybox applets besides curl). Its entrypoint script runs the
    # command given, or curl itself; here `command`/`args` name the program to run.
    "docker.io/curlimages/curl": ImageConfig((), ("curl",), busybox=True),
    # the docs' Job example computes π with perl; the StatefulSet tutorials serve nginx-slim
    "docker.io/library/perl": ImageConfig((), ("perl", "-de0"), ("perl",)),
    "registry.k8s.io/nginx-slim": ImageConfig((), ("nginx", "-g", "daemon off;"), ("nginx",)),
    # ingress-nginx's controller (Alpine-based, dumb-init as PID 1; after SIGTERM it stops nginx
    # and waits its --post-shutdown-grace-period, 10 s) and the docs' hello-app (distroless Go)
    "registry.k8s.io/ingress-nginx/controller": ImageConfig(
        ("/usr/bin/dumb-init", "--"),
        ("/nginx-ingress-controller",),
        ("dumb-init", "nginx-ingress-controller"),
        stop_seconds=10.0,
    ),
    "gcr.io/google-samples/hello-app": ImageConfig((), ("/hello-app",), ("hello-app",), shell=False),
    "us-docker.pkg.dev/google-samples/containers/gke/hello-app": ImageConfig(
        (), ("/hello-app",), ("hello-app",), shell=False
    ),
    # Debian itself: bash as CMD (the docs give it a shell command to run)
    "docker.io/library/debian": ImageConfig((), ("bash",)),
    # the docs' DNS debugging pod (Debian jessie with bind's dnsutils; it runs `sleep infinity`)
    "registry.k8s.io/e2e-test-images/jessie-dnsutils": ImageConfig((), ("bash",)),
}
#: Go programs as PID 1: the runtime's SIGTERM handler finds no default action to take for
#: PID 1 and exits with status 2 (`dieFromSignal`), at once.
GO_SIGTERM_EXIT = 2
#: What a shell-equipped image can run as PID 1 besides its servers (busybox applets, coreutils).
KNOWN_PROGRAMS = frozenset(
    [
        "sh",
        "ash",
        "bash",
        "sleep",
        "echo",
        "touch",
        "rm",
        "cat",
        "mkdir",
        "true",
        "false",
        "hostname",
        "env",
        "printenv",
        "ls",
        "pwd",
        "whoami",
        "id",
        "date",
        "wget",
        "curl",
    ]
)
#: Images outside this table (the control plane, CoreDNS, metrics-server, pause) are
#: distroless servers: their entrypoint serves, and they have no shell.
DISTROLESS = ImageConfig((), (), shell=False)


@dataclass(frozen=True)
class StartError(Exception):
    """runc could not start PID 1 (the kubelet's `StartError`, exit code 128)."""

    message: str


@dataclass(frozen=True)
class Launch:
    """What the runtime starts: the program, the lines it writes at once, and how it reacts
    to SIGTERM (seconds until it exits with code 0), None when it ignores it."""

    program: Program
    startup: list[LogLine]
    term_seconds: float | None
    term_code: int = 0  # its exit code when SIGTERM ends it


@dataclass(frozen=True)
class RunContext:
    """The container as the process sees it: image (normalized), spec, environment, the
    node's details for start-up lines, the clock's epoch and how to run a helper program."""

    image: str
    spec: dict[str, object]
    env: dict[str, str]
    files: dict[str, str]
    started: float
    epoch: datetime
    pod_ip: str
    cpu: str
    kernel: str
    run_program: Callable[[list[str]], tuple[int, str, str]]


def repository(image: str) -> tuple[str, str]:
    repo, _, tag = image.partition("@")[0].rpartition(":")
    return repo, tag


def config_for(image: str) -> ImageConfig:
    return IMAGES.get(repository(image)[0], DISTROLESS)


def argv_for(spec: dict[str, object], config: ImageConfig) -> list[str]:
    """Kubernetes' rule for the process to run: `command` replaces ENTRYPOINT, `args` CMD."""
    command = [str(w) for w in spec.get("command") or []]  # type: ignore[attr-defined]
    args = spec.get("args")
    if command:
        return command + [str(w) for w in args or []]  # type: ignore[attr-defined]
    cmd = [str(w) for w in args] if args is not None else list(config.cmd)  # type: ignore[attr-defined]
    return [*config.entrypoint, *cmd]


def launch(ctx: RunContext) -> Launch:
    """What starting this container does. Raises StartError when PID 1 cannot be executed."""
    config = config_for(ctx.image)
    argv = argv_for(ctx.spec, config)
    repo, tag = repository(ctx.image)
    program_name = argv[0].rsplit("/", 1)[-1] if argv else ""
    if config is DISTROLESS or (not argv) or program_name in config.servers:
        return _server(ctx, repo, tag, argv, config)
    if not config.shell or program_name not in KNOWN_PROGRAMS:
        raise StartError(
            "failed to create containerd task: failed to create shim task: OCI runtime create failed: "
            "runc create failed: unable to start container process: error during container init: "
            f'exec: "{argv[0]}": executable file not found in $PATH: unknown'
        )
    shell = ShellContext(dict(ctx.env), ctx.files, ctx.run_program, busybox=config.busybox)
    return Launch(shell_program(argv, shell), [], None)


def _server(ctx: RunContext, repo: str, tag: str, argv: list[str], config: ImageConfig) -> Launch:
    if repo == "docker.io/polinux/stress":
        return Launch(_stress(argv), [], None)
    if repo == "docker.io/library/perl":
        return Launch(perl_program(argv), [], None)
    if repo == "registry.k8s.io/nginx-slim":
        return Launch(_serve(), [], config.stop_seconds)  # its nginx logs nothing at start-up
    if repo == "docker.io/library/postgres":
        return _postgres(ctx, tag)
    if repo == "docker.io/library/mysql":
        return _mysql(ctx, tag)
    if repo == "ghcr.io/clusterlab/demo-web":
        return _demo_web(ctx, tag)
    if repo == "registry.k8s.io/hpa-example":
        return Launch(_serve(), _php_apache(ctx), config.stop_seconds)
    if repo in ("registry.k8s.io/e2e-test-images/agnhost", "registry.k8s.io/goproxy"):
        return Launch(_serve(), [], 0.0, GO_SIGTERM_EXIT)
    if repo in HELLO_APP:
        stamp = (ctx.epoch + timedelta(seconds=ctx.started)).strftime("%Y/%m/%d %H:%M:%S")
        port = ctx.env.get("PORT") or "8080"
        listening_line = (ctx.started, f"{stamp} Server listening on port {port}")
        return Launch(_serve(), [listening_line], 0.0, GO_SIGTERM_EXIT)
    if repo == "registry.k8s.io/ingress-nginx/controller":
        return Launch(_serve(), _ingress_nginx_banner(ctx.started, tag), config.stop_seconds)
    lines = startup_output(ctx.image, ctx.started, ctx.epoch, ctx.pod_ip, ctx.cpu, ctx.kernel)
    return Launch(_serve(), lines, config.stop_seconds)


def _serve() -> Program:
    yield Forever()


HELLO_APP = ("gcr.io/google-samples/hello-app", "us-docker.pkg.dev/google-samples/containers/gke/hello-app")


def _ingress_nginx_banner(started: float, tag: str) -> list[LogLine]:
    """The banner ingress-nginx's controller prints first (its NGINX is 1.25.5 in v1.11)."""
    lines = (
        "-------------------------------------------------------------------------------",
        "NGINX Ingress controller",
        f"  Release:       {tag}",
        "  Repository:    https://github.com/kubernetes/ingress-nginx",
        "  nginx version: nginx/1.25.5",
        "",
        "-------------------------------------------------------------------------------",
        "",
    )
    return [(started, line) for line in lines]


def _stress(argv: list[str]) -> Program:
    """polinux/stress: `stress: info: [1] dispatching hogs: …`, then the hogs run until
    `--timeout` (or forever). Its PID 1 has no SIGTERM handler."""
    words = argv[1:]
    opts = {w.lstrip("-"): words[i + 1] for i, w in enumerate(words[:-1]) if w.startswith("-")}
    aliases = {"c": "cpu", "m": "vm", "i": "io", "d": "hdd", "t": "timeout"}
    opts = {aliases.get(k, k): v for k, v in opts.items()}

    def count(key: str) -> int:
        try:
            return max(0, int(opts.get(key, "0")))
        except ValueError:
            return 0

    if not any(count(k) for k in ("cpu", "vm", "io", "hdd")):
        yield Out("`stress' imposes certain types of compute stress on your system")
        yield Out("")
        yield Out("Usage: stress [OPTION [ARG]] ...")
        yield Exit(1)
        return
    yield Out(
        f"stress: info: [1] dispatching hogs: {count('cpu')} cpu, {count('io')} io, "
        f"{count('vm')} vm, {count('hdd')} hdd"
    )
    memory = stress_profile(words).idle_memory
    if count("vm"):
        yield Sleep(round(memory / ALLOC_BYTES_PER_S, 3))
        yield Alloc(memory)
    timeout = opts.get("timeout")
    if timeout is None:
        yield Forever()
        return
    seconds = float(timeout.rstrip("s")) if timeout.rstrip("s").isdigit() else 0.0
    yield Sleep(seconds)
    yield Out(f"stress: info: [1] successful run completed in {math.floor(seconds)}s")
    yield Exit(0)


POSTGRES_VERSIONS = {"16": "16.10", "17": "17.6", "latest": "18.0", "15": "15.14"}
POSTGRES_ERROR = (
    "Error: Database is uninitialized and superuser password is not specified.",
    "       You must specify POSTGRES_PASSWORD to a non-empty value for the",
    '       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".',
    "",
    '       You may also use "POSTGRES_HOST_AUTH_METHOD=trust" to allow all',
    "       connections without a password. This is *not* recommended.",
    "",
    '       See PostgreSQL documentation about "trust":',
    "       https://www.postgresql.org/docs/current/auth-trust.html",
)


def _postgres(ctx: RunContext, tag: str) -> Launch:
    if not ctx.env.get("POSTGRES_PASSWORD") and ctx.env.get("POSTGRES_HOST_AUTH_METHOD") != "trust":
        return Launch(_fail(POSTGRES_ERROR), [], None)
    at = ctx.epoch + timedelta(seconds=ctx.started + 1.2)
    stamp = at.strftime("%Y-%m-%d %H:%M:%S.") + f"{at.microsecond // 1000:03d} UTC"
    version = POSTGRES_VERSIONS.get(tag, tag)
    lines = [
        (ctx.started, 'The files belonging to this database system will be owned by user "postgres".'),
        (ctx.started + 1.1, "PostgreSQL init process complete; ready for start up."),
        (ctx.started + 1.2, f"{stamp} [1] LOG:  starting PostgreSQL {version} on x86_64-pc-linux-gnu"),
        (ctx.started + 1.2, f'{stamp} [1] LOG:  listening on IPv4 address "0.0.0.0", port 5432'),
        (ctx.started + 1.2, f"{stamp} [1] LOG:  database system is ready to accept connections"),
    ]
    return Launch(_serve(), lines, 0.3)


MYSQL_VERSIONS = {"8.0": "8.0.43-1.el9", "8.4": "8.4.6-1.el9", "latest": "9.4.0-1.el9", "9": "9.4.0-1.el9"}
MYSQL_PASSWORD_VARS = ("MYSQL_ROOT_PASSWORD", "MYSQL_ALLOW_EMPTY_PASSWORD", "MYSQL_RANDOM_ROOT_PASSWORD")


def _mysql(ctx: RunContext, tag: str) -> Launch:
    version = MYSQL_VERSIONS.get(tag, tag)

    def stamp(offset: float) -> str:
        return (ctx.epoch + timedelta(seconds=ctx.started + offset)).strftime("%Y-%m-%d %H:%M:%S+00:00")

    head = [
        (
            ctx.started,
            f"{stamp(0)} [Note] [Entrypoint]: Entrypoint script for MySQL Server {version} started.",
        ),
        (ctx.started + 0.3, f"{stamp(0.3)} [Note] [Entrypoint]: Switching to dedicated user 'mysql'"),
        (
            ctx.started + 0.4,
            f"{stamp(0.4)} [Note] [Entrypoint]: Entrypoint script for MySQL Server {version} started.",
        ),
    ]
    if not any(ctx.env.get(v) for v in MYSQL_PASSWORD_VARS):
        error = (
            f"{stamp(0.9)} [ERROR] [Entrypoint]: Database is uninitialized and password option is not "
            "specified",
            "    You need to specify one of the following as an environment variable:",
            *(f"    - {v}" for v in MYSQL_PASSWORD_VARS),
        )

        def failing() -> Program:
            yield Sleep(0.9)
            yield Out("\n".join(error))
            yield Exit(1)

        return Launch(failing(), head, None)
    ready = (
        f"{stamp(9.0)} 0 [System] [MY-010931] [Server] /usr/sbin/mysqld: ready for connections. Version: "
        f"'{version.split('-')[0]}'  socket: '/var/run/mysqld/mysqld.sock'  port: 3306  "
        "MySQL Community Server - GPL."
    )
    return Launch(_serve(), [*head, (ctx.started + 9.0, ready)], 1.5)


def _php_apache(ctx: RunContext) -> list[LogLine]:
    fqdn = (
        "AH00558: apache2: Could not reliably determine the server's fully qualified domain name, "
        f"using {ctx.pod_ip}. Set the 'ServerName' directive globally to suppress this message"
    )
    at = ctx.epoch + timedelta(seconds=ctx.started)
    stamp = at.strftime("%a %b %d %H:%M:%S.%f %Y")
    return [
        (ctx.started, fqdn),
        (ctx.started + 0.01, fqdn),
        (
            ctx.started + 0.02,
            f"[{stamp}] [mpm_prefork:notice] [pid 1] AH00163: Apache/2.4.10 (Debian) PHP/5.6.14 configured "
            "-- resuming normal operations",
        ),
        (
            ctx.started + 0.02,
            f"[{stamp}] [core:notice] [pid 1] AH00094: Command line: 'apache2 -D FOREGROUND'",
        ),
    ]


DEMO_WEB_VERSIONS = ("1.0", "1.1", "2.0")


def _demo_web(ctx: RunContext, tag: str) -> Launch:
    """The demo app (invented for the simulator): a small web server on :8080. 2.0 moved its
    config file and crashes at start-up: the broken release for the stuck-rollout lesson."""
    version = "2.0" if tag == "latest" else tag
    at = ctx.epoch + timedelta(seconds=ctx.started)
    stamp = at.strftime("%Y/%m/%d %H:%M:%S")
    if version == "2.0":
        lines = (
            f"{stamp} demo-web 2.0 starting",
            f"{stamp} fatal: reading config: open /etc/demo-web/config.yaml: no such file or directory "
            "(2.0 reads /etc/demo-web/config.yaml; 1.x read /etc/demo-web.conf)",
        )
        return Launch(_fail(lines), [], None)
    return Launch(
        _serve(),
        [
            (ctx.started, f"{stamp} demo-web {version} starting"),
            (ctx.started + 0.05, f"{stamp} listening on :8080"),
        ],
        0.1,
    )


def _fail(lines: tuple[str, ...]) -> Program:
    yield Out("\n".join(lines))
    yield Exit(1)
