"""Quantities as values with a format, printed the way apimachinery's `Quantity.String()` does.

A Kubernetes quantity remembers how it was written: `128Mi` is *BinarySI*, `500m` or `2` is
*DecimalSI*, `1e3` is *DecimalExponent*. Arithmetic keeps the format of the left operand (a
zero takes the other's), and printing is canonical: `2000m` prints `2`, `1536Mi` stays
`1536Mi`, `2048Mi` prints `2Gi`, `0.5` prints `500m`, a binary value below 1024 or with a
fraction prints in decimal. Quota messages (`used: requests.cpu=1800m`), quota status and
LimitRange messages print quantities this way.

Simplified: values are exact fractions rounded up to nano units, as a quantity parsed from
text is; the inf.Dec path for values beyond int64 is not modelled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from .quantity import parse_quantity

BINARY_SI = "BinarySI"
DECIMAL_SI = "DecimalSI"
DECIMAL_EXPONENT = "DecimalExponent"

_DECIMAL_SUFFIX = {-9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E"}
_BINARY_SUFFIX = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]


def format_of(text: str | int | float) -> str:
    """The format a quantity was written in."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return DECIMAL_SI
    s = str(text).strip()
    if s[-2:] in ("Ki", "Mi", "Gi", "Ti", "Pi", "Ei"):
        return BINARY_SI
    stripped = s.lstrip("+-")
    if "e" in stripped[1:] or "E" in stripped[1:]:
        return DECIMAL_EXPONENT
    return DECIMAL_SI


@dataclass(frozen=True)
class Quantity:
    """A quantity's exact value and the format it prints in."""

    value: Fraction
    fmt: str = DECIMAL_SI

    @classmethod
    def parse(cls, text: str | int | float) -> Quantity:
        value = Fraction(math.ceil(parse_quantity(text) * 10**9), 10**9)
        return cls(value, format_of(text))

    @classmethod
    def count(cls, n: int) -> Quantity:
        return cls(Fraction(n), DECIMAL_SI)

    def __add__(self, other: Quantity) -> Quantity:
        fmt = other.fmt if self.value == 0 else self.fmt
        return Quantity(self.value + other.value, fmt)

    def __sub__(self, other: Quantity) -> Quantity:
        fmt = other.fmt if self.value == 0 else self.fmt
        return Quantity(self.value - other.value, fmt)

    def milli(self) -> int:
        """`MilliValue()`: rounded up."""
        return math.ceil(self.value * 1000)

    def __str__(self) -> str:
        return canonical(self.value, self.fmt)


def canonical(value: Fraction, fmt: str) -> str:
    """`Quantity.String()` for a value in a format."""
    if value == 0:
        return "0"
    if fmt == BINARY_SI and abs(value) >= 1024 and value.denominator == 1:
        n, exp = int(value), 0
        while n % 1024 == 0 and exp < len(_BINARY_SUFFIX) - 1:
            n //= 1024
            exp += 1
        return f"{n}{_BINARY_SUFFIX[exp]}"
    # Decimal: an integer mantissa with every factor of ten moved into an exponent that is
    # then brought down to a multiple of three.
    exponent = 0
    mantissa = value
    while mantissa.denominator != 1:
        mantissa *= 10
        exponent -= 1
    m = int(mantissa)
    while m % 10 == 0:
        m //= 10
        exponent += 1
    shift = exponent % 3
    m *= 10**shift
    exponent -= shift
    if fmt != DECIMAL_EXPONENT and exponent in _DECIMAL_SUFFIX:
        return f"{m}{_DECIMAL_SUFFIX[exponent]}"
    return f"{m}e{exponent}" if exponent else str(m)


def canonical_text(text: str | int | float) -> str:
    """A quantity as text, as the API server would print it back."""
    return str(Quantity.parse(text))


ResourceList = dict[str, Quantity]


def parse_list(values: dict[str, str | int | float] | None) -> ResourceList:
    return {k: Quantity.parse(v) for k, v in (values or {}).items()}


def add(a: ResourceList, b: ResourceList) -> ResourceList:
    """`quota.Add`: keys of both, summed; the left value's format wins."""
    out = dict(a)
    for k, v in b.items():
        out[k] = out[k] + v if k in out else v
    return out


def subtract(a: ResourceList, b: ResourceList) -> ResourceList:
    """`quota.Subtract`: every key of `a` minus `b`'s (keys only in `b` go negative)."""
    out = dict(a)
    for k, v in b.items():
        out[k] = out[k] - v if k in out else Quantity(-v.value, v.fmt)
    return out


def mask(a: ResourceList, names: set[str] | list[str]) -> ResourceList:
    """`quota.Mask`: only the named keys."""
    keep = set(names)
    return {k: v for k, v in a.items() if k in keep}


def to_json(a: ResourceList) -> dict[str, str]:
    return {k: str(a[k]) for k in sorted(a)}


def pretty(a: ResourceList) -> str:
    """`prettyPrint` of the quota admission: `requests.cpu=500m,requests.memory=1Gi`."""
    return ",".join(f"{k}={a[k]}" for k in sorted(a))
