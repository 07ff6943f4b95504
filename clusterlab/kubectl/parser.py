"""Command-line parsing as kubectl's cobra + pflag do it.

Real kubectl is a cobra command tree whose flags are parsed by pflag: `--flag=value`,
`--flag value`, `-n value`, `-nvalue`, `-n=value`, grouped shorthands (`-Ao yaml`), boolean
flags that take no value unless written `--flag=false`, flags anywhere among the arguments,
and `--` ending the flags. Errors are worded as pflag and cobra word them (`unknown flag:
--foo`, `unknown shorthand flag: 'z' in -z`, `flag needs an argument: 'n' in -n`, `invalid
argument "x" for "--replicas" flag: strconv.ParseInt: ...`, `unknown command "x" for
"kubectl"` with cobra's "Did you mean this?" suggestions, Levenshtein distance <= 2 or a
prefix, in kubectl's command registration order).

Simplified: only the commands and flags the console supports are defined (other kubectl
commands are known by name, so suggestions and "not available here" messages are right);
the line is split with POSIX shell quoting (no variables, globs, pipes or redirections).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

from .durations import parse_duration
from .errors import CommandError

# kubectl 1.32's root commands in registration order (cobra suggests in this order).
KUBECTL_COMMANDS = [
    "create",
    "expose",
    "run",
    "set",
    "explain",
    "get",
    "edit",
    "delete",
    "rollout",
    "scale",
    "autoscale",
    "certificate",
    "cluster-info",
    "top",
    "cordon",
    "uncordon",
    "drain",
    "taint",
    "describe",
    "logs",
    "attach",
    "exec",
    "port-forward",
    "proxy",
    "cp",
    "auth",
    "debug",
    "events",
    "diff",
    "apply",
    "patch",
    "replace",
    "wait",
    "kustomize",
    "label",
    "annotate",
    "completion",
    "alpha",
    "config",
    "plugin",
    "version",
    "api-versions",
    "api-resources",
    "options",
    "help",
]


@dataclass(frozen=True)
class Flag:
    name: str
    # string | bool | int | duration (Go's, in seconds) | strings (repeatable / comma list) | array
    kind: str = "string"
    short: str = ""
    default: Any = None
    no_opt: str | None = None  # pflag's NoOptDefVal: the value of `--flag` written alone

    def display(self) -> str:
        return f"-{self.short}, --{self.name}" if self.short else f"--{self.name}"


def _flags(*flags: Flag) -> dict[str, Flag]:
    return {f.name: f for f in flags}


NS = Flag("namespace", short="n")
OUTPUT = Flag("output", short="o", default="")
SELECTOR = Flag("selector", short="l", default="")
FIELD_SELECTOR = Flag("field-selector", default="")
ALL_NS = Flag("all-namespaces", "bool", "A", False)
FILENAME = Flag("filename", "strings", "f", ())
DRY_RUN = Flag("dry-run", default="none", no_opt="unchanged")
ALL = Flag("all", "bool", default=False)
OVERWRITE = Flag("overwrite", "bool", default=False)
VALIDATE = Flag("validate", default="strict", no_opt="strict")
FIELD_MANAGER = Flag("field-manager", default="")
NO_HEADERS = Flag("no-headers", "bool", default=False)
SHOW_LABELS = Flag("show-labels", "bool", default=False)

METADATA_EDIT_FLAGS = (
    FILENAME,
    SELECTOR,
    FIELD_SELECTOR,
    ALL,
    ALL_NS,
    OVERWRITE,
    OUTPUT,
    DRY_RUN,
    FIELD_MANAGER,
    Flag("list", "bool", default=False),
    Flag("resource-version", default=""),
)

# `kubectl create configmap` / `create secret generic`: the data sources
CONFIG_FLAGS = (
    OUTPUT,
    DRY_RUN,
    VALIDATE,
    FIELD_MANAGER,
    Flag("save-config", "bool", default=False),
    Flag("from-file", "strings", default=()),
    Flag("from-literal", "array", default=()),
    Flag("from-env-file", "strings", default=()),
)

COMMANDS: dict[str, dict[str, Flag]] = {
    "get": _flags(
        OUTPUT,
        SELECTOR,
        FIELD_SELECTOR,
        ALL_NS,
        FILENAME,
        NO_HEADERS,
        SHOW_LABELS,
        Flag("watch", "bool", "w", False),
        Flag("watch-only", "bool", default=False),
        Flag("label-columns", "strings", "L", ()),
        Flag("sort-by", default=""),
        Flag("show-kind", "bool", default=False),
        Flag("ignore-not-found", "bool", default=False),
        Flag("chunk-size", "int", default=500),
    ),
    "describe": _flags(
        SELECTOR,
        ALL_NS,
        FILENAME,
        Flag("show-events", "bool", default=True),
        Flag("chunk-size", "int", default=500),
    ),
    "apply": _flags(
        FILENAME,
        OUTPUT,
        DRY_RUN,
        VALIDATE,
        FIELD_MANAGER,
        Flag("server-side", "bool", default=False),
        Flag("force-conflicts", "bool", default=False),
    ),
    "create": _flags(
        FILENAME, OUTPUT, DRY_RUN, VALIDATE, FIELD_MANAGER, Flag("save-config", "bool", default=False)
    ),
    "create deployment": _flags(
        OUTPUT,
        DRY_RUN,
        VALIDATE,
        FIELD_MANAGER,
        Flag("image", "array", default=()),
        Flag("replicas", "int", "r", 1),
        Flag("port", "int", default=-1),
    ),
    "create namespace": _flags(OUTPUT, DRY_RUN, VALIDATE, FIELD_MANAGER),
    "create quota": _flags(
        OUTPUT, DRY_RUN, VALIDATE, FIELD_MANAGER, Flag("hard", default=""), Flag("scopes", default="")
    ),
    "create priorityclass": _flags(
        OUTPUT,
        DRY_RUN,
        VALIDATE,
        FIELD_MANAGER,
        Flag("value", "int", default=0),
        Flag("global-default", "bool", default=False),
        Flag("description", default=""),
        Flag("preemption-policy", default="PreemptLowerPriority"),
    ),
    "create ingress": _flags(
        OUTPUT,
        DRY_RUN,
        VALIDATE,
        FIELD_MANAGER,
        Flag("save-config", "bool", default=False),
        Flag("class", default=""),
        Flag("rule", "array", default=()),
        Flag("default-backend", default=""),
        Flag("annotation", "array", default=()),
    ),
    "create job": _flags(
        OUTPUT,
        DRY_RUN,
        VALIDATE,
        FIELD_MANAGER,
        Flag("save-config", "bool", default=False),
        Flag("image", default=""),
        Flag("from", default=""),
    ),
    "create cronjob": _flags(
        OUTPUT,
        DRY_RUN,
        VALIDATE,
        FIELD_MANAGER,
        Flag("save-config", "bool", default=False),
        Flag("image", default=""),
        Flag("schedule", default=""),
        Flag("restart", default=""),
    ),
    "create configmap": _flags(*CONFIG_FLAGS),
    "create secret": _flags(
        *CONFIG_FLAGS,
        Flag("type", default=""),
        Flag("cert", default=""),
        Flag("key", default=""),
        Flag("docker-server", default="https://index.docker.io/v1/"),
        Flag("docker-username", default=""),
        Flag("docker-password", default=""),
        Flag("docker-email", default=""),
    ),
    "delete": _flags(
        FILENAME,
        SELECTOR,
        FIELD_SELECTOR,
        ALL,
        ALL_NS,
        OUTPUT,
        DRY_RUN,
        Flag("force", "bool", default=False),
        Flag("grace-period", "int", default=-1),
        Flag("now", "bool", default=False),
        Flag("ignore-not-found", "bool", default=False),
        Flag("wait", "bool", default=True),
        Flag("cascade", default="background", no_opt="background"),
    ),
    "expose": _flags(
        OUTPUT,
        DRY_RUN,
        FIELD_MANAGER,
        Flag("port", default=""),
        Flag("target-port", default=""),
        Flag("type", default=""),
        Flag("name", default=""),
        Flag("protocol", default=""),
        Flag("selector", default=""),
        Flag("labels", short="l", default=""),
        Flag("cluster-ip", default=""),
        Flag("external-ip", default=""),
        Flag("session-affinity", default=""),
    ),
    "autoscale": _flags(
        FILENAME,
        OUTPUT,
        DRY_RUN,
        Flag("min", "int", default=-1),
        Flag("max", "int", default=-1),
        Flag("cpu-percent", "int", default=-1),
        Flag("name", default=""),
        Flag("save-config", "bool", default=False),
        Flag("record", "bool", default=False),
        Flag("field-manager", default="kubectl-autoscale"),
    ),
    "scale": _flags(
        FILENAME,
        SELECTOR,
        ALL,
        OUTPUT,
        DRY_RUN,
        Flag("replicas", "int", default=-1),
        Flag("current-replicas", "int", default=-1),
        Flag("resource-version", default=""),
    ),
    "exec": _flags(
        Flag("container", short="c", default=""),
        Flag("stdin", "bool", "i", False),
        Flag("tty", "bool", "t", False),
        Flag("quiet", "bool", "q", False),
        Flag("pod-running-timeout", default="1m0s"),
    ),
    "logs": _flags(
        SELECTOR,
        Flag("container", short="c", default=""),
        Flag("tail", "int", default=-1),
        Flag("previous", "bool", "p", False),
        Flag("follow", "bool", "f", False),
        Flag("timestamps", "bool", default=False),
        Flag("since", "duration", default=0.0),
        Flag("since-time", default=""),
        Flag("limit-bytes", "int", default=0),
        Flag("all-containers", "bool", default=False),
        Flag("prefix", "bool", default=False),
    ),
    "cordon": _flags(SELECTOR, DRY_RUN),
    "uncordon": _flags(SELECTOR, DRY_RUN),
    "drain": _flags(
        SELECTOR,
        DRY_RUN,
        Flag("ignore-daemonsets", "bool", default=False),
        Flag("delete-emptydir-data", "bool", default=False),
        Flag("force", "bool", default=False),
        Flag("grace-period", "int", default=-1),
        Flag("timeout", default="0s"),
        Flag("disable-eviction", "bool", default=False),
        Flag("pod-selector", default=""),
    ),
    "taint": _flags(SELECTOR, ALL, OVERWRITE, OUTPUT, DRY_RUN, VALIDATE, FIELD_MANAGER),
    # label and annotate take the same flags.
    "label": _flags(*METADATA_EDIT_FLAGS),
    "annotate": _flags(*METADATA_EDIT_FLAGS),
    "run": _flags(
        OUTPUT,
        DRY_RUN,
        FIELD_MANAGER,
        Flag("image", default=""),
        Flag("labels", short="l", default=""),
        Flag("env", "array", default=()),
        Flag("port", default=""),
        Flag("restart", default="Always"),
        Flag("command", "bool", default=False),
        Flag("image-pull-policy", default=""),
    ),
    "rollout": {},
    "rollout status": _flags(
        SELECTOR,
        FILENAME,
        Flag("watch", "bool", "w", True),
        Flag("timeout", default="0s"),
        Flag("revision", "int", default=0),
    ),
    "rollout history": _flags(SELECTOR, FILENAME, Flag("revision", "int", default=0)),
    "rollout undo": _flags(SELECTOR, FILENAME, DRY_RUN, Flag("to-revision", "int", default=0)),
    "rollout restart": _flags(SELECTOR, FILENAME, FIELD_MANAGER),
    "rollout pause": _flags(SELECTOR, FILENAME, FIELD_MANAGER),
    "rollout resume": _flags(SELECTOR, FILENAME, FIELD_MANAGER),
    "set": {},
    "set image": _flags(SELECTOR, FILENAME, ALL, DRY_RUN, OUTPUT, FIELD_MANAGER),
    "patch": _flags(
        FILENAME,
        OUTPUT,
        DRY_RUN,
        FIELD_MANAGER,
        Flag("patch", short="p", default=""),
        Flag("type", default="strategic"),
    ),
    "api-resources": _flags(
        OUTPUT,
        NO_HEADERS,
        Flag("namespaced", "bool", default=True),
        Flag("api-group", default=""),
        Flag("verbs", "strings", default=()),
        Flag("sort-by", default=""),
        Flag("cached", "bool", default=False),
        Flag("categories", "strings", default=()),
    ),
    "top": {},
    "top pod": _flags(
        SELECTOR,
        FIELD_SELECTOR,
        ALL_NS,
        NO_HEADERS,
        Flag("sort-by", default=""),
        Flag("containers", "bool", default=False),
        Flag("sum", "bool", default=False),
        Flag("use-protocol-buffers", "bool", default=True),
    ),
    "top node": _flags(
        SELECTOR,
        NO_HEADERS,
        Flag("sort-by", default=""),
        Flag("show-capacity", "bool", default=False),
        Flag("use-protocol-buffers", "bool", default=True),
    ),
    "api-versions": {},
    "explain": _flags(
        Flag("recursive", "bool", default=False),
        Flag("api-version", default=""),
        Flag("output", short="o", default="plaintext"),
    ),
    "auth": {},
    "auth can-i": _flags(
        ALL_NS,
        Flag("quiet", "bool", "q", False),
        Flag("subresource", default=""),
    ),
    "auth whoami": _flags(OUTPUT),
    "version": _flags(OUTPUT, Flag("client", "bool", default=False)),
}
SUBCOMMANDS = {
    "create": ("configmap", "deployment", "ingress", "namespace", "priorityclass", "quota", "secret"),
    "rollout": ("history", "pause", "restart", "resume", "status", "undo"),
    "set": ("image",),
    "top": ("node", "pod"),
    "auth": ("can-i", "whoami"),
}
# cobra aliases of kubectl create's and kubectl top's subcommands
SUBCOMMAND_ALIASES = {
    "cm": "configmap",
    "deploy": "deployment",
    "ns": "namespace",
    "resourcequota": "quota",
    "pc": "priorityclass",
    "ing": "ingress",
    "cj": "cronjob",
    "pods": "pod",
    "po": "pod",
    "nodes": "node",
    "no": "node",
}
# kubectl's impersonation flags (`--as`, `--as-group`): sent as Impersonate-* headers
AS = Flag("as", default="")
AS_GROUP = Flag("as-group", "array", default=())
GLOBAL = _flags(NS, AS, AS_GROUP)
CONSOLE_ONLY_MISSING = {"-w/--watch": "watch"}


@dataclass
class Parsed:
    """One parsed command line."""

    command: str  # "get", "create deployment", "rollout status"
    args: list[str] = field(default_factory=list)
    flags: dict[str, Any] = field(default_factory=dict)
    given: set[str] = field(default_factory=set)  # flags written on the line
    dash: int | None = None  # how many arguments came before `--` (cobra's ArgsLenAtDash)

    def __getitem__(self, name: str) -> Any:
        return self.flags[name]


def tokenize(line: str) -> list[str]:
    try:
        words = shlex.split(line, comments=False, posix=True)
    except ValueError as exc:
        raise CommandError(f"cannot parse the command line: {str(exc).lower()}") from exc
    if words and words[0] in ("kubectl", "k"):
        words = words[1:]
    return words


def levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def suggestions(typed: str, names: tuple[str, ...] | list[str]) -> list[str]:
    """cobra's `SuggestionsFor`: distance <= 2 (case-insensitive) or a prefix match."""
    t = typed.lower()
    return [n for n in names if n != "help" and (levenshtein(t, n.lower()) <= 2 or n.lower().startswith(t))]


def unknown_command(typed: str, parent: str = "kubectl") -> CommandError:
    if parent != "kubectl":
        return CommandError(f"unknown command \"{typed}\"\nSee '{parent} -h' for help and examples")
    msg = f'unknown command "{typed}" for "kubectl"'
    found = suggestions(typed, KUBECTL_COMMANDS)
    if found:
        msg += "\n\nDid you mean this?\n" + "".join(f"\t{s}\n" for s in found)
    return CommandError(msg)


def parse(words: list[str]) -> Parsed:
    """Parse the words after `kubectl` into a command, its arguments and its flags."""
    # cobra finds the command by the first non-flag words (flags may come before it).
    positional = _leading_commands(words)
    if not positional:
        raise CommandError('no command given: try "kubectl get pods"')
    name = positional[0]
    if name not in COMMANDS:
        if name in KUBECTL_COMMANDS:
            raise CommandError(f'"kubectl {name}" is not available in this console')
        raise unknown_command(name)
    command = name
    skip = [name]
    sub = SUBCOMMAND_ALIASES.get(positional[1], positional[1]) if len(positional) > 1 else ""
    if name in SUBCOMMANDS and f"{name} {sub}" in COMMANDS:
        command = f"{name} {sub}"
        skip.append(positional[1])
    elif name in ("rollout", "set", "auth") and len(positional) > 1:
        if positional[1] in ("env", "resources", "selector", "serviceaccount", "subject", "reconcile"):
            raise CommandError(f'"kubectl {name} {positional[1]}" is not available in this console')
        raise unknown_command(positional[1], f"kubectl {name}")
    spec = {**GLOBAL, **COMMANDS[command]}
    shorts = {f.short: f for f in spec.values() if f.short}
    parsed = Parsed(command, flags={f.name: f.default for f in spec.values()})
    i = 0
    while i < len(words):
        w = words[i]
        i += 1
        if w == "--":
            parsed.dash = len(parsed.args)
            parsed.args.extend(words[i:])
            break
        if w.startswith("--") and len(w) > 2:
            key, eq, value = w[2:].partition("=")
            flag = spec.get(key)
            if flag is None:
                raise _usage(f"unknown flag: --{key}", command)
            if not eq and flag.kind != "bool" and flag.no_opt is None:
                if i >= len(words):
                    raise _usage(f"flag needs an argument: --{key}", command)
                value, i = words[i], i + 1
            _set(parsed, flag, value if (eq or flag.kind != "bool") else None, command, bool(eq))
        elif w.startswith("-") and len(w) > 1:
            chars = w[1:]
            j = 0
            while j < len(chars):
                c = chars[j]
                flag = shorts.get(c)
                if flag is None:
                    raise _usage(f"unknown shorthand flag: '{c}' in -{chars[j:]}", command)
                rest = chars[j + 1 :]
                if flag.kind == "bool":
                    if rest.startswith("="):
                        _set(parsed, flag, rest[1:], command, True)
                        break
                    _set(parsed, flag, None, command, False)
                    j += 1
                    continue
                if rest:
                    value = rest[1:] if rest.startswith("=") else rest
                elif flag.no_opt is not None:
                    value = flag.no_opt
                elif i < len(words):
                    value, i = words[i], i + 1
                else:
                    raise _usage(f"flag needs an argument: '{c}' in -{c}", command)
                _set(parsed, flag, value, command, True)
                break
        elif skip and w == skip[0]:
            skip.pop(0)
        else:
            parsed.args.append(w)
    return parsed


def _leading_commands(words: list[str]) -> list[str]:
    """The command words, skipping flags (and the values of known value flags) before them."""
    out: list[str] = []
    i = 0
    while i < len(words) and len(out) < 2:
        w = words[i]
        if w in ("-n", "--namespace", "--as", "--as-group"):
            i += 2
            continue
        if w.startswith("-"):
            i += 1
            continue
        out.append(w)
        i += 1
    return out


def _usage(message: str, command: str) -> CommandError:
    return CommandError(f"{message}\nSee 'kubectl {command} --help' for usage.")


def _set(parsed: Parsed, flag: Flag, value: str | None, command: str, explicit: bool) -> None:
    again = flag.name in parsed.given
    parsed.given.add(flag.name)
    if flag.kind == "bool":
        if value is None:
            parsed.flags[flag.name] = True
            return
        low = value.lower()
        if low in ("1", "t", "true"):
            parsed.flags[flag.name] = True
        elif low in ("0", "f", "false"):
            parsed.flags[flag.name] = False
        else:
            raise _usage(
                f'invalid argument "{value}" for "{flag.display()}" flag: '
                f'strconv.ParseBool: parsing "{value}": invalid syntax',
                command,
            )
        return
    if value is None:
        value = flag.no_opt or ""
    if flag.kind == "int":
        try:
            parsed.flags[flag.name] = int(value, 10)
        except ValueError:
            raise _usage(
                f'invalid argument "{value}" for "{flag.display()}" flag: '
                f'strconv.ParseInt: parsing "{value}": invalid syntax',
                command,
            ) from None
    elif flag.kind == "duration":
        try:
            parsed.flags[flag.name] = parse_duration(value)
        except ValueError as exc:
            raise _usage(f'invalid argument "{value}" for "{flag.display()}" flag: {exc}', command) from None
    elif flag.kind == "strings":
        prev = parsed.flags[flag.name] if again else ()
        parsed.flags[flag.name] = (*prev, *[v for v in value.split(",") if v])
    elif flag.kind == "array":
        prev = parsed.flags[flag.name] if again else ()
        parsed.flags[flag.name] = (*prev, value)
    else:
        parsed.flags[flag.name] = value
