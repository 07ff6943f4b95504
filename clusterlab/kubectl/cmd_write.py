"""The commands that change objects: apply, create, delete, scale, run (label and annotate: cmd_meta).

Each sends what kubectl sends (see the note on the wire format, §5.2): `apply` GETs each
object, then POSTs it (`created`) or sends a three-way strategic merge PATCH (`configured`;
no PATCH and `unchanged` when nothing differs), both with `fieldManager=kubectl-client-side-
apply`; `apply --server-side` sends one `application/apply-patch+yaml` PATCH
(`serverside-applied`); `create` POSTs with `fieldManager=kubectl-create`; `delete` sends
`DELETE` with `{"propagationPolicy":"Background"}`; `scale` PATCHes the `scale` subresource
with a JSON merge patch; `run`
POSTs the Pod kubectl's generator builds. Every object is attempted; errors are reported
kubectl's way and make the exit code 1.

Simplified: `delete` does not wait for the object to disappear (kubectl's `--wait` watches
for it; the console returns at once); `--dry-run=server` is passed to the server as
`dryRun=All`; client-side validation is left to the server (`fieldValidation`).
"""

from __future__ import annotations

import json
from typing import Any

from .cmd_get import output_kind, render_objects
from .context import Ctx
from .discovery import Resource
from .errors import CommandError
from .patches import LAST_APPLIED, last_applied, three_way
from .printers import formats
from .resources import Target
from .transport import APPLY_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, ApiStatusError

NO_RESOURCES = (
    "You must provide one or more resources by argument or filename.\nExample resource "
    "specifications include:\n"
    "   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'"
)


def _dry_run(ctx: Ctx) -> str:
    value = ctx.flags.get("dry-run") or "none"
    if value == "unchanged":
        value = "client"
    if value not in ("none", "client", "server"):
        raise CommandError(f'Invalid dry-run value ({value}). Must be "none", "server", or "client".')
    return value


def _suffix(dry: str) -> str:
    return {"client": " (dry run)", "server": " (server dry run)"}.get(dry, "")


def _validation(ctx: Ctx) -> str:
    value = str(ctx.flags.get("validate", "strict")).lower()
    return {"false": "Ignore", "ignore": "Ignore", "warn": "Warn", "true": "Strict", "strict": "Strict"}.get(
        value, "Strict"
    )


def _query(ctx: Ctx, manager: str, dry: str) -> dict[str, str]:
    q = {"fieldManager": ctx.flags.get("field-manager") or manager, "fieldValidation": _validation(ctx)}
    if dry == "server":
        q["dryRun"] = "All"
    return q


def _finish(ctx: Ctx, done: list[tuple[Resource, dict[str, Any], str]], dry: str, errors: list[Any]) -> None:
    """Print `kind/name verb` lines, or the objects for `-o`, then the errors."""
    if ctx.flags.get("output"):
        output_kind(ctx.flags["output"])
        render_objects(ctx, [(r, o) for r, o, _ in done], single=len(done) == 1)
    else:
        for r, obj, verb in done:
            ctx.print(f"{formats.name_of(obj, r.display_kind)} {verb}{_suffix(dry)}")
    ctx.report(errors)


def _wrap(exc: ApiStatusError, doing: str) -> ApiStatusError:
    exc.status["message"] = f'error when {doing} "STDIN": {exc.message}'
    return exc


def run_apply(ctx: Ctx) -> None:
    if not ctx.flags.get("filename"):
        raise CommandError("must specify one of -f and -k")
    dry = _dry_run(ctx)
    sel = ctx.selection("apply")
    errors: list[Any] = list(sel.errors)
    done: list[tuple[Resource, dict[str, Any], str]] = []
    for t in sel.targets:
        try:
            done.append(_apply_one(ctx, t, dry))
        except ApiStatusError as exc:
            errors.append(exc)
        except CommandError as exc:
            errors.append(exc.message)
    _finish(ctx, done, dry, errors)


def _apply_one(ctx: Ctx, t: Target, dry: str) -> tuple[Resource, dict[str, Any], str]:
    assert t.manifest is not None
    manifest = json.loads(json.dumps(t.manifest))
    if t.namespace:
        manifest.setdefault("metadata", {})["namespace"] = t.namespace
    r = t.resource
    if ctx.flags.get("server-side"):
        if dry == "client":
            raise CommandError(
                "--dry-run=client doesn't work with --server-side (did you mean --dry-run=server instead?)"
            )
        q = {"fieldManager": ctx.flags.get("field-manager") or "kubectl", "fieldValidation": _validation(ctx)}
        q["force"] = "true" if ctx.flags.get("force-conflicts") else "false"
        if dry == "server":
            q["dryRun"] = "All"
        obj = ctx.call(
            "PATCH",
            r.path(t.namespace, t.name),
            query=q,
            body=json.dumps(manifest).encode(),
            content_type=APPLY_PATCH,
        )
        return r, obj, "serverside-applied"
    if not t.name:
        raise CommandError(
            f'error when retrieving current configuration of:\nResource: "{r.group}/{r.version}, '
            f'Resource={r.plural}", '
            f'GroupVersionKind: "{r.group}/{r.version}, Kind={r.kind}"\nName: "", Namespace: '
            f'"{t.namespace or ""}"\n'
            'from server for: "STDIN": resource name may not be empty'
        )
    body, _ = last_applied(manifest)
    try:
        live = ctx.call("GET", r.path(t.namespace, t.name))
    except ApiStatusError as exc:
        if exc.code != 404:
            raise
        if dry == "client":
            return r, body, "created"
        try:
            obj = ctx.call(
                "POST", r.path(t.namespace), query=_query(ctx, "kubectl-client-side-apply", dry), body=body
            )
        except ApiStatusError as err:
            raise _wrap(err, "creating") from None
        return r, obj, "created"
    annotations = (live.get("metadata") or {}).get("annotations") or {}
    if LAST_APPLIED not in annotations:
        ctx.err.append(
            f"Warning: resource {r.qualified} is missing the {LAST_APPLIED} annotation which is "
            f"required by kubectl "
            "apply. kubectl apply should only be used on resources created declaratively by "
            "either kubectl create "
            "--save-config or kubectl apply. The missing annotation will be patched automatically.\n"
        )
    try:
        original = json.loads(annotations.get(LAST_APPLIED) or "{}")
    except ValueError:
        original = {}
    patch = three_way(original, body, live)
    if not patch:
        return r, live, "unchanged"
    if dry == "client":
        return r, live, "configured"
    try:
        obj = ctx.call(
            "PATCH",
            r.path(t.namespace, t.name),
            query=_query(ctx, "kubectl-client-side-apply", dry),
            body=json.dumps(patch, separators=(",", ":")).encode(),
            content_type=STRATEGIC_MERGE_PATCH,
        )
    except ApiStatusError as err:
        raise _wrap(err, "patching") from None
    return r, obj, "configured"


def run_create(ctx: Ctx) -> None:
    if ctx.args and not ctx.flags.get("filename"):
        raise CommandError(
            f"Unexpected args: [{' '.join(ctx.args)}]\nSee 'kubectl create -h' for help and examples"
        )
    if not ctx.flags.get("filename"):
        raise CommandError("must specify one of -f and -k")
    dry = _dry_run(ctx)
    sel = ctx.selection("create")
    errors: list[Any] = list(sel.errors)
    done = []
    for t in sel.targets:
        assert t.manifest is not None
        body = json.loads(json.dumps(t.manifest))
        if t.namespace:
            body.setdefault("metadata", {})["namespace"] = t.namespace
        if ctx.flags.get("save-config"):
            body, _ = last_applied(body)
        if dry == "client":
            done.append((t.resource, body, "created"))
            continue
        try:
            obj = ctx.call(
                "POST", t.resource.path(t.namespace), query=_query(ctx, "kubectl-create", dry), body=body
            )
            done.append((t.resource, obj, "created"))
        except ApiStatusError as exc:
            errors.append(_wrap(exc, "creating"))
    _finish(ctx, done, dry, errors)


def _create_object(
    ctx: Ctx, resource_name: str, obj: dict[str, Any], manager: str = "kubectl-create"
) -> None:
    dry = _dry_run(ctx)
    r = ctx.discovery.resolve(resource_name)[0]
    ns = ctx.namespace if r.namespaced else None
    if dry == "client":
        if ctx.flags.get("output"):
            fmt, _ = output_kind(ctx.flags["output"])
            if fmt == "json":
                ctx.print(formats.to_json(obj, sort_keys=False))
                return
        _finish(ctx, [(r, obj, "created")], dry, [])
        return
    query = _query(ctx, manager, dry)
    if manager == "kubectl-run":
        query.pop("fieldValidation")
    created = ctx.call("POST", r.path(ns), query=query, body=obj)
    _finish(ctx, [(r, created, "created")], dry, [])


def _failed_to_create(ctx: Ctx, what: str, resource_name: str, obj: dict[str, Any]) -> None:
    try:
        _create_object(ctx, resource_name, obj)
    except ApiStatusError as exc:  # kubectl's create deployment wraps the server's message
        raise CommandError(f"failed to create {what}: {exc.message}") from None


def run_create_deployment(ctx: Ctx) -> None:
    """`kubectl create deployment NAME --image=IMAGE [--replicas=N] [--port=P]`."""
    if len(ctx.args) != 1:
        raise CommandError("exactly one NAME is required, got " + str(len(ctx.args)))
    images = ctx.flags.get("image") or ()
    if not images:
        raise CommandError('required flag(s) "image" not set')
    name = ctx.args[0]
    labels = {"app": name}
    containers = []
    for image in images:
        cname = image.rsplit("/", 1)[-1].split(":")[0].split("@")[0]
        c: dict[str, Any] = {"name": cname, "image": image, "resources": {}}
        if ctx.flags.get("port", -1) >= 0:
            c["ports"] = [{"containerPort": ctx.flags["port"]}]
        containers.append(c)
    obj = {
        "kind": "Deployment",
        "apiVersion": "apps/v1",
        "metadata": {"name": name, "creationTimestamp": None, "labels": labels},
        "spec": {
            "replicas": ctx.flags.get("replicas", 1),
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"creationTimestamp": None, "labels": labels},
                "spec": {"containers": containers},
            },
            "strategy": {},
        },
        "status": {},
    }
    _failed_to_create(ctx, "deployment", "deployments.apps", obj)


def run_create_namespace(ctx: Ctx) -> None:
    if len(ctx.args) != 1:
        raise CommandError("exactly one NAME is required, got " + str(len(ctx.args)))
    obj = {
        "kind": "Namespace",
        "apiVersion": "v1",
        "metadata": {"name": ctx.args[0], "creationTimestamp": None},
        "spec": {},
        "status": {},
    }
    _create_object(ctx, "namespaces", obj)


def run_run(ctx: Ctx) -> None:
    """`kubectl run NAME --image=IMAGE [--labels] [--env] [--port] [--restart] [--command -- args]`."""
    if not ctx.flags.get("image"):
        raise CommandError('required flag(s) "image" not set')
    if not ctx.args:
        raise CommandError("NAME is required for run\nSee 'kubectl run -h' for help and examples")
    name, extra = ctx.args[0], ctx.args[1:]
    labels = {"run": name}
    if ctx.flags.get("labels"):
        labels = dict(kv.split("=", 1) for kv in ctx.flags["labels"].split(",") if "=" in kv)
    container: dict[str, Any] = {"name": name, "image": ctx.flags["image"]}
    if extra:
        container["command" if ctx.flags.get("command") else "args"] = extra
    if ctx.flags.get("env"):
        container["env"] = [
            {"name": e.split("=", 1)[0], "value": e.partition("=")[2]} for e in ctx.flags["env"]
        ]
    if ctx.flags.get("port"):
        container["ports"] = [{"containerPort": int(ctx.flags["port"])}]
    if ctx.flags.get("image-pull-policy"):
        container["imagePullPolicy"] = ctx.flags["image-pull-policy"]
    container["resources"] = {}
    restart = ctx.flags.get("restart") or "Always"
    if restart not in ("Always", "OnFailure", "Never"):
        raise CommandError(f"invalid restart policy: {restart}")
    obj = {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {"name": name, "creationTimestamp": None, "labels": labels},
        "spec": {"containers": [container], "restartPolicy": restart, "dnsPolicy": "ClusterFirst"},
        "status": {},
    }
    _create_object(ctx, "pods", obj, "kubectl-run")


def _targets(ctx: Ctx, verb: str) -> tuple[list[Target], list[Any]]:
    """Named targets, or every object matched by `-l` / `--all` for the given types."""
    if not ctx.args and not ctx.flags.get("filename"):
        raise CommandError(NO_RESOURCES)
    sel = ctx.selection(verb)
    targets = list(sel.targets)
    errors: list[Any] = list(sel.errors)
    if sel.types:
        if not (ctx.flags.get("selector") or ctx.flags.get("all") or ctx.flags.get("field-selector")):
            raise CommandError("resource(s) were provided, but no name was specified")
        for r in sel.types:
            q = {"limit": "500"}
            if ctx.flags.get("selector"):
                q["labelSelector"] = ctx.flags["selector"]
            if ctx.flags.get("field-selector"):
                q["fieldSelector"] = ctx.flags["field-selector"]
            doc = ctx.call("GET", ctx.listing_path(r), query=q)
            for item in doc.get("items") or []:
                meta = item.get("metadata") or {}
                targets.append(Target(r, meta.get("name"), meta.get("namespace") if r.namespaced else None))
        if not targets and not errors:
            ctx.err.append("No resources found\n")
    return targets, errors


def run_delete(ctx: Ctx) -> None:
    targets, errors = _targets(ctx, "delete")
    cascade = (ctx.flags.get("cascade") or "background").lower()
    policy = {
        "background": "Background",
        "foreground": "Foreground",
        "orphan": "Orphan",
        "true": "Background",
    }.get(cascade)
    if policy is None:
        raise CommandError(
            f'invalid cascade value ({cascade}). Must be "background", "foreground", or "orphan".'
        )
    body: dict[str, Any] = {"propagationPolicy": policy}
    grace = ctx.flags.get("grace-period", -1)
    if ctx.flags.get("now"):
        grace = 1
    if ctx.flags.get("force"):
        grace = 0 if grace < 0 else grace
        ctx.err.append(
            "Warning: Immediate deletion does not wait for confirmation that the running resource has been "
            "terminated. The resource may continue to run on the cluster indefinitely.\n"
        )
    if grace >= 0:
        body["gracePeriodSeconds"] = grace
    dry = _dry_run(ctx)
    if dry == "server":
        body["dryRun"] = ["All"]
    for t in targets:
        try:
            if dry != "client":
                ctx.call("DELETE", t.resource.path(t.namespace, t.name), body=body)
        except ApiStatusError as exc:
            if not (exc.code == 404 and ctx.flags.get("ignore-not-found")):
                errors.append(_wrap(exc, "deleting") if t.manifest is not None else exc)
            continue
        if (ctx.flags.get("output") or "") == "name":
            ctx.print(f"{t.resource.display_kind}/{t.name}")
        else:
            operation = "force deleted" if grace == 0 else "deleted"  # kubectl's PrintObj
            ctx.print(f'{t.resource.display_kind} "{t.name}" {operation}{_suffix(dry)}')
    ctx.report(errors)


def run_scale(ctx: Ctx) -> None:
    if "replicas" not in ctx.parsed.given:
        raise CommandError('required flag(s) "replicas" not set')
    replicas = ctx.flags["replicas"]
    if replicas < 0:
        raise CommandError(
            "The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0"
        )
    targets, errors = _targets(ctx, "scale")
    dry = _dry_run(ctx)
    done = []
    for t in targets:
        try:
            # kubectl reads named objects first; objects from -f are taken as written.
            obj = (
                t.manifest
                if t.manifest is not None
                else ctx.call("GET", t.resource.path(t.namespace, t.name))
            )
            current = ctx.flags.get("current-replicas", -1)
            if current >= 0 and (obj.get("spec") or {}).get("replicas") != current:
                raise CommandError(
                    f"Expected replicas to be {current}, was {(obj.get('spec') or {}).get('replicas')}"
                )
            if dry != "client":
                q = {"dryRun": "All"} if dry == "server" else None
                ctx.call(
                    "PATCH",
                    t.resource.path(t.namespace, t.name, "scale"),
                    query=q,
                    body={"spec": {"replicas": replicas}},
                    content_type=MERGE_PATCH,
                )
            done.append((t.resource, obj, "scaled"))
        except ApiStatusError as exc:
            if exc.code == 404 and not done:
                errors.append(f"no objects passed to scale {exc.message}")
            else:
                errors.append(exc)
        except CommandError as exc:
            errors.append(exc.message if done else f"no objects passed to scale {exc.message}")
    for r, obj, verb in done:
        ctx.print(f"{formats.name_of(obj, r.display_kind)} {verb}{_suffix(dry)}")
    ctx.report(errors)
