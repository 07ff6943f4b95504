"""`PodTopologySpreadArgs`: defaulting and validation, as kube-scheduler applies them when the
plugin is built (errors in its words, field paths relative to the args).

`defaultingType` defaults to `System` (the built-in constraints), which allows no
`defaultConstraints`; `List` takes `defaultConstraints` as given — each with a positive
`maxSkew`, a label-name `topologyKey`, `whenUnsatisfiable` DoNotSchedule or ScheduleAnyway, no
`labelSelector` (it is deduced per pod) and no repeated `{topologyKey, whenUnsatisfiable}`.
"""

from __future__ import annotations

from typing import Any

from ....validation import qualified_name_errors

Obj = dict[str, Any]
SYSTEM_DEFAULTING = "System"
LIST_DEFAULTING = "List"
ACTIONS = ("DoNotSchedule", "ScheduleAnyway")


def _q(value: Any) -> str:
    return '"' + str(value).replace('"', '\\"') + '"' if isinstance(value, str) else str(value)


def validate_args(args: Obj, path: str = "") -> tuple[str, list[Obj]]:
    """(defaultingType, defaultConstraints) after defaulting; ValueError in kube-scheduler's
    words. `New` validates with no path; the configuration's validation passes its own
    (`profiles[0].pluginConfig[1].args`)."""
    pre = f"{path}." if path else ""
    defaulting = args.get("defaultingType") or SYSTEM_DEFAULTING
    constraints = list(args.get("defaultConstraints") or [])
    errs: list[str] = []
    if defaulting not in (SYSTEM_DEFAULTING, LIST_DEFAULTING):
        errs.append(
            f'{pre}defaultingType: Unsupported value: {_q(defaulting)}: supported values: "System", "List"'
        )
    elif defaulting == SYSTEM_DEFAULTING and constraints:
        errs.append(
            f"{pre}defaultingType: Invalid value: {_q(defaulting)}: when .defaultConstraints are not empty"
        )
    for i, c in enumerate(constraints):
        p = f"{pre}defaultConstraints[{i}]"
        skew = c.get("maxSkew", 0)
        if not isinstance(skew, int) or skew <= 0:
            errs.append(f"{p}.maxSkew: Invalid value: {_q(skew)}: not in valid range (0, inf)")
        key = c.get("topologyKey") or ""
        if not key:
            errs.append(f"{p}.topologyKey: Required value: can not be empty")
        else:
            errs += [
                f"{p}.topologyKey: Invalid value: {_q(key)}: {msg}" for msg in qualified_name_errors(key)
            ]
        action = c.get("whenUnsatisfiable") or ""
        if not action:
            errs.append(f"{p}.whenUnsatisfiable: Required value: can not be empty")
        elif action not in ACTIONS:
            supported = ", ".join(f'"{a}"' for a in ACTIONS)
            errs.append(
                f"{p}.whenUnsatisfiable: Unsupported value: {_q(action)}: supported values: {supported}"
            )
        if c.get("labelSelector") is not None:
            why = "constraint must not define a selector, as they deduced for each pod"
            errs.append(f"{p}.labelSelector: Forbidden: {why}")
        if any(
            (o.get("topologyKey"), o.get("whenUnsatisfiable"))
            == (c.get("topologyKey"), c.get("whenUnsatisfiable"))
            for o in constraints[:i]
        ):
            errs.append(f'{p}: Duplicate value: "{{{key}, {action}}}"')
    if errs:
        raise ValueError(errs[0] if len(errs) == 1 else "[" + ", ".join(errs) + "]")
    return defaulting, constraints
