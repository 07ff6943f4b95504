"""Shared informers: list+watch caches, as client-go's SharedInformer provides them.

An informer lists a resource once through the API server, then watches from the list's
resourceVersion, keeping a local cache that controllers read instead of asking the API server
(the "lister"). Registered handlers are told of every add/update/delete; level-triggered
controllers use them only to enqueue a key. Cached objects are shared and must not be
mutated: copy before changing (client-go's `DeepCopy()` rule).

If the initial list fails (the API server is down), the informer retries it as client-go's
reflector does, backing off from 0.8 s to 30 s.

Simplified: no periodic resync (controllers here requeue themselves on the virtual clock when
they need to look again); watches are not broken by an API server outage (nothing can change
while it is down, so a re-list would find what the cache holds); no jitter on the backoff.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .apiserver import APIServer
from .audit import User
from .clock import Timer
from .errors import ApiError
from .store import DELETED
from .watch import Watch

Obj = dict[str, Any]
LIST_BACKOFF_INITIAL = 0.8
LIST_BACKOFF_MAX = 30.0
IndexFunc = Callable[[Obj], list[str]]


def key_of(obj: Obj) -> str:
    """`cache.MetaNamespaceKeyFunc`: `namespace/name`, or `name` for cluster-scoped objects."""
    meta = obj["metadata"]
    ns = meta.get("namespace")
    return f"{ns}/{meta['name']}" if ns else meta["name"]


class Informer:
    def __init__(
        self,
        server: APIServer,
        user: User,
        resource: str,
        *,
        namespace: str | None = None,
        field_selector: str | None = None,
        label_selector: str | None = None,
    ) -> None:
        self.server = server
        self.user = user
        self.resource = resource
        self.namespace = namespace
        self.field_selector = field_selector
        self.label_selector = label_selector
        self.cache: dict[str, Obj] = {}
        self._handlers: list[
            tuple[
                Callable[[Obj], None] | None, Callable[[Obj, Obj], None] | None, Callable[[Obj], None] | None
            ]
        ] = []
        self._indexers: dict[str, IndexFunc] = {}
        self._indices: dict[str, dict[str, dict[str, Obj]]] = {}
        self._watch: Watch | None = None
        self._retry: Timer | None = None
        self._backoff = LIST_BACKOFF_INITIAL
        self.synced = False

    def add_handler(
        self,
        on_add: Callable[[Obj], None] | None = None,
        on_update: Callable[[Obj, Obj], None] | None = None,
        on_delete: Callable[[Obj], None] | None = None,
    ) -> None:
        self._handlers.append((on_add, on_update, on_delete))

    def add_index(self, name: str, fn: IndexFunc) -> None:
        self._indexers[name] = fn
        self._indices[name] = {}

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        self._retry = None
        try:
            items, rv = self.server.list(
                self.user, self.resource, self.namespace, self.label_selector, self.field_selector, copy=False
            )
        except ApiError:
            self._retry = self.server.clock.call_later(self._backoff, self.start)
            self._backoff = min(self._backoff * 2, LIST_BACKOFF_MAX)
            return
        self._backoff = LIST_BACKOFF_INITIAL
        for obj in items:
            self._store(obj)
        self.synced = True
        for obj in items:
            for on_add, _, _ in self._handlers:
                if on_add:
                    on_add(obj)
        self._watch = self.server.watch(
            self.user,
            self.resource,
            self._on_event,
            self.namespace,
            self.label_selector,
            self.field_selector,
            rv,
        )

    @property
    def retrying(self) -> bool:
        """The list failed and another attempt is scheduled."""
        return self._retry is not None

    def stop(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        if self._watch is not None:
            self._watch.stop()
            self._watch = None
        self.cache.clear()
        for idx in self._indices.values():
            idx.clear()
        self.synced = False

    # -- cache ----------------------------------------------------------------------------

    def _store(self, obj: Obj) -> Obj | None:
        key = key_of(obj)
        old = self.cache.get(key)
        if old is not None:
            self._unindex(key, old)
        self.cache[key] = obj
        for name, fn in self._indexers.items():
            for value in fn(obj):
                self._indices[name].setdefault(value, {})[key] = obj
        return old

    def _unindex(self, key: str, obj: Obj) -> None:
        for name, fn in self._indexers.items():
            for value in fn(obj):
                bucket = self._indices[name].get(value)
                if bucket is not None:
                    bucket.pop(key, None)
                    if not bucket:
                        del self._indices[name][value]

    def _on_event(self, etype: str, obj: Obj) -> None:
        key = key_of(obj)
        if etype == DELETED:
            old = self.cache.pop(key, None)
            if old is not None:
                self._unindex(key, old)
            for _, _, on_delete in self._handlers:
                if on_delete:
                    on_delete(old if old is not None else obj)
            return
        old = self._store(obj)
        for on_add, on_update, _ in self._handlers:
            if old is None:
                if on_add:
                    on_add(obj)
            elif on_update:
                on_update(old, obj)

    def get(self, key: str) -> Obj | None:
        return self.cache.get(key)

    def list(self) -> list[Obj]:
        return list(self.cache.values())

    def by_index(self, name: str, value: str) -> list[Obj]:
        return list(self._indices[name].get(value, {}).values())
