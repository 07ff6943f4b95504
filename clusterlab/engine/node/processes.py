"""A container's main process, run step by step on the virtual clock.

A real container's PID 1 runs until it exits (or is killed): it writes to stdout/stderr,
sleeps, allocates memory, creates and removes files in the container's own writable layer.
Here a process is a *program*: a generator of steps (`Out`, `Sleep`, `Alloc`, `Exit`,
`Forever`) that `Process` drives with clock timers, so `sleep 30` really takes 30 virtual
seconds and a `while true; do echo …; sleep 5; done` loop prints every 5 s.

`shell_program` is the small POSIX shell the busybox and Debian-based images run for
`sh -c SCRIPT` (and for a bare `sleep 3600` as the container's command): `;`, `&&`, `||`,
`while`/`until … do … done`, `for NAME in … do … done`, `NAME=value`, `$NAME`/`${NAME}`,
`$((arithmetic))` and `$(command)`, `>`/`>>` into a file; the built-ins `sleep`, `exit`,
`echo`, `touch`, `rm`, `cat`, `mkdir`, `true`/`false`/`:`; other programs (`date`,
`hostname`, `env`, …) run as `kubectl exec` runs them (`shell.py`).

Signals: PID 1 in a container gets no default signal handlers, so a shell or `sleep` as
PID 1 ignores SIGTERM and dies only by the SIGKILL at the end of the grace period (the
famous 30-second delete); servers (nginx, httpd, …) handle their stop signal and exit.

Simplified: no pipes, `if`/`case`, functions or job control; output lines carry the virtual
time at which the step ran.
"""

from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..clock import Timer


@dataclass(frozen=True)
class Out:
    """The process writes `text` (one or more lines) to stdout/stderr."""

    text: str


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Alloc:
    """The process now holds `bytes` of memory (its working set)."""

    bytes: int


@dataclass(frozen=True)
class Exit:
    code: int


@dataclass(frozen=True)
class Forever:
    """The process serves until it is signalled."""


Step = Out | Sleep | Alloc | Exit | Forever
Program = Iterator[Step]

Later = Callable[[float, Callable[[], None]], Timer]


@dataclass
class Process:
    """A running program. `write` takes each output line; `on_alloc` is told of each
    allocation and answers False when the kernel OOM-kills the process for it; `on_exit`
    gets the exit code once."""

    program: Program
    later: Later
    write: Callable[[str], None]
    on_exit: Callable[[int], None]
    on_alloc: Callable[[int], bool] = lambda _bytes: True
    alive: bool = True
    memory: int = 0
    _timer: Timer | None = field(default=None, repr=False)

    def start(self) -> None:
        self._run()

    def _run(self) -> None:
        self._timer = None
        while self.alive:
            step = next(self.program, Exit(0))
            if isinstance(step, Out):
                for line in step.text.split("\n"):
                    self.write(line)
            elif isinstance(step, Sleep):
                if step.seconds == float("inf"):
                    return
                self._timer = self.later(max(0.0, step.seconds), self._run)
                return
            elif isinstance(step, Alloc):
                self.memory = step.bytes
                if not self.on_alloc(step.bytes):
                    return
            elif isinstance(step, Forever):
                return
            else:
                self.exit(step.code)

    def exit(self, code: int) -> None:
        """The process ends now with `code` (its own exit, or a signal's 128 + n)."""
        if not self.alive:
            return
        self.alive = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.on_exit(code)

    def stop(self) -> None:
        """The process is gone without an exit to report (its node lost power)."""
        self.alive = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


# -- the shell ---------------------------------------------------------------------------------

KEYWORDS = {"while", "until", "do", "done", "for", "in"}
OPERATORS = {";", "&&", "||", "&", "|", "\n"}
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", re.S)
EXPANSION = re.compile(
    r"\$\(\(.*?\)\)|\$\([^)]*\)|\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\$\?"
)
SLEEP_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class ShellExit(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class Simple:
    words: list[str]


@dataclass
class Loop:
    until: bool
    condition: list[tuple[str, Any]]
    body: list[tuple[str, Any]]


@dataclass
class ForLoop:
    name: str
    items: list[str]
    body: list[tuple[str, Any]]


class ShellSyntaxError(Exception):
    pass


def tokenize(script: str) -> list[str]:
    lexer = shlex.shlex(script.replace("\n", " ; "), posix=True, punctuation_chars=";&|>")
    lexer.whitespace_split = True
    try:
        return list(lexer)
    except ValueError as exc:
        raise ShellSyntaxError("Unterminated quoted string") from exc


def parse(tokens: list[str]) -> list[tuple[str, Any]]:
    """A command list: [(operator that joins it to the previous one, node)]."""
    pos = 0

    def parse_list(stop: set[str]) -> list[tuple[str, Any]]:
        nonlocal pos
        items: list[tuple[str, Any]] = []
        op = ";"
        while pos < len(tokens):
            tok = tokens[pos]
            if tok in stop:
                return items
            if tok in OPERATORS:
                op = tok if tok in ("&&", "||") else ";"
                pos += 1
                continue
            if tok in ("while", "until"):
                pos += 1
                cond = parse_list({"do"})
                expect("do")
                body = parse_list({"done"})
                expect("done")
                items.append((op, Loop(tok == "until", cond, body)))
            elif tok == "for":
                pos += 1
                if pos >= len(tokens) or not NAME.fullmatch(tokens[pos]):
                    raise ShellSyntaxError("Syntax error: Bad for loop variable")
                name = tokens[pos]
                pos += 1
                values: list[str] = []
                if pos < len(tokens) and tokens[pos] == "in":
                    pos += 1
                    while pos < len(tokens) and tokens[pos] not in OPERATORS and tokens[pos] != "do":
                        values.append(tokens[pos])
                        pos += 1
                while pos < len(tokens) and tokens[pos] in (";", "\n"):
                    pos += 1
                expect("do")
                body = parse_list({"done"})
                expect("done")
                items.append((op, ForLoop(name, values, body)))
            elif tok in ("do", "done"):
                raise ShellSyntaxError(f'Syntax error: "{tok}" unexpected')
            else:
                words: list[str] = []
                while pos < len(tokens) and tokens[pos] not in OPERATORS:
                    words.append(tokens[pos])
                    pos += 1
                items.append((op, Simple(words)))
            op = ";"
        return items

    def expect(word: str) -> None:
        nonlocal pos
        if pos >= len(tokens) or tokens[pos] != word:
            found = tokens[pos] if pos < len(tokens) else "end of file"
            raise ShellSyntaxError(f'Syntax error: {found} unexpected (expecting "{word}")')
        pos += 1

    items = parse_list(set())
    return items


def arithmetic(expr: str, env: dict[str, str]) -> int:
    """`$((…))`: integers, variables, + - * / % and parentheses."""

    def value(node: ast.AST) -> int:
        if isinstance(node, ast.Expression):
            return value(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.Name):
            try:
                return int(env.get(node.id, "0") or "0")
            except ValueError:
                return 0
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        if isinstance(node, ast.BinOp):
            a, b = value(node.left), value(node.right)
            if isinstance(node.op, ast.Add):
                return a + b
            if isinstance(node.op, ast.Sub):
                return a - b
            if isinstance(node.op, ast.Mult):
                return a * b
            if isinstance(node.op, ast.Div | ast.FloorDiv) and b:
                return int(a / b)
            if isinstance(node.op, ast.Mod) and b:
                return a % b
        raise ValueError(expr)

    return value(ast.parse(expr.replace("$", "").replace("/", "//"), mode="eval"))


@dataclass
class ProgramRunner:
    """How a shell runs a program it does not build in: `run` gives (exit code, stdout, stderr,
    seconds the program blocked); `seconds` keeps the last one's, which the shell then waits."""

    run: Callable[[list[str]], tuple[int, str, str, float]]
    seconds: float = 0.0

    def __call__(self, argv: list[str]) -> tuple[int, str, str]:
        code, stdout, stderr, self.seconds = self.run(argv)
        return code, stdout, stderr


@dataclass
class ShellContext:
    """What a shell in one container works with: its environment and files, the clock, and
    how to run a program it does not build in (returns exit code, stdout, stderr)."""

    env: dict[str, str]
    files: dict[str, str]
    run_program: Callable[[list[str]], tuple[int, str, str]]
    busybox: bool = True
    slept: int = 0  # how many `sleep`s have run (a loop that never sleeps is slowed down)

    def not_found(self, program: str) -> str:
        return f"sh: {program}: not found" if self.busybox else f"sh: 1: {program}: not found"


def expand(word: str, ctx: ShellContext) -> str:
    def sub(match: re.Match[str]) -> str:
        text = match.group(0)
        if text.startswith("$(("):
            try:
                return str(arithmetic(text[3:-2], ctx.env))
            except (ValueError, SyntaxError):
                return "0"
        if text.startswith("$("):
            _, out, _ = ctx.run_program(text[2:-1].split())
            return out.rstrip("\n")
        name = text[2:-1] if text.startswith("${") else text[1:]
        return ctx.env.get(name, "")

    return EXPANSION.sub(sub, word)


def parse_sleep(arg: str) -> float | None:
    if arg in ("inf", "infinity"):
        return float("inf")
    unit = SLEEP_UNITS.get(arg[-1:])
    number = arg[:-1] if unit else arg
    try:
        seconds = float(number)
    except ValueError:
        return None
    return seconds * (unit or 1) if seconds >= 0 else None


def sleep_total(args: list[str]) -> tuple[float, str]:
    """`sleep N…`: the seconds all the arguments add up to, or the error it prints."""
    if not args:
        return 0.0, "sleep: missing operand\n"
    total = 0.0
    for a in args:
        seconds = parse_sleep(a)
        if seconds is None:
            return 0.0, f"sleep: invalid number '{a}'\n"
        total += seconds
    return total, ""


def run_list(items: list[tuple[str, Any]], ctx: ShellContext) -> Generator[Step, None, int]:
    code = 0
    for op, node in items:
        if (op == "&&" and code != 0) or (op == "||" and code == 0):
            continue
        if isinstance(node, Loop):
            code = 0
            while True:
                slept = ctx.slept  # a sleep in the condition (`while sleep 0.01; do …`) counts
                cond = yield from run_list(node.condition, ctx)
                if (cond == 0) == node.until:
                    break
                code = yield from run_list(node.body, ctx)
                if ctx.slept == slept:
                    # A pass that never sleeps would spin forever at once: one pass a second.
                    ctx.slept += 1
                    yield Sleep(1.0)
        elif isinstance(node, ForLoop):
            code = 0
            for item in [w for raw in node.items for w in expand(raw, ctx).split()]:
                ctx.env[node.name] = item
                code = yield from run_list(node.body, ctx)
        else:
            code = yield from run_simple([expand(w, ctx) for w in node.words], ctx)
        ctx.env["?"] = str(code)
    return code


def run_simple(words: list[str], ctx: ShellContext) -> Generator[Step, None, int]:
    while words and ASSIGNMENT.fullmatch(words[0]):
        m = ASSIGNMENT.fullmatch(words[0])
        assert m is not None
        ctx.env[m.group(1)] = m.group(2)
        words = words[1:]
    if not words:
        return 0
    target, append = None, False
    for i, w in enumerate(words):
        if w in (">", ">>") and i + 1 < len(words):
            target, append = words[i + 1], w == ">>"
            words = words[:i] + words[i + 2 :]
            break
    out: list[str] = []
    code = yield from builtin(words, ctx, out)
    text = "".join(out)
    if target == "/dev/null":
        pass
    elif target is not None:
        ctx.files[target] = (ctx.files.get(target, "") if append else "") + text
    elif text:
        yield Out(text.removesuffix("\n"))
    return code


def builtin(words: list[str], ctx: ShellContext, out: list[str]) -> Generator[Step, None, int]:
    prog, args = words[0].rsplit("/", 1)[-1], words[1:]
    if prog == "sleep":
        total, error = sleep_total(args)
        if error:
            out.append(error)
            return 1
        ctx.slept += 1
        yield Sleep(total)
        return 0
    if prog == "exit":
        try:
            raise ShellExit(int(args[0]) & 0xFF if args else int(ctx.env.get("?", "0")))
        except ValueError:
            out.append(f"sh: exit: Illegal number: {args[0]}\n")
            raise ShellExit(2) from None
    if prog == "echo":
        newline = True
        if args[:1] == ["-n"]:
            newline, args = False, args[1:]
        out.append(" ".join(args) + ("\n" if newline else ""))
        return 0
    if prog in ("true", ":"):
        return 0
    if prog == "false":
        return 1
    if prog == "touch":
        for path in args:
            if not path.startswith("-"):
                ctx.files.setdefault(path, "")
        return 0
    if prog == "mkdir":
        for path in args:
            if not path.startswith("-"):
                ctx.files.setdefault(path.rstrip("/") + "/", "")
        return 0
    if prog == "rm":
        force = any(a.startswith("-") and "f" in a for a in args)
        code = 0
        for path in (a for a in args if not a.startswith("-")):
            if path in ctx.files:
                del ctx.files[path]
            elif not force:
                out.append(f"rm: can't remove '{path}': No such file or directory\n")
                code = 1
        return code
    if prog == "cat" and args:
        code = 0
        for path in args:
            if path in ctx.files:
                out.append(ctx.files[path])
                continue
            status, text, err = ctx.run_program(["cat", path])
            if status != 0 and ctx.busybox:
                err = f"cat: can't open '{path}': No such file or directory\n"
            out.append(text + err)
            code = code or status
        return code
    code, stdout, stderr = ctx.run_program(words)
    if code == 127 and not stdout:
        out.append(ctx.not_found(words[0]) + "\n")
        return 127
    waited = float(getattr(ctx.run_program, "seconds", 0.0))
    if waited > 0:  # the program blocked (wget waiting out a timeout): so does the script
        ctx.slept += 1
        yield Sleep(waited)
    out.append(stdout + stderr)
    return code


def shell_program(words: list[str], ctx: ShellContext) -> Program:
    """PID 1 running `words`: `sh -c SCRIPT`, a bare `sh` (no script on stdin: exits 0), or a
    single command such as `sleep 3600`."""
    prog = words[0].rsplit("/", 1)[-1] if words else "sh"
    if prog in ("sh", "ash", "bash") and words[1:2] == ["-c"]:
        script = words[2] if len(words) > 2 else ""
    elif prog in ("sh", "ash", "bash"):
        script = ""
    else:
        script = shlex.join(words)
    try:
        items = parse(tokenize(script))
    except ShellSyntaxError as exc:
        yield Out(f"sh: {exc}" if ctx.busybox else f"sh: 1: {exc}")
        yield Exit(2)
        return
    try:
        code = yield from run_list(items, ctx)
    except ShellExit as stop:
        code = stop.code
    yield Exit(code)
