"""How the API server validates a pod's `topologySpreadConstraints`.

As `validateTopologySpreadConstraints` in Kubernetes' core validation: `maxSkew` and
`minDomains` must be positive, `minDomains` only goes with `whenUnsatisfiable: DoNotSchedule`,
`topologyKey` is required, `whenUnsatisfiable` is DoNotSchedule or ScheduleAnyway, no two
constraints share a `{topologyKey, whenUnsatisfiable}` pair, the node inclusion policies are
Honor or Ignore, and `matchLabelKeys` needs a `labelSelector` and must not repeat its keys.

Simplified: the label selector itself and the label-name syntax of `matchLabelKeys` are not
checked here.
"""

from __future__ import annotations

from typing import Any

Causes = list[tuple[str, str]]
Obj = dict[str, Any]

NOT_POSITIVE = "must be greater than zero"
ACTIONS = ("DoNotSchedule", "ScheduleAnyway")
POLICIES = ("Honor", "Ignore")


def _q(value: Any) -> str:
    return '"' + str(value).replace('"', '\\"') + '"' if isinstance(value, str) else str(value)


def _supported(value: Any, allowed: tuple[str, ...]) -> str:
    return f"Unsupported value: {_q(value)}: supported values: " + ", ".join(f'"{a}"' for a in allowed)


def topology_spread_causes(constraints: Any, path: str) -> Causes:
    causes: Causes = []
    items = [c if isinstance(c, dict) else {} for c in constraints or ()]
    for i, c in enumerate(items):
        p = f"{path}[{i}]"
        skew = c.get("maxSkew", 0)
        if not isinstance(skew, int) or skew <= 0:
            causes.append((f"{p}.maxSkew", f"Invalid value: {_q(skew)}: {NOT_POSITIVE}"))
        if not c.get("topologyKey"):
            causes.append((f"{p}.topologyKey", "Required value: can not be empty"))
        action = c.get("whenUnsatisfiable", "")
        if action not in ACTIONS:
            causes.append((f"{p}.whenUnsatisfiable", _supported(action, ACTIONS)))
        for rest in items[i + 1 :]:
            if (rest.get("topologyKey"), rest.get("whenUnsatisfiable")) == (c.get("topologyKey"), action):
                pair = f"{{{c.get('topologyKey', '')}, {action}}}"
                causes.append((f"{p}.{{topologyKey, whenUnsatisfiable}}", f"Duplicate value: {_q(pair)}"))
                break
        min_domains = c.get("minDomains")
        if min_domains is not None:
            if not isinstance(min_domains, int) or min_domains <= 0:
                causes.append((f"{p}.minDomains", f"Invalid value: {_q(min_domains)}: {NOT_POSITIVE}"))
            if action != "DoNotSchedule":
                causes.append(
                    (
                        f"{p}.minDomains",
                        f"Invalid value: {_q(min_domains)}: can only use minDomains if "
                        f"whenUnsatisfiable=DoNotSchedule, not {action}",
                    )
                )
        for field in ("nodeAffinityPolicy", "nodeTaintsPolicy"):
            policy = c.get(field)
            if policy is not None and policy not in POLICIES:
                causes.append((f"{p}.{field}", _supported(policy, POLICIES)))
        causes += _match_label_keys_causes(
            c.get("matchLabelKeys") or [], c.get("labelSelector"), f"{p}.matchLabelKeys"
        )
    return causes


def _match_label_keys_causes(keys: list[str], selector: Obj | None, path: str) -> Causes:
    if not keys:
        return []
    causes: Causes = []
    selector_keys: set[str] = set()
    if selector is None:
        causes.append((path, "Forbidden: must not be specified when labelSelector is not set"))
    else:
        selector_keys.update((selector.get("matchLabels") or {}).keys())
        selector_keys.update(e.get("key", "") for e in selector.get("matchExpressions") or ())
    for i, key in enumerate(keys):
        if key in selector_keys:
            causes.append(
                (f"{path}[{i}]", f"Invalid value: {_q(key)}: exists in both matchLabelKeys and labelSelector")
            )
    return causes
