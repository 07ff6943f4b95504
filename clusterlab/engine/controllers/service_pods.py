"""What the Endpoints and EndpointSlice controllers share: which pods back a Service, and on
which port.

Kubernetes' `endpointutil` helpers: a Service selects the pods in its namespace whose labels
match its `spec.selector` (a Service with no selector is left to its owner, who writes its
endpoints by hand); a pod belongs in the endpoints once it has an IP and is not terminal
(`ShouldPodBeInEndpoints`), and a named `targetPort` is resolved against the pod's container
ports of that name and protocol (`podutil.FindPort`); a pod without such a port is left out
of that port's endpoints. Pod changes are routed to the Services whose selectors match the
pod's old or new labels (`GetPodServiceMemberships`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..informers import Informer, key_of
from .base import is_pod_ready

Obj = dict[str, Any]


def selector_of(svc: Obj) -> dict[str, str] | None:
    """The Service's selector, or None when it has none (an empty one is none, as stored)."""
    sel = (svc.get("spec") or {}).get("selector")
    return dict(sel) if sel else None


def selects(selector: dict[str, str], pod: Obj) -> bool:
    labels = pod["metadata"].get("labels") or {}
    return all(labels.get(k) == v for k, v in selector.items())


def pod_ip(pod: Obj) -> str:
    status = pod.get("status") or {}
    ips = status.get("podIPs") or []
    return str(status.get("podIP") or (ips[0].get("ip") if ips else "") or "")


def should_be_in_endpoints(pod: Obj, include_terminating: bool) -> bool:
    """`ShouldPodBeInEndpoints`: has an IP, is not Succeeded/Failed, and (unless terminating
    pods are wanted, as EndpointSlices want them) is not being deleted."""
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        return False
    if not pod_ip(pod):
        return False
    return include_terminating or not pod["metadata"].get("deletionTimestamp")


def find_port(pod: Obj, service_port: Obj) -> int | None:
    """`podutil.FindPort`: a numeric targetPort as it is; a named one looked up among the
    containers' ports with that name and the Service port's protocol."""
    target = service_port.get("targetPort")
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    protocol = service_port.get("protocol", "TCP")
    for c in (pod.get("spec") or {}).get("containers") or []:
        for p in c.get("ports") or []:
            if p.get("name") == target and p.get("protocol", "TCP") == protocol:
                return int(p["containerPort"])
    return None


def hostname_for(pod: Obj, svc: Obj) -> str | None:
    """`ShouldSetHostname`: a pod with a hostname whose subdomain is this Service's name."""
    spec = pod.get("spec") or {}
    if spec.get("hostname") and spec.get("subdomain") == svc["metadata"]["name"]:
        return str(spec["hostname"])
    return None


def ready(pod: Obj) -> bool:
    return is_pod_ready(pod)


class ServiceMembership:
    """Routes pod events to the keys of the Services that select the pod (before or after)."""

    def __init__(self, services: Informer, pods: Informer, enqueue: Callable[[str], None]) -> None:
        self.services = services
        self.pods = pods
        self.enqueue = enqueue
        pods.add_handler(self._on_pod, self._on_pod_update, self._on_pod)

    def _services_in(self, namespace: str) -> Iterable[Obj]:
        return [s for s in self.services.cache.values() if s["metadata"].get("namespace") == namespace]

    def _on_pod(self, pod: Obj) -> None:
        for key in self._memberships(pod):
            self.enqueue(key)

    def _on_pod_update(self, old: Obj, new: Obj) -> None:
        if old.get("metadata", {}).get("resourceVersion") == new.get("metadata", {}).get("resourceVersion"):
            return
        keys = self._memberships(new)
        if (old["metadata"].get("labels") or {}) != (new["metadata"].get("labels") or {}):
            keys |= self._memberships(old)
        for key in sorted(keys):
            self.enqueue(key)

    def _memberships(self, pod: Obj) -> set[str]:
        out = set()
        for svc in self._services_in(pod["metadata"].get("namespace", "")):
            sel = selector_of(svc)
            if sel is not None and selects(sel, pod):
                out.add(key_of(svc))
        return out

    def pods_for(self, svc: Obj) -> list[Obj]:
        """The cached pods the Service selects, by name."""
        sel = selector_of(svc)
        if sel is None:
            return []
        ns = svc["metadata"].get("namespace")
        found = [
            p for p in self.pods.cache.values() if p["metadata"].get("namespace") == ns and selects(sel, p)
        ]
        return sorted(found, key=lambda p: p["metadata"]["name"])
