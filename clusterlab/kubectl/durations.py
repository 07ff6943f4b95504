"""Go's `time.ParseDuration`, which kubectl's duration flags (`logs --since=5m`) use.

A duration is an optional sign and a sequence of decimal numbers, each with an optional
fraction and a unit: `300ms`, `-1.5h`, `2h45m`. Units are `ns`, `us` (or `µs`/`μs`), `ms`,
`s`, `m`, `h`. A lone `0` needs no unit. Errors are Go's texts (`time: invalid duration "x"`,
`time: missing unit in duration "5"`, `time: unknown unit "d" in duration "5d"`).
"""

from __future__ import annotations

import re

UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,  # U+00B5 micro sign
    "μs": 1e-6,  # U+03BC Greek mu
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_PART = re.compile(r"(\d*)(?:\.(\d*))?([^\d.]*)")


def parse_duration(text: str) -> float:
    """Seconds in ``text``; ValueError with Go's message when it is not a duration."""
    quoted = f'"{text}"'
    rest = text
    sign = 1.0
    if rest[:1] in ("-", "+"):
        sign = -1.0 if rest[0] == "-" else 1.0
        rest = rest[1:]
    if rest == "0":
        return 0.0
    if not rest:
        raise ValueError(f"time: invalid duration {quoted}")
    total = 0.0
    while rest:
        match = _PART.match(rest)
        assert match is not None
        whole, frac, unit = match.groups()
        if not whole and not frac:
            raise ValueError(f"time: invalid duration {quoted}")
        if not unit:
            raise ValueError(f"time: missing unit in duration {quoted}")
        if unit not in UNITS:
            raise ValueError(f'time: unknown unit "{unit}" in duration {quoted}')
        total += float(f"{whole or '0'}.{frac or '0'}") * UNITS[unit]
        rest = rest[match.end() :]
    return sign * total


def go_round_seconds(seconds: float) -> int:
    """`Duration.Round(time.Second)` in whole seconds: halves round away from zero."""
    whole = int(abs(seconds) + 0.5)
    return whole if seconds >= 0 else -whole
