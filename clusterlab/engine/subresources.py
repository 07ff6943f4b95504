"""The API server's subresources: `pods/binding`, `namespaces/finalize`, `*/scale`, `pods/log`,
`pods/eviction`.

In kube-apiserver these are separate REST endpoints next to each resource
(`/api/v1/namespaces/{ns}/pods/{name}/log`), each with its own storage:
- `pods/binding` (POST) is how the scheduler places a pod; it fails if the pod is being deleted
  or already has a node.
- `namespaces/finalize` (PUT) lets the namespace controller clear `spec.finalizers`.
- `deployments/scale`, `replicasets/scale` (GET/PUT/PATCH) expose `spec.replicas` as an
  `autoscaling/v1` `Scale` — what `kubectl scale` and the HorizontalPodAutoscaler use.
- `pods/log` (GET) is proxied to the kubelet of the pod's node, which reads the container's
  log file; the kubelet's checks (container waiting, no previous instance) come back as 400s.
- `pods/eviction` (POST a `policy/v1` `Eviction`) is a graceful delete that PodDisruptionBudgets
  may refuse — what `kubectl drain` uses.

Simplified: no PodDisruptionBudgets yet, so an eviction always succeeds. Reading and following
a log is `pod_logs.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .disruption_budgets import check_eviction, record_eviction
from .dry_run import check_dry_run
from .errors import BadRequest, Conflict, NotFound, conflict, invalid
from .jsonutil import copy_json
from .kinds import Kind, resolve
from .patching import apply_patch
from .pod_logs import LogOptions, LogReader, unreachable
from .selectors import format_selector

if TYPE_CHECKING:
    from datetime import datetime

    from .audit import User
    from .clock import Clock
    from .store import Store

Obj = dict[str, Any]
LogSource = Callable[[str], Any]  # node name → its kubelet's runtime, or None when unreachable


class SubresourceVerbs:
    """Mixed into `APIServer`: the subresource endpoints, through the same audited pipeline."""

    # Provided by APIServer.
    log_source: LogSource | None
    clock: Clock
    epoch: datetime
    store: Store
    _manager: Callable[[User, str | None], str]
    _delete: Callable[..., Obj]
    _audited: Callable[..., Any]
    _must_get: Callable[[Kind, str | None, str], Obj]
    _namespace_for: Callable[..., str | None]
    _update: Callable[..., Obj]
    _put: Callable[[str, Obj], Obj]
    _remove: Callable[[str, str | None, str], Obj]
    timestamp: Callable[[], str]
    dry: Callable[[bool, Callable[[], Any]], Callable[[], Any]]

    # -- pods/binding, namespaces/finalize -----------------------------------------------------

    def bind(self, user: User, namespace: str, pod_name: str, node_name: str) -> Obj:
        """POST pods/<name>/binding: what the scheduler does to place a pod."""

        def run() -> Obj:
            pod = self._must_get(resolve("pods"), namespace, pod_name)
            if pod["metadata"].get("deletionTimestamp"):
                raise Conflict(
                    f'Operation cannot be fulfilled on pods/binding "{pod_name}": pod {pod_name} is '
                    "being deleted, cannot be assigned to a host"
                )
            assigned = pod["spec"].get("nodeName")
            if assigned:
                raise Conflict(
                    f'Operation cannot be fulfilled on pods/binding "{pod_name}": pod {pod_name} is '
                    f'already assigned to node "{assigned}"'
                )
            status = pod["status"]
            conditions = [c for c in status.get("conditions", []) if c["type"] != "PodScheduled"]
            conditions.append(
                {
                    "type": "PodScheduled",
                    "status": "True",
                    "lastProbeTime": None,
                    "lastTransitionTime": self.timestamp(),
                }
            )
            # Stored objects are never mutated, so the new version copies only what changes
            # (metadata gets the new resourceVersion) and shares the rest with the old one.
            new = {
                **pod,
                "metadata": dict(pod["metadata"]),
                "spec": {**pod["spec"], "nodeName": node_name},
                "status": {**status, "conditions": conditions},
            }
            self._put("pods", new)
            return {
                "kind": "Binding",
                "apiVersion": "v1",
                "metadata": {"name": pod_name, "namespace": namespace},
                "target": {"kind": "Node", "apiVersion": "v1", "name": node_name},
            }

        return self._audited(user, "create", "pods/binding", namespace, pod_name, run, 201)

    def finalize_namespace(self, user: User, name: str, finalizers: list[str]) -> Obj:
        """PUT namespaces/<name>/finalize: a Terminating namespace with no finalizers left goes."""

        def run() -> Obj:
            new = copy_json(self._must_get(resolve("namespaces"), None, name))
            new.setdefault("spec", {})["finalizers"] = finalizers
            meta = new["metadata"]
            if meta.get("deletionTimestamp") and not finalizers and not meta.get("finalizers"):
                return copy_json(self._remove("namespaces", None, name))
            return copy_json(self._put("namespaces", new))

        return self._audited(user, "update", "namespaces/finalize", None, name, run)

    # -- scale ------------------------------------------------------------------------------------

    def _scalable(self, resource: str) -> Kind:
        kind = resolve(resource)
        if kind.kind not in ("Deployment", "ReplicaSet", "StatefulSet"):
            raise NotFound("the server could not find the requested resource")
        return kind

    def get_scale(self, user: User, resource: str, name: str, namespace: str | None = None) -> Obj:
        """GET <resource>/<name>/scale: the `autoscaling/v1` Scale of a Deployment or ReplicaSet."""
        kind = self._scalable(resource)
        ns = self._namespace_for(kind, namespace)
        return self._audited(
            user, "get", f"{kind.plural}/scale", ns, name, lambda: to_scale(self._must_get(kind, ns, name))
        )

    def update_scale(
        self,
        user: User,
        resource: str,
        name: str,
        scale: Obj,
        namespace: str | None = None,
        *,
        field_manager: str | None = None,
        dry_run: bool = False,
    ) -> Obj:
        """PUT <resource>/<name>/scale: set `spec.replicas` (a stale resourceVersion is a Conflict)."""
        kind = self._scalable(resource)
        ns = self._namespace_for(kind, namespace)

        def run() -> Obj:
            return self._write_scale(user, kind, ns, name, scale, field_manager)

        return self._audited(user, "update", f"{kind.plural}/scale", ns, name, self.dry(dry_run, run))

    def _patch_scale(
        self,
        user: User,
        kind: Kind,
        ns: str | None,
        name: str,
        patch: Any,
        patch_type: str,
        manager: str | None,
    ) -> Obj:
        self._scalable(kind.plural)
        current = to_scale(self._must_get(kind, ns, name))
        # Server-side apply of a Scale is merged like a merge patch here (no ownership of Scale fields).
        patched = apply_patch("merge" if patch_type == "apply" else patch_type, current, patch)
        patched.setdefault("metadata", {}).setdefault(
            "resourceVersion", current["metadata"]["resourceVersion"]
        )
        return self._write_scale(user, kind, ns, name, patched, manager)

    def _write_scale(
        self, user: User, kind: Kind, ns: str | None, name: str, scale: Obj, manager: str | None
    ) -> Obj:
        current = self._must_get(kind, ns, name)
        replicas = (scale.get("spec") or {}).get("replicas")
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise invalid(
                "Scale",
                "autoscaling",
                name,
                [("spec.replicas", f"Invalid value: {replicas}: must be greater than or equal to 0")],
            )
        rv = (scale.get("metadata") or {}).get("resourceVersion")
        if rv and rv != current["metadata"]["resourceVersion"]:
            raise conflict(kind.plural, kind.group, name)
        new = copy_json(current)
        new["spec"]["replicas"] = replicas
        stored = self._update(
            kind, ns, name, new, None, owned=True, manager=self._manager(user, manager), managed_sub="scale"
        )
        return to_scale(stored)

    # -- pods/log -----------------------------------------------------------------------------------

    def pod_log(
        self,
        user: User,
        name: str,
        namespace: str,
        container: str | None = None,
        *,
        tail_lines: int | None = None,
        since_seconds: float | None = None,
        timestamps: bool = False,
        previous: bool = False,
        since_time: str | None = None,
        limit_bytes: int | None = None,
    ) -> str:
        """GET pods/<name>/log: the container's output, as the kubelet serves it."""
        options = LogOptions(
            container, tail_lines, since_seconds, since_time, timestamps, previous, limit_bytes
        )
        return self.open_pod_log(user, name, namespace, options).read()

    def open_pod_log(self, user: User, name: str, namespace: str, options: LogOptions) -> LogReader:
        """GET pods/<name>/log (also with `follow=true`): the container instance's log, to read
        now and, for a follower, again as the container writes more (`pod_logs.py`)."""

        def run() -> LogReader:
            options.validate(name)
            return self._log_reader(name, namespace, options)

        return self._audited(user, "get", "pods/log", namespace, name, run)

    def _log_reader(self, name: str, namespace: str, options: LogOptions) -> LogReader:
        pod = self._must_get(resolve("pods"), namespace, name)
        spec = pod["spec"]
        names = [c["name"] for c in spec.get("containers") or ()]
        init_names = [c["name"] for c in spec.get("initContainers") or ()]
        container = options.container
        if container is None:
            if len(names) != 1:
                message = (
                    f"a container name must be specified for pod {name}, choose one of: [{' '.join(names)}]"
                )
                if init_names:
                    message += f" or one of the init containers: [{' '.join(init_names)}]"
                raise BadRequest(message)
            container = names[0]
        if container not in names + init_names:
            raise BadRequest(f"container {container} is not valid for pod {name}")
        node = spec.get("nodeName")
        if not node:  # not scheduled yet: kube-apiserver answers with an empty log
            return LogReader(self.store, self.clock, self.epoch, None, pod, container, "", options)
        statuses = (pod.get("status") or {}).get("containerStatuses") or []
        statuses += (pod.get("status") or {}).get("initContainerStatuses") or []
        status = next((s for s in statuses if s.get("name") == container), None)
        container_id = self._log_container_id(name, container, status, options.previous)
        runtime = self.log_source(node) if self.log_source is not None else None
        if runtime is None:
            raise unreachable(self._node_ip(node), namespace, name, container)
        return LogReader(self.store, self.clock, self.epoch, runtime, pod, container, container_id, options)

    def _log_container_id(self, pod: str, container: str, status: Obj | None, previous: bool) -> str:
        """The kubelet's `validateContainerLogStatus`: which container instance's log to read."""
        status = status or {}
        state = status.get("state") or {}
        if previous:
            last = (status.get("lastState") or {}).get("terminated") or {}
            if not last.get("containerID"):
                raise BadRequest(f'previous terminated container "{container}" in pod "{pod}" not found')
            return str(last["containerID"])
        if state.get("running") or state.get("terminated"):
            cid = status.get("containerID") or (state.get("terminated") or {}).get("containerID")
            if cid:
                return str(cid)
        last = (status.get("lastState") or {}).get("terminated") or {}
        if last.get("containerID"):  # waiting to restart: the last terminated instance's log
            return str(last["containerID"])
        reason = (state.get("waiting") or {}).get("reason") or "ContainerCreating"
        raise BadRequest(f'container "{container}" in pod "{pod}" is waiting to start: {reason}')

    def _node_ip(self, node: str) -> str:
        obj = self.store.get("nodes", None, node) or {}
        for address in (obj.get("status") or {}).get("addresses") or ():
            if address.get("type") == "InternalIP":
                return str(address.get("address"))
        return node

    # -- pods/eviction ------------------------------------------------------------------------------

    def evict(self, user: User, name: str, namespace: str, eviction: Obj, *, dry_run: bool = False) -> Obj:
        """POST pods/<name>/eviction: a graceful delete that the pod's PodDisruptionBudget may
        refuse (429), as `disruption_budgets.evict` decides. A dry run comes as `?dryRun=All`
        (``dry_run``) or in the Eviction's `deleteOptions`."""

        def run() -> Obj:
            if eviction.get("kind") not in (None, "Eviction"):
                raise BadRequest(f'no kind "{eviction.get("kind")}" is registered for eviction')
            target = (eviction.get("metadata") or {}).get("name")
            if target and target != name:
                raise BadRequest("name in URL does not match name in Eviction object")
            options = eviction.get("deleteOptions") or {}
            preconditions = options.get("preconditions") or {}
            dry = dry_run or check_dry_run("DeleteOptions", _string_list(options.get("dryRun")))

            def delete() -> Obj:
                return self._delete(
                    resolve("pods"),
                    namespace,
                    name,
                    options.get("gracePeriodSeconds"),
                    None,
                    preconditions.get("uid"),
                )

            def evict() -> None:
                pod = self._must_get(resolve("pods"), namespace, name)
                budgets = list(self.store.iter("poddisruptionbudgets", namespace))
                pdb = check_eviction(pod, budgets)
                if pdb is not None:
                    self._update(
                        resolve("poddisruptionbudgets"),
                        namespace,
                        pdb["metadata"]["name"],
                        record_eviction(pdb, name, self.timestamp()),
                        "status",
                        owned=True,
                    )
                delete()

            self.dry(dry, evict)()
            return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}

        return self._audited(user, "create", "pods/eviction", namespace, name, run, 201)


def to_scale(obj: Obj) -> Obj:
    """`autoscaling/v1` Scale of a Deployment or ReplicaSet, as the scale subresource returns it."""
    meta = obj["metadata"]
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": meta["name"],
            "namespace": meta.get("namespace"),
            "uid": meta.get("uid"),
            "resourceVersion": meta.get("resourceVersion"),
            "creationTimestamp": meta.get("creationTimestamp"),
        },
        "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 0)},
        "status": {
            "replicas": (obj.get("status") or {}).get("replicas", 0),
            "selector": _selector_string((obj.get("spec") or {}).get("selector")),
        },
    }


def _string_list(value: Any) -> list[str]:
    """A `dryRun` list as sent (a bare string counts as a one-item list)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    raise BadRequest("dryRun must be a list of strings")


def _selector_string(selector: Obj | None) -> str:
    text = format_selector(selector)
    return "" if text == "<none>" else text
