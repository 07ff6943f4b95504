"""The service controller of the lab's cloud provider: a load balancer for each LoadBalancer Service.

On a cloud, cloud-controller-manager's service controller (`k8s.io/cloud-provider`
`controllers/service`) watches Services; for one that wants a load balancer (`type:
LoadBalancer` and no `loadBalancerClass`) it records `EnsuringLoadBalancer`, adds the
`service.kubernetes.io/load-balancer-cleanup` finalizer, asks the cloud for the balancer
(`EnsureLoadBalancer`), records `EnsuredLoadBalancer` and writes the address into
`status.loadBalancer.ingress` — which `kubectl get svc` shows as EXTERNAL-IP instead of
`<pending>`. When the Service stops wanting one (another type, or it is being deleted) it
records `DeletingLoadBalancer`, tears the balancer down, `DeletedLoadBalancer`, clears the
status and removes the finalizer (so a deleted Service goes only then). A failure is a
`SyncLoadBalancerFailed` warning and a retry with backoff.

The lab's "cloud" hands out addresses as MetalLB does on a kind cluster: from the pool its
kind guide configures, 172.18.255.200–172.18.255.250 (the top of the nodes' Docker network),
the lowest free one, honouring the deprecated `spec.loadBalancerIP` when it is in the pool and
free. The balancer passes packets to the nodes unchanged (`ipMode: VIP`), where kube-proxy's
`loadbalancer IP` rules take them (`network/traffic.py`).

Simplified: the controller runs inside kube-controller-manager's process (a kubeadm cluster
has no cloud-controller-manager), acting as its own service account; it enqueues on every
Service change rather than `needsUpdate`'s comparison of the fields a balancer depends on
(a no-op sync writes nothing and records nothing); no node-set syncs or health checks.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ..errors import ApiError
from ..informers import key_of
from ..jsonutil import copy_json
from .base import Controller, ControllerContext

Obj = dict[str, Any]

CLEANUP_FINALIZER = "service.kubernetes.io/load-balancer-cleanup"
POOL_FIRST = ipaddress.ip_address("172.18.255.200")
POOL_LAST = ipaddress.ip_address("172.18.255.250")
POOL_TEXT = f"{POOL_FIRST}-{POOL_LAST}"


def wants_load_balancer(svc: Obj) -> bool:
    """`wantsLoadBalancer`: type LoadBalancer without a `loadBalancerClass`."""
    spec = svc.get("spec") or {}
    return spec.get("type") == "LoadBalancer" and not spec.get("loadBalancerClass")


def _ips(svc: Obj) -> list[str]:
    return [
        i["ip"]
        for i in ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or ()
        if i.get("ip")
    ]


def _in_pool(ip: str) -> bool:
    try:
        return POOL_FIRST <= ipaddress.ip_address(ip) <= POOL_LAST
    except ValueError:
        return False


class ServiceLoadBalancerController(Controller):
    """See the module docstring."""

    name = "service-controller"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.svc_informer = ctx.informers.get("services")
        self.svc_informer.add_handler(self._enqueue, lambda old, new: self._enqueue(new), lambda obj: None)

    def _enqueue(self, svc: Obj) -> None:
        meta = svc["metadata"]
        if wants_load_balancer(svc) or _ips(svc) or CLEANUP_FINALIZER in (meta.get("finalizers") or ()):
            self.queue.add(key_of(svc))

    def _allocated(self, skip: str) -> set[str]:
        return {
            ip for svc in self.svc_informer.list() if key_of(svc) != skip for ip in _ips(svc) if _in_pool(ip)
        }

    def _allocate(self, svc: Obj) -> str | None:
        used = self._allocated(key_of(svc))
        mine = [ip for ip in _ips(svc) if _in_pool(ip) and ip not in used]
        if mine:
            return mine[0]
        wanted = (svc.get("spec") or {}).get("loadBalancerIP")
        if wanted and _in_pool(wanted) and wanted not in used:
            return str(wanted)
        ip = POOL_FIRST
        while ip <= POOL_LAST:
            if str(ip) not in used:
                return str(ip)
            ip += 1
        return None

    def sync(self, key: str) -> int:
        svc = self.svc_informer.get(key)
        if svc is None:
            return 1
        meta = svc["metadata"]
        finalizers = list(meta.get("finalizers") or ())
        deleting = bool(meta.get("deletionTimestamp"))
        if not wants_load_balancer(svc) or (deleting and CLEANUP_FINALIZER in finalizers):
            if _ips(svc) or CLEANUP_FINALIZER in finalizers:
                self._delete(svc)
            return 1
        if deleting:
            return 1
        ip = self._allocate(svc)
        if _ips(svc) == [ip] and CLEANUP_FINALIZER in finalizers:
            return 1  # ensured already: nothing changes, nothing to record
        self.recorder.event(svc, "Normal", "EnsuringLoadBalancer", "Ensuring load balancer")
        if ip is None:
            self.recorder.event(
                svc,
                "Warning",
                "SyncLoadBalancerFailed",
                "Error syncing load balancer: failed to ensure load balancer: "
                f"no available IPs in pool {POOL_TEXT}",
            )
            self.queue.add_rate_limited(key)
            return 1
        try:
            svc = self._set_finalizer(svc, add=True)
        except ApiError:
            self.queue.add_rate_limited(key)
            return 1
        self.explain(svc, f"load balancer {ip} (pool {POOL_TEXT}) for {key}")
        self.recorder.event(svc, "Normal", "EnsuredLoadBalancer", "Ensured load balancer")
        self.write_status(
            svc, {**(svc.get("status") or {}), "loadBalancer": {"ingress": [{"ip": ip, "ipMode": "VIP"}]}}
        )
        return 1

    def _delete(self, svc: Obj) -> None:
        self.recorder.event(svc, "Normal", "DeletingLoadBalancer", "Deleting load balancer")
        self.recorder.event(svc, "Normal", "DeletedLoadBalancer", "Deleted load balancer")
        if _ips(svc):
            new = copy_json(svc)
            new.setdefault("status", {})["loadBalancer"] = {}
            try:
                svc = self.server.update(self.user, new, subresource="status", copy=False)
            except ApiError:
                self.queue.add_rate_limited(key_of(svc))
                return
        try:
            self._set_finalizer(svc, add=False)
        except ApiError:
            self.queue.add_rate_limited(key_of(svc))

    def _set_finalizer(self, svc: Obj, add: bool) -> Obj:
        finalizers = list(svc["metadata"].get("finalizers") or ())
        if (CLEANUP_FINALIZER in finalizers) == add:
            return svc
        new = copy_json(svc)
        if add:
            finalizers.append(CLEANUP_FINALIZER)
        else:
            finalizers.remove(CLEANUP_FINALIZER)
        new["metadata"]["finalizers"] = finalizers
        return self.server.update(self.user, new, copy=False)
