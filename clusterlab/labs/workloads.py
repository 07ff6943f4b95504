"""The workload inspector: why the controllers acted on a DaemonSet, StatefulSet, Job or CronJob.

The engine's controllers (`controllers/daemonset.py`, `statefulset.py`, `job.py`, `cronjob.py`)
write each object's status the way kube-controller-manager does and record in the decision log
why each sync acted. This module reads both, unaudited (drawing the page is no API call the
learner should see), and hands the template plain values: the status numbers `kubectl get`
shows for the kind (desired/current/ready/updated for DaemonSets and StatefulSets;
active/succeeded/failed and the conditions for Jobs; the last schedule and the active Jobs for
CronJobs) and the decisions, most recent first. It also builds the board's rows for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clusterlab.engine import Cluster

Obj = dict[str, Any]


@dataclass(frozen=True)
class WorkloadKind:
    """One kind the inspector shows: its URL slug, API kind and resource (plural)."""

    slug: str
    kind: str
    resource: str


KINDS: dict[str, WorkloadKind] = {
    k.slug: k
    for k in (
        WorkloadKind("daemonsets", "DaemonSet", "daemonsets"),
        WorkloadKind("statefulsets", "StatefulSet", "statefulsets"),
        WorkloadKind("jobs", "Job", "jobs"),
        WorkloadKind("cronjobs", "CronJob", "cronjobs"),
    )
}


def _find(cluster: Cluster, resource: str, namespace: str, name: str) -> Obj | None:
    return next((o for o in cluster.observe(resource, namespace) if o["metadata"]["name"] == name), None)


def _numbers(kind: str, obj: Obj) -> list[tuple[str, Any]]:
    """The status numbers of one object, as (label, value) pairs in kubectl's column order."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if kind == "DaemonSet":
        return [
            ("desired", status.get("desiredNumberScheduled", 0)),
            ("current", status.get("currentNumberScheduled", 0)),
            ("ready", status.get("numberReady", 0)),
            ("up-to-date", status.get("updatedNumberScheduled", 0)),
            ("available", status.get("numberAvailable", 0)),
            ("misscheduled", status.get("numberMisscheduled", 0)),
        ]
    if kind == "StatefulSet":
        replicas = spec.get("replicas")
        return [
            ("desired", 1 if replicas is None else replicas),
            ("current", status.get("replicas", 0)),
            ("ready", status.get("readyReplicas", 0)),
            ("up-to-date", status.get("updatedReplicas", 0)),
            ("available", status.get("availableReplicas", 0)),
        ]
    if kind == "Job":
        completions = spec.get("completions")
        return [
            ("completions", "any" if completions is None else completions),
            ("parallelism", 1 if spec.get("parallelism") is None else spec.get("parallelism")),
            ("active", status.get("active", 0)),
            ("ready", status.get("ready", 0)),
            ("succeeded", status.get("succeeded", 0)),
            ("failed", status.get("failed", 0)),
        ]
    return [
        ("schedule", spec.get("schedule", "")),
        ("suspended", "yes" if spec.get("suspend") else "no"),
        ("active jobs", len(status.get("active") or [])),
        ("last schedule", status.get("lastScheduleTime") or "never"),
        ("last success", status.get("lastSuccessfulTime") or "never"),
    ]


def workload_inspection(cluster: Cluster, namespace: str, name: str, *, slug: str) -> Obj | None:
    """The template context for one workload of the kind `slug` names (its URL segment), or
    None when there is no such kind or object."""
    from clusterlab.labs.board import clock_text  # the board imports this module

    kind = KINDS.get(slug)
    if kind is None:
        return None
    obj = _find(cluster, kind.resource, namespace, name)
    if obj is None:
        return None
    status = obj.get("status") or {}
    return {
        "kind": kind.kind,
        "slug": kind.slug,
        "namespace": namespace,
        "name": name,
        "numbers": [{"label": label, "value": value} for label, value in _numbers(kind.kind, obj)],
        "active_jobs": [str(ref.get("name", "")) for ref in status.get("active") or []]
        if kind.kind == "CronJob"
        else [],
        "conditions": [
            {
                "type": c.get("type"),
                "status": c.get("status"),
                "reason": c.get("reason"),
                "message": c.get("message"),
            }
            for c in status.get("conditions") or []
        ],
        "decisions": [
            {"time": clock_text(d.time), "text": d.text}
            for d in reversed(cluster.decisions(kind.kind, name, namespace))
        ],
        "leader": cluster.controller_manager is not None,
    }


def workload_rows(cluster: Cluster) -> list[Obj]:
    """The board's rows: every DaemonSet, StatefulSet, Job and CronJob with a one-line summary."""
    rows: list[Obj] = []
    for kind in KINDS.values():
        objects = sorted(
            cluster.observe(kind.resource),
            key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]),
        )
        for obj in objects:
            meta = obj["metadata"]
            numbers = _numbers(kind.kind, obj)
            rows.append(
                {
                    "kind": kind.kind,
                    "slug": kind.slug,
                    "name": meta["name"],
                    "namespace": meta.get("namespace", "default"),
                    "dom_id": f"workload-{kind.slug}-{meta.get('namespace', 'default')}-{meta['name']}",
                    "summary": " · ".join(
                        f"{value} {label}" if isinstance(value, int) else f"{label} {value}"
                        for label, value in numbers
                    ),
                }
            )
    return rows
