"""The pod decision view: what the lab's kube-scheduler decided for one pod, and why.

The engine builds everything (`scheduler.explain`: the nodes × plugins table and the paragraph;
`scheduler.pending`: why an unscheduled pod waits); this module only finds the pod and the
leading scheduler's last Diagnosis for it and hands the template plain values.
"""

from __future__ import annotations

from typing import Any

from clusterlab.engine import Cluster
from clusterlab.engine.printers import pod_status
from clusterlab.engine.scheduler.decision_table import NO_RECORD, decision_table
from clusterlab.engine.scheduler.explain import explain
from clusterlab.engine.scheduler.pending import pending_reason, scheduler_names, waits_for_scheduler
from clusterlab.engine.validation import name_causes
from clusterlab.labs.board import clock_text


def valid_pod_ref(namespace: str, name: str) -> bool:
    """Whether ``namespace``/``name`` could name a pod at all (anything else is a 404)."""
    return not name_causes(namespace, label=True) and not name_causes(name)


def pod_scheduling(cluster: Cluster, namespace: str, name: str) -> dict[str, Any] | None:
    """The template context for one pod's decision, or None when neither the pod nor a
    decision about it exists."""
    pod = next((p for p in cluster.observe("pods", namespace) if p["metadata"]["name"] == name), None)
    scheduler = cluster.scheduler
    diagnosis = cluster.scheduling_diagnosis(name, namespace)
    if pod is None and diagnosis is None:
        return None
    context: dict[str, Any] = {
        "namespace": namespace,
        "name": name,
        "exists": pod is not None,
        "status": pod_status(pod) if pod is not None else "",
        "node": (pod or {}).get("spec", {}).get("nodeName") or "",
        "scheduler_leads": scheduler is not None,
        "no_record": NO_RECORD,
        "table": None,
        "explanation": "",
        "pending": None,
    }
    if pod is not None and waits_for_scheduler(pod):
        reason, message = pending_reason(pod, scheduler_names(scheduler), scheduler is not None)
        context["pending"] = {"reason": reason, "message": message}
    if diagnosis is not None:
        nodes = [n["metadata"]["name"] for n in cluster.observe("nodes")]
        table = decision_table(diagnosis, nodes)
        context.update(
            table=table,
            explanation=explain(diagnosis),
            time=clock_text(diagnosis.time),
            # columns a row without cells spans, and the score part of a filtered-out row
            span=len(table.filter_plugins) + len(table.score_columns) + (1 if table.score_columns else 0),
            score_span=len(table.score_columns) + 1,
        )
    return context
