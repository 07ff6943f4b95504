"""kubectl's JSONPath templates (`-o jsonpath=...`), client-go's `util/jsonpath` dialect.

A template is text with `{...}` actions: paths (`.items[*].metadata.name`, `$.kind`,
`..name`, `['app.kubernetes.io/name']`, `.labels.app\\.kubernetes\\.io/name`), indexes and
slices (`[0]`, `[-1]`, `[1:3]`), wildcards (`[*]`, `.*`), filters (`[?(@.type=="Ready")]`,
`[?(@.spec.nodeName)]`, `==`/`!=`/`<`/`>`/`<=`/`>=`), unions (`{.a,.b}`), string literals
(`{"\\n"}`, `{'\\t'}`) and `{range ...}...{end}`. Each action's results print separated by
single spaces; strings and numbers print as text, maps and lists as compact JSON; text
between actions prints verbatim. Missing keys print nothing, as with kubectl's default
`--allow-missing-template-keys=true`.

Simplified: no `--allow-missing-template-keys=false` errors; filter operands are a path and
a literal (not two paths); map wildcards iterate in sorted key order.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any


class JSONPathError(ValueError):
    pass


@dataclass
class Path:
    segments: list[tuple[str, Any]]


@dataclass
class Range:
    path: Path
    body: list[Any] = field(default_factory=list)


Node = str | list[Path | str] | Range  # text, a union of paths/literals, a range


def parse(template: str) -> list[Node]:
    """Parse a template into nodes; raises JSONPathError worded as client-go's parser."""
    root: list[Node] = []
    stack: list[list[Node]] = [root]
    i = 0
    while i < len(template):
        start = template.find("{", i)
        if start < 0:
            stack[-1].append(template[i:])
            break
        if start > i:
            stack[-1].append(template[i:start])
        end = _action_end(template, start)
        inner = template[start + 1 : end].strip()
        i = end + 1
        if inner == "end":
            if len(stack) == 1:
                raise JSONPathError("not in range, nothing to end")
            stack.pop()
        elif re.match(r"range(?![\w-])", inner):
            node = Range(_parse_path(inner[5:].strip()))
            stack[-1].append(node)
            stack.append(node.body)
        else:
            stack[-1].append(_parse_union(inner))
    if len(stack) > 1:
        raise JSONPathError("unclosed range")
    return root


def _action_end(text: str, start: int) -> int:
    quote = ""
    depth = 0
    for j in range(start + 1, len(text)):
        c = text[j]
        if quote:
            if c == "\\":
                continue
            if c == quote and text[j - 1] != "\\":
                quote = ""
        elif c in "\"'":
            quote = c
        elif c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
        elif c == "}" and depth <= 0:
            return j
    raise JSONPathError("unterminated array" if depth > 0 else "unclosed action")


def _split_top(text: str, sep: str) -> list[str]:
    parts, depth, quote, cur = [], 0, "", ""
    for c in text:
        if quote:
            quote = "" if c == quote and not cur.endswith("\\") else quote
        elif c in "\"'":
            quote = c
        elif c in "[(":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == sep and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        cur += c
    parts.append(cur)
    return parts


def _parse_union(text: str) -> list[Path | str]:
    out: list[Path | str] = []
    for part in _split_top(text, ","):
        part = part.strip()
        if len(part) >= 2 and part[0] == part[-1] and part[0] in "\"'":
            out.append(_unquote(part))
        elif part:
            out.append(_parse_path(part))
    return out


def _unquote(text: str) -> str:
    body = text[1:-1]
    try:
        return json.loads('"' + body.replace('"', '\\"').replace("\\'", "'").replace('\\\\"', '\\"') + '"')
    except ValueError:
        return body


_FIELD_END = re.compile(r"(?:\\.|[^.\[\]\s,()=!<>])*")


def _parse_path(text: str) -> Path:
    segs: list[tuple[str, Any]] = []
    i = 0
    if text.startswith(("$", "@")):
        i = 1
    while i < len(text):
        c = text[i]
        if text.startswith("..", i):
            m = _FIELD_END.match(text, i + 2)
            assert m
            segs.append(("recursive", _unescape(m.group(0))))
            i = m.end()
        elif c == ".":
            m = _FIELD_END.match(text, i + 1)
            assert m
            name = _unescape(m.group(0))
            segs.append(("wildcard", None) if name == "*" else ("field", name))
            i = m.end()
        elif c == "[":
            end = _bracket_end(text, i)
            segs.append(_parse_bracket(text[i + 1 : end].strip()))
            i = end + 1
        elif c.isspace():
            i += 1
        else:
            raise JSONPathError(f"unrecognized character in action: {c}")
    return Path(segs)


def _bracket_end(text: str, start: int) -> int:
    depth, quote = 0, ""
    for j in range(start, len(text)):
        c = text[j]
        if quote:
            quote = "" if c == quote else quote
        elif c in "\"'":
            quote = c
        elif c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
            if depth == 0:
                return j
    raise JSONPathError("unterminated array")


def _unescape(name: str) -> str:
    return name.replace("\\.", ".")


_INT = re.compile(r"^-?\d*$")


def _parse_bracket(inner: str) -> tuple[str, Any]:
    if inner == "*":
        return ("wildcard", None)
    if inner.startswith("?(") and inner.endswith(")"):
        return ("filter", _parse_filter(inner[2:-1].strip()))
    if inner[:1] in "\"'":
        return ("fields", [_unquote(p.strip()) for p in _split_top(inner, ",")])
    parts = inner.split(":")
    if len(parts) == 1 and _INT.match(inner) and inner not in ("", "-"):
        return ("index", int(inner))
    if 2 <= len(parts) <= 3 and all(_INT.match(p.strip()) for p in parts):
        return ("slice", [int(p) if p.strip() not in ("", "-") else None for p in parts])
    raise JSONPathError(f"invalid array index {inner}")


_OPS = ("==", "!=", "<=", ">=", "<", ">")


def _parse_filter(text: str) -> tuple[Path, str, Any]:
    for op in _OPS:
        left, found, right = text.partition(op)
        if found:
            right = right.strip()
            value: Any
            if right[:1] in "\"'":
                value = _unquote(right)
            else:
                try:
                    value = float(right)
                except ValueError:
                    value = _parse_path(right)
            return (_parse_path(left.strip()), op, value)
    return (_parse_path(text), "exists", None)


def evaluate(path: Path, data: Any) -> list[Any]:
    values = [data]
    for kind, arg in path.segments:
        nxt: list[Any] = []
        for v in values:
            nxt.extend(_step(kind, arg, v))
        values = nxt
    return values


def _step(kind: str, arg: Any, v: Any) -> list[Any]:
    if kind == "field":
        return [v[arg]] if isinstance(v, dict) and arg in v else []
    if kind == "fields":
        return [v[a] for a in arg if isinstance(v, dict) and a in v]
    if kind == "wildcard":
        if isinstance(v, dict):
            return [v[k] for k in sorted(v)]
        return list(v) if isinstance(v, list) else []
    if kind == "index":
        if isinstance(v, list) and -len(v) <= arg < len(v):
            return [v[arg]]
        return []
    if kind == "slice":
        if not isinstance(v, list):
            return []
        start, stop, *step = arg + [None] * (3 - len(arg))
        return v[slice(start, stop, step[0] if step and step[0] else None)]
    if kind == "recursive":
        out: list[Any] = []
        _descend(v, arg, out)
        return out
    if kind == "filter":
        items = v if isinstance(v, list) else [v]
        return [item for item in items if _matches(item, *arg)]
    return []


def _descend(v: Any, name: str, out: list[Any]) -> None:
    if isinstance(v, dict):
        if name in v:
            out.append(v[name])
        for k in sorted(v):
            _descend(v[k], name, out)
    elif isinstance(v, list):
        for item in v:
            _descend(item, name, out)


def _matches(item: Any, left: Path, op: str, right: Any) -> bool:
    found = evaluate(left, item)
    if op == "exists":
        return bool(found)
    if not found:
        return False
    lhs = found[0]
    rhs = evaluate(right, item)[0] if isinstance(right, Path) and evaluate(right, item) else right
    a: Any
    b: Any
    if isinstance(rhs, float) and isinstance(lhs, (int, float)) and not isinstance(lhs, bool):
        a, b = float(lhs), rhs
    else:
        a, b = text(lhs), text(rhs) if not isinstance(rhs, float) else _num(rhs)
    try:
        return {
            "==": a == b,
            "!=": a != b,
            "<": a < b,
            ">": a > b,
            "<=": a <= b,
            ">=": a >= b,
        }[op]
    except TypeError:
        return False


def _num(f: float) -> str:
    return str(int(f)) if f.is_integer() else repr(f)


def go_json(value: Any, indent: int | None = None) -> str:
    """Go's `json.Marshal`: sorted map keys, `<`, `>`, `&` escaped as `\\u003c`..."""
    if indent is None:
        out = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    else:
        out = json.dumps(value, sort_keys=True, ensure_ascii=False, indent=indent)
    return (
        out.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def text(value: Any) -> str:
    """client-go's `evalToText` for one result."""
    if isinstance(value, (dict, list)):
        return go_json(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "<nil>"
    if isinstance(value, float):
        return _num(value)
    return str(value)


def execute(nodes: list[Node], data: Any) -> str:
    out: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, Range):
            for item in evaluate(node.path, data):
                out.append(execute(node.body, item))
        else:
            results: list[Any] = []
            for part in node:
                results.extend([part] if isinstance(part, str) else evaluate(part, data))
            out.append(" ".join(text(r) for r in results))
    return "".join(out)


def render(template: str, data: Any) -> str:
    return execute(parse(template), data)
