"""Discovery: `/version`, `/api`, `/apis` (aggregated v2 or legacy), `/api/v1`,
`/apis/<group>[/<version>]`, and the minimal `/openapi/v3` kubectl's validation needs.

Everything is generated from the engine's kind registry (`engine/kinds.py`) and the
subresource table in `routing.py`, so a kind registered later is discoverable at once.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

from clusterlab.engine.kinds import Kind
from clusterlab.kubeapi.errors import resource_not_found
from clusterlab.kubeapi.openapi_schemas import schemas_for
from clusterlab.kubeapi.reviews import REVIEWS, Review
from clusterlab.kubeapi.routing import STATUS, group_versions, split_path, subresources

Obj = dict[str, Any]

VERSION_INFO: Obj = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0",
    "gitCommit": "70d3cc986aa8221cd1dfb1121852688902d3bf53",
    "gitTreeState": "clean",
    "buildDate": "2024-12-11T17:58:00Z",
    "goVersion": "go1.23.3",
    "compiler": "gc",
    "platform": "linux/amd64",
}

ITEM_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
SUBRESOURCE_VERBS = {
    STATUS: ["get", "patch", "update"],
    "scale": ["get", "patch", "update"],
    "log": ["get"],
    "binding": ["create"],
    "eviction": ["create"],
    "finalize": ["update"],
}


def _sub_kind(kind: Kind, sub: str, version: str) -> tuple[str, str, str]:
    """(group, version, kind) a subresource of ``kind`` served as ``version`` answers with."""
    if sub == "scale":
        return ("autoscaling", "v1", "Scale")
    if sub == "binding":
        return ("", "v1", "Binding")
    if sub == "eviction":
        return ("policy", "v1", "Eviction")
    return (kind.group, version, kind.kind)


def _gv(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


# -- aggregated discovery (apidiscovery.k8s.io/v2) ---------------------------------------------


def _aggregated_resource(kind: Kind, version: str) -> Obj:
    out: Obj = {
        "resource": kind.plural,
        "responseKind": {"group": kind.group, "version": version, "kind": kind.kind},
        "scope": "Namespaced" if kind.namespaced else "Cluster",
        "singularResource": kind.singular,
        "verbs": ITEM_VERBS,
    }
    if kind.short_names:
        out["shortNames"] = list(kind.short_names)
    if kind.categories:
        out["categories"] = list(kind.categories)
    subs = []
    for sub in subresources(kind):
        g, v, k = _sub_kind(kind, sub, version)
        subs.append(
            {
                "subresource": sub,
                "responseKind": {"group": g, "version": v, "kind": k},
                "verbs": SUBRESOURCE_VERBS.get(sub, ["get"]),
            }
        )
    if subs:
        out["subresources"] = subs
    return out


def _aggregated_review(review: Review) -> Obj:
    return {
        "resource": review.plural,
        "responseKind": {"group": review.group, "version": review.version, "kind": review.kind},
        "scope": "Cluster",
        "singularResource": review.kind.lower(),
        "verbs": ["create"],
    }


def aggregated(core: bool) -> Obj:
    """`GET /api` (core=True) or `GET /apis` as an `APIGroupDiscoveryList`."""
    groups: dict[str, list[Obj]] = {}
    for (group, version), kinds in group_versions().items():
        if (group == "") != core:
            continue
        groups.setdefault(group, []).append(
            {
                "version": version,
                "resources": [_aggregated_resource(k, version) for k in kinds],
                "freshness": "Current",
            }
        )
    for review in () if core else REVIEWS:
        versions = groups.setdefault(review.group, [])
        same = [v for v in versions if v["version"] == review.version]
        if same:  # several reviews in one group version (SelfSubjectAccessReview, SubjectAccessReview)
            same[0]["resources"].append(_aggregated_review(review))
        else:
            versions.append(
                {"version": review.version, "resources": [_aggregated_review(review)], "freshness": "Current"}
            )
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": [{"metadata": {"name": g}, "versions": versions} for g, versions in groups.items()],
    }


# -- legacy discovery --------------------------------------------------------------------------


def api_versions(server_address: str) -> Obj:
    """`GET /api` (legacy): the core group's versions."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _api_group(group: str, versions: list[str]) -> Obj:
    listed = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": listed, "preferredVersion": listed[0]}


def _groups() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for group, version in [*group_versions(), *((r.group, r.version) for r in REVIEWS)]:
        if group and version not in out.get(group, []):
            out.setdefault(group, []).append(version)
    return out


def api_group_list() -> Obj:
    """`GET /apis` (legacy): every named group."""
    groups = [_api_group(g, vs) for g, vs in _groups().items()]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def resource_list(group: str, version: str) -> Obj:
    """`GET /api/v1`, `GET /apis/<group>/<version>`: an `APIResourceList`."""
    kinds = group_versions().get((group, version))
    extra = [r for r in REVIEWS if (r.group, r.version) == (group, version)]
    if kinds is None and not extra:
        raise resource_not_found()
    resources: list[Obj] = [
        {
            "name": r.plural,
            "singularName": r.kind.lower(),
            "namespaced": False,
            "kind": r.kind,
            "verbs": ["create"],
        }
        for r in extra
    ]
    for k in kinds or []:
        entry: Obj = {
            "name": k.plural,
            "singularName": k.singular,
            "namespaced": k.namespaced,
            "kind": k.kind,
            "verbs": ITEM_VERBS,
        }
        if k.short_names:
            entry["shortNames"] = list(k.short_names)
        if k.categories:
            entry["categories"] = list(k.categories)
        resources.append(entry)
        for sub in subresources(k):
            g, v, sk = _sub_kind(k, sub, version)
            sub_entry: Obj = {
                "name": f"{k.plural}/{sub}",
                "singularName": "",
                "namespaced": k.namespaced,
                "kind": sk,
                "verbs": SUBRESOURCE_VERBS.get(sub, ["get"]),
            }
            if (g, v) != (k.group, version):
                sub_entry["group"], sub_entry["version"] = g, v
            resources.append(sub_entry)
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": _gv(group, version),
        "resources": resources,
    }


def discovery_document(path: str, *, aggregated_wanted: bool, server_address: str) -> Obj | None:
    """The discovery answer for ``path``, or None when the path is not a discovery path."""
    parts = split_path(path)
    if parts == ["version"]:
        return dict(VERSION_INFO)
    if parts == ["api"]:
        return aggregated(True) if aggregated_wanted else api_versions(server_address)
    if parts == ["apis"]:
        return aggregated(False) if aggregated_wanted else api_group_list()
    if len(parts) == 2 and parts[0] == "api":
        return resource_list("", parts[1])
    if len(parts) == 2 and parts[0] == "apis":
        versions = _groups().get(parts[1])
        if versions is None:
            raise resource_not_found()
        return {"kind": "APIGroup", "apiVersion": "v1", **_api_group(parts[1], versions)}
    if len(parts) == 3 and parts[0] == "apis":
        return resource_list(parts[1], parts[2])
    return None


# -- OpenAPI v3: `kubectl apply` validation (paths) and `kubectl explain` (schemas) ----------


def _openapi_path(group: str, version: str) -> str:
    return f"api/{version}" if not group else f"apis/{group}/{version}"


def openapi_gv(group: str, version: str) -> Obj:
    """`GET /openapi/v3/<api/v1 | apis/<g>/<v>>`: per kind, the write operations with their
    group-version-kind and the `fieldValidation` parameter, which is what kubectl checks to
    leave validation to the server, and the kinds' schemas (`openapi_schemas.py`), which
    `kubectl explain` renders."""
    kinds = group_versions().get((group, version))
    if kinds is None:
        raise resource_not_found()
    paths: Obj = {}
    param = [{"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": True}}]
    for k in kinds:
        gvk = {"group": k.group, "version": version, "kind": k.kind}
        base = f"/{_openapi_path(group, version)}"
        if k.namespaced:
            base += "/namespaces/{namespace}"
        op = {"x-kubernetes-group-version-kind": gvk, "parameters": param}
        paths[f"{base}/{k.plural}"] = {"post": op}
        paths[f"{base}/{k.plural}/{{name}}"] = {"put": op, "patch": op}
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": VERSION_INFO["gitVersion"]},
        "paths": paths,
        "components": {"schemas": schemas_for(tuple((k.group, version, k.kind) for k in kinds))},
    }


def openapi_index(prefix: str = "") -> Obj:
    """`GET /openapi/v3`: each group version's document, addressed with its content hash.

    client-go requests a `serverRelativeURL` as the whole path (the server URL's own path is
    dropped), so it carries the lab's `/k8s/<key>` ``prefix``."""
    paths = {}
    for group, version in group_versions():
        digest = _openapi_hash(
            group, version, tuple((k.kind, k.plural, k.namespaced) for k in kinds_of(group, version))
        )
        rel = _openapi_path(group, version)
        paths[rel] = {"serverRelativeURL": f"{prefix}/openapi/v3/{rel}?hash={digest}"}
    return {"paths": paths}


def kinds_of(group: str, version: str) -> list[Any]:
    return list(group_versions().get((group, version)) or ())


@functools.cache
def _openapi_hash(group: str, version: str, _kinds: tuple[tuple[str, str, bool], ...]) -> str:
    """The document's content hash (computed once per set of kinds: the documents are large)."""
    doc = json.dumps(openapi_gv(group, version), sort_keys=True).encode()
    return hashlib.sha512(doc).hexdigest()[:64].upper()


def openapi_document(path: str, prefix: str = "") -> Obj | None:
    """The OpenAPI answer for ``path`` (`openapi/v3…`), None if it is not an OpenAPI path."""
    parts = split_path(path)
    if parts[:1] != ["openapi"]:
        return None
    if parts == ["openapi", "v3"]:
        return openapi_index(prefix)
    if len(parts) == 4 and parts[:3] == ["openapi", "v3", "api"]:
        return openapi_gv("", parts[3])
    if len(parts) == 5 and parts[:3] == ["openapi", "v3", "apis"]:
        return openapi_gv(parts[3], parts[4])
    raise resource_not_found()  # /openapi/v2 included: kubectl falls back without it
