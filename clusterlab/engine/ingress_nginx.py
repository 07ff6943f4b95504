"""ingress-nginx's controller process: it runs inside its pod, watches the Ingresses of its
class, configures nginx from them and writes their status.

ingress-nginx (controller v1.11) is an ordinary Deployment (`ingress-nginx/ingress-nginx-
controller`, image `registry.k8s.io/ingress-nginx/controller`, the add-on
`scenarios/addons/ingress-nginx.yaml`): nothing in the control plane knows about it. When the
kubelet starts its container, the process starts and, about a second later (informers
synced, nginx started):
- it serves the Ingresses of its class: those whose `ingressClassName` names an IngressClass
  with `spec.controller` equal to its `--controller-class` (`k8s.io/ingress-nginx`), or whose
  legacy `kubernetes.io/ingress.class` annotation equals its `--ingress-class`; Ingresses with
  no class only with `--watch-ingress-without-class`. Each one it takes up (created, changed,
  or newly of its class) gets a `Normal Sync` event, "Scheduled for sync", from
  `nginx-ingress-controller` — a status update is a change, so an Ingress shows it twice.
- it campaigns for the Lease `--election-id` (`ingress-nginx-leader`) in its namespace (lease
  30 s, renew deadline 15 s, retry 7.5 s); the leader syncs Ingress status right after it is
  elected and then every 60 s: `status.loadBalancer.ingress` lists the controller's addresses
  — with `--publish-service`, the Service's load-balancer addresses; else (the bare-metal
  manifest) the IP of the node of every Running and Ready controller pod (ExternalIP, else
  InternalIP). That is the ADDRESS `kubectl get ingress` shows, a minute or so after the
  Ingress was created.
- nginx answers on :80 and :443 as `network/ingress.py` routes a request (the traffic path
  asks `ingresses_seen()` which Ingresses the process in a pod has); :10254 serves
  `/healthz`, which the pod's probes ask.
- a TLS section naming a Secret that does not exist (or is not `kubernetes.io/tls`) makes it
  serve that host with its default certificate, "Kubernetes Ingress Controller Fake
  Certificate", and log `Error getting SSL certificate "<ns>/<name>": local SSL certificate
  <ns>/<name> was not found. Using default certificate`.
When the container stops, the process and everything it had are gone; a process its kubelet
stops (the pod deleted) gives the Lease back, so a new controller pod is elected at once.

Simplified: nginx reloads take no time; the admission webhook and its certificate Jobs are
left out of the add-on; the status is not cleared at shutdown; only the flags above are read;
the process notices its own end at its next step (lease renewal, status sync, watch event).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from .apiserver import APIServer
from .audit import User
from .clock import Clock, Timer
from .errors import ApiError
from .informers import Informer
from .jsonutil import copy_json, dig
from .leader_election import LeaderElector
from .node.pod_state import running_container
from .node.runtime import normalize
from .recorder import EventRecorder

if TYPE_CHECKING:
    from .node.kubelet import Kubelet

Obj = dict[str, Any]
KubeletLookup = Callable[[str], "Kubelet | None"]

IMAGE_REPOSITORY = "registry.k8s.io/ingress-nginx/controller"
COMPONENT = "nginx-ingress-controller"
ELECTOR_COMPONENT = "ingress-leader-elector"
#: From the container's start to informers synced and nginx running.
STARTUP_SECONDS = 1.0
#: The status syncer's period (`updateInterval`).
STATUS_INTERVAL = 60.0
ELECTION_TTL = 30.0  # --election-ttl; renew deadline ttl/2, retry period ttl/4
FAKE_CERTIFICATE = "Kubernetes Ingress Controller Fake Certificate"
LEGACY_CLASS_ANNOTATION = "kubernetes.io/ingress.class"


@dataclass
class Flags:
    """The controller's command-line flags this simulation reads."""

    ingress_class: str = "nginx"
    controller_class: str = "k8s.io/ingress-nginx"
    election_id: str = "ingress-nginx-leader"
    watch_without_class: bool = False
    publish_service: str = ""

    @classmethod
    def parse(cls, argv: list[str], env: dict[str, str]) -> Flags:
        flags = cls()
        for arg in argv:
            name, _, value = arg.lstrip("-").partition("=")
            for var, val in env.items():
                value = value.replace(f"$({var})", val)
            if name == "ingress-class":
                flags.ingress_class = value
            elif name == "controller-class":
                flags.controller_class = value
            elif name == "election-id":
                flags.election_id = value
            elif name == "watch-ingress-without-class":
                flags.watch_without_class = value in ("", "true")
            elif name == "publish-service":
                flags.publish_service = value
        return flags


@dataclass
class Process:
    """One running controller container."""

    node: str
    container_id: str
    pod: Obj
    flags: Flags
    user: User
    recorder: EventRecorder
    ingresses: Informer
    classes: Informer
    secrets: Informer
    elector: LeaderElector | None = None
    timer: Timer | None = None
    ready: bool = False  # informers synced, nginx running
    warned: set[str] = field(default_factory=set)  # secrets already logged as missing


class IngressNginx:
    """Every ingress-nginx controller process in the cluster."""

    def __init__(self, server: APIServer, clock: Clock, rng: random.Random, kubelets: KubeletLookup) -> None:
        self.server = server
        self.clock = clock
        self.rng = rng
        self.kubelets = kubelets
        self.processes: dict[str, Process] = {}  # container ID → process

    # -- the runtime tells us a container started ---------------------------------------

    def container_started(self, node: str, container_id: str, image: str) -> None:
        """Called by a node's runtime for every container it starts."""
        ref = normalize(image).partition("@")[0].rpartition(":")[0]
        if ref != IMAGE_REPOSITORY:
            return
        self.clock.call_later(0.0, lambda: self._begin(node, container_id))

    def _find_pod(self, node: str, container_id: str) -> tuple[Obj, Obj] | None:
        """The pod object and container spec of a running container, as its kubelet knows it."""
        kubelet = self.kubelets(node)
        if kubelet is None or not kubelet.running:
            return None
        found = running_container(kubelet.pods, container_id)
        if found is None:
            return None
        key, c = found
        ns, _, name = key.partition("/")
        pod = self.server.store.get("pods", ns, name)
        if pod is None:
            return None
        spec = next((s for s in pod["spec"].get("containers") or [] if s.get("name") == c.name), None)
        return (copy_json(pod), spec or {}) if spec is not None else None

    def _begin(self, node: str, container_id: str) -> None:
        found = self._find_pod(node, container_id)
        if found is None:
            return
        pod, spec = found
        meta = pod["metadata"]
        env = {"POD_NAME": meta["name"], "POD_NAMESPACE": meta.get("namespace") or "default"}
        flags = Flags.parse([str(a) for a in (spec.get("command") or []) + (spec.get("args") or [])], env)
        account = pod["spec"].get("serviceAccountName") or "default"
        user = User(f"system:serviceaccount:{env['POD_NAMESPACE']}:{account}", COMPONENT)
        proc = Process(
            node=node,
            container_id=container_id,
            pod=pod,
            flags=flags,
            user=user,
            recorder=EventRecorder(self.server, user, COMPONENT),
            ingresses=Informer(self.server, user, "ingresses"),
            classes=Informer(self.server, user, "ingressclasses"),
            secrets=Informer(self.server, user, "secrets"),
        )
        self.processes[container_id] = proc
        self._log(proc, "I", "main.go:205", "Creating API client for https://10.96.0.1:443")
        proc.timer = self.clock.call_later(STARTUP_SECONDS, lambda: self._start(proc))

    # -- the process ------------------------------------------------------------------------

    def _log(self, proc: Process, level: str, where: str, text: str) -> None:
        """A klog line in the container's output (`kubectl logs`)."""
        kubelet = self.kubelets(proc.node)
        if kubelet is None:
            return
        at = self.server.epoch + timedelta(seconds=self.clock.now)
        stamp = at.strftime("%m%d %H:%M:%S.%f")
        kubelet.runtime.write(proc.container_id, f"{level}{stamp}       7 {where}] {text}")

    def _alive(self, proc: Process) -> bool:
        return self._find_pod(proc.node, proc.container_id) is not None

    def _start(self, proc: Process) -> None:
        if not self._alive(proc):
            self._exit(proc)
            return
        proc.classes.start()
        proc.secrets.start()
        proc.ingresses.add_handler(
            lambda ing: self._on_ingress(proc, None, ing),
            lambda old, new: self._on_ingress(proc, old, new),
            None,
        )
        proc.ingresses.start()
        proc.ready = True
        self._log(proc, "I", "nginx.go:317", "Starting NGINX process")
        name = proc.pod["metadata"]["name"]
        ns = proc.pod["metadata"].get("namespace") or "default"
        self._log(
            proc,
            "I",
            "leaderelection.go:250",
            f"attempting to acquire leader lease {ns}/{proc.flags.election_id}...",
        )
        proc.elector = _Elector(
            lambda: self._gone(proc),
            self.server,
            self.clock,
            proc.user,
            EventRecorder(self.server, proc.user, ELECTOR_COMPONENT),
            proc.flags.election_id,
            name,
            self.rng,
            release_on_cancel=True,
            on_started_leading=lambda: self._started_leading(proc),
            on_stopped_leading=lambda: None,
            namespace=ns,
            timings=(ELECTION_TTL, ELECTION_TTL / 2, ELECTION_TTL / 4),
        )
        proc.elector.run()

    def _gone(self, proc: Process) -> bool:
        """Whether the process has ended (then cleaned up): checked at each of its own steps."""
        if proc.container_id in self.processes and self._alive(proc):
            return False
        self._exit(proc)
        return True

    def _exit(self, proc: Process) -> None:
        if proc.container_id not in self.processes:
            return
        self.processes.pop(proc.container_id, None)
        if proc.timer is not None:
            proc.timer.cancel()
        if proc.elector is not None:
            kubelet = self.kubelets(proc.node)
            if kubelet is None or not kubelet.running:
                proc.elector.leading = False  # a node that died takes the process with it: no release
            proc.elector.stop()  # stopped by its kubelet (SIGTERM): it gives the lease back
        for informer in (proc.ingresses, proc.classes, proc.secrets):
            informer.stop()
        proc.ready = False

    # -- which Ingresses are its own ----------------------------------------------------------

    def _of_class(self, proc: Process, ing: Obj) -> bool:
        """`store.GetIngressClass` in ingress-nginx: the IngressClass the spec names, with our
        controller value; else the legacy annotation; else only if watching class-less ones."""
        class_name = dig(ing, "spec", "ingressClassName")
        if class_name:
            ic = proc.classes.get(class_name)
            return ic is not None and dig(ic, "spec", "controller") == proc.flags.controller_class
        annotation = (ing["metadata"].get("annotations") or {}).get(LEGACY_CLASS_ANNOTATION)
        if annotation is not None:
            return annotation == proc.flags.ingress_class
        return proc.flags.watch_without_class

    def _on_ingress(self, proc: Process, old: Obj | None, new: Obj) -> None:
        if not self._alive(proc):
            self._exit(proc)
            return
        if not self._of_class(proc, new):
            return
        if old is not None and self._of_class(proc, old) and old == new:
            return
        ns, name = new["metadata"].get("namespace"), new["metadata"]["name"]
        if old is None:
            self._log(
                proc,
                "I",
                "store.go:440",
                f'"Found valid IngressClass" ingress="{ns}/{name}" ingressclass="{proc.flags.ingress_class}"',
            )
        proc.recorder.event(new, "Normal", "Sync", "Scheduled for sync")
        self._check_certificates(proc, new)

    def _check_certificates(self, proc: Process, ing: Obj) -> None:
        ns = ing["metadata"].get("namespace") or "default"
        for tls in dig(ing, "spec", "tls", default=[]) or []:
            secret = tls.get("secretName")
            if not secret:
                continue
            key = f"{ns}/{secret}"
            if self._certificate(proc, key) is None and key not in proc.warned:
                proc.warned.add(key)
                self._log(
                    proc,
                    "W",
                    "controller.go:1372",
                    f'Error getting SSL certificate "{key}": local SSL certificate {key} was not found. '
                    "Using default certificate",
                )

    def _certificate(self, proc: Process, key: str) -> Obj | None:
        secret = proc.secrets.get(key)
        if secret is None or secret.get("type") != "kubernetes.io/tls":
            return None
        return secret

    def ingresses(self, proc: Process) -> list[Obj]:
        """The Ingresses this process serves (its informer's, of its class)."""
        return [ing for ing in proc.ingresses.list() if self._of_class(proc, ing)]

    # -- status -------------------------------------------------------------------------------

    def _started_leading(self, proc: Process) -> None:
        name = proc.pod["metadata"]["name"]
        self._log(proc, "I", "status.go:85", f'"New leader elected" identity="{name}"')
        self._sync_status(proc)

    def _sync_status(self, proc: Process) -> None:
        if not self._alive(proc):
            self._exit(proc)
            return
        proc.timer = self.clock.call_later(STATUS_INTERVAL, lambda: self._sync_status(proc))
        if proc.elector is None or not proc.elector.leading:
            return
        points = [{"ip": a} if _is_ip(a) else {"hostname": a} for a in self._addresses(proc)]
        for ing in sorted(
            self.ingresses(proc), key=lambda i: (i["metadata"].get("namespace"), i["metadata"]["name"])
        ):
            current = dig(ing, "status", "loadBalancer", "ingress", default=[]) or []
            if current == points:
                continue
            updated = copy_json(ing)
            updated["status"] = {"loadBalancer": {"ingress": points} if points else {}}
            ns, iname = ing["metadata"].get("namespace"), ing["metadata"]["name"]
            self._log(
                proc,
                "I",
                "status.go:304",
                f'"updating Ingress status" namespace="{ns}" ingress="{iname}" '
                f"currentValue={_go_points(current)} newValue={_go_points(points)}",
            )
            try:
                self.server.update(
                    proc.user, updated, subresource="status", field_manager="nginx-ingress-controller"
                )
            except ApiError:
                continue

    def _addresses(self, proc: Process) -> list[str]:
        """`runningAddresses`: the published Service's, else the nodes of Ready controller pods."""
        flags = proc.flags
        if flags.publish_service:
            ns, _, name = flags.publish_service.partition("/")
            svc = self.server.store.get("services", ns, name)
            found: list[str] = []
            for point in dig(svc or {}, "status", "loadBalancer", "ingress", default=[]) or []:
                found.append(point.get("ip") or point.get("hostname") or "")
            found += dig(svc or {}, "spec", "externalIPs", default=[]) or []
            return sorted(a for a in found if a)
        meta = proc.pod["metadata"]
        labels = {k: v for k, v in (meta.get("labels") or {}).items() if k != "pod-template-hash"}
        addresses: list[str] = []
        for pod in self.server.store.iter("pods", meta.get("namespace")):
            pod_labels = pod["metadata"].get("labels") or {}
            if any(pod_labels.get(k) != v for k, v in labels.items()):
                continue
            if dig(pod, "status", "phase") != "Running":
                continue
            conditions = dig(pod, "status", "conditions", default=[]) or []
            if not any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions):
                continue
            address = self._node_address(pod["spec"].get("nodeName") or "")
            if address and address not in addresses:
                addresses.append(address)
        return sorted(addresses)

    def _node_address(self, node_name: str) -> str:
        node = self.server.store.get("nodes", None, node_name)
        if node is None:
            return ""
        found = {a.get("type"): a.get("address") for a in dig(node, "status", "addresses", default=[]) or []}
        return found.get("ExternalIP") or found.get("InternalIP") or ""

    # -- what the network path asks ------------------------------------------------------------

    def ingresses_seen(self, namespace: str, pod_name: str) -> list[Obj] | None:
        """The Ingresses the controller process running in this pod serves; None when no
        ingress-nginx process is up in it (the connection is refused or hits another server)."""
        for proc in self.processes.values():
            meta = proc.pod["metadata"]
            if (
                meta["name"] == pod_name
                and meta.get("namespace") == namespace
                and proc.ready
                and self._alive(proc)
            ):
                return self.ingresses(proc)
        return None

    def certificate_for(self, namespace: str, pod_name: str, host: str) -> str:
        """The certificate's subject this pod's nginx presents for `host` on :443: the TLS
        Secret's name when an Ingress has one that exists, else the fake certificate."""
        for proc in self.processes.values():
            meta = proc.pod["metadata"]
            if meta["name"] != pod_name or meta.get("namespace") != namespace:
                continue
            for ing in self.ingresses(proc):
                ns = ing["metadata"].get("namespace") or "default"
                for tls in dig(ing, "spec", "tls", default=[]) or []:
                    if host in (tls.get("hosts") or []) and tls.get("secretName"):
                        key = f"{ns}/{tls['secretName']}"
                        if self._certificate(proc, key) is not None:
                            return key
        return FAKE_CERTIFICATE


class _Elector(LeaderElector):
    """The controller's leader election, which ends with its process (checked at each try)."""

    def __init__(self, gone: Callable[[], bool], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gone = gone

    def _acquire(self) -> None:
        if not self.gone():
            super()._acquire()

    def _renew(self) -> None:
        if not self.gone():
            super()._renew()


class NginxProxy:
    """nginx in a controller pod, as the traffic path's Ingress hook: a request a controller
    pod accepted on :80 or :443 is routed (`network/ingress.py`) and proxied to one of the
    backend's ready endpoints, picked round-robin (ingress-nginx's default `load-balance`), by
    connecting from the controller pod straight to the pod IP and target port.

    nginx's own answers: 404 (no rule, the default backend), 503 (no ready endpoint or no such
    Service), 301 (a Prefix path's missing trailing slash), 502 when the upstream refuses or is
    unreachable, 504 after `proxy-connect-timeout` (5 s) when it does not answer."""

    CONNECT_TIMEOUT = 5.0

    def __init__(self, controllers: IngressNginx) -> None:
        self.controllers = controllers
        self._next: dict[tuple[str, str, str, str], int] = {}  # (pod, ns, svc, port) → next index

    def balance(self, pod_name: str, backend: Any, upstreams: int, count: int) -> list[int]:
        """`count` requests of one pod's nginx over a backend's `upstreams`, round-robin from
        where its last request left off (for a batch of load, `network/ingress_load.py`)."""
        from .network.ingress_load import round_robin_split

        key = (pod_name, backend.namespace, backend.service, str(backend.port))
        start = self._next.get(key, 0) % upstreams
        self._next[key] = start + count
        return round_robin_split(start, upstreams, count)

    def __call__(self, network: Any, source: Any, conn: Any, host: str, path: str) -> Any:
        from .network.ingress import UNAVAILABLE_PAGE, route, upstreams
        from .network.traffic import Reply
        from .node.listeners import Answer

        pod = conn.pod
        if conn.port not in (80, 443) or pod is None:
            return None
        meta = pod["metadata"]
        seen = self.controllers.ingresses_seen(meta.get("namespace") or "", meta["name"])
        if seen is None:
            return None
        decision = route(seen, host, path)
        stats = network.stats
        if decision.backend is None:
            answer = Answer(decision.status, decision.body)
            seconds = conn.seconds + (stats.record(conn, answer, network.clock.now) if stats else 0.0)
            return Reply(conn, answer, seconds)
        backend = decision.backend
        targets = upstreams(backend, network.store.iter("services"), network.store.iter("endpointslices"))
        if not targets:
            answer = Answer(503, UNAVAILABLE_PAGE)
            seconds = conn.seconds + (stats.record(conn, answer, network.clock.now) if stats else 0.0)
            return Reply(conn, answer, seconds)
        key = (meta["name"], backend.namespace, backend.service, str(backend.port))
        index = self._next.get(key, 0) % len(targets)
        self._next[key] = index + 1
        ip, port = targets[index]
        upstream = network.connect(network.pod_source(pod), ip, port)
        service = f"{backend.namespace}/{backend.service}:{backend.port}"
        if upstream.error:
            timed_out = upstream.seconds >= self.CONNECT_TIMEOUT
            answer = (
                Answer(504, _nginx_page("504 Gateway Time-out"))
                if timed_out
                else Answer(502, _nginx_page("502 Bad Gateway"))
            )
            waited = min(upstream.seconds, self.CONNECT_TIMEOUT)
            seconds = (
                conn.seconds + waited + (stats.record(conn, answer, network.clock.now) if stats else 0.0)
            )
            return Reply(conn, answer, seconds)
        answer = None
        if upstream.listener is not None and upstream.listener.http is not None:
            answer = upstream.listener.http(path, upstream.elapsed)
        seconds = conn.seconds + upstream.seconds
        if stats is not None:
            from dataclasses import replace

            seconds += stats.record(replace(upstream, service=service), answer, network.clock.now)
            stats.record(conn, answer or Answer(502, _nginx_page("502 Bad Gateway")), network.clock.now)
        if answer is None:
            answer = Answer(502, _nginx_page("502 Bad Gateway"))  # the upstream closed without a reply
        return Reply(conn, answer, seconds)


def _nginx_page(title: str) -> str:
    """The body nginx sends with an error status (what `wget -O-`/`curl` print), byte for byte;
    `title` is one of this module's fixed status lines, never user input. The lab page shows it
    only through autoescaping templates."""
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )


def _is_ip(text: str) -> bool:
    parts = text.split(".")
    return len(parts) == 4 and all(p.isdigit() and 0 <= int(p) <= 255 for p in parts)


def _go_points(points: list[Obj]) -> str:
    return (
        "["
        + " ".join("{" + (p.get("ip") or "") + " " + (p.get("hostname") or "") + " []}" for p in points)
        + "]"
    )
