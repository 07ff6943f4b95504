"""`manage`: the DaemonSet controller's daemon pods, node by node.

As `pkg/controller/daemon/daemon_controller.go` (`manage`, `podsShouldBeOnNode`, `syncNodes`,
`getNodesToDaemonPods`): for each node, `NodeShouldRunDaemonPod` (`daemon_pods.py`) decides.
A node that should run the pod and has none gets one; a failed daemon pod is deleted
(rate-limited per node by a 1 s → 15 min backoff, `failedPodsBackoff`, with a
`FailedDaemonPod` warning); surplus pods on a node are deleted, oldest kept (with `maxSurge`,
the updated pod and the old one may run together until the new one is available); pods on a
node that should no longer run them (a NoExecute taint not tolerated, labels no longer
matching) are deleted. Creations go out in slow-start batches (1, 2, 4, …, at most 250 per
sync), each pod pinned to its node by node affinity and bound by the default scheduler;
"expectations" hold further syncs back until the watch has shown every create and delete.

The DaemonSet controller's parts are classes that the controller combines, as the Go
controller's methods are spread over files; this one is the base the others build on (the
caches' view of nodes and daemon pods).

Simplified: the controller works from the pods it owns (no adoption of orphans matching the
selector); nodes are walked by name.
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..informers import Informer, key_of
from ..jsonutil import copy_json
from ..selectors import selector_from_spec
from .base import Controller, is_pod_ready, owner_reference
from .daemon_pods import (
    REVISION_HASH,
    node_should_run,
    oldest_first,
    pin_to_node,
    pod_template,
    target_node,
    why_not,
)
from .replicaset import Expectations, pod_available
from .rollout_math import scaled_value

Obj = dict[str, Any]
BURST_REPLICAS = 250  # daemon.BurstReplicas
BACKOFF_INITIAL = 1.0  # failedPodsBackoff: flowcontrol.NewBackOff(1*time.Second, 15*time.Minute)
BACKOFF_MAX = 900.0
TEMPLATE_GENERATION = "deprecated.daemonset.template.generation"


class FailedPodsBackoff:
    """client-go's `flowcontrol.Backoff` for one key per (DaemonSet, node)."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, float]] = {}  # key → (delay, last update)

    def in_backoff(self, key: str, now: float) -> bool:
        """`IsInBackOffSinceUpdate`."""
        entry = self._entries.get(key)
        return entry is not None and now - entry[1] < entry[0]

    def delay(self, key: str) -> float:
        return self._entries.get(key, (0.0, 0.0))[0]

    def next(self, key: str, now: float) -> None:
        """`Next`: start at 1 s, double up to 15 min; an entry idle for twice the maximum
        starts over."""
        entry = self._entries.get(key)
        if entry is None or now - entry[1] > 2 * BACKOFF_MAX:
            self._entries[key] = (BACKOFF_INITIAL, now)
        else:
            self._entries[key] = (min(entry[0] * 2, BACKOFF_MAX), now)


def template_generation(ds: Obj) -> int | None:
    text = (ds["metadata"].get("annotations") or {}).get(TEMPLATE_GENERATION)
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


class DaemonSetManage(Controller):
    """The caches' view of nodes and daemon pods, and `manage`."""

    expectations: Expectations
    backoff: FailedPodsBackoff
    pod_informer: Informer
    node_informer: Informer

    def _nodes(self) -> list[Obj]:
        return sorted(self.node_informer.list(), key=lambda n: n["metadata"]["name"])

    def _node_to_pods(self, ds: Obj, include_deleted_terminal: bool = False) -> dict[str, list[Obj]]:
        """`getNodesToDaemonPods`: the DaemonSet's pods by the node they are for."""
        sel = selector_from_spec(ds["spec"].get("selector"))
        out: dict[str, list[Obj]] = {}
        for pod in self.pod_informer.by_index("controller-uid", ds["metadata"]["uid"]):
            if not sel.matches(pod["metadata"].get("labels")):
                continue
            terminal = pod.get("status", {}).get("phase") in ("Succeeded", "Failed")
            if not include_deleted_terminal and terminal and pod["metadata"].get("deletionTimestamp"):
                continue
            node = target_node(pod)
            if node is not None:
                out.setdefault(node, []).append(pod)
        return out

    def _available(self, pod: Obj, ds: Obj) -> bool:
        return pod_available(
            pod, int(ds["spec"].get("minReadySeconds", 0) or 0), self.clock.now, self.server.epoch
        )

    def _manage(self, ds: Obj, nodes: list[Obj], hash_: str) -> None:
        """`manage`: create the missing daemon pods, delete the ones that must go."""
        node_to_pods = self._node_to_pods(ds)
        creates: list[str] = []
        deletes: list[str] = []
        reasons: list[str] = []
        eligible = 0
        for node in nodes:
            name = node["metadata"]["name"]
            should_run, should_continue = node_should_run(node, ds)
            eligible += should_run
            pods = node_to_pods.get(name)
            if should_run and pods is None:
                creates.append(name)
            elif should_continue:
                deletes += self._pods_to_prune(ds, node, pods or [], should_run, hash_, creates, reasons)
            elif pods:
                gone = [p["metadata"]["name"] for p in pods if not p["metadata"].get("deletionTimestamp")]
                if gone:
                    reasons.append(f"delete {', '.join(gone)} on {name}: {why_not(node, ds)}")
                deletes += gone
        # Unscheduled pods meant for nodes that no longer exist: PodGC never sees them.
        names = {n["metadata"]["name"] for n in nodes}
        for node_name, pods in sorted(node_to_pods.items()):
            if node_name not in names:
                lost = [p["metadata"]["name"] for p in pods if not p["spec"].get("nodeName")]
                if lost:
                    reasons.append(f"delete {', '.join(lost)}: node {node_name} no longer exists")
                deletes += lost
        if creates or deletes:
            with_pod = sum(
                1 for n in nodes if node_should_run(n, ds)[0] and n["metadata"]["name"] in node_to_pods
            )
            nodes_word = "node" if eligible == 1 else "nodes"
            text = (
                f"DaemonSet {ds['metadata']['name']}: {eligible} eligible {nodes_word}, {with_pod} have a pod"
            )
            if creates:
                text += f" → create on {', '.join(creates[:BURST_REPLICAS])}"
            if reasons:
                text += ("; " if creates else " → ") + "; ".join(reasons)
            self.explain(ds, text)
        self._sync_nodes(ds, deletes, creates, hash_)

    def _pods_to_prune(
        self,
        ds: Obj,
        node: Obj,
        pods: list[Obj],
        should_run: bool,
        hash_: str,
        creates: list[str],
        reasons: list[str],
    ) -> list[str]:
        """`podsShouldBeOnNode` for a node whose daemon pods may keep running."""
        name = node["metadata"]["name"]
        deletes: list[str] = []
        running: list[Obj] = []
        now = self.clock.now
        for pod in pods:
            if pod["metadata"].get("deletionTimestamp"):
                continue
            phase = pod.get("status", {}).get("phase")
            if phase == "Failed":
                backoff_key = f"{ds['metadata']['uid']}/{name}"
                if self.backoff.in_backoff(backoff_key, now):
                    self.queue.add_after(key_of(ds), self.backoff.delay(backoff_key))
                    continue
                self.backoff.next(backoff_key, now)
                meta = pod["metadata"]
                msg = (
                    f"Found failed daemon pod {meta['namespace']}/{meta['name']} on node {name}, "
                    "will try to kill it"
                )
                self.recorder.event(ds, "Warning", "FailedDaemonPod", msg)
                reasons.append(f"delete failed pod {meta['name']} on {name}")
                deletes.append(meta["name"])
            elif phase == "Succeeded":
                reasons.append(f"delete succeeded pod {pod['metadata']['name']} on {name}")
                deletes.append(pod["metadata"]["name"])
            else:
                running.append(pod)
        running.sort(key=oldest_first)
        if not self._allows_surge(ds):
            extra = [p["metadata"]["name"] for p in running[1:]]
            if extra:
                reasons.append(f"{len(running)} pods on {name} → keep the oldest, delete {', '.join(extra)}")
            return deletes + extra
        if len(running) <= 1:
            if not running and should_run:
                creates.append(name)  # surging: at least one live pod per node
            return deletes
        # Surge: keep the oldest new pod and the oldest old pod; the old one goes once the
        # new one is available (or at once if the old one is not ready).
        oldest_new = oldest_old = None
        for pod in running:
            if (pod["metadata"].get("labels") or {}).get(REVISION_HASH) == hash_:
                if oldest_new is None:
                    oldest_new = pod
                    continue
            elif oldest_old is None:
                oldest_old = pod
                continue
            deletes.append(pod["metadata"]["name"])
        if (
            oldest_new is not None
            and oldest_old is not None
            and (not is_pod_ready(oldest_old) or self._available(oldest_new, ds))
        ):
            new_name, old_name = oldest_new["metadata"]["name"], oldest_old["metadata"]["name"]
            reasons.append(f"new pod {new_name} on {name} replaces {old_name}")
            deletes.append(old_name)
        return deletes

    @staticmethod
    def _allows_surge(ds: Obj) -> bool:
        strategy = ds["spec"].get("updateStrategy") or {}
        if strategy.get("type") != "RollingUpdate":
            return False
        surge = (strategy.get("rollingUpdate") or {}).get("maxSurge")
        return surge is not None and scaled_value(surge, 1, True) > 0

    def _sync_nodes(self, ds: Obj, deletes: list[str], creates: list[str], hash_: str) -> None:
        """`syncNodes`: set expectations, create in slow-start batches, then delete."""
        key = key_of(ds)
        create_n, delete_n = min(len(creates), BURST_REPLICAS), min(len(deletes), BURST_REPLICAS)
        if not create_n and not delete_n:
            return
        self.expectations.expect(key, create_n, delete_n, self.clock.now)
        template = pod_template(ds, template_generation(ds), hash_)
        pos, batch = 0, min(create_n, 1)
        error: ApiError | None = None
        while pos < create_n:
            for node in creates[pos : pos + batch]:
                try:
                    self._create_pod(ds, template, node)
                except ApiError as exc:
                    self.expectations.observed(key, adds=1)
                    error = error or exc
            pos += batch
            if error is not None and pos < create_n:
                self.expectations.observed(key, adds=create_n - pos)  # skipped: retried later
                break
            batch = min(2 * batch, create_n - pos)
        for name in deletes[:delete_n]:
            try:
                self.server.delete(self.user, "pods", name, ds["metadata"]["namespace"])
            except ApiError as exc:
                self.expectations.observed(key, dels=1)
                if exc.code != 404:
                    self.recorder.event(ds, "Warning", "FailedDelete", f"Error deleting: {exc.message}")
                    error = error or exc
                continue
            self.recorder.event(ds, "Normal", "SuccessfulDelete", f"Deleted pod: {name}")
        if error is not None:
            raise error

    def _create_pod(self, ds: Obj, template: Obj, node: str) -> None:
        tmeta = template.get("metadata") or {}
        spec = copy_json(template["spec"])
        pin_to_node(spec, node)
        meta: Obj = {
            "generateName": f"{ds['metadata']['name']}-",
            "namespace": ds["metadata"]["namespace"],
            "labels": copy_json(tmeta.get("labels") or {}),
            "ownerReferences": [owner_reference(ds)],
        }
        if tmeta.get("annotations"):
            meta["annotations"] = copy_json(tmeta["annotations"])
        if tmeta.get("finalizers"):
            meta["finalizers"] = list(tmeta["finalizers"])
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
        try:
            created = self.server.create(self.user, pod)
        except ApiError as exc:
            self.recorder.event(ds, "Warning", "FailedCreate", f"Error creating: {exc.message}")
            raise
        self.recorder.event(ds, "Normal", "SuccessfulCreate", f"Created pod: {created['metadata']['name']}")
