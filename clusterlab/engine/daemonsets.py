"""DaemonSet in the API server: defaulting, validation, and its registry strategy.

Defaulting follows `pkg/apis/apps/v1/defaults.go` (`SetDefaults_DaemonSet`, Kubernetes 1.32):
an absent `updateStrategy.type` becomes `RollingUpdate`, whose `rollingUpdate` gets
`maxUnavailable: 1` and `maxSurge: 0`; `revisionHistoryLimit: 10`; the pod template gets the
pod defaults.

Validation follows `pkg/apis/apps/validation` (`ValidateDaemonSetSpec`): the selector must
match the template's labels and not be empty, the template is validated as a pod template,
`restartPolicy` must be `Always`, `activeDeadlineSeconds` is forbidden, `minReadySeconds` and
`revisionHistoryLimit` are non-negative, and the update strategy is `RollingUpdate` (with
exactly one of `maxUnavailable` / `maxSurge` non-zero, each an integer or a percentage no
more than 100 %) or `OnDelete`. The selector is immutable.

The strategy (`pkg/registry/apps/daemonset/strategy.go`): a new DaemonSet starts at
`metadata.generation: 1` with an empty status and template generation 1, which apps/v1
carries in the `deprecated.daemonset.template.generation` annotation; an update that changes
the pod template bumps that template generation (the controller labels pods
`pod-template-generation` with it).

Simplified: `ValidateReadOnlyPersistentDisks` is not applied (the lab has no GCE PD / RBD
volumes), and a status update is not validated.
"""

from __future__ import annotations

import re
from typing import Any

from .selectors import selector_from_spec
from .workload_validation import always_running_template_causes, nonnegative_causes

Obj = dict[str, Any]
Causes = list[tuple[str, str]]

TEMPLATE_GENERATION = "deprecated.daemonset.template.generation"
_PERCENT = re.compile(r"^[0-9]+%$")
_PERCENT_MSG = (
    "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or "
    "'93%', regex used for validation is '[0-9]+%')"
)


def default_daemonset(ds: Obj) -> None:
    """`SetDefaults_DaemonSet` plus the template's defaults."""
    spec = ds.setdefault("spec", {})
    strategy = spec.setdefault("updateStrategy", {})
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
    if strategy["type"] == "RollingUpdate":
        ru = strategy.get("rollingUpdate")
        if not isinstance(ru, dict):
            ru = strategy["rollingUpdate"] = {}
        if ru.get("maxUnavailable") is None:
            ru["maxUnavailable"] = 1
        if ru.get("maxSurge") is None:
            ru["maxSurge"] = 0
    spec.setdefault("revisionHistoryLimit", 10)
    from .defaulting import _default_template

    _default_template(ds)


def empty_status() -> Obj:
    """A new DaemonSet's status as the server writes it: the four counters without
    `omitempty` are always there."""
    return {
        "currentNumberScheduled": 0,
        "numberMisscheduled": 0,
        "desiredNumberScheduled": 0,
        "numberReady": 0,
    }


def prepare_for_create(ds: Obj) -> None:
    """`daemonSetStrategy.PrepareForCreate`: status reset, templateGeneration 1."""
    ds["status"] = empty_status()
    meta = ds["metadata"]
    meta["generation"] = 1
    meta.setdefault("annotations", {})[TEMPLATE_GENERATION] = "1"


def prepare_for_update(old: Obj, new: Obj) -> None:
    """`daemonSetStrategy.PrepareForUpdate`: a changed template bumps the template generation
    (kept in the annotation apps/v1 uses for it); any other annotation value is overwritten."""
    generation = template_generation(old) or 0
    if old["spec"].get("template") != new["spec"].get("template"):
        generation += 1
    new["metadata"].setdefault("annotations", {})[TEMPLATE_GENERATION] = str(max(generation, 1))


def template_generation(ds: Obj) -> int | None:
    """`util.GetTemplateGeneration`: the annotation's number, None without (or unparsable)."""
    text = (ds["metadata"].get("annotations") or {}).get(TEMPLATE_GENERATION)
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _int_or_string(value: Any) -> str:
    """`%#v` of an `intstr.IntOrString` in a field error."""
    if isinstance(value, str):
        return f'intstr.IntOrString{{Type:1, IntVal:0, StrVal:"{value}"}}'
    return f'intstr.IntOrString{{Type:0, IntVal:{int(value or 0)}, StrVal:""}}'


def _int_or_percent_value(value: Any) -> int:
    """`getIntOrPercentValue`: the number, a valid percentage's number, else 0."""
    if isinstance(value, str):
        return int(value[:-1]) if _PERCENT.match(value) else 0
    return int(value or 0) if not isinstance(value, bool) else 0


def _int_or_percent_causes(value: Any, path: str) -> Causes:
    """`ValidatePositiveIntOrPercent` and `IsNotMoreThan100Percent`."""
    if isinstance(value, str):
        if not _PERCENT.match(value):
            return [(path, f"Invalid value: {_int_or_string(value)}: {_PERCENT_MSG}")]
        if int(value[:-1]) > 100:
            return [(path, f"Invalid value: {_int_or_string(value)}: must not be greater than 100%")]
        return []
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return [(path, f"Invalid value: {value}: must be greater than or equal to 0")]
    return []


def _strategy_causes(strategy: Obj) -> Causes:
    """`ValidateDaemonSetUpdateStrategy` / `ValidateRollingUpdateDaemonSet`."""
    path = "spec.updateStrategy"
    stype = strategy.get("type")
    if stype == "OnDelete":
        return []
    if stype != "RollingUpdate":
        ru = "(*apps.RollingUpdateDaemonSet)(nil)"
        if strategy.get("rollingUpdate") is not None:
            ru = "(*apps.RollingUpdateDaemonSet)(0xc000000000)"
        value = f'apps.DaemonSetUpdateStrategy{{Type:"{stype or ""}", RollingUpdate:{ru}}}'
        return [(path, f'Unsupported value: {value}: supported values: "RollingUpdate", "OnDelete"')]
    ru = strategy.get("rollingUpdate")
    if not isinstance(ru, dict):
        return [(f"{path}.rollingUpdate", "Required value")]
    unavailable, surge = ru.get("maxUnavailable"), ru.get("maxSurge")
    causes = _int_or_percent_causes(unavailable, f"{path}.rollingUpdate.maxUnavailable")
    causes += _int_or_percent_causes(surge, f"{path}.rollingUpdate.maxSurge")
    has_unavailable = _int_or_percent_value(unavailable) != 0
    has_surge = _int_or_percent_value(surge) != 0
    if has_unavailable and has_surge:
        causes.append(
            (
                f"{path}.rollingUpdate.maxSurge",
                f"Invalid value: {_int_or_string(surge)}: may not be set when maxUnavailable is non-zero",
            )
        )
    elif not has_unavailable and not has_surge:
        causes.append(
            (f"{path}.rollingUpdate.maxUnavailable", "Required value: cannot be 0 when maxSurge is 0")
        )
    return causes


def daemonset_causes(obj: Obj) -> Causes:
    """`ValidateDaemonSetSpec`."""
    from .validation import label_causes, pod_spec_causes, template_labels_text

    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    template = spec.get("template") if isinstance(spec.get("template"), dict) else {}
    template_labels = (template.get("metadata") or {}).get("labels") or {}
    causes: Causes = []
    selector = spec.get("selector")
    try:
        compiled = selector_from_spec(selector) if selector is not None else None
    except Exception as exc:
        causes.append(("spec.selector", f"Invalid value: {exc}"))
    else:
        # A missing selector is `labels.Nothing()`: it matches no template.
        if compiled is None or not compiled.matches(template_labels):
            causes.append(
                (
                    "spec.template.metadata.labels",
                    f'Invalid value: "{template_labels_text(template_labels)}": `selector` does not '
                    "match template `labels`",
                )
            )
        if selector is not None and not (selector.get("matchLabels") or selector.get("matchExpressions")):
            causes.append(("spec.selector", "Invalid value: {}: empty selector is invalid for daemonset"))
    causes += label_causes(template_labels, "spec.template.metadata.labels")
    pod_spec = template.get("spec") if isinstance(template.get("spec"), dict) else {}
    causes += pod_spec_causes(pod_spec, "spec.template.spec")
    causes += always_running_template_causes(pod_spec, "DaemonSet")
    causes += nonnegative_causes(spec.get("minReadySeconds"), "spec.minReadySeconds")
    causes += _strategy_causes(spec.get("updateStrategy") or {})
    causes += nonnegative_causes(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit")
    return causes


def daemonset_update_causes(old: Obj, new: Obj) -> Causes:
    """`ValidateDaemonSetUpdate`: the selector may not change."""
    if old["spec"].get("selector") == new["spec"].get("selector"):
        return []
    from .strategy import _selector_text

    return [
        (
            "spec.selector",
            f"Invalid value: {_selector_text(new['spec'].get('selector'))}: field is immutable",
        )
    ]
