"""`kubectl create job` and `kubectl create cronjob`, as kubectl 1.32 builds them.

`create job NAME --image=IMAGE [-- COMMAND [ARG...]]` POSTs a Job with one container named
after the Job and `restartPolicy: Never`; `create job NAME --from=cronjob/CRONJOB` GETs the
CronJob and POSTs a Job made from its job template, with the template's labels, its
annotations plus `cronjob.kubernetes.io/instantiate: manual`, and a controller reference to the
CronJob (the CronJob controller then treats it as one of its own). `create cronjob NAME
--image=IMAGE --schedule=CRON [--restart=OnFailure|Never] [-- COMMAND [ARG...]]` (alias `cj`)
POSTs a CronJob whose job template names the CronJob. The server's refusals come back as
`failed to create job: ...` / `failed to create cronjob: ...`.
"""

from __future__ import annotations

from typing import Any

from .cmd_write import _failed_to_create
from .context import Ctx
from .errors import CommandError

INSTANTIATE = "cronjob.kubernetes.io/instantiate"


def _name_and_command(ctx: Ctx, command: str) -> tuple[str, list[str]]:
    args = [str(a) for a in ctx.args]
    dash = ctx.parsed.dash
    names = args if dash is None else args[:dash]
    if len(names) != 1:
        raise CommandError(
            f"error: exactly one NAME is required, got {len(names)}\n"
            f"See 'kubectl create {command} -h' for help and examples\n",
            raw=True,
        )
    return names[0], args[len(names) :]


def _container(name: str, image: str, command: list[str]) -> dict[str, Any]:
    c: dict[str, Any] = {"name": name, "image": image}
    if command:
        c["command"] = command
    c["resources"] = {}
    return c


def run_create_job(ctx: Ctx) -> None:
    image, source = str(ctx.flags.get("image") or ""), str(ctx.flags.get("from") or "")
    name, command = _name_and_command(ctx, "job")
    if bool(image) == bool(source):
        raise CommandError("either --image or --from must be specified")
    if source and command:
        raise CommandError("cannot specify --from and command")
    if source:
        obj = _job_from_cronjob(ctx, name, source)
    else:
        obj = {
            "kind": "Job",
            "apiVersion": "batch/v1",
            "metadata": {"name": name, "creationTimestamp": None},
            "spec": {
                "template": {
                    "metadata": {"creationTimestamp": None},
                    "spec": {"containers": [_container(name, image, command)], "restartPolicy": "Never"},
                }
            },
            "status": {},
        }
    _failed_to_create(ctx, "job", "jobs.batch", obj)


def _job_from_cronjob(ctx: Ctx, name: str, source: str) -> dict[str, Any]:
    """`createJobFromCronJob`."""
    kind, _, cj_name = source.partition("/")
    r = ctx.discovery.resolve(kind)[0]
    if not cj_name:
        raise CommandError("from must be an existing cronjob")
    cj = ctx.call("GET", r.path(ctx.namespace) + f"/{cj_name}")
    if r.kind != "CronJob":
        raise CommandError(f"unknown object type *v1.{r.kind}")
    template = (cj.get("spec") or {}).get("jobTemplate") or {}
    tmeta = template.get("metadata") or {}
    annotations = {INSTANTIATE: "manual", **(tmeta.get("annotations") or {})}
    meta: dict[str, Any] = {"name": name, "creationTimestamp": None}
    if tmeta.get("labels"):
        meta["labels"] = tmeta["labels"]
    meta["annotations"] = annotations
    meta["ownerReferences"] = [
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "name": cj["metadata"]["name"],
            "uid": cj["metadata"]["uid"],
            "controller": True,
        }
    ]
    return {
        "kind": "Job",
        "apiVersion": "batch/v1",
        "metadata": meta,
        "spec": _go_order(template.get("spec") or {}, JOB_SPEC),
        "status": {},
    }


def run_create_cronjob(ctx: Ctx) -> None:
    image, schedule = str(ctx.flags.get("image") or ""), str(ctx.flags.get("schedule") or "")
    missing = [f'"{f}"' for f, v in (("image", image), ("schedule", schedule)) if not v]
    if missing:
        raise CommandError(f"required flag(s) {', '.join(missing)} not set")
    name, command = _name_and_command(ctx, "cronjob")
    obj = {
        "kind": "CronJob",
        "apiVersion": "batch/v1",
        "metadata": {"name": name, "creationTimestamp": None},
        "spec": {
            "schedule": schedule,
            "jobTemplate": {
                "metadata": {"name": name, "creationTimestamp": None},
                "spec": {
                    "template": {
                        "metadata": {"creationTimestamp": None},
                        "spec": {
                            "containers": [_container(name, image, command)],
                            "restartPolicy": str(ctx.flags.get("restart") or "OnFailure"),
                        },
                    }
                },
            },
        },
        "status": {},
    }
    _failed_to_create(ctx, "cronjob", "cronjobs.batch", obj)


# The Go struct field order kubectl prints a typed object in (`-o json --dry-run=client`).
JOB_SPEC = [
    "parallelism",
    "completions",
    "activeDeadlineSeconds",
    "podFailurePolicy",
    "successPolicy",
    "backoffLimit",
    "backoffLimitPerIndex",
    "maxFailedIndexes",
    "selector",
    "manualSelector",
    "template",
    "ttlSecondsAfterFinished",
    "completionMode",
    "suspend",
    "podReplacementPolicy",
    "managedBy",
]
OBJECT_META = [
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
]
POD_SPEC = [
    "volumes",
    "initContainers",
    "containers",
    "ephemeralContainers",
    "restartPolicy",
    "terminationGracePeriodSeconds",
    "activeDeadlineSeconds",
    "dnsPolicy",
    "nodeSelector",
    "serviceAccountName",
    "serviceAccount",
    "automountServiceAccountToken",
    "nodeName",
    "hostNetwork",
    "hostPID",
    "hostIPC",
    "shareProcessNamespace",
    "securityContext",
    "imagePullSecrets",
    "hostname",
    "subdomain",
    "affinity",
    "schedulerName",
    "tolerations",
    "hostAliases",
    "priorityClassName",
    "priority",
    "dnsConfig",
    "readinessGates",
    "runtimeClassName",
    "enableServiceLinks",
    "preemptionPolicy",
    "overhead",
    "topologySpreadConstraints",
    "setHostnameAsFQDN",
    "os",
    "hostUsers",
    "schedulingGates",
    "resourceClaims",
    "resources",
]
CONTAINER = [
    "name",
    "image",
    "command",
    "args",
    "workingDir",
    "ports",
    "envFrom",
    "env",
    "resources",
    "resizePolicy",
    "restartPolicy",
    "volumeMounts",
    "volumeDevices",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "lifecycle",
    "terminationMessagePath",
    "terminationMessagePolicy",
    "imagePullPolicy",
    "securityContext",
    "stdin",
    "stdinOnce",
    "tty",
]


def _go_order(obj: dict[str, Any], order: list[str]) -> dict[str, Any]:
    """`obj` with its keys in Go struct order (unknown keys last), the pod template recursively."""
    out = {k: obj[k] for k in order if k in obj}
    out.update({k: v for k, v in obj.items() if k not in out})
    if isinstance(out.get("template"), dict):
        tpl = out["template"]
        shaped: dict[str, Any] = {}
        if "metadata" in tpl:
            shaped["metadata"] = _go_order(tpl["metadata"], OBJECT_META)
        if "spec" in tpl:
            pod = _go_order(tpl["spec"], POD_SPEC)
            for key in ("initContainers", "containers"):
                if key in pod:
                    pod[key] = [_go_order(c, CONTAINER) for c in pod[key]]
            shaped["spec"] = pod
        out["template"] = shaped
    return out
