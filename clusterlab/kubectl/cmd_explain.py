"""explain: a resource's or a field's documentation, from the server's OpenAPI v3 documents.

kubectl 1.32 resolves `RESOURCE[.field.path]` through discovery, GETs `/openapi/v3` (the index
of group-version documents) and then the resource's group-version document at its
`serverRelativeURL` (with its `?hash=`), finds the schema whose `x-kubernetes-group-version-kind`
is the resource's and renders it with its built-in `plaintext` template:

- a header (`GROUP:` for a named group, `KIND:`, `VERSION:`), then for a field path
  `FIELD: name <type>`, then `DESCRIPTION:` (the field's description followed by those of the
  types it refers to) and `FIELDS:` (each `name<TAB><type>`, `-required-` when required, its
  description; with `--recursive` only the names, indented two spaces a level);
- type names are guessed as the template guesses them: `[]T` for arrays, `map[string]T` for
  maps, the referenced type's short name for objects (`PodSpec`), the primitive type of a
  reference to a primitive (`string` for a `Time`), `Object` when nothing says;
- text is word-wrapped at 76 columns (78 minus the indentation for field descriptions), as
  the go-wordwrap writer kubectl uses wraps it: at spaces, keeping the text's own newlines.

This module renders the same documents the same way, through the lab's own API.
"""

from __future__ import annotations

from typing import Any

from .context import Ctx
from .errors import CommandError

Obj = dict[str, Any]
NO_TYPE = (
    'You must specify the type of resource to explain. Use "kubectl api-resources" for a complete '
    "list of supported resources."
)
WIDTH = 76


def run_explain(ctx: Ctx) -> None:
    if not ctx.args:
        raise CommandError(NO_TYPE)
    if len(ctx.args) > 1:
        raise CommandError("We accept only this format: explain RESOURCE")
    try:
        resource, field_path = _resource_and_path(ctx, ctx.args[0])
    except CommandError as exc:  # kubectl explain prints the mapper's error without `error: `
        ctx.error(exc.message)
        return
    api_version = ctx.flags.get("api-version") or resource.api_version
    index = ctx.call("GET", "/openapi/v3")
    group, _, version = api_version.rpartition("/")
    rel = f"apis/{group}/{version}" if group else f"api/{version}"
    entry = ((index or {}).get("paths") or {}).get(rel)
    if entry is None:
        raise CommandError(f'couldn\'t find resource for "{api_version}, Resource={resource.plural}"')
    url = str(entry.get("serverRelativeURL") or f"/openapi/v3/{rel}")
    path, _, raw_query = url.partition("?")
    query = dict(part.partition("=")[::2] for part in raw_query.split("&") if part)
    document = ctx.call("GET", path[path.find("/openapi/") :], query=query)
    output = ctx.flags.get("output") or "plaintext"
    if output != "plaintext":
        raise CommandError(f"unrecognized format: {output}")
    Explainer(document, bool(ctx.flags.get("recursive"))).explain(
        ctx, group, version, resource.plural, field_path
    )


def _resource_and_path(ctx: Ctx, text: str) -> tuple[Any, list[str]]:
    """`deployments.apps.spec.strategy` → (deployments.apps, [spec, strategy]): without
    `--api-version` the longest leading part that names a resource is the resource (so a group
    may be written); with it, the first part."""
    parts = text.split(".")
    longest = 1 if ctx.flags.get("api-version") else len(parts)
    for end in range(longest, 1, -1):
        try:
            return ctx.discovery.resolve(".".join(parts[:end]))[0], parts[end:]
        except CommandError:
            continue
    return ctx.discovery.resolve(parts[0])[0], parts[1:]


class Explainer:
    """kubectl's `plaintext` explain template over one OpenAPI v3 document."""

    def __init__(self, document: Obj, recursive: bool) -> None:
        self.document = document
        self.schemas: Obj = (document.get("components") or {}).get("schemas") or {}
        self.recursive = recursive

    def explain(self, ctx: Ctx, group: str, version: str, plural: str, field_path: list[str]) -> None:
        gvk = self._gvk(group, version, plural)
        if gvk is None:
            raise CommandError(f"GVR ({group}/{version}, Resource={plural}) not found in OpenAPI schema")
        header = f"GROUP:      {gvk['group']}\n" if gvk.get("group") else ""
        header += f"KIND:       {gvk.get('kind')}\nVERSION:    {gvk.get('version')}\n\n"
        schema = next(
            (s for s in self.schemas.values() if gvk in (s.get("x-kubernetes-group-version-kind") or ())),
            None,
        )
        if schema is None:
            raise CommandError(f"GVK {gvk} not found in OpenAPI schema")
        body = self._output(schema, field_path, frozenset())
        if not body:
            ctx.out.append(header)
            raise CommandError(f'field "{field_path[-1]}" does not exist')
        ctx.out.append(header + body + "\n")

    def _gvk(self, group: str, version: str, plural: str) -> Obj | None:
        prefix = f"/apis/{group}/{version}" if group else f"/api/{version}"
        paths = self.document.get("paths") or {}
        for path in (
            f"{prefix}/{plural}",
            f"{prefix}/{plural}/{{name}}",
            f"{prefix}/namespaces/{{namespace}}/{plural}",
            f"{prefix}/namespaces/{{namespace}}/{plural}/{{name}}",
        ):
            for method in ("get", "post", "put", "patch", "delete"):
                gvk = ((paths.get(path) or {}).get(method) or {}).get("x-kubernetes-group-version-kind")
                if gvk:
                    return dict(gvk)
        return None

    def _resolve(self, schema: Obj) -> Obj:
        ref = schema.get("$ref")
        if isinstance(ref, str):
            found = self.schemas.get(ref.rsplit("/", 1)[-1])
            if isinstance(found, dict):
                return found
        return schema

    # -- following the field path ---------------------------------------------------------------

    def _output(self, schema: Obj, field_path: list[str], history: frozenset[str]) -> str:
        ref = schema.get("$ref") or ""
        resolved = self._resolve(schema)
        if not field_path:
            text = "DESCRIPTION:\n" + indent(wrap(self._description(resolved) or "<empty>", WIDTH), 4) + "\n"
            fields = self._field_list(resolved, 1, frozenset())
            return text + ("FIELDS:\n" + fields if fields else "")
        if ref and ref in history:
            return ""  # a cycle
        seen = history | {ref}
        properties = resolved.get("properties") or {}
        if field_path[0] in properties:
            sub = properties[field_path[0]]
            text = ""
            if len(field_path) == 1:
                text = f"FIELD: {field_path[0]} <{self._type(sub)}>\n{self._enum(sub, long=True)}\n\n"
            return text + self._output(sub, field_path[1:], frozenset())
        if isinstance(resolved.get("items"), dict):
            return self._output(resolved["items"], field_path, seen)
        if isinstance(resolved.get("additionalProperties"), dict):
            return self._output(resolved["additionalProperties"], field_path, seen)
        for sub in resolved.get("allOf") or ():
            text = self._output(sub, field_path, seen)
            if text:
                return text
        return ""

    # -- field lists --------------------------------------------------------------------------

    def _field_list(self, schema: Obj, level: int, history: frozenset[str]) -> str:
        """The fields of ``schema``; ``history`` holds the types expanded on the way here, so a
        type that contains itself is expanded once per branch."""
        ref = schema.get("$ref") or ""
        if ref and ref in history:
            return ""
        history = history | {ref}
        resolved = self._resolve(schema)
        out = ""
        properties = resolved.get("properties") or {}
        for name in sorted(properties):
            out += self._field_detail(name, resolved, level)
            if self.recursive:
                out += self._field_list(properties[name], level + 1, history)
        for sub in resolved.get("allOf") or ():
            out += self._field_list(sub, level, history)
        if isinstance(resolved.get("items"), dict):
            out += self._field_list(resolved["items"], level, history)
        if isinstance(resolved.get("additionalProperties"), dict):
            out += self._field_list(resolved["additionalProperties"], level, history)
        return out

    def _field_detail(self, name: str, schema: Obj, level: int) -> str:
        pad = level * 2
        field = (schema.get("properties") or {})[name]
        line = " " * pad + f"{name}\t<{self._type(field)}>"
        if name in (schema.get("required") or ()):
            line += " -required-"
        line += self._enum(field, long=False, limit=4, pad=pad) + "\n"
        if not self.recursive:
            line += indent(wrap(field.get("description") or "<no description>", 78 - pad), pad + 2) + "\n\n"
        return line

    # -- descriptions, types, enums -------------------------------------------------------------

    def _description(self, schema: Obj) -> str:
        resolved = self._resolve(schema)
        text = f"{resolved['description']}\n" if resolved.get("description") else ""
        for sub in resolved.get("allOf") or ():
            text += self._description(sub)
        if isinstance(resolved.get("items"), dict):
            text += self._description(resolved["items"])
        if isinstance(resolved.get("additionalProperties"), dict):
            text += self._description(resolved["additionalProperties"])
        return text

    def _type(self, schema: Obj) -> str:
        if isinstance(schema.get("items"), dict):
            return "[]" + self._type(schema["items"])
        if isinstance(schema.get("additionalProperties"), dict):
            return "map[string]" + self._type(schema["additionalProperties"])
        all_of = schema.get("allOf") or []
        if len(all_of) == 1 and not schema.get("properties"):
            return self._type(all_of[0])
        ref = schema.get("$ref")
        if isinstance(ref, str):
            target = self.schemas.get(ref.rsplit("/", 1)[-1])
            kind = target.get("type") if isinstance(target, dict) else None
            if not kind or kind == "object":
                return ref.rsplit("/", 1)[-1].rsplit(".", 1)[-1] or "Object"
            return str(kind)
        kind = schema.get("type")
        return "Object" if kind == "object" or not kind else str(kind)

    @staticmethod
    def _enum(schema: Obj, *, long: bool, limit: int = -1, pad: int = 0) -> str:
        values = schema.get("enum") or []
        if not values:
            return ""
        text = "ENUM:" if long else "\n" + " " * pad + "enum: "
        for i, value in enumerate(values):
            if limit > -1 and i >= limit:
                text += ", ...."
                break
            if long:
                text += "\n    "
            elif i > 0:
                text += ", "
            text += '""' if value == "" else str(value)
        return text


def wrap(text: str, limit: int) -> str:
    """Word-wrap as go-wordwrap's `WrapString`: break at spaces so lines stay within ``limit``
    (a word longer than that stands alone), keep the text's own newlines, drop the spaces a
    break replaces."""
    out: list[str] = []
    column = 0
    word: list[str] = []
    spaces: list[str] = []
    for char in text:
        if char == "\n":
            if not word:
                if column + len(spaces) <= limit:
                    out.extend(spaces)
            else:
                out.extend(spaces)
                out.extend(word)
            spaces, word = [], []
            out.append("\n")
            column = 0
        elif char.isspace() and char != "\u00a0":
            if not spaces or word:
                column += len(spaces) + len(word)
                out.extend(spaces)
                out.extend(word)
                spaces, word = [], []
            spaces.append(char)
        else:
            word.append(char)
            if column + len(spaces) + len(word) > limit and len(word) < limit:
                out.append("\n")
                column = 0
                spaces = []
    if not word:
        if column + len(spaces) <= limit:
            out.extend(spaces)
    else:
        out.extend(spaces)
        out.extend(word)
    return "".join(out)


def indent(text: str, spaces: int) -> str:
    """Every line of ``text`` after ``spaces`` spaces (sprig's `indent`)."""
    pad = " " * spaces
    return pad + text.replace("\n", "\n" + pad)
