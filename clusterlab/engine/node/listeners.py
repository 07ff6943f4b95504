"""What a running container answers on the network: the ports its process listens on, what an
HTTP GET of a path returns, and its gRPC health status — what the kubelet's probes reach.

The kubelet's httpGet, tcpSocket and grpc probes connect to the pod IP (or the probe's
`host`) from the node; whether they succeed depends only on the process in the container:
- `nginx` and `httpd` listen on :80 and serve their document root from the container's
  filesystem as mounted (`web_servers.py`, `container_files.py`): the image's welcome page
  until a volume over the directory holds other files; `registry.k8s.io/nginx-slim` serves
  /usr/share/nginx/html the same way (its own older pages, its nginx's version in the error
  pages' footer: `NGINX_SLIM_VERSIONS`).
  `registry.k8s.io/hpa-example` (Apache + PHP) answers `/` and `/index.php` with `OK!`.
- `redis` listens on :6379, `postgres` on :5432 once its init has run (about 1.2 s), `mysql`
  on :3306 once it is ready for connections (about 9 s) — none of them speaks HTTP.
- `registry.k8s.io/e2e-test-images/agnhost` runs its subcommand: `liveness` (the docs'
  http-liveness example) serves :8080, `/healthz` answering 200 `ok` for the first 10 s after
  it started and 500 `error: <seconds>` after that (agnhost's liveness/server.go: "> 10");
  `/started` answers 200; `serve-hostname` answers every path on :9376 with the pod name.
- `registry.k8s.io/goproxy` (the docs' TCP probe example) is an HTTP proxy on :8080: the
  port is open; a plain GET is refused with goproxy's 500 "This is a proxy server. Does not
  respond to non-proxy requests.".
- the simulator's `ghcr.io/clusterlab/demo-web` 1.x serves `/` and `/healthz` on :8080.
- the docs' Ingress tutorial app `gcr.io/google-samples/hello-app` answers every path on :8080
  with `Hello, world!`, `Version: 1.0.0` (2.0: `2.0.0`) and `Hostname: <pod name>`.
- ingress-nginx's controller listens on :80 and :443 (nginx; what it answers depends on the
  Ingresses, `network/ingress.py`) and :10254 (`/healthz` 200 `ok`).
- CoreDNS listens on :53 (DNS), :8080 (`/health`), :8181 (`/ready`) and :9153 (`/metrics`).
- The control-plane and other add-on images (distroless servers) answer every port: 200 to any
  path and gRPC `SERVING`.
A container whose PID 1 is a shell or another tool (busybox, `stress`) listens on nothing.

Simplified: a listener is open from a fixed delay after start; non-HTTP servers answer an
HTTP request by closing the connection (`EOF`); no TLS handshake is modelled (an `HTTPS`
probe reaches the control-plane images; a plain HTTP server answers it as Go's client sees).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .container_files import ContainerFiles
from .container_logs import NGINX_VERSIONS
from .images import DISTROLESS, argv_for, config_for, repository
from .web_servers import NGINX_WELCOME as NGINX_WELCOME  # the page the traffic tests expect
from .web_servers import Files, Moved, httpd_answer, nginx_answer

LIVENESS_HEALTHY_SECONDS = 10.0  # agnhost liveness: `duration.Seconds() > 10` → 500


@dataclass(frozen=True)
class Answer:
    """An HTTP response: its status code and body; a web server's directory redirect also says
    where to (`Moved`, completed with the request's Host header by the client)."""

    status: int
    body: str = ""
    moved: Moved | None = None


#: path, seconds since the process started → the response
Handler = Callable[[str, float], Answer]


@dataclass(frozen=True)
class Listener:
    """A listening socket. `port` None: every port (the distroless fallback)."""

    port: int | None
    http: Handler | None = None  # None: not an HTTP server
    grpc: str | None = None  # its grpc.health.v1 status, None: not a gRPC server
    after: float = 0.0  # listening from this long after the process started

    def open(self, port: int, elapsed: float) -> bool:
        return (self.port is None or self.port == port) and elapsed >= self.after


def _static(paths: frozenset[str], body: str = "") -> Handler:
    def answer(path: str, _elapsed: float) -> Answer:
        return Answer(200, body) if path.split("?", 1)[0] in paths else Answer(404, "")

    return answer


def _everything(body: str) -> Handler:
    return lambda _path, _elapsed: Answer(200, body)


def _agnhost_liveness(path: str, elapsed: float) -> Answer:
    path = path.split("?", 1)[0]
    if path == "/healthz":
        if elapsed > LIVENESS_HEALTHY_SECONDS:
            return Answer(500, f"error: {elapsed:g}")
        return Answer(200, "ok")
    if path == "/started":
        return Answer(200, f"{elapsed:g}s")
    return Answer(404, "404 page not found\n")


def _goproxy(_path: str, _elapsed: float) -> Answer:
    return Answer(500, "This is a proxy server. Does not respond to non-proxy requests.\n")


#: The nginx each nginx-slim tag was built with (its `build.sh` at the tag's release). Only 0.23
#: is recorded (1.13.4, its release note) and the image's last build script says 1.13.5 (0.24);
#: the rest are inferred from release dates: 0.8 (July 2016, released with the move to 1.11.2),
#: 0.21 (July 2017, nginx 1.13.3 then current), 0.27 (the last, early 2018: 1.13.8). Other
#: tags: the last build script's.
NGINX_SLIM_VERSIONS = {
    "0.8": "1.11.2",
    "0.21": "1.13.3",
    "0.23": "1.13.4",
    "0.24": "1.13.5",
    "0.27": "1.13.8",
}
PHP_APACHE = _static(frozenset({"/", "/index.php"}), "OK!")
DEMO_WEB = _static(frozenset({"/", "/healthz"}))


HELLO_APP = ("gcr.io/google-samples/hello-app", "us-docker.pkg.dev/google-samples/containers/gke/hello-app")


def _nginx(files: Files, version: str) -> Handler:
    """The official nginx image: its default server's `root`, read at each request."""

    def answer(path: str, _elapsed: float) -> Answer:
        page = nginx_answer(files, version, path)
        return Answer(page.status, page.body, page.moved)

    return answer


def _httpd(files: Files) -> Handler:
    """The official httpd image: its `DocumentRoot`, read at each request."""

    def answer(path: str, _elapsed: float) -> Answer:
        page = httpd_answer(files, path)
        return Answer(page.status, page.body, page.moved)

    return answer


def _hello_app(tag: str, pod_name: str) -> Handler:
    """hello-app answers every path with its greeting, its version and the pod's hostname."""
    version = "2.0.0" if tag == "2.0" else "1.0.0"
    return _everything(f"Hello, world!\nVersion: {version}\nHostname: {pod_name}\n")


def _ingress_nginx(path: str, _elapsed: float) -> Answer:
    """nginx with no Ingress to route by (the traffic path asks `network/ingress.py` first):
    the controller's default backend, 404."""
    from ..network.ingress import NOT_FOUND_PAGE

    return Answer(404, NOT_FOUND_PAGE)


def _ingress_nginx_health(path: str, _elapsed: float) -> Answer:
    if path.split("?", 1)[0] == "/healthz":
        return Answer(200, "ok")
    return Answer(404, "404 page not found\n")


INGRESS_NGINX: Handler = _ingress_nginx
INGRESS_NGINX_HEALTH: Handler = _ingress_nginx_health


# CoreDNS (kubeadm's Corefile): DNS on :53, the health plugin's `/health` on :8080, the ready
# plugin's `/ready` on :8181 and the prometheus plugin's `/metrics` on :9153
COREDNS = (
    Listener(53),
    Listener(8080, _static(frozenset({"/health"}), "OK")),
    Listener(8181, _static(frozenset({"/ready"}), "OK")),
    Listener(9153, _static(frozenset({"/metrics"}))),
)


def listeners_for(
    image: str, spec: dict[str, object], pod_name: str = "", files: Files | None = None
) -> list[Listener]:
    """What the process of a container of `image` (normalized) with `spec` listens on; `files`
    is the container's filesystem its servers read (None: the image's own files alone)."""
    config = config_for(image)
    argv = argv_for(spec, config)
    program = argv[0].rsplit("/", 1)[-1] if argv else ""
    if repository(image)[0] == "registry.k8s.io/coredns/coredns":
        return list(COREDNS)
    if config is DISTROLESS:
        return [Listener(None, _everything("ok"), "SERVING")]
    if argv and program not in config.servers:
        return []  # a shell or tool as PID 1: nothing listens
    repo, tag = repository(image)
    if repo == "docker.io/library/nginx":
        return [Listener(80, _nginx(files or ContainerFiles(image), NGINX_VERSIONS.get(tag, tag)))]
    if repo == "registry.k8s.io/nginx-slim":
        version = NGINX_SLIM_VERSIONS.get(tag, "1.13.5")
        return [Listener(80, _nginx(files or ContainerFiles(image), version))]
    if repo == "docker.io/library/httpd":
        return [Listener(80, _httpd(files or ContainerFiles(image)))]
    if repo == "registry.k8s.io/hpa-example":
        return [Listener(80, PHP_APACHE)]
    if repo == "docker.io/library/redis":
        return [Listener(6379)]
    if repo == "docker.io/library/postgres":
        return [Listener(5432, after=1.2)]
    if repo == "docker.io/library/mysql":
        return [Listener(3306, after=9.0)]
    if repo == "ghcr.io/clusterlab/demo-web":
        return [] if tag in ("2.0", "latest") else [Listener(8080, DEMO_WEB)]
    if repo == "registry.k8s.io/goproxy":
        return [Listener(8080, _goproxy)]
    if repo in HELLO_APP:
        return [Listener(8080, _hello_app(tag, pod_name))]
    if repo == "registry.k8s.io/ingress-nginx/controller":
        nginx = [Listener(80, INGRESS_NGINX), Listener(443, INGRESS_NGINX)]
        return [*nginx, Listener(10254, INGRESS_NGINX_HEALTH)]
    if repo == "registry.k8s.io/e2e-test-images/agnhost":
        sub = argv[1] if len(argv) > 1 else ""
        if sub == "liveness":
            return [Listener(8080, _agnhost_liveness)]
        if sub == "serve-hostname":
            return [Listener(9376, _everything(pod_name))]
    return []


def listening(listeners: list[Listener], port: int, elapsed: float) -> Listener | None:
    return next((li for li in listeners if li.open(port, elapsed)), None)
