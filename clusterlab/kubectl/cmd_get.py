"""`kubectl get`: tables from the server's `Table`, or yaml / json / name / jsonpath /
custom-columns.

Requests as kubectl sends them: a list is `GET <collection>?limit=500` (plus `labelSelector`,
`fieldSelector`), a named object `GET <collection>/<name>`; with the Table Accept for human
output, plain JSON otherwise. Several kinds print as separate tables with `kind/` before each
name; `-o yaml|json` of a list (or of several objects) prints a `List`; a list that comes back
empty says `No resources found in <ns> namespace.` (or `No resources found`) on stderr.
Objects that are not found are reported after the ones that are, and the exit code is 1.

Not in the console: `-w/--watch` (said so), `--sort-by`, `--chunk-size` paging (one page of 500).
"""

from __future__ import annotations

from typing import Any

from .context import Ctx
from .discovery import Resource
from .errors import CommandError, server_error
from .printers import custom_columns, formats, jsonpath
from .printers.table import fallback_table, render_table, tabwrite
from .transport import ACCEPT_TABLE, ApiStatusError

OUTPUTS = (
    "custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,"
    "jsonpath-file,name,template,templatefile,wide,yaml"
)
GET_USAGE = (
    'You must specify the type of resource to get. Use "kubectl api-resources" for a complete list of '
    "supported resources.\n\nerror: Required resource not specified.\n"
    'Use "kubectl explain <resource>" for a detailed description of that resource (e.g. kubectl explain '
    "pods).\nSee 'kubectl get -h' for help and examples"
)


def output_kind(output: str) -> tuple[str, str]:
    """Split `-o` into (format, argument), validating it as kubectl's printer flags do."""
    fmt, _, arg = output.partition("=")
    if fmt in ("", "wide", "yaml", "json", "name"):
        return fmt, arg
    if fmt == "custom-columns":
        if not arg:
            raise CommandError("custom-columns format specified but no custom columns given")
        custom_columns.parse_spec(arg)
        return fmt, arg
    if fmt == "jsonpath":
        if not arg:
            raise CommandError("template format specified but no template given")
        try:
            jsonpath.parse(arg)
        except jsonpath.JSONPathError as exc:
            raise CommandError(f"error parsing jsonpath {arg}, {exc}") from None
        return fmt, arg
    if fmt in OUTPUTS.split(","):
        raise CommandError(f"-o {fmt} is not available in this console")
    raise CommandError(
        f'unable to match a printer suitable for the output format "{output}", allowed formats are: {OUTPUTS}'
    )


def render_objects(ctx: Ctx, objects: list[tuple[Resource, dict[str, Any]]], single: bool) -> None:
    """Print objects for `-o yaml|json|name|jsonpath` (shared by get and the write commands)."""
    fmt, arg = output_kind(ctx.flags.get("output") or "")
    if fmt == "name":
        for r, obj in objects:
            ctx.print(formats.name_of(obj, r.display_kind))
        return
    if fmt == "custom-columns":
        rows = [obj for _, obj in objects]
        ctx.out.append(custom_columns.render(arg, rows, bool(ctx.flags.get("no-headers"))))
        return
    items = [obj for _, obj in objects]
    if fmt in ("yaml", "json"):  # kubectl's OmitManagedFieldsPrinter (--show-managed-fields=false)
        items = [_without_managed_fields(o) for o in items]
    data = items[0] if single and len(items) == 1 else formats.as_list(items)
    if fmt == "yaml":
        ctx.print(formats.to_yaml(data))
    elif fmt == "json":
        ctx.print(formats.to_json(data))
    elif fmt == "jsonpath":
        ctx.out.append(jsonpath.render(arg, data))


def _without_managed_fields(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or "managedFields" not in meta:
        return obj
    return {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}


def _list_query(ctx: Ctx) -> dict[str, str]:
    q = {"limit": "500"}
    if ctx.flags.get("selector"):
        q["labelSelector"] = ctx.flags["selector"]
    if ctx.flags.get("field-selector"):
        q["fieldSelector"] = ctx.flags["field-selector"]
    return q


def _items(r: Resource, doc: dict[str, Any]) -> list[dict[str, Any]]:
    items = []
    for item in doc.get("items") or []:
        item = dict(item)
        item.setdefault("apiVersion", r.api_version)
        item.setdefault("kind", r.kind)
        items.append({"apiVersion": item.pop("apiVersion"), "kind": item.pop("kind"), **item})
    return items


def run_get(ctx: Ctx) -> None:
    if ctx.flags.get("watch") or ctx.flags.get("watch-only"):
        raise CommandError(
            "-w/--watch is not available in this console: the cluster map beside it shows changes live; "
            "run the command again to see the latest state"
        )
    if ctx.flags.get("sort-by"):
        raise CommandError("--sort-by is not available in this console")
    fmt, _ = output_kind(ctx.flags.get("output") or "")
    if not ctx.args and not ctx.flags.get("filename"):
        raise CommandError(GET_USAGE, raw=True)
    sel = ctx.selection("get")
    for e in sel.errors:
        ctx.error(f"error: {e}" if len(sel.errors) == 1 else e)
    human = fmt in ("", "wide")
    accept = ACCEPT_TABLE if human else "application/json"
    # Each entry: (resource, table or None, objects)
    groups: list[tuple[Resource, dict[str, Any] | None, list[dict[str, Any]]]] = []
    errors: list[str] = []
    for r in sel.types:
        try:
            doc = ctx.call("GET", ctx.listing_path(r), query=_list_query(ctx), accept=accept)
        except ApiStatusError as exc:
            errors.append(server_error(exc))
            continue
        if isinstance(doc, dict) and doc.get("kind") == "Table":
            groups.append((r, doc, []))
        else:
            groups.append((r, None, _items(r, doc or {})))
    for t in sel.targets:
        try:
            doc = ctx.call("GET", t.resource.path(t.namespace, t.name), accept=accept)
        except ApiStatusError as exc:
            if not (exc.code == 404 and ctx.flags.get("ignore-not-found")):
                errors.append(server_error(exc))
            continue
        table = doc if isinstance(doc, dict) and doc.get("kind") == "Table" else None
        objs = [] if table else [doc]
        if groups and groups[-1][0] == t.resource and (groups[-1][1] is None) == (table is None):
            prev = groups[-1]
            if table and prev[1]:
                prev[1]["rows"] = [*prev[1].get("rows", []), *table.get("rows", [])]
            prev[2].extend(objs)
        else:
            groups.append((t.resource, table, objs))
    total = sum(len(g[1].get("rows") or []) if g[1] else len(g[2]) for g in groups)
    single = not sel.types and len(sel.targets) == 1
    # kubectl's multipleGVKsRequested: over what came back (lists count even when empty).
    with_kind = bool(ctx.flags.get("show-kind")) or len({g[0] for g in groups}) > 1
    if human:
        blocks = []
        for r, table, objs in groups:
            shown = table or fallback_table(objs, ctx.now)
            if not shown.get("rows"):
                continue
            lines = render_table(
                shown,
                wide=fmt == "wide",
                no_headers=bool(ctx.flags.get("no-headers")),
                with_namespace=bool(ctx.flags.get("all-namespaces")) and r.namespaced,
                kind_prefix=r.display_kind if with_kind else "",
                show_labels=bool(ctx.flags.get("show-labels")),
                label_columns=tuple(ctx.flags.get("label-columns") or ()),
            )
            blocks.append(tabwrite(lines))
        ctx.out.append("\n".join(blocks))
    else:
        render_objects(ctx, [(r, o) for r, _, objs in groups for o in objs], single)
    for e in errors:
        ctx.error(e)
    if total == 0 and sel.types and not errors and human:
        ctx.err.append(_no_resources(ctx, sel.types))


def _no_resources(ctx: Ctx, types: list[Resource]) -> str:
    if ctx.flags.get("all-namespaces") or not any(r.namespaced for r in types):
        return "No resources found\n"
    return f"No resources found in {ctx.namespace} namespace.\n"
