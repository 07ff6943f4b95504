"""Ingress and IngressClass (`networking.k8s.io/v1`) in the API server: defaulting,
validation, the DefaultIngressClass admission plugin and the status an Ingress starts with.

What kube-apiserver 1.32 does for these kinds:
- Validation (`pkg/apis/networking/validation`): an Ingress needs `rules` or a
  `defaultBackend`; every HTTP path needs a `pathType` (Exact, Prefix or
  ImplementationSpecific); Exact and Prefix paths are absolute and free of `//`, `/./`,
  `/../`, `%2f` and of a `/.` or `/..` ending; a host is a DNS name (not an IP), optionally a
  `*.` wildcard of one label; a backend is a service (name plus port name or number) or a
  resource, never both; TLS hosts and secret names are DNS names. On create the legacy
  `kubernetes.io/ingress.class` annotation must agree with `ingressClassName`. An
  IngressClass's `controller` is a domain-prefixed path of at most 250 characters and
  immutable; its `parameters` reference has a kind, a name and a scope (Cluster, the default,
  or Namespace with a namespace).
- DefaultIngressClass admission (`plugin/pkg/admission/network/defaultingressclass`): an
  Ingress created without `ingressClassName` and without the legacy annotation gets the
  class annotated `ingressclass.kubernetes.io/is-default-class: "true"` — the newest one
  when several are (ties broken by name).
- An Ingress is created with an empty `status.loadBalancer`; the ingress controller that
  serves it writes the addresses there through the `status` subresource.

Simplified: the legacy `extensions/v1beta1` and `networking.k8s.io/v1beta1` versions are not
served (Kubernetes removed them in 1.22).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

Obj = dict[str, Any]
Causes = list[tuple[str, str]]

GROUP = "networking.k8s.io"
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
LEGACY_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
PATH_TYPES = ("Exact", "ImplementationSpecific", "Prefix")
MAX_CONTROLLER_LENGTH = 250
_INVALID_SEQUENCES = ("//", "/./", "/../", "%2f", "%2F")
_INVALID_SUFFIXES = ("/..", "/.")

_SUBDOMAIN_FMT = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
_SUBDOMAIN = re.compile(f"^{_SUBDOMAIN_FMT}$")
_WILDCARD = re.compile(rf"^\*\.{_SUBDOMAIN_FMT}$")
_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
_WILDCARD_MSG = (
    "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which "
    "must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric "
    "character (e.g. '*.example.com', regex used for validation is "
    "'\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_DNS1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
    "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)


def _quote(value: Any) -> str:
    return '"' + str(value).replace('"', '\\"') + '"' if isinstance(value, str) else str(value)


def _subdomain_errors(value: str) -> list[str]:
    """`validation.IsDNS1123Subdomain`."""
    errors = []
    if len(value) > 253:
        errors.append("must be no more than 253 characters")
    if not _SUBDOMAIN.match(value):
        errors.append(_SUBDOMAIN_MSG)
    return errors


def _wildcard_errors(value: str) -> list[str]:
    """`validation.IsWildcardDNS1123Subdomain`."""
    errors = []
    if len(value) > 253:
        errors.append("must be no more than 253 characters")
    if not _WILDCARD.match(value):
        errors.append(_WILDCARD_MSG)
    return errors


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _port_name_errors(name: str) -> list[str]:
    """`validation.IsValidPortName` (an IANA service name)."""
    errors = []
    if len(name) > 15:
        errors.append("must be no more than 15 characters")
    if not re.match(r"^[-a-z0-9]+$", name):
        errors.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search(r"[a-z]", name):
        errors.append("must contain at least one letter (a-z)")
    if "--" in name:
        errors.append("must not contain consecutive hyphens")
    if name and (name[0] == "-" or name[-1] == "-"):
        errors.append("must not begin or end with a hyphen")
    return errors


# -- defaulting ------------------------------------------------------------------------------


def default_ingress_class(ic: Obj) -> None:
    """`SetDefaults_IngressClass`: a parameters reference without a scope is Cluster-scoped."""
    params = (ic.get("spec") or {}).get("parameters")
    if isinstance(params, dict):
        params.setdefault("scope", "Cluster")


# -- validation ------------------------------------------------------------------------------


def _backend_causes(backend: Any, path: str) -> Causes:
    """`validateIngressBackend`."""
    if not isinstance(backend, dict):
        return [(path, 'Invalid value: "": resource or service backend is required')]
    service, resource = backend.get("service"), backend.get("resource")
    if service is not None and resource is not None:
        return [(path, 'Invalid value: "": cannot set both resource and service backends')]
    if resource is not None:
        return _typed_reference_causes(resource, f"{path}.resource")
    if service is None:
        return [(path, 'Invalid value: "": resource or service backend is required')]
    causes: Causes = []
    name = service.get("name") or ""
    if not name:
        causes.append((f"{path}.service.name", "Required value"))
    else:
        if len(name) > 63:
            causes.append(
                (f"{path}.service.name", f"Invalid value: {_quote(name)}: must be no more than 63 characters")
            )
        if not _DNS1035_LABEL.match(name):
            causes.append((f"{path}.service.name", f"Invalid value: {_quote(name)}: {_DNS1035_MSG}"))
    port = service.get("port") or {}
    port_name, port_number = port.get("name") or "", port.get("number") or 0
    if port_name and port_number:
        causes.append((path, 'Invalid value: "": cannot set both port name & port number'))
    elif port_name:
        for msg in _port_name_errors(port_name):
            causes.append((f"{path}.service.port.name", f"Invalid value: {_quote(port_name)}: {msg}"))
    elif port_number:
        if not isinstance(port_number, int) or not 1 <= port_number <= 65535:
            causes.append(
                (
                    f"{path}.service.port.number",
                    f"Invalid value: {port_number}: must be between 1 and 65535, inclusive",
                )
            )
    else:
        causes.append((path, "Required value: port name or number is required"))
    return causes


def _typed_reference_causes(ref: Any, path: str) -> Causes:
    """`validateIngressTypedLocalObjectReference`."""
    if not isinstance(ref, dict):
        return []
    causes: Causes = []
    group = ref.get("apiGroup")
    if group is not None:
        causes += [
            (f"{path}.apiGroup", f"Invalid value: {_quote(group)}: {m}") for m in _subdomain_errors(group)
        ]
    for key in ("kind", "name"):
        value = ref.get(key) or ""
        if not value:
            causes.append((f"{path}.{key}", f"Required value: {key} is required"))
        elif value in (".", "..") or "/" in value or "%" in value:
            bad = value if value in (".", "..") else ("/" if "/" in value else "%")
            msg = f"may not be '{bad}'" if value in (".", "..") else f"may not contain '{bad}'"
            causes.append((f"{path}.{key}", f"Invalid value: {_quote(value)}: {msg}"))
    return causes


def _path_causes(item: Any, path: str) -> Causes:
    """`validateHTTPIngressPath`."""
    if not isinstance(item, dict):
        return []
    path_type = item.get("pathType")
    if path_type is None:
        return [(f"{path}.pathType", "Required value: pathType must be specified")]
    value = item.get("path") or ""
    causes: Causes = []
    if path_type in ("Exact", "Prefix"):
        if not value.startswith("/"):
            causes.append((f"{path}.path", f"Invalid value: {_quote(value)}: must be an absolute path"))
        if value:
            for seq in _INVALID_SEQUENCES:
                if seq in value:
                    causes.append(
                        (f"{path}.path", f"Invalid value: {_quote(value)}: must not contain '{seq}'")
                    )
            for suffix in _INVALID_SUFFIXES:
                if value.endswith(suffix):
                    causes.append(
                        (f"{path}.path", f"Invalid value: {_quote(value)}: cannot end with '{suffix}'")
                    )
    elif path_type == "ImplementationSpecific":
        if value and not value.startswith("/"):
            causes.append((f"{path}.path", f"Invalid value: {_quote(value)}: must be an absolute path"))
    else:
        supported = ", ".join(f'"{t}"' for t in PATH_TYPES)
        causes.append(
            (f"{path}.pathType", f"Unsupported value: {_quote(path_type)}: supported values: {supported}")
        )
    return causes + _backend_causes(item.get("backend"), f"{path}.backend")


def _host_causes(host: str, path: str) -> tuple[Causes, bool]:
    causes: Causes = []
    if _is_ip(host):
        causes.append((path, f"Invalid value: {_quote(host)}: must be a DNS name, not an IP address"))
    if "*" in host:
        return causes + [(path, f"Invalid value: {_quote(host)}: {m}") for m in _wildcard_errors(host)], True
    return causes + [(path, f"Invalid value: {_quote(host)}: {m}") for m in _subdomain_errors(host)], False


def _rules_causes(rules: list[Any]) -> Causes:
    causes: Causes = []
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict):
            continue
        host = rule.get("host") or ""
        if host:
            causes += _host_causes(host, f"spec.rules[{i}].host")[0]
        http = rule.get("http")
        if isinstance(http, dict):
            paths = http.get("paths") or []
            if not paths:
                causes.append((f"spec.rules[{i}].http.paths", "Required value"))
            for j, item in enumerate(paths):
                causes += _path_causes(item, f"spec.rules[{i}].http.paths[{j}]")
    return causes


def _tls_causes(tls: list[Any]) -> Causes:
    causes: Causes = []
    for i, entry in enumerate(tls):
        if not isinstance(entry, dict):
            continue
        for j, host in enumerate(entry.get("hosts") or []):
            path = f"spec.tls[{i}].hosts[{j}]"
            errors = _wildcard_errors(host) if "*" in host else _subdomain_errors(host)
            causes += [(path, f"Invalid value: {_quote(host)}: {m}") for m in errors]
        secret = entry.get("secretName") or ""
        if secret:
            causes += [
                (f"spec.tls[{i}].secretName", f"Invalid value: {_quote(secret)}: {m}")
                for m in _subdomain_errors(secret)
            ]
    return causes


def ingress_causes(ing: Obj) -> Causes:
    """`ValidateIngressCreate` / `ValidateIngressUpdate`: the spec rules both share, and on a
    create (an object without a uid yet) the legacy annotation's agreement."""
    spec = ing.get("spec") if isinstance(ing.get("spec"), dict) else {}
    rules = spec.get("rules") or []
    causes: Causes = []
    if not rules and spec.get("defaultBackend") is None:
        causes.append(
            (
                "spec",
                "Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be "
                "specified",
            )
        )
    if spec.get("defaultBackend") is not None:
        causes += _backend_causes(spec["defaultBackend"], "spec.defaultBackend")
    causes += _rules_causes(rules)
    causes += _tls_causes(spec.get("tls") or [])
    class_name = spec.get("ingressClassName")
    if class_name is not None:
        causes += [
            ("spec.ingressClassName", f"Invalid value: {_quote(class_name)}: {m}")
            for m in _subdomain_errors(str(class_name))
        ]
    return causes if (ing.get("metadata") or {}).get("uid") else causes + _create_causes(ing)


def _create_causes(ing: Obj) -> Causes:
    """What only a create checks: the legacy class annotation must match `ingressClassName`."""
    annotations = (ing.get("metadata") or {}).get("annotations") or {}
    class_name = (ing.get("spec") or {}).get("ingressClassName")
    legacy = annotations.get(LEGACY_CLASS_ANNOTATION)
    if legacy is not None and class_name is not None and legacy != class_name:
        return [
            (
                f"annotations.{LEGACY_CLASS_ANNOTATION}",
                f"Invalid value: {_quote(legacy)}: must match `ingressClassName` when both are specified",
            )
        ]
    return []


def ingress_class_causes(ic: Obj) -> Causes:
    """`ValidateIngressClass`: the controller name and the parameters reference."""
    spec = ic.get("spec") if isinstance(ic.get("spec"), dict) else {}
    controller = spec.get("controller") or ""
    causes: Causes = []
    if len(controller) > MAX_CONTROLLER_LENGTH:
        causes.append(("spec.controller", f"Too long: may not be more than {MAX_CONTROLLER_LENGTH} bytes"))
    if not controller:
        causes.append(("spec.controller", "Required value"))
    else:
        host, sep, rest = controller.partition("/")
        if not sep or not host or not rest:
            causes.append(
                (
                    "spec.controller",
                    f"Invalid value: {_quote(controller)}: "
                    'must be a domain-prefixed path (such as "acme.io/foo")',
                )
            )
        else:
            causes += [
                ("spec.controller", f"Invalid value: {_quote(host)}: {m}") for m in _subdomain_errors(host)
            ]
    params = spec.get("parameters")
    if isinstance(params, dict):
        causes += _typed_reference_causes(params, "spec.parameters")
        scope = params.get("scope")
        if scope is None:
            causes.append(("spec.parameters.scope", "Required value"))
        elif scope not in ("Cluster", "Namespace"):
            causes.append(
                (
                    "spec.parameters.scope",
                    f'Unsupported value: {_quote(scope)}: supported values: "Cluster", "Namespace"',
                )
            )
        elif scope == "Namespace" and not params.get("namespace"):
            causes.append(
                ("spec.parameters.namespace", "Required value: `parameters.scope` is set to 'Namespace'")
            )
        elif scope == "Cluster" and params.get("namespace") is not None:
            causes.append(("spec.parameters.namespace", "Forbidden: `parameters.scope` is set to 'Cluster'"))
    return causes


def ingress_class_update_causes(old: Obj, new: Obj) -> Causes:
    """`validateIngressClassSpecUpdate`: the controller never changes."""
    before = (old.get("spec") or {}).get("controller")
    if (new.get("spec") or {}).get("controller") != before:
        return [("spec.controller", "Invalid value: " + _quote(before) + ": field is immutable")]
    return []


# -- admission -------------------------------------------------------------------------------


def is_default_class(ic: Obj) -> bool:
    return ((ic.get("metadata") or {}).get("annotations") or {}).get(DEFAULT_CLASS_ANNOTATION) == "true"


def default_class(classes: list[Obj]) -> Obj | None:
    """`getDefaultClass`: the newest IngressClass marked default (ties: the first by name)."""
    defaults = [ic for ic in classes if is_default_class(ic)]
    if not defaults:
        return None
    defaults.sort(key=lambda ic: ic["metadata"]["name"])
    defaults.sort(key=lambda ic: ic["metadata"].get("creationTimestamp") or "", reverse=True)
    return defaults[0]


def admit_ingress(ing: Obj, classes: list[Obj]) -> None:
    """The DefaultIngressClass plugin on a create: fill `ingressClassName` when neither it nor
    the legacy annotation says which class the Ingress belongs to."""
    spec = ing.setdefault("spec", {})
    if spec.get("ingressClassName") is not None:
        return
    if ((ing.get("metadata") or {}).get("annotations") or {}).get(LEGACY_CLASS_ANNOTATION):
        return
    chosen = default_class(classes)
    if chosen is not None:
        spec["ingressClassName"] = chosen["metadata"]["name"]
