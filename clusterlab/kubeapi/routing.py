"""Kubernetes REST paths → what they name, driven by the engine's kind registry.

    /api/v1/namespaces/default/pods/web-1/log      core group, namespaced, item, subresource
    /apis/apps/v1/namespaces/default/deployments   a group's collection in one namespace
    /apis/apps/v1/deployments                      the same across all namespaces
    /api/v1/nodes/worker-1/status                  cluster-scoped item, subresource

Only resource plurals appear in URLs (as in kube-apiserver: `po` or `pod` do not), and a kind
is found by (group, version, plural), so kinds registered later are served without new code.
"""

from __future__ import annotations

from dataclasses import dataclass

from clusterlab.engine.kinds import KINDS, Kind
from clusterlab.kubeapi.errors import resource_not_found

#: Subresources every kind with a status has, and those particular kinds have (by kind name).
STATUS = "status"
KIND_SUBRESOURCES: dict[str, tuple[str, ...]] = {
    "Pod": ("binding", "eviction", "log"),
    "Deployment": ("scale",),
    "ReplicaSet": ("scale",),
    "StatefulSet": ("scale",),
    "ReplicationController": ("scale",),
    "Namespace": ("finalize",),
}


def subresources(kind: Kind) -> tuple[str, ...]:
    """The subresources served for ``kind`` (the registry's own list wins when it has one)."""
    declared = getattr(kind, "subresources", None)
    if declared is not None:
        return tuple(declared)
    names = list(KIND_SUBRESOURCES.get(kind.kind, ()))
    if kind.has_status:
        names.append(STATUS)
    return tuple(sorted(names))


@dataclass(frozen=True)
class Route:
    """A resource path: a collection (no name) or an item, maybe a subresource of the item."""

    kind: Kind
    namespace: str | None  # None: cluster-scoped kind, or a namespaced kind across all namespaces
    name: str | None = None
    subresource: str | None = None
    #: The version the URL names ("": the kind's storage version); bodies and answers are in it.
    version: str = ""

    @property
    def is_collection(self) -> bool:
        return self.name is None

    @property
    def served_version(self) -> str:
        return self.version or self.kind.version

    @property
    def api_version(self) -> str:
        """The apiVersion of the URL's objects (`autoscaling/v1` for an HPA under `/apis/autoscaling/v1`)."""
        group = self.kind.group
        return f"{group}/{self.served_version}" if group else self.served_version


def group_versions() -> dict[tuple[str, str], list[Kind]]:
    """Every served (group, version) and its kinds, core group first, in registry order (a
    group's preferred version before its others)."""
    out: dict[tuple[str, str], list[Kind]] = {("", "v1"): []}
    for k in KINDS:
        for version in k.versions:
            out.setdefault((k.group, version), []).append(k)
    return out


def find_kind(group: str, version: str, plural: str) -> Kind | None:
    """The kind served at `<group>/<version>/<plural>`, if any."""
    for k in KINDS:
        if k.group == group and k.plural == plural and version in k.versions:
            return k
    return None


def split_path(path: str) -> list[str]:
    """Path segments; empty segments (`//`, a trailing slash) are dropped."""
    return [s for s in path.split("/") if s]


def resolve_route(path: str) -> Route:
    """The Route a resource path names; NotFound for anything else (discovery paths included)."""
    parts = split_path(path)
    if len(parts) >= 2 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        raise resource_not_found()
    if not rest or any(not _segment_ok(s) for s in rest):
        raise resource_not_found()
    namespace: str | None = None
    if rest[0] == "namespaces" and len(rest) >= 3:
        ns_kind = find_kind("", "v1", "namespaces")
        # namespaces/<ns>/<plural>… unless it is the namespace's own subresource (status, finalize)
        inner = find_kind(group, version, rest[2])
        if inner is not None and inner.namespaced:
            namespace, rest = rest[1], rest[2:]
        elif group == "" and ns_kind is not None and len(rest) == 3 and rest[2] in subresources(ns_kind):
            return Route(ns_kind, None, rest[1], rest[2])
        else:
            raise resource_not_found()
    kind = find_kind(group, version, rest[0])
    if kind is None or len(rest) > 3:
        raise resource_not_found()
    if kind.namespaced and namespace is None and len(rest) > 1:
        raise resource_not_found()  # items of namespaced kinds live under namespaces/<ns>/
    name = rest[1] if len(rest) >= 2 else None
    sub = rest[2] if len(rest) == 3 else None
    if sub is not None and sub not in subresources(kind):
        raise resource_not_found()
    return Route(kind, namespace, name, sub, "" if version == kind.version else version)


def _segment_ok(segment: str) -> bool:
    """Reject segments no object can be named: `.`/`..` and control characters."""
    return segment not in (".", "..") and segment.isprintable() and len(segment) <= 253
