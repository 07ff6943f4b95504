"""A container's environment as the kubelet builds it when it creates the container.

The real kubelet's `makeEnvironmentVariables` (pkg/kubelet/kubelet_pods.go, v1.32):
1. `envFrom` first, in order: every key of the ConfigMap (`configMapRef`) or Secret
   (`secretRef`), with the source's `prefix`; a later source overrides an earlier one.
   A missing object fails the container unless the reference is `optional`. (Since v1.30 the
   kubelet no longer skips keys that are not C identifiers with an
   `InvalidEnvironmentVariableNames` event — kubernetes/kubernetes#130099 — so every key goes
   into the environment, as here.)
2. then `env`, in order, each overriding what came before: `value` with `$(VAR)` references
   expanded against the variables defined so far and the service variables (`$$` escapes a
   `$`; an undefined reference stays as written); or `valueFrom`: `fieldRef` (the downward
   API: the pod's name, namespace, UID, labels/annotations by key, node name, service account,
   host and pod IPs), `resourceFieldRef` (a container's requests/limits divided by `divisor`,
   rounded up; an unset limit is the node's allocatable), `configMapKeyRef` / `secretKeyRef`
   (optional ones are skipped when the object or key is missing).
A failure is the container's `CreateContainerConfigError`, with the message the kubelet's
object managers give: `configmap "x" not found` (the watch-based manager's NotFound on the
`configmap` resource), `couldn't find key k in ConfigMap default/x`, and the same for secrets.

Simplified: service environment variables other than the `kubernetes` service's are not
added; values are text (a Secret's bytes are decoded as UTF-8).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ..quantity import QuantityError, parse_quantity
from ..secrets import data_text

Obj = dict[str, Any]
Lookup = Callable[[str, str, str], Obj | None]  # (resource, namespace, name) → object or None


class ContainerConfigError(Exception):
    """The kubelet cannot build the container's config: CreateContainerConfigError."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _source(lookup: Lookup, resource: str, namespace: str, name: str, optional: bool) -> Obj | None:
    obj = lookup(resource, namespace, name)
    if obj is None and not optional:
        raise ContainerConfigError(f'{resource[:-1]} "{name}" not found')
    return obj


def _values(resource: str, obj: Obj) -> dict[str, str]:
    if resource == "configmaps":
        return {k: str(v) for k, v in (obj.get("data") or {}).items()}
    return {k: data_text(obj, k) for k in obj.get("data") or {}}


def expand(text: str, lookup: Callable[[str], str | None]) -> str:
    """`third_party/forked/golang/expansion.Expand`: `$(NAME)` → its value, `$$` → `$`."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch != "$" or i + 1 >= n:
            out.append(ch)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "$":
            out.append("$")
            i += 2
        elif nxt == "(":
            end = text.find(")", i + 2)
            if end < 0:
                out.append(text[i:])
                break
            name = text[i + 2 : end]
            value = lookup(name) if name else None
            out.append(value if value is not None else f"$({name})")
            i = end + 1
        else:
            out.append(ch + nxt)
            i += 2
    return "".join(out)


def _field_value(pod: Obj, path: str, host_ip: str, pod_ip: str) -> str:
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    for bag in ("labels", "annotations"):
        prefix = f"metadata.{bag}['"
        if path.startswith(prefix) and path.endswith("']"):
            return str((meta.get(bag) or {}).get(path[len(prefix) : -2], ""))
    simple = {
        "metadata.name": meta.get("name", ""),
        "metadata.namespace": meta.get("namespace", ""),
        "metadata.uid": meta.get("uid", ""),
        "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", ""),
        "status.hostIP": host_ip,
        "status.hostIPs": host_ip,
        "status.podIP": pod_ip,
        "status.podIPs": pod_ip,
    }
    if path not in simple:
        raise ContainerConfigError(f"unsupported fieldPath: {path}")
    return str(simple[path])


def _resource_value(pod: Obj, container: Obj, ref: Obj, allocatable: Obj) -> str:
    name = ref.get("containerName") or container.get("name")
    target = next((c for c in pod["spec"].get("containers") or () if c.get("name") == name), container)
    resource = str(ref.get("resource", ""))
    kind, _, what = resource.partition(".")
    resources = target.get("resources") or {}
    value = (resources.get(kind) or {}).get(what)
    if value is None and kind == "limits":
        value = allocatable.get(what)
    try:
        quantity = parse_quantity(value if value is not None else 0)
        divisor = parse_quantity(ref.get("divisor") or 0) or parse_quantity(1)
    except QuantityError as exc:
        raise ContainerConfigError(str(exc)) from None
    if what == "cpu":  # convertResourceCPUToString: milli-cores over the divisor's, rounded up
        return str(math.ceil(math.ceil(quantity * 1000) / math.ceil(divisor * 1000)))
    if what in ("memory", "ephemeral-storage") or what.startswith("hugepages-"):
        return str(math.ceil(math.ceil(quantity) / math.ceil(divisor)))
    raise ContainerConfigError(f"unsupported container resource : {what}")


def container_env(
    pod: Obj, container: Obj, lookup: Lookup, *, host_ip: str, pod_ip: str, allocatable: Obj
) -> list[tuple[str, str]]:
    """The variables the container is created with, in order (raises ContainerConfigError)."""
    namespace = (pod.get("metadata") or {}).get("namespace", "default")
    env: dict[str, str] = {}
    for source in container.get("envFrom") or ():
        prefix = str(source.get("prefix") or "")
        for field, resource in (("configMapRef", "configmaps"), ("secretRef", "secrets")):
            ref = source.get(field)
            if ref is None:
                continue
            obj = _source(lookup, resource, namespace, ref.get("name", ""), bool(ref.get("optional")))
            if obj is not None:
                for key, value in sorted(_values(resource, obj).items()):
                    env[prefix + key] = value
    service = service_env()
    for var in container.get("env") or ():
        name = var.get("name", "")
        value_from = var.get("valueFrom")
        if var.get("value"):
            env[name] = expand(str(var["value"]), lambda n: env.get(n, service.get(n)))
            continue
        if not value_from:
            env[name] = ""
            continue
        if value_from.get("fieldRef"):
            env[name] = _field_value(pod, value_from["fieldRef"].get("fieldPath", ""), host_ip, pod_ip)
        elif value_from.get("resourceFieldRef"):
            env[name] = _resource_value(pod, container, value_from["resourceFieldRef"], allocatable)
        else:
            for field, resource, kind in (
                ("configMapKeyRef", "configmaps", "ConfigMap"),
                ("secretKeyRef", "secrets", "Secret"),
            ):
                ref = value_from.get(field)
                if ref is None:
                    continue
                optional = bool(ref.get("optional"))
                obj = _source(lookup, resource, namespace, ref.get("name", ""), optional)
                if obj is None:
                    break
                values = _values(resource, obj)
                key = ref.get("key", "")
                if key not in values:
                    if optional:
                        break
                    raise ContainerConfigError(
                        f"couldn't find key {key} in {kind} {namespace}/{ref.get('name', '')}"
                    )
                env[name] = values[key]
    return list(env.items())


def service_env() -> dict[str, str]:
    """The `kubernetes` service's variables, which every container gets."""
    return {
        "KUBERNETES_SERVICE_HOST": "10.96.0.1",
        "KUBERNETES_SERVICE_PORT": "443",
        "KUBERNETES_SERVICE_PORT_HTTPS": "443",
        "KUBERNETES_PORT": "tcp://10.96.0.1:443",
        "KUBERNETES_PORT_443_TCP": "tcp://10.96.0.1:443",
        "KUBERNETES_PORT_443_TCP_PROTO": "tcp",
        "KUBERNETES_PORT_443_TCP_PORT": "443",
        "KUBERNETES_PORT_443_TCP_ADDR": "10.96.0.1",
    }
