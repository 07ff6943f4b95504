"""Reading manifests the way `kubectl apply -f` does: YAML or JSON, one or many documents.

`load_documents` accepts a YAML/JSON string (several documents separated by `---`, empty
documents skipped, `kind: List` expanded) or already-parsed dicts, and returns plain dicts.
Malformed input raises BadRequest with the parser's line and column, never anything else.
"""

from __future__ import annotations

from typing import Any

import yaml

from .errors import BadRequest

Obj = dict[str, Any]
MAX_MANIFEST_BYTES = 3 * 1024 * 1024  # the API server's request body limit


def load_documents(source: str | Obj | list[Obj]) -> list[Obj]:
    if isinstance(source, dict):
        docs: list[Any] = [source]
    elif isinstance(source, list):
        docs = list(source)
    else:
        if len(source.encode()) > MAX_MANIFEST_BYTES:
            raise BadRequest("the manifest is larger than 3 MiB, the API server's request size limit")
        try:
            docs = list(yaml.safe_load_all(source))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or str(exc)
            raise BadRequest(f"error parsing manifest{where}: {problem}") from exc
    out: list[Obj] = []
    for i, doc in enumerate(docs):
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise BadRequest(
                f"error validating data: document {i + 1} is a {type(doc).__name__}, not an object"
            )
        if doc.get("kind") == "List" and isinstance(doc.get("items"), list):
            out.extend(load_documents(doc["items"]))
            continue
        out.append(doc)
    return out
