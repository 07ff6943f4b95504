"""`kubectl create quota` and `kubectl create priorityclass`, as kubectl 1.32 builds them.

`create quota NAME [--hard=cpu=1,pods=10] [--scopes=BestEffort,...]` (alias `resourcequota`)
POSTs a ResourceQuota whose `hard` quantities kubectl has parsed (so they go out canonical:
`1000m` is sent as `1`); `create priorityclass NAME --value=N [--global-default]
[--description=...] [--preemption-policy=PreemptLowerPriority]` (alias `pc`) a PriorityClass.
Bad `--hard` syntax or quantities are refused before anything is sent, in kubectl's words; the
server's refusals come back as `failed to create quota: ...`.
"""

from __future__ import annotations

from typing import Any

from clusterlab.engine.quantity import QuantityError
from clusterlab.engine.quantity_format import canonical_text

from .cmd_write import _failed_to_create
from .context import Ctx
from .errors import CommandError

QUANTITY_SYNTAX = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)


def _name(ctx: Ctx, command: str) -> str:
    if len(ctx.args) != 1:
        raise CommandError(
            f"error: exactly one NAME is required, got {len(ctx.args)}\n"
            f"See 'kubectl create {command} -h' for help and examples\n",
            raw=True,
        )
    return str(ctx.args[0])


def _hard(text: str) -> dict[str, str]:
    """`populateResourceListV1`: `k=v` pairs, each value a quantity."""
    hard: dict[str, str] = {}
    for pair in (p for p in text.split(",") if p):
        key, sep, value = pair.partition("=")
        if not sep:
            raise CommandError(f"Invalid argument syntax {pair}, expected <resource>=<value>")
        try:
            hard[key] = canonical_text(value)
        except QuantityError:
            raise CommandError(QUANTITY_SYNTAX) from None
    return dict(sorted(hard.items()))


def run_create_quota(ctx: Ctx) -> None:
    name = _name(ctx, "quota")
    spec: dict[str, Any] = {}
    hard = _hard(str(ctx.flags.get("hard") or ""))
    if hard:
        spec["hard"] = hard
    scopes = [s.strip() for s in str(ctx.flags.get("scopes") or "").split(",") if s.strip()]
    if scopes:
        spec["scopes"] = scopes
    obj = {
        "kind": "ResourceQuota",
        "apiVersion": "v1",
        "metadata": {"name": name, "creationTimestamp": None},
        "spec": spec,
        "status": {},
    }
    _failed_to_create(ctx, "quota", "resourcequotas", obj)


def run_create_priorityclass(ctx: Ctx) -> None:
    name = _name(ctx, "priorityclass")
    obj: dict[str, Any] = {
        "kind": "PriorityClass",
        "apiVersion": "scheduling.k8s.io/v1",
        "metadata": {"name": name, "creationTimestamp": None},
        "value": int(ctx.flags.get("value") or 0),
    }
    if ctx.flags.get("global-default"):
        obj["globalDefault"] = True
    if ctx.flags.get("description"):
        obj["description"] = ctx.flags["description"]
    if ctx.flags.get("preemption-policy"):
        obj["preemptionPolicy"] = ctx.flags["preemption-policy"]
    _failed_to_create(ctx, "priorityclass", "priorityclasses.scheduling.k8s.io", obj)
