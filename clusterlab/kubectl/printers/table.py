"""kubectl's human-readable tables: a server `Table` laid out by Go's text/tabwriter.

kubectl asks the API server for `meta.k8s.io/v1 Table` and prints its cells; it decides only
the layout: upper-cased headers, priority-0 columns unless `-o wide`, an added NAMESPACE
column for `-A`, `-L` label columns and a LABELS column for `--show-labels`, `kind/` before
names when several kinds print together, a string cell cut at its first newline with `...`
appended. The layout is `printers.GetNewTabWriter`: tabwriter with minwidth 6, tab width 4,
padding 3, pad character ' ', no flags, so a column is as wide as its widest cell + 3 (at
least 6) and a row's last cell is never padded.

Simplified: no `--sort-by`; a server that sends no Table gets kubectl's fallback columns
NAME and AGE (AGE from the `now` the caller gives, else `<unknown>`).
"""

from __future__ import annotations

from typing import Any

from .tabwriter import tabwriter

MIN_WIDTH = 6
PADDING = 3


def tabwrite(lines: list[list[str]]) -> str:
    """Rows of cells through Go's tabwriter with kubectl's table settings (6, padding 3)."""
    return tabwriter("".join("\t".join(row) + "\n" for row in lines), MIN_WIDTH, PADDING)


def escape(text: str) -> str:
    """Keep terminal control characters out of a cell (kubectl's `WriteEscaped`)."""
    if all(c.isprintable() for c in text):
        return text
    return "".join(c if c.isprintable() else f"^{chr(ord(c) + 64)}" if ord(c) < 32 else "?" for c in text)


def cell_text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, str):
        for i, c in enumerate(cell):
            if c in "\n\r\f":
                return escape(cell[:i]) + "..."
        return escape(cell)
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, (dict, list)):
        return escape(_go_sprint(cell))
    return escape(str(cell))


def _go_sprint(value: Any) -> str:
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_go_sprint(v)}" for k, v in sorted(value.items())) + "]"
    if isinstance(value, list):
        return "[" + " ".join(_go_sprint(v) for v in value) + "]"
    if value is None:
        return "<nil>"
    return cell_text(value)


def format_labels(labels: dict[str, str] | None) -> str:
    """`labels.FormatLabels`: sorted `k=v` joined by commas, `<none>` when empty."""
    if not labels:
        return "<none>"
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def render_table(
    table: dict[str, Any],
    *,
    wide: bool = False,
    no_headers: bool = False,
    with_namespace: bool = False,
    kind_prefix: str = "",
    show_labels: bool = False,
    label_columns: tuple[str, ...] = (),
) -> list[list[str]]:
    """The rows (header first unless `no_headers`) kubectl would print for a `Table`."""
    columns = table.get("columnDefinitions") or []
    keep = [i for i, c in enumerate(columns) if wide or not c.get("priority")]
    rows = table.get("rows") or []
    out: list[list[str]] = []
    if not no_headers:
        header = [str(columns[i].get("name", "")).upper() for i in keep]
        if with_namespace:
            header.insert(0, "NAMESPACE")
        header += [c.rsplit("/", 1)[-1].upper() for c in label_columns]
        if show_labels:
            header.append("LABELS")
        out.append(header)
    name_col = next((i for i, c in enumerate(columns) if c.get("format") == "name"), 0)
    for row in rows:
        cells = row.get("cells") or []
        meta = ((row.get("object") or {}).get("metadata")) or {}
        line = []
        for i in keep:
            text = cell_text(cells[i]) if i < len(cells) else ""
            if kind_prefix and i == name_col:
                text = f"{kind_prefix}/{text}"
            line.append(text)
        if with_namespace:
            line.insert(0, escape(meta.get("namespace", "")))
        labels = meta.get("labels") or {}
        line += [escape(labels.get(c, "")) for c in label_columns]
        if show_labels:
            line.append(escape(format_labels(labels)))
        out.append(line)
    return out


def fallback_table(items: list[dict[str, Any]], now: Any = None) -> dict[str, Any]:
    """kubectl's default columns (NAME, AGE) for a server that answered without a Table."""
    from .ages import age

    return {
        "columnDefinitions": [
            {"name": "Name", "type": "string", "format": "name", "priority": 0},
            {"name": "Age", "type": "string", "format": "", "priority": 0},
        ],
        "rows": [
            {
                "cells": [o.get("metadata", {}).get("name", ""), age(o, now)],
                "object": {"metadata": o.get("metadata", {})},
            }
            for o in items
        ],
    }
