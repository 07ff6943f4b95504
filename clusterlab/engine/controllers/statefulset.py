"""The StatefulSet controller: pods with stable identities, made and replaced in order.

Modelled on Kubernetes' `pkg/controller/statefulset` (v1.32: `stateful_set.go`,
`stateful_set_control.go`, `stateful_set_utils.go`, `stateful_pod_control.go`). A sync:

1. **Revisions.** The pod template is stored as a ControllerRevision the set owns
   (`<set>-<hash>`, see history.py). A template seen before re-uses (and re-numbers) its
   revision; a new one is created. `status.currentRevision` is the revision the set ran
   before the update, `status.updateRevision` the one it is moving to.
2. **Identities.** Pod `<set>-<ordinal>` for each ordinal from `spec.ordinals.start`
   (default 0) for `spec.replicas` pods; a pod beyond the range is "condemned". Each pod gets
   `hostname: <pod>`, `subdomain: <serviceName>`, the labels
   `statefulset.kubernetes.io/pod-name`, `apps.kubernetes.io/pod-index` and
   `controller-revision-hash`, and, for each volume claim template, a volume naming the claim
   `<template>-<set>-<ordinal>`.
3. **Replicas, in ordinal order.** A Failed or Succeeded pod is deleted (and recreated once
   it is gone); a missing one is created. With `podManagementPolicy: OrderedReady` (the
   default, "monotonic") the walk stops at the first pod it creates, at a pod that is
   terminating, and at one that is not Running and Ready (and available for minReadySeconds):
   pod N is created only when 0..N-1 are ready. `Parallel` creates them all at once, in
   slow-start batches.
4. **Scale down**, from the highest ordinal: OrderedReady deletes one pod, then waits for it
   to be gone and for every remaining pod to be healthy before the next.
5. **Rolling update** (`updateStrategy: RollingUpdate`): from the highest ordinal down to
   `partition`, delete the first pod not at the update revision, then wait for its
   replacement to be Running and Ready before the next. Ordinals below the partition keep
   (and are recreated at) the current revision. `OnDelete`: pods get the new template only
   when someone deletes them.
6. **Status**: replicas, readyReplicas, availableReplicas, currentReplicas, updatedReplicas,
   currentRevision, updateRevision, collisionCount, observedGeneration; once every pod is at
   the update revision and ready, the update revision becomes the current one.

**At most one pod per identity**: the controller never creates `web-1` while a pod of that
name exists, even one stuck terminating on a node that died (its kubelet can no longer confirm
the deletion). It is replaced only once it is really gone — when the node object is deleted
or someone force-deletes the pod (`kubectl delete pod web-1 --force --grace-period=0`), the
task "Force Delete StatefulSet Pods" in the Kubernetes documentation.

Events are Kubernetes' own: `create Pod web-0 in StatefulSet web successful`
(SuccessfulCreate), `delete Pod web-2 in StatefulSet web successful` (SuccessfulDelete), and
`... failed error: <why>` as FailedCreate/FailedDelete warnings. Why each sync acted (or
waited) is recorded in the decision log (`Cluster.decisions("statefulset", "web")`).

Simplified: orphaned pods and revisions matching the selector are not adopted (nor are
stray ones released); the MaxUnavailableStatefulSet alpha gate is off, as in 1.32.
**volumeClaimTemplates** become the pods' volumes, and each pod's claims
(`<template>-<set>-<ordinal>`) are created before the pod and kept by the retention policy
(statefulset_claims.py).
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import AlreadyExists, ApiError
from ..informers import key_of
from ..jsonutil import copy_json
from ..statefulsets import POD_INDEX_LABEL, POD_NAME_LABEL, REVISION_LABEL
from . import history
from .base import Controller, ControllerContext, controller_of, is_pod_ready, owner_reference, owner_uid_index
from .replicaset import pod_available
from .statefulset_claims import claim_name, create_claims, update_retention

Obj = dict[str, Any]
CONTROLLER_UID = "controller-uid"
MAX_BATCH_SIZE = 500  # stateful_set_control.go's MaxBatchSize for Parallel creation
_ORDINAL = re.compile(r"^(.*)-([0-9]+)$")


def parent_and_ordinal(pod: Obj) -> tuple[str, int]:
    """`getParentNameAndOrdinal`: ("web", 2) for `web-2`; ("", -1) for a name without one."""
    m = _ORDINAL.match(pod["metadata"]["name"])
    if m is None:
        return "", -1
    ordinal = int(m.group(2))
    return m.group(1), ordinal if ordinal < 2**31 else -1


def ordinal_of(pod: Obj) -> int:
    return parent_and_ordinal(pod)[1]


def pod_revision(pod: Obj) -> str:
    return (pod["metadata"].get("labels") or {}).get(REVISION_LABEL, "")


def is_created(pod: Obj) -> bool:
    """A pod the API server holds has a phase; one only planned in this sync has none."""
    return bool((pod.get("status") or {}).get("phase"))


def is_terminating(pod: Obj) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp"))


def is_running_and_ready(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and is_pod_ready(pod)


def template_of(revision: Obj) -> Obj:
    """`ApplyRevision`: the pod template a revision holds (its `$patch: replace` dropped)."""
    template = copy_json(revision["data"]["spec"]["template"])
    template.pop("$patch", None)
    return template


class StatefulSetController(Controller):
    name = "statefulset-controller"
    workers = 5  # --concurrent-statefulset-syncs

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.set_informer = ctx.informers.get("statefulsets")
        self.pod_informer = ctx.informers.get("pods")
        self.rev_informer = ctx.informers.get("controllerrevisions")
        self.claim_informer = ctx.informers.get("persistentvolumeclaims")  # statefulset_claims.py
        self.pod_informer.add_index(CONTROLLER_UID, owner_uid_index)
        self.rev_informer.add_index(CONTROLLER_UID, owner_uid_index)
        self.set_informer.add_handler(self._enqueue, lambda old, new: self._enqueue(new), self._enqueue)
        for informer in (self.pod_informer, self.rev_informer):
            informer.add_handler(self._on_owned, self._on_owned_update, self._on_owned)

    # -- handlers -------------------------------------------------------------------------

    def _enqueue(self, sts: Obj) -> None:
        self.queue.add(key_of(sts))

    def _on_owned(self, obj: Obj) -> None:
        ref = controller_of(obj)
        if ref is not None and ref.get("kind") == "StatefulSet":
            self.queue.add(f"{obj['metadata']['namespace']}/{ref['name']}")

    def _on_owned_update(self, old: Obj, new: Obj) -> None:
        if controller_of(old) != controller_of(new):
            self._on_owned(old)
        self._on_owned(new)

    # -- sync -----------------------------------------------------------------------------

    def sync(self, key: str) -> int:
        sts = self.set_informer.get(key)
        if sts is None:
            return 0
        uid = sts["metadata"]["uid"]
        name = sts["metadata"]["name"]
        pods = [
            p for p in self.pod_informer.by_index(CONTROLLER_UID, uid) if parent_and_ordinal(p)[0] == name
        ]
        revisions = history.sort_revisions(self.rev_informer.by_index(CONTROLLER_UID, uid))
        collision = int((sts.get("status") or {}).get("collisionCount") or 0)
        current, update, collision, revisions = self._revisions(sts, revisions, collision)
        run = _Sync(self, sts, current, update, collision, pods)
        error: ApiError | None = None
        try:
            run.update_set()
        except ApiError as exc:
            error = exc
        status = run.status()
        self._complete_rolling_update(sts, status)
        self.write_status(sts, status)
        if run.reason:
            self._explain_once(sts, run.reason)
        self._truncate_history(sts, pods, revisions, current, update)
        if error is not None:
            raise error
        replicas = int(sts["spec"].get("replicas", 1))
        mrs = int(sts["spec"].get("minReadySeconds") or 0)
        if mrs > 0 and status.get("availableReplicas", 0) != replicas:
            self.queue.add_after(key, mrs)
        return len(pods) + len(revisions)

    def _explain_once(self, sts: Obj, text: str) -> None:
        """Record why the sync acted (or waited) unless it is what was last recorded."""
        meta = sts["metadata"]
        last = self.ctx.decisions.for_object("StatefulSet", meta["name"], meta.get("namespace") or "")
        if not last or last[-1].text != text:
            self.explain(sts, text)

    # -- revisions ------------------------------------------------------------------------

    def _revisions(self, sts: Obj, revisions: list[Obj], collision: int) -> tuple[Obj, Obj, int, list[Obj]]:
        """`getStatefulSetRevisions`: the current and update revisions, creating or re-numbering
        the update revision as needed. Returns them, the collision count and the revisions."""
        template = copy_json(sts["spec"]["template"])
        template["$patch"] = "replace"
        data = {"spec": {"template": template}}
        labels = dict((sts["spec"]["template"].get("metadata") or {}).get("labels") or {})
        candidate = history.new_revision(
            sts, owner_reference(sts), labels, data, history.next_revision(revisions), collision
        )
        if sts["metadata"].get("annotations"):
            candidate["metadata"]["annotations"] = copy_json(sts["metadata"]["annotations"])
        equal = history.equal_revisions(revisions, candidate)
        if equal and equal[-1]["metadata"]["name"] == revisions[-1]["metadata"]["name"]:
            update = revisions[-1]  # the template has not changed
        elif equal:
            # Back to an earlier template: that revision becomes the newest again.
            renumbered = copy_json(equal[-1])
            renumbered["revision"] = candidate["revision"]
            update = self.server.update(self.user, renumbered)
            revisions = history.sort_revisions(
                [r for r in revisions if r["metadata"]["name"] != update["metadata"]["name"]] + [update]
            )
        else:
            update, collision = self._create_revision(sts, candidate, collision)
            revisions = history.sort_revisions(
                [r for r in revisions if r["metadata"]["name"] != update["metadata"]["name"]] + [update]
            )
        wanted = (sts.get("status") or {}).get("currentRevision")
        current = next((r for r in revisions if r["metadata"]["name"] == wanted), update)
        return current, update, collision, revisions

    def _create_revision(self, sts: Obj, candidate: Obj, collision: int) -> tuple[Obj, int]:
        """`CreateControllerRevision`: a name taken by a revision with other data (a hash
        collision) bumps the collision count and tries the next name."""
        while True:
            clone = copy_json(candidate)
            hash_ = history.hash_revision(clone["data"], collision)
            clone["metadata"]["name"] = history.revision_name(sts["metadata"]["name"], hash_)
            clone["metadata"]["labels"][history.HASH_LABEL] = hash_
            try:
                return self.server.create(self.user, clone), collision
            except AlreadyExists:
                exists = self.server.get(
                    self.user, "controllerrevisions", clone["metadata"]["name"], sts["metadata"]["namespace"]
                )
                ref = controller_of(exists)
                if (
                    ref is not None
                    and ref.get("uid") == sts["metadata"]["uid"]
                    and exists.get("data") == clone["data"]
                ):
                    return exists, collision
                collision += 1

    def _truncate_history(
        self, sts: Obj, pods: list[Obj], revisions: list[Obj], current: Obj, update: Obj
    ) -> None:
        """`truncateHistory`: delete the oldest revisions no pod and neither status revision
        uses, keeping `revisionHistoryLimit` of them."""
        live = {current["metadata"]["name"], update["metadata"]["name"], *(pod_revision(p) for p in pods)}
        old = [r for r in revisions if r["metadata"]["name"] not in live]
        limit = int(sts["spec"].get("revisionHistoryLimit", 10))
        if limit < 0 or len(old) <= limit:
            return
        for rev in old[: len(old) - limit]:
            try:
                self.server.delete(
                    self.user, "controllerrevisions", rev["metadata"]["name"], rev["metadata"]["namespace"]
                )
            except ApiError as exc:
                if exc.code != 404:
                    raise

    # -- status ---------------------------------------------------------------------------

    @staticmethod
    def _complete_rolling_update(sts: Obj, status: Obj) -> None:
        """`completeRollingUpdate`: every pod updated and ready → the update revision is current."""
        replicas = int(sts["spec"].get("replicas", 1))
        if (
            sts["spec"]["updateStrategy"].get("type") == "RollingUpdate"
            and status.get("updatedReplicas", 0) == replicas
            and status.get("readyReplicas", 0) == replicas
            and status["replicas"] == replicas
        ):
            status["currentReplicas"] = status.get("updatedReplicas", 0)
            status["currentRevision"] = status["updateRevision"]
            if not status["currentReplicas"]:
                status.pop("currentReplicas")

    # -- pod control (stateful_pod_control.go) ----------------------------------------------

    def create_pod(self, sts: Obj, pod: Obj) -> None:
        """`CreateStatefulPod`: the pod's claims first, then the pod, then the claims' owners
        as the retention policy says."""
        ordinal = ordinal_of(pod)
        try:
            create_claims(self, sts, pod, ordinal)
        except ApiError as exc:
            self._pod_event(sts, "create", pod, exc)
            raise
        try:
            created = self.server.create(self.user, pod)
        except AlreadyExists:
            raise  # sunk: no event; the retry finds the pod in the cache
        except ApiError as exc:
            self._pod_event(sts, "create", pod, exc)
            raise
        update_retention(self, sts, created, ordinal, in_range=True)
        self._pod_event(sts, "create", pod, None)

    def delete_pod(self, sts: Obj, pod: Obj, *, condemned: bool = False) -> None:
        meta = pod["metadata"]
        if condemned:  # scaled away: whenScaled decides whether its claims go with it
            update_retention(self, sts, pod, ordinal_of(pod), in_range=False)
        try:
            self.server.delete(self.user, "pods", meta["name"], meta["namespace"])
        except ApiError as exc:
            self._pod_event(sts, "delete", pod, exc)
            raise
        self._pod_event(sts, "delete", pod, None)

    def update_pod_identity(self, sts: Obj, pod: Obj) -> None:
        new = copy_json(pod)
        labels = new["metadata"].setdefault("labels", {})
        labels[POD_NAME_LABEL] = new["metadata"]["name"]
        labels[POD_INDEX_LABEL] = str(ordinal_of(new))
        try:
            self.server.update(self.user, new)
        except ApiError as exc:
            self._pod_event(sts, "update", pod, exc)
            raise
        self._pod_event(sts, "update", pod, None)

    def _pod_event(self, sts: Obj, verb: str, pod: Obj, error: ApiError | None) -> None:
        """`recordPodEvent`: `<verb> Pod <pod> in StatefulSet <set> successful`, or
        `... failed error: <err>`."""
        pod_name, set_name = pod["metadata"]["name"], sts["metadata"]["name"]
        if error is None:
            message = f"{verb} Pod {pod_name} in StatefulSet {set_name} successful"
            self.recorder.event(sts, "Normal", f"Successful{verb.title()}", message)
        else:
            message = f"{verb} Pod {pod_name} in StatefulSet {set_name} failed error: {error.message}"
            self.recorder.event(sts, "Warning", f"Failed{verb.title()}", message)


class _Sync:
    """One run of `updateStatefulSet` for a set, with what it decided and why."""

    def __init__(
        self, ctl: StatefulSetController, sts: Obj, current: Obj, update: Obj, collision: int, pods: list[Obj]
    ) -> None:
        self.ctl = ctl
        self.sts = sts
        self.spec = sts["spec"]
        self.name = sts["metadata"]["name"]
        self.current = current
        self.update = update
        self.collision = collision
        self.pods = pods
        self.mrs = int(self.spec.get("minReadySeconds") or 0)
        self.monotonic = self.spec.get("podManagementPolicy") != "Parallel"
        self.start = int((self.spec.get("ordinals") or {}).get("start") or 0)
        self.count = int(self.spec.get("replicas", 1))
        self.current_template = template_of(current)
        self.update_template = template_of(update)
        self.replicas: list[Obj] = []
        self.condemned: list[Obj] = []
        self.current_delta = 0  # currentReplicas taken off for a pod deleted for update
        self.actions: list[str] = []  # what this sync did, and why
        self.waiting = ""  # or why it did nothing more

    @property
    def reason(self) -> str:
        return "; ".join(self.actions) if self.actions else self.waiting

    def act(self, text: str) -> None:
        if text not in self.actions:
            self.actions.append(text)

    # -- health ------------------------------------------------------------------------------

    def available(self, pod: Obj) -> bool:
        return pod_available(pod, self.mrs, self.ctl.clock.now, self.ctl.server.epoch)

    def unavailable(self, pod: Obj) -> bool:
        """`isUnavailable`: not healthy (Running, Ready, not terminating) or not yet available."""
        healthy = is_running_and_ready(pod) and not is_terminating(pod)
        return not healthy or not self.available(pod)

    # -- status ------------------------------------------------------------------------------

    def status(self) -> Obj:
        """`updateStatus` over the replicas and the condemned pods (or every pod, when the
        sync stopped before sorting them)."""
        pods = self.replicas + self.condemned if self.replicas or self.condemned else self.pods
        counts = {"replicas": 0, "ready": 0, "available": 0, "current": 0, "updated": 0}
        for pod in pods:
            created = is_created(pod)
            counts["replicas"] += created
            if is_running_and_ready(pod):
                counts["ready"] += 1
                counts["available"] += self.available(pod)
            if created and not is_terminating(pod):
                rev = pod_revision(pod)
                counts["current"] += rev == self.current["metadata"]["name"]
                counts["updated"] += rev == self.update["metadata"]["name"]
        status: Obj = {
            "observedGeneration": self.sts["metadata"].get("generation", 1),
            "replicas": counts["replicas"],
            "readyReplicas": counts["ready"],
            "currentReplicas": counts["current"] + self.current_delta,
            "updatedReplicas": counts["updated"],
            "currentRevision": self.current["metadata"]["name"],
            "updateRevision": self.update["metadata"]["name"],
            "collisionCount": self.collision,
            "availableReplicas": counts["available"],
        }
        # readyReplicas, currentReplicas and updatedReplicas are `omitempty` in apps/v1.
        for f in ("readyReplicas", "currentReplicas", "updatedReplicas"):
            if not status[f]:
                del status[f]
        return status

    # -- the walk ----------------------------------------------------------------------------

    def new_pod(self, ordinal: int) -> Obj:
        """`newVersionedStatefulSetPod`: ordinals below the partition are made from the current
        revision, the others from the update revision."""
        strategy = self.spec["updateStrategy"]
        ru = strategy.get("rollingUpdate")
        current_replicas = int((self.sts.get("status") or {}).get("currentReplicas") or 0)
        at_current = (
            strategy.get("type") == "RollingUpdate" and ru is None and ordinal < self.start + current_replicas
        ) or (ru is not None and ordinal < self.start + int(ru.get("partition") or 0))
        template, revision = (
            (self.current_template, self.current) if at_current else (self.update_template, self.update)
        )
        tmeta = template.get("metadata") or {}
        name = f"{self.name}-{ordinal}"
        labels = dict(tmeta.get("labels") or {})
        labels[POD_NAME_LABEL] = name
        labels[POD_INDEX_LABEL] = str(ordinal)
        labels[REVISION_LABEL] = revision["metadata"]["name"]
        meta: Obj = {
            "name": name,
            "namespace": self.sts["metadata"]["namespace"],
            "labels": labels,
            "ownerReferences": [owner_reference(self.sts)],
        }
        if tmeta.get("annotations"):
            meta["annotations"] = copy_json(tmeta["annotations"])
        if tmeta.get("finalizers"):
            meta["finalizers"] = list(tmeta["finalizers"])
        spec = copy_json(template.get("spec") or {})
        spec["hostname"] = name
        service = self.spec.get("serviceName") or ""
        if service:
            spec["subdomain"] = service
        claims = [
            c for c in self.spec.get("volumeClaimTemplates") or () if (c.get("metadata") or {}).get("name")
        ]
        if claims:
            names = {c["metadata"]["name"] for c in claims}
            volumes = [
                {
                    "name": c["metadata"]["name"],
                    "persistentVolumeClaim": {"claimName": claim_name(c, self.name, ordinal)},
                }
                for c in claims
            ]
            spec["volumes"] = volumes + [v for v in spec.get("volumes") or () if v.get("name") not in names]
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}

    def update_set(self) -> None:
        """`updateStatefulSet`: sort pods into replicas and condemned, then act."""
        slots: list[Obj | None] = [None] * self.count
        for pod in self.pods:
            ordinal = ordinal_of(pod)
            if self.start <= ordinal < self.start + self.count:
                slots[ordinal - self.start] = pod
            elif ordinal >= 0:
                self.condemned.append(pod)
        self.replicas = [p if p is not None else self.new_pod(self.start + i) for i, p in enumerate(slots)]
        self.condemned.sort(key=ordinal_of, reverse=True)
        first_unhealthy = next((p for p in self.replicas if self.unavailable(p)), None)
        if first_unhealthy is None:
            first_unhealthy = next((p for p in reversed(self.condemned) if self.unavailable(p)), None)
        if self.sts["metadata"].get("deletionTimestamp"):
            return
        if self._run_for_all(self.replicas, self.process_replica):
            return
        if self._run_for_all(self.condemned, lambda i: self.process_condemned(i, first_unhealthy)):
            return
        if self.spec["updateStrategy"].get("type") == "OnDelete":
            self._explain_on_delete()
            return
        self.rolling_update()

    def _run_for_all(self, pods: list[Obj], fn: Any) -> bool:
        """`runForAll`: in order, stopping at the first pod that blocks (OrderedReady), or in
        slow-start batches of 1, 2, 4, … (Parallel). True: stop this sync here."""
        if self.monotonic:
            return any(fn(i) for i in range(len(pods)))
        i, batch = 0, 1
        while i < len(pods):
            for j in range(i, min(i + batch, len(pods))):
                fn(j)  # an ApiError stops the batches and fails the sync
            i += batch
            batch = min(2 * batch, MAX_BATCH_SIZE)
        return False

    def process_replica(self, i: int) -> bool:
        """`processReplica`: True when the walk must stop at this pod."""
        pod = self.replicas[i]
        pod_name = pod["metadata"]["name"]
        phase = (pod.get("status") or {}).get("phase")
        if phase in ("Failed", "Succeeded"):
            if not is_terminating(pod):
                self.act(
                    f"StatefulSet {self.name}: {pod_name} has {phase} → delete it; a new {pod_name} "
                    "follows once it is gone"
                )
                self.ctl.delete_pod(self.sts, pod)
            return True
        if not is_created(pod):
            self.act(self._create_reason(i))
            self.ctl.create_pod(self.sts, pod)
            return self.monotonic
        # ClaimsMatchRetentionPolicy: a claim made in this pod's creation sync is in the cache now
        update_retention(self.ctl, self.sts, pod, ordinal_of(pod), in_range=True)
        if self.monotonic:
            if is_terminating(pod):
                self.waiting = (
                    f"StatefulSet {self.name}: {pod_name} is terminating → wait until it is gone: at most "
                    f"one pod per identity, so no new {pod_name} (nor any later ordinal) until then"
                )
                return True
            if not is_running_and_ready(pod):
                then = ""
                if i + 1 < len(self.replicas):
                    nxt = self.replicas[i + 1]
                    verb = "creating" if not is_created(nxt) else "touching"
                    then = f" before {verb} {nxt['metadata']['name']}"
                self.waiting = (
                    f"StatefulSet {self.name}: OrderedReady, {pod_name} is not Running and Ready → wait{then}"
                )
                return True
            if not self.available(pod):
                self.waiting = (
                    f"StatefulSet {self.name}: {pod_name} is Ready but not yet available "
                    f"(minReadySeconds {self.mrs}) → wait"
                )
                return True
        labels = pod["metadata"].get("labels") or {}
        if labels.get(POD_NAME_LABEL) != pod_name:
            self.act(f"StatefulSet {self.name}: {pod_name} lost its identity label → restore it")
            self.ctl.update_pod_identity(self.sts, pod)
        return False

    def _create_reason(self, i: int) -> str:
        pod_name = self.replicas[i]["metadata"]["name"]
        exist = sum(1 for p in self.replicas if is_created(p)) + len(self.condemned)
        if self.monotonic:
            before = (
                f"{self.replicas[i - 1]['metadata']['name']} and those before it are Running and Ready"
                if i > 0
                else "it is the first ordinal"
            )
            return (
                f"StatefulSet {self.name}: {self.count} desired, {exist} exist → create {pod_name} "
                f"(OrderedReady: {before}; one at a time)"
            )
        missing = sum(1 for p in self.replicas if not is_created(p))
        batches = ", in slow-start batches of 1, 2, 4, …" if missing > 1 else ""
        return (
            f"StatefulSet {self.name}: {self.count} desired, {exist} exist → create {missing} at once "
            f"(Parallel){batches}"
        )

    def process_condemned(self, i: int, first_unhealthy: Obj | None) -> bool:
        """`processCondemned`: scale down from the highest ordinal."""
        pod = self.condemned[i]
        pod_name = pod["metadata"]["name"]
        if is_terminating(pod):
            if self.monotonic:
                self.waiting = (
                    f"StatefulSet {self.name}: scaling down, {pod_name} is terminating → wait until it is "
                    "gone"
                )
                return True
            return False
        if self.monotonic and pod is not first_unhealthy and self.unavailable(pod):
            blocker = first_unhealthy["metadata"]["name"] if first_unhealthy else pod_name
            self.waiting = (
                f"StatefulSet {self.name}: scaling down, {blocker} is not healthy → wait before deleting "
                f"{pod_name}"
            )
            return True
        last = self.start + self.count - 1
        if self.monotonic:
            self.act(
                f"StatefulSet {self.name}: {self.count} desired, {pod_name} is beyond ordinal {last} → "
                "delete it (highest ordinal first; one at a time)"
            )
        else:
            self.act(
                f"StatefulSet {self.name}: {self.count} desired, {len(self.condemned)} beyond ordinal "
                f"{last} → delete them at once (Parallel)"
            )
        self.ctl.delete_pod(self.sts, pod, condemned=True)
        return True

    def rolling_update(self) -> None:
        """From the highest ordinal down to the partition: delete the first pod not at the update
        revision, or wait for an updated pod that is not yet available."""
        ru = self.spec["updateStrategy"].get("rollingUpdate")
        partition = int((ru or {}).get("partition") or 0)
        update_name = self.update["metadata"]["name"]
        updating = any(pod_revision(p) != update_name for p in self.replicas[partition:])
        for target in range(len(self.replicas) - 1, partition - 1, -1):
            pod = self.replicas[target]
            pod_name = pod["metadata"]["name"]
            if pod_revision(pod) != update_name and not is_terminating(pod):
                self.act(
                    f"StatefulSet {self.name}: rolling update to {update_name}, partition {partition}: "
                    f"{pod_name} runs {pod_revision(pod) or 'no revision'} → delete it (the highest "
                    "ordinal not yet updated; it comes back with the new template)"
                )
                try:
                    self.ctl.delete_pod(self.sts, pod)
                except ApiError as exc:
                    if exc.code != 404:
                        raise
                self.current_delta -= 1
                return
            if self.unavailable(pod):
                if updating:
                    self.waiting = (
                        f"StatefulSet {self.name}: rolling update, {pod_name} is not yet available → wait"
                    )
                return
        if partition >= self.count and any(pod_revision(p) != update_name for p in self.replicas):
            self.waiting = (
                f"StatefulSet {self.name}: partition {partition} ≥ {self.count} replicas → no pod is updated "
                f"to {update_name} until the partition is lowered (a deleted pod comes back as it was)"
            )
        elif partition > 0 and any(pod_revision(p) != update_name for p in self.replicas[:partition]):
            self.waiting = (
                f"StatefulSet {self.name}: ordinals {self.start + partition}..{self.start + self.count - 1} "
                f"run {update_name}; those below partition {partition} keep the old template"
            )

    def _explain_on_delete(self) -> None:
        update_name = self.update["metadata"]["name"]
        stale = [
            p["metadata"]["name"] for p in self.replicas if is_created(p) and pod_revision(p) != update_name
        ]
        if stale:
            self.waiting = (
                f"StatefulSet {self.name}: updateStrategy OnDelete → {', '.join(stale)} keep the old "
                f"template until deleted; their replacements get {update_name}"
            )
