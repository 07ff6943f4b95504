"""The schemas of the lab's kinds, as `components.schemas` of the OpenAPI v3 documents.

kube-apiserver publishes one OpenAPI v3 document per group version (`/openapi/v3/api/v1`,
`/openapi/v3/apis/apps/v1`, ...). Its `components.schemas` hold every type the group version's
resources use, named by Go package and type (`io.k8s.api.core.v1.PodSpec`); a top-level type
carries `x-kubernetes-group-version-kind`, fields point at their types with `allOf: [{$ref}]`
(a `$ref` may not have siblings such as `description` in OpenAPI 3.0), and `required` lists
the required fields. `kubectl explain` renders exactly this: it finds the kind by its
group-version-kind, walks the field path through the references and prints type names
(`<PodSpec>`, `<[]Container>`, `<map[string]string>`) and descriptions.

The definitions come from the `kubernetes-validate` package's Kubernetes 1.32 JSON schemas,
which are the API's own OpenAPI definitions rewritten as JSON Schema: this module rewrites
them back (`type: [string, "null"]` → `type: string`, `#/$defs/…` → `#/components/schemas/…`,
the `apiVersion`/`kind` enums the rewrite added are dropped).

Simplified: the JSON Schema rewrite does not keep enum values, so fields with a fixed set of
values (`restartPolicy`) have no `enum` and their descriptions lack the "Possible enum values"
list that a real 1.32 server appends; `default` values are not published either.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

Obj = dict[str, Any]

#: The Kubernetes release whose API definitions the lab serves.
SCHEMA_RELEASE = "v1.32.0-local"
_REF_PREFIX = "#/components/schemas/"


@cache
def _definitions() -> dict[str, Obj]:
    """Every API type definition of the release, by its OpenAPI name."""
    root = resources.files("kubernetes_validate") / "kubernetes-json-schema" / SCHEMA_RELEASE
    data = json.loads((root / "_definitions.json").read_text(encoding="utf-8"))
    return dict(data["$defs"])


@cache
def _by_gvk() -> dict[tuple[str, str, str], str]:
    out: dict[tuple[str, str, str], str] = {}
    for name, schema in _definitions().items():
        for gvk in schema.get("x-kubernetes-group-version-kind") or ():
            out.setdefault((gvk.get("group", ""), gvk.get("version", ""), gvk.get("kind", "")), name)
    return out


def definition_name(group: str, version: str, kind: str) -> str | None:
    """`io.k8s.api.apps.v1.Deployment` for (apps, v1, Deployment); None for a type the release
    does not define."""
    return _by_gvk().get((group, version, kind))


@cache
def schemas_for(kinds: tuple[tuple[str, str, str], ...]) -> Obj:
    """`components.schemas` of a group version serving ``kinds`` ((group, version, kind), ...):
    each kind, its list, and every type they reference, in OpenAPI v3 form."""
    wanted: list[str] = []
    for group, version, kind in kinds:
        for k in (kind, f"{kind}List"):
            name = definition_name(group, version, k)
            if name is not None:
                wanted.append(name)
    defs = _definitions()
    seen: set[str] = set()
    while wanted:
        name = wanted.pop()
        if name in seen or name not in defs:
            continue
        seen.add(name)
        wanted.extend(_refs(defs[name]))
    return {name: _to_openapi(defs[name], top=True) for name in sorted(seen)}


def _refs(node: Any) -> list[str]:
    if isinstance(node, list):
        return [r for item in node for r in _refs(item)]
    if not isinstance(node, dict):
        return []
    found = [str(node["$ref"]).rsplit("/", 1)[-1]] if isinstance(node.get("$ref"), str) else []
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            found += [r for schema in value.values() for r in _refs(schema)]
        elif key != "$ref":
            found += _refs(value)
    return found


def _to_openapi(schema: Any, *, top: bool = False) -> Any:
    """One JSON Schema node back in the API server's OpenAPI v3 form."""
    if isinstance(schema, list):
        return [_to_openapi(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: Obj = {}
    for key, value in schema.items():
        if key == "$ref":
            continue
        if key == "type" and isinstance(value, list):
            types = [t for t in value if t != "null"]
            out[key] = types[0] if len(types) == 1 else types
        elif key == "properties" and isinstance(value, dict):
            out[key] = {field: _to_openapi(sub) for field, sub in value.items()}
        elif key == "x-kubernetes-group-version-kind":
            out[key] = value
        else:
            out[key] = _to_openapi(value)
    if top and "x-kubernetes-group-version-kind" in out:
        for field in ("apiVersion", "kind"):
            (out.get("properties") or {}).get(field, {}).pop("enum", None)
    ref = schema.get("$ref")
    if isinstance(ref, str):
        target = {"$ref": _REF_PREFIX + ref.rsplit("/", 1)[-1]}
        if not out:
            return target
        out["allOf"] = [target]
    return out
