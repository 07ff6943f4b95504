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


# -- the deployment controller's arithmetic (`deployment/util/deployment_util.go`) -------------

Obj = dict[str, Any]


def replicas_of(rs: Obj | None) -> int:
    """`*rs.Spec.Replicas` (0 for a missing ReplicaSet, as `GetReplicaCountForReplicaSets`)."""
    return int(((rs or {}).get("spec") or {}).get("replicas", 0) or 0) if rs else 0


def is_rolling_update(d: Obj) -> bool:
    return ((d.get("spec") or {}).get("strategy") or {}).get("type", "RollingUpdate") == "RollingUpdate"


def fenceposts(d: Obj) -> tuple[int, int]:
    """`MaxSurge(d)`, `MaxUnavailable(d)`: both 0 for Recreate, as the real helpers return;
    maxUnavailable is capped at the desired replicas."""
    if not is_rolling_update(d):
        return 0, 0
    ru = d["spec"]["strategy"].get("rollingUpdate") or {}
    want = int(d["spec"].get("replicas", 1))
    surge, unavailable = resolve_fenceposts(ru.get("maxSurge"), ru.get("maxUnavailable"), want)
    return surge, min(unavailable, want)  # `MaxUnavailable` never exceeds the replicas (0 for 0)


def new_rs_new_replicas(d: Obj, all_rss: list[Obj], new_rs: Obj) -> int:
    """`NewRSNewReplicas`: RollingUpdate grows the new ReplicaSet until every ReplicaSet's
    replicas add up to `replicas + maxSurge`, never past `replicas`; Recreate jumps to `replicas`."""
    want = int(d["spec"].get("replicas", 1))
    if not is_rolling_update(d):
        return want
    surge, _ = fenceposts(d)
    current = sum(replicas_of(r) for r in all_rss)
    max_total = want + surge
    if current >= max_total:
        return replicas_of(new_rs)
    return replicas_of(new_rs) + min(max_total - current, want - replicas_of(new_rs))


def round_half_away(x: float) -> int:
    """Go's `math.Round` (halves away from zero; Python's `round` would round halves to even)."""
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def annotation_int(rs: Obj, key: str) -> int | None:
    """`getIntFromAnnotation`: the annotation as an int, None if absent or not a number."""
    value = ((rs.get("metadata") or {}).get("annotations") or {}).get(key)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


MAX_REPLICAS_ANNOTATION = "deployment.kubernetes.io/max-replicas"


def replica_set_fraction(rs: Obj, d: Obj) -> int:
    """`getReplicaSetFraction`: how many replicas `rs` should gain (or lose) when the Deployment's
    `replicas + maxSurge` changes, in proportion to its size at the previous maximum (the
    ReplicaSet's max-replicas annotation): `round(rs.replicas × newMax / oldMax) − rs.replicas`."""
    want = int(d["spec"].get("replicas", 1))
    if want == 0:
        return -replicas_of(rs)
    surge, _ = fenceposts(d)
    new_max = want + surge
    old_max = annotation_int(rs, MAX_REPLICAS_ANNOTATION)
    if not old_max:
        old_max = int((d.get("status") or {}).get("replicas", 0) or 0)
        if old_max == 0:
            return 0
    return round_half_away(replicas_of(rs) * new_max / old_max) - replicas_of(rs)


def get_proportion(rs: Obj, d: Obj, to_add: int, added: int) -> int:
    """`GetProportion`: the ReplicaSet's fraction, capped by what is still left to add (or
    remove) so the total never overshoots."""
    if replicas_of(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = replica_set_fraction(rs, d)
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


def describe_value(value: Any, total: int, resolved: int, round_up: bool) -> str:
    """`25% of 10, rounded up` / `an absolute 3` — how a maxSurge/maxUnavailable was resolved."""
    if value is None:
        value = "25%"
    text = str(value)
    if text.endswith("%"):
        return f"{text[:-1]} % of {total}, rounded {'up' if round_up else 'down'}"
    return f"absolute {resolved}"
