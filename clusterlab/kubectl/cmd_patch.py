"""`kubectl patch` and `kubectl set image`.

`patch TYPE NAME -p PATCH [--type strategic|merge|json]`: GET the object, then PATCH it with
the matching Content-Type and `fieldManager=kubectl-patch`; prints `patched`, or `patched (no
change)` when the answer equals what was read. `set image TYPE NAME CONTAINER=IMAGE...`
(`*=IMAGE` for every container): GET, then a strategic merge PATCH of the changed containers
with `$setElementOrder/containers` and `fieldManager=kubectl-set`; prints `image updated`.

Simplified: `set image` handles Deployments, ReplicaSets and Pods (not init containers);
`patch` reads the patch from `-p` only (no `--patch-file`).
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from .cmd_write import _dry_run, _suffix
from .context import Ctx
from .errors import CommandError
from .printers import formats
from .transport import MERGE_PATCH, STRATEGIC_MERGE_PATCH

PATCH_TYPES = {
    "strategic": STRATEGIC_MERGE_PATCH,
    "merge": MERGE_PATCH,
    "json": "application/json-patch+json",
}


def _one_target(ctx: Ctx, args: list[str], verb: str) -> tuple[Any, str]:
    ctx.parsed.args = args
    sel = ctx.selection(verb)
    if sel.types or len(sel.targets) != 1:
        raise CommandError(f"{verb} needs exactly one resource: TYPE NAME or TYPE/NAME")
    t = sel.targets[0]
    assert t.name is not None
    return t, t.resource.path(t.namespace, t.name)


def _patch_body(text: str) -> bytes:
    """The patch as JSON (kubectl converts YAML to JSON; what converts to neither is sent as is,
    and the API server answers it)."""
    try:
        return json.dumps(json.loads(text), separators=(",", ":")).encode()
    except ValueError:
        pass
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return text.encode()
    return json.dumps(data, separators=(",", ":"), default=str).encode()


def run_patch(ctx: Ctx) -> None:
    if not ctx.flags.get("patch"):
        raise CommandError("must specify --patch or --patch-file containing the contents of the patch")
    kind = ctx.flags.get("type") or "strategic"
    if kind not in PATCH_TYPES:
        raise CommandError(f'--type must be one of [json merge strategic], not "{kind}"')
    t, path = _one_target(ctx, ctx.args, "patch")
    dry = _dry_run(ctx)
    before = ctx.call("GET", path)
    if dry == "client":  # kubectl patches its own copy and says `patched`, whatever changed
        ctx.print(f"{formats.name_of(before, t.resource.display_kind)} patched")
        return
    query = {"fieldManager": ctx.flags.get("field-manager") or "kubectl-patch"}
    if dry == "server":
        query["dryRun"] = "All"
    after = ctx.call(
        "PATCH",
        path,
        query=query,
        body=_patch_body(ctx.flags["patch"]),
        content_type=PATCH_TYPES[kind],
    )
    name = formats.name_of(after, t.resource.display_kind)
    ctx.print(f"{name} patched (no change)" if after == before else f"{name} patched")


def run_set_image(ctx: Ctx) -> None:
    pairs = [a for a in ctx.args if "=" in a]
    resources = [a for a in ctx.args if "=" not in a]
    if not pairs:
        raise CommandError("at least one image update is required")
    images = dict(p.split("=", 1) for p in pairs)
    t, path = _one_target(ctx, resources, "set image")
    obj = ctx.call("GET", path)
    kind = t.resource.kind
    if kind == "Pod":
        pod_spec, wrap = obj.get("spec") or {}, lambda s: {"spec": s}
    elif kind in ("Deployment", "ReplicaSet"):
        pod_spec = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
        wrap = lambda s: {"spec": {"template": {"spec": s}}}  # noqa: E731
    else:
        raise CommandError(f"set image is not available for {kind} in this console")
    containers = pod_spec.get("containers") or []
    names = [c.get("name") for c in containers]
    for name in images:
        if name != "*" and name not in names:
            raise CommandError(f'unable to find container named "{name}"')
    changed = []
    for c in containers:
        image = images.get(c.get("name"), images.get("*"))
        if image is not None and image != c.get("image"):
            changed.append({"image": image, "name": c.get("name")})
    dry = _dry_run(ctx)
    if changed and dry != "client":
        body = wrap({"$setElementOrder/containers": [{"name": n} for n in names], "containers": changed})
        query = {"fieldManager": "kubectl-set"}
        if dry == "server":
            query["dryRun"] = "All"
        ctx.call("PATCH", path, query=query, body=body, content_type=STRATEGIC_MERGE_PATCH)
    ctx.print(f"{formats.name_of(obj, t.resource.display_kind)} image updated{_suffix(dry)}")


def run_set(ctx: Ctx) -> None:
    raise CommandError("USAGE: set image (TYPE NAME | TYPE/NAME) CONTAINER=IMAGE ... [flags]")
