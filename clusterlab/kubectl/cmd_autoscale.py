"""`kubectl autoscale (-f FILENAME | TYPE NAME | TYPE/NAME) [--min=MINPODS] --max=MAXPODS
[--cpu-percent=CPU]`: create a HorizontalPodAutoscaler for a scalable workload.

As kubectl's `autoscale` command: `--max` is required, at least 1 and not below `--min`;
each target is read and must be a kind discovery lists with a `scale` subresource;
the HPA is named after the target (or `--name`), points at it by its API version and kind,
sets `minReplicas` only when `--min` is given above 0 and a CPU utilization target only when
`--cpu-percent` is given, and is created with field manager `kubectl-autoscale`. It prints
`horizontalpodautoscaler.autoscaling/php-apache autoscaled`.

kubectl 1.32 builds the HPA as `autoscaling/v1` (`targetCPUUtilizationPercentage`) and posts it
with its typed client, to `/apis/autoscaling/v1/...` whatever discovery prefers; the API server
stores it as `autoscaling/v2` and answers in v1.
"""

from __future__ import annotations

from typing import Any

from .cmd_create_batch import OBJECT_META
from .cmd_get import output_kind, render_objects
from .context import Ctx
from .discovery import Resource
from .errors import CommandError
from .printers import formats
from .transport import ApiStatusError

MANAGER = "kubectl-autoscale"
#: The typed client's resource: `AutoscalingV1().HorizontalPodAutoscalers(namespace)`.
HPA_V1 = Resource("autoscaling", "v1", "horizontalpodautoscalers", "HorizontalPodAutoscaler", True)


def _hpa(ctx: Ctx, target: dict[str, Any], name: str, api_version: str, kind: str) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "scaleTargetRef": {"apiVersion": api_version, "kind": kind, "name": target["metadata"]["name"]},
        "maxReplicas": ctx.flags["max"],
    }
    if ctx.flags["min"] > 0:
        spec["minReplicas"] = ctx.flags["min"]
    if ctx.flags["cpu-percent"] >= 0:
        spec["targetCPUUtilizationPercentage"] = ctx.flags["cpu-percent"]
    return {
        "apiVersion": "autoscaling/v1",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name},
        "spec": spec,
        "status": {"currentReplicas": 0, "desiredReplicas": 0},
    }


#: Go struct field order of the typed `autoscaling/v1` HPA kubectl prints (`-o json`).
_ORDER: dict[str, list[str]] = {
    "": ["kind", "apiVersion", "metadata", "spec", "status"],
    "metadata": OBJECT_META,
    "spec": ["scaleTargetRef", "minReplicas", "maxReplicas", "targetCPUUtilizationPercentage"],
    "scaleTargetRef": ["kind", "name", "apiVersion"],
    "status": [
        "observedGeneration",
        "lastScaleTime",
        "currentReplicas",
        "desiredReplicas",
        "currentCPUUtilizationPercentage",
    ],
}


def _typed(obj: dict[str, Any], at: str = "") -> dict[str, Any]:
    """``obj`` in Go struct order: kubectl prints the typed object its client decoded, not a map."""
    order = _ORDER.get(at, [])
    keys = [k for k in order if k in obj] + [k for k in obj if k not in order]
    out: dict[str, Any] = {}
    for k in keys:
        if k == "managedFields":  # kubectl's OmitManagedFieldsPrinter
            continue
        value = obj[k]
        out[k] = _typed(value, k) if isinstance(value, dict) and k in _ORDER else value
    return out


def run_autoscale(ctx: Ctx) -> None:
    if "max" not in ctx.parsed.given:  # cobra's MarkFlagRequired
        raise CommandError('required flag(s) "max" not set')
    maximum, minimum = ctx.flags["max"], ctx.flags["min"]
    if maximum < 1:
        raise CommandError(f"--max=MAXPODS is required and must be at least 1, max: {maximum}")
    if maximum < minimum:
        raise CommandError(
            f"--max=MAXPODS must be larger or equal to --min=MINPODS, max: {maximum}, min: {minimum}"
        )
    dry = ctx.flags.get("dry-run") or "none"
    if dry == "unchanged":
        dry = "client"
    if dry not in ("none", "client", "server"):
        raise CommandError(f'Invalid dry-run value ({dry}). Must be "none", "server", or "client".')
    sel = ctx.selection("autoscale", allow_types=False)
    errors: list[Any] = list(sel.errors)
    hpa_resource = HPA_V1
    done: list[tuple[Any, dict[str, Any]]] = []
    for t in sel.targets:
        try:
            obj = (
                t.manifest
                if t.manifest is not None
                else ctx.call("GET", t.resource.path(t.namespace, t.name))
            )
            r = t.resource
            if "scale" not in r.subresources:  # the discovery scale-kind resolver
                raise CommandError(
                    f"cannot autoscale a {r.kind}: could not find scale subresource for "
                    f"{r.group}/{r.version}, Resource={r.plural} in discovery information"
                )
            name = ctx.flags.get("name") or obj["metadata"]["name"]
            hpa = _hpa(ctx, obj, name, t.resource.api_version, t.resource.kind)
            ns = t.namespace or ctx.namespace
            if dry == "client":  # printed as built: no namespace, a null creationTimestamp
                hpa["metadata"] = {"creationTimestamp": None, **hpa["metadata"]}
                done.append((hpa_resource, hpa))
                continue
            query = {"fieldManager": ctx.flags.get("field-manager") or MANAGER}
            if dry == "server":
                query["dryRun"] = "All"
            created = ctx.call("POST", hpa_resource.path(ns), query=query, body=hpa)
            done.append((hpa_resource, created))
        except (ApiStatusError, CommandError) as exc:
            errors.append(exc if isinstance(exc, ApiStatusError) else exc.message)
    if ctx.flags.get("output") and output_kind(ctx.flags["output"])[0] == "json" and len(done) == 1:
        ctx.print(formats.to_json(_typed(done[0][1]), sort_keys=False))
    elif ctx.flags.get("output"):
        render_objects(ctx, done, single=len(done) == 1)
    else:
        suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(dry, "")
        for r, obj in done:
            ctx.print(f"{formats.name_of(obj, r.display_kind)} autoscaled{suffix}")
    ctx.report(errors)
