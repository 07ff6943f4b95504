"""How a troubleshooting scenario's fix is recognised: the scenario's `check:`, evaluated.

A scenario file keeps its check as data::

    check:
      summary: Deployment web has 3 available replicas, all Running.
      all:
        - rolloutComplete: {deployment: web, namespace: default, replicas: 3}
        - podsRunning: {namespace: default, selector: app=web, count: 3}

Every entry of `all` must hold. The kinds of check:

- `rolloutComplete` (deployment, namespace, replicas): `spec.replicas` is `replicas` and
  `kubectl rollout status deployment/<name>` would say the rollout is done — kubectl's own
  rule (`DeploymentStatusViewer` in kubectl's `polymorphichelpers/rollout_status.go`): the
  controller observed the latest generation, the Progressing condition is not
  ProgressDeadlineExceeded, every replica is updated, no old replica remains, every updated
  one is available. A failure reads as kubectl's waiting line.
- `statefulSetReady` (statefulset, namespace, replicas): `spec.replicas` is `replicas` and
  `kubectl rollout status statefulset/<name>` would say the rolling update is complete
  (`StatefulSetStatusViewer`, RollingUpdate without a partition): generation observed, every
  replica ready, the update revision is the current one.
- `podsRunning` (namespace, selector, count, optional maxRestarts, images): exactly `count`
  pods that are not being deleted match the label selector, each one with kubectl's STATUS
  `Running`, its Ready condition True, at most `maxRestarts` restarts (kubectl's RESTARTS
  total) and, with `images`, only containers of those images (as the pod spec names them).

`evaluate(cluster)` grades the cluster's own scenario as it is now. Until the scenario's last
step has run (a rollout it starts at second 10, say) the failure is not set up yet, so nothing
passes. The check reads the store as an onlooker (`Cluster.observe`): grading is no API request,
so it never shows in the learner's API-call stream or audit log.

Simplified: `statefulSetReady` knows no partitioned rolling update (kubectl then compares
updated replicas against the partition); the scenarios use none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..printers import pod_summary
from ..selectors import parse_label_selector
from . import Scenario

Obj = dict[str, Any]


class Observer(Protocol):
    """What a check reads: objects of a kind in a namespace, straight from storage."""

    def observe(self, kind: str, namespace: str | None = None) -> list[Obj]: ...


class ScenarioCluster(Observer, Protocol):
    """A cluster started from a scenario (`Cluster`): its scenario and its virtual time."""

    scenario: Scenario

    @property
    def now(self) -> float: ...


@dataclass(frozen=True)
class Verdict:
    """The outcome of a scenario's check: passed, and why not, in kubectl's words."""

    passed: bool
    summary: str
    failures: list[str] = field(default_factory=list)


def evaluate(cluster: ScenarioCluster) -> Verdict:
    """Evaluate the cluster's scenario's `check:` against the cluster as it is now. Before the
    scenario's last step has run, the failure it sets up is not there yet: nothing passes."""
    check = cluster.scenario.check
    if not check:
        raise ValueError(f'scenario "{cluster.scenario.name}" has no check')
    summary = str(check.get("summary", ""))
    setup_ends = max((step.at for step in cluster.scenario.steps), default=0.0)
    if cluster.now < setup_ends:
        return Verdict(False, summary, [f"the scenario is still being set up (until second {setup_ends:g})"])
    failures = evaluate_checks(cluster, check.get("all") or [])
    return Verdict(not failures, summary, failures)


def evaluate_checks(cluster: Observer, entries: list[dict[str, Any]]) -> list[str]:
    """Every failure of these checks (`[{kind: args}, ...]`), in order; [] when all hold."""
    failures: list[str] = []
    for entry in entries:
        ((kind, args),) = entry.items()
        fn = CHECKS.get(kind)
        if fn is None:
            raise ValueError(f"unknown check {kind!r} (known: {', '.join(sorted(CHECKS))})")
        failures += fn(cluster, args)
    return failures


def _one(cluster: Observer, kind: str, name: str, namespace: str) -> Obj | None:
    return next((o for o in cluster.observe(kind, namespace) if o["metadata"]["name"] == name), None)


def _replicas(obj: Obj) -> int:
    replicas = (obj.get("spec") or {}).get("replicas")
    return 1 if replicas is None else int(replicas)


def rollout_complete(cluster: Observer, args: dict[str, Any]) -> list[str]:
    name, namespace = str(args["deployment"]), str(args.get("namespace", "default"))
    d = _one(cluster, "deployments", name, namespace)
    if d is None:
        return [f'deployments.apps "{name}" not found']
    want = int(args["replicas"])
    if _replicas(d) != want:
        return [f'deployment "{name}" has {_replicas(d)} replicas, not {want}']
    status = d.get("status") or {}
    if int(d["metadata"].get("generation", 0)) > int(status.get("observedGeneration", 0)):
        return ["Waiting for deployment spec update to be observed..."]
    progressing = next((c for c in status.get("conditions") or () if c["type"] == "Progressing"), None)
    if progressing is not None and progressing.get("reason") == "ProgressDeadlineExceeded":
        return [f'deployment "{name}" exceeded its progress deadline']
    updated, total = int(status.get("updatedReplicas", 0)), int(status.get("replicas", 0))
    available = int(status.get("availableReplicas", 0))
    waiting = f'Waiting for deployment "{name}" rollout to finish: '
    if updated < want:
        return [f"{waiting}{updated} out of {want} new replicas have been updated..."]
    if total > updated:
        return [f"{waiting}{total - updated} old replicas are pending termination..."]
    if available < updated:
        return [f"{waiting}{available} of {updated} updated replicas are available..."]
    return []


def stateful_set_ready(cluster: Observer, args: dict[str, Any]) -> list[str]:
    name, namespace = str(args["statefulset"]), str(args.get("namespace", "default"))
    sts = _one(cluster, "statefulsets", name, namespace)
    if sts is None:
        return [f'statefulsets.apps "{name}" not found']
    want = int(args["replicas"])
    if _replicas(sts) != want:
        return [f'statefulset "{name}" has {_replicas(sts)} replicas, not {want}']
    status = sts.get("status") or {}
    observed = int(status.get("observedGeneration", 0))
    if observed == 0 or int(sts["metadata"].get("generation", 0)) > observed:
        return ["Waiting for statefulset spec update to be observed..."]
    ready = int(status.get("readyReplicas", 0))
    if ready < want:
        return [f"Waiting for {want - ready} pods to be ready..."]
    if status.get("updateRevision") != status.get("currentRevision"):
        return [
            f"waiting for statefulset rolling update to complete {int(status.get('updatedReplicas', 0))} "
            f"pods at revision {status.get('updateRevision')}..."
        ]
    return []


def pods_running(cluster: Observer, args: dict[str, Any]) -> list[str]:
    namespace, text = str(args.get("namespace", "default")), str(args["selector"])
    selector = parse_label_selector(text)
    pods = [
        p
        for p in cluster.observe("pods", namespace)
        if selector.matches(p["metadata"].get("labels") or {}) and not p["metadata"].get("deletionTimestamp")
    ]
    failures: list[str] = []
    want = int(args["count"])
    if len(pods) != want:
        failures.append(f"{len(pods)} pods match {text} in namespace {namespace}, not {want}")
    max_restarts = args.get("maxRestarts")
    images = args.get("images")
    for pod in sorted(pods, key=lambda p: p["metadata"]["name"]):
        name, summary = pod["metadata"]["name"], pod_summary(pod)
        conditions = (pod.get("status") or {}).get("conditions") or ()
        ready = any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)
        if summary.status != "Running" or not ready:
            failures.append(f'pod "{name}" is {summary.status}, READY {summary.ready}')
        if max_restarts is not None and summary.restarts > int(max_restarts):
            failures.append(f'pod "{name}" has restarted {summary.restarts} times')
        if images is not None:
            for c in pod["spec"].get("containers") or ():
                if c.get("image") not in images:
                    failures.append(f'pod "{name}" runs {c.get("image")}, not one of {", ".join(images)}')
    return failures


def claims_bound(cluster: Observer, args: dict[str, Any]) -> list[str]:
    """Each named PersistentVolumeClaim exists and is Bound (`kubectl get pvc` STATUS)."""
    namespace = str(args.get("namespace", "default"))
    failures: list[str] = []
    for name in args["claims"]:
        claim = _one(cluster, "persistentvolumeclaims", str(name), namespace)
        if claim is None:
            failures.append(f'persistentvolumeclaims "{name}" not found')
        elif (claim.get("status") or {}).get("phase") != "Bound":
            phase = (claim.get("status") or {}).get("phase", "")
            failures.append(f'persistentvolumeclaim "{name}" is {phase}')
    return failures


CHECKS: dict[str, Callable[[Observer, dict[str, Any]], list[str]]] = {
    "rolloutComplete": rollout_complete,
    "statefulSetReady": stateful_set_ready,
    "podsRunning": pods_running,
    "claimsBound": claims_bound,
}
