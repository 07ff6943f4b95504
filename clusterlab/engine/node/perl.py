"""The `perl` interpreter of the official `perl` image, for what the Kubernetes docs run in it.

The docs' Job example (concepts/workloads/controllers/job) runs
`perl -Mbignum=bpi -wle "print bpi(2000)"`: Math::BigFloat's `bpi(2000)` is π rounded to 2000
significant digits (round-half-to-even, Math::BigFloat's default mode), and `print` under `-l`
ends it with a newline — one line of 2001 characters, "3.14159…", exit status 0. Here the
digits are computed exactly with integer arithmetic (Machin's formula,
π = 16·arctan(1/5) − 4·arctan(1/239), with guard digits), and the run takes the virtual time
the pure-Perl Math::BigInt backend needs: about 5 s for 2000 digits on one x86-64 core, growing
with the square of the digits asked for.

Simplified: only these scripts are understood — `print bpi(N)` (with bignum, bigrat or bigfloat
loaded with `bpi`) and `print` of a quoted string literal (`\\n` and `\\t` escapes in double
quotes, no interpolation). Any other `-e` program is reported as the compilation error perl
would give for code it cannot parse (exit 255), and a script file, which the image does not
contain, as perl's "Can't open perl script" (exit 2). Perl as PID 1 has no SIGTERM handler, so
the kernel ignores the signal (the kubelet's SIGKILL ends it).
"""

from __future__ import annotations

import re

from .processes import Exit, Out, Program, Sleep

#: Seconds Math::BigFloat takes for bpi(2000) (pure-Perl Math::BigInt::Calc, one core).
BPI_2000_SECONDS = 5.0
GUARD_DIGITS = 10
BPI_MODULES = ("bignum", "bigrat", "bigfloat")


def _arctan_inverse(x: int, unity: int) -> int:
    """arctan(1/x) × unity, by its Taylor series in fixed-point integers."""
    total = term = unity // x
    square = x * x
    n, sign = 1, -1
    while term:
        term //= square
        n += 2
        total += sign * (term // n)
        sign = -sign
    return total


def bpi(digits: int) -> str:
    """π to `digits` significant digits, rounded half to even, as Math::BigFloat prints it."""
    digits = max(1, digits)
    unity = 10 ** (digits + GUARD_DIGITS)
    pi = 4 * (4 * _arctan_inverse(5, unity) - _arctan_inverse(239, unity))
    kept, rest = divmod(pi, 10 ** (GUARD_DIGITS + 1))
    half = 5 * 10**GUARD_DIGITS
    if rest > half or (rest == half and kept % 2):
        kept += 1
    text = str(kept)
    return text if digits == 1 else f"{text[0]}.{text[1:]}"


def compute_seconds(digits: int) -> float:
    return round(max(0.05, BPI_2000_SECONDS * (digits / 2000) ** 2), 3)


def _parse(argv: list[str]) -> tuple[list[str], bool, str | None, str | None]:
    """(modules loaded with -M, whether -l is on, the -e program, a script file)."""
    modules: list[str] = []
    newline = False
    words = argv[1:]
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word == "--" or not word.startswith("-") or word == "-":
            return modules, newline, None, None if word in ("--", "-") else word
        flags = word[1:]
        while flags:
            flag, flags = flags[0], flags[1:]
            if flag in "Mm":
                modules.append(flags or (words[i] if i < len(words) else ""))
                i += 0 if flags else 1
                flags = ""
            elif flag in "eE":
                code = flags or (words[i] if i < len(words) else "")
                return modules, newline, code, None
            elif flag == "l":
                newline = True
                flags = flags.lstrip("01234567")
    return modules, newline, None, None


def _literal(quote: str, body: str) -> str:
    if quote == "'":
        return body.replace("\\'", "'").replace("\\\\", "\\")
    return body.replace("\\n", "\n").replace("\\t", "\t").replace('\\"', '"')


def perl_program(argv: list[str]) -> Program:
    """What `perl` with these arguments does in the container (see the module docstring)."""
    modules, newline, code, script = _parse(argv)
    if script is not None:
        yield Out(f'Can\'t open perl script "{script}": No such file or directory')
        yield Exit(2)
        return
    if code is None:
        yield Exit(0)  # the image's `perl -de0` or a bare `perl`: stdin is empty, nothing runs
        return
    statement = code.strip().rstrip(";").strip()
    has_bpi = any(m.split("=", 1)[0] in BPI_MODULES and "bpi" in m for m in modules)
    match = re.fullmatch(r"print\s*\(?\s*bpi\(\s*(\d+)\s*\)\s*\)?", statement)
    if match and has_bpi:
        digits = int(match.group(1))
        yield Sleep(compute_seconds(digits))
        yield Out(bpi(digits))
        yield Exit(0)
        return
    match = re.fullmatch(r"""print\s*\(?\s*(["'])(.*)\1\s*\)?""", statement, re.DOTALL)
    if match:
        text = _literal(match.group(1), match.group(2))
        text = text[:-1] if text.endswith("\n") and not newline else text
        for line in text.split("\n"):
            yield Out(line)
        yield Exit(0)
        return
    near = statement.split("\n", 1)[0]
    yield Out(f'syntax error at -e line 1, near "{near}"')
    yield Out("Execution of -e aborted due to compilation errors.")
    yield Exit(255)
