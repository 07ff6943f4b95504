"""Field ownership: `metadata.managedFields`, as kube-apiserver's field manager keeps it.

Every write records which *manager* (the `fieldManager` query parameter, defaulted from the
client's user agent: `kubectl-client-side-apply`, `kube-controller-manager`, `kubelet`…) set
which fields, in the FieldsV1 format `kubectl get -o yaml --show-managed-fields` shows:
`{"f:spec": {"f:replicas": {}}}` for fields, `k:{"name":"nginx"}` for an item of a list keyed by
name, `v:"x"` for a member of a set-like list, `.` for the item itself. An `Update` (create,
update, merge/strategic/json patch) takes the fields it changed, from whoever owned them; an
`Apply` (server-side apply) owns exactly the fields of its configuration and may conflict
(`server_side_apply.py`). Entries are sorted as the API server sorts them: operation, time,
manager.

Simplified: the list and map semantics (`listType=map` keys, atomic structs) come from a table
keyed by field name, covering the served kinds; the `.` marker is written for list items only,
not for optional maps and pointer structs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from .jsonutil import copy_json

Obj = dict[str, Any]
Path = tuple[str, ...]

# listType=map with their listMapKeys (k8s.io/api): one `k:{...}` element per item.
LIST_MAP_KEYS: dict[str, tuple[str, ...]] = {
    "containers": ("name",),
    "initContainers": ("name",),
    "ephemeralContainers": ("name",),
    "env": ("name",),
    "volumes": ("name",),
    "volumeMounts": ("mountPath",),
    "volumeDevices": ("devicePath",),
    "ports": ("containerPort", "protocol"),
    "imagePullSecrets": ("name",),
    "conditions": ("type",),
    "ownerReferences": ("uid",),
    "hostAliases": ("ip",),
    "topologySpreadConstraints": ("topologyKey", "whenUnsatisfiable"),
    "schedulingGates": ("name",),
    "resourceClaims": ("name",),
    "addresses": ("type",),
    "podIPs": ("ip",),
    "hostIPs": ("ip",),
}
SET_LISTS = frozenset({"finalizers"})  # listType=set: one `v:<json>` element per member
ATOMIC_STRUCTS = frozenset({"selector", "labelSelector", "namespaceSelector"})
# Never owned: what the server sets, or identifies the object.
STRIPPED_META = frozenset(
    {
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "managedFields",
        "selfLink",
    }
)
ITEM = object()  # the flattened value of a list item or set member: present


def item_key(field: str, item: Obj) -> str:
    """`k:{"containerPort":80,"protocol":"TCP"}`: the keys of a list-map item, compact JSON."""
    keys = {}
    for k in LIST_MAP_KEYS[field]:
        value = item.get(k)
        if value is None and field == "ports" and k == "protocol":
            value = "TCP"  # defaulted before the field manager sees the object
        if value is not None:
            keys[k] = value
    return "k:" + json.dumps(keys, separators=(",", ":"))


def flatten(obj: Obj | None) -> dict[Path, Any]:
    """Every owned path of an object with its value (`ITEM` for list items and set members)."""
    out: dict[Path, Any] = {}
    if not obj:
        return out
    for key, value in obj.items():
        if key in ("apiVersion", "kind"):
            continue
        if key == "metadata" and isinstance(value, dict):
            meta = {k: v for k, v in value.items() if k not in STRIPPED_META}
            if meta:
                _walk(meta, ("f:metadata",), "metadata", out)
        else:
            _walk(value, ("f:" + key,), key, out)
    return out


def _walk(value: Any, path: Path, field: str, out: dict[Path, Any]) -> None:
    if isinstance(value, dict) and value and field not in ATOMIC_STRUCTS:
        for k, v in value.items():
            _walk(v, (*path, "f:" + k), k, out)
    elif isinstance(value, list) and field in LIST_MAP_KEYS and all(isinstance(i, dict) for i in value):
        for item in value:
            p = (*path, item_key(field, item))
            out[p] = ITEM
            for k, v in item.items():
                _walk(v, (*p, "f:" + k), k, out)
    elif isinstance(value, list) and field in SET_LISTS:
        for member in value:
            out[(*path, "v:" + json.dumps(member, separators=(",", ":")))] = ITEM
    else:
        out[path] = value


# --- FieldsV1 <-> path sets -------------------------------------------------------------------


def to_fields_v1(paths: Iterable[Path]) -> Obj:
    tree: Obj = {}
    for path in sorted(paths):
        node = tree
        for element in path:
            node = node.setdefault(element, {})
    _mark_items(tree, set(map(tuple, paths)), ())
    return _sorted(tree)


def _mark_items(node: Obj, members: set[Path], path: Path) -> None:
    for key, child in node.items():
        if key == ".":
            continue
        p = (*path, key)
        if child and p in members:
            child["."] = {}
        _mark_items(child, members, p)


def from_fields_v1(tree: Obj, path: Path = ()) -> set[Path]:
    out: set[Path] = set()
    for key, child in (tree or {}).items():
        if key == ".":
            out.add(path)
            continue
        p = (*path, key)
        if not child or list(child) == ["."]:
            out.add(p)
        else:
            out |= from_fields_v1(child, p)
    return out


def path_string(path: Path) -> str:
    """structured-merge-diff's `Path.String()`: `.spec.containers[name="nginx"].image`."""
    out = []
    for element in path:
        kind, _, rest = element.partition(":")
        if kind == "f":
            out.append("." + rest)
        elif kind == "k":
            keys = json.loads(rest)
            out.append("[" + ",".join(f"{k}={json.dumps(v)}" for k, v in keys.items()) + "]")
        elif kind == "v":
            out.append(f"[={rest}]")
    return "".join(out)


# --- entries ------------------------------------------------------------------------------------


def manager_id(entry: Obj) -> tuple[str, str, str, str]:
    """`BuildManagerIdentifier`: appliers are one manager whatever apiVersion they used."""
    op = entry.get("operation", "")
    return (
        entry.get("manager", ""),
        op,
        "" if op == "Apply" else entry.get("apiVersion", ""),
        entry.get("subresource", ""),
    )


def decode(obj: Obj | None) -> list[tuple[Obj, set[Path]]]:
    entries = ((obj or {}).get("metadata") or {}).get("managedFields") or []
    return [(e, from_fields_v1(e.get("fieldsV1") or {})) for e in entries if isinstance(e, dict)]


def encode(entries: list[tuple[Obj, set[Path]]]) -> list[Obj]:
    """Entries with fields, in the API server's order (operation, time, manager, apiVersion)."""
    out = []
    for entry, paths in entries:
        if not paths:
            continue
        e = {k: v for k, v in entry.items() if k not in ("fieldsType", "fieldsV1", "subresource")}
        e["fieldsType"] = "FieldsV1"
        e["fieldsV1"] = to_fields_v1(paths)
        if entry.get("subresource"):
            e["subresource"] = entry["subresource"]
        out.append(e)
    out.sort(key=lambda e: (e["operation"], e.get("time") or "", e["manager"], e.get("apiVersion", "")))
    return out


def new_entry(manager: str, operation: str, api_version: str, time: str, subresource: str | None) -> Obj:
    entry: Obj = {"manager": manager, "operation": operation, "apiVersion": api_version, "time": time}
    if subresource:
        entry["subresource"] = subresource
    return entry


def record_update(
    old: Obj | None, new: Obj, manager: str, api_version: str, time: str, subresource: str | None = None
) -> None:
    """An `Update` by `manager`: it owns what it changed, and takes it from everyone else.

    Works on the FieldsV1 trees directly and only walks the parts of the object that changed:
    the kubelet and the controllers write often, and this runs on every write."""
    if old is None:  # a create: the manager owns everything the object has
        tree = _tree(_owned(new), "")
        meta = new.setdefault("metadata", {})
        if tree:
            entry = new_entry(manager, "Update", api_version, time, subresource)
            meta["managedFields"] = [{**entry, "fieldsType": "FieldsV1", "fieldsV1": tree}]
        return
    changed: dict[Path, Any] = {}
    removed: dict[Path, Any] = {}
    _diff(_owned(old), _owned(new), (), "", changed, removed)
    touched = [*changed, *removed]
    me = new_entry(manager, "Update", api_version, time, subresource)
    my_id = manager_id(me)
    entries: list[Obj] = []
    mine: Obj | None = None
    for entry in ((old if old is not None else new).get("metadata") or {}).get("managedFields") or ():
        if manager_id(entry) == my_id:
            mine = entry
            continue
        tree = entry.get("fieldsV1") or {}
        hits = [p for p in touched if _contains(tree, p)]
        if hits:
            tree = copy_json(tree)
            for p in hits:
                _discard(tree, p)
            if not tree:
                continue
            entry = {**entry, "fieldsV1": tree}
        entries.append(entry)
    tree = (mine or {}).get("fieldsV1") or {}
    adds = [p for p in changed if not _contains(tree, p)]
    drops = [p for p in removed if _contains(tree, p)]
    if adds or drops:  # copy-on-write: stored trees are shared by every copy of the object
        tree = copy_json(tree)
        for p in adds:
            _add(tree, p)
        for p in drops:
            _discard(tree, p)
        tree = _sorted(tree)
    if tree:
        entry = {**me, "fieldsType": "FieldsV1", "fieldsV1": tree}
        if subresource:
            entry["subresource"] = entry.pop("subresource")
        entries.append(entry)
    entries.sort(key=lambda e: (e["operation"], e.get("time") or "", e["manager"], e.get("apiVersion", "")))
    meta = new.setdefault("metadata", {})
    if entries:
        meta["managedFields"] = entries
    else:
        meta.pop("managedFields", None)


# Objects made from one template (a ReplicaSet's pods, a component's events) own the same
# fields, so most of their FieldsV1 trees are alike. Stored trees are never mutated (an update
# copies a tree before changing it), so the trees a create builds are hash-consed: a subtree
# equal to one built before — same keys, same (already shared) children — is that one. Keys
# hold the ids of children the table keeps alive; it is emptied whole when full.
_SHARED: dict[tuple[tuple[str, int], ...], Obj] = {}
SHARED_MAX = 65536


def _shared(tree: Obj) -> Obj:
    key = tuple([(k, id(v)) for k, v in tree.items()])
    known = _SHARED.get(key)
    if known is not None:
        return known
    if len(_SHARED) >= SHARED_MAX:
        _SHARED.clear()
    _SHARED[key] = tree
    return tree


def _tree(value: Any, field: str) -> Obj:
    """The FieldsV1 tree of everything in `value`, built in one pass (sorted as the server sorts);
    its subtrees are shared with equal ones (`_shared`): never mutate it, copy it."""
    if isinstance(value, dict) and value and field not in ATOMIC_STRUCTS:
        return _shared({"f:" + k: _tree(value[k], k) for k in sorted(value)})
    if isinstance(value, list) and field in LIST_MAP_KEYS and all(isinstance(i, dict) for i in value):
        items = {item_key(field, i): i for i in value}
        return _shared({key: _shared({".": _LEAF, **_tree(items[key], "")}) for key in sorted(items)})
    if isinstance(value, list) and field in SET_LISTS:
        return _shared({"v:" + json.dumps(m, separators=(",", ":")): _LEAF for m in value})
    return _LEAF


_LEAF: Obj = {}  # every leaf of every tree a create builds: one shared empty map (never mutated)


def _owned(obj: Obj | None) -> Obj:
    """The part of an object fields are owned in: no apiVersion/kind, no server-set metadata."""
    if not obj:
        return {}
    out = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in STRIPPED_META}
    if meta:
        out["metadata"] = meta
    return out


def _diff(
    old: Any, new: Any, path: Path, field: str, changed: dict[Path, Any], removed: dict[Path, Any]
) -> None:
    if old is new or old == new:
        return
    maps = isinstance(old, dict) and isinstance(new, dict) and field not in ATOMIC_STRUCTS
    if maps and ((old and new) or not path):  # an empty map is a leaf, except the object itself
        for k, v in new.items():
            if k in old:
                _diff(old[k], v, (*path, "f:" + k), k, changed, removed)
            else:
                _walk(v, (*path, "f:" + k), k, changed)
        for k in old.keys() - new.keys():
            _walk(old[k], (*path, "f:" + k), k, removed)
        return
    if (
        isinstance(old, list)
        and isinstance(new, list)
        and field in LIST_MAP_KEYS
        and all(isinstance(i, dict) for i in old + new)
    ):
        before = {item_key(field, i): i for i in old}
        after = {item_key(field, i): i for i in new}
        for key, item in after.items():
            p = (*path, key)
            if key in before:
                _diff(before[key], item, p, "", changed, removed)
            else:
                changed[p] = ITEM
                for k, v in item.items():
                    _walk(v, (*p, "f:" + k), k, changed)
        for key in before.keys() - after.keys():
            p = (*path, key)
            removed[p] = ITEM
            for k, v in before[key].items():
                _walk(v, (*p, "f:" + k), k, removed)
        return
    was: dict[Path, Any] = {}
    now: dict[Path, Any] = {}
    _walk(old, path, field, was)
    _walk(new, path, field, now)
    missing = object()
    changed.update((p, v) for p, v in now.items() if was.get(p, missing) != v)
    removed.update((p, v) for p, v in was.items() if p not in now)


def _sorted(tree: Obj) -> Obj:
    """FieldsV1 in structured-merge-diff's order (`.` first, then fields, keys, values by name),
    reordered in place."""
    if tree:
        items = sorted(tree.items(), key=_order)
        tree.clear()
        for k, child in items:
            tree[k] = _sorted(child)
    return tree


def _order(item: tuple[str, Obj]) -> str:
    return item[0]  # "." < "f:" < "k:" < "v:" in plain string order


def _contains(tree: Obj, path: Path) -> bool:
    node: Obj | None = tree
    for element in path:
        node = node.get(element) if node is not None else None
        if node is None:
            return False
    return not node or "." in node


def _add(tree: Obj, path: Path) -> None:
    node = tree
    for element in path:
        child = node.get(element)
        if child is None:
            child = node[element] = {}
        elif not child and element != path[-1]:
            child["."] = {}  # it was a member leaf; keep it a member now that it has children
        node = child
    if node:
        node["."] = {}


def _discard(tree: Obj, path: Path) -> None:
    trail: list[tuple[Obj, str]] = []
    node = tree
    for element in path:
        if element not in node:
            return
        trail.append((node, element))
        node = node[element]
    if [k for k in node if k != "."]:
        node.pop(".", None)
        return
    parent, key = trail.pop()
    del parent[key]
    while trail and not parent:
        parent, key = trail.pop()
        if parent[key]:
            break
        del parent[key]
