"""Rolling-update arithmetic, as `k8s.io/kubernetes/pkg/controller/deployment/util` does it.

`maxSurge` and `maxUnavailable` are int-or-percent. A percentage of the desired replicas is
rounded **up** for surge and **down** for unavailable; if both come out 0, unavailable
becomes 1 so a rollout can always make progress (e.g. 4 replicas → surge 1, unavailable 1;
10 replicas → surge 3, unavailable 2).
"""

from __future__ import annotations

import math
from typing import Any


def scaled_value(value: Any, total: int, round_up: bool) -> int:
    """`intstr.GetScaledValueFromIntOrPercent`."""
    if value is None:
        value = "25%"
    if isinstance(value, bool):
        raise ValueError(f"invalid type: {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{value}: must be greater than or equal to 0")
        return value
    text = str(value)
    if text.endswith("%"):
        try:
            pct = int(text[:-1])
        except ValueError as exc:
            raise ValueError(
                f'"{text}": a valid percent string must be a numeric string followed by an '
                "ending '%' (e.g. '1%',  or '93%', regex used for validation is "
                "'[0-9]+%')"
            ) from exc
        if pct < 0:
            raise ValueError(f'"{text}": must be greater than or equal to 0')
        raw = pct * total / 100
        return math.ceil(raw) if round_up else math.floor(raw)
    try:
        return int(text)
    except ValueError as exc:
        raise ValueError(
            f"\"{text}\": a valid percent string must be a numeric string followed by an ending '%'"
        ) from exc


def resolve_fenceposts(max_surge: Any, max_unavailable: Any, desired: int) -> tuple[int, int]:
    surge = scaled_value(max_surge, desired, True)
    unavailable = scaled_value(max_unavailable, desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable
