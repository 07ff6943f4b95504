"""Validation the API server applies before anything is stored.

Each check returns (field path, message) causes worded as apimachinery's field errors
(`Required value`, `Invalid value: "X": ...`). The API server turns them into one
`422 Invalid` carrying every cause. Schema-level validation of every field (unknown fields,
types) is layered on top by the API work; this module holds the semantic rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from . import batch_api, daemonsets, persistent_volumes, services, statefulsets
from .autoscaling import hpa_causes
from .configmaps import configmap_causes
from .disruption_budgets import pdb_causes
from .ingresses import ingress_causes, ingress_class_causes
from .limit_ranges import limit_range_causes
from .network_policies import network_policy_causes
from .priority_classes import priority_class_causes
from .probe_validation import probe_causes
from .quantity import QuantityError, parse_quantity
from .resource_quotas import resource_quota_causes
from .secrets import secret_causes
from .topology_spread_validation import topology_spread_causes
from .workload_validation import workload_selector_causes

Causes = list[tuple[str, str]]
Obj = dict[str, Any]

_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
    "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")


def _quote(value: Any) -> str:
    return '"' + str(value).replace('"', '\\"') + '"' if isinstance(value, str) else str(value)


def name_causes(name: Any, *, label: bool = False, path: str = "metadata.name") -> Causes:
    if not isinstance(name, str) or not name:
        return [(path, "Required value: name or generateName is required")]
    limit = 63 if label else 253
    causes: Causes = []
    if len(name) > limit:
        causes.append((path, f"Invalid value: {_quote(name)}: must be no more than {limit} characters"))
    pattern, msg = (_DNS1123_LABEL, _LABEL_MSG) if label else (_DNS1123_SUBDOMAIN, _SUBDOMAIN_MSG)
    if not pattern.match(name):
        causes.append((path, f"Invalid value: {_quote(name)}: {msg}"))
    return causes


def label_causes(labels: Any, path: str) -> Causes:
    if labels is None:
        return []
    if not isinstance(labels, dict):
        return [(path, "Invalid value: must be a map of string keys to string values")]
    causes: Causes = []
    for key, value in labels.items():
        key_name = str(key).rsplit("/", 1)[-1]
        if not _QUALIFIED_NAME.match(key_name) or len(key_name) > 63:
            causes.append(
                (
                    path,
                    f"Invalid value: {_quote(key)}: name part must consist of alphanumeric "
                    "characters, '-', '_' or '.', and must start and end with an alphanumeric "
                    "character",
                )
            )
        if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.match(value):
            causes.append(
                (
                    f"{path}",
                    f"Invalid value: {_quote(value)}: a valid label must be an empty string "
                    "or consist of alphanumeric characters, '-', '_' or '.', and must start "
                    "and end with an alphanumeric character",
                )
            )
    return causes


def _resources_causes(res: Any, path: str) -> Causes:
    causes: Causes = []
    if not isinstance(res, dict):
        return causes
    for section in ("requests", "limits"):
        for name, value in (res.get(section) or {}).items():
            try:
                q = parse_quantity(value)
            except QuantityError as exc:
                causes.append((f"{path}.{section}[{name}]", f"Invalid value: {_quote(value)}: {exc}"))
                continue
            if q < 0:
                causes.append(
                    (
                        f"{path}.{section}[{name}]",
                        f"Invalid value: {_quote(value)}: must be greater than or equal to 0",
                    )
                )
    for name, req in (res.get("requests") or {}).items():
        lim = (res.get("limits") or {}).get(name)
        try:
            if lim is not None and parse_quantity(req) > parse_quantity(lim):
                causes.append(
                    (
                        f"{path}.requests",
                        f"Invalid value: {_quote(req)}: must be less than or equal to {name} limit of {lim}",
                    )
                )
        except QuantityError:
            pass
    return causes


def pod_spec_causes(spec: Any, path: str) -> Causes:
    if not isinstance(spec, dict):
        return [(path, "Required value")]
    causes: Causes = []
    containers = spec.get("containers")
    if not containers:
        return [(f"{path}.containers", "Required value")]
    seen: set[str] = set()
    for i, c in enumerate(containers):
        cpath = f"{path}.containers[{i}]"
        name = c.get("name")
        if not name:
            causes.append((f"{cpath}.name", "Required value"))
        else:
            causes += name_causes(name, label=True, path=f"{cpath}.name")
            if name in seen:
                causes.append((f"{cpath}.name", f"Duplicate value: {_quote(name)}"))
            seen.add(name)
        if not c.get("image"):
            causes.append((f"{cpath}.image", "Required value"))
        policy = c.get("imagePullPolicy")
        if policy not in (None, "Always", "IfNotPresent", "Never"):
            causes.append(
                (
                    f"{cpath}.imagePullPolicy",
                    f"Unsupported value: {_quote(policy)}: supported "
                    'values: "Always", "IfNotPresent", "Never"',
                )
            )
        causes += _resources_causes(c.get("resources"), f"{cpath}.resources")
        causes += probe_causes(c, cpath)
    policy = spec.get("restartPolicy")
    if policy not in (None, "Always", "OnFailure", "Never"):
        causes.append(
            (
                f"{path}.restartPolicy",
                f'Unsupported value: {_quote(policy)}: supported values: "Always", "OnFailure", "Never"',
            )
        )
    for i, t in enumerate(spec.get("tolerations") or []):
        effect = t.get("effect")
        if effect not in (None, "", "NoSchedule", "PreferNoSchedule", "NoExecute"):
            causes.append(
                (
                    f"{path}.tolerations[{i}].effect",
                    f"Unsupported value: {_quote(effect)}: supported "
                    'values: "NoSchedule", "PreferNoSchedule", '
                    '"NoExecute"',
                )
            )
        if t.get("operator") == "Exists" and t.get("value"):
            causes.append(
                (
                    f"{path}.tolerations[{i}].operator",
                    f"Invalid value: {_quote(t.get('value'))}: "
                    "value must be empty when `operator` is 'Exists'",
                )
            )
    causes += _scheduling_gate_causes(spec.get("schedulingGates"), f"{path}.schedulingGates")
    spread = spec.get("topologySpreadConstraints")
    causes += topology_spread_causes(spread, f"{path}.topologySpreadConstraints")
    return causes


_QUALIFIED_NAME_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)


def qualified_name_errors(value: str) -> list[str]:
    """apimachinery's `IsQualifiedName`: an optional DNS subdomain prefix and '/', then a name
    part of at most 63 characters."""
    parts = value.split("/")
    if len(parts) > 2:
        return [
            f"a qualified name {_QUALIFIED_NAME_MSG} with an optional DNS subdomain prefix and '/' "
            "(e.g. 'example.com/MyName')"
        ]
    errors: list[str] = []
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            errors.append("prefix part must be non-empty")
        else:
            if len(prefix) > 253:
                errors.append("prefix part must be no more than 253 characters")
            if not _DNS1123_SUBDOMAIN.match(prefix):
                errors.append(f"prefix part {_SUBDOMAIN_MSG}")
    if not name:
        errors.append("name part must be non-empty")
    elif len(name) > 63:
        errors.append("name part must be no more than 63 characters")
    if not _QUALIFIED_NAME.match(name):
        errors.append(f"name part {_QUALIFIED_NAME_MSG}")
    return errors


def _scheduling_gate_causes(gates: Any, path: str) -> Causes:
    """`validateSchedulingGates`: each gate a qualified name, none twice."""
    causes: Causes = []
    seen: set[str] = set()
    for i, gate in enumerate(gates or ()):
        name = str((gate or {}).get("name") or "")
        invalid = f"Invalid value: {_quote(name)}"
        causes += [(f"{path}[{i}]", f"{invalid}: {e}") for e in qualified_name_errors(name)]
        if name in seen:
            causes.append((f"{path}[{i}]", f"Duplicate value: {_quote(name)}"))
        seen.add(name)
    return causes


def _workload_causes(obj: Obj) -> Causes:
    spec = obj.get("spec") or {}
    causes: Causes = []
    replicas = spec.get("replicas")
    if not isinstance(replicas, int) or isinstance(replicas, bool):
        causes.append(("spec.replicas", f"Invalid value: {_quote(replicas)}: must be an integer"))
    elif replicas < 0:
        causes.append(("spec.replicas", f"Invalid value: {replicas}: must be greater than or equal to 0"))
    template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    causes += workload_selector_causes(spec.get("selector"), template_labels, "deployment")
    causes += label_causes(template_labels, "spec.template.metadata.labels")
    causes += pod_spec_causes((spec.get("template") or {}).get("spec"), "spec.template.spec")
    return causes


def template_labels_text(labels: dict[str, str]) -> str:
    return "map[" + " ".join(f"{k}:{v}" for k, v in sorted(labels.items())) + "]"


def _deployment_causes(obj: Obj) -> Causes:
    causes = _workload_causes(obj)
    strategy = (obj.get("spec") or {}).get("strategy") or {}
    stype = strategy.get("type")
    if stype not in ("RollingUpdate", "Recreate"):
        causes.append(
            (
                "spec.strategy.type",
                f'Unsupported value: {_quote(stype)}: supported values: "Recreate", "RollingUpdate"',
            )
        )
    if stype == "RollingUpdate":
        ru = strategy.get("rollingUpdate") or {}
        from .controllers.rollout_math import resolve_fenceposts

        try:
            surge, unavail = resolve_fenceposts(ru.get("maxSurge"), ru.get("maxUnavailable"), 10)
        except ValueError as exc:
            causes.append(("spec.strategy.rollingUpdate", f"Invalid value: {exc}"))
        else:
            if ru.get("maxSurge") in (0, "0", "0%") and ru.get("maxUnavailable") in (0, "0", "0%"):
                causes.append(
                    (
                        "spec.strategy.rollingUpdate.maxUnavailable",
                        'Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 '
                        "when `maxSurge` is 0",
                    )
                )
            del surge, unavail
    elif stype == "Recreate" and strategy.get("rollingUpdate"):
        causes.append(
            (
                "spec.strategy.rollingUpdate",
                "Forbidden: may not be specified when strategy `type` is 'Recreate'",
            )
        )
    return causes


def _pod_causes(obj: Obj) -> Causes:
    causes = pod_spec_causes(obj.get("spec"), "spec")
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    if spec.get("nodeName") and spec.get("schedulingGates"):  # ValidatePodCreate
        cleared = "Forbidden: cannot be set until all schedulingGates have been cleared"
        causes.append(("spec.nodeName", cleared))
    return causes


VALIDATORS: dict[str, Callable[[Obj], Causes]] = {
    "Pod": _pod_causes,
    "ReplicaSet": _workload_causes,
    "Deployment": _deployment_causes,
    "StatefulSet": statefulsets.statefulset_causes,
    "ControllerRevision": statefulsets.controller_revision_causes,
    "DaemonSet": daemonsets.daemonset_causes,
    "Job": batch_api.job_causes,
    "CronJob": batch_api.cronjob_causes,
    "Service": services.service_causes,
    "EndpointSlice": services.endpoint_slice_causes,
    "LimitRange": limit_range_causes,
    "ResourceQuota": resource_quota_causes,
    "PriorityClass": priority_class_causes,
    "PodDisruptionBudget": pdb_causes,
    "HorizontalPodAutoscaler": hpa_causes,
    "ConfigMap": configmap_causes,
    "Secret": secret_causes,
    "Ingress": ingress_causes,
    "IngressClass": ingress_class_causes,
    "NetworkPolicy": network_policy_causes,
    "PersistentVolume": persistent_volumes.volume_causes,
    "PersistentVolumeClaim": persistent_volumes.claim_causes,
    "StorageClass": persistent_volumes.storage_class_causes,
}


_RBAC_KINDS = ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")


def _rbac_causes(kind: str) -> Callable[[Obj], Causes]:
    def causes(obj: Obj) -> Causes:
        from .rbac_validation import validate_rbac

        return validate_rbac(kind, obj)

    return causes


VALIDATORS.update({k: _rbac_causes(k) for k in _RBAC_KINDS})


def validate(kind: str, obj: Obj, *, namespaced: bool) -> Causes:
    meta = obj.get("metadata") or {}
    causes: Causes = []
    if kind == "Namespace":
        causes += name_causes(meta.get("name"), label=True)
    elif kind != "Event" and kind not in _RBAC_KINDS:  # RBAC names are path segments
        causes += name_causes(meta.get("name"))
    causes += label_causes(meta.get("labels"), "metadata.labels")
    fn = VALIDATORS.get(kind)
    if fn is not None:
        causes += fn(obj)
    return causes
