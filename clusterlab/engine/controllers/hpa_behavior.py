"""A HorizontalPodAutoscaler's normalization: stabilization windows and scaling rate limits.

As `pkg/controller/podautoscaler/horizontal.go`. Without `spec.behavior`
(`normalizeDesiredReplicas`): the highest recommendation of the last 300 s
(`--horizontal-pod-autoscaler-downscale-stabilization`) stands (`stabilizeRecommendation`, so
scale-downs wait), a scale-up is capped at max(2 × current, 4) per sync, and the count is kept
within minReplicas..maxReplicas. With `behavior` (`normalizeDesiredReplicasWithBehaviors`):
the stabilization window of the direction (the scale-up one defaulting to 0, the scale-down one
to 300 s), then the limit of the direction's policies over their periods, counting the scale
events the controller stored (`selectPolicy` Max, Min or Disabled). Each step sets the
`AbleToScale` (`ScaleUpStabilized`, `ScaleDownStabilized`, `ReadyForNewScale`) and
`ScalingLimited` conditions with Kubernetes' reasons and messages.

Simplified: none of note; the recommendations and scale events live in the controller's
memory, as in kube-controller-manager (a restart forgets them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .base import Controller
from .hpa_explanation import Explanation
from .hpa_status import set_condition

Obj = dict[str, Any]

DOWNSCALE_STABILIZATION = 300.0  # --horizontal-pod-autoscaler-downscale-stabilization
SCALE_UP_LIMIT_FACTOR = 2.0
SCALE_UP_LIMIT_MINIMUM = 4.0
HELD_UP = "recent recommendations were higher than current one, applying the highest recent recommendation"
HELD_DOWN = "recent recommendations were lower than current one, applying the lowest recent recommendation"


@dataclass
class ScaleEvent:
    change: int
    time: float
    outdated: bool = False


class HpaBehavior(Controller):
    """The normalization half of an HPA sync: from the proposed count to the desired one."""

    recommendations: dict[str, list[tuple[int, float]]]  # HPA key → (count, time) of past syncs
    scale_up_events: dict[str, list[ScaleEvent]]
    scale_down_events: dict[str, list[ScaleEvent]]

    def _normalize(
        self,
        key: str,
        spec: Obj,
        conditions: list[Obj],
        now_text: str,
        current: int,
        proposed: int,
        min_replicas: int,
        explanation: Explanation,
    ) -> int:
        """`normalizeDesiredReplicas`: the built-in rules of an HPA without `behavior`."""
        stabilized = self._stabilize(key, proposed)
        explanation.stabilized = stabilized
        if stabilized != proposed:
            set_condition(
                conditions,
                "AbleToScale",
                "True",
                "ScaleDownStabilized",
                HELD_UP,
                now_text,
            )
        else:
            set_condition(
                conditions,
                "AbleToScale",
                "True",
                "ReadyForNewScale",
                "recommended size matches current size",
                now_text,
            )
        max_replicas = int(spec.get("maxReplicas", 0))
        scale_up_limit = int(max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM))
        if max_replicas > scale_up_limit:
            maximum, limit_reason = scale_up_limit, "ScaleUpLimit"
            limit_message = "the desired replica count is increasing faster than the maximum scale rate"
        else:
            maximum, limit_reason = max_replicas, "TooManyReplicas"
            limit_message = "the desired replica count is more than the maximum replica count"
        if stabilized < min_replicas:
            desired = min_replicas
            limit_reason, limit_message = (
                "TooFewReplicas",
                "the desired replica count is less than the minimum replica count",
            )
        elif stabilized > maximum:
            desired = maximum
        else:
            desired = stabilized
            limit_reason, limit_message = (
                "DesiredWithinRange",
                "the desired count is within the acceptable range",
            )
        explanation.limit_reason, explanation.limit_message = limit_reason, limit_message
        set_condition(
            conditions,
            "ScalingLimited",
            "False" if desired == stabilized else "True",
            limit_reason,
            limit_message,
            now_text,
        )
        return desired

    def _stabilize(self, key: str, proposed: int) -> int:
        """`stabilizeRecommendation`: the highest recommendation of the window (the oldest
        expired one is replaced by this one)."""
        now = self.clock.now
        cutoff = now - DOWNSCALE_STABILIZATION
        best = proposed
        old_index = -1
        recs = self.recommendations.setdefault(key, [])
        for i, (rec, when) in enumerate(recs):
            if when < cutoff:
                old_index = i
            elif rec > best:
                best = rec
        if old_index >= 0:
            recs[old_index] = (proposed, now)
        else:
            recs.append((proposed, now))
        return best

    def _normalize_with_behaviors(
        self,
        key: str,
        spec: Obj,
        conditions: list[Obj],
        now_text: str,
        current: int,
        proposed: int,
        min_replicas: int,
        explanation: Explanation,
    ) -> int:
        """`normalizeDesiredReplicasWithBehaviors`: stabilization window, then the policies."""
        behavior = spec["behavior"]
        up = behavior.get("scaleUp") or {}
        down = behavior.get("scaleDown") or {}
        up_window = int(up.get("stabilizationWindowSeconds") or 0)
        down_window = down.get("stabilizationWindowSeconds")
        down_window = int(DOWNSCALE_STABILIZATION if down_window is None else down_window)
        now = self.clock.now
        if proposed >= current:
            window, better = up_window, min
            reason = "ScaleUpStabilized"
            message = HELD_DOWN
        else:
            window, better = down_window, max
            reason = "ScaleDownStabilized"
            message = HELD_UP
        obsolete = now - max(up_window, down_window)
        cutoff = now - window
        stabilized = proposed
        old_index = -1
        recs = self.recommendations.setdefault(key, [])
        for i, (rec, when) in enumerate(recs):
            if when > cutoff:
                stabilized = better(rec, stabilized)
            if when < obsolete:
                old_index = i
        if old_index >= 0:
            recs[old_index] = (proposed, now)
        else:
            recs.append((proposed, now))
        explanation.stabilized = stabilized
        if stabilized != proposed:
            set_condition(conditions, "AbleToScale", "True", reason, message, now_text)
        else:
            set_condition(
                conditions,
                "AbleToScale",
                "True",
                "ReadyForNewScale",
                "recommended size matches current size",
                now_text,
            )
        desired, limit_reason, limit_message = self._rate_limited(
            key, spec, current, stabilized, min_replicas
        )
        explanation.limit_reason, explanation.limit_message = limit_reason, limit_message
        set_condition(
            conditions,
            "ScalingLimited",
            "False" if desired == stabilized else "True",
            limit_reason,
            limit_message,
            now_text,
        )
        return desired

    def _rate_limited(
        self, key: str, spec: Obj, current: int, desired: int, min_replicas: int
    ) -> tuple[int, str, str]:
        """`convertDesiredReplicasWithBehaviorRate`."""
        behavior = spec["behavior"]
        max_replicas = int(spec.get("maxReplicas", 0))
        ups, downs = self.scale_up_events.get(key, []), self.scale_down_events.get(key, [])
        if desired > current:
            limit = max(self._limit(current, ups, downs, behavior.get("scaleUp") or {}, up=True), current)
            if max_replicas > limit:
                maximum, reason = limit, "ScaleUpLimit"
                message = "the desired replica count is increasing faster than the maximum scale rate"
            else:
                maximum, reason = max_replicas, "TooManyReplicas"
                message = "the desired replica count is more than the maximum replica count"
            if desired > maximum:
                return maximum, reason, message
        elif desired < current:
            limit = min(self._limit(current, ups, downs, behavior.get("scaleDown") or {}, up=False), current)
            if min_replicas < limit:
                minimum, reason = limit, "ScaleDownLimit"
                message = "the desired replica count is decreasing faster than the maximum scale rate"
            else:
                minimum, reason = min_replicas, "TooFewReplicas"
                message = "the desired replica count is less than the minimum replica count"
            if desired < minimum:
                return minimum, reason, message
        return desired, "DesiredWithinRange", "the desired count is within the acceptable range"

    def _limit(
        self, current: int, ups: list[ScaleEvent], downs: list[ScaleEvent], rules: Obj, *, up: bool
    ) -> int:
        """`calculateScaleUpLimitWithScalingRules` / `calculateScaleDownLimitWithBehaviors`."""
        select = rules.get("selectPolicy") or "Max"
        if select == "Disabled":
            return current
        # Scaling up, `Max` takes the largest proposal; scaling down, the smallest.
        pick = max if (select != "Min") == up else min
        result: int | None = None
        now = self.clock.now
        for policy in rules.get("policies") or []:
            period = int(policy.get("periodSeconds", 0))
            added = sum(e.change for e in ups if e.time > now - period)
            removed = sum(e.change for e in downs if e.time > now - period)
            start = current - added + removed
            value = int(policy.get("value", 0))
            if policy.get("type") == "Pods":
                proposed = start + value if up else start - value
            elif up:
                proposed = math.ceil(start * (1 + value / 100))
            else:
                proposed = int(start * (1 - value / 100))
            result = proposed if result is None else pick(result, proposed)
        return current if result is None else result

    def _store_scale_event(self, behavior: Obj | None, key: str, before: int, after: int) -> None:
        """`storeScaleEvent`: only HPAs with `behavior` keep them; an event older than the
        longest policy period is reused."""
        if behavior is None:
            return
        up = after > before
        rules = (behavior.get("scaleUp") if up else behavior.get("scaleDown")) or {}
        longest = max((int(p.get("periodSeconds", 0)) for p in rules.get("policies") or []), default=0)
        events = (self.scale_up_events if up else self.scale_down_events).setdefault(key, [])
        now = self.clock.now
        for e in events:
            if e.time < now - longest:
                e.outdated = True
        event = ScaleEvent(abs(after - before), now)
        for i, e in enumerate(events):
            if e.outdated:
                events[i] = event
                return
        events.append(event)
