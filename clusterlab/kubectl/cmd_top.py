"""top: `kubectl top pod` and `kubectl top node`, from the Metrics API.

As kubectl 1.32 does it: first discovery (`GET /api`, `GET /apis`, uncached); without a served
`metrics.k8s.io/v1beta1` (absent, or marked Stale while metrics-server is not Available) the
answer is `error: Metrics API not available`. Then one request to the Metrics API
(`.../pods[/NAME]` in the namespace or across all, `/nodes[/NAME]`, with the selectors).

- pod: no items means either no pods (`No resources found in <ns> namespace.` on stderr) or
  pods too fresh to have been scraped (`error: metrics not available yet`; a pod older than two
  minutes instead gives `Metrics not available for pod <ns>/<name>, age: <duration>`). Rows:
  NAMESPACE (with -A), POD (with --containers), NAME, CPU(cores), MEMORY(bytes); CPU as
  millicores rounded up, memory in whole MiB; `--sum` adds kubectl's underlined total.
- node: no items is `error: metrics not available yet`; then the Nodes are read for their
  allocatable (capacity with `--show-capacity`) to print CPU(%) and MEMORY(%); a node without
  metrics prints `<unknown>` in every column.
- `--sort-by cpu|memory` sorts largest first; otherwise by (namespace and) name.

Simplified: kubectl sorts with Go's unstable sort, which keeps ties in order only up to 12
rows; the console's sort is stable. Nodes without metrics come out in name order (kubectl
walks a Go map: any order).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from .context import Ctx
from .describe_node import parse_quantity
from .errors import CommandError
from .printers.ages import parse_time
from .printers.tabwriter import tabwriter
from .transport import ACCEPT_DISCOVERY

Obj = dict[str, Any]
METRICS = "/apis/metrics.k8s.io/v1beta1"
METRICS_CREATION_DELAY = 120.0
MIB = 1024 * 1024
POD_COLUMNS = ["NAME", "CPU(cores)", "MEMORY(bytes)"]
NODE_COLUMNS = ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]
TOP_HELP = """Display resource (CPU/memory) usage.

 The top command allows you to see the resource consumption for nodes or pods.

 This command requires Metrics Server to be correctly configured and working on the server.

Available Commands:
  node          Display resource (CPU/memory) usage of nodes
  pod           Display resource (CPU/memory) usage of pods

Usage:
  kubectl top [flags] [options]

Use "kubectl top <command> --help" for more information about a given command.
Use "kubectl options" for a list of global command-line options (applies to all commands).
"""


def run_top(ctx: Ctx) -> None:
    """`kubectl top` without a (known) subcommand: cobra's help, or an unknown command."""
    if ctx.args:
        raise CommandError(
            f"unknown command \"{' '.join(ctx.args)}\"\nSee 'kubectl top -h' for help and examples"
        )
    ctx.err.append(TOP_HELP)
    ctx.exit_code = 1


def _validate(ctx: Ctx, use: str, selector_given: bool, selector_text: str) -> str:
    if len(ctx.args) > 1:
        raise CommandError(f"{use}\nSee 'kubectl top {use.split()[0]} -h' for help and examples")
    sort_by = ctx.flags.get("sort-by") or ""
    if sort_by and sort_by not in ("cpu", "memory"):
        raise CommandError("--sort-by accepts only cpu or memory")
    if ctx.args and selector_given:
        raise CommandError(selector_text)
    return sort_by


def metrics_api_available(ctx: Ctx) -> bool:
    """client-go's `ServerGroups` (aggregated discovery; Stale versions dropped) and kubectl's
    `SupportedMetricsAPIVersionAvailable`."""
    ctx.call("GET", "/api", accept=ACCEPT_DISCOVERY)
    doc = ctx.call("GET", "/apis", accept=ACCEPT_DISCOVERY) or {}
    if doc.get("kind") == "APIGroupDiscoveryList":
        for item in doc.get("items") or ():
            if (item.get("metadata") or {}).get("name") != "metrics.k8s.io":
                continue
            for v in item.get("versions") or ():
                if v.get("version") == "v1beta1" and v.get("freshness") != "Stale":
                    return True
        return False
    for group in doc.get("groups") or ():
        if group.get("name") == "metrics.k8s.io":
            return any(v.get("version") == "v1beta1" for v in group.get("versions") or ())
    return False


def _query(ctx: Ctx, *, fields: bool) -> dict[str, str]:
    query = {}
    if ctx.flags.get("selector"):
        query["labelSelector"] = ctx.flags["selector"]
    if fields and ctx.flags.get("field-selector"):
        query["fieldSelector"] = ctx.flags["field-selector"]
    return query


def _cpu(value: Fraction) -> str:
    return f"{math.ceil(value * 1000)}m"


def _memory(value: Fraction) -> str:
    return f"{math.ceil(value) // MIB}Mi"


def _q(usage: Obj, resource: str) -> Fraction:
    return parse_quantity((usage or {}).get(resource, "0"))[0]


def _pod_usage(m: Obj) -> tuple[Fraction, Fraction]:
    cs = m.get("containers") or []
    return sum((_q(c.get("usage"), "cpu") for c in cs), Fraction(0)), sum(
        (_q(c.get("usage"), "memory") for c in cs), Fraction(0)
    )


def _by(sort_by: str, cpu: Fraction, memory: Fraction) -> int:
    """The sort key kubectl compares: MilliValue of CPU, Value of memory (largest first)."""
    return -math.ceil(cpu * 1000) if sort_by == "cpu" else -math.ceil(memory)


# -- pods ------------------------------------------------------------------------------------


def run_top_pod(ctx: Ctx) -> None:
    selector_given = bool(ctx.flags.get("selector") or ctx.flags.get("field-selector"))
    sort_by = _validate(
        ctx, "pod [NAME | -l label]", selector_given, "only one of NAME or selector can be provided"
    )
    if not metrics_api_available(ctx):
        raise CommandError("Metrics API not available")
    all_ns = bool(ctx.flags.get("all-namespaces"))
    ns = ctx.namespace
    base = METRICS if all_ns else f"{METRICS}/namespaces/{ns}"
    if ctx.args:
        items = [ctx.call("GET", f"{METRICS}/namespaces/{ns}/pods/{ctx.args[0]}")]
    else:
        items = (ctx.call("GET", f"{base}/pods", query=_query(ctx, fields=True)) or {}).get("items") or []
    if not items:
        _verify_empty(ctx, ns)
        ctx.err.append("No resources found\n" if all_ns else f"No resources found in {ns} namespace.\n")
        return
    ctx.out.append(_pod_table(items, ctx, all_ns, sort_by))


def _verify_empty(ctx: Ctx, ns: str) -> None:
    """kubectl's `verifyEmptyMetrics`: no pods is fine; pods with no metrics are an error."""
    pods = (ctx.call("GET", f"/api/v1/namespaces/{ns}/pods", query=_query(ctx, fields=True)) or {}).get(
        "items"
    ) or []
    if not pods:
        return
    for pod in pods:
        meta = pod.get("metadata") or {}
        created = parse_time(meta.get("creationTimestamp"))
        if ctx.now is not None and created is not None:
            age = (ctx.now - created).total_seconds()
            if age > METRICS_CREATION_DELAY:
                raise CommandError(
                    f"Metrics not available for pod {meta.get('namespace')}/{meta.get('name')}, "
                    f"age: {_go_duration(age)}"
                )
    raise CommandError("metrics not available yet")


def _go_duration(seconds: float) -> str:
    """Go's `Duration.String()` (nanosecond precision): `2m3.5s`, `1h0m1s`."""
    ns = round(seconds * 1e9)
    hours, rest = divmod(ns, 3600 * 10**9)
    minutes, rest = divmod(rest, 60 * 10**9)
    secs = f"{rest / 1e9:.9f}".rstrip("0").rstrip(".")
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    return f"{minutes}m{secs}s" if minutes else f"{secs}s"


def _pod_table(items: list[Obj], ctx: Ctx, all_ns: bool, sort_by: str) -> str:
    containers = bool(ctx.flags.get("containers"))
    no_headers = bool(ctx.flags.get("no-headers"))
    lines: list[list[str]] = []
    width = len(POD_COLUMNS)
    if not no_headers:
        head = []
        if all_ns:
            head.append("NAMESPACE")
            width += 1
        if containers:
            head.append("POD")
            width += 1
        lines.append([*head, *POD_COLUMNS])

    def key(m: Obj) -> Any:
        if sort_by:
            return _by(sort_by, *_pod_usage(m))
        meta = m.get("metadata") or {}
        return (meta.get("namespace", "") if all_ns else "", meta.get("name", ""))

    for m in sorted(items, key=key):
        meta = m.get("metadata") or {}
        lead = [meta.get("namespace", "")] if all_ns else []
        if containers:
            cs = m.get("containers") or []
            if sort_by:
                cs = sorted(
                    cs, key=lambda c: _by(sort_by, _q(c.get("usage"), "cpu"), _q(c.get("usage"), "memory"))
                )
            else:
                cs = sorted(cs, key=lambda c: c.get("name", ""))
            for c in cs:
                u = c.get("usage") or {}
                lines.append(
                    [
                        *lead,
                        meta.get("name", ""),
                        c.get("name", ""),
                        _cpu(_q(u, "cpu")),
                        _memory(_q(u, "memory")),
                    ]
                )
        else:
            cpu, memory = _pod_usage(m)
            lines.append([*lead, meta.get("name", ""), _cpu(cpu), _memory(memory)])
    if ctx.flags.get("sum"):
        total_cpu = sum((_pod_usage(m)[0] for m in items), Fraction(0))
        total_memory = sum((_pod_usage(m)[1] for m in items), Fraction(0))
        lines.append([""] * (width - 2) + ["________", "________"])
        lines.append([""] * (width - 3) + ["", _cpu(total_cpu), _memory(total_memory)])
    return tabwriter("".join("".join(f"{cell}\t" for cell in row) + "\n" for row in lines), 6, 3)


# -- nodes -----------------------------------------------------------------------------------


def run_top_node(ctx: Ctx) -> None:
    sort_by = _validate(
        ctx,
        "node [NAME | -l label]",
        bool(ctx.flags.get("selector")),
        "only one of NAME or --selector can be provided",
    )
    if not metrics_api_available(ctx):
        raise CommandError("Metrics API not available")
    if ctx.args:
        name = ctx.args[0]
        items = [ctx.call("GET", f"{METRICS}/nodes/{name}")]
    else:
        items = (ctx.call("GET", f"{METRICS}/nodes", query=_query(ctx, fields=False)) or {}).get(
            "items"
        ) or []
    if not items:
        raise CommandError("metrics not available yet")
    if ctx.args:
        nodes = [ctx.call("GET", f"/api/v1/nodes/{ctx.args[0]}")]
    else:
        nodes = (ctx.call("GET", "/api/v1/nodes", query=_query(ctx, fields=False)) or {}).get("items") or []
    which = "capacity" if ctx.flags.get("show-capacity") else "allocatable"
    available = {
        (n.get("metadata") or {}).get("name", ""): (n.get("status") or {}).get(which) or {} for n in nodes
    }
    lines: list[list[str]] = [] if ctx.flags.get("no-headers") else [list(NODE_COLUMNS)]

    def key(m: Obj) -> Any:
        u = m.get("usage") or {}
        if sort_by:
            return _by(sort_by, _q(u, "cpu"), _q(u, "memory"))
        return (m.get("metadata") or {}).get("name", "")

    for m in sorted(items, key=key):
        name = (m.get("metadata") or {}).get("name", "")
        u = m.get("usage") or {}
        row = [name]
        alloc = available.pop(name, None)
        for resource, text in (("cpu", _cpu), ("memory", _memory)):
            used = _q(u, resource)
            row.append(text(used))
            if alloc is not None and resource in alloc:
                total = math.ceil(_q(alloc, resource) * 1000)
                fraction = math.ceil(used * 1000) / total * 100 if total else 0.0
                row.append(f"{int(fraction)}%")
        lines.append(row)
    for name in sorted(available):
        lines.append([name, "<unknown>", "<unknown>", "<unknown>", "<unknown>"])
    ctx.out.append(tabwriter("".join("".join(f"{cell}\t" for cell in row) + "\n" for row in lines), 6, 3))
