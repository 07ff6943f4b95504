"""ResourceQuota (`v1`, short name `quota`): its validation and the ResourceQuota admission plugin.

The plugin runs last among the validating plugins. For a new object in a namespace with
quotas it asks each quota whose *status* (what the resource quota controller last computed)
tracks something the object costs, and whose scopes select it:
- a pod must state every cpu/memory resource the quota tracks
  (`failed quota: compute: must specify limits.cpu for: app`);
- a quota whose status has no usage yet for a tracked resource refuses
  (`status unknown for quota: compute, resources: requests.cpu`);
- the object's cost plus the recorded usage must stay within `hard`, else
  `exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=1800m,
  limited: requests.cpu=2` (resources sorted, only the exceeded ones).
If every quota admits the object, the plugin *charges* it at once: it writes the quotas' new
`status.used` through the API as the API server itself, before the object is stored, so the
next request sees the usage. The resource quota controller later recomputes usage from what
exists (releasing what was charged for objects that never got stored).

A quota is a 403 Forbidden, not a validation error: `pods "web-x" is forbidden: exceeded quota:
...`.

Simplified: only creates are charged (kube-apiserver also charges Service and claim updates
that grow usage, and pod resizes when in-place resize is on).
"""

from __future__ import annotations

from typing import Any

from .errors import Forbidden
from .kinds import Kind
from .quantity import QuantityError, parse_quantity
from .quantity_format import ResourceList, add, mask, parse_list, pretty, to_json
from .quota_usage import is_ignored, matching_resources, pod_constraints, quota_matches, usage

Obj = dict[str, Any]
Causes = list[tuple[str, str]]

SCOPES = (
    "BestEffort",
    "CrossNamespacePodAffinity",
    "NotBestEffort",
    "NotTerminating",
    "PriorityClass",
    "Terminating",
)


def resource_quota_causes(rq: Obj) -> Causes:
    """`ValidateResourceQuota`: quantities that parse and are not negative, known scopes."""
    spec = rq.get("spec") or {}
    causes: Causes = []
    for name, value in sorted((spec.get("hard") or {}).items()):
        path = f"spec.hard[{name}]"
        try:
            q = parse_quantity(value)
        except QuantityError as exc:
            causes.append((path, f'Invalid value: "{value}": {exc}'))
            continue
        if q < 0:
            causes.append((path, f'Invalid value: "{value}": must be greater than or equal to 0'))
    supported = ", ".join(f'"{s}"' for s in SCOPES)
    scopes = list(spec.get("scopes") or [])
    for i, scope in enumerate(scopes):
        if scope not in SCOPES:
            causes.append(
                (f"spec.scopes[{i}]", f'Unsupported value: "{scope}": supported values: {supported}')
            )
    go_scopes = "[]core.ResourceQuotaScope{" + ", ".join(f'"{s}"' for s in scopes) + "}"
    for scope in scopes:
        for name in sorted(spec.get("hard") or {}):
            if name in STANDARD_QUOTA_RESOURCES and not _scope_allows(scope, name):
                causes.append(
                    ("spec.scopes", f"Invalid value: {go_scopes}: unsupported scope applied to resource")
                )
    for pair in (("BestEffort", "NotBestEffort"), ("NotTerminating", "Terminating")):
        if all(p in scopes for p in pair):
            causes.append(("spec.scopes", f"Invalid value: {go_scopes}: conflicting scopes"))
    selector = (spec.get("scopeSelector") or {}).get("matchExpressions") or []
    for i, req in enumerate(selector):
        if req.get("scopeName") not in SCOPES:
            causes.append(
                (
                    f"spec.scopeSelector.matchExpressions[{i}].scopeName",
                    f'Unsupported value: "{req.get("scopeName")}": supported values: {supported}',
                )
            )
    return list(dict.fromkeys(causes))  # an ErrorList's aggregate reports each message once


#: `helper.IsStandardQuotaResourceName`: the names validation checks against scopes.
STANDARD_QUOTA_RESOURCES = {
    "cpu",
    "memory",
    "ephemeral-storage",
    "requests.cpu",
    "requests.memory",
    "requests.storage",
    "requests.ephemeral-storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
    "pods",
    "services",
    "replicationcontrollers",
    "resourcequotas",
    "secrets",
    "persistentvolumeclaims",
    "configmaps",
    "services.nodeports",
    "services.loadbalancers",
}
POD_COMPUTE_QUOTA = {"cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"}


def _scope_allows(scope: str, resource: str) -> bool:
    """`IsResourceQuotaScopeValidForResource`: BestEffort quotas count pods only; the other pod
    scopes pods and their compute resources."""
    if scope == "BestEffort":
        return resource == "pods"
    if scope in (
        "Terminating",
        "NotTerminating",
        "NotBestEffort",
        "PriorityClass",
        "CrossNamespacePodAffinity",
    ):
        return resource == "pods" or resource in POD_COMPUTE_QUOTA
    return True


def _forbidden(obj: Obj, kind: Kind, why: str) -> Forbidden:
    meta = obj.get("metadata") or {}
    name = meta.get("name") or meta.get("generateName") or ""
    ref = f"{kind.plural}.{kind.group}" if kind.group else kind.plural
    return Forbidden(
        f'{ref} "{name}" is forbidden: {why}',
        details={"name": name, "group": kind.group, "kind": kind.plural},
    )


def check(kind: Kind, obj: Obj, quotas: list[Obj], now: float, epoch: Any) -> list[tuple[Obj, ResourceList]]:
    """`checkRequest` for a create: Forbidden if a quota refuses `obj`, else the quotas whose
    usage grows with the usage each should now record."""
    if is_ignored(kind) or not quotas:
        return []
    interesting: list[Obj] = []
    for rq in sorted(quotas, key=lambda q: q["metadata"]["name"]):
        if not quota_matches(kind, rq, obj):
            continue
        status = rq.get("status") or {}
        restricted = matching_resources(kind, status.get("hard") or {})
        if kind.kind == "Pod":
            problem = pod_constraints(restricted, obj)
            if problem:
                raise _forbidden(obj, kind, f"failed quota: {rq['metadata']['name']}: {problem}")
        used = status.get("used") or {}
        if any(r not in used for r in restricted):
            raise _forbidden(
                obj,
                kind,
                f"status unknown for quota: {rq['metadata']['name']}, resources: "
                + ",".join(sorted(restricted)),
            )
        interesting.append(rq)
    delta = usage(kind, obj, now, epoch)
    if all(q.value == 0 for q in delta.values()) or not interesting:
        return []
    charges: list[tuple[Obj, ResourceList]] = []
    for rq in interesting:
        status = rq.get("status") or {}
        hard = parse_list(status.get("hard"))
        used = parse_list(status.get("used"))
        requested = mask(delta, set(hard))
        new_usage = add(used, requested)
        exceeded = sorted(
            k for k, v in mask(new_usage, set(requested)).items() if k in hard and v.value > hard[k].value
        )
        if exceeded:
            raise _forbidden(
                obj,
                kind,
                f"exceeded quota: {rq['metadata']['name']}, requested: {pretty(mask(requested, exceeded))}, "
                f"used: {pretty(mask(used, exceeded))}, limited: {pretty(mask(hard, exceeded))}",
            )
        charges.append((rq, new_usage))
    return charges


def charged_status(rq: Obj, new_usage: ResourceList) -> Obj:
    """The quota's status after the admission plugin charged a request."""
    status = dict(rq.get("status") or {})
    status["used"] = to_json(new_usage)
    return status
