"""Node maintenance: cordon, uncordon, drain, taint.

As kubectl does it: `cordon` GETs the node and sends a strategic merge PATCH
`{"spec":{"unschedulable":true}}` (`node/x cordoned`, or `already cordoned` without a PATCH);
`uncordon` patches `unschedulable` away. `drain` cordons, lists the node's pods
(`fieldSelector=spec.nodeName=<node>`), refuses what kubectl refuses unless told
(DaemonSet pods: `--ignore-daemonsets`; pods with no controller: `--force`; emptyDir data:
`--delete-emptydir-data`), skips mirror pods, evicts the rest through the `eviction`
subresource (`evicting pod ns/name`, `pod/name evicted`) and ends with `node/x drained`.
`taint` edits `spec.taints` (`key=value:Effect`, `key:Effect-`, `key-`) with a strategic merge
PATCH (`tainted`, `untainted`, `modified`).

Simplified: drain does not wait for evicted pods to be gone (kubectl polls until they are;
the console returns once every eviction was accepted) and does not retry a 429 eviction
refused by a PodDisruptionBudget: it reports it.
"""

from __future__ import annotations

from typing import Any

from .context import Ctx
from .errors import CommandError
from .transport import STRATEGIC_MERGE_PATCH, ApiStatusError

EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def _nodes(ctx: Ctx, usage: str) -> list[dict[str, Any]]:
    node_res = ctx.discovery.resolve("nodes")[0]
    if ctx.flags.get("selector"):
        doc = ctx.call("GET", node_res.path(), query={"labelSelector": ctx.flags["selector"], "limit": "500"})
        return list(doc.get("items") or [])
    if len(ctx.args) != 1:
        raise CommandError(f"USAGE: {usage} NODE [flags]\nSee 'kubectl {usage} -h' for help and examples")
    return [ctx.call("GET", node_res.path(name=ctx.args[0]), accept="application/json, */*")]


def _set_unschedulable(ctx: Ctx, node: dict[str, Any], value: bool) -> str:
    name = node["metadata"]["name"]
    current = bool((node.get("spec") or {}).get("unschedulable"))
    word = "cordoned" if value else "uncordoned"
    if current == value:
        return f"node/{name} already {word}"
    if (ctx.flags.get("dry-run") or "none") in ("none", "server"):
        body = {"spec": {"unschedulable": True if value else None}}
        ctx.call(
            "PATCH",
            ctx.discovery.resolve("nodes")[0].path(name=name),
            body=body,
            content_type=STRATEGIC_MERGE_PATCH,
        )
    return f"node/{name} {word}" + (" (dry run)" if ctx.flags.get("dry-run") == "client" else "")


def run_cordon(ctx: Ctx) -> None:
    for node in _nodes(ctx, "cordon"):
        ctx.print(_set_unschedulable(ctx, node, True))


def run_uncordon(ctx: Ctx) -> None:
    for node in _nodes(ctx, "uncordon"):
        ctx.print(_set_unschedulable(ctx, node, False))


def _controller(pod: dict[str, Any]) -> dict[str, Any] | None:
    for ref in (pod.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def run_drain(ctx: Ctx) -> None:
    nodes = _nodes(ctx, "drain")
    pods_res = ctx.discovery.resolve("pods")[0]
    for node in nodes:
        name = node["metadata"]["name"]
        ctx.print(_set_unschedulable(ctx, node, True))
        doc = ctx.call(
            "GET", pods_res.path(), query={"fieldSelector": f"spec.nodeName={name}", "limit": "500"}
        )
        evict, problems, warnings = _drain_filter(ctx, doc.get("items") or [])
        if problems:
            listing = "; ".join(problems)
            ctx.error(
                f'error: unable to drain node "{name}" due to error: {listing}, continuing command...\n'
                f"There are pending nodes to be drained:\n {name}\nerror: {listing}"
            )
            continue
        for w in warnings:
            ctx.err.append(f"Warning: {w}\n")
        dry = (ctx.flags.get("dry-run") or "none") == "client"
        evicted = []
        for pod in evict:
            meta = pod["metadata"]
            doing = "deleting" if ctx.flags.get("disable-eviction") else "evicting"
            ctx.err.append(f"{doing} pod {meta.get('namespace')}/{meta['name']}\n")
            if dry:
                evicted.append(meta["name"])
                continue
            body: dict[str, Any] = {
                "apiVersion": "policy/v1",
                "kind": "Eviction",
                "metadata": {"name": meta["name"], "namespace": meta.get("namespace")},
            }
            if ctx.flags.get("grace-period", -1) >= 0:
                body["deleteOptions"] = {"gracePeriodSeconds": ctx.flags["grace-period"]}
            try:
                if ctx.flags.get("disable-eviction"):  # kubectl then deletes, bypassing PDBs
                    options = {k: v for k, v in body.get("deleteOptions", {}).items()}
                    ctx.call(
                        "DELETE", pods_res.path(meta.get("namespace"), meta["name"]), body=options or None
                    )
                else:
                    ctx.call(
                        "POST", pods_res.path(meta.get("namespace"), meta["name"], "eviction"), body=body
                    )
                evicted.append(meta["name"])
            except ApiStatusError as exc:
                if exc.code == 404:
                    evicted.append(meta["name"])
                    continue
                ctx.error(
                    f'error when evicting pods/"{meta["name"]}" -n "{meta.get("namespace")}": {exc.message}'
                )
        for p in evicted:
            ctx.print(f"pod/{p} {'deleted' if ctx.flags.get('disable-eviction') else 'evicted'}")
        if len(evicted) == len(evict):
            ctx.print(f"node/{name} drained")


def _drain_filter(ctx: Ctx, pods: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """kubectl drain's pod filters, in its order: mirror, DaemonSet, unreplicated, emptyDir."""
    evict: list[dict[str, Any]] = []
    daemon: list[str] = []
    unreplicated: list[str] = []
    local: list[str] = []
    daemon_ignored: list[str] = []
    force_warned: list[str] = []
    sel = ctx.flags.get("pod-selector") or ""
    for pod in pods:
        meta = pod.get("metadata") or {}
        key = f"{meta.get('namespace')}/{meta.get('name')}"
        labels = meta.get("labels") or {}
        if sel and not all(labels.get(k) == v for k, _, v in (s.partition("=") for s in sel.split(","))):
            continue
        if "kubernetes.io/config.mirror" in (meta.get("annotations") or {}):
            continue
        phase = (pod.get("status") or {}).get("phase")
        finished = phase in ("Succeeded", "Failed")
        ctrl = _controller(pod)
        if ctrl and ctrl.get("kind") == "DaemonSet":
            (daemon_ignored if ctx.flags.get("ignore-daemonsets") else daemon).append(key)
            continue
        if ctrl is None and not finished:
            if not ctx.flags.get("force"):
                unreplicated.append(key)
                continue
            force_warned.append(key)
        volumes = (pod.get("spec") or {}).get("volumes") or []
        if (
            any("emptyDir" in v for v in volumes)
            and not finished
            and not ctx.flags.get("delete-emptydir-data")
        ):
            local.append(key)
            continue
        evict.append(pod)
    problems = []
    if unreplicated:
        problems.append(
            "cannot delete Pods that declare no controller (use --force to override): "
            + ", ".join(unreplicated)
        )
    if daemon:
        problems.append(
            f"cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): {', '.join(daemon)}"
        )
    if local:
        problems.append(
            "cannot delete Pods with local storage (use --delete-emptydir-data to override): "
            + ", ".join(local)
        )
    warnings = []
    if daemon_ignored:
        warnings.append(f"ignoring DaemonSet-managed Pods: {', '.join(daemon_ignored)}")
    if force_warned:
        warnings.append(f"deleting Pods that declare no controller: {', '.join(force_warned)}")
    return evict, problems, warnings


def _parse_taint(spec: str) -> tuple[dict[str, str], bool]:
    remove = spec.endswith("-")
    body = spec[:-1] if remove else spec
    key_value, _, effect = body.partition(":")
    key, eq, value = key_value.partition("=")
    if not key or (effect and effect not in EFFECTS) or (not remove and not effect):
        raise CommandError(f"invalid taint spec: {spec}, unknown taint spec format")
    taint = {"key": key, "effect": effect}
    if eq:
        taint["value"] = value
    return taint, remove


def run_taint(ctx: Ctx) -> None:
    if len(ctx.args) < 2:
        raise CommandError("one or more resources must be specified as <resource> <name>")
    if ctx.discovery.resolve(ctx.args[0])[0].kind != "Node":
        raise CommandError(f"invalid resource type {ctx.args[0]}, only nodes are supported")
    name, specs = ctx.args[1], ctx.args[2:]
    if not specs:
        raise CommandError("at least one taint update is required")
    node_res = ctx.discovery.resolve("nodes")[0]
    node = ctx.call("GET", node_res.path(name=name))
    taints: list[dict[str, Any]] = list((node.get("spec") or {}).get("taints") or [])
    word = "tainted"
    for spec in specs:
        taint, remove = _parse_taint(spec)
        if remove:
            kept = [
                t
                for t in taints
                if not (
                    t.get("key") == taint["key"]
                    and (not taint["effect"] or t.get("effect") == taint["effect"])
                )
            ]
            if len(kept) == len(taints):
                raise CommandError(f'taint "{spec[:-1]}" not found')
            taints, word = kept, "untainted"
            continue
        same = [t for t in taints if t.get("key") == taint["key"] and t.get("effect") == taint["effect"]]
        if same:
            if not ctx.flags.get("overwrite"):
                raise CommandError(
                    f"node {name} already has {taint['key']} taint(s) with same effect(s) and "
                    f"--overwrite is false"
                )
            taints = [taint if t in same else t for t in taints]
            word = "modified"
        else:
            taints.append(taint)
    ctx.call(
        "PATCH",
        node_res.path(name=name),
        query={"fieldManager": "kubectl-taint", "fieldValidation": "Strict"},
        body={"spec": {"taints": taints}},
        content_type=STRATEGIC_MERGE_PATCH,
    )
    ctx.print(f"node/{name} {word}")
