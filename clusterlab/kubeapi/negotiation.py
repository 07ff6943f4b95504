"""Content negotiation as kube-apiserver does it: which representation a client asked for
(`Accept`), which patch flavour a body is (`Content-Type`), and decoding request bodies.

kubectl asks for a `meta.k8s.io/v1` Table when it prints (`Accept: application/json;as=Table;
v=v1;g=meta.k8s.io, …, application/json`) and for aggregated discovery
(`application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList, …`); clients list their
preferences in order and the server serves the first it can. Protobuf is never produced: a
client that offers JSON as well gets JSON, one that accepts only protobuf gets 406.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import yaml

from clusterlab.engine.errors import BadRequest
from clusterlab.kubeapi import protobuf
from clusterlab.kubeapi.errors import (
    MAX_BODY_BYTES,
    NotAcceptable,
    RequestEntityTooLarge,
    UnsupportedMediaType,
)

JSON = "application/json"
TABLE_CONTENT_TYPE = "application/json;as=Table;v=v1;g=meta.k8s.io"
AGGREGATED_CONTENT_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

#: Patch media types and the engine's name for each.
PATCH_TYPES = {
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/json-patch+json": "json",
    "application/apply-patch+yaml": "apply",
}
#: Body media types for create and update.
BODY_TYPES = ("application/json", "application/yaml", "application/x-yaml", "text/yaml", "")
#: Deepest nesting a body may have (real objects stay far below; this stops recursion bombs).
MAX_DEPTH = 64


@dataclass(frozen=True)
class MediaRange:
    """One entry of an Accept header: `type/subtype;param=value` (q is parsed and ignored,
    as kube-apiserver serves in the client's listed order)."""

    type: str
    subtype: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def json_like(self) -> bool:
        """True when JSON satisfies this range (`application/json`, `application/*`, `*/*`)."""
        return (self.type, self.subtype) in (("application", "json"), ("application", "*"), ("*", "*"))


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header, in the client's order (an empty header: `*/*`)."""
    ranges = []
    for part in (header or "").split(","):
        pieces = [p.strip() for p in part.split(";")]
        if not pieces[0]:
            continue
        mtype, _, subtype = pieces[0].lower().partition("/")
        params = {}
        for p in pieces[1:]:
            key, _, value = p.partition("=")
            if key.strip() and key.strip().lower() != "q":
                params[key.strip().lower()] = value.strip().strip('"')
        ranges.append(MediaRange(mtype, subtype or "*", params))
    return ranges or [MediaRange("*", "*")]


def _representation(accept: str | None, special: tuple[str, str, tuple[str, ...]]) -> bool:
    """True if the first range the server can serve asks for the `(as, g, versions)` form."""
    kind, group, versions = special
    for r in parse_accept(accept):
        if not r.json_like:
            continue
        as_ = r.params.get("as")
        if as_ is None:
            return False
        if as_ == kind and r.params.get("g") == group and r.params.get("v") in versions:
            return True
    raise NotAcceptable(
        "only the following media types are accepted: application/json, application/yaml, "
        "application/vnd.kubernetes.protobuf"
    )


def wants_table(accept: str | None) -> bool:
    """Does the client want a `meta.k8s.io/v1` Table (kubectl get)? 406 if it accepts nothing
    this server produces."""
    return _representation(accept, ("Table", "meta.k8s.io", ("v1", "v1beta1")))


def wants_aggregated_discovery(accept: str | None) -> bool:
    """Does the client want aggregated discovery (`apidiscovery.k8s.io/v2`)?"""
    try:
        return _representation(accept, ("APIGroupDiscoveryList", "apidiscovery.k8s.io", ("v2",)))
    except NotAcceptable:
        return False  # discovery answers plain JSON to anyone, like kube-apiserver's legacy lists


def check_accepts_json(accept: str | None) -> None:
    """406 unless the client accepts plain JSON."""
    if not any(r.json_like for r in parse_accept(accept)):
        raise NotAcceptable(
            "only the following media types are accepted: application/json, application/yaml, "
            "application/vnd.kubernetes.protobuf"
        )


def media_type(content_type: str | None) -> str:
    """`application/json; charset=utf-8` → `application/json`."""
    return (content_type or "").split(";")[0].strip().lower()


def patch_type(content_type: str | None) -> str:
    """The engine's patch type for a PATCH body's media type; 415 for anything else."""
    kind = PATCH_TYPES.get(media_type(content_type))
    if kind is None:
        raise UnsupportedMediaType(
            f"the body of the request was in an unknown format - accepted media types include: "
            f"{', '.join(PATCH_TYPES)}"
        )
    return kind


def _no_aliases(loader: yaml.SafeLoader) -> None:
    raise yaml.YAMLError("YAML aliases are not accepted")


class _SafeNoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases, so `&a [*a, *a, …]` expansion bombs cannot grow."""

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            _no_aliases(self)
        return super().compose_node(parent, index)


def check_size(raw: bytes) -> None:
    """413 for a body over kube-apiserver's 3 MiB limit."""
    if len(raw) > MAX_BODY_BYTES:
        raise RequestEntityTooLarge(f"Request entity too large: limit is {MAX_BODY_BYTES}")


def decode_body(raw: bytes, content_type: str | None) -> Any:
    """Decode a request body (JSON, YAML for YAML media types, the protobuf bodies kubectl's
    typed clients send); 400 for anything malformed,
    413 when too large, 415 for media types nobody reads. An empty body is None."""
    check_size(raw)
    mtype = media_type(content_type)
    if mtype == protobuf.MEDIA_TYPE:
        return protobuf.decode(raw)
    if mtype not in BODY_TYPES and mtype not in PATCH_TYPES:
        raise UnsupportedMediaType(
            f"the body of the request was in an unknown format - accepted media types include: "
            f"application/json, application/yaml, {', '.join(PATCH_TYPES)}"
        )
    if not raw.strip():
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the request body is not UTF-8 text: {exc.reason}") from exc
    yamlish = "yaml" in mtype
    try:
        if yamlish:
            value = yaml.load(text, Loader=_SafeNoAliasLoader)
        else:
            value = json.loads(text, parse_constant=_no_constant)
    except (ValueError, yaml.YAMLError, RecursionError) as exc:
        what = "yaml" if yamlish else "json"
        raise BadRequest(f"error decoding {what}: {_short(str(exc))}") from exc
    check_depth(value)
    if yamlish:
        value = _json_safe(value)
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def check_depth(value: Any, limit: int = MAX_DEPTH) -> None:
    """400 for a value nested deeper than ``limit`` (checked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            raise BadRequest(f"the request body is nested more than {limit} levels deep")
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


def _json_safe(value: Any) -> Any:
    """YAML gives dates, bytes and non-string keys where JSON has strings: make it JSON."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
