"""The patch `kubectl apply` (client-side) sends: a three-way strategic merge patch.

kubectl computes `CreateThreeWayMergePatch(original, modified, current)`: `original` is the
last-applied configuration stored in the live object's annotation, `modified` the new
manifest (carrying its own new annotation), `current` the live object. Changes and additions
come from current → modified (fields the manifest does not mention are left alone, so what
controllers and defaulting set survives), deletions from original → modified (a field the
user removed from the manifest is removed). Lists with a patch merge key (containers by
`name`, ports by `containerPort`, env by `name`...) merge element by element, with a
`$setElementOrder/<field>` directive and `{"$patch": "delete", <key>: ...}` for removed
elements; other lists are replaced whole. An empty patch means `unchanged`.

Simplified: merge keys come from a small table of the core workload fields rather than the
OpenAPI schema; `$retainKeys` and `$deleteFromPrimitiveList` are not produced.
"""

from __future__ import annotations

import json
from typing import Any

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "ports": "containerPort",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "conditions": "type",
    "ownerReferences": "uid",
}


def last_applied(manifest: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The object to send and its annotation text, as kubectl's `GetModifiedConfiguration`
    builds them: the manifest (annotation removed, `annotations: {}` kept) as compact JSON."""
    obj = json.loads(json.dumps(manifest))
    meta = obj.setdefault("metadata", {})
    annotations = dict(meta.get("annotations") or {})
    annotations.pop(LAST_APPLIED, None)
    meta["annotations"] = annotations
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n"
    meta["annotations"] = {**annotations, LAST_APPLIED: text}
    return obj, text


def three_way(original: Any, modified: Any, current: Any) -> dict[str, Any]:
    """The strategic merge patch taking `current` to `modified`, deleting what `original` had."""
    patch = _diff(current, modified, ignore_deletions=True)
    deletions = _deletions(original, modified)
    return _merge(patch, deletions)


def _diff(current: Any, modified: Any, ignore_deletions: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not isinstance(current, dict):
        current = {}
    for key, new in modified.items():
        old = current.get(key, _MISSING)
        if isinstance(new, dict) and isinstance(old, dict):
            sub = _diff(old, new, ignore_deletions)
            if sub:
                out[key] = sub
        elif isinstance(new, list) and isinstance(old, list) and key in MERGE_KEYS and _keyed(new, key):
            sub_list = _diff_list(old, new, MERGE_KEYS[key])
            if sub_list is not None:
                out[key] = sub_list
                out[f"$setElementOrder/{key}"] = [{MERGE_KEYS[key]: e[MERGE_KEYS[key]]} for e in new]
        elif old is _MISSING or old != new:
            out[key] = new
    return out


def _keyed(items: list[Any], field: str) -> bool:
    key = MERGE_KEYS[field]
    return all(isinstance(e, dict) and key in e for e in items)


def _diff_list(old: list[Any], new: list[Any], key: str) -> list[Any] | None:
    by_key = {e.get(key): e for e in old if isinstance(e, dict)}
    out = []
    for e in new:
        prev = by_key.get(e[key])
        if prev is None:
            out.append(e)
            continue
        sub = _diff(prev, e, True)
        if sub:
            out.append({**sub, key: e[key]})
    return out or None


def _deletions(original: Any, modified: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not isinstance(original, dict) or not isinstance(modified, dict):
        return out
    for key, old in original.items():
        if key not in modified:
            out[key] = None
        elif isinstance(old, dict) and isinstance(modified[key], dict):
            sub = _deletions(old, modified[key])
            if sub:
                out[key] = sub
        elif isinstance(old, list) and isinstance(modified[key], list) and key in MERGE_KEYS:
            k = MERGE_KEYS[key]
            if _keyed(old, key) and _keyed(modified[key], key):
                kept = {e[k] for e in modified[key]}
                gone = [{"$patch": "delete", k: e[k]} for e in old if e[k] not in kept]
                if gone:
                    out[key] = gone
                    out[f"$setElementOrder/{key}"] = [{k: e[k]} for e in modified[key]]
    return out


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for key, value in b.items():
        if key in out and isinstance(out[key], dict) and isinstance(value, dict):
            out[key] = _merge(out[key], value)
        elif (
            key in out and isinstance(out[key], list) and isinstance(value, list) and not key.startswith("$")
        ):
            out[key] = [*out[key], *value]
        else:
            out[key] = value
    return out


class _Missing:
    pass


_MISSING = _Missing()
