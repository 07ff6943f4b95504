"""PATCH bodies, as kube-apiserver applies them to the stored object (`endpoints/handlers/patch.go`).

Three of the four patch types the API server accepts live here (server-side apply, the fourth,
tracks field ownership and lives in `server_side_apply.py`):

- `merge` — JSON merge patch (RFC 7386, `application/merge-patch+json`): maps merge, `null`
  deletes, every list is replaced whole. What `kubectl scale` and `kubectl patch --type=merge`
  send.
- `json` — JSON patch (RFC 6902, `application/json-patch+json`): a list of `add`, `remove`,
  `replace`, `move`, `copy`, `test` operations, applied by the `jsonpatch` library. A failing
  operation is a 422 with only the API server's generic message, as kube-apiserver answers; the
  reason, worded as Kubernetes' evanphx/json-patch words it, is kept on the exception.
- `strategic` — strategic merge patch (`application/strategic-merge-patch+json`), Kubernetes'
  own: lists of objects merge by their `patchMergeKey` from the Go struct tags (containers by
  `name`, volumeMounts by `mountPath`, ports by `containerPort`, conditions by `type`,
  ownerReferences by `uid`…), lists without one (tolerations, args, taints) are replaced, and the
  directives `$patch: replace|delete|merge`, `$retainKeys`, `$setElementOrder/<list>` and
  `$deleteFromPrimitiveList/<list>` steer the merge. `kubectl apply` (client-side), `cordon`,
  `label`, `annotate` and `set image` send these.

Simplified: the strategic-merge schema is keyed by field name (exact for every kind the engine
serves, where no two fields of the same name merge differently), and `$setElementOrder` places
the server-only list items after the ordered ones instead of interleaving them.
"""

from __future__ import annotations

import json
from typing import Any

import jsonpatch
import jsonpointer

from .errors import BadRequest, Invalid, unsupported_media_type
from .jsonutil import copy_json, merge_patch

Obj = dict[str, Any]
PATCH_TYPES = ("merge", "strategic", "json", "apply")
CONTENT_TYPES = {
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/json-patch+json": "json",
    "application/apply-patch+yaml": "apply",
}

# patchMergeKey of the list fields of the served kinds (k8s.io/api struct tags).
MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "ports": "containerPort",
    "imagePullSecrets": "name",
    "conditions": "type",
    "ownerReferences": "uid",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
    "schedulingGates": "name",
    "addresses": "type",
    "podIPs": "ip",
    "hostIPs": "ip",
    "resizePolicy": "resourceName",
}
# A Service's `ports` share the field name with a container's but merge by `port`
# (`ServicePort`'s patchMergeKey); the items themselves say which list it is.
SERVICE_PORT_KEY = "port"


def _merge_key(field: str, *lists: list[Any]) -> str | None:
    key = MERGE_KEYS.get(field)
    if field == "ports":
        items = [i for items in lists for i in items if isinstance(i, dict)]
        if (
            items
            and not any("containerPort" in i for i in items)
            and any(SERVICE_PORT_KEY in i for i in items)
        ):
            return SERVICE_PORT_KEY
    return key


# Lists of scalars with patchStrategy "merge": the patch's items are added (a set union).
MERGED_PRIMITIVE_LISTS = frozenset({"finalizers"})

DIRECTIVE = "$patch"
RETAIN_KEYS = "$retainKeys"
SET_ORDER = "$setElementOrder/"
DELETE_PRIMITIVE = "$deleteFromPrimitiveList/"


def apply_patch(patch_type: str, current: Obj, patch: Any) -> Obj:
    """The object `current` becomes under `patch` of `patch_type` (`merge`, `strategic`, `json`)."""
    if patch_type == "json":
        return json_patch(current, patch)
    if not isinstance(patch, dict):
        raise BadRequest(
            f"json: cannot unmarshal {_go_json_type(patch)} into Go value of type map[string]interface {{}}"
        )
    if patch_type == "merge":
        result = merge_patch(current, patch)
        return result if isinstance(result, dict) else {}
    if patch_type == "strategic":
        return strategic_merge_patch(current, patch)
    raise unsupported_media_type()


# --- RFC 6902 -------------------------------------------------------------------------------


def json_patch(doc: Obj, ops: Any) -> Obj:
    """Apply an RFC 6902 patch with `jsonpatch`; errors are worded as kube-apiserver words them."""
    if not isinstance(ops, list):
        raise BadRequest(f"json: cannot unmarshal {_go_json_type(ops)} into Go value of type jsonpatch.Patch")
    for op in ops:
        if not isinstance(op, dict):
            raise BadRequest(
                f"json: cannot unmarshal {_go_json_type(op)} into Go value of type jsonpatch.Operation"
            )
    work: Any = copy_json(doc)
    for op in ops:
        try:
            work = jsonpatch.JsonPatch([op]).apply(work, in_place=True)
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
            raise _json_patch_failed(_op_error(op)) from exc
    if not isinstance(work, dict):
        raise _json_patch_failed("the patched document is not an object")
    return work


def _op_error(op: Obj) -> str:
    """The evanphx/json-patch message (the library Kubernetes uses) for a failed operation."""
    kind, path = str(op.get("op")), str(op.get("path", ""))
    if kind not in ("add", "remove", "replace", "move", "copy", "test"):
        return f"Unexpected kind: {kind}"
    if kind == "test":
        return f"testing value {path} failed: test failed"
    if kind in ("move", "copy"):
        return (
            f"{kind} operation does not apply: doc is missing from path: {op.get('from', '')}: missing value"
        )
    if kind in ("add", "remove"):
        return f'{kind} operation does not apply: doc is missing path: "{path}": missing value'
    return f"replace operation does not apply: doc is missing path: {path}: missing value"


def _json_patch_failed(reason: str) -> Invalid:
    """`NewGenericServerResponse(422, ..., isUnexpectedResponse=false)`: kube-apiserver answers with
    its generic message only (the library's reason is dropped from the Status); the reason is
    kept on the exception as `patch_error` for the lab's own explanations."""
    err = Invalid("the server rejected our request due to an error in our request")
    err.patch_error = reason
    return err


def _go_json_type(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if value is None:
        return "null"
    return "number"


# --- strategic merge patch ------------------------------------------------------------------


def strategic_merge_patch(original: Obj, patch: Obj) -> Obj:
    """`strategicpatch.StrategicMergePatch` over plain JSON, with the served kinds' merge keys."""
    result = _merge_map(copy_json(original), patch)
    return result if result is not None else {}


def _merge_map(original: Obj, patch: Obj) -> Obj | None:
    """Merge `patch` into `original` (owned, mutated); None means `$patch: delete`."""
    directive = patch.get(DIRECTIVE)
    if directive is not None:
        if directive == "delete":
            return None
        if directive == "replace":
            return _strip(patch)
        if directive != "merge":
            raise BadRequest(f"Unknown patch type: {directive}")
    retain = patch.get(RETAIN_KEYS)
    if retain is not None:
        if not isinstance(retain, list):
            raise BadRequest("invalid patch format for retainKeys")
        for key in [k for k in original if k not in retain]:
            del original[key]
    orders: dict[str, list[Any]] = {}
    for key, value in patch.items():
        if key.startswith(SET_ORDER):
            orders[key[len(SET_ORDER) :]] = value if isinstance(value, list) else []
        elif key.startswith(DELETE_PRIMITIVE):
            field = key[len(DELETE_PRIMITIVE) :]
            if isinstance(original.get(field), list) and isinstance(value, list):
                original[field] = [v for v in original[field] if v not in value]
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        if value is None:
            original.pop(key, None)
            continue
        current = original.get(key)
        if isinstance(value, dict):
            merged = _merge_map(current if isinstance(current, dict) else {}, value)
            if merged is None:
                original.pop(key, None)
            else:
                original[key] = merged
        elif isinstance(value, list):
            original[key] = _merge_list(key, current if isinstance(current, list) else [], value)
        else:
            original[key] = value
    for key, order in orders.items():
        if isinstance(original.get(key), list):
            original[key] = _ordered(key, original[key], order)
    return original


def _merge_list(field: str, original: list[Any], patch: list[Any]) -> list[Any]:
    merge_key = _merge_key(field, original, patch)
    if field in MERGED_PRIMITIVE_LISTS:
        out = list(original)
        out += [v for v in patch if v not in out]
        return out
    if merge_key is None or not all(isinstance(p, dict) for p in patch):
        return [_strip(p) if isinstance(p, dict) else copy_json(p) for p in patch]
    if any(p.get(DIRECTIVE) == "replace" for p in patch):
        return [_strip(p) for p in patch if p.get(DIRECTIVE) != "replace"]
    out = [copy_json(o) for o in original]
    for item in patch:
        if merge_key not in item:
            raise BadRequest(f"map: {_go_map(item)} does not contain declared merge key: {merge_key}")
        idx = next(
            (i for i, o in enumerate(out) if isinstance(o, dict) and o.get(merge_key) == item[merge_key]),
            None,
        )
        if item.get(DIRECTIVE) == "delete":
            if idx is not None:
                del out[idx]
            continue
        if idx is None:
            out.append(_strip(item))
        else:
            merged = _merge_map(out[idx], item)
            if merged is None:
                del out[idx]
            else:
                out[idx] = merged
    return out


def _ordered(field: str, items: list[Any], order: list[Any]) -> list[Any]:
    """`$setElementOrder`: the listed items in the listed order, the others after them."""
    merge_key = _merge_key(field, items, order)

    def ident(v: Any) -> Any:
        return json.dumps(v.get(merge_key) if merge_key and isinstance(v, dict) else v, sort_keys=True)

    rank = {ident(o): i for i, o in enumerate(order)}
    listed = sorted((v for v in items if ident(v) in rank), key=lambda v: rank[ident(v)])
    return listed + [v for v in items if ident(v) not in rank]


def _strip(value: Any) -> Any:
    """A patch fragment with its directives removed, as it lands in the object."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if not k.startswith("$") and v is not None}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _go_map(item: Obj) -> str:
    return "map[" + " ".join(f"{k}:{v}" for k, v in sorted(item.items())) + "]"
