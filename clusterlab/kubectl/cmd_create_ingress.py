"""`kubectl create ingress NAME --rule=host/path=service:port[,tls[=secret]] ...`, as kubectl 1.32
builds the Ingress.

Each `--rule` must match kubectl's pattern (`host/path=svcname:svcport` then an optional
`,tls` or `,tls=secret`); a path ending in `*` is a Prefix path (the `*` dropped), any other
is Exact; rules of one host share its `http.paths`; a rule with `tls` puts its host in a TLS
entry (one per secret, each host once). `--default-backend=svc:port`, `--class` and
`--annotation key=value` fill in the rest; a port that is a number is `port.number`, else
`port.name`. Without rules or a default backend, or with a malformed rule, annotation or
default backend, kubectl refuses before sending anything; the server's refusals come back as
`failed to create ingress: ...`.
"""

from __future__ import annotations

import re
from typing import Any

from .cmd_write import _failed_to_create
from .context import Ctx
from .errors import CommandError

Obj = dict[str, Any]
RULE = re.compile(
    r"^(?P<host>[\w\*\-\.]*)(?P<path>/.*)=(?P<svcname>[\w\-]+):(?P<svcport>[\w\-]+)"
    r"(,(?P<istls>tls)=?(?P<secretname>[\w\-]+)?)?",
    re.ASCII,
)
NOT_ENOUGH = (
    "not enough information provided: every ingress has to either specify a default-backend (which "
    "catches all traffic) or a list of rules (which catch specific paths)"
)


def _port(text: str) -> Obj:
    """`intstr.Parse`: a number is `number`, anything else `name`."""
    try:
        return {"number": int(text)}
    except ValueError:
        return {"name": text}


def _backend(service: str) -> Obj:
    parts = service.split(":")
    return {"service": {"name": parts[0], "port": _port(parts[1])}}


def _path(pathsvc: str) -> Obj:
    parts = pathsvc.split("=")
    path, path_type = "/" + parts[0], "Exact"
    if path.endswith("*"):
        path, path_type = path[:-1], "Prefix"
    return {"path": path, "pathType": path_type, "backend": _backend(parts[1])}


def _tls(rules: list[str]) -> list[Obj]:
    """`buildTLSRules`."""
    seen: set[str] = set()
    out: list[Obj] = []
    for rule in rules:
        parts = rule.split(",")
        if len(parts) != 2:
            continue
        host = rule.split("/", 1)[0]
        secret_parts = parts[1].split("=")
        secret = secret_parts[1] if len(secret_parts) > 1 else ""
        if host in seen:
            continue
        index = next((i for i, t in enumerate(out) if t.get("secretName", "") == secret), -1)
        seen.add(host)
        if index > -1:
            out[index].setdefault("hosts", []).append(host)
            continue
        entry: Obj = {}
        if host:
            entry["hosts"] = [host]
        if secret:
            entry["secretName"] = secret
        if entry:
            out.append(entry)
    return out


def _rules(rules: list[str]) -> list[Obj]:
    """`buildIngressRules`."""
    out: list[Obj] = []
    for rule in rules:
        host, _, rest = rule.split(",")[0].partition("/")
        path = _path(rest)
        existing = next((r for r in out if r.get("host", "") == host), None)
        if existing is not None:
            existing["http"]["paths"].append(path)
            continue
        entry: Obj = {"host": host} if host else {}
        entry["http"] = {"paths": [path]}
        out.append(entry)
    return out


def run_create_ingress(ctx: Ctx) -> None:
    if len(ctx.args) != 1:
        raise CommandError(
            f"error: exactly one NAME is required, got {len(ctx.args)}\n"
            "See 'kubectl create ingress -h' for help and examples\n",
            raw=True,
        )
    rules = [str(r) for r in ctx.flags.get("rule") or ()]
    annotations = [str(a) for a in ctx.flags.get("annotation") or ()]
    default = str(ctx.flags.get("default-backend") or "")
    if not default and not rules:
        raise CommandError(NOT_ENOUGH)
    for rule in rules:
        if not RULE.match(rule):
            raise CommandError(
                f"rule {rule} is invalid and should be in format host/path=svcname:svcport[,tls[=secret]]"
            )
    for annotation in annotations:
        if "=" not in annotation:
            raise CommandError(f"annotation {annotation} is invalid and should be in format key=[value]")
    if default and len(default.split(":")) != 2:
        raise CommandError("default-backend should be in format servicename:serviceport")
    meta: Obj = {"name": str(ctx.args[0]), "creationTimestamp": None}
    if annotations:
        meta["annotations"] = dict(a.split("=", 1) for a in annotations)
    spec: Obj = {}
    if ctx.flags.get("class"):
        spec["ingressClassName"] = str(ctx.flags["class"])
    if default:
        spec["defaultBackend"] = _backend(default)
    tls = _tls(rules)
    if tls:
        spec["tls"] = tls
    built = _rules(rules)
    if built:
        spec["rules"] = built
    obj = {
        "kind": "Ingress",
        "apiVersion": "networking.k8s.io/v1",
        "metadata": meta,
        "spec": spec,
        "status": {"loadBalancer": {}},
    }
    _failed_to_create(ctx, "ingress", "ingresses.networking.k8s.io", obj)
