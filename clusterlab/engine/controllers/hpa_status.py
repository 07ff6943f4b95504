"""A HorizontalPodAutoscaler's status conditions and the shape of the status it writes.

As `pkg/controller/podautoscaler/horizontal.go`: `setConditionInList` sets one of the
`AbleToScale`, `ScalingActive` and `ScalingLimited` conditions (the transition time moves only
when the status does); the autoscaling/v2 serialisation omits `currentReplicas`, `conditions`
and `lastScaleTime` when empty and always carries `currentMetrics` and `desiredReplicas`.

Simplified: none of note.
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]


def set_condition(
    conditions: list[Obj], ctype: str, status: str, reason: str, message: str, now: str
) -> None:
    """`setConditionInList`: the transition time moves only when the status does."""
    for c in conditions:
        if c["type"] == ctype:
            if c.get("status") != status:
                c["lastTransitionTime"] = now
            c.update(status=status, reason=reason, message=message)
            return
    conditions.append(
        {"type": ctype, "status": status, "lastTransitionTime": now, "reason": reason, "message": message}
    )


def finish_status(status: Obj) -> None:
    """The v2 serialisation: `currentReplicas`, `conditions`, `lastScaleTime` omitted when
    empty; `currentMetrics` and `desiredReplicas` always there."""
    if not status.get("currentReplicas"):
        status.pop("currentReplicas", None)
    if not status.get("conditions"):
        status.pop("conditions", None)
    status.setdefault("currentMetrics", None)
    status.setdefault("desiredReplicas", 0)
