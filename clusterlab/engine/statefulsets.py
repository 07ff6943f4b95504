"""StatefulSet and ControllerRevision in the API server: defaulting, validation, update rules.

Defaulting follows `pkg/apis/apps/v1/defaults.go` (`SetDefaults_StatefulSet`, Kubernetes
1.32): `podManagementPolicy: OrderedReady`; an absent update strategy becomes `RollingUpdate`
with `rollingUpdate.partition: 0` (a `RollingUpdate` strategy given without `rollingUpdate`
stays without it, as in Kubernetes); `persistentVolumeClaimRetentionPolicy` Retain/Retain
(the StatefulSetAutoDeletePVC gate is on by default in 1.32); `replicas: 1`;
`revisionHistoryLimit: 10`. Each volume claim template is an embedded PersistentVolumeClaim
and comes back as one: `apiVersion: v1`, `kind: PersistentVolumeClaim`, `volumeMode:
Filesystem` and `status.phase: Pending`, as a real server shows it.

Validation follows `pkg/apis/apps/validation` (`ValidateStatefulSetSpec`): the policy and
strategy values, non-negative replicas, minReadySeconds, partition and `ordinals.start`, a
selector that is not empty and matches the template's labels, `restartPolicy: Always`, no
`activeDeadlineSeconds`, the claim retention policy values. Like Kubernetes 1.32 it does not
validate the pod spec of the template (a template without containers is stored; its pods
then fail to create) nor `serviceName` (the OpenAPI lists it as required, the API server does
not check it) nor the claim templates' own specs (those are checked when a claim is created).
On update only `replicas`, `ordinals`, `template`, `updateStrategy`, `revisionHistoryLimit`,
`persistentVolumeClaimRetentionPolicy` and `minReadySeconds` may change.

A ControllerRevision's `data` is immutable and required, its `revision` non-negative.
"""

from __future__ import annotations

from typing import Any

from .jsonutil import copy_json
from .workload_validation import always_running_template_causes, nonnegative_causes, workload_selector_causes

Obj = dict[str, Any]
Causes = list[tuple[str, str]]

#: Labels the StatefulSet controller puts on its pods (k8s.io/api/apps/v1 constants).
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
REVISION_LABEL = "controller-revision-hash"

MUTABLE_SPEC_FIELDS = (
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "revisionHistoryLimit",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
)
_UPDATE_FORBIDDEN = (
    "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
    "'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and "
    "'minReadySeconds' are forbidden"
)
_RETENTION = ("Retain", "Delete")


def default_statefulset(sts: Obj) -> None:
    """`SetDefaults_StatefulSet`, plus the template's defaults (`_default_template`)."""
    spec = sts.setdefault("spec", {})
    if not spec.get("podManagementPolicy"):
        spec["podManagementPolicy"] = "OrderedReady"
    strategy = spec.setdefault("updateStrategy", {})
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
        strategy.setdefault("rollingUpdate", {})
    if strategy["type"] == "RollingUpdate" and isinstance(strategy.get("rollingUpdate"), dict):
        strategy["rollingUpdate"].setdefault("partition", 0)
    policy = spec.get("persistentVolumeClaimRetentionPolicy")
    if not isinstance(policy, dict):
        policy = spec["persistentVolumeClaimRetentionPolicy"] = {}
    for when in ("whenDeleted", "whenScaled"):
        if not policy.get(when):
            policy[when] = "Retain"
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    for claim in spec.get("volumeClaimTemplates") or ():
        if isinstance(claim, dict):
            _default_claim_template(claim)
    from .defaulting import _default_template

    _default_template(sts)


def _default_claim_template(claim: Obj) -> None:
    """An embedded PersistentVolumeClaim: its type meta, `SetDefaults_PersistentVolumeClaim`
    (`volumeMode: Filesystem`, phase Pending) and the null creationTimestamp of an ObjectMeta."""
    claim.setdefault("apiVersion", "v1")
    claim.setdefault("kind", "PersistentVolumeClaim")
    claim.setdefault("metadata", {}).setdefault("creationTimestamp", None)
    claim.setdefault("spec", {}).setdefault("volumeMode", "Filesystem")
    status = claim.setdefault("status", {})
    if not status.get("phase"):
        status["phase"] = "Pending"


def _go_struct_strategy(strategy: Obj) -> str:
    """`%#v` of an `apps.StatefulSetUpdateStrategy` in a field error (pointers print as such)."""
    ru = "(*apps.RollingUpdateStatefulSetStrategy)(nil)"
    if strategy.get("rollingUpdate") is not None:
        ru = "(*apps.RollingUpdateStatefulSetStrategy)(0xc000000000)"
    return f'apps.StatefulSetUpdateStrategy{{Type:"{strategy.get("type", "")}", RollingUpdate:{ru}}}'


def statefulset_causes(obj: Obj) -> Causes:
    """`ValidateStatefulSet`: the name and `ValidateStatefulSetSpec`."""
    from .validation import label_causes, name_causes

    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    causes: Causes = []
    name = (obj.get("metadata") or {}).get("name")
    if isinstance(name, str) and name:  # a StatefulSet's name is a DNS label (its pods' hostnames)
        causes += [c for c in name_causes(name, label=True) if c not in name_causes(name)]
    policy = spec.get("podManagementPolicy")
    if policy not in ("OrderedReady", "Parallel"):
        causes.append(
            ("spec.podManagementPolicy", f"Invalid value: \"{policy}\": must be 'OrderedReady' or 'Parallel'")
        )
    strategy = spec.get("updateStrategy") or {}
    stype = strategy.get("type")
    if stype == "OnDelete":
        if strategy.get("rollingUpdate") is not None:
            causes.append(
                (
                    "spec.updateStrategy.rollingUpdate",
                    "Invalid value: &apps.RollingUpdateStatefulSetStrategy{Partition:"
                    f"{int((strategy['rollingUpdate'] or {}).get('partition') or 0)}, "
                    "MaxUnavailable:(*intstr.IntOrString)(nil)}: only allowed for updateStrategy "
                    "'RollingUpdate'",
                )
            )
    elif stype == "RollingUpdate":
        ru = strategy.get("rollingUpdate") or {}
        causes += nonnegative_causes(ru.get("partition"), "spec.updateStrategy.rollingUpdate.partition")
    else:
        causes.append(
            (
                "spec.updateStrategy",
                f"Invalid value: {_go_struct_strategy(strategy)}: must be 'RollingUpdate' or 'OnDelete'",
            )
        )
    retention = spec.get("persistentVolumeClaimRetentionPolicy") or {}
    for when in ("whenDeleted", "whenScaled"):
        value = retention.get(when)
        if value not in _RETENTION:
            causes.append(
                (
                    f"spec.persistentVolumeClaimRetentionPolicy.{when}",
                    f'Unsupported value: "{value}": supported values: "Retain", "Delete"',
                )
            )
    replicas = spec.get("replicas")
    if not isinstance(replicas, int) or isinstance(replicas, bool):
        causes.append(("spec.replicas", f"Invalid value: {replicas!r}: must be an integer"))
    causes += nonnegative_causes(replicas, "spec.replicas")
    causes += nonnegative_causes(spec.get("minReadySeconds"), "spec.minReadySeconds")
    causes += nonnegative_causes((spec.get("ordinals") or {}).get("start"), "spec.ordinals.start")
    template = spec.get("template") if isinstance(spec.get("template"), dict) else {}
    template_labels = (template.get("metadata") or {}).get("labels") or {}
    causes += workload_selector_causes(spec.get("selector"), template_labels, "statefulset")
    causes += label_causes(template_labels, "spec.template.labels")
    pod_spec = template.get("spec") if isinstance(template.get("spec"), dict) else {}
    causes += always_running_template_causes(pod_spec, "StatefulSet")
    return causes


def statefulset_update_causes(old: Obj, new: Obj) -> Causes:
    """`ValidateStatefulSetUpdate`: everything but the mutable fields stays as it was."""
    a, b = copy_json(old.get("spec") or {}), copy_json(new.get("spec") or {})
    for spec in (a, b):
        for f in MUTABLE_SPEC_FIELDS:
            spec.pop(f, None)
    return [] if a == b else [("spec", _UPDATE_FORBIDDEN)]


def controller_revision_causes(obj: Obj) -> Causes:
    """`ValidateControllerRevision`: data is mandatory, the revision is not negative."""
    causes: Causes = []
    if obj.get("data") is None:
        causes.append(("data", "Required value: data is mandatory"))
    revision = obj.get("revision")
    if not isinstance(revision, int) or isinstance(revision, bool):
        causes.append(("revision", f"Invalid value: {revision!r}: must be an integer"))
    else:
        causes += nonnegative_causes(revision, "revision")
    return causes


def controller_revision_update_causes(old: Obj, new: Obj) -> Causes:
    """`ValidateControllerRevisionUpdate`: the data may not change."""
    if old.get("data") != new.get("data"):
        return [("data", "Invalid value: runtime.RawExtension{...}: field is immutable")]
    return []


def empty_status() -> Obj:
    """A new StatefulSet's status as the API server stores it (`replicas` and
    `availableReplicas` are serialised even when zero)."""
    return {"replicas": 0, "availableReplicas": 0}
