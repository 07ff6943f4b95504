"""Table printers for ConfigMap and Secret, as kube-apiserver 1.32's
`pkg/printers/internalversion` prints them.

- ConfigMap: NAME, DATA, AGE — DATA counts the keys of `data` and `binaryData` together.
- Secret: NAME, TYPE, DATA, AGE — DATA counts the keys of `data` (values are never printed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .table_columns import Since, column

Obj = dict[str, Any]

CONFIGMAP_DATA_DOC = (
    "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' "
    "or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in "
    "Data must not overlap with the keys in the BinaryData field, this is enforced during validation "
    "process."
)
SECRET_TYPE_DOC = (
    "Used to facilitate programmatic handling of secret data. More info: "
    "https://kubernetes.io/docs/concepts/configuration/secret/#secret-types"
)
SECRET_DATA_DOC = (
    "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. "
    "The serialized form of the secret data is a base64 encoded string, representing the arbitrary "
    "(possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4"
)


def columns(name_col: Obj, age_col: Obj) -> dict[str, list[Obj]]:
    return {
        "ConfigMap": [name_col, column("Data", CONFIGMAP_DATA_DOC), age_col],
        "Secret": [name_col, column("Type", SECRET_TYPE_DOC), column("Data", SECRET_DATA_DOC), age_col],
    }


def _configmap(cm: Obj, t: Since) -> list[Any]:
    meta = cm.get("metadata") or {}
    count = len(cm.get("data") or {}) + len(cm.get("binaryData") or {})
    return [meta.get("name", ""), count, t.since(meta.get("creationTimestamp"))]


def _secret(secret: Obj, t: Since) -> list[Any]:
    meta = secret.get("metadata") or {}
    count = len(secret.get("data") or {})
    return [meta.get("name", ""), secret.get("type", ""), count, t.since(meta.get("creationTimestamp"))]


PRINTERS: dict[str, Callable[[Obj, Any], list[Any]]] = {"ConfigMap": _configmap, "Secret": _secret}
