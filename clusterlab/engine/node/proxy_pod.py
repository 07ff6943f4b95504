"""kube-proxy as kubeadm runs it: the container of each node's `kube-system/kube-proxy` pod.

`kubeadm init` installs kube-proxy as an add-on (the scenario add-on `kube-proxy`: a DaemonSet
with its ConfigMap, ServiceAccount and RBAC); the DaemonSet controller makes one pod per Linux
node, tolerating every taint, and each node's kubelet runs it on the host network from the
image `registry.k8s.io/kube-proxy:<version>`, which kubeadm pulled onto every node before init
or join (so its `Pulled` event says the image is already present). The node's kube-proxy
*process* is that container's process:

- when the kubelet starts the container, kube-proxy starts (`KubeProxy.start`: its informers
  list and watch, then a full sync), as its pod's service account
  `system:serviceaccount:kube-system:kube-proxy` (its kubeconfig's `tokenFile` is the pod's
  token; kubeadm's `kubeadm:node-proxier` binding gives it `system:node-proxier`);
- when the container's process ends (the pod is deleted, evicted, or the container killed),
  kube-proxy stops: the rules it last wrote stay in the kernel, stale, until the DaemonSet's
  replacement pod starts and its first sync rewrites them (iptables state outlives the process);
- a node that loses power loses its tables with the kernel (`KubeProxy.flush`, as before).

The lab's stop control (`stop_component("kube-proxy", node=...)`) kills the node's kube-proxy
process as an administrator's `kill` would (SIGTERM; a Go program dies of it with status 2) and
keeps killing it each time the kubelet restarts the container, so the pod shows what a
kube-proxy that cannot stay up shows: the container terminated with `Error`, restarts, then
`CrashLoopBackOff`, the pod not Ready, the node's rules stale. Starting it again lets the
kubelet's next restart (after its back-off) run: that process lists everything and resyncs.

A cluster whose scenario does not install the add-on keeps kube-proxy as a node process started
with the node, as on clusters that run it as a system service.

Simplified: the container's process is told nothing of the ConfigMap: kube-proxy always runs
in iptables mode with the defaults `proxy.py` describes, whatever `config.conf` says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ..audit import User
from .images import GO_SIGTERM_EXIT
from .proxy import KubeProxy
from .runtime import normalize

if TYPE_CHECKING:
    from ..clock import Clock
    from .kubelet import Kubelet

Obj = dict[str, Any]
IMAGE_REPOSITORY = "registry.k8s.io/kube-proxy"
#: Whom a kube-proxy in kubeadm's DaemonSet pod authenticates as: the pod's service account.
POD_USER = User("system:serviceaccount:kube-system:kube-proxy", "kube-proxy")


def installs_kube_proxy(objects: Iterable[Obj]) -> bool:
    """Whether a scenario's objects include kubeadm's kube-proxy DaemonSet."""
    return any(
        o.get("kind") == "DaemonSet"
        and o.get("metadata", {}).get("name") == "kube-proxy"
        and o.get("metadata", {}).get("namespace") == "kube-system"
        for o in objects
    )


def image(version: str) -> str:
    """The image kubeadm runs kube-proxy from for a Kubernetes version."""
    return f"{IMAGE_REPOSITORY}:{version}"


def is_kube_proxy(image_ref: str) -> bool:
    return normalize(image_ref).partition("@")[0].rpartition(":")[0] == IMAGE_REPOSITORY


class ProxyPods:
    """Which container is each node's kube-proxy, and the process's life tied to it."""

    def __init__(
        self, proxies: dict[str, KubeProxy], kubelets: Callable[[str], Kubelet | None], clock: Clock
    ) -> None:
        self.proxies = proxies
        self.kubelets = kubelets
        self.clock = clock
        self.containers: dict[str, str] = {}  # node → the container its kube-proxy runs in
        self.stopped: set[str] = set()  # nodes whose kube-proxy the learner stopped

    def stop(self, node: str) -> None:
        """Kill the node's kube-proxy, and every process the kubelet restarts, until `start`."""
        self.stopped.add(node)
        self._kill(node)

    def start(self, node: str) -> None:
        """Let the node's kube-proxy run again: from the kubelet's next restart of its container."""
        self.stopped.discard(node)

    def _kill(self, node: str) -> None:
        cid = self.containers.get(node)
        kubelet = self.kubelets(node)
        if cid is None or kubelet is None:
            return
        for state in kubelet.pods.values():
            for cs in state.containers:
                if cs.container_id == cid and cs.process is not None:
                    cs.process.exit(GO_SIGTERM_EXIT)
                    return

    def container_started(self, node: str, container_id: str, image_ref: str) -> None:
        if not is_kube_proxy(image_ref):
            return
        proxy = self.proxies.get(node)
        if proxy is None:
            return
        previous = self.containers.get(node)
        if previous is not None and previous != container_id:
            proxy.stop()  # one kube-proxy per node: the newer container's process takes over
        self.containers[node] = container_id
        if node in self.stopped:  # killed as soon as it runs (its Process exists after this call)
            self.clock.call_later(0.0, lambda: self._kill(node))
            return
        proxy.user = POD_USER
        proxy.start()

    def container_exited(self, node: str, container_id: str) -> None:
        if self.containers.get(node) != container_id:
            return
        del self.containers[node]
        proxy = self.proxies.get(node)
        if proxy is not None:
            proxy.stop()  # its rules stay in the kernel

    def node_gone(self, node: str) -> None:
        """The machine lost power or left: no container runs on it any more."""
        self.containers.pop(node, None)
