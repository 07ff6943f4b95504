"""Why a HorizontalPodAutoscaler sync decided what it did, for the decision log and the lab page.

Kubernetes says this in the HPA's events and conditions only; the simulation also keeps the
last sync's numbers per HPA (`Explanation`) and words each decision as one line: the formula
with its numbers, what the stabilization window held, what limited it, and the act ("HPA
php-apache: ceil(1 × 250 % / 50 %) = 5, limited to 4 by the scale-up limit → scale 1 → 4").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .replica_calculator import Calculation


@dataclass
class Explanation:
    """The last sync's arithmetic for one HPA, for the lab page."""

    time: float
    current: int
    calculation: Calculation | None = None
    metric: str = ""
    proposed: int = 0  # what the metrics asked for
    stabilized: int = 0  # after the stabilization window
    desired: int = 0  # after min/max and the rate limits
    limit_reason: str = ""
    limit_message: str = ""
    error: str = ""
    text: str = ""


def gist(e: Explanation) -> tuple[Any, ...]:
    calc = e.calculation
    return (e.current, e.desired, e.stabilized, e.limit_reason, e.error, calc.rule if calc else "")


def decision_text(name: str, e: Explanation, current: int, desired: int) -> str:
    """One line: the formula with its numbers, then what held or limited it, then the act."""
    calc = e.calculation
    unit = "m" if calc is not None and calc.average_value else " %"
    if calc is not None and calc.rule == "tolerance" and calc.new_ratio is not None:
        # pods without metrics (or not ready) send the controller to its second pass, which
        # fills them in and judges the new ratio
        quotient = f"{calc.utilization}{unit} / {calc.target}{unit}"
        text = (
            f"HPA {name}: {quotient} = {calc.ratio:.2f}; counting {len(calc.missing)} pod(s) "
            f"without metrics and {len(calc.unready)} not ready at 0 % (scaling up) or 100 % "
            f"(scaling down): {calc.new_ratio:.2f}, within the 0.1 tolerance"
        )
    elif calc is not None and calc.rule == "tolerance":
        quotient = f"{calc.utilization}{unit} / {calc.target}{unit}"
        text = f"HPA {name}: {quotient} = {calc.ratio:.2f}, within the 0.1 tolerance"
    elif calc is not None and calc.rule == "ceil":
        quotient = f"{calc.utilization}{unit} / {calc.target}{unit}"
        text = f"HPA {name}: ceil({calc.ready} × {quotient}) = {calc.desired}"
    elif calc is not None and calc.rule == "rebalanced":
        text = (
            f"HPA {name}: ceil({calc.counted} × {calc.new_ratio:.2f}) = {calc.desired}, counting "
            f"{len(calc.missing)} pod(s) without metrics and {len(calc.unready)} not ready "
            "at 0 % (scaling up) or 100 % (scaling down)"
        )
    elif calc is not None and calc.rule == "direction":
        text = (
            f"HPA {name}: {calc.utilization}{unit} / {calc.target}{unit}, but counting the pods without "
            f"metrics or not ready would reverse the direction, so {current} stays recommended"
        )
    else:
        text = f"HPA {name}: {e.metric or 'the metrics'} ask for {e.proposed}"
    if e.stabilized != e.proposed:
        text += f"; the stabilization window holds {e.stabilized}"
    if desired != e.stabilized:
        how = {
            "ScaleUpLimit": "the scale-up limit",
            "ScaleDownLimit": "the scale-down limit",
            "TooManyReplicas": "maxReplicas",
            "TooFewReplicas": "minReplicas",
        }.get(e.limit_reason, e.limit_reason)
        text += f", limited to {desired} by {how}"
    return text + (f" → scale {current} → {desired}" if desired != current else f" → keep {current}")
