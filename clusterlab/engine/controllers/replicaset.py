"""The ReplicaSet controller: keep exactly `spec.replicas` pods matching the selector.

Like Kubernetes' `pkg/controller/replicaset`: it watches ReplicaSets and pods, and for a
ReplicaSet key compares the active pods it controls (by ownerReference) with the desired
count. Too few: create pods from the template (`generateName: <rs>-`, so names get five
random characters), in slow-start batches of 1, 2, 4, … and at most 500 per sync. Too many:
delete the pods Kubernetes would pick first (`pod_ranking.py`: unassigned, pending, not ready,
lower deletion cost, doubled up on a node, more recently ready, more restarts, newer). Each
sync that acts records why (`explain`), with the numbers.
"Expectations" remember creations and deletions not yet seen through the watch, so the
controller never double-creates while its cache catches up. Then it writes status
(replicas, readyReplicas, availableReplicas, observedGeneration).

Simplified: orphaned pods are not adopted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import ApiError
from ..informers import key_of
from ..jsonutil import copy_json
from ..selectors import LabelSelector, selector_from_spec
from ..timefmt import seconds_since
from .base import (
    Controller,
    ControllerContext,
    controller_of,
    is_pod_active,
    is_pod_ready,
    owner_reference,
    owner_uid_index,
)
from .pod_ranking import pods_to_delete, why_first

Obj = dict[str, Any]
BURST_REPLICAS = 500
EXPECTATIONS_TTL = 300.0


@dataclass
class Expectation:
    adds: int
    dels: int
    at: float


class Expectations:
    """`ControllerExpectations`: creations/deletions issued but not yet observed."""

    def __init__(self) -> None:
        self._by_key: dict[str, Expectation] = {}

    def satisfied(self, key: str, now: float) -> bool:
        e = self._by_key.get(key)
        return e is None or (e.adds <= 0 and e.dels <= 0) or now - e.at > EXPECTATIONS_TTL

    def expect(self, key: str, adds: int, dels: int, now: float) -> None:
        self._by_key[key] = Expectation(adds, dels, now)

    def observed(self, key: str, adds: int = 0, dels: int = 0) -> None:
        e = self._by_key.get(key)
        if e is not None:
            e.adds -= adds
            e.dels -= dels

    def forget(self, key: str) -> None:
        self._by_key.pop(key, None)


def pod_available(pod: Obj, min_ready_seconds: int, now: float, epoch: Any) -> bool:
    """`podutil.IsPodAvailable`: Ready for at least minReadySeconds."""
    for c in pod.get("status", {}).get("conditions") or ():
        if c.get("type") == "Ready" and c.get("status") == "True":
            if min_ready_seconds <= 0:
                return True
            since = c.get("lastTransitionTime")
            return since is not None and seconds_since(epoch, since) + min_ready_seconds < now
    return False


@dataclass(slots=True)
class PodFacts:
    """What a sync needs to know of one owned pod, kept current by the informer handlers."""

    pod: Obj
    active: bool
    ready_since: float | None  # None while not Ready
    labels: frozenset[tuple[str, str]]


@dataclass(slots=True)
class Tally:
    """The counts a sync reports of one ReplicaSet's owned pods, kept current as pods come, change
    and go (client-go's controller lists and counts them on every sync, in Go; the numbers
    only change with the pods, so here each change adjusts them). `view`: the selector and
    template labels they were counted for; a ReplicaSet whose change alters them is recounted."""

    view: tuple[Any, ...]
    match_labels: frozenset[tuple[str, str]]
    selector: LabelSelector | None
    template_labels: frozenset[tuple[str, str]]
    active: int = 0
    labelled: int = 0
    ready: int = 0

    def add(self, f: PodFacts, sign: int = 1) -> None:
        if not f.active or not self.match_labels <= f.labels:
            return
        if self.selector is not None and not self.selector.matches(f.pod["metadata"].get("labels")):
            return
        self.active += sign
        if self.template_labels <= f.labels:
            self.labelled += sign
        if f.ready_since is not None:
            self.ready += sign

    def counts(self, f: PodFacts) -> bool:
        """Whether `f` is one of the active pods the selector picks."""
        if not f.active or not self.match_labels <= f.labels:
            return False
        return self.selector is None or self.selector.matches(f.pod["metadata"].get("labels"))


def pod_facts(pod: Obj, epoch: Any) -> PodFacts:
    ready_since = None
    for c in pod.get("status", {}).get("conditions") or ():
        if c.get("type") == "Ready":
            if c.get("status") == "True":
                since = c.get("lastTransitionTime")
                ready_since = seconds_since(epoch, since) if since else 0.0
            break
    labels = frozenset((pod["metadata"].get("labels") or {}).items())
    return PodFacts(pod, is_pod_active(pod), ready_since, labels)


class ReplicaSetController(Controller):
    name = "replicaset-controller"
    workers = 5

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.expectations = Expectations()
        self.rs_informer = ctx.informers.get("replicasets")
        self.rs_informer.add_index("controller-uid", owner_uid_index)
        self.pod_informer = ctx.informers.get("pods")
        self.owned: dict[str, dict[str, PodFacts]] = {}  # ReplicaSet uid → pod key → facts
        self.tallies: dict[str, Tally] = {}  # ReplicaSet uid → counts of its owned pods
        self.rs_informer.add_handler(self._enqueue, lambda old, new: self._enqueue(new), self._on_rs_delete)
        self.pod_informer.add_handler(self._on_pod_add, self._on_pod_update, self._on_pod_delete)

    def component_name(self) -> str:
        return "replicaset-controller"

    # -- handlers -------------------------------------------------------------------------

    def _enqueue(self, rs: Obj) -> None:
        self.queue.add(key_of(rs))

    def _on_rs_delete(self, rs: Obj) -> None:
        self.expectations.forget(key_of(rs))
        self.owned.pop(rs["metadata"].get("uid", ""), None)
        self.tallies.pop(rs["metadata"].get("uid", ""), None)

    def _owner_key(self, pod: Obj) -> str | None:
        ref = controller_of(pod)
        if ref is None or ref.get("kind") != "ReplicaSet":
            return None
        return f"{pod['metadata']['namespace']}/{ref['name']}"

    def _track(self, pod: Obj, old: Obj | None = None, gone: bool = False) -> None:
        """Keep `owned` in step with the cache (an index, as an informer indexer would be)."""
        key = key_of(pod)
        for o in (pod,) if old is None else (old, pod):
            ref = controller_of(o)
            if ref is not None and ref.get("uid") in self.owned:
                facts = self.owned[ref["uid"]].pop(key, None)
                tally = self.tallies.get(ref["uid"])
                if facts is not None and tally is not None:
                    tally.add(facts, -1)
        ref = controller_of(pod)
        if gone or ref is None or ref.get("kind") != "ReplicaSet":
            return
        facts = self.owned.setdefault(ref["uid"], {})[key] = pod_facts(pod, self.server.epoch)
        tally = self.tallies.get(ref["uid"])
        if tally is not None:
            tally.add(facts)

    def _on_pod_add(self, pod: Obj) -> None:
        self._track(pod)
        key = self._owner_key(pod)
        if key is None:
            return
        if pod["metadata"].get("deletionTimestamp"):
            self.expectations.observed(key, dels=1)
        else:
            self.expectations.observed(key, adds=1)
        self.queue.add(key)

    def _on_pod_update(self, old: Obj, new: Obj) -> None:
        self._track(new, old)
        key = self._owner_key(new)
        if key is None:
            return
        if new["metadata"].get("deletionTimestamp") and not old["metadata"].get("deletionTimestamp"):
            self.expectations.observed(key, dels=1)
        self.queue.add(key)
        # A pod that just became ready may become available after minReadySeconds.
        rs = self.rs_informer.get(key)
        mrs = int((rs or {}).get("spec", {}).get("minReadySeconds", 0) or 0)
        if mrs and is_pod_ready(new) and not is_pod_ready(old):
            self.queue.add_after(key, mrs + 1)

    def _on_pod_delete(self, pod: Obj) -> None:
        self._track(pod, gone=True)
        key = self._owner_key(pod)
        if key is None:
            return
        if not pod["metadata"].get("deletionTimestamp"):
            self.expectations.observed(key, dels=1)
        self.queue.add(key)

    # -- sync -----------------------------------------------------------------------------

    def sync(self, key: str) -> int:
        rs = self.rs_informer.get(key)
        if rs is None:
            self.expectations.forget(key)
            return 0
        owned = self.owned.get(rs["metadata"]["uid"], {})
        tally = self._tally(rs, owned)
        mrs = int(rs["spec"].get("minReadySeconds", 0) or 0)
        now = self.clock.now
        counts = {"labelled": tally.labelled, "ready": tally.ready, "available": tally.ready}
        if mrs > 0:  # IsPodAvailable: Ready for more than minReadySeconds
            counts["available"] = sum(
                1
                for f in owned.values()
                if f.ready_since is not None and f.ready_since + mrs < now and tally.counts(f)
            )
        n_active = tally.active
        error: ApiError | None = None
        if self.expectations.satisfied(key, now) and not rs["metadata"].get("deletionTimestamp"):
            # the active pods in the order the cache last saw them change (the deletion
            # ranking's tie order), listed only when pods are to be deleted
            error = self._manage_replicas(
                key, rs, n_active, lambda: [f.pod for f in owned.values() if tally.counts(f)]
            )
        self._update_status(rs, n_active, counts, error)
        if error is not None:
            raise error
        return len(owned)

    def _tally(self, rs: Obj, owned: dict[str, PodFacts]) -> Tally:
        """The ReplicaSet's counts, recounted when its selector or template labels changed."""
        uid = rs["metadata"]["uid"]
        sel_spec = rs["spec"].get("selector") or {}
        match_labels = frozenset((sel_spec.get("matchLabels") or {}).items())
        expressions = sel_spec.get("matchExpressions")
        tmeta = rs["spec"]["template"].get("metadata") or {}
        template_labels = frozenset((tmeta.get("labels") or {}).items())
        view = (match_labels, repr(expressions) if expressions else None, template_labels)
        tally = self.tallies.get(uid)
        if tally is None or tally.view != view:
            selector = selector_from_spec(sel_spec) if expressions else None
            tally = Tally(view, match_labels, selector, template_labels)
            for f in owned.values():
                tally.add(f)
            self.tallies[uid] = tally
        return tally

    def _manage_replicas(
        self, key: str, rs: Obj, n_active: int, list_active: Callable[[], list[Obj]]
    ) -> ApiError | None:
        want = int(rs["spec"].get("replicas", 1))
        diff = n_active - want
        if diff < 0:
            count = min(-diff, BURST_REPLICAS)
            self.explain(
                rs,
                f"ReplicaSet {rs['metadata']['name']}: {want} desired, {n_active} exist → create {count}"
                + (f" (at most {BURST_REPLICAS} per sync)" if count < -diff else "")
                + (" in slow-start batches of 1, 2, 4, …" if count > 1 else ""),
            )
            self.expectations.expect(key, count, 0, self.clock.now)
            created = 0
            batch = 1
            while created < count:
                size = min(batch, count - created)
                for _ in range(size):
                    try:
                        self._create_pod(rs)
                    except ApiError as exc:
                        self.recorder.event(rs, "Warning", "FailedCreate", f"Error creating: {exc.message}")
                        # Creations that did not happen will never be observed.
                        self.expectations.observed(key, adds=count - created)
                        return exc
                    created += 1
                batch *= 2
            return None
        if diff > 0:
            count = min(diff, BURST_REPLICAS)
            now = self.clock.now
            ranked = pods_to_delete(list_active(), self._related_pods(rs), count, now, self.server.epoch)
            victims = [r.pod for r in ranked]
            self.explain(
                rs,
                f"ReplicaSet {rs['metadata']['name']}: {want} desired, {n_active} exist → delete {count}"
                + (f" (at most {BURST_REPLICAS} per sync)" if count < diff else "")
                + ", first in Kubernetes' deletion order: "
                + "; ".join(why_first(r, now) for r in ranked),
            )
            self.expectations.expect(key, 0, count, self.clock.now)
            for pod in victims:
                meta = pod["metadata"]
                try:
                    self.server.delete(self.user, "pods", meta["name"], meta["namespace"])
                except ApiError as exc:
                    self.expectations.observed(key, dels=1)
                    if exc.code != 404:
                        self.recorder.event(rs, "Warning", "FailedDelete", f"Error deleting: {exc.message}")
                        return exc
                    continue
                self.recorder.event(rs, "Normal", "SuccessfulDelete", f"Deleted pod: {meta['name']}")
        return None

    def _related_pods(self, rs: Obj) -> list[Obj]:
        """`getIndirectlyRelatedPods`: the pods of every ReplicaSet with the same controller as
        `rs` (the Deployment's old and new ones); none when `rs` has no controller."""
        ref = controller_of(rs)
        if ref is None or not ref.get("uid"):
            return []
        pods: list[Obj] = []
        for sibling in self.rs_informer.by_index("controller-uid", ref["uid"]):
            pods.extend(f.pod for f in self.owned.get(sibling["metadata"]["uid"], {}).values())
        return pods

    def _create_pod(self, rs: Obj) -> None:
        template = rs["spec"]["template"]
        tmeta = template.get("metadata") or {}
        meta: Obj = {
            "generateName": f"{rs['metadata']['name']}-",
            "namespace": rs["metadata"]["namespace"],
            "labels": copy_json(tmeta.get("labels") or {}),
            "ownerReferences": [owner_reference(rs)],
        }
        if tmeta.get("annotations"):
            meta["annotations"] = copy_json(tmeta["annotations"])
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": copy_json(template["spec"])}
        created = self.server.create(self.user, pod)
        self.recorder.event(rs, "Normal", "SuccessfulCreate", f"Created pod: {created['metadata']['name']}")

    def _update_status(self, rs: Obj, replicas: int, counts: dict[str, int], error: ApiError | None) -> None:
        status: Obj = {
            "replicas": replicas,
            "fullyLabeledReplicas": counts["labelled"],
            "readyReplicas": counts["ready"],
            "availableReplicas": counts["available"],
            "observedGeneration": rs["metadata"].get("generation", 1),
        }
        # `ReplicaFailure` is set by the first failed sync and kept as it was (message and
        # time) while syncs keep failing; the first sync that succeeds removes it.
        conditions = list(rs.get("status", {}).get("conditions") or ())
        failure = next((c for c in conditions if c["type"] == "ReplicaFailure"), None)
        if error is not None and failure is None:
            diff = replicas - int(rs["spec"].get("replicas", 1))
            conditions.append(
                {
                    "type": "ReplicaFailure",
                    "status": "True",
                    "reason": "FailedCreate" if diff < 0 else "FailedDelete" if diff > 0 else "",
                    "message": error.message,
                    "lastTransitionTime": self.server.timestamp(),
                }
            )
        elif error is None and failure is not None:
            conditions.remove(failure)
        if conditions:
            status["conditions"] = conditions
        # Kubernetes omits zero counters from the serialised status.
        status = {
            k: v for k, v in status.items() if v not in (0, None) or k in ("replicas", "observedGeneration")
        }
        self.write_status(rs, status)
