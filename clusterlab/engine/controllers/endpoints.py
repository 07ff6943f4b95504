"""The Endpoints controller: the v1 `Endpoints` object of each Service (what `kubectl get ep`
lists and older clients read).

Like Kubernetes' `pkg/controller/endpoint`: for a Service with a selector it keeps an
`Endpoints` object of the same name whose subsets list the selected pods that have an IP
and are not terminal or terminating — Ready ones under `addresses`, the others under
`notReadyAddresses` (all under `addresses` with `publishNotReadyAddresses`) — each with its
`nodeName` and a `targetRef` to the pod, and the Service's ports resolved per pod
(`name`, `port`, `protocol`). Pods resolving to the same ports share a subset; addresses are
sorted by IP (`RepackSubsets`). The object carries the Service's labels (plus
`service.kubernetes.io/headless` for a headless Service) and is deleted with the Service
(it has no owner reference; this controller removes it).

Simplified: no 1000-address truncation annotation; `last-change-trigger-time` is taken from
the objects as the EndpointSlice controller takes it.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ..errors import ApiError
from ..informers import key_of
from ..jsonutil import copy_json
from .base import Controller, ControllerContext
from .endpointslice import HEADLESS_LABEL, TRIGGER_TIME, _pod_changed_at
from .service_pods import (
    ServiceMembership,
    find_port,
    hostname_for,
    pod_ip,
    ready,
    selector_of,
    should_be_in_endpoints,
)

Obj = dict[str, Any]


def _address(pod: Obj, svc: Obj) -> Obj:
    addr: Obj = {"ip": pod_ip(pod)}
    hostname = hostname_for(pod, svc)
    if hostname:
        addr["hostname"] = hostname
    if (pod.get("spec") or {}).get("nodeName"):
        addr["nodeName"] = pod["spec"]["nodeName"]
    addr["targetRef"] = {
        "kind": "Pod",
        "namespace": pod["metadata"].get("namespace"),
        "name": pod["metadata"]["name"],
        "uid": pod["metadata"].get("uid"),
    }
    return addr


def _ip_key(addr: Obj) -> tuple[int, str]:
    try:
        return (int(ipaddress.ip_address(addr["ip"])), str(addr["targetRef"].get("uid", "")))
    except ValueError:
        return (0, addr["ip"])


def subsets_for(svc: Obj, pods: list[Obj]) -> list[Obj]:
    """The Service's subsets over the given (selected) pods."""
    publish = bool((svc.get("spec") or {}).get("publishNotReadyAddresses"))
    groups: dict[str, Obj] = {}
    for pod in pods:
        if not should_be_in_endpoints(pod, include_terminating=False):
            continue
        ports = []
        for sp in (svc.get("spec") or {}).get("ports") or []:
            number = find_port(pod, sp)
            if number is None:
                continue
            port: Obj = {"port": number, "protocol": sp.get("protocol", "TCP")}
            if sp.get("name"):
                port = {"name": sp["name"], **port}
            ports.append(port)
        if not ports and (svc.get("spec") or {}).get("clusterIP") != "None":
            continue
        ident = repr(sorted((p.get("name", ""), p["port"], p["protocol"]) for p in ports))
        subset = groups.setdefault(ident, {"addresses": [], "notReadyAddresses": [], "ports": ports})
        field = "addresses" if publish or ready(pod) else "notReadyAddresses"
        subset[field].append(_address(pod, svc))
    out = []
    for subset in groups.values():
        clean: Obj = {}
        for field in ("addresses", "notReadyAddresses"):
            if subset[field]:
                clean[field] = sorted(subset[field], key=_ip_key)
        if subset["ports"]:
            clean["ports"] = sorted(subset["ports"], key=lambda p: (p.get("name", ""), p["port"]))
        out.append(clean)
    return out


class EndpointsController(Controller):
    name = "endpoint-controller"
    workers = 5  # --concurrent-endpoint-syncs

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.svc_informer = ctx.informers.get("services")
        self.pod_informer = ctx.informers.get("pods")
        self.ep_informer = ctx.informers.get("endpoints")
        self.svc_informer.add_handler(self._enqueue, lambda old, new: self._enqueue(new), self._enqueue)
        self.ep_informer.add_handler(on_delete=self._enqueue)
        self.members = ServiceMembership(self.svc_informer, self.pod_informer, self.queue.add)

    def component_name(self) -> str:
        return "endpoint-controller"

    def _enqueue(self, obj: Obj) -> None:
        self.queue.add(key_of(obj))

    def sync(self, key: str) -> int:
        ns, name = key.split("/", 1)
        svc = self.svc_informer.get(key)
        if svc is None:
            # The Service is gone: its Endpoints go too (Services without a selector never
            # had theirs written here, but deleting them with the Service is what Kubernetes does).
            if self.ep_informer.get(key) is not None:
                try:
                    self.server.delete(self.user, "endpoints", name, ns)
                except ApiError as exc:
                    if exc.code != 404:
                        raise
            return 0
        if selector_of(svc) is None or svc["spec"].get("type") == "ExternalName":
            return 0
        pods = self.members.pods_for(svc)
        subsets = subsets_for(svc, pods)
        labels = dict(svc["metadata"].get("labels") or {})
        if svc["spec"].get("clusterIP") == "None":
            labels[HEADLESS_LABEL] = ""
        changed = max([svc["metadata"].get("creationTimestamp") or ""] + [_pod_changed_at(p) for p in pods])
        current = self.ep_informer.get(key)
        if current is None:
            body: Obj = {
                "apiVersion": "v1",
                "kind": "Endpoints",
                "metadata": {"name": name, "namespace": ns},
            }
            if labels:
                body["metadata"]["labels"] = labels
            if pods:
                body["metadata"]["annotations"] = {TRIGGER_TIME: changed}
            if subsets:
                body["subsets"] = subsets
            self.server.create(self.user, body)
            return len(pods)
        if (current.get("subsets") or []) == subsets and (current["metadata"].get("labels") or {}) == labels:
            return len(pods)
        new = copy_json(current)
        if labels:
            new["metadata"]["labels"] = labels
        else:
            new["metadata"].pop("labels", None)
        annotations = dict(new["metadata"].get("annotations") or {})
        if pods:
            annotations[TRIGGER_TIME] = changed
        if annotations:
            new["metadata"]["annotations"] = annotations
        if subsets:
            new["subsets"] = subsets
        else:
            new.pop("subsets", None)
        self.server.update(self.user, new, copy=False)
        return len(pods)
