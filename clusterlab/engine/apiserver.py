"""The simulated kube-apiserver: the only door to the store.

As in Kubernetes, every component — scheduler, controllers, kubelets, the learner — reads
and writes cluster state only through these REST-like verbs, and the API server runs each
request through the same pipeline: resolve the kind, check the namespace, default, admit,
validate, apply optimistic concurrency, persist, fan the change out to watchers. Every
request is recorded (who, verb, resource, name, result code, virtual time, and what reached etcd:
`etcd_requests.py`): the UI's API-call stream and the lessons' "who did this?" come from that
record.

Every write also records who set which fields (`metadata.managedFields`, `managed_fields.py`):
`create`/`update`/`patch` as an `Update` by their field manager, server-side apply as an
`Apply` that can conflict (`server_side_apply.py`). PATCH bodies are JSON merge, strategic
merge or JSON patches (`patching.py`); subresources live in `subresources.py`, chunked lists in
`paging.py`.

Watches are delivered asynchronously on the virtual clock (never inside the writer's call),
like events arriving over a real watch connection. Watchers receive the stored object,
which is never mutated in place; anything that wants to change it must copy it first
(exactly the contract of a client-go informer cache).

Every request is authorized first (`authorization.py`, `rbac.py`: the Node and RBAC
authorizers and RBAC's escalation checks); who a request comes from is given by the caller
(the lab has no authentication of its own). Simplified for now: schema validation of every
field arrives with the API-semantics work; delete propagates in the background, in the foreground or
orphans (see `propagation.py`).
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from . import admission, decoding, services, validation
from .audit import AuditLog, User
from .authorization import Authorization
from .clock import Clock, Timer
from .defaulting import apply_defaults
from .dry_run import DryRunnable
from .errors import (
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    StorageUnavailable,
    already_exists,
    conflict,
    invalid,
    not_found,
    unsupported_media_type,
)
from .etcd_requests import NOT_REACHED, attempted, storage_request
from .jsonutil import copy_json, merge_patch_shared
from .kinds import Kind, for_object, resolve
from .managed_fields import record_update
from .names import new_uid, random_suffix
from .paging import ListVerbs
from .patching import PATCH_TYPES, apply_patch
from .propagation import finalizer_for
from .remote_command import ExecVerbs
from .selectors import parse_field_selector, parse_label_selector
from .server_side_apply import apply_to
from .store import Store
from .strategy import grace_period, immutable_causes, prepare_for_create, prepare_for_update
from .subresources import LogSource, SubresourceVerbs
from .timefmt import rfc3339
from .watch import Watch, WatchHandler, WatchHub

Obj = dict[str, Any]

# etcd keeps Events for --event-ttl (1 h) through a lease; they vanish without an API request.
EVENT_TTL_SECONDS = 3600.0
# The kinds whose spec changes bump metadata.generation (their strategies set it to 1 at create).
GENERATION_KINDS = frozenset(
    {
        "Deployment",
        "ReplicaSet",
        "PriorityClass",
        "PodDisruptionBudget",
        "StatefulSet",
        "DaemonSet",
        "Job",
        "CronJob",
        "Ingress",
        "IngressClass",
    }
)
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
REQUIRED_FOR_APPLY = "Required value: is required for apply patch"
FORBIDDEN_FORCE = "Forbidden: may not be specified for non-apply patch"


class APIServer(Authorization, DryRunnable, ListVerbs, SubresourceVerbs, ExecVerbs):
    def __init__(self, clock: Clock, store: Store, rng: random.Random, epoch: datetime) -> None:
        self.clock = clock
        self.store = store
        self.rng = rng
        self.epoch = epoch
        self.audit = AuditLog(clock)
        self.available = True
        self.storage_ready: Callable[[], bool] = lambda: True  # etcd has a quorum
        self.watches = WatchHub(clock)
        self._event_expiry: dict[tuple[str, str], float] = {}  # event → when it expires
        self._expiry_queue: deque[tuple[float, tuple[str, str]]] = deque()
        self._expiry_timer: Timer | None = None
        self._last_stamp: tuple[int, str, datetime | None] = (-1, "", None)
        self.log_source: LogSource | None = None  # node → its kubelet's runtime (for pods/log)
        self.dns: Any = None  # CoreDNS's view (network/coredns.py), for lookups in exec'd commands
        self._init_authorization()

    # -- helpers --------------------------------------------------------------------------

    def timestamp(self) -> str:
        """The current virtual time as `metav1.Time` (formatted once per whole second: every
        write stamps it, often many writes in the same second)."""
        second = int(self.clock.now)
        last = self._last_stamp
        if last[0] != second or last[2] is not self.epoch:
            last = self._last_stamp = (second, rfc3339(self.epoch, second), self.epoch)
        return last[1]

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
        outer, self._requester = self._requester, user
        revision, authorized = self.store.revision, False
        try:
            self._authorize(user, verb, resource, namespace, name)  # from caches: no etcd needed
            authorized = True
            if not self.storage_ready():
                raise StorageUnavailable("etcdserver: request timed out")
            result = fn()
        except ApiError as exc:
            etcd = NOT_REACHED
            if isinstance(exc, StorageUnavailable):
                etcd = attempted(verb, resource, namespace, name)
            elif authorized:
                etcd = storage_request(self.store, revision, verb, resource, namespace, name, exc)
            self.audit.record(user, verb, resource, namespace, name, exc.code, etcd)
            raise
        finally:
            self._requester = outer
        etcd = storage_request(self.store, revision, verb, resource, namespace, name)
        self.audit.record(user, verb, resource, namespace, name or _name_of(result), ok_code, etcd)
        return result

    def _manager(self, user: User, field_manager: str | None) -> str:
        """The field manager: `?fieldManager=`, else the user agent's name as kube-apiserver takes it."""
        return field_manager or user.component.split("/")[0]

    def _put(self, plural: str, obj: Obj) -> Obj:
        if self.dry_running:
            return obj  # a dry run answers with what it would have stored
        self._rbac_changed(plural)
        self.watches.fanout(self.store.put(plural, obj, self.clock.now))
        return obj

    def _remove(self, plural: str, ns: str | None, name: str) -> Obj:
        if self.dry_running:
            gone = self.store.get(plural, ns, name)
            assert gone is not None
            return copy_json(gone)
        self._rbac_changed(plural)
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
        dry_run: bool = False,
    ) -> Obj:
        """`copy=False`: the caller promises not to mutate the returned (stored) object.
        `dry_run`: the whole pipeline runs but nothing is stored (`dry_run.py`)."""
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
            self.dry(
                dry_run,
                lambda: _maybe_copy(
                    self._create(kind, _decoded(user, obj), ns, self._manager(user, field_manager)), copy
                ),
            ),
            201,
        )

    def _create(self, kind: Kind, manifest: Obj, ns: str | None, manager: str | None) -> Obj:
        """`manager` None: the manifest's managedFields are already what they should be (apply)."""
        obj = copy_json(manifest)
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise BadRequest("metadata must be an object")
        requested_name = meta.get("name") or meta.get("generateName") or ""
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
        admission.admit_create(self, kind, obj, requested_name)
        self._guard_rbac(kind, obj, None)
        causes = validation.validate(kind.kind, obj, namespaced=kind.namespaced)
        if causes:
            raise invalid(kind.kind, kind.group, name, causes)
        admission.validate_create(self, kind, obj)
        if self.store.get(kind.plural, ns, name) is not None:
            raise already_exists(kind.plural, kind.group, name)
        if kind.kind == "Service":
            services.allocate(self.rng, self.store.iter("services"), obj)
        meta["uid"] = new_uid(self.rng)
        meta["creationTimestamp"] = self.timestamp()
        if kind.kind in GENERATION_KINDS:
            meta["generation"] = 1
        if manager:
            record_update(None, obj, manager, kind.api_version, self.timestamp())
        prepare_for_create(kind.kind, obj)
        self._put(kind.plural, obj)
        if kind.kind == "Event" and not self.dry_running:
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
        dry_run: bool = False,
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
            self.dry(
                dry_run,
                lambda: _maybe_copy(
                    self._update(kind, ns, name, _decoded(user, obj), subresource, manager=manager), copy
                ),
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
            # Only metadata (resourceVersion, managedFields) and status are written below; the
            # rest is shared with the stored object, which nothing mutates.
            new = dict(current)
            new["metadata"] = dict(current["metadata"])
            if "status" in incoming:
                new["status"] = incoming["status"] if owned else copy_json(incoming["status"])
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
            if kind.kind == "Service":
                services.carry_allocated(current, new)
            apply_defaults(kind.kind, new)
            admission.admit_update(self, kind, current, new)
            causes = validation.validate(kind.kind, new, namespaced=kind.namespaced)
            causes += immutable_causes(kind.kind, current, new)
            if causes:
                raise invalid(kind.kind, kind.group, name, causes)
            admission.validate_update(self, kind, current, new)
            self._guard_rbac(kind, new, current)
            prepare_for_update(kind.kind, current, new)
            if kind.kind == "Service":
                services.allocate(self.rng, self.store.iter("services"), new, current)
            if "generation" in cur_meta and new.get("spec") != current.get("spec"):
                new_meta["generation"] = cur_meta["generation"] + 1
        new["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        if new == current:
            return current  # a no-op update writes nothing and keeps the resourceVersion
        if manager:
            sub = managed_sub or subresource
            record_update(current, new, manager, kind.api_version, self.timestamp(), sub)
        if _finalized(new["metadata"]):
            return self._remove(kind.plural, ns, name)
        self._put(kind.plural, new)
        if kind.kind == "Event" and not self.dry_running:
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
        dry_run: bool = False,
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
            if patch_type == "merge" and subresource == "status" and isinstance(patch, dict):
                # the status path of `_update` keeps only the merged status (and reads the
                # metadata): no need to copy the rest of the stored object first
                merged = merge_patch_shared(current, patch)
                if isinstance(merged.get("metadata"), dict):
                    merged["metadata"] = dict(merged["metadata"])
            else:
                merged = apply_patch(patch_type, current, patch)
            merged_meta = merged.setdefault("metadata", {})
            if current["metadata"].get("resourceVersion") == merged_meta.get("resourceVersion"):
                merged_meta.pop("resourceVersion")  # only a patch that names a resourceVersion checks it
            merged["apiVersion"], merged["kind"] = kind.api_version, kind.kind
            manager = self._manager(user, field_manager)
            stored = self._update(kind, ns, name, merged, subresource, owned=True, manager=manager)
            return _maybe_copy(stored, copy)

        return self._audited(user, "patch", res, ns, name, self.dry(dry_run, run), 201 if creating else 200)

    def delete(
        self,
        user: User,
        resource: str,
        name: str,
        namespace: str | None = None,
        grace_period_seconds: int | None = None,
        propagation_policy: str | None = None,
        uid_precondition: str | None = None,
        *,
        dry_run: bool = False,
    ) -> Obj:
        kind = resolve(resource)
        ns = self._namespace_for(kind, namespace)

        def run() -> Obj:
            return self._delete(kind, ns, name, grace_period_seconds, propagation_policy, uid_precondition)

        return self._audited(user, "delete", kind.plural, ns, name, self.dry(dry_run, run))

    def _delete(
        self,
        kind: Kind,
        ns: str | None,
        name: str,
        grace_period_seconds: int | None,
        propagation_policy: str | None,
        uid_precondition: str | None,
    ) -> Obj:
        gc_finalizer = finalizer_for(propagation_policy, kind.plural)
        current = self._must_get(kind, ns, name)
        if uid_precondition and current["metadata"].get("uid") != uid_precondition:
            raise Conflict(
                f'Operation cannot be fulfilled on {kind.qualified} "{name}": Precondition failed: '
                f"UID in precondition: {uid_precondition}, UID in object meta: "
                f"{current['metadata'].get('uid')}"
            )
        if kind.kind == "Namespace" and name in SYSTEM_NAMESPACES[:3]:
            raise Forbidden(f'namespaces "{name}" is forbidden: this namespace may not be deleted')
        admission.check_delete(kind, name)
        grace = grace_period(kind.kind, current, grace_period_seconds)
        meta = current["metadata"]
        if kind.kind == "Namespace" and (current.get("spec") or {}).get("finalizers"):
            if meta.get("deletionTimestamp"):
                return copy_json(current)
            new = copy_json(current)
            new["metadata"]["deletionTimestamp"] = self.timestamp()
            new["status"] = {"phase": "Terminating"}
            return copy_json(self._put(kind.plural, new))
        if grace > 0 or meta.get("finalizers") or gc_finalizer:
            if meta.get("deletionTimestamp") and (grace >= (meta.get("deletionGracePeriodSeconds") or 0)):
                return copy_json(current)  # already terminating; nothing shortens
            new = copy_json(current)
            if gc_finalizer and gc_finalizer not in (meta.get("finalizers") or []):
                new["metadata"]["finalizers"] = [*(meta.get("finalizers") or []), gc_finalizer]
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
        """Events live `EVENT_TTL_SECONDS` after their last write (kube-apiserver's
        `--event-ttl`, 1 h). The TTL is the same for all, so expiries come in write order: they
        wait in a queue behind one timer rather than a timer each."""
        key = (ns, name)
        due = round(self.clock.now + EVENT_TTL_SECONDS, 6)  # as the clock rounds its timers
        self._event_expiry[key] = due
        self._expiry_queue.append((due, key))
        if self._expiry_timer is None:
            self._expiry_timer = self.clock.call_at(due, self._expire_events)

    def _expire_events(self) -> None:
        self._expiry_timer = None
        now, queue = self.clock.now, self._expiry_queue
        while queue and queue[0][0] <= now:
            due, key = queue.popleft()
            if self._event_expiry.get(key) != due:
                continue  # written again since: a later entry expires it
            del self._event_expiry[key]
            change = self.store.remove("events", key[0], key[1], now)
            if change is not None:
                self.watches.fanout(change)
        if queue:
            self._expiry_timer = self.clock.call_at(queue[0][0], self._expire_events)


def _finalized(meta: Obj) -> bool:
    """An update left a deleted object with no finalizers and no grace period to wait out (a
    terminating pod stays until its kubelet deletes it with grace 0)."""
    return (
        bool(meta.get("deletionTimestamp"))
        and not meta.get("finalizers")
        and not meta.get("deletionGracePeriodSeconds")
    )


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
