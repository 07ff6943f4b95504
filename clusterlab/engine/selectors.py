"""Label and field selectors, as the API server and kubectl understand them.

Label selectors come in two forms that compile to the same requirements:
- the string form of `kubectl -l` and `?labelSelector=` (`app=web,tier!=db,env in (a,b),!canary`);
- the `LabelSelector` object in specs (`matchLabels` + `matchExpressions`).

Field selectors (`?fieldSelector=spec.nodeName=worker-1`) support `=`, `==` and `!=` on the
fields each kind makes selectable (every kind: metadata.name, metadata.namespace).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import BadRequest

Labels = dict[str, str]


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!"
    values: tuple[str, ...] = ()

    def matches(self, labels: Labels) -> bool:
        present = self.key in labels
        if self.op == "exists":
            return present
        if self.op == "!":
            return not present
        if self.op in ("=", "in"):
            return present and labels[self.key] in self.values
        # "!=" and "notin" match objects without the label too, as in Kubernetes.
        return not present or labels[self.key] not in self.values


class LabelSelector:
    """A compiled selector; the empty selector matches everything."""

    def __init__(self, requirements: list[Requirement], *, nothing: bool = False) -> None:
        self.requirements = requirements
        self.nothing = nothing

    def matches(self, labels: Labels | None) -> bool:
        if self.nothing:
            return False
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    def empty(self) -> bool:
        return not self.requirements and not self.nothing

    def equality_pairs(self) -> dict[str, str]:
        return {r.key: r.values[0] for r in self.requirements if r.op == "=" and len(r.values) == 1}


_TOKEN = re.compile(r"\s*(!=|==|=|!|,|\(|\)|[^\s!=,()]+)")


def parse_label_selector(text: str | None) -> LabelSelector:
    """Parse the string form; raises BadRequest with Kubernetes' wording on a syntax error."""
    if text is None or not text.strip():
        return LabelSelector([])
    tokens = [t for t in _TOKEN.findall(text) if t]
    pos = 0
    reqs: list[Requirement] = []

    def fail(msg: str) -> BadRequest:
        return BadRequest(f"unable to parse requirement: {msg}")

    def take() -> str | None:
        nonlocal pos
        if pos < len(tokens):
            pos += 1
            return tokens[pos - 1]
        return None

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    while pos < len(tokens):
        tok = take()
        if tok == "!":
            key = take()
            if not key or key in ",()=!":
                raise fail("found '" + (key or "") + "', expected: identifier")
            reqs.append(Requirement(key, "!"))
        elif tok in (",", "(", ")", "=", "==", "!="):
            raise fail(f"found '{tok}', expected: !, identifier, or 'end of string'")
        else:
            key = tok or ""
            nxt = peek()
            if nxt is None or nxt == ",":
                reqs.append(Requirement(key, "exists"))
            elif nxt in ("=", "==", "!="):
                take()
                value = peek()
                if value is None or value == ",":
                    value = ""
                else:
                    take()
                reqs.append(Requirement(key, "=" if nxt != "!=" else "!=", (value,)))
            elif nxt in ("in", "notin"):
                take()
                if take() != "(":
                    raise fail("found '" + str(peek()) + "', expected: '('")
                values: list[str] = []
                while True:
                    v = take()
                    if v is None:
                        raise fail("found 'end of string', expected: ')'")
                    if v == ")":
                        break
                    if v != ",":
                        values.append(v)
                reqs.append(Requirement(key, nxt, tuple(values)))
            else:
                raise fail(f"found '{nxt}', expected: '=', '!=', '==', 'in', notin'")
        sep = take()
        if sep not in (None, ","):
            raise fail(f"found '{sep}', expected: ',' or 'end of string'")
    return LabelSelector(reqs)


def selector_from_spec(spec: dict[str, Any] | None) -> LabelSelector:
    """Compile a `metav1.LabelSelector`. A nil selector matches nothing; `{}` matches everything."""
    if spec is None:
        return LabelSelector([], nothing=True)
    reqs = [Requirement(k, "=", (str(v),)) for k, v in sorted((spec.get("matchLabels") or {}).items())]
    ops = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}
    for expr in spec.get("matchExpressions") or []:
        op = ops.get(expr.get("operator", ""))
        if op is None:
            raise BadRequest(f'"{expr.get("operator")}" is not a valid label selector operator')
        reqs.append(Requirement(expr["key"], op, tuple(expr.get("values") or ())))
    return LabelSelector(reqs)


def format_selector(spec: dict[str, Any] | None) -> str:
    """`metav1.FormatLabelSelector`: `app=web,tier in (a,b)`; `<none>` for nil/empty."""
    if not spec:
        return "<none>"
    parts = [f"{k}={v}" for k, v in sorted((spec.get("matchLabels") or {}).items())]
    for e in spec.get("matchExpressions") or []:
        op = e.get("operator")
        vals = ",".join(e.get("values") or [])
        if op == "In":
            parts.append(f"{e['key']} in ({vals})")
        elif op == "NotIn":
            parts.append(f"{e['key']} notin ({vals})")
        elif op == "Exists":
            parts.append(e["key"])
        else:
            parts.append(f"!{e['key']}")
    return ",".join(parts) or "<none>"


# --- field selectors ---------------------------------------------------------------------

FieldGetter = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class FieldRequirement:
    field: str
    value: str
    negate: bool


class FieldSelector:
    def __init__(self, requirements: list[FieldRequirement]) -> None:
        self.requirements = requirements

    def matches(self, obj: dict[str, Any], getters: dict[str, FieldGetter]) -> bool:
        for req in self.requirements:
            actual = getters[req.field](obj)
            actual = "" if actual is None else str(actual)
            if (actual == req.value) == req.negate:
                return False
        return True

    def equals(self, field: str) -> str | None:
        """The value a field must equal, if the selector pins one (used to index watches)."""
        for req in self.requirements:
            if req.field == field and not req.negate:
                return req.value
        return None


def parse_field_selector(text: str | None, allowed: dict[str, FieldGetter], kind: str) -> FieldSelector:
    if text is None or not text.strip():
        return FieldSelector([])
    reqs: list[FieldRequirement] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        m = re.match(r"^([^=!]+)(==|!=|=)(.*)$", part)
        if not m:
            raise BadRequest(f"invalid selector: '{text}'; can't understand '{part}'")
        field, op, value = m.group(1).strip(), m.group(2), m.group(3).strip()
        if field not in allowed:
            raise BadRequest(f"field label not supported: {field}")
        reqs.append(FieldRequirement(field, value, op == "!="))
    return FieldSelector(reqs)
