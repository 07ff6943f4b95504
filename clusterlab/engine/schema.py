"""Schema validation of manifests against Kubernetes' own OpenAPI schemas (v1.32, strict).

The real API server decodes a request body against the resource's Go types; with
`fieldValidation=Strict` (kubectl's default since v1.27) an unknown or duplicated field is an
error, and a wrong type always is. The same information is in Kubernetes' OpenAPI schemas,
which `kubernetes-validate` ships offline for every release; this module validates against
the strict v1.32 schema and reports *every* problem with its field path, not just the first.

One validator per kind is built once and cached (the schema files are large), so a check
costs well under a millisecond. Kinds without a schema (none of the engine's) are skipped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema
from referencing import Registry, Resource

KUBERNETES_VERSION = "1.32.0"
_SCHEMA_DIR = f"kubernetes-json-schema/v{KUBERNETES_VERSION}-local-strict"


@dataclass(frozen=True)
class SchemaProblem:
    """One schema violation: where (a path of keys and indices) and what, in plain words."""

    path: tuple[str | int, ...]
    message: str

    @property
    def field(self) -> str:
        """`spec.template.spec.containers[0].image`, as Kubernetes writes field paths."""
        return field_path(self.path)


def field_path(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _load(name: str) -> Any:
    ref = resources.files("kubernetes_validate").joinpath(f"{_SCHEMA_DIR}/{name}")
    return json.loads(ref.read_text())


@lru_cache(maxsize=1)
def _registry() -> Registry:
    return Resource.from_contents(_load("_definitions.json")) @ Registry()


@lru_cache(maxsize=128)
def validator_for(api_version: str, kind: str) -> jsonschema.protocols.Validator | None:
    """The cached validator for a kind, or None if Kubernetes has no schema for it."""
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = _load(f"{kind.lower()}-{group_version}.json")
    except (FileNotFoundError, OSError):
        return None
    return jsonschema.Draft202012Validator(schema, registry=_registry())


def _describe(error: jsonschema.ValidationError) -> list[SchemaProblem]:
    path = tuple(error.absolute_path)
    validator = error.validator
    if validator == "additionalProperties":
        allowed = set((error.schema.get("properties") or {}).keys())
        extra = sorted(k for k in (error.instance or {}) if k not in allowed)
        return [SchemaProblem((*path, k), "unknown field") for k in extra]
    if validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        return [SchemaProblem((*path, m), "Required value") for m in missing] or [
            SchemaProblem(path, error.message)
        ]
    if validator == "type":
        wanted = error.validator_value
        wanted = [w for w in (wanted if isinstance(wanted, list) else [wanted]) if w != "null"]
        return [SchemaProblem(path, f"expected {' or '.join(wanted)}, got {json.dumps(error.instance)}")]
    if validator == "enum":
        values = ", ".join(json.dumps(v) for v in error.validator_value if v is not None)
        return [
            SchemaProblem(
                path, f"Unsupported value: {json.dumps(error.instance)}: supported values: {values}"
            )
        ]
    return [SchemaProblem(path, error.message)]


def schema_problems(obj: dict[str, Any]) -> list[SchemaProblem]:
    """Every way `obj` breaks its kind's strict schema, in document order."""
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return []
    validator = validator_for(api_version, kind)
    if validator is None:
        return []
    problems: list[SchemaProblem] = []
    for error in sorted(validator.iter_errors(obj), key=lambda e: [str(p) for p in e.absolute_path]):
        # anyOf/oneOf: "string or number" when every branch wanted another type, otherwise
        # the most specific sub-error.
        if error.context and all(e.validator == "type" for e in error.context):
            wanted: list[str] = []
            for e in error.context:
                for w in e.validator_value if isinstance(e.validator_value, list) else [e.validator_value]:
                    if w != "null" and w not in wanted:
                        wanted.append(w)
            got = json.dumps(error.instance)
            problems.append(
                SchemaProblem(tuple(error.absolute_path), f"expected {' or '.join(wanted)}, got {got}")
            )
        elif error.context:
            problems.extend(_describe(jsonschema.exceptions.best_match(error.context)))
        else:
            problems.extend(_describe(error))
    seen: set[tuple[tuple[str | int, ...], str]] = set()
    unique = []
    for p in problems:
        if (p.path, p.message) not in seen:
            seen.add((p.path, p.message))
            unique.append(p)
    return unique
