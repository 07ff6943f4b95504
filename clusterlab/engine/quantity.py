"""Kubernetes resource quantities (`250m`, `0.5`, `128Mi`, `1Gi`, `1e3`), parsed exactly.

Mirrors apimachinery's `resource.Quantity` closely enough for scheduling arithmetic: CPU is
handled in millicores (rounded up, as `MilliValue()` does), memory in bytes.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from functools import lru_cache

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 1000),
    "": Fraction(1),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
}
_PATTERN = re.compile(
    r"^([+-]?[0-9]+(?:\.[0-9]*)?|[+-]?\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$"
)


class QuantityError(ValueError):
    """The text is not a Kubernetes quantity."""


def parse_quantity(value: str | int | float) -> Fraction:
    """The exact value of a quantity, e.g. `parse_quantity("250m") == Fraction(1, 4)`."""
    if isinstance(value, bool):
        raise QuantityError(
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
        )
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(str(value))
    match = _PATTERN.match(str(value).strip())
    if not match:
        raise QuantityError(
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
        )
    number, suffix = match.group(1), match.group(2) or ""
    base = Fraction(number)
    if suffix in _BINARY:
        return base * _BINARY[suffix]
    if suffix in _DECIMAL:
        return base * _DECIMAL[suffix]
    return base * Fraction(10) ** int(suffix[1:])


@lru_cache(maxsize=4096)
def milli_value(value: str | int | float) -> int:
    """Millicores (or milli-units), rounded up like `Quantity.MilliValue()`."""
    return math.ceil(parse_quantity(value) * 1000)


@lru_cache(maxsize=4096)
def int_value(value: str | int | float) -> int:
    """Whole units (bytes for memory), rounded up like `Quantity.Value()`."""
    return math.ceil(parse_quantity(value))


def format_cpu(millis: int) -> str:
    return f"{millis // 1000}" if millis % 1000 == 0 else f"{millis}m"


def format_bytes(n: int) -> str:
    """Largest binary suffix that divides exactly, as Kubernetes prints `4Gi`, `128Mi`."""
    for suffix, size in sorted(_BINARY.items(), key=lambda kv: -kv[1]):
        if n and n % size == 0:
            return f"{n // size}{suffix}"
    return str(n)
