"""`run(line, transport, stdin=...)`: one console command, as kubectl would run it.

The line is parsed as kubectl's cobra/pflag would parse it, the command runs as the REST
requests kubectl sends (through `transport`), and the answer is what kubectl would print on
stdout and stderr, with its exit code (0, or 1 after any error). Nothing raises: a bug in the
console itself is reported as an internal error line, never as a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import (
    cmd_auth,
    cmd_autoscale,
    cmd_create_batch,
    cmd_create_config,
    cmd_create_ingress,
    cmd_create_policy,
    cmd_exec,
    cmd_explain,
    cmd_expose,
    cmd_get,
    cmd_meta,
    cmd_misc,
    cmd_nodes,
    cmd_patch,
    cmd_rollout,
    cmd_top,
    cmd_write,
    describe,
)
from .context import Ctx
from .discovery import Discovery
from .errors import CommandError, server_error
from .parser import parse, tokenize
from .transport import ApiStatusError, ConnectionRefused, Transport, impersonating

log = logging.getLogger(__name__)
MAX_LINE = 10_000
CONNECTION_REFUSED = "The connection to the server {} was refused - did you specify the right host or port?\n"

COMMANDS: dict[str, tuple[Any, str]] = {
    "get": (cmd_get, "run_get"),
    "describe": (describe, "run_describe"),
    "apply": (cmd_write, "run_apply"),
    "create": (cmd_write, "run_create"),
    "create deployment": (cmd_write, "run_create_deployment"),
    "create namespace": (cmd_write, "run_create_namespace"),
    "create quota": (cmd_create_policy, "run_create_quota"),
    "create priorityclass": (cmd_create_policy, "run_create_priorityclass"),
    "create configmap": (cmd_create_config, "run_create_configmap"),
    "create secret": (cmd_create_config, "run_create_secret"),
    "create job": (cmd_create_batch, "run_create_job"),
    "create cronjob": (cmd_create_batch, "run_create_cronjob"),
    "create ingress": (cmd_create_ingress, "run_create_ingress"),
    "delete": (cmd_write, "run_delete"),
    "scale": (cmd_write, "run_scale"),
    "autoscale": (cmd_autoscale, "run_autoscale"),
    "expose": (cmd_expose, "run_expose"),
    "label": (cmd_meta, "run_label"),
    "annotate": (cmd_meta, "run_annotate"),
    "run": (cmd_write, "run_run"),
    "cordon": (cmd_nodes, "run_cordon"),
    "uncordon": (cmd_nodes, "run_uncordon"),
    "drain": (cmd_nodes, "run_drain"),
    "taint": (cmd_nodes, "run_taint"),
    "logs": (cmd_misc, "run_logs"),
    "explain": (cmd_explain, "run_explain"),
    "exec": (cmd_exec, "run_exec"),
    "rollout": (cmd_rollout, "run_rollout"),
    "rollout status": (cmd_rollout, "run_rollout_status"),
    "rollout history": (cmd_rollout, "run_rollout_history"),
    "rollout undo": (cmd_rollout, "run_rollout_undo"),
    "rollout restart": (cmd_rollout, "run_rollout_restart"),
    "rollout pause": (cmd_rollout, "run_rollout_pause"),
    "rollout resume": (cmd_rollout, "run_rollout_resume"),
    "set": (cmd_patch, "run_set"),
    "set image": (cmd_patch, "run_set_image"),
    "patch": (cmd_patch, "run_patch"),
    "top": (cmd_top, "run_top"),
    "top pod": (cmd_top, "run_top_pod"),
    "top node": (cmd_top, "run_top_node"),
    "api-resources": (cmd_misc, "run_api_resources"),
    "version": (cmd_misc, "run_version"),
    "api-versions": (cmd_misc, "run_api_versions"),
    "auth": (cmd_auth, "run_auth"),
    "auth can-i": (cmd_auth, "run_auth_can_i"),
    "auth whoami": (cmd_auth, "run_auth_whoami"),
}


@dataclass(frozen=True)
class Result:
    stdout: str
    stderr: str
    exit_code: int


def run(
    line: str,
    transport: Transport,
    *,
    stdin: str = "",
    now: datetime | None = None,
    discovery: Discovery | None = None,
) -> Result:
    """Run one kubectl command line. `stdin` is the text `-f -` reads (the console's editor);
    `now` is the cluster's clock, used only where kubectl computes an age itself; pass a
    `discovery` to reuse one between commands (kubectl caches it too)."""
    if len(line) > MAX_LINE:
        return Result("", f"error: the command line is longer than {MAX_LINE} characters\n", 1)
    ctx: Ctx | None = None
    try:
        parsed = parse(tokenize(line))
        transport = impersonating(transport, parsed.flags.get("as") or "", parsed.flags.get("as-group") or ())
        ctx = Ctx(parsed, transport, discovery or Discovery(transport), stdin=stdin, now=now)
        module, attr = COMMANDS[parsed.command]
        handler: Callable[[Ctx], None] = getattr(module, attr)
        handler(ctx)
    except CommandError as exc:
        if ctx is None:
            return Result("", exc.render(), 1)
        ctx.error(exc.render())
    except ApiStatusError as exc:
        if ctx is None:
            return Result("", server_error(exc, single=True), 1)
        ctx.error(server_error(exc, single=True))
    except ConnectionRefused as exc:
        text = CONNECTION_REFUSED.format(exc.server)
        if ctx is None:
            return Result("", text, 1)
        ctx.error(text)
    except Exception:  # the console must answer, whatever went wrong inside it
        log.exception("kubectl console failed on %r", line)
        text = "error: internal error in the lab's kubectl console (the command was not completed)\n"
        if ctx is None:
            return Result("", text, 1)
        ctx.error(text)
    assert ctx is not None
    code = ctx.exit_code if ctx.exit_code is not None else (1 if ctx.failed else 0)
    return Result("".join(ctx.out), "".join(ctx.err), code)
