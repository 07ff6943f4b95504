"""The core/v1 defaults of a pod's config references, as the API server stores them.

- `configMap` and `secret` volumes: `defaultMode: 420` (0644; `SetDefaults_ConfigMapVolumeSource`,
  `SetDefaults_SecretVolumeSource`).
- `env[].valueFrom.fieldRef.apiVersion: v1` (`SetDefaults_ObjectFieldSelector`).
- `env[].valueFrom.resourceFieldRef.divisor`: a Quantity that is not a pointer, so a reference
  without one is served with `divisor: "0"` (the kubelet then divides by 1).
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]


def default_config_sources(spec: Obj) -> None:
    for volume in spec.get("volumes") or ():
        for source in ("configMap", "secret"):
            if isinstance(volume.get(source), dict):
                volume[source].setdefault("defaultMode", 420)
    for c in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        for var in c.get("env") or ():
            value_from = var.get("valueFrom") if isinstance(var, dict) else None
            if not isinstance(value_from, dict):
                continue
            if isinstance(value_from.get("fieldRef"), dict):
                value_from["fieldRef"].setdefault("apiVersion", "v1")
            if isinstance(value_from.get("resourceFieldRef"), dict):
                value_from["resourceFieldRef"].setdefault("divisor", "0")
