"""What a command acts on: `TYPE NAME...`, `TYPE/NAME...`, `TYPE1,TYPE2`, or `-f` manifests.

kubectl's resource builder turns arguments into REST targets using discovery, and reads
manifests as its YAMLReader does: the text is cut into documents at `---` lines, each is
converted from YAML to JSON (go-yaml v2 errors: `error parsing STDIN: error converting YAML to
JSON: yaml: line 3: mapping values are not allowed in this context`, with go-yaml's own
line numbering), a `List` is expanded into its items, and each object is mapped by its
apiVersion and kind. A document that fails does not stop the others.

Simplified: `-f` reads only the text the console passes (stdin, `-f -`); file names other
than `-` are refused; no directories, URLs or kustomize.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from .discovery import Discovery, Resource
from .errors import CommandError

MAX_INPUT_BYTES = 3 * 1024 * 1024  # kube-apiserver's request body limit
SEPARATOR = re.compile(r"^---[ \t]*(?:\r?\n|$)", re.M)


@dataclass
class Target:
    resource: Resource
    name: str | None = None
    namespace: str | None = None
    manifest: dict[str, Any] | None = None


@dataclass
class Selection:
    """Parsed resource arguments: explicit targets, or resource types to list."""

    targets: list[Target] = field(default_factory=list)
    types: list[Resource] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def from_args(args: list[str], discovery: Discovery, namespace: str, command: str) -> Selection:
    """kubectl's `ResourceTypeOrNameArgs`: `TYPE [NAME...]` or `TYPE/NAME ...`."""
    sel = Selection()
    if not args:
        return sel
    if any("/" in a for a in args):
        if not all("/" in a for a in args):
            raise CommandError(
                "there is no need to specify a resource type as a separate argument when passing "
                f"arguments in resource/name form (e.g. 'kubectl {command} resource/<resource_name>' "
                f"instead of 'kubectl {command} resource resource/<resource_name>'"
            )
        for a in args:
            if a.count("/") > 1:
                raise CommandError("arguments in resource/name form may not have more than one slash")
            kind, _, name = a.partition("/")
            if not kind or not name:
                raise CommandError("arguments in resource/name form must have a single resource and name")
            res = discovery.resolve(kind)
            if len(res) != 1:
                raise CommandError("arguments in resource/name form must have a single resource and name")
            sel.targets.append(Target(res[0], name, namespace if res[0].namespaced else None))
        return sel
    types: list[Resource] = []
    for t in args[0].split(","):
        if not t:
            continue
        for r in discovery.resolve(t):
            if r not in types:
                types.append(r)
    names = args[1:]
    if names:
        if len(types) != 1 and len(args[0].split(",")) > 1:
            raise CommandError("you may only specify a single resource type when passing names as arguments")
        for n in names:
            sel.targets.extend(Target(r, n, namespace if r.namespaced else None) for r in types)
    else:
        sel.types = types
    return sel


def split_documents(text: str) -> list[str]:
    return SEPARATOR.split(text)


def load_manifests(
    text: str,
    source: str,
    discovery: Discovery,
    namespace: str,
    validate: bool = False,
    enforce_namespace: bool = False,
) -> Selection:
    """Parse `-f` input into targets, collecting per-document errors as kubectl does."""
    if len(text.encode("utf-8", "replace")) > MAX_INPUT_BYTES:
        # kubectl would send it and kube-apiserver refuse it; the console refuses it first, in the
        # server's words, rather than parse megabytes of YAML.
        raise CommandError(
            "Error from server (RequestEntityTooLarge): Request entity too large: "
            f"limit is {MAX_INPUT_BYTES}",
            raw=True,
        )
    sel = Selection()
    for doc_text in split_documents(text):
        try:
            doc = _safe_load(doc_text)
        except yaml.YAMLError as exc:
            sel.errors.append(f"error parsing {source}: error converting YAML to JSON: yaml: {_go_yaml(exc)}")
            continue
        except (RecursionError, ValueError):
            sel.errors.append(
                f"error parsing {source}: error converting YAML to JSON: yaml: exceeded max depth of 10000"
            )
            continue
        if doc is None:
            continue
        if validate and isinstance(doc, dict) and (not doc.get("kind") or not doc.get("apiVersion")):
            missing = "kind" if not doc.get("kind") else "apiVersion"
            sel.errors.append(
                f'error validating "{source}": error validating data: {missing} not set; if you '
                "choose to ignore these errors, turn validation off with --validate=false"
            )
            continue
        try:
            objects = _objects(doc, source, sel)
        except (RecursionError, ValueError):  # nesting deeper than JSON conversion allows
            sel.errors.append(
                f"error parsing {source}: error converting YAML to JSON: yaml: exceeded max depth"
            )
            continue
        for obj in objects:
            meta = obj.get("metadata")
            given = meta.get("namespace") if isinstance(meta, dict) else None
            if enforce_namespace and given and given != namespace:
                sel.errors.append(
                    f'the namespace from the provided object "{given}" does not match the namespace '
                    f"\"{namespace}\". You must pass '--namespace={given}' to perform this operation."
                )
                continue
            try:
                sel.targets.append(_target(obj, source, discovery, namespace))
            except CommandError as exc:
                sel.errors.append(exc.message)
    if not sel.targets and not sel.errors:
        raise CommandError("no objects passed to {verb}")
    return sel


MAX_EXPANDED_NODES = 400_000  # go-yaml v2 starts checking its alias ratio at this many nodes


def _safe_load(text: str) -> Any:
    """`yaml.safe_load`, refusing what go-yaml refuses: documents whose aliases expand them
    beyond reason (a "billion laughs" would otherwise eat the server's memory), and aliases
    that contain themselves."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    if node is None:
        return None
    sizes: dict[int, int] = {}

    def size(n: yaml.Node) -> int:
        if id(n) in sizes:
            if sizes[id(n)] < 0:
                raise yaml.YAMLError("anchor contains itself")
            return sizes[id(n)]
        sizes[id(n)] = -1
        total = 1
        if isinstance(n, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in n.value)
        elif isinstance(n, yaml.SequenceNode):
            total += sum(size(v) for v in n.value)
        sizes[id(n)] = total
        if total > MAX_EXPANDED_NODES:
            raise yaml.YAMLError("document contains excessive aliasing")
        return total

    size(node)
    return yaml.safe_load(text)


def _objects(doc: Any, source: str, sel: Selection) -> list[dict[str, Any]]:
    if not isinstance(doc, dict):
        go_type = "array" if isinstance(doc, list) else "string" if isinstance(doc, str) else "number"
        sel.errors.append(
            f'unable to decode "{source}": json: cannot unmarshal {go_type} into Go value of type '
            "unstructured.detector"
        )
        return []
    doc = json.loads(json.dumps(doc, default=str))  # YAML timestamps, dates → strings, as JSON would
    if not doc.get("kind"):
        sel.errors.append(
            f"unable to decode \"{source}\": Object 'Kind' is missing in "
            f"'{json.dumps(doc, separators=(',', ':'))}'"
        )
        return []
    if str(doc["kind"]).endswith("List") and isinstance(doc.get("items"), list):
        out = []
        for item in doc["items"]:
            out.extend(_objects(item, source, sel))
        return out
    return [doc]


def _target(obj: dict[str, Any], source: str, discovery: Discovery, namespace: str) -> Target:
    raw_meta = obj.get("metadata")
    meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
    name = str(meta.get("name") or "")
    api_version = str(obj.get("apiVersion") or "v1")
    try:
        res = discovery.for_kind(api_version, str(obj["kind"]))
    except CommandError as exc:
        raise CommandError(
            exc.message.replace("{name}", name)
            .replace("{namespace}", str(meta.get("namespace") or ""))
            .replace("{source}", source)
        ) from None
    ns = str(meta.get("namespace") or namespace) if res.namespaced else None
    return Target(res, name, ns, obj)


_GO_MESSAGES = [
    ("mapping values are not allowed here", "mapping values are not allowed in this context"),
    ("that cannot start any token", "found character that cannot start any token"),
    ("expected the node content", "did not find expected node content"),
    ("expected ',' or ']'", "did not find expected ',' or ']'"),
    ("expected ',' or '}'", "did not find expected ',' or '}'"),
]


def _go_yaml(exc: yaml.YAMLError) -> str:
    """A PyYAML error worded and numbered as go-yaml v2 reports it."""
    if isinstance(exc, yaml.reader.ReaderError):
        return "control characters are not allowed"
    problem = str(getattr(exc, "problem", "") or exc)
    context = str(getattr(exc, "context", "") or "")
    if problem.startswith("found undefined alias"):
        return f"unknown anchor {problem.split(' ', 3)[-1]} referenced"
    message = problem
    for needle, go in _GO_MESSAGES:
        if needle in problem:
            message = go
            break
    else:
        if problem.startswith("expected <block end>"):
            message = (
                "did not find expected '-' indicator"
                if "collection" in context
                else "did not find expected key"
            )
    mark = getattr(exc, "problem_mark", None)
    ctx = getattr(exc, "context_mark", None)
    scanner = isinstance(exc, yaml.scanner.ScannerError)
    line = 0
    if mark is not None and mark.line:
        line = mark.line + (1 if scanner else 0)
    elif ctx is not None and ctx.line:
        line = ctx.line
    return f"line {line}: {message}" if line else message
