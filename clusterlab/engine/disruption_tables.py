"""The PodDisruptionBudget table, as kube-apiserver 1.32's `pkg/printers/internalversion`
prints it: NAME, MIN AVAILABLE, MAX UNAVAILABLE, ALLOWED DISRUPTIONS, AGE (`N/A` for the
bound the budget does not set)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .table_columns import Since, column

Obj = dict[str, Any]

MIN_DOC = "The minimum number of pods that must be available."
MAX_DOC = "The maximum number of pods that may be unavailable."
ALLOWED_DOC = "Calculated number of pods that may be disrupted at this time."


def columns(name_col: Obj, age_col: Obj) -> dict[str, list[Obj]]:
    return {
        "PodDisruptionBudget": [
            name_col,
            column("Min Available", MIN_DOC),
            column("Max Unavailable", MAX_DOC),
            column("Allowed Disruptions", ALLOWED_DOC, "integer"),
            age_col,
        ]
    }


def _bound(value: Any) -> str:
    return "N/A" if value is None else str(value)


def _pdb(pdb: Obj, t: Since) -> list[Any]:
    spec, status = pdb.get("spec") or {}, pdb.get("status") or {}
    return [
        pdb["metadata"]["name"],
        _bound(spec.get("minAvailable")),
        _bound(spec.get("maxUnavailable")),
        int(status.get("disruptionsAllowed", 0)),
        t.since(pdb["metadata"].get("creationTimestamp")),
    ]


PRINTERS: dict[str, Callable[[Obj, Any], list[Any]]] = {"PodDisruptionBudget": _pdb}
