"""`rollout status|history|undo|restart|pause|resume` for Deployments, as kubectl does them.

`status` reads the Deployment and says what kubectl's `DeploymentStatusViewer` says.
`history` lists the revisions of the ReplicaSets the Deployment controls (found with its
selector), `--revision=N` prints that revision's pod template. `undo` finds the previous
revision (or `--to-revision`) and sends kubectl's JSON patch replacing `/spec/template` (the
ReplicaSet's, without `pod-template-hash`) and `/metadata/annotations`; `skipped rollback`
when the template already matches. `restart` patches the template's
`kubectl.kubernetes.io/restartedAt` annotation (strategic merge), which makes a new rollout.

A paused Deployment cannot be rolled back (kubectl refuses once it has found the revision).

Simplified: only Deployments (kubectl also rolls DaemonSets and StatefulSets); `status` does
not wait (the console runs one command and returns; it says so); `restart` stamps the
cluster's clock when the console passes it, else the wall clock.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from .cmd_write import _dry_run, _suffix
from .context import Ctx
from .describe_more import pod_template, selector_text
from .discovery import Resource
from .errors import CommandError
from .transport import STRATEGIC_MERGE_PATCH

Obj = dict[str, Any]
REVISION = "deployment.kubernetes.io/revision"
SKIPPED_ANNOTATIONS = {
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
}


def run_rollout(ctx: Ctx) -> None:
    raise CommandError("USAGE: rollout (status|history|undo|restart) (TYPE NAME | TYPE/NAME) [flags]")


def _deployment(ctx: Ctx) -> tuple[Resource, Obj]:
    args = list(ctx.args)
    if not args:
        raise CommandError("required resource not specified")
    if "/" in args[0]:
        kind, _, name = args[0].partition("/")
    elif len(args) >= 2:
        kind, name = args[0], args[1]
    else:
        raise CommandError("you must provide a resource name")
    r = ctx.discovery.resolve(kind)[0]
    if r.kind != "Deployment":
        raise CommandError(
            f"no {ctx.parsed.command.split()[-1]} has been implemented for {r.kind} in this console"
        )
    return r, ctx.call("GET", r.path(ctx.namespace, name))


def rollout_message(d: Obj) -> tuple[str, bool]:
    """kubectl's `DeploymentStatusViewer.Status`: (message, done)."""
    name = d["metadata"]["name"]
    spec, status = d.get("spec") or {}, d.get("status") or {}
    if (d["metadata"].get("generation") or 0) > (status.get("observedGeneration") or 0):
        return "Waiting for deployment spec update to be observed...\n", False
    for c in status.get("conditions") or []:
        if c.get("type") == "Progressing" and c.get("reason") == "ProgressDeadlineExceeded":
            raise CommandError(f'deployment "{name}" exceeded its progress deadline')
    want, updated = spec.get("replicas", 1), status.get("updatedReplicas", 0)
    total, available = status.get("replicas", 0), status.get("availableReplicas", 0)
    waiting = f'Waiting for deployment "{name}" rollout to finish: '
    if updated < want:
        return f"{waiting}{updated} out of {want} new replicas have been updated...\n", False
    if total > updated:
        return f"{waiting}{total - updated} old replicas are pending termination...\n", False
    if available < updated:
        return f"{waiting}{available} of {updated} updated replicas are available...\n", False
    return f'deployment "{name}" successfully rolled out\n', True


def run_rollout_status(ctx: Ctx) -> None:
    _, d = _deployment(ctx)
    message, done = rollout_message(d)
    ctx.out.append(message)
    if not done and ctx.flags.get("watch", True):
        ctx.err.append("(the console does not wait for the rollout: run the command again to follow it)\n")


def _revisions(ctx: Ctx, r: Resource, d: Obj) -> dict[int, Obj]:
    """The Deployment's ReplicaSets by revision (kubectl lists them with its selector)."""
    ctx.call("GET", r.path(ctx.namespace, d["metadata"]["name"]))  # kubectl reads it again here
    rs_res = ctx.discovery.resolve("replicasets.apps")[0]
    query = {"labelSelector": selector_text((d.get("spec") or {}).get("selector"))}
    doc = ctx.call("GET", rs_res.path(ctx.namespace), query=query)
    out: dict[int, Obj] = {}
    for rs in doc.get("items") or []:
        refs = (rs.get("metadata") or {}).get("ownerReferences") or []
        if not any(ref.get("controller") and ref.get("uid") == d["metadata"].get("uid") for ref in refs):
            continue
        try:
            out[int(((rs["metadata"].get("annotations") or {}).get(REVISION)) or 0)] = rs
        except ValueError:
            continue
    return out


def run_rollout_history(ctx: Ctx) -> None:
    r, d = _deployment(ctx)
    revisions = _revisions(ctx, r, d)
    title = f"{r.display_kind}/{d['metadata']['name']}"
    wanted = ctx.flags.get("revision", 0)
    if wanted:
        if wanted not in revisions:
            raise CommandError("unable to find the specified revision")
        rs = revisions[wanted]
        template = copy.deepcopy(rs["spec"]["template"])
        cause = (rs["metadata"].get("annotations") or {}).get("kubernetes.io/change-cause")
        if cause:  # kubectl's deploymentHistory shows the revision's change-cause with its template
            template.setdefault("metadata", {}).setdefault("annotations", {})[
                "kubernetes.io/change-cause"
            ] = cause
        ctx.out.append(f"{title} with revision #{wanted}\n{pod_template(template)}\n")
        return
    from .printers.tabwriter import tabwriter

    rows = ""
    for n in sorted(revisions):
        annotations = revisions[n]["metadata"].get("annotations") or {}
        rows += f"{n}\t{annotations.get('kubernetes.io/change-cause', '<none>')}\n"
    ctx.out.append(f"{title} \n" + tabwriter(f"REVISION\tCHANGE-CAUSE\n{rows}", 0, 2) + "\n")


def _without_hash(template: Obj) -> Obj:
    t = copy.deepcopy(template)
    t.setdefault("metadata", {}).setdefault("creationTimestamp", None)  # a typed ObjectMeta's zero value
    labels = (t.get("metadata") or {}).get("labels") or {}
    labels.pop("pod-template-hash", None)
    return t


def run_rollout_undo(ctx: Ctx) -> None:
    r, d = _deployment(ctx)
    name = d["metadata"]["name"]
    revisions = _revisions(ctx, r, d)
    target = ctx.flags.get("to-revision", 0)
    if target:
        if target not in revisions:
            raise CommandError(f"unable to find specified revision {target} in history")
    else:
        previous = sorted(revisions)[-2:-1]
        if not previous:
            raise CommandError(f'no rollout history found for deployment "{name}"')
        target = previous[0]
    if (d.get("spec") or {}).get("paused"):  # checked once the revision is found, as kubectl does
        raise CommandError(
            "you cannot rollback a paused deployment; "
            "resume it first with 'kubectl rollout resume' and try again"
        )
    rs = revisions[target]
    template = _without_hash(rs["spec"]["template"])
    if template == _without_hash((d.get("spec") or {}).get("template") or {}):
        ctx.print(
            f"{r.display_kind}/{name} skipped rollback (current template already matches revision {target})"
        )
        return
    current = d["metadata"].get("annotations") or {}
    annotations = {k: v for k, v in current.items() if k in SKIPPED_ANNOTATIONS}
    annotations.update(
        {k: v for k, v in (rs["metadata"].get("annotations") or {}).items() if k not in SKIPPED_ANNOTATIONS}
    )
    patch = [
        {"op": "replace", "path": "/spec/template", "value": template},
        {"op": "replace", "path": "/metadata/annotations", "value": annotations},
    ]
    dry = _dry_run(ctx)
    if dry != "client":
        query = {"dryRun": "All"} if dry == "server" else None
        ctx.call(
            "PATCH",
            r.path(ctx.namespace, name),
            query=query,
            body=patch,
            content_type="application/json-patch+json",
        )
    if dry == "client":  # kubectl's rollbacker answers a client dry run with the template it would use
        ctx.print(f"{r.display_kind}/{name} {pod_template(rs['spec']['template'])} (dry run)")
        return
    ctx.print(f"{r.display_kind}/{name} rolled back{_suffix(dry)}")


def _set_paused(ctx: Ctx, paused: bool) -> None:
    r, d = _deployment(ctx)
    name = d["metadata"]["name"]
    if bool((d.get("spec") or {}).get("paused")) == paused:
        raise CommandError(f'{r.qualified} "{name}" is {"already paused" if paused else "not paused"}')
    ctx.call(
        "PATCH",
        r.path(ctx.namespace, name),
        query={"fieldManager": "kubectl-rollout"},
        body={"spec": {"paused": True if paused else None}},
        content_type=STRATEGIC_MERGE_PATCH,
    )
    ctx.print(f"{r.display_kind}/{name} {'paused' if paused else 'resumed'}")


def run_rollout_pause(ctx: Ctx) -> None:
    _set_paused(ctx, True)


def run_rollout_resume(ctx: Ctx) -> None:
    _set_paused(ctx, False)


def run_rollout_restart(ctx: Ctx) -> None:
    r, d = _deployment(ctx)
    name = d["metadata"]["name"]
    now = (ctx.now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": now}}}}}
    ctx.call(
        "PATCH",
        r.path(ctx.namespace, name),
        query={"fieldManager": "kubectl-rollout"},
        body=body,
        content_type=STRATEGIC_MERGE_PATCH,
    )
    ctx.print(f"{r.display_kind}/{name} restarted")
