"""The simulated kube-apiserver: the only door to the store.

As in Kubernetes, every component — scheduler, controllers, kubelets, the learner — reads
and writes cluster state only through these REST-like verbs, and the API server runs each
request through the same pipeline: resolve the kind, check the namespace, default, admit,
validate, apply optimistic concurrency, persist, fan the change out to watchers. Every
request is recorded (who, verb, resource, name, result code, virtual time): the UI's API-call
stream and the lessons' "who did this?" come from that record.

Every write also records who set which fields (`metadata.managedFields`, `managed_fields.py`):
`create`/`update`/`patch` as an `Update` by their field manager, server-side apply as an
`Apply` that can conflict (`server_side_apply.py`). PATCH bodies are JSON merge, strategic
merge or JSON patches (`patching.py`); subresources live in `subresources.py`, chunked lists in
`paging.py`.

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

from . import admission, decoding, validation
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
    unsupported_media_type,
)
from .jsonutil import copy_json
from .kinds import Kind, for_object, resolve
from .managed_fields import record_update
from .names import new_uid, random_suffix
from .paging import ListVerbs
from .patching import PATCH_TYPES, apply_patch
from .remote_command import ExecVerbs
from .selectors import parse_field_selector, parse_label_selector
from .server_side_apply import apply_to
from .store import Store
from .strategy import grace_period, immutable_causes, prepare_for_create
from .subresources import LogSource, SubresourceVerbs
from .timefmt import rfc3339
from .watch import Watch, WatchHandler, WatchHub

Obj = dict[str, Any]

# etcd keeps Events for --event-ttl (1 h) through a lease; they vanish without an API request.
EVENT_TTL_SECONDS = 3600.0
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
REQUIRED_FOR_APPLY = "Required value: is required for apply patch"
FORBIDDEN_FORCE = "Forbidden: may not be specified for non-apply patch"


class APIServer(ListVerbs, SubresourceVerbs, ExecVerbs):
    def __init__(self, clock: Clock, store: Store, rng: random.Random, epoch: datetime) -> None:
        self.clock = clock
        self.store = store
        self.rng = rng
        self.epoch = epoch
        self.audit = AuditLog(clock)
        self.available = True
        self.watches = WatchHub(clock)
        self._event_expiry: dict[tuple[str, str], Timer] = {}
        self.log_source: LogSource | None = None  # node → its kubelet's runtime (for pods/log)

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

    def _manager(self, user: User, field_manager: str | None) -> str:
        """The field manager: `?fieldManager=`, else the user agent's name as kube-apiserver takes it."""
        return field_manager or user.component.split("/")[0]

    def _put(self, plural: str, obj: Obj) -> Obj:
        self.watches.fanout(self.store.put(plural, obj, self.clock.now))
        return obj

    def _remove(self, plural: str, ns: str | None, name: str) -> Obj:
        change = self.store.remove(plural, ns, name, self.clock.now)
        assert change is not None
        self.watches.fanout(change)
        return change.object

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

    def create(
        self,
        user: User,
        obj: Obj,
        namespace: str | None = None,
        *,
        copy: bool = True,
        field_manager: str | None = None,
    ) -> Obj:
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
            lambda: _maybe_copy(
                self._create(kind, _decoded(user, obj), ns, self._manager(user, field_manager)), copy
            ),
            201,
        )

    def _create(self, kind: Kind, manifest: Obj, ns: str | None, manager: str | None) -> Obj:
        """`manager` None: the manifest's managedFields are already what they should be (apply)."""
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
        stripped = ("resourceVersion", "uid", "creationTimestamp", "deletionTimestamp", "generation")
        for f in (*stripped, "deletionGracePeriodSeconds", *(("managedFields",) if manager else ())):
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
        if manager:
            record_update(None, obj, manager, kind.api_version, self.timestamp())
        prepare_for_create(kind.kind, obj)
        self._put(kind.plural, obj)
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

    def update(
        self,
        user: User,
        obj: Obj,
        subresource: str | None = None,
        *,
        copy: bool = True,
        field_manager: str | None = None,
    ) -> Obj:
        kind = for_object(obj)
        meta = obj.get("metadata") or {}
        ns = self._namespace_for(kind, None, obj)
        name = meta.get("name") or ""
        resource = f"{kind.plural}/{subresource}" if subresource else kind.plural
        manager = self._manager(user, field_manager)
        return self._audited(
            user,
            "update",
            resource,
            ns,
            name,
            lambda: _maybe_copy(
                self._update(kind, ns, name, _decoded(user, obj), subresource, manager=manager), copy
            ),
        )

    def _update(
        self,
        kind: Kind,
        ns: str | None,
        name: str,
        incoming: Obj,
        subresource: str | None,
        owned: bool = False,
        *,
        manager: str | None = None,
        managed_sub: str | None = None,
    ) -> Obj:
        """`owned`: `incoming` is already a private copy the store may keep. `manager` None: the
        incoming managedFields are kept as they are (server-side apply computed them)."""
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
            kept = ("uid", "creationTimestamp", "namespace", "name", "deletionTimestamp", "generation")
            for f in (*kept, "deletionGracePeriodSeconds", *(("managedFields",) if manager else ())):
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
        if manager:
            sub = managed_sub or subresource
            record_update(current, new, manager, kind.api_version, self.timestamp(), sub)
        if new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers"):
            return self._remove(kind.plural, ns, name)
        self._put(kind.plural, new)
        if kind.kind == "Event":
            self._expire_event_later(ns or "", name)
        return new

    def patch(
        self,
        user: User,
        resource: str,
        name: str,
        patch: Any,
        namespace: str | None = None,
        subresource: str | None = None,
        *,
        patch_type: str = "merge",
        field_manager: str | None = None,
        force: bool = False,
        copy: bool = True,
    ) -> Obj:
        """PATCH: `patch_type` is `merge` (RFC 7386), `strategic`, `json` (RFC 6902) or `apply`
        (server-side apply, which creates a missing object). `subresource`: `status` or `scale`."""
        kind = resolve(resource)
        ns = self._namespace_for(kind, namespace)
        res = f"{kind.plural}/{subresource}" if subresource else kind.plural
        creating = patch_type == "apply" and self.store.get(kind.plural, ns, name) is None

        def run() -> Obj:
            if patch_type not in PATCH_TYPES:
                raise unsupported_media_type()
            if patch_type == "apply" and not field_manager:
                raise invalid("PatchOptions", "meta.k8s.io", "", [("fieldManager", REQUIRED_FOR_APPLY)])
            if patch_type != "apply" and force:
                raise invalid("PatchOptions", "meta.k8s.io", "", [("force", FORBIDDEN_FORCE)])
            if subresource == "scale":
                return self._patch_scale(user, kind, ns, name, patch, patch_type, field_manager)
            if patch_type == "apply":
                return _maybe_copy(apply_to(self, kind, ns, name, patch, field_manager or "", force), copy)
            current = self._must_get(kind, ns, name)
            merged = apply_patch(patch_type, current, patch)
            merged_meta = merged.setdefault("metadata", {})
            if current["metadata"].get("resourceVersion") == merged_meta.get("resourceVersion"):
                merged_meta.pop("resourceVersion")  # only a patch that names a resourceVersion checks it
            merged["apiVersion"], merged["kind"] = kind.api_version, kind.kind
            manager = self._manager(user, field_manager)
            stored = self._update(kind, ns, name, merged, subresource, owned=True, manager=manager)
            return _maybe_copy(stored, copy)

        return self._audited(user, "patch", res, ns, name, run, 201 if creating else 200)

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
            return self._delete(kind, ns, name, grace_period_seconds, propagation_policy, uid_precondition)

        return self._audited(user, "delete", kind.plural, ns, name, run)

    def _delete(
        self,
        kind: Kind,
        ns: str | None,
        name: str,
        grace_period_seconds: int | None,
        propagation_policy: str | None,
        uid_precondition: str | None,
    ) -> Obj:
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
            return copy_json(self._put(kind.plural, new))
        if grace > 0 or meta.get("finalizers"):
            if meta.get("deletionTimestamp") and (grace >= (meta.get("deletionGracePeriodSeconds") or 0)):
                return copy_json(current)  # already terminating; nothing shortens
            new = copy_json(current)
            new["metadata"]["deletionTimestamp"] = rfc3339(self.epoch, self.clock.now + grace)
            new["metadata"]["deletionGracePeriodSeconds"] = grace
            if "generation" in meta:
                new["metadata"]["generation"] = meta["generation"] + 1
            return copy_json(self._put(kind.plural, new))
        return copy_json(self._remove(kind.plural, ns, name))

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


def _decoded(user: User, obj: Obj) -> Obj:
    """What kube-apiserver's strict decoder lets through from a client: a body whose types fit
    the kind and that has no unknown fields (400 otherwise). The cluster's own components
    (`system:` users) write well-formed objects and skip the (schema-sized) check."""
    if not user.name.startswith("system:"):
        decoding.check_body(obj, strict=True)
    return obj


def _maybe_copy(obj: Obj, copy: bool) -> Obj:
    return copy_json(obj) if copy else obj


def _name_of(result: Any) -> str:
    if isinstance(result, dict):
        return str((result.get("metadata") or {}).get("name") or "")
    return ""
