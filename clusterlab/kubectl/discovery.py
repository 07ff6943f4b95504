"""API discovery and kubectl's REST mapping of the names a learner types.

Real kubectl first asks `GET /api` and `GET /apis` with the aggregated-discovery Accept
(`apidiscovery.k8s.io/v2` `APIGroupDiscoveryList`), or falls back to the legacy lists plus one
`GET /api/v1`, `GET /apis/<group>/<version>` per group version. From the answer it builds a
RESTMapper: `po`, `pod`, `pods`, `Pod`, `deploy`, `deployments.apps`, `deployments.v1.apps`
all map to one resource; categories (`all`) expand to several. Unknown names give
`the server doesn't have a resource type "x"`.

Every served version of a group is mapped (`hpa.v1.autoscaling` names the `autoscaling/v1`
resource), but a bare name resolves to the group's preferred version, and `api-resources` lists
only those, as kubectl's RESTMapper and its `api-resources` do.

Simplified: discovery is fetched once per `Discovery` object (kubectl caches it on disk for
ten minutes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import CommandError
from .transport import ACCEPT_DISCOVERY, ACCEPT_JSON_ANY, ApiStatusError, Transport, call


def check_segment(value: str, what: str) -> None:
    """client-go's `IsValidPathSegmentName`: a name or namespace must be one path segment."""
    problems = []
    if value in (".", ".."):
        problems.append(f"may not be '{value}'")
    else:
        problems += [f"may not contain '{c}'" for c in "/%" if c in value]
    if problems:
        raise CommandError(f'invalid {what} "{value}": [{", ".join(problems)}]')


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    singular: str = ""
    short_names: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    #: the group's preferred version (the first one discovery lists)
    preferred: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """`deployments.apps`, `pods`: how kubectl names a resource in API messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def display_kind(self) -> str:
        """`deployment.apps`, `pod`: the prefix of `-o name` and of `created`/`configured` lines."""
        low = self.kind.lower()
        return f"{low}.{self.group}" if self.group else low

    def path(self, namespace: str | None = None, name: str | None = None, sub: str | None = None) -> str:
        """The REST path of the collection, or of an object and its subresource."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            check_segment(namespace, "namespace")
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        if name is not None:
            check_segment(name, "resource name")
            base += f"/{name}"
            if sub:
                base += f"/{sub}"
        return base


@dataclass
class Discovery:
    """The server's resources, fetched through the transport on first use."""

    transport: Transport
    _resources: list[Resource] | None = field(default=None, init=False)

    @property
    def all_resources(self) -> list[Resource]:
        """Every resource in every served version."""
        if self._resources is None:
            self._resources = fetch(self.transport)
        return self._resources

    @property
    def resources(self) -> list[Resource]:
        """The resources of each group's preferred version."""
        return [r for r in self.all_resources if r.preferred]

    def resolve(self, name: str) -> list[Resource]:
        """The resources `name` stands for (one, or several for a category such as `all`)."""
        low = name.lower()
        plain, _, group = low.partition(".")
        version = ""
        if "." in group:
            maybe_version, _, rest = group.partition(".")
            if maybe_version.startswith("v") and maybe_version[1:2].isdigit():
                version, group = maybe_version, rest
        candidates = [r for r in self.resources if not group or r.group == group or r.group.startswith(group)]
        if version and not any(plain in (r.plural, r.singular) for r in candidates):
            version = ""  # client-go's shortcut expander keeps a short name's group, not its version
        if version:
            candidates = [
                r
                for r in self.all_resources
                if (r.group == group or r.group.startswith(group)) and r.version == version
            ]
        for attr in ("plural", "singular", "short_names", "kind"):
            found = [r for r in candidates if _matches(r, attr, plain if group else low)]
            if found:
                return [found[0]]
        if not group:
            cat = [r for r in self.resources if low in r.categories]
            if cat:
                return cat
        # kubectl names the resource part only (`nodes` of `nodes.metrics.k8s.io`)
        raise CommandError(f'the server doesn\'t have a resource type "{name.partition(".")[0]}"')

    def for_kind(self, api_version: str, kind: str) -> Resource:
        """The resource of a manifest's apiVersion and kind."""
        group, _, version = api_version.rpartition("/")
        for r in self.all_resources:
            if r.kind == kind and r.group == group and r.version == version:
                return r
        raise CommandError(
            f'resource mapping not found for name: "{{name}}" namespace: "{{namespace}}" from "{{source}}": '
            f'no matches for kind "{kind}" in version "{api_version}"\n'
            "ensure CRDs are installed first"
        )


def _matches(r: Resource, attr: str, value: str) -> bool:
    if attr == "short_names":
        return value in r.short_names
    if attr == "kind":
        return r.kind.lower() == value
    return getattr(r, attr) == value


def fetch(transport: Transport) -> list[Resource]:
    """`GET /api` and `GET /apis` (aggregated, else legacy per group version)."""
    out: list[Resource] = []
    for path in ("/api", "/apis"):
        try:
            doc = call(transport, "GET", path, query={"timeout": "32s"}, accept=ACCEPT_DISCOVERY)
        except ApiStatusError as exc:
            raise CommandError(f"couldn't get current server API group list: {exc.message}") from exc
        if not isinstance(doc, dict):
            continue
        if doc.get("kind") == "APIGroupDiscoveryList":
            out += _aggregated(doc)
        elif doc.get("kind") == "APIVersions":
            out += _legacy(transport, "", [f"v{v[1:]}" for v in doc.get("versions") or []][:1])
        elif doc.get("kind") == "APIGroupList":
            for g in doc.get("groups") or []:
                preferred = (g.get("preferredVersion") or {}).get("version") or (
                    (g.get("versions") or [{}])[0].get("version")
                )
                others = [v.get("version") for v in g.get("versions") or [] if v.get("version") != preferred]
                if preferred:
                    out += _legacy(transport, g.get("name", ""), [preferred])
                    out += _legacy(transport, g.get("name", ""), [v for v in others if v], preferred=False)
    return out


def _aggregated(doc: dict[str, Any]) -> list[Resource]:
    out = []
    for item in doc.get("items") or []:
        group = (item.get("metadata") or {}).get("name") or ""
        for index, v in enumerate(item.get("versions") or []):
            out += _aggregated_version(group, v, preferred=index == 0)
    return out


def _aggregated_version(group: str, v: dict[str, Any], *, preferred: bool) -> list[Resource]:
    out = []
    for r in v.get("resources") or []:
        kind = (r.get("responseKind") or {}).get("kind", "")
        out.append(
            Resource(
                group=group,
                version=v.get("version", ""),
                plural=r.get("resource", ""),
                kind=kind,
                namespaced=r.get("scope") == "Namespaced",
                singular=r.get("singularResource") or kind.lower(),
                short_names=tuple(r.get("shortNames") or ()),
                verbs=tuple(r.get("verbs") or ()),
                categories=tuple(r.get("categories") or ()),
                subresources=tuple(s.get("subresource", "") for s in r.get("subresources") or ()),
                preferred=preferred,
            )
        )
    return out


def _legacy(
    transport: Transport, group: str, versions: list[str], *, preferred: bool = True
) -> list[Resource]:
    out: list[Resource] = []
    for version in versions:
        path = f"/apis/{group}/{version}" if group else f"/api/{version}"
        doc = call(transport, "GET", path, query={"timeout": "32s"}, accept=ACCEPT_JSON_ANY)
        subs: dict[str, list[str]] = {}
        for r in doc.get("resources") or []:
            base, _, sub = r.get("name", "").partition("/")
            if sub:
                subs.setdefault(base, []).append(sub)
        for r in doc.get("resources") or []:
            if "/" in r.get("name", ""):
                continue
            out.append(
                Resource(
                    group=group,
                    version=version,
                    plural=r["name"],
                    kind=r.get("kind", ""),
                    namespaced=bool(r.get("namespaced")),
                    singular=r.get("singularName") or r.get("kind", "").lower(),
                    short_names=tuple(r.get("shortNames") or ()),
                    verbs=tuple(r.get("verbs") or ()),
                    categories=tuple(r.get("categories") or ()),
                    subresources=tuple(subs.get(r["name"], ())),
                    preferred=preferred,
                )
            )
    return out
