"""The Services map: each Service, the endpoints its EndpointSlices list, and the pods behind
them on their nodes, laid out for the lab page to draw as lines.

What it shows is what the cluster's objects say, as a learner would read them with
`kubectl get svc,endpointslices,pods -o wide`:

- a Service's type, cluster IP, external address and ports (kubectl's own column texts);
- each endpoint of its EndpointSlices with its conditions, as the EndpointSlice controller
  wrote them: **ready** (the pod is Ready and not terminating), **serving, terminating** (a
  Ready pod being deleted), **terminating** (being deleted and no longer Ready), **not ready**;
- a line from the Service to each endpoint kube-proxy sends new connections to: the ready
  ones, or, when none is ready, the serving-and-terminating ones (`CategorizeEndpoints`). A
  headless Service has no rules: the lines show the addresses cluster DNS answers with (the
  ready ones). An ExternalName Service has no endpoints at all;
- the pod each endpoint's `targetRef` names, with its status, grouped by the endpoint's node;
- live traffic (see `traffic_flow`) as line widths and counters.

Everything here is a pure function of the objects (and the traffic counters), built as plain
values so two maps compare with `==` (the runner re-sends only the Services that changed). The
counters and line widths move every virtual second while traffic flows: a Service's drawing is
compared without them (`drawing`) and they reach the page on their own (`live_values`), so a
tick sends a few numbers, not the drawings. At
classroom scale it draws at most `MAX_SERVICES_DRAWN` Services (the learner's namespaces before
kube-system), each with at most `MAX_ENDPOINTS_DRAWN` endpoints, and counts the rest.

Simplified: the lines are the cluster-wide view; a Service with a `Local` traffic policy sends
a client only to endpoints on the client's own node, which the map does not single out (a node's
rule table shows it). The counters are per pod and per Service, so the part of a pod's traffic
drawn on one Service's line is split by the Services' rates (`traffic_flow.Flows.through`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from clusterlab.engine import Cluster
from clusterlab.engine.printers import pod_status
from clusterlab.engine.service_tables import external_ip, format_labels, port_string
from clusterlab.labs import traffic_flow
from clusterlab.labs.commands import MAX_RPS

Obj = dict[str, Any]

MAX_SERVICES_DRAWN = 12
MAX_ENDPOINTS_DRAWN = 20
#: How many names of the Services not drawn the panel lists.
MAX_SERVICES_NAMED = 40
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease")

# The drawing's geometry (SVG user units): three columns, one row per endpoint, rows grouped
# by node.
WIDTH = 784
SERVICE_X, SERVICE_W, SERVICE_H = 4, 170, 44
ENDPOINT_X, ENDPOINT_W = 264, 200
POD_X, POD_W = 520, 256
ROW_H, ROW_GAP = 30, 6
NODE_LABEL_H, NODE_PAD, NODE_GAP = 18, 6, 10
TOP = 4


def _key(obj: Obj) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return (str(meta.get("namespace") or "default"), str(meta.get("name") or ""))


def dom_id(namespace: str, name: str) -> str:
    """A Service's element id (`_` joins: neither namespaces nor Service names may hold one)."""
    return f"svc_{namespace}_{name}"


def _order(svc: Obj) -> tuple[bool, str, str]:
    ns, name = _key(svc)
    return (ns in SYSTEM_NAMESPACES, ns, name)


def endpoint_state(conditions: Obj) -> tuple[str, str]:
    """An endpoint's conditions as (a word for CSS, the text shown), with the API's defaults:
    unset `ready` and `serving` mean true, unset `terminating` false."""
    ready = conditions.get("ready") is not False
    serving = conditions.get("serving") if conditions.get("serving") is not None else ready
    terminating = conditions.get("terminating") is True
    if ready and not terminating:
        return "ready", "ready"
    if terminating and serving:
        return "serving-terminating", "serving, terminating"
    if terminating:
        return "terminating", "terminating"
    return "not-ready", "not ready"


def _endpoints(slices: list[Obj], service_ports: list[Obj]) -> list[Obj]:
    """One row per endpoint address of the Service's slices (ports of all slices merged)."""
    rows: dict[str, Obj] = {}
    names = {str(p.get("name") or "") for p in service_ports}
    for eps in sorted(slices, key=lambda e: str(e["metadata"].get("name", ""))):
        if eps.get("addressType", "IPv4") != "IPv4":
            continue
        ports = [p for p in eps.get("ports") or () if p.get("port") is not None]
        port_texts = [
            f"{p['port']}/{p.get('protocol') or 'TCP'}" for p in ports if str(p.get("name") or "") in names
        ] or [f"{p['port']}/{p.get('protocol') or 'TCP'}" for p in ports]
        for ep in eps.get("endpoints") or ():
            addresses = ep.get("addresses") or []
            if not addresses:
                continue
            ip = str(addresses[0])
            state, text = endpoint_state(ep.get("conditions") or {})
            ref = ep.get("targetRef") or {}
            row = rows.setdefault(
                ip,
                {
                    "ip": ip,
                    "ports": [],
                    "state": state,
                    "state_text": text,
                    "node": str(ep.get("nodeName") or ""),
                    "pod": str(ref.get("name") or "") if ref.get("kind", "Pod") == "Pod" else "",
                    "pod_namespace": str(ref.get("namespace") or eps["metadata"].get("namespace") or ""),
                },
            )
            row["ports"] += [t for t in port_texts if t not in row["ports"]]
    return list(rows.values())


def _routed(endpoints: list[Obj], headless: bool) -> set[str]:
    """The addresses new connections go to: kube-proxy's ready endpoints, else the serving and
    terminating ones; for a headless Service, the ready addresses DNS answers with."""
    ready = {e["ip"] for e in endpoints if e["state"] == "ready"}
    if ready or headless:
        return ready
    return {e["ip"] for e in endpoints if e["state"] == "serving-terminating"}


def _layout(endpoints: list[Obj]) -> tuple[list[Obj], int]:
    """Give each endpoint row its y, group rows under their node; return the node groups and the
    drawing's height."""
    groups: list[Obj] = []
    y = TOP
    by_node: dict[str, list[Obj]] = defaultdict(list)
    for endpoint in endpoints:
        by_node[endpoint["node"]].append(endpoint)
    for node in sorted(by_node, key=lambda n: (n == "", n)):
        top = y
        y += NODE_LABEL_H
        for endpoint in by_node[node]:
            endpoint["y"] = y
            endpoint["mid"] = y + ROW_H // 2
            y += ROW_H + ROW_GAP
        y += NODE_PAD - ROW_GAP
        groups.append({"name": node, "y": top, "height": y - top, "label_y": top + 13})
        y += NODE_GAP
    return groups, max(y - NODE_GAP + TOP, SERVICE_H + 2 * TOP)


def _note(stype: str, spec: Obj, headless: bool, has_endpoints: bool, routed: bool) -> str:
    """What a learner should know about how this Service's traffic goes, if anything."""
    if stype == "ExternalName":
        return (
            f"ExternalName: cluster DNS answers with a CNAME to {spec.get('externalName', '')}; "
            "no endpoints, no kube-proxy rules."
        )
    if headless:
        return (
            "Headless (clusterIP: None): no virtual IP and no kube-proxy rules; "
            "cluster DNS answers with the ready endpoints' addresses."
        )
    if not spec.get("selector"):
        return "No selector: the EndpointSlice controller leaves its endpoints to whoever writes them."
    if not has_endpoints:
        return (
            "Its selector matches no pod with an IP: connections to it are refused "
            "(kube-proxy writes a REJECT rule)."
        )
    if not routed:
        return "No endpoint is ready: connections to it are refused (kube-proxy writes a REJECT rule)."
    return ""


def service_entry(
    svc: Obj,
    slices: list[Obj],
    pods: dict[tuple[str, str], Obj],
    flows: traffic_flow.Flows,
    nodes: list[str],
    routing: dict[tuple[str, str], float] | None = None,
) -> Obj:
    """One Service on the map: its facts, its endpoints (at most `MAX_ENDPOINTS_DRAWN`) with
    their pods, the drawing's coordinates, and the nodes whose kube-proxy writes rules for it
    (every node, for a Service with a cluster IP)."""
    from clusterlab.labs.board import status_class  # the board imports this module

    ns, name = _key(svc)
    spec = svc.get("spec") or {}
    stype = str(spec.get("type") or "ClusterIP")
    cluster_ip = str(spec.get("clusterIP") or "")
    headless = cluster_ip == "None"
    all_endpoints = sorted(
        _endpoints(slices, spec.get("ports") or []),
        key=lambda e: (e["node"] == "", e["node"], e["pod"], e["ip"]),
    )
    counts = {
        state.replace("-", "_"): sum(1 for e in all_endpoints if e["state"] == state)
        for state in ("ready", "serving-terminating", "terminating", "not-ready")
    }
    endpoints = all_endpoints[:MAX_ENDPOINTS_DRAWN]
    routed = _routed(all_endpoints, headless)
    for index, endpoint in enumerate(endpoints):
        pod_key = (endpoint["pod_namespace"], endpoint["pod"])
        pod = pods.get(pod_key) if endpoint["pod"] else None
        endpoint["pod_status"] = pod_status(pod) if pod is not None else ("gone" if endpoint["pod"] else "")
        endpoint["pod_tone"] = status_class(endpoint["pod_status"]) if pod is not None else "bad"
        endpoint["routed"] = endpoint["ip"] in routed
        traffic = flows.pods.get(pod_key)
        endpoint["traffic"] = traffic.as_dict() if traffic is not None else None
        rate = flows.through((ns, name), pod_key, routing or {}) if endpoint["routed"] else 0.0
        endpoint["width"] = flows.width(rate) if endpoint["routed"] else 0
        endpoint["live"] = f"{dom_id(ns, name)}-ep{index}"
        endpoint["traffic_text"] = traffic_flow.short_text(endpoint["traffic"])
        endpoint["traffic_words"] = traffic_flow.words(endpoint["traffic"])
    groups, height = _layout(endpoints)
    service_y = max(TOP, (height - SERVICE_H) // 2)
    note = _note(stype, spec, headless, bool(all_endpoints), bool(routed))
    traffic = flows.services.get((ns, name))
    return {
        "namespace": ns,
        "name": name,
        "dom_id": dom_id(ns, name),
        "type": stype,
        "cluster_ip": cluster_ip or "<none>",
        "external": external_ip(svc),
        "ports": port_string(spec.get("ports")) or "<none>",
        "selector": format_labels(spec.get("selector")),
        "affinity": str(spec.get("sessionAffinity") or "None"),
        "headless": headless,
        "note": note,
        "counts": counts,
        "total": len(all_endpoints),
        "more_endpoints": len(all_endpoints) - len(endpoints),
        "endpoints": endpoints,
        "nodes": groups,
        "rule_nodes": nodes if cluster_ip and not headless and stype != "ExternalName" else [],
        "max_rps": MAX_RPS,  # the page's "send requests" control
        "traffic": traffic.as_dict() if traffic is not None else None,
        "traffic_text": traffic_flow.long_text(traffic.as_dict() if traffic is not None else None),
        "svg": {
            "width": WIDTH,
            "height": height,
            "service_y": service_y,
            "service_mid": service_y + SERVICE_H // 2,
            "service_x": SERVICE_X,
            "service_w": SERVICE_W,
            "service_h": SERVICE_H,
            "service_right": SERVICE_X + SERVICE_W,
            "endpoint_x": ENDPOINT_X,
            "endpoint_w": ENDPOINT_W,
            "endpoint_right": ENDPOINT_X + ENDPOINT_W,
            "pod_x": POD_X,
            "pod_w": POD_W,
            "node_x": POD_X - 8,
            "node_w": POD_W + 12,
            "row_h": ROW_H,
            "text_dy": 19,
        },
    }


def drawing(entry: Obj) -> Obj:
    """A Service's entry without the traffic numbers that move every second (they reach the
    page through `live_values`): what decides whether its markup is re-sent."""
    moving = ("traffic", "traffic_text", "traffic_words", "width")
    return {
        **{k: v for k, v in entry.items() if k not in moving},
        "traffic": entry["traffic"] is not None,
        "endpoints": [
            {**{k: v for k, v in e.items() if k not in moving}, "traffic": e["traffic"] is not None}
            for e in entry["endpoints"]
        ],
    }


def live_values(panel: Obj) -> traffic_flow.Live:
    """The drawn Services' moving numbers, by the `data-live` keys their markup carries."""
    live = traffic_flow.Live()
    for entry in panel["services"]:
        if entry["traffic"] is not None:
            live.text[entry["dom_id"]] = entry["traffic_text"]
        for e in entry["endpoints"]:
            if e["routed"]:
                live.width[e["live"]] = e["width"]
            if e["traffic"] is not None:
                live.text[e["live"]] = e["traffic_text"]
                live.text[f"{e['live']}-words"] = e["traffic_words"]
    return live


def _routing(
    services: list[Obj], slices: dict[tuple[str, str], list[Obj]], flows: traffic_flow.Flows
) -> dict[tuple[str, str], float]:
    """Per pod, the summed rate of the busy Services that send to it (see `Flows.through`)."""
    routing: dict[tuple[str, str], float] = defaultdict(float)
    for svc in services:
        counter = flows.services.get(_key(svc))
        if counter is None or counter.rate <= 0:
            continue
        headless = (svc.get("spec") or {}).get("clusterIP") == "None"
        endpoints = _endpoints(slices[_key(svc)], (svc.get("spec") or {}).get("ports") or [])
        routed = _routed(endpoints, headless)
        for e in endpoints:
            if e["ip"] in routed and e["pod"]:
                routing[(e["pod_namespace"], e["pod"])] += counter.rate
    return dict(routing)


def services_panel(cluster: Cluster) -> Obj:
    """The board's Services panel: the Services drawn, and how many (and which) are not."""
    services = sorted(cluster.observe("services"), key=_order)
    slices: dict[tuple[str, str], list[Obj]] = defaultdict(list)
    for eps in cluster.observe("endpointslices"):
        svc_name = (eps["metadata"].get("labels") or {}).get(SERVICE_NAME_LABEL)
        if svc_name:
            slices[(_key(eps)[0], svc_name)].append(eps)
    drawn = services[:MAX_SERVICES_DRAWN]
    pods = {_key(p): p for p in cluster.observe("pods")} if drawn else {}
    flows = traffic_flow.flows(cluster)
    routing = _routing(services, slices, flows)
    nodes = sorted(_key(n)[1] for n in cluster.observe("nodes"))
    rest = services[MAX_SERVICES_DRAWN:]
    return {
        "services": [service_entry(svc, slices[_key(svc)], pods, flows, nodes, routing) for svc in drawn],
        "total": len(services),
        "not_drawn": [f"{ns}/{name}" for ns, name in (_key(s) for s in rest[:MAX_SERVICES_NAMED])],
        "not_drawn_count": len(rest),
        "traffic": bool(flows.pods or flows.services),
    }
