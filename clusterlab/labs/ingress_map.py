"""The Ingresses on the network map: each Ingress with its class and the controller that serves
it, and a line from it to the Service port each of its rules names, labelled with the rule's
host and path, for the lab page to draw beside the Services map.

What it shows is what the objects say, as `kubectl describe ingress` and `kubectl get
ingressclass` read them:

- the Ingress's class (`spec.ingressClassName`, else the legacy `kubernetes.io/ingress.class`
  annotation), the IngressClass's `spec.controller`, and which ingress controller pods have
  taken the Ingress up (an Ingress no running controller serves is only an object: nothing
  routes its hosts);
- its address (`status.loadBalancer`, which the controller writes), and its TLS sections;
- one line per rule path (`host` or `*`, the path and its type) and one for `defaultBackend`,
  each ending at a backend box that reads as kubectl's Backends column: `name:port (ready
  endpoints)` — or `(<error: services "web" not found>)` for a Service that does not exist;
- a backend nginx cannot send to is drawn broken, with why: no such Service, no such port on
  it, or no ready endpoint on that port (ingress-nginx answers those requests 503); a resource
  backend (which ingress-nginx does not support) is broken too;
- live traffic: the requests the controller Service received (what clients sent to the
  Ingress's hosts; nginx's 502/503/504, when it has no upstream to pass a request on to, are
  errors), and on each line of an
  Ingress a running controller serves, its backend Service's counters, the line as wide as
  what can have come through the controller (the Service's rate, at most the controller's).

Built as plain values, a pure function of the objects and the traffic counters, so two maps
compare with `==` and the runner re-sends only the Ingresses that changed. At most
`MAX_INGRESSES_DRAWN` Ingresses (the learner's namespaces first), each with at most
`MAX_ROUTES_DRAWN` lines.

Simplified: the engine counts traffic per Service and per pod, not per Ingress path, so a
line stands for its backend Service's rate capped by the controller's: requests that reached
the Service directly, or through another path naming it, while the controller also had
traffic, are drawn on it too. Which requests a path takes is nginx's routing
(`engine/network/ingress.py`), not drawn per request.
"""

from __future__ import annotations

from typing import Any

from clusterlab.engine import Cluster
from clusterlab.engine.ingress_tables import load_balancer_address
from clusterlab.engine.network.ingress import Backend, upstreams
from clusterlab.engine.network.ingress_load import CONTROLLER_SELECTOR, controller_service
from clusterlab.kubectl.describe_ingress import describe_backend
from clusterlab.labs import traffic_flow
from clusterlab.labs.commands import MAX_RPS

Obj = dict[str, Any]
Key = tuple[str, str]

MAX_INGRESSES_DRAWN = 8
MAX_ROUTES_DRAWN = 16
SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease", "ingress-nginx")
LEGACY_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
#: Line widths, SVG user units: a backend without traffic, and the busiest one.
MIN_WIDTH = traffic_flow.MIN_WIDTH
MAX_WIDTH = traffic_flow.MAX_WIDTH

# The drawing's geometry (SVG user units): the Ingress on the left; per route an elbow line
# whose horizontal run carries the host/path label, ending at the backend's box.
WIDTH = 784
INGRESS_X, INGRESS_W, INGRESS_H = 4, 180, 50
ELBOW_X = 224
BACKEND_X, BACKEND_W = 470, 306
ROW_H, ROW_GAP = 34, 8
TOP = 4


def _key(obj: Obj) -> Key:
    meta = obj.get("metadata") or {}
    return (str(meta.get("namespace") or "default"), str(meta.get("name") or ""))


def dom_id(namespace: str, name: str) -> str:
    """An Ingress's element id (`_` joins: neither namespaces nor Ingress names may hold one)."""
    return f"ing_{namespace}_{name}"


def _order(ing: Obj) -> tuple[bool, str, str]:
    ns, name = _key(ing)
    return (ns in SYSTEM_NAMESPACES, ns, name)


def class_name(ing: Obj) -> str:
    """The Ingress's class: `spec.ingressClassName`, else the deprecated annotation; "" for none."""
    spec = ing.get("spec") or {}
    annotations = (ing.get("metadata") or {}).get("annotations") or {}
    return str(spec.get("ingressClassName") or annotations.get(LEGACY_CLASS_ANNOTATION) or "")


class _Objects:
    """The Services and EndpointSlices backends are read from, indexed once per map."""

    def __init__(self, cluster: Cluster) -> None:
        self.services: dict[Key, Obj] = {_key(s): s for s in cluster.observe("services")}
        self.slices: dict[Key, list[Obj]] = {}
        for eps in cluster.observe("endpointslices"):
            svc = (eps["metadata"].get("labels") or {}).get(SERVICE_NAME_LABEL)
            if svc:
                self.slices.setdefault((_key(eps)[0], svc), []).append(eps)

    def fetch(self, namespace: str) -> Any:
        def fetch(plural: str, name: str) -> Obj:
            found = self.services.get((namespace, name)) if plural == "services" else None
            if found is None:
                raise LookupError(f'{plural} "{name}" not found')  # the API's NotFound message
            return found

        return fetch

    def slices_of(self, namespace: str) -> Any:
        return lambda name: list(self.slices.get((namespace, name), []))


def _service_port(svc: Obj, port: Obj) -> Obj | None:
    for sp in (svc.get("spec") or {}).get("ports") or []:
        if (port.get("number") and sp.get("port") == port.get("number")) or (
            port.get("name") and sp.get("name") == port.get("name")
        ):
            return sp
    return None


def _broken(namespace: str, backend: Obj, objects: _Objects) -> str:
    """Why nginx cannot send this backend's requests anywhere ("" when it can)."""
    service = backend.get("service")
    if not isinstance(service, dict):
        resource = backend.get("resource") or {}
        return (
            f"a resource backend ({resource.get('kind', '')} {resource.get('name', '')}): "
            "ingress-nginx does not support them and answers 503"
        )
    name = str(service.get("name") or "")
    port = service.get("port") or {}
    svc = objects.services.get((namespace, name))
    if svc is None:
        return f'no Service "{name}" in namespace "{namespace}": nginx answers 503'
    if _service_port(svc, port) is None:
        wanted = port.get("name") or port.get("number") or ""
        return f'Service "{name}" has no port {wanted}: nginx answers 503'
    ref = Backend(namespace, name, port.get("number") or port.get("name") or 0, "", "")
    if not upstreams(ref, [svc], objects.slices.get((namespace, name), [])):
        return f'Service "{name}" has no ready endpoint on that port: nginx answers 503'
    return ""


def _route(
    namespace: str,
    host: str,
    path: str,
    path_type: str,
    backend: Obj,
    objects: _Objects,
    flows: Any,
    through: float | None,
) -> Obj:
    text = describe_backend(backend, objects.fetch(namespace), objects.slices_of(namespace))
    name, _, detail = text.partition(" ")
    service = backend.get("service")
    svc_name = str(service.get("name") or "") if isinstance(service, dict) else ""
    counter = flows.services.get((namespace, svc_name)) if svc_name else None
    broken = _broken(namespace, backend, objects)
    shown = counter is not None and not broken and through is not None and through > 0
    return {
        "host": host,
        "path": path,
        "path_type": path_type,
        "service": svc_name,
        "backend": name,  # `web:80`, or a resource backend's text
        "detail": detail,  # `(10.244.1.3:80)`, `(<none>)` or `(<error: …>)`
        "broken": broken,
        # what can have come through the controller: no more than the Service got, nor
        # than the controller received
        "rate": min(counter.rate, through) if shown else 0.0,
        "traffic": counter.as_dict() if shown else None,
    }


def _routes(ing: Obj, objects: _Objects, flows: Any, through: float | None) -> list[Obj]:
    """One line per rule path, then the default backend's (kubectl's Rules, in its order);
    `through`: the controller's request rate (None when no running controller serves it)."""
    namespace = _key(ing)[0]
    spec = ing.get("spec") or {}
    routes: list[Obj] = []
    for rule in spec.get("rules") or []:
        http = rule.get("http")
        if http is None:
            continue
        host = str(rule.get("host") or "*")
        for item in http.get("paths") or []:
            routes.append(
                _route(
                    namespace,
                    host,
                    str(item.get("path") or ""),
                    str(item.get("pathType") or ""),
                    item.get("backend") or {},
                    objects,
                    flows,
                    through,
                )
            )
    default = spec.get("defaultBackend")
    if default:
        routes.append(_route(namespace, "*", "", "default backend", default, objects, flows, through))
    return routes


def _layout(routes: list[Obj], dom: str) -> int:
    """Give each route its row, its `data-live` key and line width; return the drawing's height."""
    top = max(rate for rate in [r["rate"] for r in routes] + [0.0])
    y = TOP
    for index, route in enumerate(routes):
        route["live"] = f"{dom}-r{index}"
        route["traffic_text"] = traffic_flow.short_text(route["traffic"])
        route["traffic_words"] = traffic_flow.words(route["traffic"])
        route["y"] = y
        route["mid"] = y + ROW_H // 2
        route["label_y"] = route["mid"] - 5
        route["width"] = (
            MIN_WIDTH + round((MAX_WIDTH - MIN_WIDTH) * route["rate"] / top)
            if top and route["rate"]
            else MIN_WIDTH
        )
        y += ROW_H + ROW_GAP
    return max(y - ROW_GAP + TOP, INGRESS_H + 2 * TOP)


def _controllers(cluster: Cluster) -> dict[Key, list[str]]:
    """Per Ingress, the controller pods whose running ingress controller serves it."""
    serving: dict[Key, list[str]] = {}
    for pod in sorted(cluster.observe("pods"), key=_key):
        labels = (pod.get("metadata") or {}).get("labels") or {}
        if any(labels.get(k) != v for k, v in CONTROLLER_SELECTOR.items()):
            continue
        ns, name = _key(pod)
        for ing in cluster.ingress_nginx.ingresses_seen(ns, name) or ():
            serving.setdefault(_key(ing), []).append(f"{ns}/{name}")
    return serving


def ingress_entry(
    ing: Obj,
    classes: dict[str, Obj],
    served_by: list[str],
    objects: _Objects,
    flows: Any,
    controller_rate: float | None = None,
) -> Obj:
    """One Ingress on the map: its class and controller, address, TLS, and its routes (at most
    `MAX_ROUTES_DRAWN`) with the drawing's coordinates; `controller_rate` is the request rate
    of the controller's Service (None: unknown, the lines take their Services' rates)."""
    ns, name = _key(ing)
    cls = class_name(ing)
    ingress_class = classes.get(cls) if cls else None
    controller = str((ingress_class or {}).get("spec", {}).get("controller") or "")
    if not cls:
        class_note = "No class: only a controller that watches Ingresses without a class serves it."
    elif ingress_class is None and not ((ing.get("metadata") or {}).get("annotations") or {}).get(
        LEGACY_CLASS_ANNOTATION
    ):
        class_note = f'IngressClass "{cls}" not found: no controller serves it.'
    else:
        class_note = ""
    if not served_by:
        served_note = "No running ingress controller serves it: nothing routes its hosts yet."
    else:
        served_note = ""
    through = (controller_rate if controller_rate is not None else float("inf")) if served_by else None
    all_routes = _routes(ing, objects, flows, through)
    routes = all_routes[:MAX_ROUTES_DRAWN]
    height = _layout(routes, dom_id(ns, name))
    ingress_y = max(TOP, (height - INGRESS_H) // 2)
    spec = ing.get("spec") or {}
    tls = [
        {"secret": str(t.get("secretName") or ""), "hosts": ",".join(t.get("hosts") or [])}
        for t in spec.get("tls") or []
    ]
    urls: list[str] = []
    for route in all_routes if served_by else []:
        url = f"http://{route['host']}{route['path'] or '/'}"
        if route["host"] != "*" and not route["host"].startswith("*.") and url not in urls:
            urls.append(url)
    return {
        "namespace": ns,
        "name": name,
        "dom_id": dom_id(ns, name),
        "urls": urls,  # the page's "send requests" control: a client outside, by host and path
        "max_rps": MAX_RPS,
        "class_name": cls or "<none>",
        "controller": controller,
        "class_note": class_note,
        "served_by": served_by,
        "served_note": served_note,
        "address": load_balancer_address(ing.get("status") or {}),
        "tls": tls,
        "routes": routes,
        "broken": sum(1 for r in all_routes if r["broken"]),
        "more_routes": len(all_routes) - len(routes),
        "svg": {
            "width": WIDTH,
            "height": height,
            "ingress_x": INGRESS_X,
            "ingress_y": ingress_y,
            "ingress_w": INGRESS_W,
            "ingress_h": INGRESS_H,
            "ingress_right": INGRESS_X + INGRESS_W,
            "ingress_mid": ingress_y + INGRESS_H // 2,
            "elbow_x": ELBOW_X,
            "label_x": ELBOW_X + 6,
            "backend_x": BACKEND_X,
            "backend_w": BACKEND_W,
            "row_h": ROW_H,
        },
    }


def ingresses_panel(cluster: Cluster, flows: traffic_flow.Flows | None = None) -> Obj:
    """The board's Ingresses panel: the Ingresses drawn, the IngressClasses, the controller's
    traffic, and how many Ingresses are not drawn."""
    ingresses = sorted(cluster.observe("ingresses"), key=_order)
    class_objects = sorted(cluster.observe("ingressclasses"), key=lambda c: _key(c)[1])
    if not ingresses and not class_objects:
        return {"ingresses": [], "classes": [], "total": 0, "not_drawn_count": 0, "controller": None}
    flows = flows if flows is not None else traffic_flow.flows(cluster)
    drawn = ingresses[:MAX_INGRESSES_DRAWN]
    objects = _Objects(cluster)
    serving = _controllers(cluster) if drawn else {}
    classes = {_key(c)[1]: c for c in class_objects}
    controller_svc = controller_service(list(objects.services.values()))
    counter = flows.services.get(_key(controller_svc)) if controller_svc is not None else None
    return {
        "ingresses": [
            ingress_entry(
                i,
                classes,
                serving.get(_key(i), []),
                objects,
                flows,
                (counter.rate if counter is not None else 0.0) if controller_svc is not None else None,
            )
            for i in drawn
        ],
        "classes": [
            {
                "name": _key(c)[1],
                "controller": str((c.get("spec") or {}).get("controller") or ""),
                "default": ((c.get("metadata") or {}).get("annotations") or {}).get(
                    "ingressclass.kubernetes.io/is-default-class"
                )
                == "true",
            }
            for c in class_objects
        ],
        "controller": (
            {
                "service": "/".join(_key(controller_svc)),
                "traffic_text": traffic_flow.long_text(counter.as_dict() if counter is not None else None)
                or "no requests yet",
            }
            if controller_svc is not None
            else None
        ),
        "total": len(ingresses),
        "not_drawn_count": len(ingresses) - len(drawn),
    }


def drawing(entry: Obj) -> Obj:
    """An Ingress's entry without the traffic numbers that move every second (they reach the
    page through `live_values`): what decides whether its markup is re-sent."""
    moving = ("rate", "traffic", "traffic_text", "traffic_words", "width")
    return {
        **entry,
        "routes": [
            {**{k: v for k, v in r.items() if k not in moving}, "traffic": r["traffic"] is not None}
            for r in entry["routes"]
        ],
    }


def live_values(panel: Obj) -> traffic_flow.Live:
    """The drawn Ingresses' moving numbers (and the controller's), by their `data-live` keys."""
    live = traffic_flow.Live()
    if panel["controller"] is not None:
        live.text["ingress-controller"] = panel["controller"]["traffic_text"]
    for entry in panel["ingresses"]:
        for r in entry["routes"]:
            live.width[r["live"]] = r["width"]
            if r["traffic"] is not None:
                live.text[r["live"]] = r["traffic_text"]
                live.text[f"{r['live']}-words"] = r["traffic_words"]
    return live
