"""Table columns and cells for ServiceAccounts and RBAC objects (`kubectl get sa`, `roles`,
`clusterroles`, `rolebindings`, `clusterrolebindings`), as kube-apiserver's
`printServiceAccount`, `printRole`, `printClusterRole`, `printRoleBinding` and
`printClusterRoleBinding` compute them.

- ServiceAccount: NAME, SECRETS (how many `secrets` it lists), AGE.
- Role, ClusterRole: NAME, CREATED AT (the creation timestamp in RFC 3339, not an age).
- RoleBinding, ClusterRoleBinding: NAME, ROLE (`Kind/name`), AGE, and in the wide form USERS,
  GROUPS and SERVICEACCOUNTS (`namespace/name`), comma-separated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .table_columns import Since, column

Obj = dict[str, Any]
CREATED_DOC = "CreationTimestamp is a timestamp representing the server time when this object was created."


def columns(name_col: Obj, age_col: Obj) -> dict[str, list[Obj]]:
    role = [name_col, column("Created At", CREATED_DOC, ctype="date")]
    binding = [
        name_col,
        column("Role", "RoleRef can only reference the current namespace or a ClusterRole."),
        age_col,
        column("Users", "Users in the binding", priority=1),
        column("Groups", "Groups in the binding", priority=1),
        column("ServiceAccounts", "ServiceAccounts in the binding", priority=1),
    ]
    return {
        "ServiceAccount": [
            name_col,
            column("Secrets", "Secrets is a list of the secrets in the same namespace.", ctype="integer"),
            age_col,
        ],
        "Role": role,
        "ClusterRole": role,
        "RoleBinding": binding,
        "ClusterRoleBinding": binding,
    }


def _service_account(sa: Obj, t: Since) -> list[Any]:
    return [
        sa["metadata"]["name"],
        len(sa.get("secrets") or []),
        t.since(sa["metadata"].get("creationTimestamp")),
    ]


def _role(role: Obj, _t: Since) -> list[Any]:
    return [role["metadata"]["name"], role["metadata"].get("creationTimestamp") or ""]


def _binding(binding: Obj, t: Since) -> list[Any]:
    ref = binding.get("roleRef") or {}
    users, groups, accounts = [], [], []
    for s in binding.get("subjects") or []:
        if s.get("kind") == "User":
            users.append(s.get("name", ""))
        elif s.get("kind") == "Group":
            groups.append(s.get("name", ""))
        elif s.get("kind") == "ServiceAccount":
            accounts.append(f"{s.get('namespace', '')}/{s.get('name', '')}")
    return [
        binding["metadata"]["name"],
        f"{ref.get('kind', '')}/{ref.get('name', '')}",
        t.since(binding["metadata"].get("creationTimestamp")),
        ", ".join(users),
        ", ".join(groups),
        ", ".join(accounts),
    ]


PRINTERS: dict[str, Callable[[Obj, Any], list[Any]]] = {
    "ServiceAccount": _service_account,
    "Role": _role,
    "ClusterRole": _role,
    "RoleBinding": _binding,
    "ClusterRoleBinding": _binding,
}
