"""Reading a `kubescheduler.config.k8s.io/v1` KubeSchedulerConfiguration into profiles.

What kube-scheduler does with its `--config` file, in order:

1. **Decode, strictly**: YAML to an object of apiVersion `kubescheduler.config.k8s.io/v1`, kind
   `KubeSchedulerConfiguration`; an unknown field is an error ("strict decoding error: unknown
   field ...").
2. **Default** (`apis/config/v1/defaults.go`): no profiles means one; a lone profile without a
   name is `default-scheduler`; each profile's `plugins` are merged into the default set
   (`mergePlugins`: at `multiPoint`, a default plugin listed again is replaced in place — its
   weight too —, `disabled` removes defaults, `*` all of them, and the other listed plugins are
   appended; at any other extension point the listed `enabled` and `disabled` are kept as
   given, to be combined with multiPoint when the framework is built).
3. **Validate** (`apis/config/validation`): every profile named, names unique,
   `percentageOfNodesToScore` within 0–100 (globally and per profile), no plugin configured
   twice in `pluginConfig`.
4. **Build each profile's framework** (`profiles.py`): plugins exist, implement the extension
   points they are enabled at, take their args (NodeResourcesFit validates its
   `scoringStrategy`), and a Bind plugin remains.

Any failure stops kube-scheduler from starting; here it rejects the configuration and nothing
changes. The errors are kube-scheduler's own wording, several joined as its aggregate errors are
(`[first, second]`).

`pluginConfig[].args` stay as written (camelCase keys) in `Profile.plugin_args[name]`; each
plugin reads its own. The fields about the process itself (leaderElection, clientConnection,
parallelism, backoff seconds, extenders, profiling, bind addresses) are accepted and not
simulated. A profile's `percentageOfNodesToScore`, when unset, is the global one (0: adaptive).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from .profiles import FrameworkError, new_map
from .registry import DEFAULT_MULTI_POINT, EXTENSION_POINTS, Profile

Obj = dict[str, Any]

API_VERSION = "kubescheduler.config.k8s.io/v1"
KIND = "KubeSchedulerConfiguration"
DEFAULT_SCHEDULER_NAME = "default-scheduler"
CONFIG_PATH = "/etc/kubernetes/scheduler-config.yaml"
DEFAULT_CONFIG_YAML = f"""apiVersion: {API_VERSION}
kind: {KIND}
profiles:
  - schedulerName: {DEFAULT_SCHEDULER_NAME}
"""

_TOP_FIELDS = {
    "apiVersion",
    "kind",
    "parallelism",
    "leaderElection",
    "clientConnection",
    "healthzBindAddress",
    "metricsBindAddress",
    "enableProfiling",
    "enableContentionProfiling",
    "percentageOfNodesToScore",
    "podInitialBackoffSeconds",
    "podMaxBackoffSeconds",
    "profiles",
    "extenders",
    "delayCacheUntilActive",
}
_PROFILE_FIELDS = {"schedulerName", "percentageOfNodesToScore", "plugins", "pluginConfig"}
_PLUGIN_POINTS = ("preEnqueue", "queueSort", *EXTENSION_POINTS, "multiPoint")
_INT32 = (-(2**31), 2**31 - 1)


class SchedulerConfigError(ValueError):
    """A configuration kube-scheduler would refuse; the text says why, in its words."""


@dataclass
class SchedulerConfiguration:
    """A read, defaulted and validated configuration: its profiles, in order."""

    profiles: list[Profile]
    percentage_of_nodes_to_score: int | None = None

    @property
    def scheduler_names(self) -> list[str]:
        return [p.scheduler_name for p in self.profiles]


def read_scheduler_configuration(source: str | Obj) -> SchedulerConfiguration:
    """Decode, default, validate and dry-build a configuration (YAML text or its object);
    raises `SchedulerConfigError`."""
    obj = _decode(source)
    decode_errors: list[str] = []
    unknown: list[str] = []
    _check_fields(obj, _TOP_FIELDS, "", unknown)
    profiles_raw = _typed(obj.get("profiles"), list, "profiles", decode_errors) or []
    global_pct = _int32(obj.get("percentageOfNodesToScore"), "percentageOfNodesToScore", decode_errors)
    raw_profiles: list[Obj] = []
    for i, raw in enumerate(profiles_raw):
        path = f"profiles[{i}]"
        prof = _typed(raw, dict, path, decode_errors)
        if prof is None:
            continue
        _check_fields(prof, _PROFILE_FIELDS, path, unknown)
        raw_profiles.append(prof)
    if unknown:
        raise SchedulerConfigError(_strict(unknown))

    if not raw_profiles:
        raw_profiles = [{}]
    profiles: list[Profile] = []
    errors: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_profiles):
        path = f"profiles[{i}]"
        profile = _profile(raw, path, len(raw_profiles) == 1, decode_errors, errors)
        if profile.scheduler_name in seen:
            errors.append(f'{path}.schedulerName: Duplicate value: "{profile.scheduler_name}"')
        seen.add(profile.scheduler_name)
        profiles.append(profile)
    if decode_errors:
        raise SchedulerConfigError(_aggregate(decode_errors))
    errors += _percentage(global_pct, "percentageOfNodesToScore")
    if errors:
        raise SchedulerConfigError(_aggregate(errors))
    for profile in profiles:
        if profile.percentage_of_nodes_to_score < 0:  # unset: the global value
            profile.percentage_of_nodes_to_score = global_pct or 0
    try:
        new_map(profiles, lambda _profile: None)
    except FrameworkError as err:
        raise SchedulerConfigError(f"initializing profiles: {err}") from err
    return SchedulerConfiguration(profiles, global_pct)


def default_configuration() -> SchedulerConfiguration:
    """What kube-scheduler runs without `--config`: one `default-scheduler` profile."""
    return SchedulerConfiguration([Profile()])


# -- decoding ---------------------------------------------------------------------------------


def _decode(source: str | Obj) -> Obj:
    if isinstance(source, str):
        try:
            obj = yaml.safe_load(source)
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            problem = getattr(err, "problem", None) or str(err)
            where = f"line {mark.line + 1}: " if mark is not None else ""
            raise SchedulerConfigError(f"error converting YAML to JSON: yaml: {where}{problem}") from err
    else:
        obj = source
    if obj is None:
        raise SchedulerConfigError("Object 'Kind' is missing in the configuration (it is empty)")
    if not isinstance(obj, dict):
        raise SchedulerConfigError(
            f"couldn't decode the configuration: expected a {KIND} object, got {_json_type(obj)}"
        )
    kind, version = obj.get("kind"), obj.get("apiVersion")
    if not kind:
        raise SchedulerConfigError("Object 'Kind' is missing in the configuration")
    if kind != KIND or version != API_VERSION:
        raise SchedulerConfigError(
            f'no kind "{kind}" is registered for version "{version}" in scheme '
            '"pkg/scheduler/apis/config/scheme/scheme.go:30"'
        )
    return obj


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _typed(value: Any, kind: type, path: str, errors: list[str]) -> Any:
    if value is None:
        return None
    if not isinstance(value, kind):
        want = "array" if kind is list else "object"
        errors.append(f"{path}: cannot unmarshal {_json_type(value)} into {want}")
        return None
    return value


def _int32(value: Any, path: str, errors: list[str]) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not _INT32[0] <= value <= _INT32[1]:
        errors.append(f"{path}: cannot unmarshal {_json_type(value)} {value!r} into int32")
        return None
    return value


def _check_fields(obj: Obj, known: set[str], path: str, unknown: list[str]) -> None:
    for key in obj:
        if key not in known:
            unknown.append(f"{path}.{key}" if path else str(key))


def _strict(unknown: list[str]) -> str:
    return "strict decoding error: " + ", ".join(f'unknown field "{u}"' for u in unknown)


def _aggregate(errors: list[str]) -> str:
    return errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"


def _percentage(value: int | None, path: str) -> list[str]:
    if value is not None and not 0 <= value <= 100:
        return [f"{path}: Invalid value: {value}: not in valid range [0-100]"]
    return []


# -- one profile --------------------------------------------------------------------------------


def _plugin_list(raw: Any, path: str, errors: list[str], unknown: list[str]) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for i, entry in enumerate(_typed(raw, list, path, errors) or ()):
        entry_path = f"{path}[{i}]"
        entry = _typed(entry, dict, entry_path, errors)
        if entry is None:
            continue
        _check_fields(entry, {"name", "weight"}, entry_path, unknown)
        name = entry.get("name")
        if not isinstance(name, str):
            errors.append(f"{entry_path}.name: cannot unmarshal {_json_type(name)} into string")
            continue
        weight = _int32(entry.get("weight"), f"{entry_path}.weight", errors)
        out.append((name, weight or 0))
    return out


def _profile(raw: Obj, path: str, only: bool, decode_errors: list[str], errors: list[str]) -> Profile:
    name = raw.get("schedulerName")
    if name is None and only:
        name = DEFAULT_SCHEDULER_NAME
    if name is not None and not isinstance(name, str):
        decode_errors.append(f"{path}.schedulerName: cannot unmarshal {_json_type(name)} into string")
        name = ""
    if not name:
        errors.append(f"{path}.schedulerName: Required value")
    pct = _int32(raw.get("percentageOfNodesToScore"), f"{path}.percentageOfNodesToScore", decode_errors)
    errors += _percentage(pct, f"{path}.percentageOfNodesToScore")

    unknown: list[str] = []
    multi_point = list(DEFAULT_MULTI_POINT)
    enabled_at: dict[str, list[tuple[str, int]]] = {}
    disabled: dict[str, set[str]] = {}
    plugins = _typed(raw.get("plugins"), dict, f"{path}.plugins", decode_errors) or {}
    _check_fields(plugins, set(_PLUGIN_POINTS), f"{path}.plugins", unknown)
    for point in _PLUGIN_POINTS:
        set_path = f"{path}.plugins.{point}"
        plugin_set = _typed(plugins.get(point), dict, set_path, decode_errors)
        if plugin_set is None:
            continue
        _check_fields(plugin_set, {"enabled", "disabled"}, set_path, unknown)
        enabled = _plugin_list(plugin_set.get("enabled"), f"{set_path}.enabled", decode_errors, unknown)
        listed_off = _plugin_list(plugin_set.get("disabled"), f"{set_path}.disabled", decode_errors, unknown)
        off = {n for n, _ in listed_off}
        if point == "multiPoint":
            multi_point = _merge_multi_point(multi_point, enabled, off)
            continue
        if enabled:
            enabled_at[point] = enabled
        if off:
            disabled[point] = off

    plugin_args: dict[str, Obj] = {}
    configs = _typed(raw.get("pluginConfig"), list, f"{path}.pluginConfig", decode_errors) or ()
    for i, entry in enumerate(configs):
        entry_path = f"{path}.pluginConfig[{i}]"
        entry = _typed(entry, dict, entry_path, decode_errors)
        if entry is None:
            continue
        _check_fields(entry, {"name", "args"}, entry_path, unknown)
        plugin = entry.get("name")
        if not isinstance(plugin, str):
            decode_errors.append(f"{entry_path}.name: cannot unmarshal {_json_type(plugin)} into string")
            continue
        if plugin in plugin_args:
            errors.append(f'{entry_path}: Duplicate value: "{plugin}"')
            continue
        args = _typed(entry.get("args"), dict, f"{entry_path}.args", decode_errors) or {}
        plugin_args[plugin] = {k: v for k, v in args.items() if k not in ("apiVersion", "kind")}
    if unknown:
        decode_errors.insert(0, _strict(unknown))
    return Profile(
        scheduler_name=name or "",
        multi_point=multi_point,
        disabled=disabled,
        enabled_at=enabled_at,
        plugin_args=plugin_args,
        percentage_of_nodes_to_score=-1 if pct is None else pct,
    )


def _merge_multi_point(
    defaults: list[tuple[str, int]], enabled: list[tuple[str, int]], off: set[str]
) -> list[tuple[str, int]]:
    """`mergePluginSet` for multiPoint: defaults in order minus the disabled ("*": all), a
    default listed again replaced in place (its weight with it), then the other listed ones."""
    custom = {name: i for i, (name, _) in enumerate(enabled)}
    replaced: set[int] = set()
    merged: list[tuple[str, int]] = []
    if "*" not in off:
        for name, weight in defaults:
            if name in off:
                continue
            if name in custom:
                replaced.add(custom[name])
                merged.append(enabled[custom[name]])
            else:
                merged.append((name, weight))
    merged += [entry for i, entry in enumerate(enabled) if i not in replaced]
    return merged
