"""How ingress-nginx routes an HTTP request: from the Ingresses its controller has seen, the
request's Host and path, to a backend Service port — or to its own 404 page.

What ingress-nginx (controller v1.11) builds from the Ingresses of its class, and nginx then
does with a request:
- One nginx `server` per host. A rule without a host goes to the catch-all server `_`, which
  answers every Host no server names. A wildcard host `*.example.com` becomes the regex
  `^(?<subdomain>[\\w-]+)\\.example\\.com$`: exactly one label, as the Ingress API defines it.
  Exact names win over wildcards.
- In a server, the locations are its paths: `Exact` is nginx's `location = /p`; `Prefix`
  matches element-wise — `/foo` becomes `= /foo` plus `/foo/`, so `/foo`, `/foo/` and
  `/foo/bar` match and `/foobar` does not; a Prefix path with a trailing slash (`/foo/`) is
  only `/foo/`, and a request for `/foo` gets nginx's 301 to `/foo/`; `ImplementationSpecific`
  is a plain nginx prefix (`/foo` matches `/foobar`; no path means `/`). nginx takes an exact
  match first, else the longest prefix.
- Every server has a root location `/`: the Ingress's `defaultBackend` for the hosts of an
  Ingress that sets one, else the controller's default backend, which answers 404 with its
  page. An Ingress with a `defaultBackend` and no rules takes the catch-all server's root.
- When two Ingresses define the same host and path, the older one (by creationTimestamp)
  keeps it, as the controller sorts Ingresses before building servers.
- Requests go to the Service's ready endpoints directly (pod IP and target port, from its
  EndpointSlices), not through its cluster IP; a backend with no ready endpoint (or no such
  Service) is answered 503 by nginx. `upstreams()` resolves that.

Simplified: annotations (rewrite-target, use-regex, canary, ssl-redirect) are not
interpreted; resource backends are not supported by ingress-nginx and answer 503 here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]

CATCH_ALL = "_"
NOT_FOUND_PAGE = (
    "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
    "<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
UNAVAILABLE_PAGE = (
    "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n"
    "<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
MOVED_PAGE = (
    "<html>\r\n<head><title>301 Moved Permanently</title></head>\r\n<body>\r\n"
    "<center><h1>301 Moved Permanently</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


@dataclass(frozen=True)
class Backend:
    """Where a matched location sends the request: a Service port (by number or name)."""

    namespace: str
    service: str
    port: int | str
    ingress: str  # the Ingress that defined the location
    path: str  # the location as the Ingress wrote it ("" for a root location)


@dataclass(frozen=True)
class Route:
    """The outcome for one request: a backend, or nginx answering itself (`status`, `body`,
    and for a 301 the `location` header)."""

    backend: Backend | None
    status: int = 0
    body: str = ""
    location: str = ""


@dataclass(frozen=True)
class _Location:
    path: str  # as nginx sees it (`/foo/` for a Prefix `/foo`)
    exact: bool
    backend: Backend | None  # None: the service is a resource backend
    origin: str = ""  # the Prefix path with trailing slash this location came from


@dataclass
class _Server:
    host: str
    locations: list[_Location]


def _backend(ing: Obj, ref: Obj | None, path: str) -> Backend | None:
    service = (ref or {}).get("service")
    if not isinstance(service, dict):
        return None
    port = service.get("port") or {}
    return Backend(
        ing["metadata"].get("namespace") or "default",
        service.get("name") or "",
        port.get("number") or port.get("name") or 0,
        ing["metadata"]["name"],
        path,
    )


def _locations_for(ing: Obj, item: Obj) -> list[_Location]:
    path_type = item.get("pathType")
    path = item.get("path") or ""
    backend = _backend(ing, item.get("backend"), path)
    if path_type == "Exact":
        return [_Location(path, True, backend)]
    if path_type == "Prefix":
        if path == "/":
            return [_Location("/", False, backend)]
        if path.endswith("/"):
            return [_Location(path, False, backend, origin=path)]
        return [_Location(path, True, backend), _Location(path + "/", False, backend)]
    return [_Location(path or "/", False, backend)]


def _sorted(ingresses: Iterable[Obj]) -> list[Obj]:
    return sorted(
        ingresses,
        key=lambda i: (
            i["metadata"].get("creationTimestamp") or "",
            i["metadata"].get("namespace") or "",
            i["metadata"]["name"],
        ),
    )


def servers(ingresses: Iterable[Obj]) -> dict[str, _Server]:
    """The nginx servers the controller configures from these Ingresses (already filtered to
    its class), each with its locations; the root location `/` of each is last written."""
    ordered = _sorted(ingresses)
    result: dict[str, _Server] = {CATCH_ALL: _Server(CATCH_ALL, [_Location("/", False, None)])}
    roots: dict[str, Backend | None] = {CATCH_ALL: None}
    for ing in ordered:
        spec = ing.get("spec") or {}
        default = _backend(ing, spec.get("defaultBackend"), "") if spec.get("defaultBackend") else None
        rules = spec.get("rules") or []
        if default is not None and not rules and roots[CATCH_ALL] is None:
            roots[CATCH_ALL] = default
        for rule in rules:
            host = rule.get("host") or CATCH_ALL
            if host not in result:
                result[host] = _Server(host, [])
                roots[host] = default
    rooted: set[str] = set()  # hosts whose `/` a rule's path defines
    for ing in ordered:
        for rule in (ing.get("spec") or {}).get("rules") or []:
            server = result[rule.get("host") or CATCH_ALL]
            for item in (rule.get("http") or {}).get("paths") or []:
                for loc in _locations_for(ing, item):
                    if loc.path == "/" and not loc.exact:
                        if server.host not in rooted:
                            rooted.add(server.host)
                            roots[server.host] = loc.backend
                        continue
                    if any(old.path == loc.path and old.exact == loc.exact for old in server.locations):
                        continue  # an older Ingress already defines it
                    server.locations.append(loc)
    for host, server in result.items():
        server.locations = [loc for loc in server.locations if loc.path != "/" or loc.exact]
        root = roots.get(host)
        server.locations.append(_Location("/", False, root))
    return result


def _wildcard_regex(host: str) -> re.Pattern[str]:
    rest = host[2:]
    return re.compile(r"^[\w-]+\." + re.escape(rest) + "$")


def _server_for(all_servers: dict[str, _Server], host: str) -> _Server:
    host = host.split(":", 1)[0].lower().rstrip(".")
    if host in all_servers and host != CATCH_ALL and not host.startswith("*"):
        return all_servers[host]
    for name in sorted(all_servers):
        if name.startswith("*.") and _wildcard_regex(name).match(host):
            return all_servers[name]
    return all_servers[CATCH_ALL]


def server_name(ingresses: Iterable[Obj], host: str) -> str:
    """The nginx server a request with `Host: host` lands in (`_` for the catch-all)."""
    return _server_for(servers(ingresses), host).host


def route(ingresses_seen_by_controller: Iterable[Obj], host: str, path: str) -> Route:
    """The request `GET path` with `Host: host` at an ingress-nginx controller that has seen
    these Ingresses (those of its class): the backend nginx proxies to, or its own answer."""
    server = _server_for(servers(ingresses_seen_by_controller), host)
    uri = path.split("?", 1)[0] or "/"
    for loc in server.locations:
        if loc.exact and loc.path == uri:
            return _answer(loc)
    best: _Location | None = None
    for loc in server.locations:
        if not loc.exact and uri.startswith(loc.path) and (best is None or len(loc.path) > len(best.path)):
            best = loc
    for loc in server.locations:
        # nginx's auto-redirect: a proxied prefix location ending in "/" asked for without it
        if loc.origin and uri + "/" == loc.path and (best is None or best.path == "/"):
            query = path[len(uri) :]
            return Route(None, 301, MOVED_PAGE, loc.path + query)
    return _answer(best) if best is not None else Route(None, 404, NOT_FOUND_PAGE)


def _answer(loc: _Location) -> Route:
    if loc.backend is None:
        if loc.path == "/" and not loc.exact:
            return Route(None, 404, NOT_FOUND_PAGE)  # the controller's default backend
        return Route(None, 503, UNAVAILABLE_PAGE)  # a resource backend
    return Route(loc.backend)


def _service_port(service: Obj, port: int | str) -> Obj | None:
    for sp in (service.get("spec") or {}).get("ports") or []:
        if (isinstance(port, int) and sp.get("port") == port) or (
            isinstance(port, str) and sp.get("name") == port
        ):
            return sp
    return None


def upstreams(backend: Backend, services: Iterable[Obj], slices: Iterable[Obj]) -> list[tuple[str, int]]:
    """The (pod IP, port) pairs nginx balances a backend over: the ready endpoints of the
    Service's EndpointSlices, on the slice port named like the Service port. Empty: 503."""
    service = next(
        (
            s
            for s in services
            if s["metadata"]["name"] == backend.service
            and s["metadata"].get("namespace") == backend.namespace
        ),
        None,
    )
    if service is None:
        return []
    sp = _service_port(service, backend.port)
    if sp is None:
        return []
    name = sp.get("name") or ""
    result: list[tuple[str, int]] = []
    for eps in slices:
        meta = eps.get("metadata") or {}
        if meta.get("namespace") != backend.namespace:
            continue
        if (meta.get("labels") or {}).get("kubernetes.io/service-name") != backend.service:
            continue
        port = next((p for p in eps.get("ports") or [] if (p.get("name") or "") == name), None)
        if port is None or port.get("port") is None:
            continue
        for ep in eps.get("endpoints") or []:
            if (ep.get("conditions") or {}).get("ready") is False:
                continue
            result.extend((addr, int(port["port"])) for addr in ep.get("addresses") or [])
    return sorted(set(result))
