"""What kube-apiserver's decoder refuses before any validation: a body whose JSON types do not
fit the kind's Go types (400), and with `?fieldValidation=Strict` (kubectl's default) fields
the kind does not have (400, `strict decoding error: unknown field "spec.replicass"`).

The check runs against Kubernetes' own v1.32 OpenAPI schemas (`engine/schema.py`). Missing
required fields and bad values are left to the engine's validation (422), as the real server
leaves them to its. For merge, strategic and JSON patches the object the patch would produce is
checked, so a patch cannot smuggle a wrong type past the decoder either.
"""

from __future__ import annotations

from typing import Any

from .errors import ApiError, BadRequest
from .jsonutil import copy_json
from .kinds import Kind
from .patching import apply_patch
from .schema import SchemaProblem, schema_problems

Obj = dict[str, Any]
UNKNOWN_FIELD = "unknown field"


def _type_problem(problem: SchemaProblem) -> bool:
    return problem.message.startswith("expected ")


def check_body(obj: Obj, *, strict: bool) -> list[str]:
    """400 if ``obj`` (with apiVersion and kind) has a wrong type anywhere, or (``strict``) an
    unknown field. Otherwise unknown fields are dropped from ``obj`` in place, as decoding into
    the Go types drops them, and their paths are returned for the client's warnings."""
    problems = schema_problems(obj)
    kind, api_version = str(obj.get("kind")), str(obj.get("apiVersion"))
    version = api_version.rsplit("/", 1)[-1]
    prefix = f'{kind} in version "{version}" cannot be handled as a {kind}: '
    wrong = [p for p in problems if _type_problem(p)]
    if wrong:
        details = "; ".join(f"{p.field}: {p.message}" for p in wrong[:5])
        raise BadRequest(prefix + details)
    unknown = [p for p in problems if p.message == UNKNOWN_FIELD]
    if strict and unknown:
        fields = ", ".join(f'unknown field "{p.field}"' for p in unknown[:10])
        raise BadRequest(prefix + "strict decoding error: " + fields)
    for p in unknown:
        _drop(obj, p.path)
    return [p.field for p in unknown]


def _drop(obj: Any, path: tuple[str | int, ...]) -> None:
    parent = obj
    for key in path[:-1]:
        try:
            parent = parent[key]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(parent, dict):
        parent.pop(path[-1], None)


def strict(query: dict[str, str]) -> bool:
    """`?fieldValidation=Strict` (kubectl's default); `Warn` (the server default) and `Ignore`
    let unknown fields through."""
    return query.get("fieldValidation", "").lower() == "strict"


def check_patch(current: Obj | None, kind: Kind, patch_type: str, body: Any, *, strict: bool) -> list[str]:
    """400 if applying a merge, strategic or JSON ``body`` to ``current`` would give a wrong type
    somewhere, or (``strict``) add an unknown field; problems ``current`` already had are not the
    patch's. Returns the unknown fields the patch adds (warnings when not strict). Patches the
    engine itself refuses (bad JSON-patch operations, a missing object) are left to it."""
    if current is None or patch_type == "apply":
        return []
    try:
        candidate = apply_patch(patch_type, copy_json(current), body)
    except ApiError:
        return []
    except (TypeError, AttributeError, KeyError, IndexError, ValueError) as exc:
        raise BadRequest(f"the patch could not be applied to {kind.qualified}: {exc}") from exc
    if not isinstance(candidate, dict):
        raise BadRequest(f"the patch does not leave {kind.qualified} an object")
    candidate = dict(candidate)
    candidate["apiVersion"], candidate["kind"] = current.get("apiVersion"), current.get("kind")
    before = {(p.path, p.message) for p in schema_problems(current)}
    added = [p for p in schema_problems(candidate) if (p.path, p.message) not in before]
    wrong = [p for p in added if _type_problem(p)]
    unknown = [p for p in added if p.message == UNKNOWN_FIELD]
    version = str(current.get("apiVersion")).rsplit("/", 1)[-1]
    name = current.get("kind")
    prefix = f'{name} in version "{version}" cannot be handled as a {name}: '
    if wrong:
        raise BadRequest(prefix + "; ".join(f"{p.field}: {p.message}" for p in wrong[:5]))
    if strict and unknown:
        fields = ", ".join(f'unknown field "{p.field}"' for p in unknown[:10])
        raise BadRequest(prefix + "strict decoding error: " + fields)
    return [p.field for p in unknown]
