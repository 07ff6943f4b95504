"""Defaulting and validation of RBAC objects, as kube-apiserver's rbac/v1 defaults and the
rbac validation package do them.

Names of roles and bindings are path segments (`system:controller:node-controller` is fine; `/`
and `%` are not). A rule needs verbs, and either API groups and resources or non-resource URLs
(never both; never URLs in a namespaced Role). A binding's roleRef names a Role or ClusterRole
(a ClusterRoleBinding only a ClusterRole) and can never change; subjects are Users, Groups or
ServiceAccounts. Subjects and roleRefs default their `apiGroup`.
"""

from __future__ import annotations

from typing import Any

from .rbac_policy import RBAC_GROUP
from .validation import name_causes

Obj = dict[str, Any]
Causes = list[tuple[str, str]]
RBAC_KINDS = frozenset({"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"})


def default_rbac(kind: str, obj: Obj) -> None:
    """rbac/v1 defaulting: `roleRef.apiGroup`, and `apiGroup` of User and Group subjects."""
    if kind not in ("RoleBinding", "ClusterRoleBinding"):
        return
    ref = obj.get("roleRef")
    if isinstance(ref, dict) and not ref.get("apiGroup"):
        ref["apiGroup"] = RBAC_GROUP
    for subject in obj.get("subjects") or []:
        if (
            isinstance(subject, dict)
            and not subject.get("apiGroup")
            and subject.get("kind") in ("User", "Group")
        ):
            subject["apiGroup"] = RBAC_GROUP


def _go_list(values: Any) -> str:
    """A []string as Go's %#v prints it in field errors."""
    items = values if isinstance(values, list) else []
    return "[]string{" + ", ".join(f'"{v}"' for v in items) + "}"


def _unsupported(value: Any, supported: list[str]) -> str:
    return f'Unsupported value: "{value}": supported values: ' + ", ".join(f'"{s}"' for s in supported)


def path_segment_causes(name: Any, path: str) -> Causes:
    """ValidateRBACName: a path segment name."""
    if not isinstance(name, str) or not name:
        return [(path, "Required value: name or generateName is required")]
    for bad in (".", ".."):
        if name == bad:
            return [(path, f"Invalid value: \"{name}\": may not be '{bad}'")]
    return [(path, f"Invalid value: \"{name}\": may not contain '{c}'") for c in ("/", "%") if c in name]


def rule_causes(rule: Any, namespaced: bool, path: str) -> Causes:
    if not isinstance(rule, dict):
        return [(path, "Invalid value: must be a PolicyRule object")]
    causes: Causes = []
    if not rule.get("verbs"):
        causes.append((f"{path}.verbs", "Required value: verbs must contain at least one value"))
    urls = rule.get("nonResourceURLs")
    if urls:
        if namespaced:
            causes.append(
                (
                    f"{path}.nonResourceURLs",
                    f"Invalid value: {_go_list(urls)}: namespaced rules cannot apply to non-resource URLs",
                )
            )
        if rule.get("apiGroups") or rule.get("resources") or rule.get("resourceNames"):
            causes.append(
                (
                    f"{path}.nonResourceURLs",
                    f"Invalid value: {_go_list(urls)}: rules cannot apply to both regular resources and "
                    "non-resource URLs",
                )
            )
        return causes
    if not rule.get("apiGroups"):
        causes.append(
            (f"{path}.apiGroups", "Required value: resource rules must supply at least one api group")
        )
    if not rule.get("resources"):
        causes.append(
            (f"{path}.resources", "Required value: resource rules must supply at least one resource")
        )
    return causes


def _role_causes(obj: Obj, namespaced: bool) -> Causes:
    causes: Causes = []
    for i, rule in enumerate(obj.get("rules") or []):
        causes += rule_causes(rule, namespaced, f"rules[{i}]")
    aggregation = obj.get("aggregationRule")
    if not namespaced and isinstance(aggregation, dict) and not aggregation.get("clusterRoleSelectors"):
        causes.append(
            (
                "aggregationRule.clusterRoleSelectors",
                "Required value: at least one clusterRoleSelector required if aggregationRule is non-nil",
            )
        )
    return causes


def subject_causes(subject: Any, namespaced: bool, path: str) -> Causes:
    if not isinstance(subject, dict):
        return [(path, "Invalid value: must be a Subject object")]
    causes: Causes = []
    name, kind, group = subject.get("name"), subject.get("kind"), subject.get("apiGroup") or ""
    if not name:
        causes.append((f"{path}.name", "Required value"))
    if kind == "ServiceAccount":
        if name:
            causes += name_causes(name, path=f"{path}.name")
        if group:
            causes.append((f"{path}.apiGroup", _unsupported(group, [""])))
        if not namespaced and not subject.get("namespace"):
            causes.append((f"{path}.namespace", "Required value"))
    elif kind in ("User", "Group"):
        if group != RBAC_GROUP:
            causes.append((f"{path}.apiGroup", _unsupported(group, [RBAC_GROUP])))
    else:
        causes.append((f"{path}.kind", _unsupported(kind or "", ["ServiceAccount", "User", "Group"])))
    return causes


def _binding_causes(obj: Obj, namespaced: bool) -> Causes:
    causes: Causes = []
    ref = obj.get("roleRef") if isinstance(obj.get("roleRef"), dict) else {}
    group = ref.get("apiGroup") or ""
    if group and group != RBAC_GROUP:
        causes.append(("roleRef.apiGroup", _unsupported(group, [RBAC_GROUP])))
    kinds = ["Role", "ClusterRole"] if namespaced else ["ClusterRole"]
    if ref.get("kind") not in kinds:
        causes.append(("roleRef.kind", _unsupported(ref.get("kind") or "", kinds)))
    if not ref.get("name"):
        causes.append(("roleRef.name", "Required value"))
    else:
        causes += path_segment_causes(ref["name"], "roleRef.name")
    for i, subject in enumerate(obj.get("subjects") or []):
        causes += subject_causes(subject, namespaced, f"subjects[{i}]")
    return causes


def validate_rbac(kind: str, obj: Obj) -> Causes:
    """All causes for an RBAC object, its name included (the generic name check is skipped)."""
    causes = path_segment_causes((obj.get("metadata") or {}).get("name"), "metadata.name")
    if kind in ("Role", "ClusterRole"):
        return causes + _role_causes(obj, kind == "Role")
    return causes + _binding_causes(obj, kind == "RoleBinding")


def rbac_update_causes(kind: str, old: Obj, new: Obj) -> Causes:
    """A binding's roleRef is immutable: `roleRef: Invalid value: rbac.RoleRef{…}: cannot change roleRef`."""
    if kind not in ("RoleBinding", "ClusterRoleBinding"):
        return []
    before, after = old.get("roleRef") or {}, new.get("roleRef") or {}
    if before == after:
        return []
    ref = (
        f'rbac.RoleRef{{APIGroup:"{after.get("apiGroup") or ""}", Kind:"{after.get("kind") or ""}", '
        f'Name:"{after.get("name") or ""}"}}'
    )
    return [("roleRef", f"Invalid value: {ref}: cannot change roleRef")]
