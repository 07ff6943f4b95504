"""Cron schedules as the CronJob controller reads them (`github.com/robfig/cron/v3`, `ParseStandard`).

A standard schedule has five fields — minute, hour, day of month, month, day of week — each
`*` (or `?`), a number, a name (`JAN`…`DEC`, `SUN`…`SAT`), a range `a-b`, a list `a,b`, and an
optional step `/n` (`*/15`, `10-50/20`, `5/10` meaning `5-59/10`). Descriptors stand for common
schedules (`@hourly`, `@daily`/`@midnight`, `@weekly`, `@monthly`, `@yearly`/`@annually`), and
`@every <duration>` runs at a fixed interval. As in cron (and robfig's `dayMatches`), when
either day field is `*` both must match; when both are restricted, either may.

`next(after)` is robfig's `SpecSchedule.Next`: the first whole minute strictly after `after`,
in the schedule's time zone, that matches every field. Parse errors carry robfig's wording,
which kube-apiserver quotes in its validation message.

Simplified: a wall-clock time skipped or repeated by a daylight-saving change is taken once,
at its first occurrence; robfig's `CRON_TZ=` prefix is not parsed (the API server rejects it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

MONTHS = {
    n: i
    for i, n in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
DAYS = {n: i for i, n in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}

DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
# (minimum, maximum, names) per field, in order.
_BOUNDS: tuple[tuple[int, int, dict[str, int]], ...] = (
    (0, 59, {}),
    (0, 23, {}),
    (1, 31, {}),
    (1, 12, MONTHS),
    (0, 6, DAYS),
)
_SEARCH_YEARS = 5  # robfig gives up after five years without a match


class CronError(ValueError):
    """A schedule robfig/cron refuses, with its message."""


@dataclass(frozen=True)
class Field:
    values: frozenset[int]
    star: bool  # written as `*` or `?` (robfig's starBit), which matters for the day fields


@dataclass(frozen=True)
class Schedule:
    fields: tuple[Field, ...] = ()
    every: float = 0.0  # `@every`: a constant delay in seconds

    def next(self, after: datetime, tz: tzinfo) -> datetime | None:
        """The first activation strictly after `after` (an aware datetime), or None if there is
        none within five years (`59 23 31 2 *`)."""
        if self.every:
            return after + timedelta(seconds=self.every - after.microsecond / 1e6)
        local = after.astimezone(tz).replace(tzinfo=None, second=0, microsecond=0) + timedelta(minutes=1)
        limit = local.year + _SEARCH_YEARS
        minute, hour, _dom, month, _dow = self.fields
        while local.year <= limit:
            if local.month not in month.values:
                local = _first_of_next_month(local)
                continue
            if not self._day_matches(local):
                local = local.replace(hour=0, minute=0) + timedelta(days=1)
                continue
            if local.hour not in hour.values:
                local = local.replace(minute=0) + timedelta(hours=1)
                continue
            if local.minute not in minute.values:
                local += timedelta(minutes=1)
                continue
            return local.replace(tzinfo=tz)
        return None

    def _day_matches(self, local: datetime) -> bool:
        dom, dow = self.fields[2], self.fields[4]
        dom_ok = local.day in dom.values
        dow_ok = (local.isoweekday() % 7) in dow.values
        if dom.star or dow.star:
            return dom_ok and dow_ok
        return dom_ok or dow_ok


def _first_of_next_month(local: datetime) -> datetime:
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return datetime(year, month, 1)


def parse(spec: str) -> Schedule:
    """`cron.ParseStandard`."""
    if not spec:
        raise CronError("empty spec string")
    if spec.startswith("@"):
        if spec.startswith("@every "):
            return Schedule(every=max(1.0, float(int(_go_duration(spec[len("@every ") :])))))
        if spec not in DESCRIPTORS:
            raise CronError(f"unrecognized descriptor: {spec}")
        spec = DESCRIPTORS[spec]
    parts = spec.split()
    if len(parts) != 5:
        raise CronError(f"expected exactly 5 fields, found {len(parts)}: [{' '.join(parts)}]")
    return Schedule(tuple(_field(p, *b) for p, b in zip(parts, _BOUNDS, strict=True)))


def _field(text: str, lo: int, hi: int, names: dict[str, int]) -> Field:
    values: set[int] = set()
    star = False
    for expr in text.split(","):
        got, is_star = _range(expr, lo, hi, names)
        values |= got
        star = star or is_star
    return Field(frozenset(values), star)


def _range(expr: str, lo: int, hi: int, names: dict[str, int]) -> tuple[set[int], bool]:
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    single = len(low_and_high) == 1
    star = False
    if low_and_high[0] in ("*", "?"):
        start, end, star = lo, hi, True
    else:
        start = _value(low_and_high[0], names)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _value(low_and_high[1], names)
        else:
            raise CronError(f"too many hyphens: {expr}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _number(range_and_step[1])
        if single and not star:  # `N/step` means `N-max/step`
            end = hi
        if step > 1:
            star = False
    else:
        raise CronError(f"too many slashes: {expr}")
    if start < lo:
        raise CronError(f"beginning of range ({start}) below minimum ({lo}): {expr}")
    if end > hi:
        raise CronError(f"end of range ({end}) above maximum ({hi}): {expr}")
    if start > end:
        raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise CronError(f"step of range should be a positive number: {expr}")
    return set(range(start, end + 1, step)), star


def _value(text: str, names: dict[str, int]) -> int:
    if text.lower() in names:
        return names[text.lower()]
    return _number(text)


def _number(text: str) -> int:
    if not re.fullmatch(r"[+-]?\d+", text):
        raise CronError(f'failed to parse int from {text}: strconv.Atoi: parsing "{text}": invalid syntax')
    value = int(text)
    if value < 0:
        raise CronError(f"negative number ({value}) not allowed: {text}")
    return value


_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def _go_duration(text: str) -> float:
    """`time.ParseDuration` for `@every` (`1h30m`, `90s`)."""
    parts = re.findall(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise CronError(f'failed to parse duration {text}: time: invalid duration "{text}"')
    return sum(float(n) * _UNITS[u] for n, u in parts)
