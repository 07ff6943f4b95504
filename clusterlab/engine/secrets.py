"""Secrets on the API server: decoding, defaulting and validation as kube-apiserver 1.32 does.

- Decoding: `stringData` is write-only convenience — the v1→internal conversion merges each
  of its entries into `data` (base64-encoded, overriding a `data` key of the same name) and
  drops it, so it is never stored or returned. `data` values must be base64 (`config_keys`).
- Defaulting (`SetDefaults_Secret`): `type: Opaque`.
- Validation (`ValidateSecret`): every key passes `IsConfigMapKey`; the values total at most
  1 MiB; the type's required keys: `kubernetes.io/service-account-token` needs the annotation
  `kubernetes.io/service-account.name`, `kubernetes.io/dockercfg` `data[.dockercfg]` and
  `kubernetes.io/dockerconfigjson` `data[.dockerconfigjson]` (both well-formed JSON objects),
  `kubernetes.io/basic-auth` `username` or `password`, `kubernetes.io/ssh-auth`
  `ssh-privatekey`, `kubernetes.io/tls` `tls.crt` and `tls.key`.
- Update (`ValidateSecretUpdate`): `type` is immutable; `immutable: true` freezes `data`.

Simplified: the JSON syntax error of a malformed docker config is Go's `encoding/json` text for
the common cases only (`invalid character ...` / `unexpected end of JSON input`).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from .config_keys import (
    Causes,
    canonical_payload,
    decode,
    immutable_causes,
    key_causes,
    too_long_cause,
)

Obj = dict[str, Any]

SERVICE_ACCOUNT_NAME = "kubernetes.io/service-account.name"
REDACTED = '"<secret contents redacted>"'
# Python's JSON complaint → what Go's scanner says it was looking for
_GO_CONTEXT = {
    "Expecting property name enclosed in double quotes": "looking for beginning of object key string",
    "Expecting ':' delimiter": "after object key",
    "Expecting ',' delimiter": "after object key:value pair",
    "Extra data": "after top-level value",
}


def default_secret(secret: Obj) -> None:
    canonical_payload(secret, "data", "Secret")
    string_data = secret.pop("stringData", None)
    if isinstance(string_data, dict) and string_data:
        data = secret.get("data")
        if not isinstance(data, dict):
            data = secret["data"] = {}
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value if value is not None else "").encode()).decode()
    if not secret.get("type"):
        secret["type"] = "Opaque"


def _json_error(raw: bytes) -> str | None:
    """Go's `json.Unmarshal(raw, &map[string]interface{}{})` error, or None."""
    text = raw.decode("utf-8", "replace")
    if not text.strip():
        return "unexpected end of JSON input"
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()):
            return "unexpected end of JSON input"
        ch = text[exc.pos]
        return (
            f"invalid character {_go_char(ch)} {_GO_CONTEXT.get(exc.msg, 'looking for beginning of value')}"
        )
    if not isinstance(value, dict):
        kind = {list: "array", str: "string", bool: "bool"}.get(type(value), "number")
        return f"json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"
    return None


def _go_char(ch: str) -> str:
    return "'\\''" if ch == "'" else f"'{ch}'"


def _type_causes(secret: Obj, data: Obj) -> Causes:
    kind = secret.get("type") or "Opaque"
    causes: Causes = []
    if kind == "kubernetes.io/service-account-token":
        annotations = (secret.get("metadata") or {}).get("annotations") or {}
        if not annotations.get(SERVICE_ACCOUNT_NAME):
            causes.append((f"metadata.annotations[{SERVICE_ACCOUNT_NAME}]", "Required value"))
    elif kind in ("kubernetes.io/dockercfg", "kubernetes.io/dockerconfigjson"):
        key = ".dockercfg" if kind == "kubernetes.io/dockercfg" else ".dockerconfigjson"
        if key not in data:
            causes.append((f"data[{key}]", "Required value"))
        else:
            error = _json_error(decode(str(data[key] or "")))
            if error:
                causes.append((f"data[{key}]", f"Invalid value: {REDACTED}: {error}"))
    elif kind == "kubernetes.io/basic-auth":
        if "username" not in data and "password" not in data:
            causes += [("data[username]", "Required value"), ("data[password]", "Required value")]
    elif kind == "kubernetes.io/ssh-auth":
        if not data.get("ssh-privatekey"):
            causes.append(("data[ssh-privatekey]", "Required value"))
    elif kind == "kubernetes.io/tls":
        for key in ("tls.crt", "tls.key"):
            if key not in data:
                causes.append((f"data[{key}]", "Required value"))
    return causes


def secret_causes(secret: Obj) -> Causes:
    data = secret.get("data") if isinstance(secret.get("data"), dict) else {}
    causes = key_causes(data, "data")
    causes += too_long_cause(sum(len(decode(str(v or ""))) for v in data.values()))
    return causes + _type_causes(secret, data)


def secret_update_causes(old: Obj, new: Obj) -> Causes:
    causes: Causes = []
    if (old.get("type") or "Opaque") != (new.get("type") or "Opaque"):
        causes.append(("type", f'Invalid value: "{new.get("type")}": field is immutable'))
    return causes + immutable_causes(old, new, ("data",))


def data_text(secret: Obj, key: str) -> str:
    """A Secret value as the process sees it (bytes as text)."""
    return decode(str((secret.get("data") or {}).get(key) or "")).decode("utf-8", "replace")
