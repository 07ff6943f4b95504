"""The rollout inspector: one Deployment's surge/unavailable arithmetic with its live numbers.

The engine does the work (`controllers/deployment.py` and `rollout_math.py`, the decision log
keeps why the Deployment and its ReplicaSets controllers acted); this module reads the
Deployment and the ReplicaSets it controls from storage and hands the template plain values:
desired replicas, maxSurge → the most pods the rollout may have, maxUnavailable → the fewest
available it must keep, the counts the controller compares them with (what it may still create
or remove right now), the progress deadline, each ReplicaSet, and the latest decisions.
"""

from __future__ import annotations

from typing import Any

from clusterlab.engine import Cluster
from clusterlab.engine.controllers.base import controller_of
from clusterlab.engine.controllers.deployment_util import revision_of, template_without_hash
from clusterlab.engine.controllers.rollout_math import describe_value, fenceposts, replicas_of
from clusterlab.engine.timefmt import seconds_since

Obj = dict[str, Any]
DECISIONS_SHOWN = 12


def _status(obj: Obj, field: str) -> int:
    return int((obj.get("status") or {}).get(field, 0) or 0)


def arithmetic(d: Obj, rss: list[Obj], new_rs: Obj | None) -> Obj:
    """The numbers the Deployment controller decides with, as it computes them."""
    spec = d.get("spec") or {}
    want = int(spec.get("replicas", 1))
    strategy = (spec.get("strategy") or {}).get("type", "RollingUpdate")
    surge, unavailable = fenceposts(d)
    ru = (spec.get("strategy") or {}).get("rollingUpdate") or {}
    pods = sum(replicas_of(r) for r in rss)
    available = sum(_status(r, "availableReplicas") for r in rss)
    new_replicas = replicas_of(new_rs) if new_rs else 0
    new_unavailable = new_replicas - (_status(new_rs, "availableReplicas") if new_rs else 0)
    min_available = want - unavailable
    return {
        "strategy": strategy,
        "rolling": strategy == "RollingUpdate",
        "desired": want,
        "max_surge_spec": ru.get("maxSurge", "25%"),
        "max_surge": surge,
        "surge_how": describe_value(ru.get("maxSurge"), want, surge, True),
        "max_pods": want + surge,
        "max_unavailable_spec": ru.get("maxUnavailable", "25%"),
        "max_unavailable": unavailable,
        "unavailable_how": describe_value(ru.get("maxUnavailable"), want, unavailable, False),
        "min_available": min_available,
        "pods": pods,
        "actual": sum(_status(r, "replicas") for r in rss),
        "available": available,
        "new_replicas": new_replicas,
        "new_unavailable": new_unavailable,
        "room_to_create": max(want + surge - pods, 0) if new_replicas < want else 0,
        # `reconcileOldReplicaSets`: allPods − minAvailable − unavailable new pods
        "may_remove": max(pods - min_available - new_unavailable, 0),
        "old_pods": pods - new_replicas,
    }


def _progress(cluster: Cluster, d: Obj) -> Obj | None:
    """The progress deadline: when the Progressing condition last saw progress, and when the
    rollout will be declared ProgressDeadlineExceeded if nothing moves."""
    spec = d.get("spec") or {}
    deadline = spec.get("progressDeadlineSeconds")
    cond = next(
        (c for c in (d.get("status") or {}).get("conditions") or () if c.get("type") == "Progressing"), None
    )
    if deadline is None or cond is None:
        return None
    from clusterlab.labs.board import clock_text  # the board imports this module

    since = seconds_since(cluster.server.epoch, cond["lastUpdateTime"])
    running = cond.get("reason") in (
        "NewReplicaSetCreated",
        "FoundNewReplicaSet",
        "ReplicaSetUpdated",
        "DeploymentResumed",
    )
    return {
        "seconds": int(deadline),
        "last": clock_text(since),
        "at": clock_text(since + int(deadline)),
        "left": max(int(since + int(deadline) - cluster.now), 0),
        "running": running and not spec.get("paused"),
        "reason": cond.get("reason"),
        "message": cond.get("message"),
    }


def rollout_inspection(cluster: Cluster, namespace: str, name: str) -> Obj | None:
    """The inspector's context, or None when there is no such Deployment."""
    from clusterlab.labs.board import clock_text

    d = next((o for o in cluster.observe("deployments", namespace) if o["metadata"]["name"] == name), None)
    if d is None:
        return None
    uid = d["metadata"]["uid"]
    rss = [r for r in cluster.observe("replicasets", namespace) if (controller_of(r) or {}).get("uid") == uid]
    rss.sort(key=lambda r: (revision_of(r), r["metadata"]["name"]), reverse=True)
    want = template_without_hash((d.get("spec") or {}).get("template") or {})
    new_rs = next((r for r in rss if template_without_hash(r["spec"]["template"]) == want), None)
    rows = [
        {
            "name": r["metadata"]["name"],
            "revision": revision_of(r),
            "new": r is new_rs,
            "desired": replicas_of(r),
            "current": _status(r, "replicas"),
            "ready": _status(r, "readyReplicas"),
            "available": _status(r, "availableReplicas"),
            "images": ", ".join(
                c.get("image", "") for c in r["spec"]["template"]["spec"].get("containers") or ()
            ),
            "cause": (r["metadata"].get("annotations") or {}).get("kubernetes.io/change-cause", ""),
        }
        for r in rss
    ]
    decisions = list(cluster.decisions("Deployment", name, namespace))
    for r in rss:
        decisions += cluster.decisions("ReplicaSet", r["metadata"]["name"], namespace)
    decisions.sort(key=lambda x: x.time, reverse=True)
    return {
        "namespace": namespace,
        "name": name,
        "paused": bool((d.get("spec") or {}).get("paused")),
        "revision": (d["metadata"].get("annotations") or {}).get("deployment.kubernetes.io/revision", ""),
        "math": arithmetic(d, rss, new_rs),
        "progress": _progress(cluster, d),
        "replica_sets": rows,
        "conditions": list((d.get("status") or {}).get("conditions") or ()),
        "decisions": [{"time": clock_text(x.time), "text": x.text} for x in decisions[:DECISIONS_SHOWN]],
        "leader": cluster.controller_manager is not None,
    }
