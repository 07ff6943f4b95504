"""`kubectl describe configmap` and `kubectl describe secret`, as kubectl 1.32's describers
write them.

- ConfigMap: `Name`, `Namespace`, `Labels`, `Annotations`, then `Data` / `====` with each key,
  a `----` rule and the value as it is, then a blank line; `BinaryData` / `====` with each key's size in bytes
  (`key: 12 bytes`); then the Events.
- Secret: the same header, `Type:`, then `Data` / `====` with each key's size only (`password:
  13 bytes`) — a describe never shows a Secret's values, except the `token` of a
  service-account-token Secret. Secrets have no Events section.

kubectl walks Go maps, whose order is random; here keys come sorted.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

Obj = dict[str, Any]


def _header(obj: Obj) -> str:
    from .describe import _multiline

    meta = obj.get("metadata") or {}
    out = f"Name:\t{meta.get('name', '')}\nNamespace:\t{meta.get('namespace', '')}\n"
    out += _multiline("Labels", meta.get("labels"))
    return out + _multiline("Annotations", meta.get("annotations"), ": ")


def _bytes(value: Any) -> bytes:
    try:
        return base64.b64decode(str(value or ""))
    except (binascii.Error, ValueError):
        return b""


def describe_configmap(cm: Obj, events: list[Obj] | None, now: datetime | None) -> str:
    from .describe import _events

    out = _header(cm) + "\nData\n====\n"
    for key, value in sorted((cm.get("data") or {}).items()):
        out += f"{key}:\n----\n{value}\n\n"
    out += "\nBinaryData\n====\n"
    for key, value in sorted((cm.get("binaryData") or {}).items()):
        out += f"{key}: {len(_bytes(value))} bytes\n"
    out += "\n"
    if events is not None:
        out += _events(events, now)
    return out


def describe_secret(secret: Obj) -> str:
    kind = secret.get("type", "")
    out = _header(secret) + f"\nType:\t{kind}\n\nData\n====\n"
    for key, value in sorted((secret.get("data") or {}).items()):
        raw = _bytes(value)
        if key == "token" and kind == "kubernetes.io/service-account-token":
            out += f"{key}:\t{raw.decode('utf-8', 'replace')}\n"
        else:
            out += f"{key}:\t{len(raw)} bytes\n"
    return out
