"""`kubectl describe ingress` and `kubectl describe ingressclass`, as kubectl 1.32's
`IngressDescriber` (`describeIngressV1`) and `IngressClassDescriber` write them.

An Ingress: Name, Labels, Namespace, Address (the load-balancer IPs or hostnames), Ingress
Class (`<none>`), Default backend (`<default>` when unset), TLS (`<secret> terminates
<hosts>`, or `SNI routes <hosts>` without a secret), the Rules table — per rule with an
`http` section its host (`*` for none) and per path `<path> <backend>`; with no such rule,
one `* * <default backend>` row — then Annotations and Events. A service backend reads
`name:port (endpoints)`: kubectl lists the Service's EndpointSlices (by the
`kubernetes.io/service-name` label) and GETs the Service, and prints the ready addresses on
the slice port named like the Service port the backend names (at most three, then
`+ N more...`; `<none>` without any), or `(<error: services "web" not found>)`. A resource
backend reads `APIGroup: <group>, Kind: <kind>, Name: <name>`.

An IngressClass: Name, Labels, Annotations, Controller, the Parameters reference when set,
and Events.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from clusterlab.engine.ingress_tables import load_balancer_address

from .describe_service import format_endpoint_slices

Obj = dict[str, Any]
#: (kind plural, name) → the object; raises LookupError with the API's error text
Fetch = Callable[[str, str], Obj]
#: a Service's name → its EndpointSlices (by the service-name label); raises like Fetch
Slices = Callable[[str], list[Obj]]


def _service_backend_text(service: Obj) -> str:
    port = service.get("port") or {}
    return f"{service.get('name', '')}:{port.get('name') or port.get('number', 0)}"


def describe_backend(backend: Obj | None, fetch: Fetch, slices: Slices) -> str:
    """`describeBackendV1`: a service backend's ready endpoints from its EndpointSlices."""
    if not backend:
        return ""
    service = backend.get("service")
    if service is not None:
        text = _service_backend_text(service)
        try:
            found = slices(service.get("name", ""))
            svc = fetch("services", service.get("name", ""))
        except LookupError as exc:
            return f"{text} (<error: {exc.args[0]}>)"
        port = service.get("port") or {}
        port_name = ""
        for sp in (svc.get("spec") or {}).get("ports") or []:
            by_number = port.get("number") and port.get("number") == sp.get("port")
            if by_number or (port.get("name") and port.get("name") == sp.get("name")):
                port_name = sp.get("name") or ""
        return f"{text} ({format_endpoint_slices(found, port_name)})"
    resource = backend.get("resource")
    if resource is not None:
        group = resource.get("apiGroup")
        group_text = group if group is not None else "<none>"
        return f"APIGroup: {group_text}, Kind: {resource.get('kind', '')}, Name: {resource.get('name', '')}"
    return ""


def describe_ingress(
    ing: Obj, fetch: Fetch, slices: Slices, events: list[Obj] | None, now: datetime | None
) -> str:
    from .describe import _events, _multiline

    meta, spec = ing.get("metadata") or {}, ing.get("spec") or {}
    out = f"Name:\t{meta.get('name', '')}\n"
    out += _multiline("Labels", meta.get("labels"))
    out += f"Namespace:\t{meta.get('namespace', '')}\n"
    out += f"Address:\t{load_balancer_address(ing.get('status') or {})}\n"
    out += f"Ingress Class:\t{spec.get('ingressClassName') or '<none>'}\n"
    default = spec.get("defaultBackend")
    if default is None:
        out += "Default backend:\t<default>\n"
    else:
        out += f"Default backend:\t{describe_backend(default, fetch, slices)}\n"
    if spec.get("tls"):
        out += "TLS:\n"
        for tls in spec["tls"]:
            hosts = ",".join(tls.get("hosts") or [])
            if not tls.get("secretName"):
                out += f"  SNI routes {hosts}\n"
            else:
                out += f"  {tls['secretName']} terminates {hosts}\n"
    out += "Rules:\n  Host\tPath\tBackends\n  ----\t----\t--------\n"
    count = 0
    for rule in spec.get("rules") or []:
        http = rule.get("http")
        if http is None:
            continue
        count += 1
        out += f"  {rule.get('host') or '*'}\t\n"
        for item in http.get("paths") or []:
            out += f"    \t{item.get('path', '')} \t{describe_backend(item.get('backend'), fetch, slices)}\n"
    if count == 0:
        out += f"  *\t*\t{describe_backend(default, fetch, slices)}\n"
    out += _multiline("Annotations", meta.get("annotations"), ": ")
    if events is not None:
        out += _events(events, now)
    return out


def describe_ingress_class(ic: Obj, events: list[Obj] | None, now: datetime | None) -> str:
    from .describe import _events, _multiline

    meta, spec = ic.get("metadata") or {}, ic.get("spec") or {}
    out = f"Name:\t{meta.get('name', '')}\n"
    out += _multiline("Labels", meta.get("labels"))
    out += _multiline("Annotations", meta.get("annotations"), ": ")
    out += f"Controller:\t{spec.get('controller', '')}\n"
    params = spec.get("parameters")
    if params is not None:
        out += "Parameters:\n"
        if params.get("apiGroup") is not None:
            out += f"  APIGroup:\t{params['apiGroup']}\n"
        out += f"  Kind:\t{params.get('kind', '')}\n"
        out += f"  Name:\t{params.get('name', '')}\n"
    if events is not None:
        out += _events(events, now)
    return out


def describe_ingress_from(ctx: Any, ing: Obj, events: list[Obj] | None) -> str:
    """`describe ingress` with the console's API calls: each backend's Endpoints and Service
    GET in the Ingress's namespace, an error's message quoted as kubectl does."""
    from .transport import ApiStatusError

    namespace = (ing.get("metadata") or {}).get("namespace")

    def fetch(plural: str, name: str) -> Obj:
        resource = ctx.discovery.resolve(plural)[0]
        try:
            return ctx.call("GET", resource.path(namespace, name))  # type: ignore[no-any-return]
        except ApiStatusError as exc:
            raise LookupError(str(exc.status.get("message") or exc)) from None

    def slices(service: str) -> list[Obj]:
        resource = ctx.discovery.resolve("endpointslices.discovery.k8s.io")[0]
        query = {"labelSelector": f"kubernetes.io/service-name={service}"}
        try:
            return list(ctx.call("GET", resource.path(namespace), query=query).get("items") or [])
        except ApiStatusError as exc:
            raise LookupError(str(exc.status.get("message") or exc)) from None

    return describe_ingress(ing, fetch, slices, events, ctx.now)
