"""The StatefulSet controller: pods with stable identities, made and replaced in order.

Modelled on Kubernetes' `pkg/controller/statefulset` (v1.32: `stateful_set.go`,
`stateful_set_control.go`, `stateful_set_utils.go`, `stateful_pod_control.go`); this module is
`stateful_set.go`, the informer handlers and the sync; the parts are named below. A sync:

1. **Revisions** (`statefulset_revisions.py`). The pod template is stored as a
   ControllerRevision the set owns (`<set>-<hash>`, see history.py). A template seen before
   re-uses (and re-numbers) its revision; a new one is created. `status.currentRevision` is the
   revision the set ran before the update, `status.updateRevision` the one it is moving to.
2. **Identities.** Pod `<set>-<ordinal>` for each ordinal from `spec.ordinals.start` (default 0)
   for `spec.replicas` pods; a pod beyond the range is "condemned". Each pod gets `hostname:
   <pod>`, `subdomain: <serviceName>`, the labels `statefulset.kubernetes.io/pod-name`,
   `apps.kubernetes.io/pod-index` and `controller-revision-hash`, and, for each volume claim
   template, a volume naming the claim `<template>-<set>-<ordinal>`.
3. **Replicas, in ordinal order** (`statefulset_control.py`). A Failed or Succeeded pod is
   deleted (and recreated once it is gone); a missing one is created. With `podManagementPolicy:
   OrderedReady` (the default, "monotonic") the walk stops at the first pod it creates, at a pod
   that is terminating, and at one that is not Running and Ready (and available for
   minReadySeconds): pod N is created only when 0..N-1 are ready. `Parallel` creates them all at
   once, in slow-start batches.
4. **Scale down**, from the highest ordinal: OrderedReady deletes one pod, then waits for it to
   be gone and for every remaining pod to be healthy before the next.
5. **Rolling update** (`updateStrategy: RollingUpdate`, `statefulset_rolling.py`): from the
   highest ordinal down to `partition`, delete the first pod not at the update revision, then
   wait for its replacement to be Running and Ready before the next. Ordinals below the
   partition keep (and are recreated at) the current revision. `OnDelete`: pods get the new
   template only when someone deletes them.
6. **Status** (`statefulset_status.py`): replicas, readyReplicas, availableReplicas,
   currentReplicas, updatedReplicas, currentRevision, updateRevision, collisionCount,
   observedGeneration; once every pod is at the update revision and ready, the update revision
   becomes the current one.

**At most one pod per identity**: the controller never creates `web-1` while a pod of that name
exists, even one stuck terminating on a node that died (its kubelet can no longer confirm the
deletion). It is replaced only once it is really gone — when the node object is deleted or
someone force-deletes the pod (`kubectl delete pod web-1 --force --grace-period=0`), the task
"Force Delete StatefulSet Pods" in the Kubernetes documentation.

Events are Kubernetes' own: `create Pod web-0 in StatefulSet web successful` (SuccessfulCreate),
`delete Pod web-2 in StatefulSet web successful` (SuccessfulDelete), and `... failed error:
<why>` as FailedCreate/FailedDelete warnings (`statefulset_pod_control.py`). Why each sync acted
(or waited) is recorded in the decision log (`Cluster.decisions("statefulset", "web")`).

Simplified: orphaned pods and revisions matching the selector are not adopted (nor are stray
ones released); the MaxUnavailableStatefulSet alpha gate is off, as in 1.32.
**volumeClaimTemplates** become the pods' volumes, and each pod's claims
(`<template>-<set>-<ordinal>`) are created before the pod and kept by the retention policy
(statefulset_claims.py).
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..informers import key_of
from . import history
from .base import ControllerContext, controller_of, owner_uid_index
from .statefulset_control import UpdateStatefulSet
from .statefulset_pod_control import StatefulPodControl
from .statefulset_revisions import StatefulSetRevisions
from .statefulset_status import complete_rolling_update
from .statefulset_utils import CONTROLLER_UID, parent_and_ordinal

Obj = dict[str, Any]


class StatefulSetController(StatefulSetRevisions, StatefulPodControl):
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
        run = UpdateStatefulSet(self, sts, current, update, collision, pods)
        error: ApiError | None = None
        try:
            run.update_set()
        except ApiError as exc:
            error = exc
        status = run.status()
        complete_rolling_update(sts, status)
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
