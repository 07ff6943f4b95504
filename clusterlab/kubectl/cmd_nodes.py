"""Node maintenance: cordon, uncordon, drain, taint.

As kubectl does it: `cordon` GETs the node and sends a strategic merge PATCH
`{"spec":{"unschedulable":true}}` (`node/x cordoned`, or `already cordoned` without a PATCH);
`uncordon` patches `unschedulable` away. `drain` cordons, lists the node's pods
(`fieldSelector=spec.nodeName=<node>`), refuses what kubectl refuses unless told
(DaemonSet pods: `--ignore-daemonsets`; pods with no controller: `--force`; emptyDir data:
`--delete-emptydir-data`), skips mirror pods, evicts the rest through the `eviction`
subresource (`evicting pod ns/name`, `pod/name evicted`) and ends with `node/x drained`. A dry run
(`--dry-run=client`: no writes; `=server`: the PATCH and evictions carry `dryRun=All`) says
`evicting pod ns/name (dry run)` on stdout and waits for nothing, as kubectl does.
`taint` edits `spec.taints` (`key=value:Effect`, `key:Effect-`, `key-`) with a strategic merge
PATCH (`tainted`, `untainted`, `modified`).

An eviction a PodDisruptionBudget refuses (429) reads as kubectl prints it, `error when evicting
pods/"x" -n "ns" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption
budget.`

Simplified: drain does not wait for evicted pods to be gone (kubectl polls until they are;
the console returns once every eviction was accepted), and does not sleep and retry a refused
eviction (kubectl retries every 5 s until `--timeout`): it says so, and running it again retries.
"""

from __future__ import annotations

from typing import Any

from .cmd_write import _dry_run, _suffix
from .context import Ctx
from .errors import CommandError, server_error
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
    dry = _dry_run(ctx)
    if current == value:
        return f"node/{name} already {word}{_suffix(dry)}"
    if dry != "client":
        body = {"spec": {"unschedulable": True if value else None}}
        ctx.call(
            "PATCH",
            ctx.discovery.resolve("nodes")[0].path(name=name),
            query={"dryRun": "All"} if dry == "server" else None,
            body=body,
            content_type=STRATEGIC_MERGE_PATCH,
        )
    return f"node/{name} {word}{_suffix(dry)}"


def run_cordon(ctx: Ctx) -> None:
    for node in _nodes(ctx, "cordon"):
        ctx.print(_set_unschedulable(ctx, node, True))


def run_uncordon(ctx: Ctx) -> None:
    for node in _nodes(ctx, "uncordon"):
        ctx.print(_set_unschedulable(ctx, node, False))


class PodFilterErrors(Exception):
    """What kubectl's pod filters refused on a node (`GetPodsForDeletion`'s errors): an
    aggregate, which reads as its one message or as `[a, b]`, and which kubectl's final report
    prints one message a line without an `error: ` prefix."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(problems[0] if len(problems) == 1 else "[" + ", ".join(problems) + "]")


def _controller(pod: dict[str, Any]) -> dict[str, Any] | None:
    for ref in (pod.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def run_drain(ctx: Ctx) -> None:
    nodes = _nodes(ctx, "drain")
    failed: list[tuple[str, Exception | str]] = []  # kubectl's remaining nodes and their errors
    for node in nodes:
        name = node["metadata"]["name"]
        ctx.print(_set_unschedulable(ctx, node, True))
        error = _drain_node(ctx, name)
        if error is not None:
            text = error.message if isinstance(error, ApiStatusError) else str(error)
            ctx.err.append(
                f'error: unable to drain node "{name}" due to error: {text}, continuing command...\n'
            )
            failed.append((name, error))
    if failed:
        listing = "".join(f" {n}\n" for n, _ in failed)
        ctx.err.append(f"There are pending nodes to be drained:\n{listing}")
        errors = [e for _, e in failed]
        if len(errors) == 1 and isinstance(errors[0], ApiStatusError):
            ctx.error(server_error(errors[0]))
        elif len(errors) == 1 and isinstance(errors[0], PodFilterErrors):
            ctx.error("".join(f"{p}\n" for p in errors[0].problems))  # an aggregate: no prefix
        elif len(errors) == 1:
            ctx.error(f"error: {errors[0]}")
        else:  # kubectl's aggregate of the nodes' errors: one a line
            ctx.error("".join(server_error(e) if isinstance(e, ApiStatusError) else f"{e}\n" for e in errors))


def _pods_on(ctx: Ctx, name: str) -> list[dict[str, Any]]:
    pods_res = ctx.discovery.resolve("pods")[0]
    doc = ctx.call("GET", pods_res.path(), query={"fieldSelector": f"spec.nodeName={name}", "limit": "500"})
    return list(doc.get("items") or [])


def _eviction_supported(ctx: Ctx) -> bool:
    """`CheckEvictionSupport`: does the core group's resource list (`GET /api/v1`) have
    `pods/eviction` as a grouped Eviction? A 404 or 403 reads as an empty list (client-go's
    allowance for old servers); without it kubectl deletes the pods instead."""
    try:
        doc = ctx.call("GET", "/api/v1", query={"timeout": "32s"}, accept="application/json, */*")
    except ApiStatusError as exc:
        if exc.code in (403, 404):
            return False
        raise
    return any(
        r.get("name") == "pods/eviction"
        and r.get("kind") == "Eviction"
        and r.get("group")
        and r.get("version")
        for r in doc.get("resources") or ()
    )


def _drain_node(ctx: Ctx, name: str) -> Exception | str | None:
    """kubectl's `deleteOrEvictPodsSimple` for one node; the error that stops it, if any."""
    pods_res = ctx.discovery.resolve("pods")[0]
    evict, problems, warnings = _drain_filter(ctx, _pods_on(ctx, name))
    if problems:
        return PodFilterErrors(problems)
    if warnings:  # one line: kubectl joins the filters' warnings with "; "
        ctx.err.append(f"Warning: {'; '.join(warnings)}\n")
    dry = _dry_run(ctx)
    if dry == "client":
        for pod in evict:
            meta = pod["metadata"]
            ctx.print(f"evicting pod {meta.get('namespace')}/{meta['name']}{_suffix(dry)}")
        ctx.print(f"node/{name} drained{_suffix(dry)}")
        return None
    deleting = bool(ctx.flags.get("disable-eviction"))
    if evict and not deleting:
        try:
            deleting = not _eviction_supported(ctx)
        except ApiStatusError as exc:
            return _pending(ctx, name, exc)
    accepted: list[str] = []
    blocked: list[str] = []
    failures: list[str] = []
    for pod in evict:
        meta = pod["metadata"]
        ns, pod_name = meta.get("namespace"), meta["name"]
        if not deleting or dry != "none":  # before each eviction attempt, on stdout; a delete says nothing
            ctx.print(f"{'deleting' if deleting else 'evicting'} pod {ns}/{pod_name}{_suffix(dry)}")
        options: dict[str, Any] = {}
        if ctx.flags.get("grace-period", -1) >= 0:
            options["gracePeriodSeconds"] = ctx.flags["grace-period"]
        if dry == "server":
            options["dryRun"] = ["All"]
        body: dict[str, Any] = {
            "apiVersion": "policy/v1",
            "kind": "Eviction",
            "metadata": {"name": pod_name, "namespace": ns},
        }
        if options:
            body["deleteOptions"] = options
        try:
            if deleting:  # kubectl deletes, bypassing PodDisruptionBudgets
                ctx.call("DELETE", pods_res.path(ns, pod_name), body=options or None)
            else:
                ctx.call("POST", pods_res.path(ns, pod_name, "eviction"), body=body)
            accepted.append(pod_name)
        except ApiStatusError as exc:
            if exc.code == 404:
                accepted.append(pod_name)
            elif exc.code == 429 and not deleting:  # a budget refused: kubectl retries after 5 s
                ctx.err.append(
                    f'error when evicting pods/"{pod_name}" -n "{ns}" (will retry after 5s): {exc.message}\n'
                )
                blocked.append(pod_name)
            elif deleting:
                return _pending(ctx, name, exc)
            else:
                failures.append(f'error when evicting pods/"{pod_name}" -n "{ns}": {exc.message}')
    for p in accepted if dry == "none" else ():
        ctx.print(f"pod/{p} {'deleted' if deleting else 'evicted'}")
    if failures:
        return _pending(ctx, name, failures[0] if len(failures) == 1 else "[" + ", ".join(failures) + "]")
    if blocked:
        ctx.err.append(
            "(the console does not wait to retry: the node stays cordoned; once the disruption "
            "budget allows it, run the command again)\n"
        )
        return None
    ctx.print(f"node/{name} drained{_suffix(dry)}")
    return None


def _pending(ctx: Ctx, name: str, error: Exception | str) -> Exception | str:
    """After a failed eviction kubectl lists what is still to go, then gives up on the node."""
    text = error.message if isinstance(error, ApiStatusError) else str(error)
    evict, _, _ = _drain_filter(ctx, _pods_on(ctx, name))
    if evict:
        ctx.err.append(f'There are pending pods in node "{name}" when an error occurred: {text}\n')
        ctx.err.extend(f"pod/{p['metadata']['name']}\n" for p in evict)
    return error


def _drain_filter(ctx: Ctx, pods: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """kubectl drain's pod filters: mirror, DaemonSet (a running DaemonSet pod's DaemonSet is
    looked up with a GET, as kubectl's filter does), unreplicated, emptyDir."""
    evict: list[dict[str, Any]] = []
    daemon: list[str] = []
    unreplicated: list[str] = []
    local: list[str] = []
    daemon_ignored: list[str] = []
    force_warned: list[str] = []
    lookup_failed: dict[str, list[str]] = {}  # a DaemonSet lookup's error → the pods it stops
    lookup_warned: dict[str, list[str]] = {}  # a missing DaemonSet under --force → its orphans
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
        if ctrl and ctrl.get("kind") == "DaemonSet" and not finished:
            # kubectl looks the DaemonSet up; a missing one makes the pod an orphan that only
            # --force deletes (with the lookup's error as the warning)
            path = f"/apis/apps/v1/namespaces/{meta.get('namespace')}/daemonsets/{ctrl.get('name')}"
            try:
                ctx.call("GET", path)
            except ApiStatusError as exc:
                if exc.code != 404 or not ctx.flags.get("force"):
                    lookup_failed.setdefault(exc.message, []).append(key)
                    continue
                lookup_warned.setdefault(exc.message, []).append(key)
            else:
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
    if unreplicated:  # kubectl 1.32 says "cannot delete" twice: its message already has it
        problems.append(
            "cannot delete cannot delete Pods that declare no controller (use --force to override): "
            + ", ".join(unreplicated)
        )
    if daemon:
        problems.append(
            f"cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): {', '.join(daemon)}"
        )
    problems.extend(f"cannot delete {why}: {', '.join(keys)}" for why, keys in lookup_failed.items())
    if local:
        problems.append(
            "cannot delete Pods with local storage (use --delete-emptydir-data to override): "
            + ", ".join(local)
        )
    warnings = [f"{why}: {', '.join(keys)}" for why, keys in lookup_warned.items()]
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
    dry = _dry_run(ctx)
    if dry != "client":
        query = {"fieldManager": "kubectl-taint", "fieldValidation": "Strict"}
        if dry == "server":
            query["dryRun"] = "All"
        ctx.call(
            "PATCH",
            node_res.path(name=name),
            query=query,
            body={"spec": {"taints": taints}},
            content_type=STRATEGIC_MERGE_PATCH,
        )
    ctx.print(f"node/{name} {word}")  # kubectl taint names no dry run
