"""`updateStatefulSet`: the walk over a StatefulSet's ordinals.

As `pkg/controller/statefulset/stateful_set_control.go`: pods are sorted into *replicas* (one
slot per ordinal from `spec.ordinals.start` for `spec.replicas` pods; a missing one is planned
from `newVersionedStatefulSetPod`: the current revision below the partition, the update
revision above) and *condemned* (beyond the range, highest first). Each replica in ordinal
order: a Failed or Succeeded pod is deleted (and recreated once it is gone); a missing one is
created with its identity (`hostname`, `subdomain`, the pod-name, pod-index and revision
labels, a volume per claim template). With `podManagementPolicy: OrderedReady` (the default,
"monotonic") the walk stops at the first pod it creates, at a pod that is terminating, and at
one that is unavailable; `Parallel` creates them all at once, in slow-start batches. Then the
condemned are deleted from the highest ordinal (OrderedReady: one, then wait for it to be gone
and every remaining pod to be healthy), and last the update strategy runs
(`statefulset_rolling.py`).

**At most one pod per identity**: a pod of that name that still exists, even one stuck
terminating, is never created again until it is really gone.
"""

from __future__ import annotations

from typing import Any

from ..jsonutil import copy_json
from ..statefulsets import POD_INDEX_LABEL, POD_NAME_LABEL, REVISION_LABEL
from .base import owner_reference
from .statefulset_claims import claim_name, update_retention
from .statefulset_rolling import SetRollingUpdate
from .statefulset_utils import MAX_BATCH_SIZE, is_created, is_running_and_ready, is_terminating, ordinal_of

Obj = dict[str, Any]


class UpdateStatefulSet(SetRollingUpdate):
    """One run of `updateStatefulSet` for a set, with what it decided and why."""

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
