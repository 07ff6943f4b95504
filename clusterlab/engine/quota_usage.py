"""Quota evaluators: what an object costs against a ResourceQuota, shared by the ResourceQuota
admission plugin and the resource quota controller (`k8s.io/kubernetes/pkg/quota/v1/evaluator`).

- Pods: `count/pods` always; while the pod is not finished (and not past its deletion grace),
  also `pods` and its compute resources: `requests.cpu` (alias `cpu`), `requests.memory`
  (alias `memory`), `limits.cpu`, `limits.memory`, the ephemeral-storage trio, hugepages and
  extended resources. A pod's requests are its containers' plus sidecars', or an init
  container's if larger. Scopes `Terminating`/`NotTerminating` (activeDeadlineSeconds),
  `BestEffort`/`NotBestEffort` (QoS class) and `PriorityClass` (scope selector on the class
  name) pick which pods a quota counts. A quota that tracks cpu or memory requires every
  container to state it: `must specify limits.cpu for: app`.
- Everything else namespaced: `count/<resource>.<group>` (`count/deployments.apps`), plus the
  legacy names `services`, `configmaps`, `secrets`, `persistentvolumeclaims`,
  `replicationcontrollers`, `resourcequotas`; Services also `services.loadbalancers` and
  `services.nodeports`, claims `requests.storage`. Quotas with scopes never match them.

Simplified: PersistentVolumeClaims' per-StorageClass resources are not evaluated.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .kinds import Kind
from .quantity import QuantityError
from .quantity_format import Quantity, ResourceList, add
from .selectors import parse_label_selector
from .strategy import qos_class
from .timefmt import seconds_since

Obj = dict[str, Any]

#: Resources the admission plugin and the controller leave alone (kube-controller-manager's
#: and kube-apiserver's ignored set, for the kinds this cluster serves).
IGNORED = {"events", "events.events.k8s.io", "bindings"}

POD_COMPUTE = {
    "cpu",
    "memory",
    "ephemeral-storage",
    "requests.cpu",
    "requests.memory",
    "requests.ephemeral-storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
    "pods",
    "count/pods",
}
#: The resources a quota makes every container state (a backward-compatibility rule).
VALIDATION_SET = ("cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory")
LEGACY_COUNTS = {
    "services",
    "configmaps",
    "secrets",
    "persistentvolumeclaims",
    "replicationcontrollers",
    "resourcequotas",
}
NATIVE_PREFIXES = ("kubernetes.io/", "requests.", "limits.")


def group_resource(kind: Kind) -> str:
    return f"{kind.plural}.{kind.group}" if kind.group else kind.plural


def is_ignored(kind: Kind) -> bool:
    return not kind.namespaced or group_resource(kind) in IGNORED


def count_name(kind: Kind) -> str:
    return f"count/{group_resource(kind)}"


def matching_resources(kind: Kind, names: Iterable[str]) -> list[str]:
    """`Evaluator.MatchingResources`: the quota resources that concern this kind."""
    out = []
    for n in names:
        if kind.kind == "Pod":
            if (
                n in POD_COMPUTE
                or n.startswith(("hugepages-", "requests.hugepages-"))
                or (n.startswith("requests.") and _extended(n[len("requests.") :]))
            ):
                out.append(n)
        elif n in _count_names(kind):
            out.append(n)
    return sorted(out)


def _count_names(kind: Kind) -> set[str]:
    names = {count_name(kind)}
    if not kind.group and kind.plural in LEGACY_COUNTS:
        names.add(kind.plural)
    if kind.kind == "Service":
        names.update(("services.loadbalancers", "services.nodeports"))
    if kind.kind == "PersistentVolumeClaim":
        names.add("requests.storage")
    return names


def _extended(name: str) -> bool:
    """`IsExtendedResourceName`: a domain-qualified name outside kubernetes.io."""
    return "/" in name and not name.startswith(NATIVE_PREFIXES)


def _quantities(values: Any) -> ResourceList:
    out: ResourceList = {}
    for k, v in (values or {}).items():
        try:
            out[k] = Quantity.parse(v)
        except (QuantityError, TypeError):
            continue
    return out


def _sum_into(total: ResourceList, part: ResourceList) -> None:
    for k, v in part.items():
        total[k] = total[k] + v if k in total else v


def pod_resources(spec: Obj, field: str) -> ResourceList:
    """`resourcehelper.PodRequests`/`PodLimits`: containers plus sidecars, or an init container
    (with the sidecars started before it) if that is more; plus the pod's overhead."""
    total: ResourceList = {}
    for c in spec.get("containers") or []:
        _sum_into(total, _quantities((c.get("resources") or {}).get(field)))
    sidecars: ResourceList = {}
    for c in spec.get("initContainers") or []:
        own = _quantities((c.get("resources") or {}).get(field))
        if c.get("restartPolicy") == "Always":
            _sum_into(sidecars, own)
            _sum_into(total, own)
            continue
        for k, v in own.items():
            running = v + sidecars[k] if k in sidecars else v
            if k not in total or running.value > total[k].value:
                total[k] = running
    _sum_into(total, _quantities(spec.get("overhead")))
    return total


def _compute_usage(requests: ResourceList, limits: ResourceList) -> ResourceList:
    """`podComputeUsageHelper`."""
    out: ResourceList = {"pods": Quantity.count(1)}
    for res in ("cpu", "memory", "ephemeral-storage"):
        if res in requests:
            out[res] = requests[res]
            out[f"requests.{res}"] = requests[res]
        if res in limits:
            out[f"limits.{res}"] = limits[res]
    for res, q in requests.items():
        if res.startswith("hugepages-"):
            out[res] = q
            out[f"requests.{res}"] = q
        elif _extended(res):
            out[f"requests.{res}"] = q
    return out


def pod_counts_compute(pod: Obj, now: float, epoch: Any) -> bool:
    """`QuotaV1Pod`: finished pods, and pods past deletionTimestamp + grace, cost nothing."""
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        return False
    meta = pod.get("metadata") or {}
    if meta.get("deletionTimestamp") and meta.get("deletionGracePeriodSeconds") is not None:
        deadline = seconds_since(epoch, meta["deletionTimestamp"]) + int(meta["deletionGracePeriodSeconds"])
        if now > deadline:
            return False
    return True


def usage(kind: Kind, obj: Obj, now: float, epoch: Any) -> ResourceList:
    """`Evaluator.Usage`: what one object costs."""
    if kind.kind == "Pod":
        out: ResourceList = {"count/pods": Quantity.count(1)}
        if pod_counts_compute(obj, now, epoch):
            spec = obj.get("spec") or {}
            out = add(out, _compute_usage(pod_resources(spec, "requests"), pod_resources(spec, "limits")))
        return out
    out = {count_name(kind): Quantity.count(1)}
    if not kind.group and kind.plural in LEGACY_COUNTS:
        out[kind.plural] = Quantity.count(1)
    if kind.kind == "Service":
        spec = obj.get("spec") or {}
        stype = spec.get("type") or "ClusterIP"
        ports = len(spec.get("ports") or [])
        out["services.loadbalancers"] = Quantity.count(1 if stype == "LoadBalancer" else 0)
        out["services.nodeports"] = Quantity.count(ports if stype in ("NodePort", "LoadBalancer") else 0)
    if kind.kind == "PersistentVolumeClaim":
        storage = _quantities(((obj.get("spec") or {}).get("resources") or {}).get("requests")).get("storage")
        if storage is not None:
            out["requests.storage"] = storage
    return out


# -- scopes ----------------------------------------------------------------------------------


def scope_selectors(rq: Obj) -> list[Obj]:
    """`getScopeSelectorsFromQuota`: `spec.scopes` as Exists requirements, then the selector's."""
    spec = rq.get("spec") or {}
    out = [{"scopeName": s, "operator": "Exists"} for s in spec.get("scopes") or []]
    out += list((spec.get("scopeSelector") or {}).get("matchExpressions") or [])
    return out


def pod_matches_scope(selector: Obj, pod: Obj) -> bool:
    """`podMatchesScopeFunc`."""
    spec = pod.get("spec") or {}
    scope = selector.get("scopeName")
    terminating = spec.get("activeDeadlineSeconds") is not None and int(spec["activeDeadlineSeconds"]) >= 0
    if scope == "Terminating":
        return terminating
    if scope == "NotTerminating":
        return not terminating
    best_effort = qos_class(spec) == "BestEffort"
    if scope == "BestEffort":
        return best_effort
    if scope == "NotBestEffort":
        return not best_effort
    if scope == "PriorityClass":
        class_name = spec.get("priorityClassName") or ""
        op = selector.get("operator")
        if op == "Exists":
            return bool(class_name)
        if op == "DoesNotExist":
            return False  # the label set always has the PriorityClass key
        values = ",".join(selector.get("values") or [])
        text = f"PriorityClass {'in' if op == 'In' else 'notin'} ({values})"
        return parse_label_selector(text).matches({"PriorityClass": class_name})
    if scope == "CrossNamespacePodAffinity":
        return False
    return False


def quota_matches(kind: Kind, rq: Obj, obj: Obj) -> bool:
    """`Evaluator.Matches`: the quota's (status) hard names concern the object, and every scope
    selects it; objects other than pods match no scoped quota."""
    hard = (rq.get("status") or {}).get("hard") or {}
    if not matching_resources(kind, hard):
        return False
    selectors = scope_selectors(rq)
    if kind.kind != "Pod":
        return not selectors
    return all(pod_matches_scope(s, obj) for s in selectors)


def pod_constraints(required: Iterable[str], pod: Obj) -> str | None:
    """`podEvaluator.Constraints`: containers must state what a quota tracks of cpu/memory."""
    required_set = {r for r in required if r in VALIDATION_SET}
    if not required_set:
        return None
    missing: dict[str, set[str]] = {}
    spec = pod.get("spec") or {}
    for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        res = c.get("resources") or {}
        have = set(_compute_usage(_quantities(res.get("requests")), _quantities(res.get("limits"))))
        for name in required_set - have:
            missing.setdefault(name, set()).add(str(c.get("name", "")))
    if not missing:
        return None
    parts = [f"{r} for: {','.join(sorted(missing[r]))}" for r in sorted(missing)]
    return "must specify " + "; ".join(parts)
