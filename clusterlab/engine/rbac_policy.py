"""The bootstrap RBAC policy: the ClusterRoles and bindings kube-apiserver creates at start.

kube-apiserver's `rbac/bootstrap-roles` post-start hook reconciles a fixed set of
ClusterRoles and ClusterRoleBindings (`kubernetes.io/bootstrapping: rbac-defaults`), and
kubeadm adds the binding that makes its admin certificate's group `kubeadm:cluster-admins`
(1.29+) a cluster-admin. Their rules here are those of Kubernetes 1.32 for the roles this
cluster's components and learners use:

- the user-facing roles `cluster-admin`, `admin`, `edit`, `view` (the last three empty and
  aggregated from `system:aggregate-to-*` by the clusterrole-aggregation controller),
  `system:basic-user`, `system:discovery`, `system:public-info-viewer`;
- the components' roles `system:kube-scheduler`, `system:volume-scheduler`,
  `system:kube-controller-manager`, `system:node` (what the Node authorizer grants kubelets),
  `system:node-proxier`, and one `system:controller:<name>` role per controller, bound to
  that controller's service account in kube-system.

Simplified: roles of components this cluster does not run (CSR approvers, PV binder, HPA…)
are left out.
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]
RBAC_GROUP = "rbac.authorization.k8s.io"
RBAC_API_VERSION = f"{RBAC_GROUP}/v1"
AUTOUPDATE = {"rbac.authorization.kubernetes.io/autoupdate": "true"}
BOOTSTRAPPING = {"kubernetes.io/bootstrapping": "rbac-defaults"}
READ = ("get", "list", "watch")
WRITE = ("create", "delete", "deletecollection", "patch", "update")
EVENTS = ("create", "patch", "update")


def rule(
    verbs: tuple[str, ...] | str,
    groups: tuple[str, ...] | str,
    resources: tuple[str, ...] | str,
    names: tuple[str, ...] = (),
) -> Obj:
    """A PolicyRule as the API shows it (verbs and resources sorted, as the bootstrap policy has them)."""
    out: Obj = {"apiGroups": _as_list(groups), "resources": sorted(_as_list(resources))}
    if names:
        out["resourceNames"] = list(names)
    out["verbs"] = sorted(_as_list(verbs))
    return out


def _as_list(value: tuple[str, ...] | str) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def url_rule(verbs: tuple[str, ...] | str, urls: tuple[str, ...]) -> Obj:
    return {"nonResourceURLs": list(urls), "verbs": [verbs] if isinstance(verbs, str) else list(verbs)}


EVENT_RULE = rule(EVENTS, ("", "events.k8s.io"), "events")

_AGGREGATE_TO_ADMIN = [
    rule("create", "authorization.k8s.io", "localsubjectaccessreviews"),
    rule((*READ, *WRITE), RBAC_GROUP, ("rolebindings", "roles")),
]
_AGGREGATE_TO_EDIT = [
    rule(
        READ, "", ("pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy")
    ),
    rule("impersonate", "", "serviceaccounts"),
    rule(WRITE, "", ("pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy")),
    rule("create", "", "pods/eviction"),
    rule(
        WRITE,
        "",
        (
            "configmaps",
            "events",
            "persistentvolumeclaims",
            "replicationcontrollers",
            "replicationcontrollers/scale",
            "secrets",
            "serviceaccounts",
            "services",
            "services/proxy",
        ),
    ),
    rule("create", "", "serviceaccounts/token"),
    rule(
        WRITE,
        "apps",
        (
            "daemonsets",
            "deployments",
            "deployments/rollback",
            "deployments/scale",
            "replicasets",
            "replicasets/scale",
            "statefulsets",
            "statefulsets/scale",
        ),
    ),
    rule(WRITE, "autoscaling", "horizontalpodautoscalers"),
    rule(WRITE, "batch", ("cronjobs", "jobs")),
    rule(
        WRITE,
        "extensions",
        (
            "daemonsets",
            "deployments",
            "deployments/rollback",
            "deployments/scale",
            "ingresses",
            "networkpolicies",
            "replicasets",
            "replicasets/scale",
            "replicationcontrollers/scale",
        ),
    ),
    rule(WRITE, "policy", "poddisruptionbudgets"),
    rule(WRITE, "networking.k8s.io", ("ingresses", "networkpolicies")),
    rule((*READ, *WRITE), "coordination.k8s.io", "leases"),
]
_AGGREGATE_TO_VIEW = [
    rule(
        READ,
        "",
        (
            "configmaps",
            "endpoints",
            "persistentvolumeclaims",
            "persistentvolumeclaims/status",
            "pods",
            "replicationcontrollers",
            "replicationcontrollers/scale",
            "serviceaccounts",
            "services",
            "services/status",
        ),
    ),
    rule(
        READ,
        "",
        (
            "bindings",
            "events",
            "limitranges",
            "namespaces/status",
            "pods/log",
            "pods/status",
            "replicationcontrollers/status",
            "resourcequotas",
            "resourcequotas/status",
        ),
    ),
    rule(READ, "", "namespaces"),
    rule(READ, "discovery.k8s.io", "endpointslices"),
    rule(
        READ,
        "apps",
        (
            "controllerrevisions",
            "daemonsets",
            "daemonsets/status",
            "deployments",
            "deployments/scale",
            "deployments/status",
            "replicasets",
            "replicasets/scale",
            "replicasets/status",
            "statefulsets",
            "statefulsets/scale",
            "statefulsets/status",
        ),
    ),
    rule(READ, "autoscaling", ("horizontalpodautoscalers", "horizontalpodautoscalers/status")),
    rule(READ, "batch", ("cronjobs", "cronjobs/status", "jobs", "jobs/status")),
    rule(
        READ,
        "extensions",
        (
            "daemonsets",
            "daemonsets/status",
            "deployments",
            "deployments/scale",
            "deployments/status",
            "ingresses",
            "ingresses/status",
            "networkpolicies",
            "replicasets",
            "replicasets/scale",
            "replicasets/status",
            "replicationcontrollers/scale",
        ),
    ),
    rule(READ, "policy", ("poddisruptionbudgets", "poddisruptionbudgets/status")),
    rule(READ, "networking.k8s.io", ("ingresses", "ingresses/status", "networkpolicies")),
]

#: What the Node authorizer lets a kubelet do (the same rules as the `system:node` ClusterRole).
NODE_RULES = [
    rule("create", "authentication.k8s.io", "tokenreviews"),
    rule("create", "authorization.k8s.io", ("localsubjectaccessreviews", "subjectaccessreviews")),
    rule(READ, "", "services"),
    rule(("create", *READ), "", "nodes"),
    rule(("patch", "update"), "", "nodes/status"),
    rule(("patch", "update"), "", "nodes"),
    rule(EVENTS, "", "events"),
    rule(READ, "", "pods"),
    rule(("create", "delete"), "", "pods"),
    rule(("patch", "update"), "", "pods/status"),
    rule("create", "", "pods/eviction"),
    rule(READ, "", ("configmaps", "secrets")),
    rule("get", "", ("persistentvolumeclaims", "persistentvolumes")),
    rule("get", "", "endpoints"),
    rule(("create", *READ), "certificates.k8s.io", "certificatesigningrequests"),
    rule(("create", "delete", "get", "patch", "update"), "coordination.k8s.io", "leases"),
    rule("get", "storage.k8s.io", "volumeattachments"),
    rule("create", "", "serviceaccounts/token"),
    rule(("get", "patch", "update"), "", "persistentvolumeclaims/status"),
    rule(READ, "storage.k8s.io", "csidrivers"),
    rule(("create", "delete", "get", "patch", "update"), "storage.k8s.io", "csinodes"),
    rule(READ, "node.k8s.io", "runtimeclasses"),
]

_CLUSTER_ROLES: dict[str, list[Obj]] = {
    "cluster-admin": [rule("*", "*", "*"), url_rule("*", ("*",))],
    "system:aggregate-to-admin": _AGGREGATE_TO_ADMIN,
    "system:aggregate-to-edit": _AGGREGATE_TO_EDIT,
    "system:aggregate-to-view": _AGGREGATE_TO_VIEW,
    "system:basic-user": [
        rule("create", "authorization.k8s.io", ("selfsubjectaccessreviews", "selfsubjectrulesreviews")),
        rule("create", "authentication.k8s.io", "selfsubjectreviews"),
    ],
    "system:discovery": [
        url_rule(
            "get",
            (
                "/api",
                "/api/*",
                "/apis",
                "/apis/*",
                "/healthz",
                "/livez",
                "/openapi",
                "/openapi/*",
                "/readyz",
                "/version",
                "/version/",
            ),
        )
    ],
    "system:public-info-viewer": [
        url_rule("get", ("/healthz", "/livez", "/readyz", "/version", "/version/"))
    ],
    "system:kube-controller-manager": [
        EVENT_RULE,
        rule("create", "coordination.k8s.io", "leases"),
        rule(("get", "update"), "coordination.k8s.io", "leases", ("kube-controller-manager",)),
        rule("create", "", ("secrets", "serviceaccounts")),
        rule("delete", "", "secrets"),
        rule("get", "", ("configmaps", "namespaces", "secrets", "serviceaccounts")),
        rule("update", "", ("secrets", "serviceaccounts")),
        rule("create", "authentication.k8s.io", "tokenreviews"),
        rule("create", "authorization.k8s.io", "subjectaccessreviews"),
        rule(("list", "watch"), "*", "*"),
        rule("create", "", "serviceaccounts/token"),
    ],
    "system:kube-scheduler": [
        EVENT_RULE,
        rule("create", "coordination.k8s.io", "leases"),
        rule(("get", "update"), "coordination.k8s.io", "leases", ("kube-scheduler",)),
        rule(READ, "", "nodes"),
        rule(("delete", *READ), "", "pods"),
        rule("create", "", ("bindings", "pods/binding")),
        rule(("patch", "update"), "", "pods/status"),
        rule(READ, "", ("replicationcontrollers", "services")),
        rule(READ, ("apps", "extensions"), "replicasets"),
        rule(READ, "apps", "statefulsets"),
        rule(READ, "policy", "poddisruptionbudgets"),
        rule(READ, "", ("persistentvolumeclaims", "persistentvolumes")),
        rule("create", "authentication.k8s.io", "tokenreviews"),
        rule("create", "authorization.k8s.io", "subjectaccessreviews"),
        rule(READ, "storage.k8s.io", "csinodes"),
        rule(READ, "", "namespaces"),
        rule(READ, "storage.k8s.io", "csidrivers"),
        rule(READ, "storage.k8s.io", "csistoragecapacities"),
    ],
    "system:volume-scheduler": [
        rule(("get", "list", "patch", "update", "watch"), "", "persistentvolumes"),
        rule(READ, "storage.k8s.io", "storageclasses"),
        rule(("get", "list", "patch", "update", "watch"), "", "persistentvolumeclaims"),
    ],
    "system:node": NODE_RULES,
    "system:node-proxier": [
        rule(("list", "watch"), "", ("endpoints", "services")),
        rule(READ, "", "nodes"),
        EVENT_RULE,
        rule(("list", "watch"), "discovery.k8s.io", "endpointslices"),
    ],
}

#: The controllers' roles, `system:controller:<name>`, each bound to kube-system's `<name>` account.
_CONTROLLER_ROLES: dict[str, list[Obj]] = {
    "clusterrole-aggregation-controller": [
        rule(("escalate", "get", "list", "patch", "update", "watch"), RBAC_GROUP, "clusterroles")
    ],
    "cronjob-controller": [
        rule(("get", "list", "watch", "update"), "batch", "cronjobs"),
        rule(("get", "list", "watch", "create", "update", "delete", "patch"), "batch", "jobs"),
        rule("update", "batch", "cronjobs/status"),
        rule("update", "batch", "cronjobs/finalizers"),
        rule(("list", "delete"), "", "pods"),
        EVENT_RULE,
    ],
    "daemon-set-controller": [
        rule(READ, ("apps", "extensions"), "daemonsets"),
        rule("update", ("apps", "extensions"), "daemonsets/status"),
        rule("update", ("apps", "extensions"), "daemonsets/finalizers"),
        rule(("list", "watch"), "", "nodes"),
        rule(("create", "delete", "list", "patch", "watch"), "", "pods"),
        rule("create", "", "pods/binding"),
        rule(("create", "delete", "get", "list", "patch", "update", "watch"), "apps", "controllerrevisions"),
        EVENT_RULE,
    ],
    "deployment-controller": [
        rule(("get", "list", "update", "watch"), ("apps", "extensions"), "deployments"),
        rule("update", ("apps", "extensions"), "deployments/status"),
        rule("update", ("apps", "extensions"), "deployments/finalizers"),
        rule(
            ("create", "delete", "get", "list", "patch", "update", "watch"),
            ("apps", "extensions"),
            "replicasets",
        ),
        rule(("get", "list", "update", "watch"), "", "pods"),
        EVENT_RULE,
    ],
    "disruption-controller": [
        rule(READ, ("extensions", "apps"), "deployments"),
        rule(READ, ("apps", "extensions"), "replicasets"),
        rule(READ, "", "replicationcontrollers"),
        rule(READ, "policy", "poddisruptionbudgets"),
        rule(READ, "apps", "statefulsets"),
        rule("update", "policy", "poddisruptionbudgets/status"),
        rule(("patch", "update"), "", "pods/status"),
        rule("get", "*", "*/scale"),
        EVENT_RULE,
    ],
    "endpoint-controller": [
        rule(READ, "", ("pods", "services")),
        rule(("create", "delete", "get", "list", "update", "watch"), "", "endpoints"),
        rule("create", "", "endpoints/restricted"),
        EVENT_RULE,
    ],
    "endpointslice-controller": [
        rule(READ, "", ("nodes", "pods", "services")),
        rule("update", "", "services/finalizers"),
        rule(("create", "delete", "get", "list", "update", "watch"), "discovery.k8s.io", "endpointslices"),
        EVENT_RULE,
    ],
    "generic-garbage-collector": [
        rule(("delete", "get", "list", "patch", "update", "watch"), "*", "*"),
        EVENT_RULE,
    ],
    "horizontal-pod-autoscaler": [
        rule(READ, "autoscaling", "horizontalpodautoscalers"),
        rule("update", "autoscaling", "horizontalpodautoscalers/status"),
        rule(("get", "update"), "*", "*/scale"),
        rule("list", "", "pods"),
        rule("list", "metrics.k8s.io", "pods"),
        rule(("get", "list"), "custom.metrics.k8s.io", "*"),
        rule(("get", "list"), "external.metrics.k8s.io", "*"),
        EVENT_RULE,
    ],
    "job-controller": [
        rule(("get", "list", "watch", "update", "patch"), "batch", "jobs"),
        rule("update", "batch", "jobs/status"),
        rule("update", "batch", "jobs/finalizers"),
        rule(("list", "watch", "create", "delete", "patch"), "", "pods"),
        EVENT_RULE,
    ],
    "namespace-controller": [
        rule(("delete", "get", "list", "watch"), "", "namespaces"),
        rule("update", "", ("namespaces/finalize", "namespaces/status")),
        rule(("delete", "deletecollection", "get", "list", "watch"), "*", "*"),
    ],
    "node-controller": [
        rule(("delete", "get", "list", "patch", "update", "watch"), "", "nodes"),
        rule(("patch", "update"), "", "nodes/status"),
        rule(("patch", "update"), "", "pods/status"),
        rule(("delete", "get", "list", "watch"), "", "pods"),
        EVENT_RULE,
    ],
    "persistent-volume-binder": [
        rule(("create", "delete", "get", "list", "update", "watch"), "", "persistentvolumes"),
        rule("update", "", "persistentvolumes/status"),
        rule(("get", "list", "update", "watch"), "", "persistentvolumeclaims"),
        rule("update", "", "persistentvolumeclaims/status"),
        rule(("create", "delete", "get", "list", "watch"), "", "pods"),
        rule(READ, "storage.k8s.io", "storageclasses"),
        rule(READ, "", "nodes"),
        EVENT_RULE,
    ],
    "pv-protection-controller": [
        rule(("get", "list", "watch", "update"), "", "persistentvolumes"),
        EVENT_RULE,
    ],
    "pvc-protection-controller": [
        rule(("get", "list", "watch", "update"), "", "persistentvolumeclaims"),
        rule(("get", "list", "watch"), "", "pods"),
        EVENT_RULE,
    ],
    "pod-garbage-collector": [
        rule(("delete", "list", "watch"), "", "pods"),
        rule(READ, "", "nodes"),
        rule("patch", "", "pods/status"),
    ],
    "replicaset-controller": [
        rule(("get", "list", "update", "watch"), ("apps", "extensions"), "replicasets"),
        rule("update", ("apps", "extensions"), "replicasets/status"),
        rule("update", ("apps", "extensions"), "replicasets/finalizers"),
        rule(("create", "delete", "list", "patch", "watch"), "", "pods"),
        EVENT_RULE,
    ],
    "resourcequota-controller": [
        rule(("list", "watch"), "*", "*"),
        rule("update", "", "resourcequotas/status"),
        EVENT_RULE,
    ],
    "root-ca-cert-publisher": [rule(("create", "update"), "", "configmaps"), EVENT_RULE],
    "service-account-controller": [rule("create", "", "serviceaccounts"), EVENT_RULE],
    "service-controller": [
        rule(("get", "list", "watch"), "", "services"),
        rule(("patch", "update"), "", ("services", "services/status")),
        rule(("list", "watch"), "", "nodes"),
        EVENT_RULE,
    ],
    "statefulset-controller": [
        rule(("list", "watch"), "", "pods"),
        rule(READ, "apps", "statefulsets"),
        rule("update", "apps", "statefulsets/status"),
        rule("update", "apps", "statefulsets/finalizers"),
        rule(("get", "create", "delete", "update", "patch"), "", "pods"),
        rule(("get", "create", "delete", "update", "patch", "list", "watch"), "apps", "controllerrevisions"),
        rule(("get", "create"), "", "persistentvolumeclaims"),
        rule(("update", "delete"), "", "persistentvolumeclaims"),  # StatefulSetAutoDeletePVC (on in 1.32)
        EVENT_RULE,
    ],
    "ttl-after-finished-controller": [rule(("get", "list", "watch", "delete"), "batch", "jobs"), EVENT_RULE],
}

#: Aggregated roles: name → (the label its sources carry, the label it carries itself).
_AGGREGATED = {
    "admin": ("rbac.authorization.k8s.io/aggregate-to-admin", None),
    "edit": ("rbac.authorization.k8s.io/aggregate-to-edit", "rbac.authorization.k8s.io/aggregate-to-admin"),
    "view": ("rbac.authorization.k8s.io/aggregate-to-view", "rbac.authorization.k8s.io/aggregate-to-edit"),
}
_SOURCE_LABELS = {
    "system:aggregate-to-admin": "rbac.authorization.k8s.io/aggregate-to-admin",
    "system:aggregate-to-edit": "rbac.authorization.k8s.io/aggregate-to-edit",
    "system:aggregate-to-view": "rbac.authorization.k8s.io/aggregate-to-view",
}

#: ClusterRoleBindings: name → (role, subjects as (kind, name, namespace)).
_CLUSTER_ROLE_BINDINGS: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
    "cluster-admin": ("cluster-admin", [("Group", "system:masters", "")]),
    "system:basic-user": ("system:basic-user", [("Group", "system:authenticated", "")]),
    "system:discovery": ("system:discovery", [("Group", "system:authenticated", "")]),
    "system:public-info-viewer": (
        "system:public-info-viewer",
        [("Group", "system:authenticated", ""), ("Group", "system:unauthenticated", "")],
    ),
    "system:kube-controller-manager": (
        "system:kube-controller-manager",
        [("User", "system:kube-controller-manager", "")],
    ),
    "system:kube-scheduler": ("system:kube-scheduler", [("User", "system:kube-scheduler", "")]),
    "system:volume-scheduler": ("system:volume-scheduler", [("User", "system:kube-scheduler", "")]),
    "system:node-proxier": ("system:node-proxier", [("User", "system:kube-proxy", "")]),
}
#: kubeadm's own bindings (not `rbac-defaults`): its admin group, and kube-proxy's account.
_KUBEADM_BINDINGS: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
    "kubeadm:cluster-admins": ("cluster-admin", [("Group", "kubeadm:cluster-admins", "")]),
    "kubeadm:node-proxier": ("system:node-proxier", [("ServiceAccount", "kube-proxy", "kube-system")]),
}


def _cluster_role(
    name: str, rules: list[Obj] | None, labels: dict[str, str], aggregate: str | None = None
) -> Obj:
    obj: Obj = {
        "apiVersion": RBAC_API_VERSION,
        "kind": "ClusterRole",
        "metadata": {"name": name, "labels": {**BOOTSTRAPPING, **labels}, "annotations": dict(AUTOUPDATE)},
        "rules": [dict(r) for r in rules] if rules is not None else None,
    }
    if aggregate:
        obj["aggregationRule"] = {"clusterRoleSelectors": [{"matchLabels": {aggregate: "true"}}]}
    return obj


def _binding(name: str, role: str, subjects: list[tuple[str, str, str]], bootstrap: bool) -> Obj:
    meta: Obj = {"name": name}
    if bootstrap:
        meta["labels"] = dict(BOOTSTRAPPING)
        meta["annotations"] = dict(AUTOUPDATE)
    out = []
    for kind, subject, namespace in subjects:
        s: Obj = {"kind": kind, "name": subject}
        if kind == "ServiceAccount":
            s["namespace"] = namespace
        else:
            s["apiGroup"] = RBAC_GROUP
        out.append(s)
    return {
        "apiVersion": RBAC_API_VERSION,
        "kind": "ClusterRoleBinding",
        "metadata": meta,
        "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": role},
        "subjects": out,
    }


def bootstrap_objects() -> list[Obj]:
    """The ClusterRoles, then the ClusterRoleBindings, as a fresh kubeadm cluster has them."""
    roles: list[Obj] = []
    for name, (source, own) in _AGGREGATED.items():
        roles.append(_cluster_role(name, None, {own: "true"} if own else {}, aggregate=source))
    for name, rules in _CLUSTER_ROLES.items():
        label = _SOURCE_LABELS.get(name)
        roles.append(_cluster_role(name, rules, {label: "true"} if label else {}))
    for name, rules in _CONTROLLER_ROLES.items():
        roles.append(_cluster_role(f"system:controller:{name}", rules, {}))
    bindings = [_binding(n, role, subjects, True) for n, (role, subjects) in _CLUSTER_ROLE_BINDINGS.items()]
    for name in _CONTROLLER_ROLES:
        role = f"system:controller:{name}"
        bindings.append(_binding(role, role, [("ServiceAccount", name, "kube-system")], True))
    bindings += [_binding(n, role, subjects, False) for n, (role, subjects) in _KUBEADM_BINDINGS.items()]
    return sorted(roles, key=lambda o: o["metadata"]["name"]) + sorted(
        bindings, key=lambda o: o["metadata"]["name"]
    )
