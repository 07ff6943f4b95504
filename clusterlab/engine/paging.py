"""Chunked lists: `?limit=` and `?continue=`, as kube-apiserver pages a large collection.

A client asks for at most `limit` items; the server answers in a stable order (by namespace,
then name — etcd's key order), with `metadata.continue`, an opaque token for the next chunk,
and `metadata.remainingItemCount` when the list is unfiltered. The token carries the list's
resourceVersion and the key to start after; every chunk reports that same resourceVersion.
Once etcd has compacted that revision (5 minutes here, as kube-apiserver's default), the token
has expired: 410 Gone, with a fresh token in the Status to go on inconsistently.

Simplified: later chunks are read from current state (the engine keeps no MVCC snapshots), so
objects created or deleted between chunks can appear or vanish, as after an expired token.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .errors import BadRequest, Gone
from .jsonutil import copy_json
from .kinds import Kind, resolve
from .selectors import parse_field_selector, parse_label_selector

if TYPE_CHECKING:
    from .audit import User
    from .store import Store

Obj = dict[str, Any]
TOKEN_VERSION = "meta.k8s.io/v1"
EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. You can start "
    "a new list without the continue parameter, or use the continue token in this response to "
    "retrieve the remainder of the results. Continuing with the provided token results in an "
    "inconsistent list - objects that were created, modified, or deleted between the time the first "
    "chunk was returned and now may show up in the list."
)


def key(obj: Obj) -> str:
    """An object's storage key below its resource prefix: `namespace/name`, or `name`."""
    meta = obj["metadata"]
    ns = meta.get("namespace")
    return f"{ns}/{meta['name']}" if ns else str(meta["name"])


def encode_continue(start_after: str, rv: int) -> str:
    """`storage.EncodeContinue`: base64 of `{"v":"meta.k8s.io/v1","rv":N,"start":"<key>\\u0000"}`."""
    body = json.dumps({"v": TOKEN_VERSION, "rv": rv, "start": start_after + "\x00"}, separators=(",", ":"))
    return base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")


def decode_continue(token: str) -> tuple[str, int]:
    """The key to start at and the list revision; BadRequest for a token that is not one."""
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        if data.get("v") != TOKEN_VERSION:
            raise ValueError(
                "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
            )
        start, rv = str(data["start"]), int(data["rv"])
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        message = str(exc) if str(exc).startswith("continue key") else "continue key is not valid"
        raise BadRequest(f"invalid continue token: {message}") from exc
    if rv <= 0:
        raise BadRequest(
            "invalid continue token: continue key is not valid: incorrect encoded start resourceVersion"
        )
    return start, rv


def page(
    items: list[Obj],
    *,
    revision: int,
    compacted: int,
    limit: int | None,
    continue_token: str | None,
    filtered: bool,
) -> tuple[list[Obj], str, str | None, int | None]:
    """One chunk of `items` (already filtered): (items, list RV, continue token, remaining count)."""
    ordered = sorted(items, key=key)
    list_rv = revision
    if continue_token:
        start, list_rv = decode_continue(continue_token)
        start = start.rstrip("\x00")
        ordered = [o for o in ordered if key(o) > start]
        if list_rv < compacted:
            # The consistent snapshot is gone; offer a token to go on from here at the current RV.
            err = Gone(EXPIRED)
            err.list_continue = encode_continue(start, revision)
            raise err
    if limit is None or limit <= 0 or len(ordered) <= limit:
        return ordered, str(list_rv), None, None
    chunk = ordered[:limit]
    token = encode_continue(key(chunk[-1]), list_rv)
    remaining = None if filtered else len(ordered) - limit
    return chunk, str(list_rv), token, remaining


class ListVerbs:
    """Mixed into `APIServer`: `list` and its chunked form `list_page`."""

    store: Store
    _audited: Callable[..., Any]

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
            return self._select(kind, namespace, label_selector, field_selector, copy), str(
                self.store.revision
            )

        return self._audited(user, "list", kind.plural, namespace if kind.namespaced else None, "", run)

    def _select(
        self,
        kind: Kind,
        namespace: str | None,
        label_selector: str | None,
        field_selector: str | None,
        copy: bool,
    ) -> list[Obj]:
        labels = parse_label_selector(label_selector)
        fields = parse_field_selector(field_selector, kind.fields, kind.kind)
        items = [
            o
            for o in self.store.iter(kind.plural, namespace if kind.namespaced else None)
            if (labels.empty() or labels.matches(o["metadata"].get("labels")))
            and (not fields.requirements or fields.matches(o, kind.fields))
        ]
        return [copy_json(o) for o in items] if copy else items

    def list_page(
        self,
        user: User,
        resource: str,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        *,
        limit: int | None = None,
        continue_token: str | None = None,
    ) -> tuple[list[Obj], str, str | None, int | None]:
        """A chunked list (`?limit=&continue=`): items, list RV, continue token, remainingItemCount."""
        kind = resolve(resource)

        def run() -> tuple[list[Obj], str, str | None, int | None]:
            items = self._select(kind, namespace, label_selector, field_selector, False)
            chunk, rv, token, remaining = page(
                items,
                revision=self.store.revision,
                compacted=self.store.compacted,
                limit=limit,
                continue_token=continue_token,
                filtered=bool(label_selector or field_selector),
            )
            return [copy_json(o) for o in chunk], rv, token, remaining

        return self._audited(user, "list", kind.plural, namespace if kind.namespaced else None, "", run)
