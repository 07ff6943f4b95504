"""The control plane's side of the `Cluster` facade: its components as processes, their
failures, leadership and etcd's backups (`control_plane.py` has the processes themselves)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import etcd_snapshot
from .audit import User
from .control_plane import (
    COMPONENTS,
    APIServerComponent,
    Component,
    ControllerManagerComponent,
    Etcd,
    EtcdMember,
    SchedulerComponent,
    static_pod,
)
from .controllers.manager import ControllerManager
from .errors import BadRequest, NotFound
from .scheduler.scheduler import Scheduler
from .scheduler.scheduler_config import SchedulerConfiguration

if TYPE_CHECKING:
    import random

    from .apiserver import APIServer
    from .clock import Clock
    from .node.kubelet import Kubelet
    from .node.proxy import KubeProxy
    from .node.proxy_pod import ProxyPods
    from .scenarios import Scenario
    from .store import Store

Obj = dict[str, Any]


class ControlPlaneVerbs:
    """Mixed into `Cluster`: stop and start components, who leads, etcd snapshots."""

    # Provided by Cluster.
    clock: Clock
    server: APIServer
    store: Store
    rng: random.Random
    seed: int
    scenario: Scenario
    powered: dict[str, bool]
    snapshots: dict[str, etcd_snapshot.Snapshot]

    _kubelet: Callable[[str], Kubelet]
    _proxy: Callable[[str], KubeProxy]
    proxy_pods: ProxyPods | None  # kube-proxy as kubeadm's DaemonSet pods, if installed
    component_versions: dict[tuple[str, str], Any]
    scheduler_configuration: SchedulerConfiguration  # kube-scheduler's file (SchedulerConfigVerbs)
    metrics_api: Any  # the aggregated Metrics API the HPA controller reads

    # -- control plane --------------------------------------------------------------------

    def _start_control_plane(self) -> None:
        self.control_plane: list[Component] = []
        for spec in self.scenario.nodes:
            for name in sorted(spec.components, key=COMPONENTS.index):
                self.control_plane.append(self._component(name, spec.name))
        members = [c for c in self.control_plane if isinstance(c, EtcdMember)]
        self.etcd = Etcd(self.clock, members, lambda: self.store.revision)
        if self.etcd.members:
            self.server.storage_ready = self.etcd.serving
        for component in sorted(self.control_plane, key=lambda c: COMPONENTS.index(c.name)):
            component.boot()

    def _component(self, name: str, node: str) -> Component:
        changed = self._control_plane_changed
        if name == "kube-apiserver":
            return APIServerComponent(node, self.clock, changed)
        if name == "etcd":
            return EtcdMember(node, self.clock, changed)
        if name == "kube-scheduler":
            return SchedulerComponent(
                node,
                self.clock,
                changed,
                self.server,
                self.seed,
                User("system:kube-scheduler", "kube-scheduler"),
                "default-scheduler",
                make=lambda process: Scheduler(
                    self.server, process, self.rng, self.scheduler_configuration.profiles
                ),
            )
        return ControllerManagerComponent(
            node,
            self.clock,
            changed,
            self.server,
            self.seed,
            User("system:kube-controller-manager", "kube-controller-manager"),
            "kube-controller-manager",
            make=lambda process: ControllerManager(self.server, process, self.rng, self.metrics_api),
        )

    def _control_plane_changed(self) -> None:
        apiservers = [c for c in self.control_plane if c.name == "kube-apiserver"]
        if apiservers:  # clients reach any API server that runs (through a load balancer in `ha`)
            self.server.available = any(c.running for c in apiservers)
        self.etcd.member_changed()

    def _leader(self, name: str) -> Component | None:
        return next((c for c in self.control_plane if c.name == name and c.leading), None)

    @property
    def scheduler(self) -> Scheduler | None:
        """The leading kube-scheduler's scheduler, if one leads."""
        leader = self._leader("kube-scheduler")
        return leader.scheduler if isinstance(leader, SchedulerComponent) else None

    @property
    def controller_manager(self) -> ControllerManager | None:
        """The leading kube-controller-manager, if one leads."""
        leader = self._leader("kube-controller-manager")
        return leader.manager if isinstance(leader, ControllerManagerComponent) else None

    def _find_component(self, name: str, node: str | None) -> Component:
        if name in ("kubelet", "kube-proxy"):
            raise BadRequest(f"{name} runs on every node: use stop_component({name!r}, node=...)")
        if name not in COMPONENTS:
            raise BadRequest(
                f'unknown component "{name}": one of {", ".join(COMPONENTS)}, kubelet, kube-proxy'
            )
        matches = [c for c in self.control_plane if c.name == name and (node is None or c.node == node)]
        if not matches:
            where = f' on node "{node}"' if node else ""
            raise NotFound(f"no {name} runs{where}")
        if len(matches) > 1:
            nodes = ", ".join(c.node for c in matches)
            raise BadRequest(f"{name} runs on {nodes}: say which with node=")
        return matches[0]

    def stop_component(self, name: str, node: str | None = None) -> None:
        """Stop a component as an administrator would: move a control-plane component's static
        pod manifest out of `/etc/kubernetes/manifests` (the kubelet kills it and deletes its
        mirror pod), or stop a node's kubelet (`systemctl stop kubelet`: its pods keep running,
        but nothing reports on them and the node stops heartbeating) or kube-proxy (its iptables
        rules stay as they were, going stale; run by kubeadm's DaemonSet, its pod's container is
        killed and dies again each time the kubelet restarts it: see node/proxy_pod.py)."""
        if name == "kubelet":
            kubelet = self._kubelet(self._node_arg(name, node))
            if kubelet.running:
                kubelet.stop(keep_containers=True)
            return
        if name == "kube-proxy":
            node_name = self._node_arg(name, node)
            self._proxy(node_name).stop()  # its rules stay in the kernel
            if self.proxy_pods is not None:
                self.proxy_pods.stop(node_name)
            return
        component = self._find_component(name, node)
        if not component.enabled:
            return
        component.enabled = False
        component.stop()
        self._kubelet(component.node).remove_static_pod(name)

    def start_component(self, name: str, node: str | None = None) -> None:
        """Undo `stop_component`: the manifest is back, the kubelet starts the component again
        (or the kubelet itself starts and reports its node; kube-proxy's pod, from the kubelet's
        next restart of its container)."""
        if name == "kubelet":
            node_name = self._node_arg(name, node)
            kubelet = self._kubelet(node_name)
            if self.powered[node_name] and not kubelet.running:
                self._start_kubelet_process(node_name)
            return
        if name == "kube-proxy":
            node_name = self._node_arg(name, node)
            if self.proxy_pods is not None:
                self._proxy(node_name)  # the node must exist
                self.proxy_pods.start(node_name)
            elif self.powered[node_name]:
                self._proxy(node_name).start()
            return
        component = self._find_component(name, node)
        if component.enabled:
            return
        component.enabled = True
        # the manifest comes back as it left: at the version it ran (etcd has its own release)
        version = self.component_versions.get((name, component.node), self.scenario.version)
        self._kubelet(component.node).add_static_pod(static_pod(name, version))
        if self.powered[component.node]:
            component.schedule_start()

    def kube_proxy_stopped(self, node: str) -> bool:
        """Whether `stop_component("kube-proxy", node=...)` holds: kubeadm's DaemonSet pod is
        being kept down until `start_component` (its kube-proxy may not be running for other
        reasons too: its container not started yet, or waiting out a restart back-off); a node
        process is stopped while it does not run on a machine that is on."""
        proxy = self._proxy(node)
        if self.proxy_pods is not None:
            return node in self.proxy_pods.stopped
        return self.powered[node] and not proxy.running

    # -- etcd backup and restore ----------------------------------------------------------

    def etcd_snapshot(self, name: str) -> Obj:
        """`etcdctl snapshot save <name>`: the whole keyspace now; returns its status (hash,
        revision, total keys, total size). etcd must be serving."""
        from .errors import StorageUnavailable
        from .kinds import KINDS

        if not name or len(name) > 63 or not name.replace("-", "").replace(".", "").isalnum():
            raise BadRequest(f"invalid snapshot name {name[:64]!r}: letters, digits, '-' and '.' only")
        if self.etcd.members and not self.etcd.serving():
            raise StorageUnavailable("context deadline exceeded")
        snap = etcd_snapshot.save(self.store, [k.plural for k in KINDS], name, self.clock.now)
        self.snapshots[name] = snap
        return {"name": name, **snap.status()}

    def etcd_snapshots(self) -> list[Obj]:
        """The snapshots saved so far, oldest first, with their status and when they were taken."""
        return [{"name": n, "time": snap.time, **snap.status()} for n, snap in self.snapshots.items()]

    def etcd_restore(self, name: str) -> Obj:
        """`etcdutl snapshot restore <name> --bump-revision 1000000000 --mark-compacted`, done as
        the Kubernetes docs say: only while no kube-apiserver runs. When the API servers start
        again, every component finds the cluster as the snapshot had it."""
        snap = self.snapshots.get(name)
        if snap is None:
            raise NotFound(f'snapshot "{name}" not found')
        if any(c.running for c in self.control_plane if c.name == "kube-apiserver"):
            raise BadRequest(
                "stop every kube-apiserver before restoring etcd: if any API servers are running in "
                "your cluster, you should not attempt to restore instances of etcd"
            )
        for change in etcd_snapshot.restore(self.store, snap, self.clock.now):
            self.server.watches.fanout(change)
        return {"name": name, **snap.status(), "revision": self.store.revision}

    def _node_arg(self, name: str, node: str | None) -> str:
        if not node:
            raise BadRequest(f"{name} runs on every node: say which with node=")
        return node

    def components(self) -> list[Obj]:
        """The control-plane components and where they run: whether each process runs, and
        whether it leads (the elected scheduler and controller manager, the etcd leader; an
        API server that runs always serves)."""
        out = []
        shown = ("kube-apiserver", "etcd", "kube-scheduler", "kube-controller-manager")
        for c in sorted(self.control_plane, key=lambda c: shown.index(c.name)):  # stable: nodes stay in order
            entry = c.describe()
            if isinstance(c, EtcdMember):
                entry["leader"] = c is self.etcd.leader and c.running
                entry["quorum"] = self.etcd.has_quorum()
                entry["serving"] = self.etcd.serving()
                entry["term"] = self.etcd.term
                entry["index"] = self.etcd.member_index(c)
                entry["behind"] = self.etcd.log_index() - entry["index"]
            out.append(entry)
        return out
