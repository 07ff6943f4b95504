"""Check a manifest before applying it: every problem, with the line it is on.

What the YAML editor shows while the learner types: YAML syntax errors (with the parser's
line), objects without `apiVersion`/`kind`/`metadata.name`, kinds this cluster does not serve,
every strict-schema violation (unknown fields, wrong types, missing required fields — see
`schema.py`) and every semantic rule the API server enforces (`validation.py`: names,
selectors matching template labels, enum values, quantities). Field paths are mapped back to
lines through the YAML node tree, so each problem points at the line to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from . import validation
from .conversion import storage_form
from .defaulting import apply_defaults
from .errors import ApiError
from .jsonutil import copy_json
from .kinds import for_object
from .manifests import MAX_MANIFEST_BYTES
from .schema import field_path, schema_problems

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    document: int  # 1-based position among the file's documents
    line: int | None  # 1-based line in the whole text
    field: str  # `spec.replicas`, or "" for the document as a whole
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        field = f"{self.field}: " if self.field else ""
        return f"{where}{field}{self.message}"


def _lines(node: yaml.Node, path: Path, out: dict[Path, int]) -> None:
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, str(key.value))
            out[child] = key.start_mark.line + 1
            _lines(value, child, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _lines(item, (*path, i), out)


def _parse_field(field: str) -> Path:
    """`spec.containers[0].name` → ("spec", "containers", 0, "name")."""
    out: list[str | int] = []
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", field):
        out.append(int(part[1:-1]) if part.startswith("[") else part)
    return tuple(out)


def _line_for(path: Path, lines: dict[Path, int]) -> int | None:
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


def check_manifest(text: str) -> list[Problem]:
    """All problems of a (multi-document) manifest; an empty list means it would be accepted."""
    if len(text.encode()) > MAX_MANIFEST_BYTES:
        return [
            Problem(1, None, "", "the manifest is larger than 3 MiB, the API server's request size limit")
        ]
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
        docs = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        document = text[: mark.index].count("\n---") + 1 if mark else 1
        return [Problem(document, mark.line + 1 if mark else None, "", f"YAML: {problem}")]
    problems: list[Problem] = []
    for index, (node, doc) in enumerate(zip(nodes, docs, strict=True), start=1):
        if node is None or doc is None:
            continue
        lines: dict[Path, int] = {}
        _lines(node, (), lines)
        problems += _check_document(index, doc, lines)
    return problems


def _check_document(index: int, doc: Any, lines: dict[Path, int]) -> list[Problem]:
    first = lines.get(())
    if not isinstance(doc, dict):
        return [Problem(index, first, "", f"expected an object (a mapping), got {type(doc).__name__}")]
    try:
        stored = storage_form(doc)  # another served version (autoscaling/v1) is checked as stored
        kind = for_object(stored)
    except ApiError as exc:
        field = "kind" if "kind" in exc.message or "no matches" in exc.message else "apiVersion"
        return [Problem(index, _line_for((field,), lines), "", exc.message)]
    problems = [Problem(index, _line_for(p.path, lines), p.field, p.message) for p in schema_problems(doc)]
    seen = {(p.field, p.message) for p in problems}
    meta = doc.get("metadata")
    if not isinstance(meta, dict) or not meta.get("name"):
        if ("metadata.name", "Required value") not in seen:
            problems.append(
                Problem(index, _line_for(("metadata",), lines), "metadata.name", "Required value")
            )
        return problems
    obj = copy_json(stored)
    try:
        apply_defaults(kind.kind, obj)
        causes = validation.validate(kind.kind, obj, namespaced=kind.namespaced)
    except (AttributeError, KeyError, TypeError, ValueError):
        # The semantic rules assume the shapes the schema guarantees: fix those first.
        return problems
    flagged = {p.field for p in problems}
    for field, message in causes:
        path = _parse_field(field)
        if field_path(path) not in flagged:  # the schema already said what is wrong there
            problems.append(Problem(index, _line_for(path, lines), field, message))
    return problems
