"""Admission: the plugins every write passes through, in kube-apiserver's order.

Mutating plugins run on the decoded, defaulted object before it is named and validated;
validating plugins run after the object's own validation, just before it is stored:
- LimitRanger (`limit_ranges.py`): fills in container defaults, then checks min/max/ratio;
- ServiceAccount (`serviceaccount_admission.py`): the pod's account (`default`), which must
  exist, and its API token volume;
- DefaultTolerationSeconds: pods get `node.kubernetes.io/not-ready` and
  `node.kubernetes.io/unreachable` NoExecute tolerations for 300 s unless they set their own,
  which is why a pod on a dead node is evicted about five minutes after its node is tainted;
- Priority (`priority_classes.py`): a pod's priority from its PriorityClass or the global
  default; one default class at most;
- DefaultIngressClass (`ingresses.py`): an Ingress created without a class gets the newest
  IngressClass annotated as the default;
- DefaultStorageClass and StorageObjectInUseProtection (`persistent_volumes.py`): a claim
  without a class gets the default StorageClass; claims and volumes get their protection
  finalizers;
- ResourceQuota (`resource_quotas.py`), last: refuses what would exceed a quota and charges
  what it admits.
NamespaceLifecycle is enforced by the API server itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import limit_ranges, persistent_volumes, priority_classes, resource_quotas, serviceaccount_admission
from .audit import User
from .jsonutil import copy_json
from .kinds import Kind

if TYPE_CHECKING:
    from .apiserver import APIServer

Obj = dict[str, Any]
#: The API server's loopback identity, which writes the quota charges.
APISERVER = User("system:apiserver", "kube-apiserver")

DEFAULT_TOLERATION_SECONDS = 300
NOT_READY_TAINT = "node.kubernetes.io/not-ready"
UNREACHABLE_TAINT = "node.kubernetes.io/unreachable"


def default_toleration_seconds(pod: dict[str, Any]) -> None:
    spec = pod.setdefault("spec", {})
    tolerations = spec.setdefault("tolerations", [])
    has_not_ready = has_unreachable = False
    for t in tolerations:
        if t.get("effect") in ("NoExecute", None, "") and t.get("operator") == "Exists" and not t.get("key"):
            has_not_ready = has_unreachable = True
        if t.get("effect") in ("NoExecute", None, ""):
            if t.get("key") == NOT_READY_TAINT:
                has_not_ready = True
            elif t.get("key") == UNREACHABLE_TAINT:
                has_unreachable = True
    if not has_not_ready:
        tolerations.append(
            {
                "key": NOT_READY_TAINT,
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": DEFAULT_TOLERATION_SECONDS,
            }
        )
    if not has_unreachable:
        tolerations.append(
            {
                "key": UNREACHABLE_TAINT,
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": DEFAULT_TOLERATION_SECONDS,
            }
        )


def _limit_ranges(server: APIServer, ns: str | None) -> list[Obj]:
    return sorted(server.store.iter("limitranges", ns), key=lambda o: o["metadata"]["name"]) if ns else []


def _priority_classes(server: APIServer) -> dict[str, Obj]:
    return {pc["metadata"]["name"]: pc for pc in server.store.iter("priorityclasses")}


def admit_create(server: APIServer, kind: Kind, obj: Obj, requested_name: str) -> None:
    """The mutating plugins, in kube-apiserver's order (LimitRanger, ServiceAccount,
    DefaultTolerationSeconds, Priority). `requested_name`: the name or generateName the request
    carried (names are generated after mutating admission, so these plugins' refusals quote the
    generateName)."""
    if kind.kind == "Pod":
        ns = obj["metadata"].get("namespace") or ""
        limit_ranges.mutate_pod(obj, _limit_ranges(server, ns))
        serviceaccount_admission.admit_pod(
            obj, requested_name, ns, lambda name: server.store.get("serviceaccounts", ns, name), server.rng
        )
        default_toleration_seconds(obj)
        priority_classes.admit_pod(obj, requested_name, _priority_classes(server))
    elif kind.kind == "Ingress":  # DefaultIngressClass
        from .ingresses import admit_ingress

        admit_ingress(obj, list(server.store.iter("ingressclasses")))
    elif kind.kind == "PersistentVolumeClaim":  # DefaultStorageClass, StorageObjectInUseProtection
        persistent_volumes.admit_claim(obj, server.store.iter("storageclasses"))
    elif kind.kind == "PersistentVolume":  # StorageObjectInUseProtection
        persistent_volumes.admit_volume(obj)


def admit_update(server: APIServer, kind: Kind, old: Obj, new: Obj) -> None:
    """The mutating plugins on an update: Priority keeps a pod's computed priority."""
    if kind.kind == "Pod":
        priority_classes.admit_pod_update(old, new)


def validate_create(server: APIServer, kind: Kind, obj: Obj) -> None:
    """The validating plugins on a create, after the object's own validation: LimitRanger,
    Priority (one default PriorityClass), and last ResourceQuota, which charges the request to
    the namespace's quotas by writing their status as the API server."""
    ns = obj["metadata"].get("namespace")
    if kind.kind == "Pod":
        limit_ranges.validate_pod(obj, _limit_ranges(server, ns))
    elif kind.kind == "PersistentVolumeClaim":
        limit_ranges.validate_claim(obj, _limit_ranges(server, ns))
    elif kind.kind == "PriorityClass":
        priority_classes.validate_priority_class(obj, _priority_classes(server), creating=True)
    if ns is None:
        return
    quotas = list(server.store.iter("resourcequotas", ns))
    charges = resource_quotas.check(kind, obj, quotas, server.clock.now, server.epoch)
    if server.dry_running:
        return  # a dry run is checked against the quotas but charges nothing
    for rq, new_usage in charges:
        charged = copy_json(rq)
        charged["status"] = resource_quotas.charged_status(rq, new_usage)
        server.update(APISERVER, charged, subresource="status", field_manager="kube-apiserver")


def validate_update(server: APIServer, kind: Kind, old: Obj, new: Obj) -> None:
    """The validating plugins on an update."""
    if kind.kind == "PersistentVolumeClaim":
        limit_ranges.validate_claim(new, _limit_ranges(server, new["metadata"].get("namespace")))
    elif kind.kind == "PriorityClass":
        priority_classes.validate_priority_class(new, _priority_classes(server), creating=False)


def check_delete(kind: Kind, name: str) -> None:
    """What the registries refuse to delete (here: the system PriorityClasses)."""
    if kind.kind == "PriorityClass":
        priority_classes.check_delete(name)
