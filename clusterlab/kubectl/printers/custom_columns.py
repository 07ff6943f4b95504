"""`-o custom-columns=HEADER:JSONPATH,...`, as kubectl's CustomColumnsPrinter prints it.

Each column is a header and a relaxed JSONPath (`.metadata.name`, `metadata.name` and
`{.metadata.name}` all work); a cell joins the path's results with commas, prints maps and
lists as Go's `%v` does (`map[app:web]`), and reads `<none>` when nothing matched. The
layout is kubectl's table tabwriter (minwidth 6, padding 3).

Simplified: no `custom-columns-file`.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import CommandError
from . import jsonpath
from .table import _go_sprint, tabwrite

_RELAXED = re.compile(r"^\{?(\.?[^{}]*)\}?$")


def relaxed(path: str) -> str:
    """kubectl's `RelaxedJSONPathExpression`."""
    m = _RELAXED.match(path)
    if not m:
        raise CommandError(
            "unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or "
            "'{.name1.name2}'"
        )
    inner = m.group(1)
    return "{" + (inner if inner.startswith(".") else "." + inner) + "}"


def parse_spec(spec: str) -> list[tuple[str, list[Any]]]:
    columns = []
    for part in spec.split(","):
        header, sep, path = part.partition(":")
        if not sep:
            raise CommandError(f"unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>")
        try:
            nodes = jsonpath.parse(relaxed(path))
        except jsonpath.JSONPathError as exc:
            raise CommandError(f"error parsing jsonpath {path}, {exc}") from None
        columns.append((header, nodes))
    return columns


def _cell(nodes: list[Any], obj: Any) -> str:
    values: list[Any] = []
    for node in nodes:
        if isinstance(node, list):
            for part in node:
                values.extend([part] if isinstance(part, str) else jsonpath.evaluate(part, obj))
    if not values:
        return "<none>"
    return ",".join(_go_sprint(v) for v in values)


def render(spec: str, objects: list[dict[str, Any]], no_headers: bool = False) -> str:
    columns = parse_spec(spec)
    rows = [] if no_headers else [[h for h, _ in columns]]
    rows += [[_cell(nodes, obj) for _, nodes in columns] for obj in objects]
    return tabwrite(rows)
