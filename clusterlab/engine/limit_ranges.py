"""LimitRange (`v1`, short name `limits`) and the LimitRanger admission plugin.

A LimitRange constrains, per namespace, what a Container, a Pod (the sum of its containers) or
a PersistentVolumeClaim may ask for: `min`, `max`, `maxLimitRequestRatio`, and for containers
the `default` limit and `defaultRequest` the plugin fills in. The API server defaults an item of
type Container on write: a missing default limit becomes the max, a missing default request
the default limit, else the min.

LimitRanger is both a mutating and a validating plugin, as in kube-apiserver:
- *mutating* (before the pod is stored): every container and init container gets the defaults
  it lacks, and the pod is annotated `kubernetes.io/limit-ranger: LimitRanger plugin set: cpu
  request for container app; cpu limit for container app`;
- *validating* (after the object's own validation): each constraint is checked and every
  violation is reported at once, `pods "x" is forbidden: [maximum cpu usage per Container is
  1, but limit is 2, minimum memory usage per Pod is 64Mi, but request is 32Mi]` (one
  violation prints without brackets; identical messages are reported once).

Pods are limited on create only (their containers' resources are immutable); claims on create
and update.

Simplified: Go walks each LimitRange's resource maps in random order, so a real server lists
several violations in varying order; this one lists them by resource name. LimitRanges are read
straight from storage, not from an informer cache with a live-lookup fallback. In the
LimitRange's own validation errors the offending quantity prints as its text (`Invalid value:
"2"`); how kube-apiserver renders a Quantity there was not checked against a live server.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .errors import Forbidden
from .quantity import QuantityError
from .quantity_format import Quantity

Obj = dict[str, Any]
Causes = list[tuple[str, str]]

ANNOTATION = "kubernetes.io/limit-ranger"
LIMIT_TYPES = ("Container", "Pod", "PersistentVolumeClaim")


# -- the LimitRange object -------------------------------------------------------------------


def default_limit_range(lr: Obj) -> None:
    """`SetDefaults_LimitRangeItem`: a Container item's default limit from max, its default
    request from the default limit or the min."""
    for item in (lr.get("spec") or {}).get("limits") or []:
        if not isinstance(item, dict) or item.get("type") != "Container":
            continue
        default = dict(item.get("default") or {})
        request = dict(item.get("defaultRequest") or {})
        for k, v in (item.get("max") or {}).items():
            default.setdefault(k, v)
        for k, v in default.items():
            request.setdefault(k, v)
        for k, v in (item.get("min") or {}).items():
            request.setdefault(k, v)
        if default:
            item["default"] = default
        if request:
            item["defaultRequest"] = request


def _q(values: Any, key: str) -> Quantity | None:
    try:
        return Quantity.parse(values[key]) if key in (values or {}) else None
    except (QuantityError, TypeError):
        return None


def limit_range_causes(lr: Obj) -> Causes:
    """`ValidateLimitRange`'s consistency rules."""
    causes: Causes = []
    seen: set[str] = set()
    for i, item in enumerate((lr.get("spec") or {}).get("limits") or []):
        path = f"spec.limits[{i}]"
        ltype = item.get("type")
        if not ltype:
            causes.append((f"{path}.type", "Required value"))
        elif ltype in seen:
            causes.append((f"{path}.type", f'Duplicate value: "{ltype}"'))
        seen.add(str(ltype))
        if ltype == "Pod":
            for f in ("default", "defaultRequest"):
                if item.get(f):
                    causes.append((f"{path}.{f}", "Forbidden: may not be specified when `type` is 'Pod'"))
        storage = "storage" in (item.get("min") or {}) or "storage" in (item.get("max") or {})
        if ltype == "PersistentVolumeClaim" and not storage:
            causes.append(
                (
                    f"{path}.limits",
                    "Required value: either minimum or maximum storage value is required, but "
                    "neither was provided",
                )
            )
        keys: set[str] = set()
        for f in ("min", "max", "default", "defaultRequest", "maxLimitRequestRatio"):
            keys.update((item.get(f) or {}).keys())
        for k in sorted(keys):
            lo, hi = _q(item.get("min"), k), _q(item.get("max"), k)
            dflt, dreq = _q(item.get("default"), k), _q(item.get("defaultRequest"), k)
            ratio = _q(item.get("maxLimitRequestRatio"), k)
            if lo and hi and lo.value > hi.value:
                causes.append(
                    (
                        f"{path}.min[{k}]",
                        f'Invalid value: "{lo}": min value {lo} is greater than max value {hi}',
                    )
                )
            if dreq and lo and lo.value > dreq.value:
                causes.append(
                    (
                        f"{path}.defaultRequest[{k}]",
                        f'Invalid value: "{dreq}": min value {lo} is greater than default request '
                        f"value {dreq}",
                    )
                )
            if dreq and hi and dreq.value > hi.value:
                causes.append(
                    (
                        f"{path}.defaultRequest[{k}]",
                        f'Invalid value: "{dreq}": default request value {dreq} is greater than max '
                        f"value {hi}",
                    )
                )
            if dreq and dflt and dreq.value > dflt.value:
                causes.append(
                    (
                        f"{path}.defaultRequest[{k}]",
                        f'Invalid value: "{dreq}": default request value {dreq} is greater than default '
                        f"limit value {dflt}",
                    )
                )
            if dflt and lo and lo.value > dflt.value:
                causes.append(
                    (
                        f"{path}.default[{k}]",
                        f'Invalid value: "{lo}": min value {lo} is greater than default value {dflt}',
                    )
                )
            if dflt and hi and dflt.value > hi.value:
                causes.append(
                    (
                        f"{path}.default[{k}]",
                        f'Invalid value: "{hi}": default value {dflt} is greater than max value {hi}',
                    )
                )
            if ratio and ratio.value < 1:
                causes.append(
                    (
                        f"{path}.maxLimitRequestRatio[{k}]",
                        f'Invalid value: "{ratio}": ratio {ratio} is less than 1',
                    )
                )
    return causes


# -- the admission plugin --------------------------------------------------------------------


def _merge(container: Obj, limits: Obj, requests: Obj, prefix: str, notes: list[str]) -> None:
    """`mergeContainerResources`: fill what the container lacks, note what was set."""
    res = container.setdefault("resources", {})
    own_limits = res.setdefault("limits", {})
    own_requests = res.setdefault("requests", {})
    set_limits = sorted(k for k in limits if k not in own_limits)
    set_requests = sorted(k for k in requests if k not in own_requests)
    for k in set_limits:
        own_limits[k] = limits[k]
    for k in set_requests:
        own_requests[k] = requests[k]
    if set_requests:
        notes.append(f"{', '.join(set_requests)} request for {prefix} {container.get('name', '')}")
    if set_limits:
        notes.append(f"{', '.join(set_limits)} limit for {prefix} {container.get('name', '')}")
    # An empty list is not serialised.
    if not own_limits:
        res.pop("limits")
    if not own_requests:
        res.pop("requests")


def mutate_pod(pod: Obj, ranges: Iterable[Obj]) -> None:
    """LimitRanger's mutation of a new pod, one LimitRange after the other."""
    spec = pod.get("spec") or {}
    for lr in ranges:
        limits: Obj = {}
        requests: Obj = {}
        for item in (lr.get("spec") or {}).get("limits") or []:
            if item.get("type") == "Container":
                requests.update(item.get("defaultRequest") or {})
                limits.update(item.get("default") or {})
        notes: list[str] = []
        for c in spec.get("containers") or []:
            _merge(c, limits, requests, "container", notes)
        for c in spec.get("initContainers") or []:
            _merge(c, limits, requests, "init container", notes)
        if notes:
            annotations = pod.setdefault("metadata", {}).setdefault("annotations", {})
            annotations[ANNOTATION] = "LimitRanger plugin set: " + "; ".join(notes)


def _milli(q: Quantity | None) -> int:
    return q.milli() if q is not None else 0


def _min(
    ltype: str, name: str, enforced: Quantity, request: dict[str, Quantity], limit: dict[str, Quantity]
) -> str | None:
    req, lim = request.get(name), limit.get(name)
    if req is None:
        return f"minimum {name} usage per {ltype} is {enforced}.  No request is specified"
    if _milli(req) < enforced.milli():
        return f"minimum {name} usage per {ltype} is {enforced}, but request is {req}"
    if lim is not None and _milli(lim) < enforced.milli():
        return f"minimum {name} usage per {ltype} is {enforced}, but limit is {lim}"
    return None


def _max(
    ltype: str, name: str, enforced: Quantity, request: dict[str, Quantity], limit: dict[str, Quantity]
) -> str | None:
    req, lim = request.get(name), limit.get(name)
    if lim is None:
        return f"maximum {name} usage per {ltype} is {enforced}.  No limit is specified"
    if _milli(lim) > enforced.milli():
        return f"maximum {name} usage per {ltype} is {enforced}, but limit is {lim}"
    if req is not None and _milli(req) > enforced.milli():
        return f"maximum {name} usage per {ltype} is {enforced}, but request is {req}"
    return None


def _max_request(ltype: str, name: str, enforced: Quantity, request: dict[str, Quantity]) -> str | None:
    req = request.get(name)
    if req is None:
        return f"maximum {name} usage per {ltype} is {enforced}.  No request is specified"
    if _milli(req) > enforced.milli():
        return f"maximum {name} usage per {ltype} is {enforced}, but request is {req}"
    return None


def _ratio(
    ltype: str, name: str, enforced: Quantity, request: dict[str, Quantity], limit: dict[str, Quantity]
) -> str | None:
    req, lim = _milli(request.get(name)), _milli(limit.get(name))
    if name not in request or req == 0:
        return (
            f"{name} max limit to request ratio per {ltype} is {enforced}, but no request is "
            "specified or request is 0"
        )
    if name not in limit or lim == 0:
        return (
            f"{name} max limit to request ratio per {ltype} is {enforced}, but no limit is "
            "specified or limit is 0"
        )
    observed = lim / req
    if observed * 1000 > enforced.milli():
        return (
            f"{name} max limit to request ratio per {ltype} is {enforced}, but provided ratio is {observed:f}"
        )
    return None


def _quantities(values: Any) -> dict[str, Quantity]:
    out: dict[str, Quantity] = {}
    for k, v in (values or {}).items():
        try:
            out[k] = Quantity.parse(v)
        except (QuantityError, TypeError):
            continue
    return out


def _check(
    item: Obj, ltype: str, request: dict[str, Quantity], limit: dict[str, Quantity], errs: list[str]
) -> None:
    for k, v in sorted(_quantities(item.get("min")).items()):
        errs.append(_min(ltype, k, v, request, limit) or "")
    for k, v in sorted(_quantities(item.get("max")).items()):
        errs.append(_max(ltype, k, v, request, limit) or "")
    for k, v in sorted(_quantities(item.get("maxLimitRequestRatio")).items()):
        errs.append(_ratio(ltype, k, v, request, limit) or "")


def _container_resources(c: Obj) -> tuple[dict[str, Quantity], dict[str, Quantity]]:
    res = c.get("resources") or {}
    return _quantities(res.get("requests")), _quantities(res.get("limits"))


def pod_totals(spec: Obj, field: str) -> dict[str, Quantity]:
    """`podRequests`/`podLimits` of the plugin: regular containers and restartable (sidecar)
    init containers add up; each other init container runs alone with the sidecars started
    before it, and the pod needs the largest of these."""
    total: dict[str, Quantity] = {}
    for c in spec.get("containers") or []:
        for k, v in _quantities((c.get("resources") or {}).get(field)).items():
            total[k] = total[k] + v if k in total else v
    sidecars: dict[str, Quantity] = {}
    peak: dict[str, Quantity] = {}
    for c in spec.get("initContainers") or []:
        own = _quantities((c.get("resources") or {}).get(field))
        if c.get("restartPolicy") == "Always":
            for k, v in own.items():
                sidecars[k] = sidecars[k] + v if k in sidecars else v
                total[k] = total[k] + v if k in total else v
            continue
        for k, v in own.items():
            running = v + sidecars[k] if k in sidecars else v
            if k not in peak or running.value > peak[k].value:
                peak[k] = running
    for k, v in peak.items():
        if k not in total or v.value > total[k].value:
            total[k] = v
    return total


def validate_pod(pod: Obj, ranges: Iterable[Obj]) -> None:
    """LimitRanger's validation of a new pod; raises the plugin's Forbidden."""
    spec = pod.get("spec") or {}
    for lr in ranges:
        errs: list[str] = []
        for item in (lr.get("spec") or {}).get("limits") or []:
            ltype = item.get("type")
            if ltype == "Container":
                for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
                    request, limit = _container_resources(c)
                    _check(item, "Container", request, limit, errs)
            elif ltype == "Pod":
                _check(item, "Pod", pod_totals(spec, "requests"), pod_totals(spec, "limits"), errs)
        _raise(pod, "pods", errs)


def validate_claim(pvc: Obj, ranges: Iterable[Obj]) -> None:
    """LimitRanger's validation of a PersistentVolumeClaim's storage request."""
    request = _quantities(((pvc.get("spec") or {}).get("resources") or {}).get("requests"))
    for lr in ranges:
        errs: list[str] = []
        for item in (lr.get("spec") or {}).get("limits") or []:
            if item.get("type") != "PersistentVolumeClaim":
                continue
            for k, v in sorted(_quantities(item.get("min")).items()):
                errs.append(_min("PersistentVolumeClaim", k, v, request, {}) or "")
            for k, v in sorted(_quantities(item.get("max")).items()):
                errs.append(_max_request("PersistentVolumeClaim", k, v, request) or "")
        _raise(pvc, "persistentvolumeclaims", errs)


def _raise(obj: Obj, plural: str, errs: list[str]) -> None:
    """`utilerrors.NewAggregate` wrapped in `admission.NewForbidden`."""
    unique = list(dict.fromkeys(e for e in errs if e))
    if not unique:
        return
    body = unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"
    meta = obj.get("metadata") or {}
    name = meta.get("name") or meta.get("generateName") or ""
    raise Forbidden(f'{plural} "{name}" is forbidden: {body}', details={"name": name, "kind": plural})
