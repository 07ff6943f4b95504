"""What `kubectl describe pod` prints for a container's config and the pod's config volumes,
as kubectl 1.32's `describeContainerEnvFrom`, `describeContainerEnvVars`,
`printConfigMapVolumeSource` and `printSecretVolumeSource` write it:

- `Environment Variables from:` (only when the container has `envFrom`): `name  ConfigMap
  [with prefix 'P']  Optional: false`.
- `Environment:`: a literal value (a multi-line one continues on indented lines); a
  `fieldRef` as `value (v1:metadata.name)` — kubectl resolves only `metadata.*` paths itself,
  others print empty; a `resourceFieldRef` as `value (limits.cpu)` (`node allocatable` for an
  unset limit); a `configMapKeyRef` as `<set to the key 'k' of config map 'x'>  Optional:
  false`; a `secretKeyRef` as `<set to the key 'k' in secret 'x'>  Optional: false`.
- Volumes: `Type: ConfigMap (a volume populated by a ConfigMap)`, `Name`, `Optional`;
  `Type: Secret (a volume populated by a Secret)`, `SecretName`, `Optional`.
"""

from __future__ import annotations

import math
from typing import Any

from clusterlab.engine.quantity import QuantityError, parse_quantity

Obj = dict[str, Any]


def _bool(value: Any) -> str:
    return "true" if value is True else "false"


def env_from_lines(container: Obj, body: str) -> str:
    sources = container.get("envFrom") or []
    if not sources:
        return ""
    out = f"{body}Environment Variables from:\n"
    for source in sources:
        ref, kind = (
            (source.get("configMapRef"), "ConfigMap")
            if source.get("configMapRef")
            else (
                source.get("secretRef") or {},
                "Secret",
            )
        )
        ref = ref or {}
        prefix = f" with prefix '{source['prefix']}'" if source.get("prefix") else ""
        out += f"{body}  {ref.get('name', '')}\t{kind}{prefix}\tOptional: {_bool(ref.get('optional'))}\n"
    return out


def _field_value(pod: Obj, path: str) -> str:
    meta = pod.get("metadata") or {}
    for bag in ("labels", "annotations"):
        prefix = f"metadata.{bag}['"
        if path.startswith(prefix) and path.endswith("']"):
            return str((meta.get(bag) or {}).get(path[len(prefix) : -2], ""))
    simple = {"metadata.name": "name", "metadata.namespace": "namespace", "metadata.uid": "uid"}
    return str(meta.get(simple[path], "")) if path in simple else ""


def _resource_value(container: Obj, ref: Obj) -> str:
    resource = str(ref.get("resource", ""))
    kind, _, what = resource.partition(".")
    value = ((container.get("resources") or {}).get(kind) or {}).get(what)
    try:
        quantity = parse_quantity(value if value is not None else 0)
        divisor = parse_quantity(ref.get("divisor") or 0) or parse_quantity(1)
    except QuantityError:
        return ""
    if what == "cpu":
        text = str(math.ceil(math.ceil(quantity * 1000) / math.ceil(divisor * 1000)))
    else:
        text = str(math.ceil(math.ceil(quantity) / math.ceil(divisor)))
    if text == "0" and resource in ("limits.cpu", "limits.memory"):
        return "node allocatable"
    return text


def env_lines(pod: Obj, container: Obj, body: str) -> str:
    env = container.get("env") or []
    if not env:
        return f"{body}Environment:\t<none>\n"
    out = f"{body}Environment:\n"
    for e in env:
        name, value_from = e.get("name", ""), e.get("valueFrom")
        if not value_from:
            for i, line in enumerate(str(e.get("value", "")).split("\n")):
                out += f"{body}  {name}:\t{line}\n" if i == 0 else f"{body}  \t{line}\n"
            continue
        if value_from.get("fieldRef"):
            ref = value_from["fieldRef"]
            path = ref.get("fieldPath", "")
            out += f"{body}  {name}:\t{_field_value(pod, path)} ({ref.get('apiVersion', 'v1')}:{path})\n"
        elif value_from.get("resourceFieldRef"):
            ref = value_from["resourceFieldRef"]
            out += f"{body}  {name}:\t{_resource_value(container, ref)} ({ref.get('resource', '')})\n"
        elif value_from.get("secretKeyRef"):
            ref = value_from["secretKeyRef"]
            out += (
                f"{body}  {name}:\t<set to the key '{ref.get('key', '')}' in secret '{ref.get('name', '')}'>"
                f"\tOptional: {_bool(ref.get('optional'))}\n"
            )
        elif value_from.get("configMapKeyRef"):
            ref = value_from["configMapKeyRef"]
            out += (
                f"{body}  {name}:\t<set to the key '{ref.get('key', '')}' of config map "
                f"'{ref.get('name', '')}'>\tOptional: {_bool(ref.get('optional'))}\n"
            )
    return out


def config_volume_lines(volume: Obj) -> str | None:
    """The lines of a configMap or secret volume; None for other types."""
    if isinstance(volume.get("configMap"), dict):
        cm = volume["configMap"]
        return (
            "    Type:\tConfigMap (a volume populated by a ConfigMap)\n"
            f"    Name:\t{cm.get('name', '')}\n    Optional:\t{_bool(cm.get('optional'))}\n"
        )
    if isinstance(volume.get("secret"), dict):
        secret = volume["secret"]
        return (
            "    Type:\tSecret (a volume populated by a Secret)\n"
            f"    SecretName:\t{secret.get('secretName', '')}\n"
            f"    Optional:\t{_bool(secret.get('optional'))}\n"
        )
    return None
