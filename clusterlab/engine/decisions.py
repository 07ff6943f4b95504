"""Why a controller acted: a short record per object, in plain words with the numbers.

A real controller leaves two traces of a decision: the writes it makes and, for some, an
Event (`ScalingReplicaSet`, `SuccessfulCreate`). Neither says *why* — the arithmetic that led
to "create 1" is in the controller's head. The lab keeps that reasoning beside the object
("ReplicaSet web-7d4f: 3 desired, 2 exist → create 1") so a learner can read it next to the
object it changed.

The log belongs to the process that decided, like the scheduler's Diagnoses: a restarted
kube-controller-manager remembers nothing, and a new leader starts with an empty log. Each
object keeps its most recent `PER_OBJECT` decisions.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from .clock import Clock

PER_OBJECT = 20
Obj = dict[str, Any]


@dataclass(frozen=True)
class Decision:
    """One decision: when (virtual seconds), who decided, about which object, and why."""

    time: float
    controller: str
    kind: str
    namespace: str
    name: str
    text: str


class DecisionLog:
    """The decisions of one process's controllers, most recent last, per object."""

    def __init__(self, clock: Clock, per_object: int = PER_OBJECT) -> None:
        self.clock = clock
        self.per_object = per_object
        self._by_object: dict[tuple[str, str, str], deque[Decision]] = {}

    def record(self, controller: str, kind: str, namespace: str, name: str, text: str) -> Decision:
        decision = Decision(self.clock.now, controller, kind, namespace, name, text)
        key = (kind, namespace, name)
        if key not in self._by_object:
            self._by_object[key] = deque(maxlen=self.per_object)
        self._by_object[key].append(decision)
        return decision

    def record_for(self, controller: str, obj: Obj, text: str) -> Decision:
        """Record a decision about a stored object (its kind, namespace and name)."""
        meta = obj["metadata"]
        return self.record(controller, obj["kind"], meta.get("namespace") or "", meta["name"], text)

    def for_object(self, kind: str, name: str, namespace: str = "") -> list[Decision]:
        """The object's decisions, oldest first (`kind` as stored: `Deployment`, `ReplicaSet`)."""
        return list(self._by_object.get((kind, namespace, name), ()))

    def forget(self, kind: str, name: str, namespace: str = "") -> None:
        self._by_object.pop((kind, namespace, name), None)
