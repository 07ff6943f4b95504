"""Per-kind rules the API server applies on create, update and delete (its registry "strategies").

In Kubernetes each resource's REST storage has a strategy: `PrepareForCreate` (a new pod's
status is reset to Pending with its QoS class), `ValidateUpdate` (most of a pod's spec, and a
Deployment's selector, are immutable), and for pods a graceful-deletion period (30 s unless the
pod never ran anywhere or already finished).
"""

from __future__ import annotations

from typing import Any

from . import autoscaling, batch_api, daemonsets, persistent_volumes, services, statefulsets
from .affinity_label_keys import apply_label_keys
from .disruption_budgets import empty_status
from .jsonutil import copy_json

Obj = dict[str, Any]


def grace_period(kind: str, obj: Obj, requested: int | None) -> int:
    """Pods terminate gracefully (30 s default) unless unscheduled or already finished."""
    if kind != "Pod":
        return 0
    if not obj["spec"].get("nodeName") or obj.get("status", {}).get("phase") in ("Succeeded", "Failed"):
        return 0
    if requested is not None:
        return max(0, int(requested))
    return int(obj["spec"].get("terminationGracePeriodSeconds", 30))


def qos_class(spec: Obj) -> str:
    """`qos.GetPodQOS`: Guaranteed, Burstable or BestEffort from requests and limits."""
    containers = (spec.get("containers") or []) + (spec.get("initContainers") or [])
    any_set = False
    guaranteed = True
    for c in containers:
        res = c.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        if req or lim:
            any_set = True
        for r in ("cpu", "memory"):
            if r not in lim or str(req.get(r, lim.get(r))) != str(lim[r]):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def prepare_for_create(kind: str, obj: Obj) -> None:
    if kind == "Pod":
        obj["status"] = {"phase": "Pending", "qosClass": qos_class(obj["spec"])}
        apply_label_keys(obj)  # mutatePodAffinity
        if obj["spec"].get("schedulingGates"):
            obj["status"] = {"phase": "Pending", "conditions": [_scheduling_gated(obj)], **obj["status"]}
    elif kind in ("Deployment", "ReplicaSet"):
        obj["status"] = {}
    elif kind == "StatefulSet":
        obj["status"] = statefulsets.empty_status()
    elif kind == "DaemonSet":
        daemonsets.prepare_for_create(obj)
    elif kind == "Job":
        batch_api.prepare_job_for_create(obj)
    elif kind == "CronJob":
        batch_api.prepare_cronjob_for_create(obj)
    elif kind == "Namespace":
        obj["status"] = {"phase": "Active"}
    elif kind == "ResourceQuota":
        obj["status"] = {}  # the resource quota controller fills it in
    elif kind == "PodDisruptionBudget":
        obj["status"] = empty_status()  # the disruption controller fills it in
    elif kind == "HorizontalPodAutoscaler":
        obj["status"] = autoscaling.empty_status()  # the HPA controller fills it in
    elif kind == "Ingress":
        obj["status"] = {"loadBalancer": {}}  # the ingress controller fills it in
    elif kind == "PersistentVolume":
        persistent_volumes.prepare_volume_for_create(obj, obj["metadata"].get("creationTimestamp") or "")
    elif kind == "PersistentVolumeClaim":
        persistent_volumes.prepare_claim_for_create(obj)


def prepare_for_update(kind: str, old: Obj, new: Obj) -> None:
    """`PrepareForUpdate` for the kinds that change fields of an update (after validation)."""
    if kind == "DaemonSet":
        daemonsets.prepare_for_update(old, new)


def _scheduling_gated(pod: Obj) -> Obj:
    """`applySchedulingGatedCondition`: a pod created with scheduling gates starts with
    PodScheduled=False, reason SchedulingGated (what `kubectl get pods` shows as STATUS)."""
    return {
        "type": "PodScheduled",
        "status": "False",
        "lastProbeTime": None,
        "lastTransitionTime": pod["metadata"].get("creationTimestamp"),
        "reason": "SchedulingGated",
        "message": "Scheduling is blocked due to non-empty scheduling gates",
    }


def _new_scheduling_gates(old: Obj, new: Obj) -> list[tuple[str, str]]:
    """`validateOnlyDeletedSchedulingGates`: gates may only be removed after creation."""
    had = {g.get("name") for g in old["spec"].get("schedulingGates") or ()}
    return [
        (
            f"spec.schedulingGates[{i}].name",
            f"Forbidden: only deletion is allowed, but found new scheduling gate '{g.get('name')}'",
        )
        for i, g in enumerate(new["spec"].get("schedulingGates") or ())
        if g.get("name") not in had
    ]


_POD_MUTABLE_MSG = (
    "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
    "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set "
    "to 1 if it was previously negative)"
)


def immutable_causes(kind: str, old: Obj, new: Obj) -> list[tuple[str, str]]:
    if kind in ("ConfigMap", "Secret"):
        from .configmaps import configmap_update_causes
        from .secrets import secret_update_causes

        return (configmap_update_causes if kind == "ConfigMap" else secret_update_causes)(old, new)
    if kind == "Job":
        return batch_api.job_update_causes(old, new)
    if kind == "PriorityClass":
        from .priority_classes import priority_class_update_causes

        return priority_class_update_causes(old, new)
    if kind in ("RoleBinding", "ClusterRoleBinding"):
        from .rbac_validation import rbac_update_causes

        return rbac_update_causes(kind, old, new)
    if kind == "Service":
        return services.update_causes(old, new)
    if kind == "IngressClass":
        from .ingresses import ingress_class_update_causes

        return ingress_class_update_causes(old, new)
    if kind in persistent_volumes.UPDATE_CAUSES:
        return persistent_volumes.UPDATE_CAUSES[kind](old, new)
    if kind == "StatefulSet":
        return statefulsets.statefulset_update_causes(old, new)
    if kind == "ControllerRevision":
        return statefulsets.controller_revision_update_causes(old, new)
    if kind == "DaemonSet":
        return daemonsets.daemonset_update_causes(old, new)
    if kind == "Pod":
        gates = _new_scheduling_gates(old, new)
        a, b = copy_json(old["spec"]), copy_json(new["spec"])
        for spec in (a, b):
            for c in spec.get("containers", []) + spec.get("initContainers", []):
                c.pop("image", None)
            spec.pop("activeDeadlineSeconds", None)
            spec.pop("tolerations", None)
            spec.pop("schedulingGates", None)
        if gates:
            return gates
        if a != b:
            return [("spec", _POD_MUTABLE_MSG)]
        old_tols = old["spec"].get("tolerations") or []
        new_tols = new["spec"].get("tolerations") or []
        if any(t not in new_tols for t in old_tols):
            return [("spec", _POD_MUTABLE_MSG)]
    if kind in ("Deployment", "ReplicaSet") and old["spec"].get("selector") != new["spec"].get("selector"):
        return [
            (
                "spec.selector",
                f"Invalid value: {_selector_text(new['spec'].get('selector'))}: field is immutable",
            )
        ]
    return []


def _selector_text(sel: Any) -> str:
    """The selector as Go's `%#v` prints a `metav1.LabelSelector` in a field error."""
    sel = sel if isinstance(sel, dict) else {}
    labels = sel.get("matchLabels")
    exprs = sel.get("matchExpressions")
    if labels:
        pairs = ", ".join(f"{_go_quote(k)}:{_go_quote(v)}" for k, v in sorted(labels.items()))
        labels_text = f"map[string]string{{{pairs}}}"
    else:
        labels_text = "map[string]string(nil)"
    if exprs:
        items = ", ".join(
            "v1.LabelSelectorRequirement{"
            f"Key:{_go_quote(e.get('key', ''))}, Operator:{_go_quote(e.get('operator', ''))}, Values:"
            + (
                "[]string{" + ", ".join(_go_quote(v) for v in e["values"]) + "}"
                if e.get("values")
                else "[]string(nil)"
            )
            + "}"
            for e in exprs
        )
        exprs_text = f"[]v1.LabelSelectorRequirement{{{items}}}"
    else:
        exprs_text = "[]v1.LabelSelectorRequirement(nil)"
    return f"v1.LabelSelector{{MatchLabels:{labels_text}, MatchExpressions:{exprs_text}}}"


def _go_quote(text: Any) -> str:
    """Go's `%q` for the plain strings labels are made of."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'
