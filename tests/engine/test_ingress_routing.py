"""ingress-nginx's request routing (`network/ingress.py`), table-driven: host matching (exact,
one-label wildcards, the catch-all server), Exact / Prefix / ImplementationSpecific paths,
longest match, trailing slashes, default backends, the older Ingress keeping a contested path,
and upstreams from EndpointSlices."""

from __future__ import annotations

from typing import Any

import pytest

from clusterlab.engine.network.ingress import NOT_FOUND_PAGE, UNAVAILABLE_PAGE, Backend, route, upstreams

Obj = dict[str, Any]


def path(p: str | None, ptype: str, svc: str, port: int | str = 80) -> Obj:
    item: Obj = {
        "pathType": ptype,
        "backend": {
            "service": {"name": svc, "port": {"number": port} if isinstance(port, int) else {"name": port}}
        },
    }
    if p is not None:
        item["path"] = p
    return item


def ingress(
    name: str, rules: list[Obj], *, created: str = "2026-01-01T09:00:00Z", default: str | None = None
) -> Obj:
    spec: Obj = {"ingressClassName": "nginx", "rules": rules}
    if default:
        spec["defaultBackend"] = {"service": {"name": default, "port": {"number": 80}}}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name, "namespace": "default", "creationTimestamp": created},
        "spec": spec,
    }


def rule(host: str | None, *paths: Obj) -> Obj:
    out: Obj = {"http": {"paths": list(paths)}}
    if host:
        out["host"] = host
    return out


# The docs' examples: minimal-ingress, ingress-wildcard-host, and the Ingress concept page's
# path-matching table (Prefix /foo vs /foobar, Exact, trailing slashes, longest match).
DOCS = [
    ingress("minimal-ingress", [rule(None, path("/testpath", "Prefix", "test"))]),
    ingress(
        "ingress-wildcard-host",
        [
            rule("foo.bar.com", path("/bar", "Prefix", "service1")),
            rule("*.foo.com", path("/foo", "Prefix", "service2")),
        ],
    ),
    ingress(
        "matching",
        [
            rule(
                "match.example",
                path("/", "Prefix", "root"),
                path("/foo", "Exact", "exact-foo"),
                path("/aaa/bb", "Prefix", "aaa-bb"),
                path("/aaa/bbb", "Prefix", "aaa-bbb"),
                path("/aaa/bbb/", "Prefix", "aaa-bbb-slash"),
                path("/trail/", "Prefix", "trail"),
                path("/impl", "ImplementationSpecific", "impl"),
                path(None, "ImplementationSpecific", "impl-root"),
            )
        ],
    ),
]

CASES = [
    # host, path → service (or status)
    ("anything.example", "/testpath", "test"),
    ("anything.example", "/testpath/", "test"),
    ("anything.example", "/testpath/deep?q=1", "test"),
    ("anything.example", "/testpathology", 404),
    ("anything.example", "/", 404),
    ("foo.bar.com", "/bar", "service1"),
    ("foo.bar.com", "/bar/baz", "service1"),
    ("foo.bar.com", "/testpath", 404),  # a named server does not fall back to the catch-all's paths
    ("FOO.BAR.COM:80", "/bar", "service1"),
    ("baz.foo.com", "/foo", "service2"),
    ("baz.foo.com", "/foo/x", "service2"),
    ("foo.com", "/foo", 404),  # the wildcard needs exactly one label
    ("a.b.foo.com", "/foo", 404),
    ("match.example", "/foo", "exact-foo"),
    ("match.example", "/foo/", "root"),  # Exact is exact
    ("match.example", "/aaa/bb", "aaa-bb"),
    ("match.example", "/aaa/bbb", "aaa-bbb"),
    ("match.example", "/aaa/bbb/", "aaa-bbb"),
    ("match.example", "/aaa/bbb/ccc", "aaa-bbb"),
    ("match.example", "/aaa/bbbxyz", "root"),  # element-wise: /aaa/bbb does not match /aaa/bbbxyz
    ("match.example", "/aaa/ccc", "root"),
    ("match.example", "/trail/x", "trail"),
    ("match.example", "/trail", 301),  # nginx's redirect to the slash form of a proxied prefix
    ("match.example", "/implementation", "impl"),  # ImplementationSpecific: nginx's plain prefix
    ("match.example", "/other", "root"),
]


@pytest.mark.parametrize(("host", "uri", "expected"), CASES)
def test_route_follows_ingress_nginx_matching(host: str, uri: str, expected: str | int) -> None:
    got = route(DOCS, host, uri)
    if isinstance(expected, str):
        assert got.backend is not None and got.backend.service == expected, got
    else:
        assert got.backend is None and got.status == expected


def test_no_rule_answers_the_default_backend_s_404_page() -> None:
    got = route([], "hello-world.example", "/")
    assert (got.status, got.body) == (404, NOT_FOUND_PAGE)
    assert "<center><h1>404 Not Found</h1></center>" in got.body


def test_the_redirect_keeps_the_query() -> None:
    got = route(DOCS, "match.example", "/trail?x=1")
    assert (got.status, got.location) == (301, "/trail/?x=1")


def test_default_backend_takes_the_root_of_its_hosts_and_the_catch_all_without_rules() -> None:
    with_rules = ingress("a", [rule("shop.example", path("/api", "Prefix", "api"))], default="fallback")
    only_default = ingress("b", [], default="catch", created="2026-01-01T09:00:01Z")
    ings = [with_rules, only_default]
    assert route(ings, "shop.example", "/api/x").backend.service == "api"  # type: ignore[union-attr]
    assert route(ings, "shop.example", "/elsewhere").backend.service == "fallback"  # type: ignore[union-attr]
    assert route(ings, "unknown.example", "/").backend.service == "catch"  # type: ignore[union-attr]


def test_the_older_ingress_keeps_a_contested_host_and_path() -> None:
    old = ingress("old", [rule("x.example", path("/", "Prefix", "first"))], created="2026-01-01T09:00:00Z")
    new = ingress("new", [rule("x.example", path("/", "Prefix", "second"))], created="2026-01-01T09:05:00Z")
    assert route([new, old], "x.example", "/").backend.service == "first"  # type: ignore[union-attr]
    assert route([new], "x.example", "/").backend.service == "second"  # type: ignore[union-attr]


def test_exact_names_win_over_wildcards() -> None:
    ings = [
        ingress("w", [rule("*.shop.example", path("/", "Prefix", "wild"))]),
        ingress("e", [rule("www.shop.example", path("/", "Prefix", "exact"))]),
    ]
    assert route(ings, "www.shop.example", "/").backend.service == "exact"  # type: ignore[union-attr]
    assert route(ings, "api.shop.example", "/").backend.service == "wild"  # type: ignore[union-attr]


def test_a_resource_backend_is_not_something_nginx_can_proxy_to() -> None:
    ing = ingress("r", [])
    ing["spec"]["rules"] = [
        {
            "host": "r.example",
            "http": {
                "paths": [
                    {
                        "path": "/s",
                        "pathType": "Prefix",
                        "backend": {"resource": {"kind": "Bucket", "name": "b"}},
                    }
                ]
            },
        }
    ]
    got = route([ing], "r.example", "/s/x")
    assert (got.status, got.body) == (503, UNAVAILABLE_PAGE)


def _slice(svc: str, port_name: str, port: int, *eps: tuple[str, bool]) -> Obj:
    return {
        "metadata": {"namespace": "default", "labels": {"kubernetes.io/service-name": svc}},
        "ports": [{"name": port_name, "port": port, "protocol": "TCP"}],
        "endpoints": [{"addresses": [ip], "conditions": {"ready": ready}} for ip, ready in eps],
    }


def test_upstreams_are_the_ready_endpoints_on_the_named_service_port() -> None:
    services = [
        {
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {
                "ports": [{"name": "http", "port": 80, "targetPort": 8080}, {"name": "admin", "port": 81}]
            },
        },
    ]
    slices = [
        _slice("web", "http", 8080, ("10.244.1.5", True), ("10.244.2.7", False), ("10.244.3.2", True)),
        _slice("web", "admin", 9000, ("10.244.1.5", True)),
        _slice("other", "http", 8080, ("10.244.1.9", True)),
    ]
    backend = Backend("default", "web", 80, "example", "/")
    assert upstreams(backend, services, slices) == [("10.244.1.5", 8080), ("10.244.3.2", 8080)]
    assert upstreams(Backend("default", "web", "admin", "e", "/"), services, slices) == [("10.244.1.5", 9000)]
    assert (
        upstreams(Backend("default", "web", 8080, "e", "/"), services, slices) == []
    )  # no such Service port
    assert upstreams(Backend("default", "nope", 80, "e", "/"), services, slices) == []
