"""The simulated kube-apiserver: the only door to the store.

As in Kubernetes, every component — scheduler, controllers, kubelets, the learner — reads
and writes cluster state only through these REST-like verbs, and the API server runs each
request through the same pipeline: resolve the kind, check the namespace, default, admit,
validate, apply optimistic concurrency, persist, fan the change out to watchers. Every
request is recorded (who, verb, resource, name, result code, virtual time): the UI's API-call
stream and the lessons' "who did this?" come from that record.

Watches are delivered asynchronously on the virtual clock (never inside the writer's call),
like events arriving over a real watch connection. Watchers receive the stored object,
which is never mutated in place; anything that wants to change it must copy it first
(exactly the contract of a client-go informer cache).

Simplified for now: authentication/authorization (RBAC) and schema validation of every field
arrive with the API-semantics work; delete supports background propagation only.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import admission, validation
from .clock import Clock, Timer
from .defaulting import apply_defaults
from .errors import (
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    already_exists,
    conflict,
    invalid,
    not_found,
)
from .jsonutil import copy_json, merge_patch
from .kinds import Kind, for_object, resolve
from .names import new_uid, random_suffix
from .selectors import LabelSelector, parse_field_selector, parse_label_selector
from .store import ADDED, DELETED, MODIFIED, Change, Store
from .timefmt import rfc3339

Obj = dict[str, Any]
WatchHandler = Callable[[str, Obj], None]

# etcd keeps Events for --event-ttl (1 h) through a lease; they vanish without an API request.
EVENT_TTL_SECONDS = 3600.0
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
AUDIT_LIMIT = 20000


@dataclass(slots=True, frozen=True)
class ApiCall:
    """One request as the audit log records it."""

    seq: int
    time: float
    actor: str  # the authenticated user, e.g. system:kube-scheduler
    component: str  # who that is, for people: kube-scheduler, kubelet/worker-1, kubectl
    verb: str  # get, list, watch, create, update, patch, delete
    resource: str  # pods, deployments, pods/binding, pods/status
    namespace: str
    name: str
    code: int


@dataclass(frozen=True)
class User:
    name: str
    component: str


class Watch:
    """A watch connection: buffered events, delivered on the clock in order."""

    def __init__(
        self,
        server: APIServer,
        kind: Kind,
        namespace: str | None,
        labels: LabelSelector,
        field_sel: Any,
        handler: WatchHandler,
        node_name: str | None,
    ) -> None:
        self.server = server
        self.kind = kind
        self.namespace = namespace
        self.labels = labels
        self.fields = field_sel
        self.handler = handler
        self.node_name = node_name
        self.pending: list[tuple[str, Obj]] = []
        self.timer: Timer | None = None
        self.stopped = False

    def matches(self, obj: Obj | None) -> bool:
        if obj is None:
            return False
        meta = obj["metadata"]
        if self.namespace is not None and meta.get("namespace") != self.namespace:
            return False
        if not self.labels.empty() and not self.labels.matches(meta.get("labels")):
            return False
        return not self.fields.requirements or self.fields.matches(obj, self.kind.fields)

    def offer(self, change: Change) -> None:
        old_in, new_in = self.matches(change.old), self.matches(change.new)
        if new_in and old_in:
            self.pending.append((MODIFIED, change.new))  # type: ignore[arg-type]
        elif new_in:
            self.pending.append((ADDED, change.new))  # type: ignore[arg-type]
        elif old_in:
            # Leaving the selection (or deletion) is a DELETED event for this watcher.
            self.pending.append((DELETED, change.old if change.new is None else change.new))  # type: ignore[arg-type]
        else:
            return
        if self.timer is None:
            self.timer = self.server.clock.call_soon(self._deliver)

    def _deliver(self) -> None:
        self.timer = None
        events, self.pending = self.pending, []
        for etype, obj in events:
            if self.stopped:
                return
            self.handler(etype, obj)

    def stop(self) -> None:
        self.stopped = True
        self.server._unregister(self)
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


class APIServer:
    def __init__(self, clock: Clock, store: Store, rng: random.Random, epoch: datetime) -> None:
        self.clock = clock
        self.store = store
        self.rng = rng
        self.epoch = epoch
        self.audit: deque[ApiCall] = deque(maxlen=AUDIT_LIMIT)
        self.audit_seq = 0
        self.available = True
        self._watches: dict[str, list[Watch]] = {}
        self._node_watches: dict[str, dict[str, list[Watch]]] = {}
        self._event_expiry: dict[tuple[str, str], Timer] = {}

    # -- helpers --------------------------------------------------------------------------

    def timestamp(self) -> str:
        return rfc3339(self.epoch, self.clock.now)

    def _record(
        self, user: User, verb: str, resource: str, namespace: str | None, name: str | None, code: int
    ) -> None:
        self.audit_seq += 1
        self.audit.append(
            ApiCall(
                self.audit_seq,
                self.clock.now,
                user.name,
                user.component,
                verb,
                resource,
                namespace or "",
                name or "",
                code,
            )
        )

    def _audited(
        self,
        user: User,
        verb: str,
        resource: str,
        namespace: str | None,
        name: str | None,
        fn: Callable[[], Any],
        ok_code: int = 200,
    ) -> Any:
        if not self.available:
            from .errors import ServiceUnavailable

            raise ServiceUnavailable("The connection to the server was refused")
        try:
            result = fn()
        except ApiError as exc:
            self._record(user, verb, resource, namespace, name, exc.code)
            raise
        self._record(user, verb, resource, namespace, name or _name_of(result), ok_code)
        return result

    def _namespace_for(self, kind: Kind, namespace: str | None, obj: Obj | None = None) -> str | None:
        if not kind.namespaced:
            return None
        ns = namespace or (obj or {}).get("metadata", {}).get("namespace") or "default"
        if obj is not None:
            obj_ns = obj.get("metadata", {}).get("namespace")
            if obj_ns and namespace and obj_ns != namespace:
                raise BadRequest(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
        return ns

    def _check_namespace(self, kind: Kind, ns: str | None, name: str, creating: bool) -> None:
        if ns is None:
            return
        namespace = self.store.get("namespaces", None, ns)
        if namespace is None:
            raise NotFound(f'namespaces "{ns}" not found', details={"name": ns, "kind": "namespaces"})
        if creating and namespace.get("metadata", {}).get("deletionTimestamp"):
            raise Forbidden(
                f'{kind.qualified} "{name}" is forbidden: unable to create new content in namespace '
                f"{ns} because it is being terminated"
            )

    # -- verbs ----------------------------------------------------------------------------

    def create(self, user: User, obj: Obj, namespace: str | None = None, *, copy: bool = True) -> Obj:
        """`copy=False`: the caller promises not to mutate the returned (stored) object."""
        kind = for_object(obj)
        meta = obj.get("metadata") or {}
        ns = self._namespace_for(kind, namespace, obj)
        label = meta.get("name") or meta.get("generateName") or ""
        return self._audited(
            user,
            "create",
            kind.plural,
            ns,
            label,
            lambda: _maybe_copy(self._create(user, kind, obj, ns), copy),
            201,
        )

    def _create(self, user: User, kind: Kind, manifest: Obj, ns: str | None) -> Obj:
        obj = copy_json(manifest)
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise BadRequest("metadata must be an object")
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = f"{meta['generateName']}{random_suffix(self.rng)}"
        name = meta.get("name") or ""
        if ns is not None:
            meta["namespace"] = ns
        else:
            meta.pop("namespace", None)
        self._check_namespace(kind, ns, name, creating=True)
        for f in (
            "resourceVersion",
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
        ):
            meta.pop(f, None)
        apply_defaults(kind.kind, obj)
        admission.admit_create(kind.kind, obj)
        causes = validation.validate(kind.kind, obj, namespaced=kind.namespaced)
        if causes:
            raise invalid(kind.kind, kind.group, name, causes)
        if self.store.get(kind.plural, ns, name) is not None:
            raise already_exists(kind.plural, kind.group, name)
        meta["uid"] = new_uid(self.rng)
        meta["creationTimestamp"] = self.timestamp()
        if kind.kind in ("Deployment", "ReplicaSet"):
            meta["generation"] = 1
        _prepare_status_on_create(kind.kind, obj)
        change = self.store.put(kind.plural, obj, self.clock.now)
        self._fanout(change)
        if kind.kind == "Event":
            self._expire_event_later(ns or "", name)
        return obj

    def get(self, user: User, resource: str, name: str, namespace: str | None = None) -> Obj:
        kind = resolve(resource)
        ns = self._namespace_for(kind, namespace)
        return self._audited(
            user, "get", kind.plural, ns, name, lambda: copy_json(self._must_get(kind, ns, name))
        )

    def _must_get(self, kind: Kind, ns: str | None, name: str) -> Obj:
        obj = self.store.get(kind.plural, ns, name)
        if obj is None:
            raise not_found(kind.plural, kind.group, name)
        return obj

    def list(
        self,
        user: User,
        resource: str,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        *,
        copy: bool = True,
    ) -> tuple[list[Obj], str]:
        """Returns (items, resourceVersion of the list). `namespace=None`: all namespaces."""
        kind = resolve(resource)

        def run() -> tuple[list[Obj], str]:
            labels = parse_label_selector(label_selector)
            fields = parse_field_selector(field_selector, kind.fields, kind.kind)
            ns = namespace if kind.namespaced else None
            items = [
                o
                for o in self.store.iter(kind.plural, ns)
                if (labels.empty() or labels.matches(o["metadata"].get("labels")))
                and (not fields.requirements or fields.matches(o, kind.fields))
            ]
            if copy:
                items = [copy_json(o) for o in items]
            return items, str(self.store.revision)

        return self._audited(user, "list", kind.plural, namespace if kind.namespaced else None, "", run)

    def update(self, user: User, obj: Obj, subresource: str | None = None, *, copy: bool = True) -> Obj:
        kind = for_object(obj)
        meta = obj.get("metadata") or {}
        ns = self._namespace_for(kind, None, obj)
        name = meta.get("name") or ""
        resource = f"{kind.plural}/{subresource}" if subresource else kind.plural
        return self._audited(
            user,
            "update",
            resource,
            ns,
            name,
            lambda: _maybe_copy(self._update(kind, ns, name, obj, subresource), copy),
        )

    def _update(
        self,
        kind: Kind,
        ns: str | None,
        name: str,
        incoming: Obj,
        subresource: str | None,
        owned: bool = False,
    ) -> Obj:
        """`owned`: `incoming` is already a private copy the store may keep."""
        current = self._must_get(kind, ns, name)
        rv = (incoming.get("metadata") or {}).get("resourceVersion")
        if rv and rv != current["metadata"]["resourceVersion"]:
            raise conflict(kind.plural, kind.group, name)
        if subresource == "status":
            new = copy_json(current)
            if "status" in incoming:
                new["status"] = copy_json(incoming["status"])
        else:
            new = incoming if owned else copy_json(incoming)
            new_meta = new.setdefault("metadata", {})
            cur_meta = current["metadata"]
            for f in (
                "uid",
                "creationTimestamp",
                "namespace",
                "name",
                "deletionTimestamp",
                "deletionGracePeriodSeconds",
                "generation",
            ):
                if f in cur_meta:
                    new_meta[f] = cur_meta[f]
                else:
                    new_meta.pop(f, None)
            if kind.has_status:
                # The main resource ignores status; only the status subresource writes it.
                if "status" in current:
                    new["status"] = copy_json(current["status"])
                else:
                    new.pop("status", None)
            apply_defaults(kind.kind, new)
            causes = validation.validate(kind.kind, new, namespaced=kind.namespaced)
            causes += _immutable_causes(kind.kind, current, new)
            if causes:
                raise invalid(kind.kind, kind.group, name, causes)
            if "generation" in cur_meta and new.get("spec") != current.get("spec"):
                new_meta["generation"] = cur_meta["generation"] + 1
        new["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        if new == current:
            return current  # a no-op update writes nothing and keeps the resourceVersion
        if new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers"):
            change = self.store.remove(kind.plural, ns, name, self.clock.now)
            assert change is not None
            self._fanout(change)
            return change.object
        change = self.store.put(kind.plural, new, self.clock.now)
        self._fanout(change)
        if kind.kind == "Event":
            self._expire_event_later(ns or "", name)
        return new

    def patch(
        self,
        user: User,
        resource: str,
        name: str,
        patch: Obj,
        namespace: str | None = None,
        subresource: str | None = None,
        *,
        copy: bool = True,
    ) -> Obj:
        """JSON merge patch (RFC 7386) of an existing object (strategic merge arrives with kubectl)."""
        kind = resolve(resource)
        ns = self._namespace_for(kind, namespace)
        res = f"{kind.plural}/{subresource}" if subresource else kind.plural

        def run() -> Obj:
            if not isinstance(patch, dict):
                raise BadRequest(
                    "the body of the request was in an unknown format - accepted media types "
                    "include: application/json-patch+json, application/merge-patch+json, "
                    "application/apply-patch+yaml"
                )
            current = self._must_get(kind, ns, name)
            merged = merge_patch(current, patch)
            merged_meta = merged.setdefault("metadata", {})
            if "resourceVersion" not in (patch.get("metadata") or {}):
                merged_meta["resourceVersion"] = current["metadata"]["resourceVersion"]
            merged["apiVersion"], merged["kind"] = kind.api_version, kind.kind
            return _maybe_copy(self._update(kind, ns, name, merged, subresource, owned=True), copy)

        return self._audited(user, "patch", res, ns, name, run)

    def delete(
        self,
        user: User,
        resource: str,
        name: str,
        namespace: str | None = None,
        grace_period_seconds: int | None = None,
        propagation_policy: str | None = None,
        uid_precondition: str | None = None,
    ) -> Obj:
        kind = resolve(resource)
        ns = self._namespace_for(kind, namespace)

        def run() -> Obj:
            if propagation_policy not in (None, "Background"):
                raise BadRequest(
                    f"propagationPolicy {propagation_policy} is not supported yet in this lab; use Background"
                )
            current = self._must_get(kind, ns, name)
            if uid_precondition and current["metadata"].get("uid") != uid_precondition:
                raise Conflict(
                    f'Operation cannot be fulfilled on {kind.qualified} "{name}": Precondition failed: '
                    f"UID in precondition: {uid_precondition}, UID in object meta: "
                    f"{current['metadata'].get('uid')}"
                )
            if kind.kind == "Namespace" and name in SYSTEM_NAMESPACES[:3]:
                raise Forbidden(f'namespaces "{name}" is forbidden: this namespace may not be deleted')
            grace = _grace_period(kind.kind, current, grace_period_seconds)
            meta = current["metadata"]
            if kind.kind == "Namespace" and (current.get("spec") or {}).get("finalizers"):
                if meta.get("deletionTimestamp"):
                    return copy_json(current)
                new = copy_json(current)
                new["metadata"]["deletionTimestamp"] = self.timestamp()
                new["status"] = {"phase": "Terminating"}
                change = self.store.put(kind.plural, new, self.clock.now)
                self._fanout(change)
                return copy_json(new)
            if grace > 0 or meta.get("finalizers"):
                if meta.get("deletionTimestamp") and (grace >= (meta.get("deletionGracePeriodSeconds") or 0)):
                    return copy_json(current)  # already terminating; nothing shortens
                new = copy_json(current)
                new["metadata"]["deletionTimestamp"] = rfc3339(self.epoch, self.clock.now + grace)
                new["metadata"]["deletionGracePeriodSeconds"] = grace
                if "generation" in meta:
                    new["metadata"]["generation"] = meta["generation"] + 1
                change = self.store.put(kind.plural, new, self.clock.now)
                self._fanout(change)
                return copy_json(new)
            change = self.store.remove(kind.plural, ns, name, self.clock.now)
            assert change is not None
            self._fanout(change)
            return copy_json(change.object)

        return self._audited(user, "delete", kind.plural, ns, name, run)

    def finalize_namespace(self, user: User, name: str, finalizers: list[str]) -> Obj:
        """PUT namespaces/<name>/finalize: a Terminating namespace with no finalizers left goes."""

        def run() -> Obj:
            kind = resolve("namespaces")
            current = self._must_get(kind, None, name)
            new = copy_json(current)
            new.setdefault("spec", {})["finalizers"] = finalizers
            if (
                new["metadata"].get("deletionTimestamp")
                and not finalizers
                and not new["metadata"].get("finalizers")
            ):
                change = self.store.remove(kind.plural, None, name, self.clock.now)
            else:
                change = self.store.put(kind.plural, new, self.clock.now)
            assert change is not None
            self._fanout(change)
            return copy_json(change.object)

        return self._audited(user, "update", "namespaces/finalize", None, name, run)

    def bind(self, user: User, namespace: str, pod_name: str, node_name: str) -> Obj:
        """POST pods/<name>/binding: what the scheduler does to place a pod."""

        def run() -> Obj:
            kind = resolve("pods")
            pod = self._must_get(kind, namespace, pod_name)
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
            new = copy_json(pod)
            new["spec"]["nodeName"] = node_name
            conditions = [c for c in new["status"].get("conditions", []) if c["type"] != "PodScheduled"]
            conditions.append(
                {
                    "type": "PodScheduled",
                    "status": "True",
                    "lastProbeTime": None,
                    "lastTransitionTime": self.timestamp(),
                }
            )
            new["status"]["conditions"] = conditions
            change = self.store.put("pods", new, self.clock.now)
            self._fanout(change)
            binding = {
                "kind": "Binding",
                "apiVersion": "v1",
                "metadata": {"name": pod_name, "namespace": namespace},
                "target": {"kind": "Node", "apiVersion": "v1", "name": node_name},
            }
            return binding

        return self._audited(user, "create", "pods/binding", namespace, pod_name, run, 201)

    def watch(
        self,
        user: User,
        resource: str,
        handler: WatchHandler,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        resource_version: str | None = None,
    ) -> Watch:
        kind = resolve(resource)

        def run() -> Watch:
            labels = parse_label_selector(label_selector)
            fields = parse_field_selector(field_selector, kind.fields, kind.kind)
            node = fields.equals("spec.nodeName") if kind.kind == "Pod" else None
            w = Watch(self, kind, namespace if kind.namespaced else None, labels, fields, handler, node)
            if resource_version not in (None, "", "0"):
                for change in self.store.changes_since(int(resource_version), kind.plural):
                    w.offer(change)
            if node is not None:
                self._node_watches.setdefault(kind.plural, {}).setdefault(node, []).append(w)
            else:
                self._watches.setdefault(kind.plural, []).append(w)
            return w

        return self._audited(user, "watch", kind.plural, namespace if kind.namespaced else None, "", run)

    # -- fan-out --------------------------------------------------------------------------

    def _fanout(self, change: Change) -> None:
        for w in self._watches.get(change.plural, ()):
            w.offer(change)
        by_node = self._node_watches.get(change.plural)
        if by_node:
            nodes = []
            for obj in (change.old, change.new):
                n = obj["spec"].get("nodeName") if obj is not None else None
                if n and n not in nodes:
                    nodes.append(n)
            for n in nodes:
                for w in by_node.get(n, ()):
                    w.offer(change)

    def _unregister(self, w: Watch) -> None:
        if w.node_name is not None:
            lst = self._node_watches.get(w.kind.plural, {}).get(w.node_name, [])
        else:
            lst = self._watches.get(w.kind.plural, [])
        if w in lst:
            lst.remove(w)

    def _expire_event_later(self, ns: str, name: str) -> None:
        key = (ns, name)
        old = self._event_expiry.pop(key, None)
        if old is not None:
            old.cancel()

        def expire() -> None:
            self._event_expiry.pop(key, None)
            change = self.store.remove("events", ns, name, self.clock.now)
            if change is not None:
                self._fanout(change)

        self._event_expiry[key] = self.clock.call_later(EVENT_TTL_SECONDS, expire)


def _maybe_copy(obj: Obj, copy: bool) -> Obj:
    return copy_json(obj) if copy else obj


def _name_of(result: Any) -> str:
    if isinstance(result, dict):
        return str((result.get("metadata") or {}).get("name") or "")
    return ""


def _grace_period(kind: str, obj: Obj, requested: int | None) -> int:
    """Pods terminate gracefully (30 s default) unless unscheduled or already finished."""
    if kind != "Pod":
        return 0
    if not obj["spec"].get("nodeName") or obj.get("status", {}).get("phase") in ("Succeeded", "Failed"):
        return 0
    if requested is not None:
        return max(0, int(requested))
    return int(obj["spec"].get("terminationGracePeriodSeconds", 30))


def qos_class(spec: Obj) -> str:
    """`qos.GetPodQOS`: Guaranteed, Burstable or BestEffort from requests and limits."""
    containers = (spec.get("containers") or []) + (spec.get("initContainers") or [])
    any_set = False
    guaranteed = True
    for c in containers:
        res = c.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        if req or lim:
            any_set = True
        for r in ("cpu", "memory"):
            if r not in lim or str(req.get(r, lim.get(r))) != str(lim[r]):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def _prepare_status_on_create(kind: str, obj: Obj) -> None:
    if kind == "Pod":
        obj["status"] = {"phase": "Pending", "qosClass": qos_class(obj["spec"])}
    elif kind in ("Deployment", "ReplicaSet"):
        obj["status"] = {}
    elif kind == "Namespace":
        obj["status"] = {"phase": "Active"}


_POD_MUTABLE_MSG = (
    "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
    "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set "
    "to 1 if it was previously negative)"
)


def _immutable_causes(kind: str, old: Obj, new: Obj) -> list[tuple[str, str]]:
    if kind == "Pod":
        a, b = copy_json(old["spec"]), copy_json(new["spec"])
        for spec in (a, b):
            for c in spec.get("containers", []) + spec.get("initContainers", []):
                c.pop("image", None)
            spec.pop("activeDeadlineSeconds", None)
            spec.pop("tolerations", None)
        if a != b:
            return [("spec", _POD_MUTABLE_MSG)]
        old_tols = old["spec"].get("tolerations") or []
        new_tols = new["spec"].get("tolerations") or []
        if any(t not in new_tols for t in old_tols):
            return [("spec", _POD_MUTABLE_MSG)]
    if kind in ("Deployment", "ReplicaSet") and old["spec"].get("selector") != new["spec"].get("selector"):
        return [
            (
                "spec.selector",
                f"Invalid value: {_selector_text(new['spec'].get('selector'))}: field is immutable",
            )
        ]
    return []


def _selector_text(sel: Any) -> str:
    from .selectors import format_selector

    return "v1.LabelSelector{" + format_selector(sel) + "}"


__all__ = ["ADDED", "DELETED", "MODIFIED", "APIServer", "ApiCall", "Invalid", "User", "Watch"]
