"""The engine calls the API makes beyond plain get/create/update/delete, in one place, so the
dispatcher reads as HTTP → verb and any change of an engine signature is absorbed here."""

from __future__ import annotations

from typing import Any

from clusterlab.engine.apiserver import APIServer
from clusterlab.engine.audit import User
from clusterlab.engine.kinds import Kind
from clusterlab.engine.pod_logs import LogOptions, LogReader
from clusterlab.engine.subresources import to_scale

Obj = dict[str, Any]


def exists(server: APIServer, kind: Kind, name: str, namespace: str | None) -> bool:
    """Is the object stored? (A peek at storage, not a request: nothing is audited.)"""
    return server.store.get(kind.plural, namespace if kind.namespaced else None, name) is not None


def stored(server: APIServer, kind: Kind, name: str, namespace: str | None) -> Obj | None:
    """The stored object itself (not a copy, not audited): for read-only checks only."""
    return server.store.get(kind.plural, namespace if kind.namespaced else None, name)


def stored_scale(server: APIServer, kind: Kind, name: str, namespace: str | None) -> Obj | None:
    """The Scale the stored object would answer with (not audited), for read-only checks."""
    obj = stored(server, kind, name, namespace)
    return None if obj is None else to_scale(obj)


def list_page(
    server: APIServer,
    user: User,
    kind: Kind,
    namespace: str | None,
    label_selector: str | None,
    field_selector: str | None,
    *,
    limit: int | None,
    continue_token: str | None,
) -> tuple[list[Obj], str, str | None, int | None]:
    """(items, resourceVersion, continue token, remaining item count)."""
    return server.list_page(
        user,
        kind.plural,
        namespace,
        label_selector,
        field_selector,
        limit=limit,
        continue_token=continue_token,
    )


def get_scale(server: APIServer, user: User, kind: Kind, name: str, namespace: str | None) -> Obj:
    return server.get_scale(user, kind.plural, name, namespace)


def update_scale(
    server: APIServer,
    user: User,
    kind: Kind,
    name: str,
    namespace: str | None,
    scale: Obj,
    field_manager: str | None = None,
    *,
    dry_run: bool = False,
) -> Obj:
    return server.update_scale(
        user, kind.plural, name, scale, namespace, field_manager=field_manager, dry_run=dry_run
    )


def open_pod_log(server: APIServer, user: User, name: str, namespace: str, options: LogOptions) -> LogReader:
    return server.open_pod_log(user, name, namespace, options)


def evict(
    server: APIServer, user: User, name: str, namespace: str, eviction: Obj, *, dry_run: bool = False
) -> Obj:
    return server.evict(user, name, namespace, eviction, dry_run=dry_run)
