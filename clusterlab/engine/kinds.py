"""The resource registry: every kind the simulated API server serves.

Like the real API server's scheme + REST storage map, each entry says what a resource is
called (kind, plural, singular, short names — so `po`, `pod`, `pods` and `Pod` all resolve),
where it lives (API group/version, namespaced or cluster-scoped), which fields a field
selector may use, and whether it has a `status` subresource. Later kinds are added by
registering them here; the API server, kubectl layer and UI are driven by this table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import NotFound
from .jsonutil import dig
from .selectors import FieldGetter


def _meta(name: str) -> FieldGetter:
    return lambda o: dig(o, "metadata", name)


def _path(*keys: str) -> FieldGetter:
    return lambda o: dig(o, *keys)


_COMMON_FIELDS: dict[str, FieldGetter] = {
    "metadata.name": _meta("name"),
    "metadata.namespace": _meta("namespace"),
}


@dataclass(frozen=True)
class Kind:
    kind: str
    plural: str
    group: str
    version: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    has_status: bool = True
    categories: tuple[str, ...] = ()
    extra_fields: dict[str, FieldGetter] = field(default_factory=dict)
    #: Versions served beside `version` (the storage and preferred one), newest first;
    #: `conversion.py` converts them.
    other_versions: tuple[str, ...] = ()

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def versions(self) -> tuple[str, ...]:
        """Every served version, the storage (preferred) one first."""
        return (self.version, *self.other_versions)

    @property
    def fields(self) -> dict[str, FieldGetter]:
        return {**_COMMON_FIELDS, **self.extra_fields}

    @property
    def qualified(self) -> str:
        """`deployments.apps`, `pods`: the name used in messages and RBAC."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


RBAC = "rbac.authorization.k8s.io"

KINDS: list[Kind] = [
    Kind(
        "Namespace",
        "namespaces",
        "",
        "v1",
        False,
        ("ns",),
        extra_fields={"status.phase": _path("status", "phase")},
    ),
    Kind(
        "Node",
        "nodes",
        "",
        "v1",
        False,
        ("no",),
        extra_fields={"spec.unschedulable": lambda o: str(bool(dig(o, "spec", "unschedulable"))).lower()},
    ),
    Kind(
        "Pod",
        "pods",
        "",
        "v1",
        True,
        ("po",),
        categories=("all",),
        extra_fields={
            "spec.nodeName": _path("spec", "nodeName"),
            "spec.restartPolicy": _path("spec", "restartPolicy"),
            "spec.schedulerName": _path("spec", "schedulerName"),
            "spec.serviceAccountName": _path("spec", "serviceAccountName"),
            "status.phase": _path("status", "phase"),
            "status.podIP": _path("status", "podIP"),
            "status.nominatedNodeName": _path("status", "nominatedNodeName"),
        },
    ),
    Kind(
        "ReplicaSet",
        "replicasets",
        "apps",
        "v1",
        True,
        ("rs",),
        categories=("all",),
        extra_fields={"status.replicas": lambda o: str(dig(o, "status", "replicas", default=0))},
    ),
    Kind("Deployment", "deployments", "apps", "v1", True, ("deploy",), categories=("all",)),
    Kind("StatefulSet", "statefulsets", "apps", "v1", True, ("sts",), categories=("all",)),
    Kind("ControllerRevision", "controllerrevisions", "apps", "v1", True, has_status=False),
    Kind("DaemonSet", "daemonsets", "apps", "v1", True, ("ds",), categories=("all",)),
    Kind("Job", "jobs", "batch", "v1", True, categories=("all",)),
    Kind("CronJob", "cronjobs", "batch", "v1", True, ("cj",), categories=("all",)),
    Kind(
        "Event",
        "events",
        "",
        "v1",
        True,
        ("ev",),
        has_status=False,
        extra_fields={
            "involvedObject.kind": _path("involvedObject", "kind"),
            "involvedObject.namespace": _path("involvedObject", "namespace"),
            "involvedObject.name": _path("involvedObject", "name"),
            "involvedObject.uid": _path("involvedObject", "uid"),
            "involvedObject.apiVersion": _path("involvedObject", "apiVersion"),
            "involvedObject.resourceVersion": _path("involvedObject", "resourceVersion"),
            "involvedObject.fieldPath": _path("involvedObject", "fieldPath"),
            "reason": _path("reason"),
            "reportingComponent": _path("reportingComponent"),
            "source": _path("source", "component"),
            "type": _path("type"),
        },
    ),
    Kind("Lease", "leases", "coordination.k8s.io", "v1", True, has_status=False),
    Kind("Service", "services", "", "v1", True, ("svc",), categories=("all",)),
    Kind("Endpoints", "endpoints", "", "v1", True, ("ep",), has_status=False),
    Kind("EndpointSlice", "endpointslices", "discovery.k8s.io", "v1", True, has_status=False),
    Kind("ServiceAccount", "serviceaccounts", "", "v1", True, ("sa",), has_status=False),
    Kind("Role", "roles", RBAC, "v1", True, has_status=False),
    Kind("ClusterRole", "clusterroles", RBAC, "v1", False, has_status=False),
    Kind("RoleBinding", "rolebindings", RBAC, "v1", True, has_status=False),
    Kind("ClusterRoleBinding", "clusterrolebindings", RBAC, "v1", False, has_status=False),
    Kind("LimitRange", "limitranges", "", "v1", True, ("limits",), has_status=False),
    Kind("ResourceQuota", "resourcequotas", "", "v1", True, ("quota",)),
    Kind("PriorityClass", "priorityclasses", "scheduling.k8s.io", "v1", False, ("pc",), has_status=False),
    Kind("PodDisruptionBudget", "poddisruptionbudgets", "policy", "v1", True, ("pdb",)),
    Kind(
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        "autoscaling",
        "v2",
        True,
        ("hpa",),
        categories=("all",),
        other_versions=("v1",),
    ),
    Kind("ConfigMap", "configmaps", "", "v1", True, ("cm",), has_status=False),
    Kind("Secret", "secrets", "", "v1", True, has_status=False, extra_fields={"type": _path("type")}),
    Kind("NetworkPolicy", "networkpolicies", "networking.k8s.io", "v1", True, ("netpol",), has_status=False),
    Kind("Ingress", "ingresses", "networking.k8s.io", "v1", True, ("ing",)),
    Kind("IngressClass", "ingressclasses", "networking.k8s.io", "v1", False, has_status=False),
    Kind("PersistentVolume", "persistentvolumes", "", "v1", False, ("pv",)),
    Kind("PersistentVolumeClaim", "persistentvolumeclaims", "", "v1", True, ("pvc",)),
    Kind("StorageClass", "storageclasses", "storage.k8s.io", "v1", False, ("sc",), has_status=False),
]

_BY_NAME: dict[str, Kind] = {}
for _k in KINDS:
    for _alias in (
        _k.kind.lower(),
        _k.plural,
        _k.singular,
        _k.qualified,
        f"{_k.singular}.{_k.group}",
        *_k.short_names,
    ):
        _BY_NAME[_alias] = _k


def resolve(name: str) -> Kind:
    """Find a kind by any name kubectl accepts (`deploy`, `deployment`, `deployments.apps`, `Deployment`)."""
    kind = _BY_NAME.get(name.lower()) or _BY_NAME.get(name.lower().split("/")[0])
    if kind is None:
        raise NotFound(f'the server doesn\'t have a resource type "{name}"')
    return kind


def for_object(obj: dict[str, Any]) -> Kind:
    """The kind of a manifest, checked against its apiVersion."""
    from .errors import BadRequest

    kind_name = obj.get("kind")
    api_version = obj.get("apiVersion")
    if not kind_name or not api_version:
        missing = "kind" if not kind_name else "apiVersion"
        raise BadRequest(f"Object '{missing}' is missing in '{_short(obj)}'")
    for k in KINDS:
        if k.kind == kind_name:
            if k.api_version != api_version:
                raise BadRequest(f'no matches for kind "{kind_name}" in version "{api_version}"')
            return k
    raise BadRequest(f'no matches for kind "{kind_name}" in version "{api_version}"')


def _short(obj: dict[str, Any]) -> str:
    import json

    text = json.dumps(obj, separators=(",", ":"))
    return text if len(text) < 120 else text[:117] + "..."
