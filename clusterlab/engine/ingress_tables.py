"""The Ingress and IngressClass tables, as kube-apiserver 1.32's `pkg/printers/internalversion`
prints them.

- Ingress: NAME, CLASS (`<none>` without `ingressClassName`), HOSTS (the rules' hosts, at
  most three then `+ N more...`, `*` when no rule names one), ADDRESS (the load-balancer
  IPs, else hostnames, sorted and comma-joined; the server prints the wide form, so never
  clipped), PORTS (`80`, or `80, 443` when the Ingress has TLS), AGE.
- IngressClass: NAME, CONTROLLER, PARAMETERS (`Kind.apiGroup/name`, `<none>`), AGE.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .table_columns import Since, column

Obj = dict[str, Any]

CLASS_DOC = "The name of the IngressClass resource that should be used for additional configuration"
HOSTS_DOC = "Hosts that incoming requests are matched against before the ingress rule"
ADDRESS_DOC = "Address is a list containing ingress points for the load-balancer"
PORTS_DOC = "Ports of TLS configurations that open"
CONTROLLER_DOC = "Controller that is responsible for handling this class"
PARAMETERS_DOC = "A reference to a resource with additional parameters"
MAX_HOSTS = 3


def columns(name_col: Obj, age_col: Obj) -> dict[str, list[Obj]]:
    return {
        "Ingress": [
            name_col,
            column("Class", CLASS_DOC),
            column("Hosts", HOSTS_DOC),
            column("Address", ADDRESS_DOC),
            column("Ports", PORTS_DOC),
            age_col,
        ],
        "IngressClass": [
            name_col,
            column("Controller", CONTROLLER_DOC),
            column("Parameters", PARAMETERS_DOC),
            age_col,
        ],
    }


def format_hosts(rules: list[Obj]) -> str:
    """`formatHosts`: the first three named hosts, then how many rules are left."""
    hosts: list[str] = []
    more = False
    for rule in rules:
        if len(hosts) == MAX_HOSTS:
            more = True
        if not more and rule.get("host"):
            hosts.append(rule["host"])
    if not hosts:
        return "*"
    text = ",".join(hosts)
    return f"{text} + {len(rules) - MAX_HOSTS} more..." if more else text


def load_balancer_address(status: Obj) -> str:
    """`ingressLoadBalancerStatusStringer` (wide): each point's IP, else its hostname, sorted."""
    found = set()
    for point in (status.get("loadBalancer") or {}).get("ingress") or []:
        if point.get("ip"):
            found.add(point["ip"])
        elif point.get("hostname"):
            found.add(point["hostname"])
    return ",".join(sorted(found))


def _ingress(ing: Obj, t: Since) -> list[Any]:
    spec = ing.get("spec") or {}
    return [
        ing["metadata"]["name"],
        spec.get("ingressClassName") or "<none>",
        format_hosts(spec.get("rules") or []),
        load_balancer_address(ing.get("status") or {}),
        "80, 443" if spec.get("tls") else "80",
        t.since(ing["metadata"].get("creationTimestamp")),
    ]


def parameters_text(params: Obj | None) -> str:
    if not params:
        return "<none>"
    text = params.get("kind") or ""
    if params.get("apiGroup") is not None:
        text += "." + params["apiGroup"]
    return f"{text}/{params.get('name') or ''}"


def _ingress_class(ic: Obj, t: Since) -> list[Any]:
    spec = ic.get("spec") or {}
    return [
        ic["metadata"]["name"],
        spec.get("controller") or "",
        parameters_text(spec.get("parameters")),
        t.since(ic["metadata"].get("creationTimestamp")),
    ]


PRINTERS: dict[str, Callable[[Obj, Any], list[Any]]] = {"Ingress": _ingress, "IngressClass": _ingress_class}
