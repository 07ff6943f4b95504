"""What ConfigMaps and Secrets share on the API server: their keys and their base64 payloads.

- Keys are checked with apimachinery's `IsConfigMapKey`: at most 253 characters of
  `[-._a-zA-Z0-9]`, not `.` or `..` and not starting with `..`; each failure is a field error
  on `data[key]` (or `binaryData[key]`).
- A Secret's `data` and a ConfigMap's `binaryData` are `[]byte` in the Go types, so the JSON
  carries them base64-encoded and kube-apiserver's decoder refuses a value that is not
  standard base64 before any validation runs, with Go's `encoding/base64` message
  (`illegal base64 data at input byte 8`), as a 400 (`Secret in version "v1" cannot be handled
  as a Secret: ...`). A value that decodes is stored (and served) re-encoded canonically.
- The immutable rule of `ValidateConfigMapUpdate`/`ValidateSecretUpdate`: once `immutable:
  true`, the flag cannot be unset and the payload cannot change (`Forbidden: field is
  immutable when `immutable` is set`).
"""

from __future__ import annotations

import base64
import re
from typing import Any

from .errors import BadRequest

Obj = dict[str, Any]
Causes = list[tuple[str, str]]

_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_KEY_MSG = (
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  "
    "or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
)
_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
IMMUTABLE_MSG = "Forbidden: field is immutable when `immutable` is set"
# corev1.MaxSecretSize: the sum of a Secret's or ConfigMap's values
MAX_SIZE = 1 * 1024 * 1024


def _go_quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def key_errors(key: str) -> list[str]:
    """`validation.IsConfigMapKey`."""
    errs = []
    if len(key) > 253:
        errs.append("must be no more than 253 characters")
    if not _KEY.match(key):
        errs.append(_KEY_MSG)
    if key == ".":
        errs.append("must not be '.'")
    elif key == "..":
        errs.append("must not be '..'")
    elif key.startswith(".."):
        errs.append("must not start with '..'")
    return errs


def key_causes(bag: Any, field: str) -> Causes:
    causes: Causes = []
    for key in sorted(bag or {}):
        causes += [(f"{field}[{key}]", f"Invalid value: {_go_quote(key)}: {m}") for m in key_errors(key)]
    return causes


def base64_error_at(text: str) -> int | None:
    """Where Go's `base64.StdEncoding` gives up on `text` (the byte of `CorruptInputError`), or
    None if it decodes. Line breaks are skipped, as Go skips `\\r` and `\\n`."""
    n, si, quantum = len(text), 0, 0

    def skip_newlines(i: int) -> int:
        while i < n and text[i] in "\r\n":
            i += 1
        return i

    while si < n:
        ch = text[si]
        if ch in "\r\n":
            si += 1
            continue
        if ch == "=":
            if quantum < 2:
                return si
            si = skip_newlines(si + 1)
            if quantum == 2:
                if si >= n:
                    return n
                if text[si] != "=":
                    return si - 1
                si = skip_newlines(si + 1)
            return si if si < n else None
        if ch not in _ALPHABET:
            return si
        quantum = (quantum + 1) % 4
        si += 1
    return si - quantum if quantum else None


def decode(text: str) -> bytes:
    return base64.b64decode("".join(text.split("\n")).replace("\r", ""))


def canonical_payload(obj: Obj, field: str, kind: str) -> None:
    """Refuse (400) a `field` value that is not base64; store each one re-encoded."""
    bag = obj.get(field)
    if not isinstance(bag, dict):
        return
    for key, value in bag.items():
        text = "" if value is None else str(value)
        at = base64_error_at(text)
        if at is not None:
            prefix = f'{kind} in version "v1" cannot be handled as a {kind}'
            raise BadRequest(f"{prefix}: illegal base64 data at input byte {at}")
        bag[key] = base64.b64encode(decode(text)).decode()


def immutable_causes(old: Obj, new: Obj, fields: tuple[str, ...]) -> Causes:
    if old.get("immutable") is not True:
        return []
    causes: Causes = []
    if new.get("immutable") is not True:
        causes.append(("immutable", IMMUTABLE_MSG))
    for f in fields:
        if (old.get(f) or {}) != (new.get(f) or {}):
            causes.append((f, IMMUTABLE_MSG))
    return causes


def too_long_cause(size: int) -> Causes:
    """`field.TooLong(field.NewPath(""), ..., MaxSecretSize)`: the whole object."""
    if size <= MAX_SIZE:
        return []
    return [("", f"Too long: may not be more than {MAX_SIZE} bytes")]
