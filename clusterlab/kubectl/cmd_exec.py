"""`kubectl exec`: run a command in a container and pass its output and exit code on.

Real kubectl resolves the pod (`deploy/web` picks one of its pods as `logs` does), picks the
container (the `kubectl.kubernetes.io/default-container` annotation, else the first, saying so
when there are several), then streams the command over the WebSocket remote-command protocol.
A non-zero exit prints `command terminated with exit code N` and kubectl exits with N; a
failure reported by the server prints `error: <message>`.

The console's transport offers `exec(namespace, pod, container, command, stdin)`, which runs
the same engine `pods/exec` verb the lab API's WebSocket runs. Simplified: no TTY; `-i` reads
the console's stdin (the editor's text), if any.
"""

from __future__ import annotations

from typing import Any

from .cmd_misc import _first_pod
from .context import Ctx
from .errors import CommandError


def run_exec(ctx: Ctx) -> None:
    if not ctx.args or ctx.parsed.dash == 0:
        raise CommandError("pod, type/name or --filename must be specified")
    target = ctx.args[0]
    command = ctx.args[1:]
    if ctx.parsed.dash is None and command:
        ctx.err.append(
            "kubectl exec [POD] [COMMAND] is DEPRECATED and will be removed in a future version. "
            "Use kubectl exec [POD] -- [COMMAND] instead.\n"
        )
    if not command:
        raise CommandError("you must specify at least one command for the container")
    exec_fn = getattr(ctx.transport, "exec", None)
    if exec_fn is None:
        raise CommandError('"kubectl exec" is not available in this console')
    pods = ctx.discovery.resolve("pods")[0]
    pod: dict[str, Any] | None = None
    name = target
    if "/" in target:
        kind, _, name = target.partition("/")
        r = ctx.discovery.resolve(kind)[0]
        if r.kind in ("Deployment", "ReplicaSet"):
            pod = _first_pod(ctx, r, name)
            name = pod["metadata"]["name"]
        elif r.kind != "Pod":
            raise CommandError(
                f"cannot attach to *{r.api_version}.{r.kind}: selector for "
                f"*{r.api_version}.{r.kind} not implemented"
            )
    if pod is None:
        pod = ctx.call("GET", pods.path(ctx.namespace, name), accept="application/json, */*")
    names = [c.get("name", "") for c in (pod.get("spec") or {}).get("containers") or []]
    container = ctx.flags.get("container") or ""
    if not container:
        annotated = ((pod.get("metadata") or {}).get("annotations") or {}).get(
            "kubectl.kubernetes.io/default-container"
        )
        container = annotated if annotated in names else (names[0] if names else "")
        if len(names) > 1 and not annotated and not ctx.flags.get("quiet"):
            ctx.err.append(f'Defaulted container "{container}" out of: {", ".join(names)}\n')
    if ctx.flags.get("tty"):
        ctx.err.append("Unable to use a TTY - input is not a terminal or the right kind of file\n")
    stdin = ctx.stdin if ctx.flags.get("stdin") else ""
    outcome = exec_fn(ctx.namespace, name, container, command, stdin)
    if outcome.error:
        ctx.error(f"error: {outcome.error}\n")
        return
    ctx.out.append(outcome.stdout)
    ctx.err.append(outcome.stderr)
    if outcome.exit_code:
        ctx.err.append(f"command terminated with exit code {outcome.exit_code}\n")
        ctx.exit_code = outcome.exit_code
