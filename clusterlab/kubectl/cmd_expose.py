"""`kubectl expose`: a Service in front of a pod, Deployment, ReplicaSet or Service.

As kubectl 1.32 does it: GET the object, derive what the flags leave open — the selector
(a pod's labels, a workload's `matchLabels`, a Service's selector), the ports (the
containers' `containerPort`s, or a Service's ports; several are named `port-1`, `port-2`, …)
with their protocols, and the labels (the object's own) — then POST the Service with
`fieldManager=kubectl-expose` and print `service/<name> exposed`. `--target-port` applies to
every port; without it each port targets its own number.

Simplified: `--overrides`, `--load-balancer-ip` and `-f` are not offered; `--dry-run=client`
prints what would be sent.
"""

from __future__ import annotations

from typing import Any

from .cmd_get import output_kind, render_objects
from .context import Ctx
from .errors import CommandError
from .printers import formats
from .transport import ApiStatusError

Obj = dict[str, Any]
EXPOSABLE = ("Pod", "Service", "ReplicationController", "Deployment", "ReplicaSet")


def _go_expressions(expressions: list[Obj]) -> str:
    """Go's `%+v` of a `[]LabelSelectorRequirement`."""
    parts = []
    for e in expressions:
        values = " ".join(e.get("values") or [])
        parts.append(f"{{Key:{e.get('key', '')} Operator:{e.get('operator', '')} Values:[{values}]}}")
    return "[" + " ".join(parts) + "]"


def _selector_of(obj: Obj) -> dict[str, str]:
    """`MapBasedSelectorForObject`, with the reason wrapped as RunExpose wraps it."""
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    why = ""
    if kind == "Pod":
        labels = (obj.get("metadata") or {}).get("labels") or {}
        if labels:
            return dict(labels)
        why = "the pod has no labels and cannot be exposed"
    elif kind in ("Service", "ReplicationController"):
        if spec.get("selector"):
            return dict(spec["selector"])
        why = f"the {'service' if kind == 'Service' else 'replication controller'} has no pod selector set"
    else:
        selector = spec.get("selector")
        if not selector:
            why = f"invalid {kind.lower() if kind else ''}: no selectors, therefore cannot be exposed"
        elif selector.get("matchExpressions"):
            why = (
                f'couldn\'t convert expressions - "{_go_expressions(selector["matchExpressions"])}" to '
                "map-based selector format"
            )
        else:
            return dict(selector.get("matchLabels") or {})
    raise CommandError(f"couldn't retrieve selectors via --selector flag or introspection: {why}")


def _containers(obj: Obj) -> list[Obj]:
    spec = obj.get("spec") or {}
    if obj.get("kind") != "Pod":
        spec = (spec.get("template") or {}).get("spec") or {}
    return list(spec.get("containers") or [])


def _ports_and_protocols(obj: Obj) -> tuple[list[str], dict[str, list[str]]]:
    """`PortsForObject` and `ProtocolsForObject`."""
    ports: list[str] = []
    protocols: dict[str, list[str]] = {}
    if obj.get("kind") == "Service":
        for p in (obj.get("spec") or {}).get("ports") or []:
            ports.append(str(p.get("port")))
            protocols.setdefault(str(p.get("port")), []).append(p.get("protocol", "TCP"))
        return ports, protocols
    for c in _containers(obj):
        for p in c.get("ports") or []:
            ports.append(str(p.get("containerPort")))
            protocols.setdefault(str(p.get("containerPort")), []).append(p.get("protocol", "TCP"))
    return ports, protocols


def _parse_labels(text: str) -> dict[str, str]:
    """expose's `parseLabels`: `k=v` pairs separated by commas, nothing looser."""
    out: dict[str, str] = {}
    for pair in text.split(","):
        parts = pair.split("=")
        if len(parts) != 2:
            raise CommandError(f"unexpected label spec: {pair}")
        if not parts[0]:
            raise CommandError("unexpected empty label key")
        out[parts[0]] = parts[1]
    return out


def _atoi(text: str) -> int | None:
    try:
        return int(text) if text.strip() == text and text else None
    except ValueError:
        return None


def build_service(ctx: Ctx, obj: Obj) -> Obj:
    """The Service kubectl's expose builds for `obj` and the flags (`createService`)."""
    flags = ctx.flags
    meta = obj.get("metadata") or {}
    name = flags.get("name") or str(meta.get("name", ""))[:63]
    selector = _parse_labels(flags["selector"]) if flags.get("selector") else _selector_of(obj)
    if not selector:
        raise CommandError("selector must be specified")
    found_ports, protocols = _ports_and_protocols(obj)
    port_text = flags.get("port") or ""
    if not port_text:
        if not found_ports and flags.get("cluster-ip") != "None":
            raise CommandError("couldn't find port via --port flag or introspection")
        port_text = ",".join(found_ports)
    labels = _parse_labels(flags["labels"]) if flags.get("labels") else dict(meta.get("labels") or {})
    service_ports: list[Obj] = []
    texts = port_text.split(",") if port_text else []
    for i, text in enumerate(texts):
        number = _atoi(text)
        if number is None:
            raise CommandError(f'strconv.Atoi: parsing "{text}": invalid syntax')
        port_name = f"port-{i + 1}" if len(texts) > 1 else ""
        protocol = flags.get("protocol") or ""
        if not protocol:
            protocol = "TCP"
            known = protocols.get(text) or []
            if len(known) == 1:
                protocol = known[0]
            elif len(known) > 1:
                for p in known:
                    service_ports.append({"name": f"port-{i + 1}-{p.lower()}", "port": number, "protocol": p})
                continue
        port: Obj = {"name": port_name} if port_name else {}
        service_ports.append({**port, "port": number, "protocol": protocol})
    target = flags.get("target-port") or ""
    for p in service_ports:
        if target:
            number = _atoi(target)
            p["targetPort"] = number if number is not None else target
        else:
            p["targetPort"] = p["port"]
    affinity = flags.get("session-affinity") or ""
    if affinity and affinity not in ("None", "ClientIP"):
        raise CommandError(f"unknown session affinity: {affinity}")
    svc_meta: Obj = {"creationTimestamp": None, "name": name}
    if labels:
        svc_meta["labels"] = labels
    spec: Obj = {"selector": selector}
    if service_ports:
        spec["ports"] = service_ports
    if flags.get("external-ip"):
        spec["externalIPs"] = [flags["external-ip"]]
    if flags.get("type"):
        spec["type"] = flags["type"]
    if affinity:
        spec["sessionAffinity"] = affinity
    if flags.get("cluster-ip"):
        spec["clusterIP"] = flags["cluster-ip"]
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": svc_meta,
        "spec": spec,
        "status": {"loadBalancer": {}},
    }


def run_expose(ctx: Ctx) -> None:
    if not ctx.args:
        raise CommandError(
            "You must provide one or more resources by argument or filename.\nExample resource "
            "specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n"
            "   '<resource>'"
        )
    dry = ctx.flags.get("dry-run") or "none"
    if dry == "unchanged":
        dry = "client"
    sel = ctx.selection("expose")
    if sel.types and not sel.targets:
        raise CommandError("resource(s) were provided, but no name was specified")
    errors: list[Any] = list(sel.errors)
    for t in sel.targets:
        try:
            obj = ctx.call("GET", t.resource.path(t.namespace, t.name))
        except ApiStatusError as exc:
            errors.append(exc)
            continue
        obj.setdefault("kind", t.resource.kind)
        if t.resource.kind not in EXPOSABLE:
            errors.append(f"cannot expose a {t.resource.kind}")
            continue
        try:
            body = build_service(ctx, obj)
        except CommandError as exc:
            errors.append(exc.message)
            continue
        svc_res = ctx.discovery.resolve("services")[0]
        if dry == "client":
            created = body
        else:
            query = {"fieldManager": ctx.flags.get("field-manager") or "kubectl-expose"}
            if dry == "server":
                query["dryRun"] = "All"
            try:
                created = ctx.call("POST", svc_res.path(t.namespace), query=query, body=body)
            except ApiStatusError as exc:
                errors.append(exc)
                continue
        if ctx.flags.get("output"):
            output_kind(ctx.flags["output"])
            render_objects(ctx, [(svc_res, created)], single=True)
        else:
            suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(dry, "")
            ctx.print(f"{formats.name_of(created, svc_res.display_kind)} exposed{suffix}")
    ctx.report(errors)
