"""ConfigMaps on the API server: validation as kube-apiserver 1.32's `ValidateConfigMap`.

- Every key of `data` and `binaryData` passes `IsConfigMapKey`; a key may not be in both
  (`data[k]: Invalid value: "k": duplicate of key present in binaryData`); the values total
  at most 1 MiB. `binaryData` values are base64 on the wire (`config_keys`).
- Update (`ValidateConfigMapUpdate`): once `immutable: true`, `immutable`, `data` and
  `binaryData` cannot change.
"""

from __future__ import annotations

from typing import Any

from .config_keys import Causes, canonical_payload, decode, immutable_causes, key_causes, too_long_cause

Obj = dict[str, Any]


def default_configmap(cm: Obj) -> None:
    canonical_payload(cm, "binaryData", "ConfigMap")


def configmap_causes(cm: Obj) -> Causes:
    data = cm.get("data") if isinstance(cm.get("data"), dict) else {}
    binary = cm.get("binaryData") if isinstance(cm.get("binaryData"), dict) else {}
    causes = key_causes(data, "data")
    causes += [
        (f"data[{k}]", f'Invalid value: "{k}": duplicate of key present in binaryData')
        for k in sorted(data)
        if k in binary
    ]
    causes += key_causes(binary, "binaryData")
    size = sum(len(str(v or "").encode()) for v in data.values())
    size += sum(len(decode(str(v or ""))) for v in binary.values())
    return causes + too_long_cause(size)


def configmap_update_causes(old: Obj, new: Obj) -> Causes:
    return immutable_causes(old, new, ("data", "binaryData"))
