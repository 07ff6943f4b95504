"""Ages as kubectl prints them (`duration.HumanDuration`, `translateTimestampSince`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def human_duration(seconds: float) -> str:
    """`HumanDuration`: `45s`, `5m10s`, `3h4m`, `2d5h`, `3y10d`."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h{(s % 3600) // 60}m" if (s % 3600) // 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if days < 8:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if days < 365 * 2:
        return f"{days}d"
    if days < 365 * 8:
        return f"{days // 365}y{days % 365}d" if days % 365 else f"{days // 365}y"
    return f"{days // 365}y"


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def since(text: str | None, now: datetime | None) -> str:
    """`translateTimestampSince`: `<unknown>` without a timestamp or a clock."""
    t = parse_time(text)
    if t is None or now is None:
        return "<unknown>"
    return human_duration((now - t).total_seconds())


def age(obj: dict[str, Any], now: datetime | None) -> str:
    return since((obj.get("metadata") or {}).get("creationTimestamp"), now)
