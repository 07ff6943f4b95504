"""Tab completion for the console, as kubectl's shell completion (`__complete`) offers it.

`complete(line, cursor, transport)` returns the candidates for the word under the cursor:
command names after `kubectl`; flag names after `-`/`--` (the command's and `--namespace`);
resource types (from discovery: plurals, singulars and short names, `TYPE/` forms) in the
first argument of get/describe/delete/...; object names of that type (listed through the
transport, in the `-n` namespace) after it; namespace names after `-n`; node names for
cordon/uncordon/drain/taint; `-o` formats. Sorted, filtered by the typed prefix.

Simplified: no descriptions, no file completion; a failing request yields no candidates.
"""

from __future__ import annotations

import shlex

from .discovery import Discovery
from .errors import CommandError
from .parser import COMMANDS, GLOBAL, KUBECTL_COMMANDS, SUBCOMMANDS
from .transport import ApiStatusError, Transport, call

TAKES_TYPE = {
    "get", "describe", "delete", "label", "annotate", "scale", "taint", "patch", "set image", "expose",
    "rollout status", "rollout history", "rollout undo", "rollout restart", "rollout pause", "rollout resume",
}  # fmt: skip
TAKES_NODE = {"cordon", "uncordon", "drain"}
OUTPUT_FORMATS = ["custom-columns=", "json", "jsonpath=", "name", "wide", "yaml"]


def _words(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def complete(line: str, cursor: int, transport: Transport, discovery: Discovery | None = None) -> list[str]:
    """Candidates for the word that ends at `cursor`."""
    try:
        return sorted(set(_complete(line[:cursor], transport, discovery or Discovery(transport))))
    except (CommandError, ApiStatusError, ValueError, KeyError):
        return []


def _complete(text: str, transport: Transport, discovery: Discovery) -> list[str]:
    words = _words(text)
    current = words.pop() if text and not text[-1].isspace() and words else ""
    if words and words[0] in ("kubectl", "k"):
        words = words[1:]
    positional = [w for i, w in enumerate(words) if not w.startswith("-") and not _is_flag_value(words, i)]
    if not positional:
        return [c for c in KUBECTL_COMMANDS if c in COMMANDS and c.startswith(current)]
    command = positional[0]
    rest = positional[1:]
    if command in SUBCOMMANDS:
        if not rest:
            return [s for s in SUBCOMMANDS[command] if s.startswith(current)]
        command = f"{command} {rest[0]}"
        rest = rest[1:]
    flags = {**GLOBAL, **COMMANDS.get(command, {})}
    if current.startswith("-"):
        return [f"--{n}" for n in flags if f"--{n}".startswith(current)]
    prev = words[-1] if words else ""
    namespace = _flag_value(words, ("-n", "--namespace")) or "default"
    if prev in ("-n", "--namespace"):
        return _names(transport, discovery, "namespaces", None, current)
    if prev in ("-o", "--output"):
        return [f for f in OUTPUT_FORMATS if f.startswith(current)]
    if command in TAKES_NODE:
        return _names(transport, discovery, "nodes", None, current)
    if command == "logs":
        return _names(transport, discovery, "pods", namespace, current)
    if command in TAKES_TYPE:
        if not rest:
            if "/" in current:
                kind, _, partial = current.partition("/")
                return [f"{kind}/{n}" for n in _names(transport, discovery, kind, namespace, partial)]
            return [n for n in _type_names(discovery) if n.startswith(current)]
        return _names(transport, discovery, rest[0], namespace, current)
    return []


def _is_flag_value(words: list[str], i: int) -> bool:
    return i > 0 and words[i - 1] in (
        "-n",
        "--namespace",
        "-o",
        "--output",
        "-l",
        "--selector",
        "-c",
        "--container",
    )


def _flag_value(words: list[str], names: tuple[str, ...]) -> str | None:
    for i, w in enumerate(words[:-1]):
        if w in names:
            return words[i + 1]
    return None


def _type_names(discovery: Discovery) -> list[str]:
    out = []
    for r in discovery.resources:
        out += [r.plural, r.singular, *r.short_names]
    return out


def _names(
    transport: Transport, discovery: Discovery, kind: str, namespace: str | None, prefix: str
) -> list[str]:
    r = discovery.resolve(kind)[0]
    doc = call(transport, "GET", r.path(namespace if r.namespaced else None), query={"limit": "500"})
    names = [((i.get("metadata") or {}).get("name") or "") for i in (doc or {}).get("items") or []]
    return [n for n in names if n.startswith(prefix)]
