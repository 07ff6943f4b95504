"""The EndpointSlice controller: which pod IPs and ports stand behind each Service.

Like Kubernetes' `pkg/controller/endpointslice`: it watches Services, pods and the
EndpointSlices it manages, and for a Service key (level-triggered, like the ReplicaSet
controller) computes the endpoints the Service should have, then converges its slices:

- only Services with a selector (others are their owner's business) and not ExternalName;
- one endpoint per selected pod that has an IP and is not terminal, with `conditions.ready`
  (Ready and not terminating), `serving` (Ready), `terminating` (has a deletionTimestamp),
  `nodeName` and a `targetRef` to the pod;
- ports from the Service (`name`, resolved `port`, `protocol`); pods whose named
  `targetPort` resolves to different numbers go into different slices, since a slice has one
  port list for all its endpoints;
- slices are named `<service>-<5 random characters>` (`generateName`), labelled
  `kubernetes.io/service-name` and `endpointslice.kubernetes.io/managed-by:
  endpointslice-controller.k8s.io` (plus the Service's own labels), owned by the Service (so
  the garbage collector removes them with it), hold at most 100 endpoints each
  (`--max-endpoints-per-slice`), and a Service that selects nothing keeps one empty
  placeholder slice. Existing slices are updated in place; only what changed is written.

Simplified: the reconciler fills slices in pod-name order instead of minimising churn across
many slices, there is no topology (zone) hint, and `last-change-trigger-time` is the latest
time the Service or a selected pod last changed as the objects record it.
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..informers import key_of
from ..jsonutil import copy_json
from .base import Controller, ControllerContext, owner_reference
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
MAX_ENDPOINTS_PER_SLICE = 100
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
MANAGED_BY = "endpointslice-controller.k8s.io"
HEADLESS_LABEL = "service.kubernetes.io/headless"
TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time"


def _pod_changed_at(pod: Obj) -> str:
    """When the pod last changed in a way endpoints care about, as the pod records it."""
    meta = pod["metadata"]
    times = [meta.get("creationTimestamp") or ""]
    times += [c.get("lastTransitionTime") or "" for c in (pod.get("status") or {}).get("conditions") or ()]
    return max(times)


def endpoint_for(pod: Obj, svc: Obj) -> Obj:
    """`podToEndpoint` for one pod of `svc`."""
    publish = bool((svc.get("spec") or {}).get("publishNotReadyAddresses"))
    serving = publish or ready(pod)
    terminating = bool(pod["metadata"].get("deletionTimestamp"))
    ep: Obj = {
        "addresses": [pod_ip(pod)],
        "conditions": {
            "ready": publish or (serving and not terminating),
            "serving": serving,
            "terminating": terminating,
        },
    }
    spec = pod.get("spec") or {}
    hostname = hostname_for(pod, svc)
    if hostname:
        ep["hostname"] = hostname
    if spec.get("nodeName"):
        ep["nodeName"] = spec["nodeName"]
    ep["targetRef"] = {
        "kind": "Pod",
        "namespace": pod["metadata"].get("namespace"),
        "name": pod["metadata"]["name"],
        "uid": pod["metadata"].get("uid"),
    }
    return ep


def endpoint_ports(pod: Obj, svc: Obj) -> list[Obj]:
    """The slice ports for this pod: every Service port whose target the pod has."""
    out = []
    for sp in (svc.get("spec") or {}).get("ports") or []:
        number = find_port(pod, sp)
        if number is None:
            continue
        port: Obj = {"name": sp.get("name", ""), "port": number, "protocol": sp.get("protocol", "TCP")}
        if sp.get("appProtocol"):
            port["appProtocol"] = sp["appProtocol"]
        out.append(port)
    return out


class EndpointSliceController(Controller):
    name = "endpointslice-controller"
    workers = 5  # --concurrent-service-endpoint-syncs

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.svc_informer = ctx.informers.get("services")
        self.pod_informer = ctx.informers.get("pods")
        self.slice_informer = ctx.informers.get("endpointslices")
        self.slice_informer.add_index("service", self._service_index)
        self.svc_informer.add_handler(self._enqueue, lambda old, new: self._enqueue(new), self._enqueue)
        self.slice_informer.add_handler(self._on_slice, lambda old, new: self._on_slice(new), self._on_slice)
        self.members = ServiceMembership(self.svc_informer, self.pod_informer, self.queue.add)

    @staticmethod
    def _service_index(eps: Obj) -> list[str]:
        labels = eps["metadata"].get("labels") or {}
        if labels.get(MANAGED_BY_LABEL) != MANAGED_BY or SERVICE_NAME_LABEL not in labels:
            return []
        return [f"{eps['metadata'].get('namespace')}/{labels[SERVICE_NAME_LABEL]}"]

    def _enqueue(self, svc: Obj) -> None:
        self.queue.add(key_of(svc))

    def _on_slice(self, eps: Obj) -> None:
        for key in self._service_index(eps):
            self.queue.add(key)

    # -- sync -----------------------------------------------------------------------------

    def sync(self, key: str) -> int:
        svc = self.svc_informer.get(key)
        if svc is None or selector_of(svc) is None or svc["spec"].get("type") == "ExternalName":
            return 0  # a deleted Service's slices go with it (garbage collector)
        pods = [p for p in self.members.pods_for(svc) if should_be_in_endpoints(p, include_terminating=True)]
        groups: dict[str, tuple[list[Obj], list[Obj], str]] = {}
        for pod in pods:
            ports = endpoint_ports(pod, svc)
            ident = repr([(p["name"], p["port"], p["protocol"]) for p in ports])
            entry = groups.setdefault(ident, (ports, [], ""))
            entry[1].append(endpoint_for(pod, svc))
            groups[ident] = (entry[0], entry[1], max(entry[2], _pod_changed_at(pod)))
        desired: list[tuple[list[Obj] | None, list[Obj] | None, str]] = []
        for ports, endpoints, changed in groups.values():
            for i in range(0, len(endpoints), MAX_ENDPOINTS_PER_SLICE):
                desired.append((ports, endpoints[i : i + MAX_ENDPOINTS_PER_SLICE], changed))
        if not desired:
            desired.append((None, None, ""))  # the placeholder slice
        existing = sorted(self.slice_informer.by_index("service", key), key=lambda s: s["metadata"]["name"])
        existing = [s for s in existing if s["metadata"].get("namespace") == svc["metadata"]["namespace"]]
        created = svc["metadata"].get("creationTimestamp") or ""
        for i, (ports, endpoints, changed) in enumerate(desired):
            body = self._slice_body(svc, ports, endpoints, max(changed, created))
            if i < len(existing):
                self._update(existing[i], body)
            else:
                self.server.create(self.user, body)
        for extra in existing[len(desired) :]:
            try:
                self.server.delete(
                    self.user, "endpointslices", extra["metadata"]["name"], extra["metadata"]["namespace"]
                )
            except ApiError as exc:
                if exc.code != 404:
                    raise
        return len(pods) + len(existing)

    def _slice_body(
        self, svc: Obj, ports: list[Obj] | None, endpoints: list[Obj] | None, changed: str
    ) -> Obj:
        meta = svc["metadata"]
        labels = dict(meta.get("labels") or {})
        labels[SERVICE_NAME_LABEL] = meta["name"]
        labels[MANAGED_BY_LABEL] = MANAGED_BY
        if svc["spec"].get("clusterIP") == "None":
            labels[HEADLESS_LABEL] = ""
        body: Obj = {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "generateName": f"{meta['name']}-",
                "namespace": meta["namespace"],
                "labels": labels,
                "ownerReferences": [owner_reference(svc)],
            },
            "addressType": "IPv4",
            "endpoints": endpoints,
        }
        if endpoints is not None and changed:
            body["metadata"]["annotations"] = {TRIGGER_TIME: changed}
        if ports is not None:
            body["ports"] = ports
        return body

    def _update(self, current: Obj, body: Obj) -> None:
        new = copy_json(current)
        annotations = dict(new["metadata"].get("annotations") or {})
        annotations.pop(TRIGGER_TIME, None)
        annotations.update(body["metadata"].get("annotations") or {})
        same = (
            new["metadata"].get("labels") == body["metadata"]["labels"]
            and new.get("endpoints") == body["endpoints"]
            and new.get("ports") == body.get("ports")
        )
        if same:
            return
        new["metadata"]["labels"] = body["metadata"]["labels"]
        if annotations:
            new["metadata"]["annotations"] = annotations
        else:
            new["metadata"].pop("annotations", None)
        new["endpoints"] = body["endpoints"]
        if "ports" in body:
            new["ports"] = body["ports"]
        else:
            new.pop("ports", None)
        self.server.update(self.user, new, copy=False)
