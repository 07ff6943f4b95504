"""The DaemonSet controller: one daemon pod on every node that should run it.

Like Kubernetes' `pkg/controller/daemon` (`daemon_controller.go`, `update.go`, 1.32). A sync of
a DaemonSet key:

1. **History** (`constructHistory`): the ControllerRevision holding the current pod template
   (`<ds>-<hash>`, labelled `controller-revision-hash`, its `data` the patch that replaces
   `spec.template`) is found or created and numbered one above the old ones; its hash labels
   every pod made from it.
2. **Manage** (`manage` / `podsShouldBeOnNode`): for each node, `NodeShouldRunDaemonPod`
   (daemon_pods.py) decides. A node that should run the pod and has none gets one; a failed
   daemon pod is deleted (rate-limited per node by a 1 s → 15 min backoff, with a
   `FailedDaemonPod` warning); surplus pods on a node are deleted, oldest kept; pods on a node
   that should no longer run them (a NoExecute taint not tolerated, labels no longer matching)
   are deleted. Creations go out in slow-start batches (1, 2, 4, …, at most 250 per sync),
   each pod pinned to its node by node affinity and bound by the default scheduler.
   "Expectations" hold further syncs back until the watch has shown every create and delete.
3. **Rolling update** (`rollingUpdate`, RollingUpdate strategy only, once expectations are
   met): with `maxSurge` 0, old pods are deleted while fewer than `maxUnavailable` (of the
   desired nodes, rounded up) nodes are unavailable — the manage loop then creates the new
   pod once the old one has gone; with `maxSurge`, a new pod starts beside the old one on up
   to `maxSurge` nodes and the old one is deleted when the new one is available.
4. **History clean-up**: old revisions beyond `revisionHistoryLimit` that no live pod uses.
5. **Status** (`updateDaemonSetStatus`): desired / current / ready / available / updated /
   misscheduled / unavailable node counts and `observedGeneration` (not raised while
   expectations are pending).

Events are Kubernetes' (`SuccessfulCreate` "Created pod: x", `SuccessfulDelete` "Deleted pod:
x", `FailedCreate`, `FailedDelete`, `FailedDaemonPod`), and every sync that acts records why
(`explain`), with the node counts.

Simplified: the controller works from the pods it owns (no adoption of orphans matching the
selector, no release of pods whose labels stop matching); where Kubernetes walks nodes in Go's
random map order (the rolling update's choice of the next nodes) this walks them by name, so
runs are repeatable; duplicate current revisions are not deduplicated (the newest is used).
"""

from __future__ import annotations

from typing import Any

from ..errors import AlreadyExists, ApiError
from ..informers import key_of
from ..jsonutil import copy_json
from ..selectors import selector_from_spec
from .base import Controller, ControllerContext, controller_of, is_pod_ready, owner_reference, owner_uid_index
from .daemon_pods import (
    REVISION_HASH,
    is_pod_updated,
    node_should_run,
    oldest_first,
    pin_to_node,
    pod_template,
    target_node,
    template_hash,
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


def _generation(ds: Obj) -> int | None:
    text = (ds["metadata"].get("annotations") or {}).get(TEMPLATE_GENERATION)
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _revision_data(ds: Obj) -> Obj:
    """`getPatch`: the revision's data, a patch that replaces `spec.template`."""
    return {"spec": {"template": {**copy_json(ds["spec"]["template"]), "$patch": "replace"}}}


class DaemonSetController(Controller):
    name = "daemonset-controller"
    account = "daemon-set-controller"
    workers = 2  # --concurrent-daemonset-syncs

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.expectations = Expectations()
        self.backoff = FailedPodsBackoff()
        self.ds_informer = ctx.informers.get("daemonsets")
        self.pod_informer = ctx.informers.get("pods")
        self.node_informer = ctx.informers.get("nodes")
        self.history_informer = ctx.informers.get("controllerrevisions")
        self.pod_informer.add_index("controller-uid", owner_uid_index)
        self.history_informer.add_index("controller-uid", owner_uid_index)
        self.ds_informer.add_handler(self._enqueue, lambda old, new: self._enqueue(new), self._on_ds_delete)
        self.pod_informer.add_handler(self._on_pod_add, self._on_pod_update, self._on_pod_delete)
        self.node_informer.add_handler(self._on_node_add, self._on_node_update, None)

    # -- handlers -------------------------------------------------------------------------

    def _enqueue(self, ds: Obj) -> None:
        self.queue.add(key_of(ds))

    def _on_ds_delete(self, ds: Obj) -> None:
        self.expectations.forget(key_of(ds))

    def _owner_key(self, pod: Obj) -> str | None:
        ref = controller_of(pod)
        if ref is None or ref.get("kind") != "DaemonSet":
            return None
        return f"{pod['metadata']['namespace']}/{ref['name']}"

    def _on_pod_add(self, pod: Obj) -> None:
        key = self._owner_key(pod)
        if key is None:
            return
        if pod["metadata"].get("deletionTimestamp"):
            self.expectations.observed(key, dels=1)
        else:
            self.expectations.observed(key, adds=1)
        self.queue.add(key)

    def _on_pod_update(self, old: Obj, new: Obj) -> None:
        key = self._owner_key(new)
        if key is None:
            return
        if new["metadata"].get("deletionTimestamp") and not old["metadata"].get("deletionTimestamp"):
            self.expectations.observed(key, dels=1)
        self.queue.add(key)
        ds = self.ds_informer.get(key)
        mrs = int((ds or {}).get("spec", {}).get("minReadySeconds", 0) or 0)
        if mrs and is_pod_ready(new) and not is_pod_ready(old):
            self.queue.add_after(key, mrs + 1)  # "a second to avoid milliseconds skew"

    def _on_pod_delete(self, pod: Obj) -> None:
        key = self._owner_key(pod)
        if key is None:
            return
        if not pod["metadata"].get("deletionTimestamp"):
            self.expectations.observed(key, dels=1)
        self.queue.add(key)

    def _on_node_add(self, node: Obj) -> None:
        for ds in self.ds_informer.list():
            if node_should_run(node, ds)[0]:
                self._enqueue(ds)

    def _on_node_update(self, old: Obj, new: Obj) -> None:
        """`updateNode`: only DaemonSets whose verdict for the node changed."""
        if old.get("spec") == new.get("spec") and old["metadata"].get("labels") == new["metadata"].get(
            "labels"
        ):
            return
        for ds in self.ds_informer.list():
            if node_should_run(old, ds) != node_should_run(new, ds):
                self._enqueue(ds)

    # -- what the caches say ----------------------------------------------------------------

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

    # -- sync -----------------------------------------------------------------------------

    def sync(self, key: str) -> int:
        ds = self.ds_informer.get(key)
        if ds is None:
            self.expectations.forget(key)
            return 0
        if ds["metadata"].get("deletionTimestamp"):
            return 0
        nodes = self._nodes()
        cur, old = self._construct_history(ds)
        hash_ = (cur["metadata"].get("labels") or {}).get(REVISION_HASH, "")
        if not self.expectations.satisfied(key, self.clock.now):
            self._update_status(ds, nodes, hash_, observed=False)
            return len(nodes)
        error: ApiError | None = None
        try:
            self._manage(ds, nodes, hash_)
            strategy = ds["spec"].get("updateStrategy") or {}
            if self.expectations.satisfied(key, self.clock.now) and strategy.get("type") == "RollingUpdate":
                self._rolling_update(ds, nodes, hash_)
            self._cleanup_history(ds, old)
        except ApiError as exc:
            error = exc
        self._update_status(ds, nodes, hash_, observed=True)
        if error is not None:
            raise error
        return len(nodes)

    # -- history ----------------------------------------------------------------------------

    def _construct_history(self, ds: Obj) -> tuple[Obj, list[Obj]]:
        """`constructHistory`: the current revision (created if missing, renumbered if an
        older template came back) and the old ones."""
        want = _revision_data(ds)
        current: list[Obj] = []
        old: list[Obj] = []
        for rev in self.history_informer.by_index("controller-uid", ds["metadata"]["uid"]):
            (current if rev.get("data") == want else old).append(rev)
        next_revision = max((int(r.get("revision", 0)) for r in old), default=0) + 1
        if not current:
            return self._snapshot(ds, want, next_revision), old
        cur = max(current, key=lambda r: int(r.get("revision", 0)))
        if int(cur.get("revision", 0)) < next_revision:
            updated = copy_json(cur)
            updated["revision"] = next_revision
            cur = self.server.update(self.user, updated)
        return cur, old

    def _snapshot(self, ds: Obj, data: Obj, revision: int) -> Obj:
        """`snapshot`: store the template as a ControllerRevision named by its hash."""
        hash_ = template_hash(ds)
        meta = ds["metadata"]
        labels = dict((ds["spec"]["template"].get("metadata") or {}).get("labels") or {})
        labels[REVISION_HASH] = hash_
        rev_meta: Obj = {
            "name": f"{meta['name']}-{hash_}",
            "namespace": meta["namespace"],
            "labels": labels,
            "ownerReferences": [owner_reference(ds)],
        }
        if meta.get("annotations"):
            rev_meta["annotations"] = dict(meta["annotations"])
        history = {
            "apiVersion": "apps/v1",
            "kind": "ControllerRevision",
            "metadata": rev_meta,
            "data": data,
            "revision": revision,
        }
        try:
            return self.server.create(self.user, history)
        except AlreadyExists:
            existing = self.server.get(self.user, "controllerrevisions", rev_meta["name"], meta["namespace"])
            if existing.get("data") == data:
                return existing
            # A hash collision: count it in status so the next hash differs, and retry.
            status = copy_json(ds.get("status") or {})
            status["collisionCount"] = int(status.get("collisionCount") or 0) + 1
            self.write_status(ds, status)
            raise

    def _cleanup_history(self, ds: Obj, old: list[Obj]) -> None:
        """`cleanupHistory`: delete the oldest unused revisions beyond revisionHistoryLimit."""
        to_kill = len(old) - int(ds["spec"].get("revisionHistoryLimit", 10))
        if to_kill <= 0:
            return
        live = {
            (p["metadata"].get("labels") or {}).get(REVISION_HASH)
            for pods in self._node_to_pods(ds, include_deleted_terminal=True).values()
            for p in pods
        }
        for rev in sorted(old, key=lambda r: (int(r.get("revision", 0)), r["metadata"]["name"])):
            if to_kill <= 0:
                break
            if (rev["metadata"].get("labels") or {}).get(REVISION_HASH) in live:
                continue
            self.server.delete(
                self.user, "controllerrevisions", rev["metadata"]["name"], rev["metadata"]["namespace"]
            )
            to_kill -= 1

    # -- manage -----------------------------------------------------------------------------

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
        template = pod_template(ds, _generation(ds), hash_)
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

    # -- rolling update ---------------------------------------------------------------------

    def _rolling_update(self, ds: Obj, nodes: list[Obj], hash_: str) -> None:
        """`rollingUpdate` (update.go)."""
        node_to_pods = self._node_to_pods(ds)
        by_name = {n["metadata"]["name"]: n for n in nodes}
        desired = 0
        for node in nodes:
            if node_should_run(node, ds)[0]:
                desired += 1
                node_to_pods.setdefault(node["metadata"]["name"], [])
        ru = (ds["spec"].get("updateStrategy") or {}).get("rollingUpdate") or {}
        max_unavailable = scaled_value(ru.get("maxUnavailable", 0), desired, True)
        max_surge = scaled_value(ru.get("maxSurge", 0), desired, True)
        if desired > 0 and max_unavailable == 0 and max_surge == 0:
            max_unavailable = 1
        generation = _generation(ds)
        dsname = ds["metadata"]["name"]
        if max_surge == 0:
            unavailable = 0
            replace: list[str] = []
            candidates: list[tuple[str, str]] = []
            for node_name in sorted(node_to_pods):
                found = self._updated_on_node(node_to_pods[node_name], hash_, generation)
                if found is None:
                    unavailable += 1
                    continue
                new, old = found
                if (old is None) == (new is None):
                    unavailable += 1
                elif new is not None:
                    if not self._available(new, ds):
                        unavailable += 1
                elif old is not None:
                    if not self._available(old, ds):
                        replace.append(old["metadata"]["name"])
                        unavailable += 1
                    elif unavailable < max_unavailable:
                        candidates.append((old["metadata"]["name"], node_name))
            room = min(max(max_unavailable - unavailable, 0), len(candidates))
            chosen = candidates[:room]
            to_delete = replace + [name for name, _ in chosen]
            if to_delete:
                text = (
                    f"DaemonSet {dsname}: rolling update, maxUnavailable {max_unavailable} of {desired} "
                    f"nodes, {unavailable} unavailable"
                )
                if replace:
                    text += f"; replace unavailable old pods {', '.join(replace)}"
                if chosen:
                    text += "; delete old pod " + ", ".join(f"{p} on {n}" for p, n in chosen)
                self.explain(ds, text)
            self._sync_nodes(ds, to_delete, [], hash_)
            return
        old_to_delete: list[str] = []
        should_not_run: list[str] = []
        candidate_nodes: list[str] = []
        allowed_nodes: list[str] = []
        surge = 0
        available = 0
        for node_name in sorted(node_to_pods):
            found = self._updated_on_node(node_to_pods[node_name], hash_, generation)
            if found is None:
                surge += 1
                continue
            new, old = found
            if old is not None:
                available += self._available(old, ds)
            elif new is not None:
                available += self._available(new, ds)
            node = by_name.get(node_name)
            runs_here = node is not None and node_should_run(node, ds)[0]
            if old is None:
                continue
            if new is None:
                if not self._available(old, ds):
                    if not runs_here:
                        old_to_delete.append(old["metadata"]["name"])
                        continue
                    allowed_nodes.append(node_name)
                elif not runs_here:
                    should_not_run.append(old["metadata"]["name"])
                elif surge < max_surge:
                    candidate_nodes.append(node_name)
                continue
            if not self._available(new, ds):
                surge += 1
                continue
            old_to_delete.append(old["metadata"]["name"])
        deletable = min(max(available - desired, 0), len(should_not_run))
        old_to_delete += should_not_run[:deletable]
        room = min(max(max_surge - surge, 0), len(candidate_nodes))
        new_nodes = allowed_nodes + candidate_nodes[:room]
        if old_to_delete or new_nodes:
            text = (
                f"DaemonSet {dsname}: rolling update, maxSurge {max_surge} of {desired} nodes, "
                f"{surge} surging"
            )
            if new_nodes:
                text += f"; start new pods on {', '.join(new_nodes)}"
            if old_to_delete:
                text += f"; delete old pods {', '.join(old_to_delete)} (their replacements are available)"
            self.explain(ds, text)
        self._sync_nodes(ds, old_to_delete, new_nodes, hash_)

    @staticmethod
    def _updated_on_node(
        pods: list[Obj], hash_: str, generation: int | None
    ) -> tuple[Obj | None, Obj | None] | None:
        """`findUpdatedPodsOnNode`: (new pod, old pod), or None if a node has two of a kind."""
        new = old = None
        for pod in pods:
            if pod["metadata"].get("deletionTimestamp"):
                continue
            if is_pod_updated(pod, hash_, generation):
                if new is not None:
                    return None
                new = pod
            else:
                if old is not None:
                    return None
                old = pod
        return new, old

    # -- status -----------------------------------------------------------------------------

    def _update_status(self, ds: Obj, nodes: list[Obj], hash_: str, observed: bool) -> None:
        """`updateDaemonSetStatus` / `storeDaemonSetStatus`."""
        node_to_pods = self._node_to_pods(ds)
        generation = _generation(ds)
        desired = current = misscheduled = ready = updated = available = 0
        for node in nodes:
            pods = node_to_pods.get(node["metadata"]["name"]) or []
            if node_should_run(node, ds)[0]:
                desired += 1
                if not pods:
                    continue
                current += 1
                pod = min(pods, key=oldest_first)
                if is_pod_ready(pod):
                    ready += 1
                    available += self._available(pod, ds)
                updated += is_pod_updated(pod, hash_, generation)
            elif pods:
                misscheduled += 1
        old = ds.get("status") or {}
        status: Obj = {
            **{k: v for k, v in old.items() if k in ("collisionCount", "conditions")},
            "currentNumberScheduled": current,
            "numberMisscheduled": misscheduled,
            "desiredNumberScheduled": desired,
            "numberReady": ready,
        }
        gen = ds["metadata"].get("generation", 1) if observed else old.get("observedGeneration", 0)
        optional = {
            "observedGeneration": gen,
            "updatedNumberScheduled": updated,
            "numberAvailable": available,
            "numberUnavailable": desired - available,
        }
        status.update({k: v for k, v in optional.items() if v})  # omitempty
        self.write_status(ds, status)
        mrs = int(ds["spec"].get("minReadySeconds", 0) or 0)
        if mrs > 0 and ready != available:
            self.queue.add_after(key_of(ds), mrs)
