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
from collections.abc import Callable
from datetime import datetime
from typing import Any

from . import admission, validation
from .audit import AuditLog, User
from .clock import Clock, Timer
from .defaulting import apply_defaults
from .errors import (
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    already_exists,
    conflict,
    invalid,
    not_found,
)
from .jsonutil import copy_json, merge_patch
from .kinds import Kind, for_object, resolve
from .names import new_uid, random_suffix
from .selectors import parse_field_selector, parse_label_selector
from .store import Store
from .strategy import grace_period, immutable_causes, prepare_for_create
from .timefmt import rfc3339
from .watch import Watch, WatchHandler, WatchHub

Obj = dict[str, Any]

# etcd keeps Events for --event-ttl (1 h) through a lease; they vanish without an API request.
EVENT_TTL_SECONDS = 3600.0
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


class APIServer:
    def __init__(self, clock: Clock, store: Store, rng: random.Random, epoch: datetime) -> None:
        self.clock = clock
        self.store = store
        self.rng = rng
        self.epoch = epoch
        self.audit = AuditLog(clock)
        self.available = True
        self.watches = WatchHub(clock)
        self._event_expiry: dict[tuple[str, str], Timer] = {}

    # -- helpers --------------------------------------------------------------------------

    def timestamp(self) -> str:
        return rfc3339(self.epoch, self.clock.now)

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
            self.audit.record(user, verb, resource, namespace, name, exc.code)
            raise
        self.audit.record(user, verb, resource, namespace, name or _name_of(result), ok_code)
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
        prepare_for_create(kind.kind, obj)
        change = self.store.put(kind.plural, obj, self.clock.now)
        self.watches.fanout(change)
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
            causes += immutable_causes(kind.kind, current, new)
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
            self.watches.fanout(change)
            return change.object
        change = self.store.put(kind.plural, new, self.clock.now)
        self.watches.fanout(change)
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
            grace = grace_period(kind.kind, current, grace_period_seconds)
            meta = current["metadata"]
            if kind.kind == "Namespace" and (current.get("spec") or {}).get("finalizers"):
                if meta.get("deletionTimestamp"):
                    return copy_json(current)
                new = copy_json(current)
                new["metadata"]["deletionTimestamp"] = self.timestamp()
                new["status"] = {"phase": "Terminating"}
                change = self.store.put(kind.plural, new, self.clock.now)
                self.watches.fanout(change)
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
                self.watches.fanout(change)
                return copy_json(new)
            change = self.store.remove(kind.plural, ns, name, self.clock.now)
            assert change is not None
            self.watches.fanout(change)
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
            self.watches.fanout(change)
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
            self.watches.fanout(change)
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
            history = []
            if resource_version not in (None, "", "0"):
                history = self.store.changes_since(int(resource_version), kind.plural)
            w = Watch(
                self.watches, kind, namespace if kind.namespaced else None, labels, fields, handler, node
            )
            for change in history:
                w.offer(change)
            self.watches.register(w)
            return w

        return self._audited(user, "watch", kind.plural, namespace if kind.namespaced else None, "", run)

    def _expire_event_later(self, ns: str, name: str) -> None:
        key = (ns, name)
        old = self._event_expiry.pop(key, None)
        if old is not None:
            old.cancel()

        def expire() -> None:
            self._event_expiry.pop(key, None)
            change = self.store.remove("events", ns, name, self.clock.now)
            if change is not None:
                self.watches.fanout(change)

        self._event_expiry[key] = self.clock.call_later(EVENT_TTL_SECONDS, expire)


def _maybe_copy(obj: Obj, copy: bool) -> Obj:
    return copy_json(obj) if copy else obj


def _name_of(result: Any) -> str:
    if isinstance(result, dict):
        return str((result.get("metadata") or {}).get("name") or "")
    return ""
