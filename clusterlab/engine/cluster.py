"""The composition root and facade: one simulated Kubernetes cluster.

`Cluster` wires a virtual clock, the etcd-like store, the API server, kube-controller-manager
(ReplicaSet, Deployment, garbage collector, node lifecycle, taint eviction, pod GC),
kube-scheduler, and one kubelet per node, then exposes what lessons, exercises, the web
layer and tests need: apply manifests, read and change objects, move time, and cause faults.
Everything it does to the cluster goes through the API server as the learner
(`kubernetes-admin`, as kubeadm names the admin user), so it shows in the API-call stream.

Determinism: one `random.Random(seed)` and one clock drive every choice and every timer, so
the same scenario, seed and commands at the same virtual times give the same cluster.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from . import scenarios
from .apiserver import APIServer
from .audit import ApiCall, User
from .clock import Clock
from .controllers.base import ControllerContext, InformerFactory
from .controllers.deployment import DeploymentController
from .controllers.garbage_collector import GarbageCollector
from .controllers.namespace import NamespaceController
from .controllers.node_lifecycle import NodeLifecycleController
from .controllers.podgc import PodGCController
from .controllers.replicaset import ReplicaSetController
from .controllers.taint_eviction import TaintEvictionController
from .errors import AlreadyExists, ApiError, BadRequest, NotFound
from .jsonutil import copy_json, merge_patch
from .kinds import for_object, resolve
from .manifests import load_documents
from .node.kubelet import BOOT_SECONDS, Kubelet
from .node.node_status import NodeConfig
from .scheduler.framework import Diagnosis
from .scheduler.scheduler import Scheduler
from .store import Store
from .timefmt import parse_epoch

Obj = dict[str, Any]
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
LEARNER = User("kubernetes-admin", "kubectl")
CLIENT_SIDE_APPLY = "kubectl-client-side-apply"  # kubectl apply's fieldManager
APISERVER_SELF = User("system:apiserver", "kube-apiserver")
BOOTSTRAP_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")

STATIC_POD_SPECS: dict[str, tuple[str, dict[str, str]]] = {
    "etcd": ("registry.k8s.io/etcd:3.5.16-0", {"cpu": "100m", "memory": "100Mi"}),
    "kube-apiserver": ("registry.k8s.io/kube-apiserver:v1.32.0", {"cpu": "250m"}),
    "kube-controller-manager": ("registry.k8s.io/kube-controller-manager:v1.32.0", {"cpu": "200m"}),
    "kube-scheduler": ("registry.k8s.io/kube-scheduler:v1.32.0", {"cpu": "100m"}),
}


def _static_pod(component: str) -> Obj:
    image, requests = STATIC_POD_SPECS[component]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": component, "labels": {"component": component, "tier": "control-plane"}},
        "spec": {
            "containers": [{"name": component, "image": image, "resources": {"requests": requests}}],
            "hostNetwork": True,
            "priorityClassName": "system-node-critical",
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
            "tolerations": [{"effect": "NoExecute", "operator": "Exists"}],
        },
    }


class ControllerManager:
    """kube-controller-manager: the controllers, sharing one informer factory."""

    def __init__(self, server: APIServer, clock: Clock, rng: random.Random) -> None:
        self.informers = InformerFactory(
            server, User("system:kube-controller-manager", "kube-controller-manager")
        )
        ctx = ControllerContext(server, clock, rng, self.informers)
        self.controllers = [
            ReplicaSetController(ctx),
            DeploymentController(ctx),
            GarbageCollector(ctx),
            NodeLifecycleController(ctx),
            NamespaceController(ctx),
            TaintEvictionController(ctx),
            PodGCController(ctx),
        ]
        self.running = False

    def start(self) -> None:
        self.running = True
        self.informers.start()
        for c in self.controllers:
            c.start()


class Cluster:
    """A simulated Kubernetes cluster on a virtual clock. See the module docstring."""

    def __init__(self, scenario: str = "default", seed: int = 0, epoch: datetime | str | None = None) -> None:
        """`epoch`: the wall-clock instant virtual time 0 stands for in object timestamps
        (default: the scenario's). A lab passes its creation time, so ages kubectl computes on
        its own clock come out right while the lab runs at 1×."""
        self.scenario = scenarios.load(scenario)
        self.seed = seed
        self.clock = Clock()
        self.rng = random.Random(seed)
        self.store = Store()
        if epoch is None:
            epoch = self.scenario.epoch
        moment = parse_epoch(epoch) if isinstance(epoch, str) else epoch.astimezone(UTC)
        self.epoch = moment.replace(microsecond=0)  # timestamps have whole seconds
        self.server = APIServer(self.clock, self.store, self.rng, self.epoch)
        for ns in BOOTSTRAP_NAMESPACES:
            self.server.create(
                APISERVER_SELF, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
            )
        self.kubelets: dict[str, Kubelet] = {}
        self.powered: dict[str, bool] = {}
        self.server.log_source = self._node_runtime
        self.control_plane_nodes: list[str] = []
        for spec in self.scenario.nodes:
            images = list(spec.images)
            static = []
            for comp in spec.components:
                static.append(_static_pod(comp))
                images.append(STATIC_POD_SPECS[comp][0])
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
            )
            self._start_kubelet(config)
            if spec.components:
                self.control_plane_nodes.append(spec.name)
        self.controller_manager = ControllerManager(self.server, self.clock, self.rng)
        self.controller_manager.start()
        self.scheduler = Scheduler(self.server, self.clock, self.rng)
        self.scheduler.start()
        if self.scenario.objects:
            self.apply(self.scenario.objects)

    @classmethod
    def from_scenario(cls, name: str, seed: int = 0, epoch: datetime | str | None = None) -> Cluster:
        return cls(name, seed, epoch)

    def _node_runtime(self, node: str) -> Any:
        """What kube-apiserver reaches for `pods/log`: the node's kubelet, if it answers."""
        kubelet = self.kubelets.get(node)
        return kubelet.runtime if kubelet is not None and kubelet.running else None

    def _start_kubelet(self, config: NodeConfig) -> None:
        kubelet = Kubelet(self.server, self.clock, self.rng, config)
        self.kubelets[config.name] = kubelet
        self.powered[config.name] = True
        kubelet.start()

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
            live = self.server.get(LEARNER, kind.plural, meta["name"], ns)
        except NotFound:
            return self.server.create(LEARNER, manifest, field_manager=CLIENT_SIDE_APPLY)
        previous = json.loads((live["metadata"].get("annotations") or {}).get(LAST_APPLIED, "{}") or "{}")
        patch = _three_way(previous, json.loads(last_applied))
        patch.setdefault("metadata", {}).setdefault("annotations", {})[LAST_APPLIED] = last_applied + "\n"
        merged = merge_patch(live, patch)
        if merged == live:
            return live
        return self.server.update(LEARNER, merged, field_manager=CLIENT_SIDE_APPLY)

    def get(self, kind: str, name: str, namespace: str | None = "default") -> Obj:
        return self.server.get(LEARNER, kind, name, namespace)

    def list(
        self,
        kind: str,
        namespace: str | None = None,
        selector: str | None = None,
        field_selector: str | None = None,
    ) -> list[Obj]:
        """Objects of a kind (`namespace=None`: all namespaces), sorted by namespace and name."""
        items, _ = self.server.list(LEARNER, kind, namespace, selector, field_selector)
        return sorted(items, key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))

    def observe(self, kind: str, namespace: str | None = None) -> list[Obj]:
        """What an onlooker sees of a kind, straight from storage: not an API request (so not
        in the API-call stream) and not copied. For displays only: never mutate the result."""
        return list(self.store.iter(resolve(kind).plural, namespace))

    def update(self, obj: Obj) -> Obj:
        return self.server.update(LEARNER, obj)

    def delete(
        self, kind: str, name: str, namespace: str | None = "default", grace_period_seconds: int | None = None
    ) -> Obj:
        return self.server.delete(LEARNER, kind, name, namespace, grace_period_seconds=grace_period_seconds)

    def scale(self, kind: str, name: str, replicas: int, namespace: str | None = "default") -> Obj:
        """Like `kubectl scale`: set spec.replicas of a Deployment or ReplicaSet."""
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise BadRequest(f"invalid replicas {replicas!r}: must be a non-negative integer")
        k = resolve(kind)
        if k.kind not in ("Deployment", "ReplicaSet"):
            raise BadRequest(f'{k.plural} "{name}" cannot be scaled')
        return self.server.patch(LEARNER, k.plural, name, {"spec": {"replicas": replicas}}, namespace)

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
        """The scheduler's last Diagnosis for a pod (what each plugin said of each node)."""
        return self.scheduler.diagnoses.get(f"{namespace}/{name}")

    # -- nodes and faults -----------------------------------------------------------------

    def add_node(
        self,
        name: str,
        cpu: str = "2",
        memory: str = "4Gi",
        labels: dict[str, str] | None = None,
        taints: Iterable[Obj] | None = None,
        pods: int = 110,
    ) -> None:
        """A new machine joins: its kubelet starts and registers the Node."""
        if name in self.kubelets:
            raise AlreadyExists(f'nodes "{name}" already exists')
        from .validation import name_causes

        if name_causes(name):
            raise BadRequest(f'invalid node name "{name}": must be a lowercase RFC 1123 subdomain')
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
            )
        )

    def remove_node(self, name: str) -> None:
        """Take a machine away for good: power it off and delete its Node object."""
        kubelet = self._kubelet(name)
        if name in self.control_plane_nodes:
            raise BadRequest(f'node "{name}" runs the control plane and cannot be removed in this scenario')
        kubelet.stop()
        del self.kubelets[name]
        self.powered.pop(name, None)
        with contextlib.suppress(NotFound):
            self.server.delete(LEARNER, "nodes", name)

    def kill_node(self, name: str) -> None:
        """Power the machine off: its kubelet and containers stop; the API is not told."""
        kubelet = self._kubelet(name)
        if name in self.control_plane_nodes:
            raise BadRequest(
                f'node "{name}" runs the control plane; control-plane failures arrive with stop_component'
            )
        if not self.powered[name]:
            return
        self.powered[name] = False
        kubelet.stop()

    def restore_node(self, name: str) -> None:
        """Power the machine on: it boots, and its kubelet starts after about 10 s."""
        kubelet = self._kubelet(name)
        if self.powered[name]:
            return
        self.powered[name] = True

        def boot() -> None:
            if self.powered.get(name) and not kubelet.running:
                kubelet.start()

        self.clock.call_later(BOOT_SECONDS, boot)

    def node_powered(self, name: str) -> bool:
        self._kubelet(name)
        return self.powered[name]

    def _kubelet(self, name: str) -> Kubelet:
        kubelet = self.kubelets.get(name)
        if kubelet is None:
            raise NotFound(f'nodes "{name}" not found')
        return kubelet

    def components(self) -> list[Obj]:
        """The control-plane components and where they run."""
        out = []
        for node in self.control_plane_nodes:
            up = self.powered.get(node, False)
            out += [
                {"name": "kube-apiserver", "node": node, "running": up and self.server.available},
                {"name": "etcd", "node": node, "running": up},
                {"name": "kube-scheduler", "node": node, "running": up and self.scheduler.running},
                {
                    "name": "kube-controller-manager",
                    "node": node,
                    "running": up and self.controller_manager.running,
                },
            ]
        return out

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
