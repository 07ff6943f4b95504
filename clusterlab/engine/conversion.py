"""Serving a kind in several API versions: conversion to and from the storage version.

kube-apiserver keeps each object in one storage version and converts on the way in (a request
body in the URL's version is decoded, converted, defaulted, stored) and on the way out (the
stored object is converted to the version the client asked for, in GET, LIST, WATCH and every
write's answer). A kind's first `Kind.version` is its storage and preferred version; the
versions in `Kind.other_versions` are served beside it through the converters registered here,
keyed by (group, version, kind). A version with no converter is served as stored.

A patch sent to another version applies to the object as that version shows it; the result
reaches storage as a merge patch of the difference (`merge_diff`), as kube-apiserver patches
in the request's version and converts back.

Simplified: there is no separate internal version (the storage version plays its part);
`metadata.managedFields` entries are recorded in the storage version, so a server-side apply
conflict names storage-version field paths (`.spec.metrics`, where kube-apiserver would name
`.spec.targetCPUUtilizationPercentage` for a v1 manager), and a v1 apply configuration is
converted whole (v1's implicit 80 % cpu metric included) before it is merged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import autoscaling_v1
from .kinds import KINDS, Kind

Obj = dict[str, Any]


def _same(obj: Obj) -> Obj:
    return obj


@dataclass(frozen=True)
class Converter:
    """How one served version of a kind maps to and from its storage version."""

    to_storage: Callable[[Obj], Obj]
    from_storage: Callable[[Obj], Obj]


CONVERTERS: dict[tuple[str, str, str], Converter] = {
    ("autoscaling", "v1", "HorizontalPodAutoscaler"): Converter(autoscaling_v1.from_v1, autoscaling_v1.to_v1),
    ("autoscaling", "v2", "HorizontalPodAutoscaler"): Converter(autoscaling_v1.normalize_v2, _same),
}


def api_version(kind: Kind, version: str) -> str:
    """`autoscaling/v1`, `v1`: the apiVersion of ``kind`` served as ``version``."""
    return f"{kind.group}/{version}" if kind.group else version


def to_storage(kind: Kind, version: str, obj: Obj) -> Obj:
    """A request body of ``kind`` in ``version``, as it is stored."""
    converter = CONVERTERS.get((kind.group, version, kind.kind))
    return converter.to_storage(obj) if converter else obj


def from_storage(kind: Kind, version: str, obj: Any) -> Any:
    """An answer in ``version``: a stored object of ``kind`` converted, a list of them (its
    items converted, its apiVersion the served one); anything else (a Status, a Table) as is."""
    if not isinstance(obj, dict) or version == kind.version:
        return obj
    converter = CONVERTERS.get((kind.group, version, kind.kind))
    if obj.get("kind") == kind.kind:
        return converter.from_storage(obj) if converter else {**obj, "apiVersion": api_version(kind, version)}
    if obj.get("kind") == f"{kind.kind}List" and isinstance(obj.get("items"), list):
        items = [from_storage(kind, version, {"kind": kind.kind, **item}) for item in obj["items"]]
        return {**obj, "apiVersion": api_version(kind, version), "items": items}
    return obj


def merge_diff(old: Obj, new: Obj) -> Obj:
    """The JSON merge patch (RFC 7386) that turns ``old`` into ``new``: how a patch computed in
    a served version reaches the stored object (keys ``new`` lacks become null)."""
    out: Obj = {key: None for key in old if key not in new}
    for key, value in new.items():
        before = old.get(key)
        if key in old and before == value:
            continue
        if isinstance(value, dict) and isinstance(before, dict) and value:
            out[key] = merge_diff(before, value)
        else:
            out[key] = value
    return out


def storage_form(manifest: Obj) -> Obj:
    """A manifest written in any version its kind is served in, as it is stored (what the API
    server does with a body sent to that version's URL); a manifest in the storage version, or
    of a kind or version not served, comes back unchanged for `kinds.for_object` to judge."""
    kind_name, written = manifest.get("kind"), manifest.get("apiVersion")
    for kind in KINDS:
        if kind.kind == kind_name:
            for version in kind.other_versions:
                if written == api_version(kind, version):
                    return to_storage(kind, version, manifest)
    return manifest
