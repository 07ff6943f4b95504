"""Virtual time as Kubernetes timestamps.

Objects carry `metav1.Time` (RFC 3339, second precision) and `metav1.MicroTime` (microsecond
precision, used by Leases and events.k8s.io). The engine counts virtual seconds from the
scenario's epoch; these helpers turn one into the other.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

DEFAULT_EPOCH = "2026-01-01T00:00:00Z"


def parse_epoch(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def rfc3339(epoch: datetime, seconds: float) -> str:
    """`metav1.Time`: whole seconds, `Z` suffix."""
    return (epoch + timedelta(seconds=int(seconds))).strftime("%Y-%m-%dT%H:%M:%SZ")


def micro_time(epoch: datetime, seconds: float) -> str:
    """`metav1.MicroTime`: microseconds, `Z` suffix."""
    return (epoch + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def seconds_since(epoch: datetime, text: str) -> float:
    """Inverse of `rfc3339`/`micro_time`: virtual seconds of a timestamp."""
    return (parse_epoch(text) - epoch).total_seconds()


def human_duration(seconds: float) -> str:
    """kubectl's `HumanDuration` (the AGE column): `45s`, `5m10s`, `3h4m`, `2d5h`."""
    s = int(seconds)
    if s < 0:
        return "<invalid>"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        rem = s % 60
        return f"{minutes}m{rem}s" if rem else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        rem = (s % 3600) // 60
        return f"{hours}h{rem}m" if rem else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if days < 8:
        rem = hours % 24
        return f"{days}d{rem}h" if rem else f"{days}d"
    if days < 365 * 2:
        return f"{days}d"
    return f"{days // 365}y{days % 365}d"


def go_duration(seconds: float) -> str:
    """Go's `time.Duration.String()` for a millisecond-truncated duration: `412ms`, `2.345s`, `1m5.2s`."""
    ms = round(seconds * 1000)
    if ms < 1000:
        return f"{ms}ms"
    minutes, rem_ms = divmod(ms, 60_000)
    secs = f"{rem_ms / 1000:.3f}".rstrip("0").rstrip(".")
    return f"{minutes}m{secs}s" if minutes else f"{secs}s"
