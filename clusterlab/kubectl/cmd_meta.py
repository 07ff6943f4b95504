"""`label` and `annotate`: a JSON merge patch of the object's metadata.

As kubectl does it: GET the object, refuse to change an existing key without `--overwrite`
(`'app' already has a value (web), and --overwrite is false`), then PATCH
`application/merge-patch+json` `{"metadata":{"labels":{...}}}` (`key-` sends `null`) with
`fieldManager=kubectl-label` / `kubectl-annotate`, and print `pod/x labeled`, `unlabeled`,
`not labeled`, or `annotated`. `--list` prints the current keys.
"""

from __future__ import annotations

from typing import Any

from .cmd_write import _dry_run, _suffix, _targets
from .context import Ctx
from .errors import CommandError
from .printers import formats
from .transport import MERGE_PATCH, ApiStatusError


def _split_changes(args: list[str], what: str) -> tuple[list[str], dict[str, str | None]]:
    """Split `TYPE NAME k=v k2-` into resource args and changes."""
    res: list[str] = []
    changes: dict[str, str | None] = {}
    for a in args:
        if "=" in a:
            k, _, v = a.partition("=")
            changes[k] = v
        elif a.endswith("-") and len(a) > 1 and "/" not in a[:-1].rsplit(".", 1)[-1]:
            changes[a[:-1]] = None
        else:
            res.append(a)
    if not changes and what:
        raise CommandError(f"at least one {what} update is required")
    return res, changes


def _meta_command(ctx: Ctx, field: str, verb: str) -> None:
    what = "label" if field == "labels" else "annotation"
    if not ctx.args and not ctx.flags.get("filename"):
        raise CommandError(
            "one or more resources must be specified as <resource> <name> or <resource>/<name>"
        )
    res_args, changes = _split_changes(ctx.args, "" if ctx.flags.get("list") else what)
    ctx.parsed.args = res_args
    targets, errors = _targets(ctx, verb)
    dry = _dry_run(ctx)
    for t in targets:
        try:
            obj = ctx.call("GET", t.resource.path(t.namespace, t.name))
            current = dict((obj.get("metadata") or {}).get(field) or {})
            if ctx.flags.get("list"):
                for k, v in sorted(current.items()):
                    ctx.print(f"{k}={v}")
                continue
            patch: dict[str, Any] = {}
            for k, v in changes.items():
                if v is not None and k in current and current[k] != v and not ctx.flags.get("overwrite"):
                    raise CommandError(f"'{k}' already has a value ({current[k]}), and --overwrite is false")
                if v is None and k not in current:
                    if verb == "label":
                        ctx.print(f'{what} "{k}" not found.')
                    continue
                if current.get(k, object()) != v:
                    patch[k] = v
            word = "annotated"
            if verb == "label":
                only_removals = all(changes[k] is None for k in patch)
                word = "unlabeled" if patch and only_removals else "labeled"
            if dry != "client":
                body: dict[str, Any] = {"metadata": {field: patch}} if patch else {}
                if patch and ctx.flags.get("resource-version"):
                    body["metadata"]["resourceVersion"] = ctx.flags["resource-version"]
                q = {"fieldManager": ctx.flags.get("field-manager") or f"kubectl-{verb}"}
                if dry == "server":
                    q["dryRun"] = "All"
                obj = ctx.call(
                    "PATCH",
                    t.resource.path(t.namespace, t.name),
                    query=q,
                    body=body,
                    content_type=MERGE_PATCH,
                )
            if not patch and verb == "label":
                word = "not labeled"
            ctx.print(f"{formats.name_of(obj, t.resource.display_kind)} {word}{_suffix(dry)}")
        except ApiStatusError as exc:
            errors.append(exc)
        except CommandError as exc:
            errors.append(exc.message)
    ctx.report(errors)


def run_label(ctx: Ctx) -> None:
    _meta_command(ctx, "labels", "label")


def run_annotate(ctx: Ctx) -> None:
    _meta_command(ctx, "annotations", "annotate")
