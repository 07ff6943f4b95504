"""Server-side apply (`PATCH` with `application/apply-patch+yaml`, `kubectl apply --server-side`).

The client sends its whole intended configuration; the API server merges it into the live
object (creating the object if it does not exist) and records that this manager now owns
exactly the fields of that configuration (`operation: Apply` in `metadata.managedFields`):

- **Conflicts.** Setting a field another manager owns to a *different* value is refused with
  409 Conflict — `Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using
  apps/v1: .spec.replicas` — unless the request says `force=true`, which takes the field over.
  Setting it to the value it already has makes the field shared.
- **Removal.** Fields this manager applied before and leaves out now are removed from the
  object, unless another manager also owns them (then they stay, owned by the others).
- **Merging.** Maps merge, lists of keyed items (containers by name, ports by containerPort and
  protocol…) merge item by item, other lists and atomic structs (label selectors) are replaced.

Simplified: structured-merge-diff's schema is reduced to the field-name table in
`managed_fields.py`; the order of merged list items keeps the live order, new items last;
`null` in an applied configuration is ignored.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .errors import BadRequest, Conflict
from .jsonutil import copy_json
from .kinds import Kind, for_object
from .managed_fields import (
    ATOMIC_STRUCTS,
    ITEM,
    LIST_MAP_KEYS,
    SET_LISTS,
    Path,
    decode,
    encode,
    flatten,
    item_key,
    manager_id,
    new_entry,
    path_string,
)

if TYPE_CHECKING:
    from .apiserver import APIServer

Obj = dict[str, Any]


def server_side_apply(
    live: Obj | None, config: Obj, manager: str, api_version: str, time: str, *, force: bool = False
) -> Obj:
    """The object after `manager` applies `config` to `live` (None: create). Raises Conflict."""
    applied = flatten(config)
    me = new_entry(manager, "Apply", api_version, time, None)
    my_id = manager_id(me)
    others: list[tuple[Obj, set[Path]]] = []
    previous: set[Path] = set()
    for entry, paths in decode(live):
        if manager_id(entry) == my_id:
            previous = paths
        else:
            others.append((entry, paths))
    current = flatten(live)
    conflicts: list[tuple[Obj, Path]] = []
    for entry, paths in others:
        for path in sorted(paths & set(applied)):
            if applied[path] is not ITEM and current.get(path, ITEM) != applied[path]:
                conflicts.append((entry, path))
    if conflicts and not force:
        raise conflict_error(conflicts)
    taken = {p for _, p in conflicts}
    others = [(e, paths - taken) for e, paths in others]
    merged = _merge(copy_json(live) if live else {}, config, "")
    still_owned = set().union(*(paths for _, paths in others)) if others else set()
    for path in sorted(previous - set(applied), key=len, reverse=True):
        if not any(p[: len(path)] == path for p in still_owned):
            _remove(merged, path)
    meta = merged.setdefault("metadata", {})
    if live and not taken and previous == set(applied) and _same_but_ownership(merged, live):
        meta["managedFields"] = live["metadata"].get("managedFields")  # a no-op apply writes nothing
    else:
        meta["managedFields"] = encode([*others, (me, set(applied))])
    return merged


def _same_but_ownership(a: Obj, b: Obj) -> bool:
    strip = {"managedFields": None}
    return {**a, "metadata": {**a["metadata"], **strip}} == {**b, "metadata": {**b["metadata"], **strip}}


def apply_to(
    server: APIServer, kind: Kind, ns: str | None, name: str, config: Any, manager: str, force: bool
) -> Obj:
    """The apply PATCH: merge `config` into the stored object, or create it from `config`."""
    if not isinstance(config, dict):
        raise BadRequest("error decoding YAML: the applied configuration must be an object")
    applied = for_object(config)
    if applied is not kind:
        raise BadRequest(f"the kind in the data ({config.get('kind')}) does not match the URL ({kind.kind})")
    meta = config.get("metadata") or {}
    if meta.get("name") not in (None, name):
        raise BadRequest(
            f"the name of the object ({meta.get('name')}) does not match the name on the URL ({name})"
        )
    if meta.get("namespace") and ns and meta["namespace"] != ns:
        raise BadRequest(
            "the namespace of the provided object does not match the namespace sent on the request"
        )
    config = copy_json(config)
    config.setdefault("metadata", {})["name"] = name
    live = server.store.get(kind.plural, ns, name)
    merged = server_side_apply(live, config, manager, kind.api_version, server.timestamp(), force=force)
    if live is None:
        return server._create(kind, merged, ns, None)
    merged["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]
    return server._update(kind, ns, name, merged, None, owned=True)


def conflict_error(conflicts: list[tuple[Obj, Path]]) -> Conflict:
    """`internal.NewConflictError`: one conflict on one line, several grouped by manager."""
    causes = [
        {"reason": "FieldManagerConflict", "message": f"conflict with {_manager(e)}", "field": path_string(p)}
        for e, p in conflicts
    ]
    if len(conflicts) == 1:
        entry, path = conflicts[0]
        message = f"Apply failed with 1 conflict: conflict with {_manager(entry)}: {path_string(path)}"
    else:
        by_manager: dict[str, list[str]] = {}
        for entry, path in conflicts:
            by_manager.setdefault(_manager(entry), []).append(path_string(path))
        lines = []
        for name in sorted(by_manager):
            lines.append(f"conflicts with {name}:")
            lines += [f"- {p}" for p in by_manager[name]]
        message = f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
    return Conflict(message, details={"causes": causes})


def _manager(entry: Obj) -> str:
    """`printManager`: `"kubectl"`, or `"kubelet" with subresource "status" using v1` for updates."""
    text = f'"{entry.get("manager", "")}"'
    if entry.get("subresource"):
        text += f' with subresource "{entry["subresource"]}"'
    if entry.get("operation") == "Update":
        text += f" using {entry.get('apiVersion', '')}"
    return text


def _merge(live: Any, config: Any, field: str) -> Any:
    if isinstance(config, dict) and field not in ATOMIC_STRUCTS:
        out = live if isinstance(live, dict) else {}
        for key, value in config.items():
            if value is not None:
                out[key] = _merge(out.get(key), value, key)
        return out
    if isinstance(config, list) and field in LIST_MAP_KEYS and all(isinstance(i, dict) for i in config):
        out_list = [i for i in live if isinstance(i, dict)] if isinstance(live, list) else []
        for item in config:
            key = item_key(field, item)
            idx = next((n for n, o in enumerate(out_list) if item_key(field, o) == key), None)
            if idx is None:
                out_list.append(copy_json(item))
            else:
                out_list[idx] = _merge(out_list[idx], item, "")
        return out_list
    if isinstance(config, list) and field in SET_LISTS:
        members = list(live) if isinstance(live, list) else []
        return members + [m for m in config if m not in members]
    return copy_json(config)


def _remove(obj: Obj, path: Path) -> None:
    """Delete the field, list item or set member at `path`, if it is there."""
    node: Any = obj
    for n, element in enumerate(path):
        last = n == len(path) - 1
        kind, _, rest = element.partition(":")
        field = path[n - 1].partition(":")[2] if n else ""
        if kind == "f":
            if not isinstance(node, dict) or rest not in node:
                return
            if last:
                del node[rest]
                return
            node = node[rest]
        elif kind == "k" and isinstance(node, list):
            idx = next(
                (i for i, o in enumerate(node) if isinstance(o, dict) and item_key(field, o) == element), None
            )
            if idx is None:
                return
            if last:
                del node[idx]
                return
            node = node[idx]
        elif kind == "v" and isinstance(node, list):
            value = json.loads(rest)
            if value in node:
                node.remove(value)
            return
        else:
            return
