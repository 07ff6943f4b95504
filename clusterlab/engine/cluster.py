"""The composition root and facade: one simulated Kubernetes cluster.

`Cluster` wires a virtual clock, the etcd-like store, the API server, kube-controller-manager
(ReplicaSet, Deployment, garbage collector, node lifecycle, taint eviction, pod GC, Endpoints,
EndpointSlice), the `default/kubernetes` Service,
kube-scheduler, one kubelet and one kube-proxy per node (`proxy_rules`), and what add-ons run
inside pods (metrics-server:
`metrics_server/`, read through `cluster.metrics_api`; containers' usage in `cluster.usage`),
then exposes what lessons, exercises, the web
layer and tests need: apply manifests, read and change objects, move time, and cause faults.
Everything it does to the cluster goes through the API server as the learner
(`kubernetes-admin`, as kubeadm names the admin user), so it shows in the API-call stream.

Determinism: one `random.Random(seed)` and one clock drive every choice and every timer, so
the same scenario, seed and commands at the same virtual times give the same cluster.
(Usage noise draws from a second stream derived from the seed, so scrapes never shift it.)
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from . import etcd_snapshot, scenarios
from .apiserver import APIServer
from .audit import ApiCall, User
from .clock import Clock
from .cluster_control_plane import ControlPlaneVerbs
from .cluster_network_policy import NetworkPolicyVerbs
from .cluster_scheduler_config import SchedulerConfigVerbs
from .cluster_traffic import TrafficVerbs
from .cluster_upgrade import UpgradeVerbs
from .control_plane import (
    static_pod,
)
from .decisions import Decision
from .errors import AlreadyExists, ApiError, BadRequest, NotFound
from .ingress_nginx import IngressNginx, NginxProxy
from .jsonutil import copy_json, merge_patch
from .kinds import for_object, resolve
from .kubernetes_service import create_kubernetes_service
from .local_path_provisioner import LocalPathProvisioner
from .manifests import load_documents
from .metrics_server import MetricsAPI, MetricsServer
from .network.coredns import CoreDns, installs_coredns
from .network.ingress_load import IngressLoad
from .node.kubelet import BOOT_SECONDS, Kubelet
from .node.node_status import NodeConfig
from .node.proxy import KubeProxy
from .node.proxy_pod import ProxyPods, installs_kube_proxy
from .node.proxy_pod import image as kube_proxy_image
from .node.usage import UsageModel
from .priority_classes import system_priority_classes
from .rbac_policy import bootstrap_objects
from .scheduler.framework import Diagnosis
from .store import Store
from .timefmt import parse_epoch
from .workload_load import WorkloadLoads

Obj = dict[str, Any]
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
LEARNER = User("kubernetes-admin", "kubectl")
CLIENT_SIDE_APPLY = "kubectl-client-side-apply"  # kubectl apply's fieldManager
APISERVER_SELF = User("system:apiserver", "kube-apiserver")
SA_CONTROLLER = User(
    "system:serviceaccount:kube-system:service-account-controller",
    "kube-controller-manager/service-account-controller",
)
BOOTSTRAP_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")


class Cluster(UpgradeVerbs, ControlPlaneVerbs, SchedulerConfigVerbs, TrafficVerbs, NetworkPolicyVerbs):
    """A simulated Kubernetes cluster on a virtual clock. See the module docstring."""

    def __init__(
        self,
        scenario: str | scenarios.Scenario = "default",
        seed: int = 0,
        epoch: datetime | str | None = None,
    ) -> None:
        """`scenario`: a scenario's name, or one loaded (`scenarios.load(name, without=...)`).
        `epoch`: the wall-clock instant virtual time 0 stands for in object timestamps
        (default: the scenario's). A lab passes its creation time, so ages kubectl computes on
        its own clock come out right while the lab runs at 1×."""
        self.scenario = scenario if isinstance(scenario, scenarios.Scenario) else scenarios.load(scenario)
        self.seed = seed
        self.clock = Clock()
        self.rng = random.Random(seed)
        self.store = Store()
        if epoch is None:
            epoch = self.scenario.epoch
        moment = parse_epoch(epoch) if isinstance(epoch, str) else epoch.astimezone(UTC)
        self.epoch = moment.replace(microsecond=0)  # timestamps have whole seconds
        self.server = APIServer(self.clock, self.store, self.rng, self.epoch)
        self.learner = LEARNER  # whom the facade's requests come from (`act_as`)
        for ns in BOOTSTRAP_NAMESPACES:
            self.server.create(
                APISERVER_SELF, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
            )
        # kube-apiserver's scheduling bootstrap hook; their uids come from a stream of their
        # own, so the system classes shift no name the cluster generates later.
        self.server.rng = random.Random(f"priorityclasses:{seed}")
        for pc in system_priority_classes():
            self.server.create(APISERVER_SELF, pc)
        self.server.rng = self.rng
        # kube-apiserver's rbac/bootstrap-roles and kubeadm's bindings; and the `default`
        # accounts the ServiceAccount controller made while kubeadm brought the cluster up,
        # before the learner's time 0 (it makes later namespaces' itself). Like the priority
        # classes, their uids come from a stream of their own.
        self.server.rng = random.Random(f"rbac:{seed}")
        for policy in bootstrap_objects():
            self.server.create(APISERVER_SELF, policy)
        for ns in BOOTSTRAP_NAMESPACES:
            account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}}
            self.server.create(SA_CONTROLLER, account, ns)
        self.server.rng = self.rng
        self.kubelets: dict[str, Kubelet] = {}
        self.proxies: dict[str, KubeProxy] = {}  # kube-proxy, one per node
        # kubeadm's kube-proxy DaemonSet, when the scenario installs it: each node's kube-proxy
        # is its pod's container (node/proxy_pod.py); otherwise a process started with the node
        self.proxy_pods = (
            ProxyPods(self.proxies, self.kubelets.get, self.clock)
            if installs_kube_proxy(self.scenario.objects)
            else None
        )
        self.snapshots: dict[str, etcd_snapshot.Snapshot] = {}
        self.powered: dict[str, bool] = {}
        # Usage noise draws from its own stream of the seed, so scrapes never shift other choices.
        self.usage = UsageModel(random.Random(f"usage:{seed}"))
        self.metrics_server = MetricsServer(self.server, self.clock, self.usage, self.kubelets.get)
        self.metrics_api = MetricsAPI(self.metrics_server)
        # ingress-nginx's controller processes (an add-on); its elections draw from their own stream
        self.ingress_nginx = IngressNginx(
            self.server, self.clock, random.Random(f"ingress-nginx:{seed}"), self.kubelets.get
        )
        # the default StorageClass's provisioner processes (an add-on); uuids from their own stream
        self.local_path = LocalPathProvisioner(
            self.server, self.clock, random.Random(f"local-path:{seed}"), self.kubelets.get
        )
        # Load on workloads (a lesson's load step, later traffic): shared out before each scrape.
        self.workload_loads = WorkloadLoads()
        self.metrics_server.before_scrape = lambda: self.workload_loads.spread(
            self.store.iter("pods"), self.usage, self.traffic_stats.load_factors()
        )
        self.server.log_source = self._node_runtime
        self.control_plane_nodes: list[str] = []
        self._init_traffic()  # the pod network and live traffic (cluster_traffic.py)
        nginx = NginxProxy(self.ingress_nginx)
        self.network.ingress_hook = nginx  # nginx in ingress controller pods
        self.network.ingress_load = IngressLoad(self.ingress_nginx.ingresses_seen, nginx.balance)
        for spec in self.scenario.nodes:
            images = list(spec.images)
            if self.proxy_pods is not None:  # pulled by kubeadm before init and join
                images.append(kube_proxy_image(self.scenario.version))
            static = []
            for comp in spec.components:
                static.append(static_pod(comp, self.scenario.version))
                images.append(static[-1]["spec"]["containers"][0]["image"])
            config = NodeConfig(
                name=spec.name,
                index=len(self.kubelets),
                cpu=spec.cpu,
                memory=spec.memory,
                pods=spec.pods,
                role=spec.role,
                labels=dict(spec.labels),
                taints=copy_json(spec.taints),
                static_pods=static,
                images=images,
                kubelet_version=self.scenario.version,
            )
            self._start_kubelet(config)
            if spec.components:
                self.control_plane_nodes.append(spec.name)
        apiserver_ip = (
            self.kubelets[self.control_plane_nodes[0]].config.internal_ip
            if self.control_plane_nodes
            else None
        )
        create_kubernetes_service(self.server, APISERVER_SELF, apiserver_ip)
        if self.proxy_pods is None:  # else each node's kube-proxy pod starts it
            for proxy in self.proxies.values():  # after `kubeadm init`'s objects exist
                proxy.start()
        self._init_scheduler_config()  # before kube-scheduler starts and reads it
        self._start_control_plane()
        self._init_versions(self.scenario.version)
        if self.scenario.objects:
            self.apply(self.scenario.objects)
        # CoreDNS's watches (its pods' `kubernetes` plugin), when the scenario installs it
        self.dns = CoreDns(self.server, self.store, self.proxies, lambda node: self.powered.get(node, False))
        if installs_coredns(self.scenario.objects):
            self.dns.start()
        self.server.dns = self.dns
        self.network.dns = self.dns  # what wget and curl resolve names through
        self.dns.network = self.network  # queries from pods meet the NetworkPolicies
        for step in self.scenario.steps:  # a troubleshooting scenario's later `kubectl apply`
            self.clock.call_at(step.at, lambda objects=step.objects: self._scenario_step(objects))

    def _scenario_step(self, objects: list[Obj]) -> None:
        """Apply a scenario step's objects; a refusal (the learner deleted their namespace,
        say) fails that step alone, as it would fail a colleague's `kubectl apply`."""
        with contextlib.suppress(ApiError):
            self.apply(objects)

    def act_as(self, name: str = LEARNER.name, groups: Iterable[str] = ()) -> None:
        """Make the learner a narrower user from now on: the facade's requests, the console's
        kubectl and a real kubectl pointed at the lab all come from `name` (with `groups`, plus
        `system:authenticated`) and RBAC decides what they may do. A lesson grants rights with
        Roles and bindings it applies *before* narrowing. `act_as()` restores the admin
        (`kubernetes-admin` in `kubeadm:cluster-admins`)."""
        self.learner = User(name, LEARNER.component, tuple(groups))

    @classmethod
    def from_scenario(
        cls, name: str | scenarios.Scenario, seed: int = 0, epoch: datetime | str | None = None
    ) -> Cluster:
        return cls(name, seed, epoch)

    def _node_runtime(self, node: str) -> Any:
        """What kube-apiserver reaches for `pods/log`: the node's kubelet, if it answers."""
        kubelet = self.kubelets.get(node)
        return kubelet.runtime if kubelet is not None and kubelet.running else None

    def _container_started(self, node: str, cid: str, image: str) -> None:
        """A container started: the add-ons whose process runs in it start too."""
        self.metrics_server.container_started(node, cid, image)
        self.ingress_nginx.container_started(node, cid, image)
        self.local_path.container_started(node, cid, image)
        if self.proxy_pods is not None:
            self.proxy_pods.container_started(node, cid, image)

    def _container_exited(self, node: str, cid: str) -> None:
        """A container's process ended: kube-proxy, if it ran in it, stops."""
        if self.proxy_pods is not None:
            self.proxy_pods.container_exited(node, cid)

    def _start_kubelet(self, config: NodeConfig) -> None:
        kubelet = Kubelet(self.server, self.clock, self.rng, config)
        kubelet.eviction.usage = self.usage  # its eviction manager reads the same working sets
        kubelet.runtime.on_start = lambda cid, image: self._container_started(config.name, cid, image)
        kubelet.runtime.on_exit = lambda cid: self._container_exited(config.name, cid)
        self.kubelets[config.name] = kubelet
        self.powered[config.name] = True
        kubelet.start()
        self.proxies[config.name] = KubeProxy(self.server, self.clock, config.name)

    # -- time -----------------------------------------------------------------------------

    @property
    def now(self) -> float:
        """Virtual seconds since the scenario started."""
        return self.clock.now

    def advance(self, seconds: float) -> None:
        """Run the cluster forward by `seconds` of virtual time."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        self.clock.run_until(self.clock.now + seconds)

    def next_event_time(self) -> float | None:
        return self.clock.next_time()

    # -- objects --------------------------------------------------------------------------

    def apply(self, manifest: str | Obj | list[Obj], namespace: str | None = None) -> list[Obj]:
        """Like `kubectl apply -f`: create what is missing, update what exists (three-way, via
        the last-applied-configuration annotation). Every document is attempted; if any fail,
        the first error is raised after the rest were applied (with `.applied` on it)."""
        applied: list[Obj] = []
        errors: list[ApiError] = []
        for doc in load_documents(manifest):
            try:
                applied.append(self._apply_one(doc, namespace))
            except ApiError as exc:
                errors.append(exc)
        if errors:
            errors[0].applied = applied  # type: ignore[attr-defined]
            raise errors[0]
        return applied

    def _apply_one(self, doc: Obj, namespace: str | None) -> Obj:
        import json

        from .conversion import storage_form

        doc = storage_form(doc)  # a manifest in another served version (autoscaling/v1)
        kind = for_object(doc)
        manifest = copy_json(doc)
        meta = manifest.setdefault("metadata", {})
        if not isinstance(meta, dict) or not meta.get("name"):
            raise BadRequest("resource name may not be empty")
        if kind.namespaced:
            meta["namespace"] = meta.get("namespace") or namespace or "default"
        annotations = meta.setdefault("annotations", {})
        annotations.pop(LAST_APPLIED, None)
        last_applied = json.dumps(manifest, sort_keys=True, separators=(",", ":"))
        annotations[LAST_APPLIED] = last_applied + "\n"
        ns = meta.get("namespace")
        try:
            live = self.server.get(self.learner, kind.plural, meta["name"], ns)
        except NotFound:
            return self.server.create(self.learner, manifest, field_manager=CLIENT_SIDE_APPLY)
        previous = json.loads((live["metadata"].get("annotations") or {}).get(LAST_APPLIED, "{}") or "{}")
        patch = _three_way(previous, json.loads(last_applied))
        patch.setdefault("metadata", {}).setdefault("annotations", {})[LAST_APPLIED] = last_applied + "\n"
        merged = merge_patch(live, patch)
        if merged == live:
            return live
        return self.server.update(self.learner, merged, field_manager=CLIENT_SIDE_APPLY)

    def get(self, kind: str, name: str, namespace: str | None = "default") -> Obj:
        return self.server.get(self.learner, kind, name, namespace)

    def list(
        self,
        kind: str,
        namespace: str | None = None,
        selector: str | None = None,
        field_selector: str | None = None,
    ) -> list[Obj]:
        """Objects of a kind (`namespace=None`: all namespaces), sorted by namespace and name."""
        items, _ = self.server.list(self.learner, kind, namespace, selector, field_selector)
        return sorted(items, key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))

    def observe(self, kind: str, namespace: str | None = None) -> list[Obj]:
        """What an onlooker sees of a kind, straight from storage: not an API request (so not
        in the API-call stream) and not copied. For displays only: never mutate the result."""
        return list(self.store.iter(resolve(kind).plural, namespace))

    def update(self, obj: Obj) -> Obj:
        return self.server.update(self.learner, obj)

    def delete(
        self, kind: str, name: str, namespace: str | None = "default", grace_period_seconds: int | None = None
    ) -> Obj:
        return self.server.delete(
            self.learner, kind, name, namespace, grace_period_seconds=grace_period_seconds
        )

    def scale(self, kind: str, name: str, replicas: int, namespace: str | None = "default") -> Obj:
        """Like `kubectl scale`: set spec.replicas of a Deployment, ReplicaSet or StatefulSet."""
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise BadRequest(f"invalid replicas {replicas!r}: must be a non-negative integer")
        k = resolve(kind)
        if k.kind not in ("Deployment", "ReplicaSet", "StatefulSet"):
            raise BadRequest(f'{k.plural} "{name}" cannot be scaled')
        return self.server.patch(self.learner, k.plural, name, {"spec": {"replicas": replicas}}, namespace)

    def set_load(self, selector: str, namespace: str = "default", load: float = 1.0) -> None:
        """Put load on the pods `selector` picks, as a load generator hitting their Service
        would: `load` units of their image's busy profile, shared by the Ready ones (0 stops
        it). See `workload_load.py`."""
        try:
            self.workload_loads.set(selector, namespace, float(load))
        except ValueError as exc:
            raise BadRequest(str(exc)) from exc

    def events(self) -> list[Obj]:
        """All Events, oldest first."""
        items, _ = self.server.list(LEARNER, "events")
        return sorted(
            items, key=lambda e: (e.get("lastTimestamp") or "", int(e["metadata"]["resourceVersion"]))
        )

    def api_calls(self, since: int = 0) -> list[ApiCall]:
        """Recorded API requests with sequence number greater than `since` (the audit log keeps
        the most recent 20,000)."""
        return self.server.audit.since(since)

    @property
    def revision(self) -> int:
        return self.store.revision

    def scheduling_diagnosis(self, name: str, namespace: str = "default") -> Diagnosis | None:
        """The leading scheduler's last Diagnosis for a pod (what each plugin said of each node);
        None while no scheduler leads (a restarted scheduler remembers nothing)."""
        scheduler = self.scheduler
        return scheduler.diagnoses.get(f"{namespace}/{name}") if scheduler is not None else None

    def decisions(self, kind: str, name: str, namespace: str = "default") -> list[Decision]:
        """Why the leading kube-controller-manager's controllers acted on an object, oldest
        first (kubectl's names for the kind are accepted); empty while none leads — a restarted
        controller-manager remembers nothing."""
        manager = self.controller_manager
        if manager is None:
            return []
        k = resolve(kind)
        return manager.ctx.decisions.for_object(k.kind, name, namespace if k.namespaced else "")

    # -- nodes and faults -----------------------------------------------------------------

    def add_node(
        self,
        name: str,
        cpu: str = "2",
        memory: str = "4Gi",
        labels: dict[str, str] | None = None,
        taints: Iterable[Obj] | None = None,
        pods: int = 110,
        version: str | None = None,
    ) -> None:
        """A new machine joins (`kubeadm join`): its kubelet (of `version`, default the
        cluster's; never newer than the control plane) starts and registers the Node, NotReady
        until its CNI plugin is set up a few seconds later."""
        if name in self.kubelets:
            raise AlreadyExists(f'nodes "{name}" already exists')
        from .validation import name_causes

        if name_causes(name):
            raise BadRequest(f'invalid node name "{name}": must be a lowercase RFC 1123 subdomain')
        kubelet_version = self._check_joining_kubelet(version or self.version)
        index = max((k.config.index for k in self.kubelets.values()), default=-1) + 1
        self._start_kubelet(
            NodeConfig(
                name=name,
                index=index,
                cpu=cpu,
                memory=memory,
                pods=pods,
                labels=dict(labels or {}),
                taints=[dict(t) for t in taints or ()],
                kubelet_version=str(kubelet_version),
                network_ready=False,
                images=[kube_proxy_image(self.version)] if self.proxy_pods is not None else [],
            )
        )
        if self.proxy_pods is None:  # else the DaemonSet's pod for the node starts it
            self.proxies[name].start()

    def remove_node(self, name: str) -> None:
        """Take a machine away for good: power it off and delete its Node object."""
        kubelet = self._kubelet(name)
        if name in self.control_plane_nodes:
            raise BadRequest(f'node "{name}" runs the control plane and cannot be removed in this scenario')
        kubelet.stop()
        del self.kubelets[name]
        self.proxies.pop(name).flush()
        if self.proxy_pods is not None:
            self.proxy_pods.node_gone(name)
        self.powered.pop(name, None)
        with contextlib.suppress(NotFound):
            self.server.delete(LEARNER, "nodes", name)

    def kill_node(self, name: str) -> None:
        """Power the machine off: its kubelet, containers and control-plane components stop;
        the API is not told."""
        kubelet = self._kubelet(name)
        if not self.powered[name]:
            return
        self.powered[name] = False
        kubelet.stop()
        self.proxies[name].flush()
        if self.proxy_pods is not None:
            self.proxy_pods.node_gone(name)
        for component in self.control_plane:
            if component.node == name:
                component.stop()

    def restore_node(self, name: str) -> None:
        """Power the machine on: it boots, and its kubelet starts after about 10 s."""
        kubelet = self._kubelet(name)
        if self.powered[name]:
            return
        self.powered[name] = True

        def boot() -> None:
            if self.powered.get(name) and not kubelet.running:
                self._start_kubelet_process(name)
            if self.powered.get(name) and self.proxy_pods is None:  # else its pod's container
                self.proxies[name].start()
            for component in self.control_plane:
                if component.node == name and component.enabled:
                    component.schedule_start()

        self.clock.call_later(BOOT_SECONDS, boot)

    def api_available(self) -> bool:
        """Whether any kube-apiserver runs (clients can connect at all)."""
        return self.server.available

    def kubelet_running(self, name: str) -> bool:
        """Whether the node's kubelet process runs (not when powered off or stopped)."""
        return self._kubelet(name).running

    def node_powered(self, name: str) -> bool:
        self._kubelet(name)
        return self.powered[name]

    def kube_proxy_running(self, name: str) -> bool:
        """Whether the node's kube-proxy process runs (not when powered off or stopped)."""
        return self._proxy(name).running

    def proxy_rules(self, node: str, table: str | None = "nat") -> str:
        """`iptables-save -t <table>` on the node (`table=None`: every table): the rules its
        kube-proxy last wrote, stale if it has stopped since."""
        proxy = self._proxy(node)
        if not self.powered[node]:
            raise BadRequest(f'node "{node}" is powered off')
        if table is not None and table not in ("filter", "mangle", "nat"):
            raise BadRequest(f"iptables-save: table '{table}' does not exist")
        return proxy.rules(table, self.epoch)

    def _proxy(self, name: str) -> KubeProxy:
        self._kubelet(name)
        return self.proxies[name]

    def _kubelet(self, name: str) -> Kubelet:
        kubelet = self.kubelets.get(name)
        if kubelet is None:
            raise NotFound(f'nodes "{name}" not found')
        return kubelet

    def state(self) -> dict[str, list[Obj]]:
        """Every stored object by resource (copies): what determinism tests compare."""
        from .kinds import KINDS

        return {k.plural: [copy_json(o) for o in self.store.iter(k.plural)] for k in KINDS}


def _three_way(last: Any, new: Any) -> Any:
    """A JSON merge patch taking `last` (what was applied before) to `new` (what is applied now):
    fields the user dropped are deleted, fields others set on the live object are kept."""
    if not isinstance(last, dict) or not isinstance(new, dict):
        return new
    patch: Obj = {}
    for key in last:
        if key not in new:
            patch[key] = None
    for key, value in new.items():
        if key in last and isinstance(value, dict) and isinstance(last[key], dict):
            sub = _three_way(last[key], value)
            if sub != {}:
                patch[key] = sub
        else:
            patch[key] = value
    return patch
