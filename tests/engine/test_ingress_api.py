"""Ingress and IngressClass in the API server: validation in Kubernetes' words, the
DefaultIngressClass admission, generation and status, and the `get` tables' cells."""

from __future__ import annotations

from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.errors import Invalid
from clusterlab.engine.ingress_tables import format_hosts
from clusterlab.engine.tables import to_table

Obj = dict[str, Any]
DEFAULT = "ingressclass.kubernetes.io/is-default-class"


def ing(spec: Obj, name: str = "web", annotations: dict[str, str] | None = None) -> Obj:
    meta: Obj = {"name": name}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": spec}


def klass(name: str, default: bool = False, controller: str = "k8s.io/ingress-nginx", **spec: Any) -> Obj:
    meta: Obj = {"name": name}
    if default:
        meta["annotations"] = {DEFAULT: "true"}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": meta,
        "spec": {"controller": controller, **spec},
    }


def svc_path(
    path: str | None = "/", ptype: str | None = "Prefix", name: str = "web", port: Obj | None = None
) -> Obj:
    item: Obj = {"backend": {"service": {"name": name, "port": port if port is not None else {"number": 80}}}}
    if path is not None:
        item["path"] = path
    if ptype is not None:
        item["pathType"] = ptype
    return item


def rules(*paths: Obj, host: str | None = None) -> Obj:
    r: Obj = {"http": {"paths": list(paths)}}
    if host is not None:
        r["host"] = host
    return {"rules": [r]}


@pytest.fixture(scope="module")
def cluster() -> Cluster:
    return Cluster()


def refusal(c: Cluster, obj: Obj) -> str:
    with pytest.raises(Invalid) as info:
        c.apply(obj)
    return str(info.value)


INVALID = [
    (
        {},
        'Ingress.networking.k8s.io "web" is invalid: spec: Invalid value: []networking.IngressRule(nil): '
        "either `defaultBackend` or `rules` must be specified",
    ),
    (
        rules(svc_path(ptype=None)),
        "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified",
    ),
    (
        rules(svc_path(ptype="Regex")),
        'spec.rules[0].http.paths[0].pathType: Unsupported value: "Regex": supported values: "Exact", '
        '"ImplementationSpecific", "Prefix"',
    ),
    (
        rules(svc_path("foo")),
        'spec.rules[0].http.paths[0].path: Invalid value: "foo": must be an absolute path',
    ),
    (
        rules(svc_path("/a//b")),
        "spec.rules[0].http.paths[0].path: Invalid value: \"/a//b\": must not contain '//'",
    ),
    (
        rules(svc_path("/a/..")),
        "spec.rules[0].http.paths[0].path: Invalid value: \"/a/..\": cannot end with '/..'",
    ),
    (rules(svc_path("/a%2Fb", "Exact")), "must not contain '%2F'"),
    (
        rules(svc_path(), host="10.0.0.1"),
        'spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
    ),
    (
        rules(svc_path(), host="*.*.example.com"),
        'spec.rules[0].host: Invalid value: "*.*.example.com": a wildcard DNS-1123 subdomain must '
        "start with '*.'",
    ),
    (
        rules(svc_path(), host="Foo.example"),
        'spec.rules[0].host: Invalid value: "Foo.example": a lowercase RFC 1123 subdomain',
    ),
    (
        rules(svc_path(port={})),
        "spec.rules[0].http.paths[0].backend: Required value: port name or number is required",
    ),
    (
        rules(svc_path(port={"name": "http", "number": 80})),
        'spec.rules[0].http.paths[0].backend: Invalid value: "": cannot set both port name & port number',
    ),
    (
        rules(svc_path(port={"number": 70000})),
        "spec.rules[0].http.paths[0].backend.service.port.number: Invalid value: 70000: must be between "
        "1 and 65535, inclusive",
    ),
    (
        rules(svc_path(name="Web")),
        'spec.rules[0].http.paths[0].backend.service.name: Invalid value: "Web": a DNS-1035 label must '
        "consist of lower case",
    ),
    (
        {
            "defaultBackend": {
                "service": {"name": "a", "port": {"number": 80}},
                "resource": {"kind": "B", "name": "b"},
            }
        },
        'spec.defaultBackend: Invalid value: "": cannot set both resource and service backends',
    ),
    (
        {"defaultBackend": {}},
        'spec.defaultBackend: Invalid value: "": resource or service backend is required',
    ),
    (
        {**rules(svc_path()), "tls": [{"hosts": ["*.a.example", "b_c"], "secretName": "Bad_Name"}]},
        'spec.tls[0].hosts[1]: Invalid value: "b_c"',
    ),
    ({**rules(svc_path()), "ingressClassName": "Nginx"}, 'spec.ingressClassName: Invalid value: "Nginx"'),
]


@pytest.mark.parametrize(("spec", "text"), INVALID)
def test_invalid_ingresses_are_refused_in_kubernetes_words(cluster: Cluster, spec: Obj, text: str) -> None:
    assert text in refusal(cluster, ing(spec))


def test_tls_secret_name_is_a_dns_subdomain(cluster: Cluster) -> None:
    text = refusal(
        cluster, ing({**rules(svc_path()), "tls": [{"hosts": ["a.example"], "secretName": "Bad_Name"}]})
    )
    assert 'spec.tls[0].secretName: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain' in text


def test_legacy_annotation_must_match_the_class_on_create_only(cluster: Cluster) -> None:
    obj = ing(
        {**rules(svc_path()), "ingressClassName": "nginx"},
        "legacy",
        {"kubernetes.io/ingress.class": "traefik"},
    )
    text = refusal(cluster, obj)
    assert (
        'annotations.kubernetes.io/ingress.class: Invalid value: "traefik": must match `ingressClassName` '
        "when both are specified" in text
    )


def test_paths_the_api_accepts(cluster: Cluster) -> None:
    ok = ing(
        {
            "rules": [
                {
                    "host": "*.foo.com",
                    "http": {"paths": [svc_path("/foo"), svc_path(None, "ImplementationSpecific")]},
                },
                {"host": "a.example"},
            ],
            "tls": [{"hosts": ["*.foo.com"]}],
        },
        "accepted",
    )
    created = cluster.apply(ok)[0]
    assert created["status"] == {"loadBalancer": {}}
    assert created["metadata"]["generation"] == 1
    assert "ingressClassName" not in created["spec"]  # no default class in this cluster


def test_ingress_class_validation_defaulting_and_immutable_controller() -> None:
    c = Cluster()
    bad = klass("bad", controller="nginx")
    assert (
        'spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")'
        in refusal(c, bad)
    )
    ns_scope = klass("ns", parameters={"kind": "Params", "name": "p", "scope": "Namespace"})
    assert "spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'" in refusal(
        c, ns_scope
    )
    made = c.apply(
        klass("ext", parameters={"apiGroup": "k8s.example.com", "kind": "IngressParameters", "name": "p"})
    )[0]
    assert made["spec"]["parameters"]["scope"] == "Cluster"  # SetDefaults_IngressClass
    assert made["metadata"]["generation"] == 1
    changed = c.get("ingressclass", "ext")
    changed["spec"]["controller"] = "example.com/other"
    with pytest.raises(Invalid) as info:
        c.update(changed)
    assert 'spec.controller: Invalid value: "k8s.io/ingress-nginx": field is immutable' in str(info.value)


def test_default_ingress_class_admission_picks_the_newest_default() -> None:
    c = Cluster()
    c.apply(klass("old-default", default=True))
    c.advance(5)
    c.apply(klass("new-default", default=True))
    c.apply(klass("plain"))
    defaulted = c.apply(ing(rules(svc_path()), "a"))[0]
    assert defaulted["spec"]["ingressClassName"] == "new-default"
    chosen = c.apply(ing({**rules(svc_path()), "ingressClassName": "plain"}, "b"))[0]
    assert chosen["spec"]["ingressClassName"] == "plain"
    legacy = c.apply(ing(rules(svc_path()), "c", {"kubernetes.io/ingress.class": "nginx"}))[0]
    assert "ingressClassName" not in legacy["spec"]  # the legacy annotation is left alone
    # only creates are defaulted: an update that drops the class keeps it dropped
    later = c.get("ingress", "b")
    del later["spec"]["ingressClassName"]
    assert "ingressClassName" not in c.update(later)["spec"]


def test_generation_follows_spec_changes_and_status_is_its_own_subresource() -> None:
    c = Cluster()
    c.apply(ing(rules(svc_path()), "g"))
    obj = c.get("ingress", "g")
    obj["spec"]["rules"][0]["http"]["paths"][0]["path"] = "/v2"
    obj["status"] = {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}
    updated = c.update(obj)
    assert updated["metadata"]["generation"] == 2
    assert updated["status"] == {"loadBalancer": {}}  # the main resource ignores status


def test_hosts_column_lists_three_hosts_then_how_many_rules_are_left() -> None:
    assert format_hosts([]) == "*"
    assert format_hosts([{"host": ""}, {}]) == "*"
    assert format_hosts([{"host": "a"}, {}, {"host": "b"}]) == "a,b"
    hosts = [{"host": h} for h in ("a", "b", "c", "d", "e")]
    assert format_hosts(hosts) == "a,b,c + 2 more..."


def test_tables_cells() -> None:
    c = Cluster()
    c.apply(
        klass("ext", parameters={"apiGroup": "k8s.example.com", "kind": "IngressParameters", "name": "p"})
    )
    c.apply(klass("nginx"))
    c.apply(
        ing(
            {
                **rules(svc_path(), host="hello-world.example"),
                "ingressClassName": "nginx",
                "tls": [{"hosts": ["hello-world.example"]}],
            },
            "tls",
        )
    )
    c.apply(ing(rules(svc_path()), "plain"))
    c.advance(75)
    rows = {
        r["cells"][0]: r["cells"]
        for r in to_table("ingresses", c.list("ingresses", "default"), now=c.now, epoch=c.epoch)["rows"]
    }
    assert rows["tls"] == ["tls", "nginx", "hello-world.example", "", "80, 443", "75s"]
    assert rows["plain"] == ["plain", "<none>", "*", "", "80", "75s"]
    table = to_table("ingressclasses", c.list("ingressclasses", None), now=c.now, epoch=c.epoch)
    assert [col["name"] for col in table["columnDefinitions"]] == ["Name", "Controller", "Parameters", "Age"]
    cells = {r["cells"][0]: r["cells"] for r in table["rows"]}
    assert cells["ext"] == ["ext", "k8s.io/ingress-nginx", "IngressParameters.k8s.example.com/p", "75s"]
    assert cells["nginx"][2] == "<none>"
