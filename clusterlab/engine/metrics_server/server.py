"""metrics-server's process: it runs inside its pod and scrapes every kubelet.

metrics-server is an ordinary Deployment (`kube-system/metrics-server`, image
`registry.k8s.io/metrics-server/metrics-server`): it gets no special treatment from the
scheduler or the kubelet. When the kubelet starts its container, the process starts: it lists
and watches Nodes and Pods through the API server (as its service account), scrapes every
node's kubelet (`/metrics/resource`) once it is up (~1 s) and then every `--metric-resolution`
(15 s), and
keeps the readings in memory (`storage.py`). When the container stops — the pod is deleted,
the node powers off — the process and everything it had are gone; a new pod starts empty.

kube-apiserver's aggregation layer serves `metrics.k8s.io/v1beta1` by proxying to it (the
APIService `v1beta1.metrics.k8s.io`). The APIService is Available while a Ready metrics-server
pod answers and its `/readyz` passes, which needs the storage to hold two scrapes.

Simplified: the aggregator asks the process for readiness directly (the kubelet runs the
pod's probes, but the APIService check does not go through them); with several replicas the
oldest running process answers (the real Service spreads requests over replicas, each with
its own storage); scrapes take no time and never time out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..apiserver import APIServer
from ..audit import User
from ..clock import Clock, Timer
from ..informers import Informer
from ..jsonutil import dig
from ..node.pod_state import running_container
from ..node.resource_metrics import scrape
from ..node.runtime import normalize
from ..node.usage import Sample, UsageModel
from .storage import Storage

if TYPE_CHECKING:
    from ..node.kubelet import Kubelet

METRIC_RESOLUTION = 15.0
#: From the container's start to its first scrape: serving certificates, informers synced.
STARTUP_SECONDS = 1.0
IMAGE_REPOSITORY = "registry.k8s.io/metrics-server/metrics-server"
USER = User("system:serviceaccount:kube-system:metrics-server", "metrics-server")

KubeletLookup = Callable[[str], "Kubelet | None"]


@dataclass
class Process:
    """One running metrics-server container."""

    node: str
    container_id: str
    pod: str  # "kube-system/metrics-server-…" once the kubelet has said which pod it is
    started: float
    storage: Storage
    nodes: Informer
    pods: Informer
    timer: Timer | None = None


class MetricsServer:
    """Every metrics-server process in the cluster, and which one the aggregator reaches."""

    def __init__(self, server: APIServer, clock: Clock, usage: UsageModel, kubelets: KubeletLookup) -> None:
        self.server = server
        self.clock = clock
        self.usage = usage
        self.kubelets = kubelets
        self.processes: dict[str, Process] = {}  # container ID → process
        #: Called before each scrape (the cluster shares workload load out over the pods).
        self.before_scrape: Callable[[], None] | None = None

    # -- the runtime tells us a container started ---------------------------------------

    def container_started(self, node: str, container_id: str, image: str) -> None:
        """Called by a node's runtime for every container it starts."""
        ref = normalize(image).partition("@")[0].rpartition(":")[0]
        if ref != IMAGE_REPOSITORY:
            return
        proc = Process(
            node=node,
            container_id=container_id,
            pod="",
            started=self.clock.now,
            storage=Storage(METRIC_RESOLUTION),
            nodes=Informer(self.server, USER, "nodes"),
            pods=Informer(self.server, USER, "pods"),
        )
        self.processes[container_id] = proc
        proc.nodes.start()
        proc.pods.start()
        proc.timer = self.clock.call_later(STARTUP_SECONDS, lambda: self._tick(proc))

    # -- the process ------------------------------------------------------------------------

    def _alive(self, proc: Process) -> bool:
        kubelet = self.kubelets(proc.node)
        if kubelet is None or not kubelet.running:
            return False
        found = running_container(kubelet.pods, proc.container_id)
        if found is not None:
            proc.pod = found[0]
        return found is not None

    def _exit(self, proc: Process) -> None:
        if proc.timer is not None:
            proc.timer.cancel()
        proc.nodes.stop()
        proc.pods.stop()
        self.processes.pop(proc.container_id, None)

    def _tick(self, proc: Process) -> None:
        if not self._alive(proc):
            self._exit(proc)
            return
        proc.timer = self.clock.call_later(METRIC_RESOLUTION, lambda: self._tick(proc))
        if self.before_scrape is not None:
            self.before_scrape()
        nodes: dict[str, Sample] = {}
        pods: dict[str, dict[str, Sample]] = {}
        for name in sorted(proc.nodes.cache):
            kubelet = self.kubelets(name)
            reading = scrape(kubelet, self.usage) if kubelet is not None else None
            if reading is None:
                continue  # the scrape failed: the node is left out of this batch
            nodes[name] = reading.node
            for pod in reading.pods:
                pods[f"{pod.namespace}/{pod.name}"] = dict(pod.containers)
        proc.storage.store(nodes, pods)

    # -- what the aggregation layer sees -----------------------------------------------------

    def serving(self) -> Process | None:
        """The process the APIService reaches: a live one whose pod is Ready in the API and
        whose storage is ready; None means the APIService is not Available."""
        for proc in sorted(self.processes.values(), key=lambda p: (p.started, p.container_id)):
            if not self._alive(proc) or not proc.storage.ready():
                continue
            ns, _, name = proc.pod.partition("/")
            pod = self.server.store.get("pods", ns, name)
            if (
                pod is None
                or dig(pod, "status", "phase") != "Running"
                or dig(pod, "metadata", "deletionTimestamp")
            ):
                continue  # a terminating pod leaves the Service's endpoints at once
            conditions = dig(pod, "status", "conditions", default=[]) or []
            if any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions):
                return proc
        return None
