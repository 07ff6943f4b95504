"""The Metrics API (`metrics.k8s.io/v1beta1`) as metrics-server serves it: read-only
`nodes` (NodeMetrics) and `pods` (PodMetrics), list and get.

A list takes the Nodes/Pods metrics-server knows from its informers (label selector, and
`metadata.name`/`metadata.namespace` field selectors, filtered in memory as metrics-server
does), in name order, and answers for those that have usage; pods only while Running. A get of
something without usage is a NotFound naming `nodemetrics`/`podmetrics` (pods as
`namespace/name`). CPU is reported in nanocores and memory as a binary quantity, each item with
the `timestamp` of its last reading and the `window` between its two readings, as
metrics-server reports them. While the APIService is not Available every request is answered
503 by the aggregation layer, and writes are refused as for any read-only REST storage.

Requests are recorded in the audit log like any other (`list nodes.metrics.k8s.io`).
"""

from __future__ import annotations

from typing import Any

from ..audit import User
from ..errors import NotFound, ServiceUnavailable
from ..selectors import parse_field_selector, parse_label_selector
from ..timefmt import rfc3339
from .server import MetricsServer, Process
from .storage import Usage

Obj = dict[str, Any]
GROUP = "metrics.k8s.io"
VERSION = "v1beta1"
API_VERSION = f"{GROUP}/{VERSION}"
UNAVAILABLE = "the server is currently unable to handle the request"
_NAME_FIELDS = {"metadata.name": lambda o: o["metadata"].get("name")}
_POD_FIELDS = {**_NAME_FIELDS, "metadata.namespace": lambda o: o["metadata"].get("namespace")}


def cpu_quantity(nanocores: int) -> str:
    """A Quantity of scale -9 in canonical form: `0`, `1500n`→`1500n`, `2000000n`→`2m`."""
    if nanocores == 0:
        return "0"
    for suffix, size in (("", 10**9), ("m", 10**6), ("u", 10**3)):
        if nanocores % size == 0:
            return f"{nanocores // size}{suffix}"
    return f"{nanocores}n"


def memory_quantity(n: int) -> str:
    """A BinarySI Quantity in canonical form: `3584Ki`, `12Mi`, or plain bytes."""
    if n == 0:
        return "0"
    for suffix, size in (
        ("Ei", 2**60),
        ("Pi", 2**50),
        ("Ti", 2**40),
        ("Gi", 2**30),
        ("Mi", 2**20),
        ("Ki", 2**10),
    ):
        if n % size == 0:
            return f"{n // size}{suffix}"
    return str(n)


def go_seconds(seconds: float) -> str:
    """`metav1.Duration` of a window: Go's `Duration.String()` (`15s`, `14.5s`, `1m0s`)."""
    ns = round(seconds * 1e9)
    minutes, rest = divmod(ns, 60 * 10**9)
    secs = f"{rest / 1e9:.9f}".rstrip("0").rstrip(".") or "0"
    return f"{minutes}m{secs}s" if minutes else f"{secs}s"


def _usage(u: Usage) -> Obj:
    return {"cpu": cpu_quantity(u.cpu_nanocores), "memory": memory_quantity(u.memory)}


class MetricsAPI:
    """The read side, as the aggregated API server answers it."""

    def __init__(self, metrics_server: MetricsServer) -> None:
        self.ms = metrics_server

    @property
    def server(self) -> Any:
        return self.ms.server

    def available(self) -> bool:
        """Whether the APIService `v1beta1.metrics.k8s.io` is Available."""
        return self.ms.serving() is not None

    def _proc(self, user: User, verb: str, resource: str, ns: str | None, name: str | None) -> Process:
        if not self.server.available:
            raise ServiceUnavailable("The connection to the server was refused")
        proc = self.ms.serving()
        if proc is None:
            self.server.audit.record(user, verb, f"{resource}.{GROUP}", ns, name, 503)
            raise ServiceUnavailable(UNAVAILABLE, details={"group": GROUP, "kind": resource})
        return proc

    def _meta(self, obj: Obj) -> Obj:
        meta: Obj = {"name": obj["metadata"]["name"]}
        if obj["metadata"].get("namespace"):
            meta["namespace"] = obj["metadata"]["namespace"]
        meta["creationTimestamp"] = rfc3339(self.server.epoch, self.ms.clock.now)
        if obj["metadata"].get("labels"):
            meta["labels"] = dict(obj["metadata"]["labels"])
        return meta

    # -- nodes ------------------------------------------------------------------------------

    def _node_metrics(self, proc: Process, node: Obj) -> Obj | None:
        usage = proc.storage.node(node["metadata"]["name"])
        if usage is None:
            return None
        return {
            "kind": "NodeMetrics",
            "apiVersion": API_VERSION,
            "metadata": self._meta(node),
            "timestamp": rfc3339(self.server.epoch, usage.timestamp),
            "window": go_seconds(usage.window),
            "usage": _usage(usage),
        }

    def list_nodes(
        self, user: User, label_selector: str | None = None, field_selector: str | None = None
    ) -> Obj:
        proc = self._proc(user, "list", "nodes", None, None)
        labels = parse_label_selector(label_selector)
        fields = parse_field_selector(field_selector, _NAME_FIELDS, "NodeMetrics")
        items = []
        for name in sorted(proc.nodes.cache):
            node = proc.nodes.cache[name]
            if labels.matches(node["metadata"].get("labels")) and fields.matches(node, _NAME_FIELDS):
                item = self._node_metrics(proc, node)
                if item is not None:
                    items.append(item)
        self.server.audit.record(user, "list", f"nodes.{GROUP}", None, None, 200)
        return {"kind": "NodeMetricsList", "apiVersion": API_VERSION, "metadata": {}, "items": items}

    def get_node(self, user: User, name: str) -> Obj:
        proc = self._proc(user, "get", "nodes", None, name)
        node = proc.nodes.cache.get(name)
        item = self._node_metrics(proc, node) if node is not None else None
        if item is None:
            self.server.audit.record(user, "get", f"nodes.{GROUP}", None, name, 404)
            raise NotFound(
                f'nodemetrics.{GROUP} "{name}" not found',
                details={"name": name, "group": GROUP, "kind": "nodemetrics"},
            )
        self.server.audit.record(user, "get", f"nodes.{GROUP}", None, name, 200)
        return item

    # -- pods -------------------------------------------------------------------------------

    def _pod_metrics(self, proc: Process, pod: Obj) -> Obj | None:
        if (pod.get("status") or {}).get("phase") != "Running":
            return None
        key = f"{pod['metadata']['namespace']}/{pod['metadata']['name']}"
        found = proc.storage.pod(key)
        if found is None:
            return None
        containers, timestamp, window = found
        order = [c["name"] for c in pod["spec"]["containers"]]
        names = sorted(containers, key=lambda n: order.index(n) if n in order else len(order))
        return {
            "kind": "PodMetrics",
            "apiVersion": API_VERSION,
            "metadata": self._meta(pod),
            "timestamp": rfc3339(self.server.epoch, timestamp),
            "window": go_seconds(window),
            "containers": [{"name": n, "usage": _usage(containers[n])} for n in names],
        }

    def list_pods(
        self,
        user: User,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> Obj:
        proc = self._proc(user, "list", "pods", namespace, None)
        labels = parse_label_selector(label_selector)
        fields = parse_field_selector(field_selector, _POD_FIELDS, "PodMetrics")
        items = []
        for key in sorted(proc.pods.cache, key=lambda k: tuple(k.split("/", 1))):
            pod = proc.pods.cache[key]
            if namespace and pod["metadata"]["namespace"] != namespace:
                continue
            if labels.matches(pod["metadata"].get("labels")) and fields.matches(pod, _POD_FIELDS):
                item = self._pod_metrics(proc, pod)
                if item is not None:
                    items.append(item)
        self.server.audit.record(user, "list", f"pods.{GROUP}", namespace, None, 200)
        return {"kind": "PodMetricsList", "apiVersion": API_VERSION, "metadata": {}, "items": items}

    def get_pod(self, user: User, namespace: str, name: str) -> Obj:
        proc = self._proc(user, "get", "pods", namespace, name)
        pod = proc.pods.cache.get(f"{namespace}/{name}")
        item = self._pod_metrics(proc, pod) if pod is not None else None
        if item is None:
            self.server.audit.record(user, "get", f"pods.{GROUP}", namespace, name, 404)
            raise NotFound(
                f'podmetrics.{GROUP} "{namespace}/{name}" not found',
                details={"name": f"{namespace}/{name}", "group": GROUP, "kind": "podmetrics"},
            )
        self.server.audit.record(user, "get", f"pods.{GROUP}", namespace, name, 200)
        return item
