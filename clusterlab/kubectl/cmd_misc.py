"""logs, api-resources, api-versions, version.

`logs` GETs the pod (to pick the container: the only one, the one named by
`kubectl.kubernetes.io/default-container`, or the first, saying `Defaulted container "a" out
of: a, b`), then `GET .../pods/<name>/log?container=...` and prints the text verbatim.
`api-resources` prints discovery as kubectl's table (NAME, SHORTNAMES, APIVERSION,
NAMESPACED, KIND). `version` asks `GET /version`.

`logs -f` in the console: a console command runs and returns, so it cannot hold a stream open
as kubectl does. It asks with `follow=true` like kubectl and prints what the container has
written so far; when the container has stopped, that is exactly what kubectl prints (its stream
ends with the container); when it still runs, a note on stderr says where following stopped and
how to see more (run it again, or follow live with real kubectl and the lab's kubeconfig).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .cmd_get import output_kind
from .context import Ctx
from .durations import go_round_seconds
from .errors import CommandError
from .printers import formats
from .printers.table import tabwrite

CLIENT_VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.5",
    "platform": "linux/amd64",
}


def run_logs(ctx: Ctx) -> None:
    if not ctx.args:
        raise CommandError(
            "expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a "
            "required argument "
            "for the logs command\nSee 'kubectl logs -h' for help and examples"
        )
    if len(ctx.args) > 2:
        raise CommandError("expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.")
    since = go_round_seconds(ctx.flags.get("since") or 0.0)
    since_time = _rfc3339(ctx.flags["since-time"]) if ctx.flags.get("since-time") else ""
    if since_time and since:
        raise CommandError("at most one of `sinceTime` or `sinceSeconds` may be specified")
    if ctx.flags.get("limit-bytes", 0) < 0:
        raise CommandError("--limit-bytes must be greater than 0")
    if since < 0:
        raise CommandError("--since must be greater than 0")
    if ctx.flags.get("tail", -1) < -1:
        raise CommandError("--tail must be greater than or equal to -1")
    if ctx.flags.get("all-containers") or ctx.flags.get("selector"):
        raise CommandError("--all-containers and -l are not available in this console: name one pod")
    name = ctx.args[0]
    container = ctx.flags.get("container") or (ctx.args[1] if len(ctx.args) == 2 else "")
    pods = ctx.discovery.resolve("pods")[0]
    pod: dict[str, Any] | None = None
    if "/" in name:
        kind, _, name = name.partition("/")
        r = ctx.discovery.resolve(kind)[0]
        if r.kind in ("Deployment", "ReplicaSet", "Job"):
            pod = _first_pod(ctx, r, name)
            name = pod["metadata"]["name"]
        elif r.kind != "Pod":
            raise CommandError(
                f"cannot get the logs from *{r.api_version}.{r.kind}: selector for *{r.api_version}.{r.kind} "
                "not implemented"
            )
    if pod is None:
        pod = ctx.call("GET", pods.path(ctx.namespace, name), accept="application/json, */*")
    names = [c.get("name", "") for c in (pod.get("spec") or {}).get("containers") or []]
    if not container:
        annotated = ((pod.get("metadata") or {}).get("annotations") or {}).get(
            "kubectl.kubernetes.io/default-container"
        )
        container = annotated if annotated in names else (names[0] if names else "")
        if len(names) > 1 and not annotated:
            ctx.err.append(f'Defaulted container "{container}" out of: {", ".join(names)}\n')
    query = {"container": container}
    if ctx.flags.get("follow"):
        query["follow"] = "true"
    if ctx.flags.get("previous"):
        query["previous"] = "true"
    if since:
        query["sinceSeconds"] = str(since)
    if since_time:
        query["sinceTime"] = since_time
    if ctx.flags.get("timestamps"):
        query["timestamps"] = "true"
    if ctx.flags.get("tail", -1) >= 0:
        query["tailLines"] = str(ctx.flags["tail"])
    if ctx.flags.get("limit-bytes"):
        query["limitBytes"] = str(ctx.flags["limit-bytes"])
    text = ctx.call("GET", pods.path(ctx.namespace, name, "log"), query=query, accept="application/json, */*")
    ctx.out.append(text if isinstance(text, str) else "")
    if ctx.flags.get("follow") and not ctx.flags.get("previous") and _running(pod, container):
        ctx.err.append(FOLLOW_NOTE)


#: What `logs -f` adds when the container still runs: kubectl would keep printing until it
#: stops, but a console command returns, so the learner is told where the stream was cut.
FOLLOW_NOTE = (
    "(the console stops following here, the container is still running: run the command "
    "again for newer lines, or use kubectl with this lab's kubeconfig to follow it live)\n"
)


def _running(pod: dict[str, Any], container: str) -> bool:
    status = pod.get("status") or {}
    for s in (*(status.get("containerStatuses") or ()), *(status.get("initContainerStatuses") or ())):
        if s.get("name") == container:
            return "running" in (s.get("state") or {})
    return False


def _rfc3339(text: str) -> str:
    """`--since-time` as kubectl sends it (a `metav1.Time`: whole seconds, UTC, `Z`)."""
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        # Go's time.Parse names the layout element it failed on; this names the first (year),
        # which is where a value that is no timestamp at all fails.
        raise CommandError(
            f'parsing time "{text}" as "2006-01-02T15:04:05Z07:00": cannot parse "{text}" as "2006"'
        )
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_PHASE_ORDER = {"Running": 0, "Unknown": 1, "Pending": 2}


def _logging_order(pod: dict[str, Any]) -> tuple[Any, ...]:
    """kubectl's `ByLogging`: the pod most likely to have logs first (assigned, Running,
    ready, ready longest, most restarts, oldest)."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    ready: dict[str, Any] = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), {})
    is_ready = ready.get("status") == "True"
    restarts = sum(int(c.get("restartCount", 0)) for c in status.get("containerStatuses") or [])
    return (
        not spec.get("nodeName"),
        _PHASE_ORDER.get(status.get("phase", ""), 3),
        not is_ready,
        (ready.get("lastTransitionTime") or "~") if is_ready else "~",
        -restarts,
        (pod.get("metadata") or {}).get("creationTimestamp") or "~",
    )


def _first_pod(ctx: Ctx, r: Any, name: str) -> dict[str, Any]:
    """The pod `kubectl logs deploy/web` reads: its selector's pods, best for logging first."""
    from .describe_more import selector_text

    owner = ctx.call("GET", r.path(ctx.namespace, name))
    selector = selector_text((owner.get("spec") or {}).get("selector"))
    pods_res = ctx.discovery.resolve("pods")[0]
    items = (
        ctx.call("GET", pods_res.path(ctx.namespace), query={"labelSelector": selector}).get("items") or []
    )
    if not items:
        raise CommandError("timed out waiting for the condition")
    items.sort(key=_logging_order)
    if len(items) > 1:
        ctx.err.append(f"Found {len(items)} pods, using pod/{items[0]['metadata']['name']}\n")
    return dict(items[0])


def run_api_resources(ctx: Ctx) -> None:
    fmt = ctx.flags.get("output") or ""
    if fmt not in ("", "wide", "name"):
        raise CommandError(f"--output {fmt} is not available. Allowed: wide, name")
    rows = []
    for r in sorted(ctx.discovery.resources, key=lambda r: (r.group, r.plural)):
        if "namespaced" in ctx.parsed.given and r.namespaced != ctx.flags["namespaced"]:
            continue
        if (
            ctx.flags.get("api-group") is not None
            and "api-group" in ctx.parsed.given
            and r.group != ctx.flags["api-group"]
        ):
            continue
        if ctx.flags.get("verbs") and not set(ctx.flags["verbs"]) <= set(r.verbs):
            continue
        if fmt == "name":
            rows.append([r.qualified])
            continue
        row = [r.plural, ",".join(r.short_names), r.api_version, str(r.namespaced).lower(), r.kind]
        if fmt == "wide":
            row += [f"[{' '.join(sorted(r.verbs))}]", ",".join(r.categories)]
        rows.append(row)
    if fmt == "name":
        ctx.out.append("".join(f"{r[0]}\n" for r in rows))
        return
    header = ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    if fmt == "wide":
        header += ["VERBS", "CATEGORIES"]
    ctx.out.append(tabwrite(rows if ctx.flags.get("no-headers") else [header, *rows]))


def run_api_versions(ctx: Ctx) -> None:
    """`kubectl api-versions`: every group/version discovery lists, sorted."""
    versions = sorted({r.api_version for r in ctx.discovery.all_resources})
    ctx.out.append("".join(f"{v}\n" for v in versions))


def run_version(ctx: Ctx) -> None:
    fmt, _ = output_kind(ctx.flags.get("output") or "")
    server: Any = None
    if not ctx.flags.get("client"):
        server = ctx.call("GET", "/version", accept="application/json, */*")
    if fmt in ("yaml", "json"):
        doc: dict[str, Any] = {"clientVersion": CLIENT_VERSION, "kustomizeVersion": "v5.5.0"}
        if server is not None:
            doc["serverVersion"] = server
        ctx.print(formats.to_yaml(doc) if fmt == "yaml" else formats.to_json(doc))
        return
    ctx.print(f"Client Version: {CLIENT_VERSION['gitVersion']}\nKustomize Version: v5.5.0")
    if server is not None:
        ctx.print(f"Server Version: {server.get('gitVersion', '')}")
