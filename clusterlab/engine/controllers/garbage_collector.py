"""The garbage collector: delete objects whose owners are gone, and carry out cascading deletes.

Kubernetes' garbage collector keeps a graph of ownerReferences across all resources:
- **Background** (the default): when every owner of an object has been deleted, the object is
  deleted too — the owner goes first, then its dependents. That is how deleting a Deployment
  removes its ReplicaSets, and with them their pods.
- **Foreground**: an owner being deleted with the `foregroundDeletion` finalizer waits while the
  collector deletes its dependents (themselves in the foreground when they own things, so a
  Deployment waits for its ReplicaSets, which wait for their pods); once no dependent with
  `blockOwnerDeletion: true` is left, the collector removes the finalizer and the owner goes.
- **Orphan**: the collector strips the owner's reference from each dependent, then removes the
  `orphan` finalizer; the dependents stay (a ReplicaSet without its Deployment).

Simplified: the graph covers the workload kinds the engine has (Deployment → ReplicaSet → Pod,
CronJob → Job → Pod, and a Service's EndpointSlices, plus those listed in `OWNERS` since).
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..informers import Informer, key_of
from ..jsonutil import copy_json
from ..propagation import FOREGROUND_FINALIZER, GC_OWNERS, ORPHAN_FINALIZER
from .base import Controller, ControllerContext

Obj = dict[str, Any]

# dependent resource → owner kinds it may point at, with the informer resource of each
OWNERS = {
    "replicasets": {"Deployment": "deployments"},
    "pods": {
        "ReplicaSet": "replicasets",
        "StatefulSet": "statefulsets",
        "Job": "jobs",
        "DaemonSet": "daemonsets",
    },
    "jobs": {"CronJob": "cronjobs"},
    "controllerrevisions": {"StatefulSet": "statefulsets", "DaemonSet": "daemonsets"},
    "endpointslices": {"Service": "services"},
    # a StatefulSet's claims, by its persistentVolumeClaimRetentionPolicy (statefulset_claims.py)
    "persistentvolumeclaims": {"StatefulSet": "statefulsets", "Pod": "pods"},
}
# The workload kinds added since, each owning pods (and some ControllerRevisions).
_MORE_INFORMERS = ("statefulsets", "controllerrevisions", "jobs", "cronjobs", "daemonsets")


def _all_owner_uids(obj: Obj) -> list[str]:
    return [r["uid"] for r in obj["metadata"].get("ownerReferences") or () if r.get("uid")]


def _uid(obj: Obj) -> list[str]:
    uid = obj["metadata"].get("uid")
    return [uid] if uid else []


def _cascading(obj: Obj) -> str | None:
    """The cascading delete an owner waits on: its GC finalizer, once it is being deleted."""
    meta = obj["metadata"]
    if not meta.get("deletionTimestamp"):
        return None
    finalizers = meta.get("finalizers") or ()
    if ORPHAN_FINALIZER in finalizers:
        return ORPHAN_FINALIZER
    if FOREGROUND_FINALIZER in finalizers:
        return FOREGROUND_FINALIZER
    return None


class GarbageCollector(Controller):
    name = "generic-garbage-collector"
    workers = 20

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.informers: dict[str, Informer] = {}
        for resource in (
            "deployments",
            "replicasets",
            "pods",
            "services",
            "endpointslices",
            "persistentvolumeclaims",
            *_MORE_INFORMERS,
        ):
            self.informers[resource] = ctx.informers.get(resource)
        for dependent in OWNERS:
            inf = self.informers[dependent]
            inf.add_index("owner-uids", _all_owner_uids)
            inf.add_handler(
                lambda o, r=dependent: self._check(r, o),
                lambda old, new, r=dependent: self._check(r, new),
                lambda o: self._dependent_gone(o),
            )
        for resource in sorted(GC_OWNERS):
            inf = self.informers[resource]
            inf.add_index("uid", _uid)
            inf.add_handler(
                lambda o, r=resource: self._owner_changed(r, o),
                lambda old, new, r=resource: self._owner_changed(r, new),
                self._owner_deleted,
            )

    def component_name(self) -> str:
        return "garbage-collector-controller"

    # -- events ---------------------------------------------------------------------------

    def _check(self, resource: str, obj: Obj) -> None:
        if obj["metadata"].get("ownerReferences"):
            self.queue.add(f"{resource}|{key_of(obj)}")

    def _owner_changed(self, resource: str, owner: Obj) -> None:
        if _cascading(owner):
            self.queue.add(f"owner|{resource}|{key_of(owner)}")

    def _owner_deleted(self, owner: Obj) -> None:
        uid = owner["metadata"].get("uid")
        for resource in OWNERS:
            for dep in self.informers[resource].by_index("owner-uids", uid):
                self.queue.add(f"{resource}|{key_of(dep)}")

    def _dependent_gone(self, dependent: Obj) -> None:
        """A dependent went: an owner waiting on it in the foreground may now go too."""
        for uid in _all_owner_uids(dependent):
            for resource in sorted(GC_OWNERS):
                for owner in self.informers[resource].by_index("uid", uid):
                    self._owner_changed(resource, owner)

    # -- sync -----------------------------------------------------------------------------

    def sync(self, key: str) -> int | None:
        if key.startswith("owner|"):
            _, resource, owner_key = key.split("|", 2)
            return self._sync_owner(resource, owner_key)
        self._sync_dependent(key)
        return None

    def _dependents(self, owner: Obj) -> list[tuple[str, Obj]]:
        uid = owner["metadata"]["uid"]
        return [(r, d) for r in OWNERS for d in self.informers[r].by_index("owner-uids", uid)]

    def _sync_owner(self, resource: str, owner_key: str) -> int:
        owner = self.informers[resource].get(owner_key)
        if owner is None:
            return 0
        mode = _cascading(owner)
        if mode is None:
            return 0
        uid = owner["metadata"]["uid"]
        dependents = self._dependents(owner)
        if mode == ORPHAN_FINALIZER:
            for dep_resource, dep in dependents:
                refs = [r for r in dep["metadata"].get("ownerReferences") or () if r.get("uid") != uid]
                self.server.patch(
                    self.user,
                    dep_resource,
                    dep["metadata"]["name"],
                    {"metadata": {"ownerReferences": refs or None}},
                    dep["metadata"].get("namespace"),
                )
            self._remove_finalizer(resource, owner, ORPHAN_FINALIZER)
            return len(dependents)
        blocking = 0
        for dep_resource, dep in dependents:
            ref = next(r for r in dep["metadata"]["ownerReferences"] if r.get("uid") == uid)
            if ref.get("blockOwnerDeletion"):
                blocking += 1
            if dep["metadata"].get("deletionTimestamp"):
                continue
            owns_things = dep_resource in GC_OWNERS and any(
                self.informers[r].by_index("owner-uids", dep["metadata"]["uid"]) for r in OWNERS
            )
            try:
                self.server.delete(
                    self.user,
                    dep_resource,
                    dep["metadata"]["name"],
                    dep["metadata"].get("namespace"),
                    propagation_policy="Foreground" if owns_things else "Background",
                    uid_precondition=dep["metadata"]["uid"],
                )
            except ApiError as exc:
                if exc.code not in (404, 409):
                    raise
        if blocking == 0:
            self._remove_finalizer(resource, owner, FOREGROUND_FINALIZER)
        return len(dependents)

    def _remove_finalizer(self, resource: str, owner: Obj, finalizer: str) -> None:
        new = copy_json(owner)
        new["metadata"]["finalizers"] = [
            f for f in owner["metadata"].get("finalizers") or () if f != finalizer
        ]
        try:
            self.server.update(self.user, new)
        except ApiError as exc:
            if exc.code == 404:
                return
            raise  # a conflict: the owner changed under us; the requeue reads it again

    def _owner_exists(self, namespace: str, ref: Obj, dependent_resource: str) -> bool:
        owner_resource = OWNERS[dependent_resource].get(ref.get("kind", ""))
        if owner_resource is None:
            return True  # an owner kind we do not track: never collect on its account
        owner = self.informers[owner_resource].get(f"{namespace}/{ref['name']}")
        return owner is not None and owner["metadata"].get("uid") == ref.get("uid")

    def _sync_dependent(self, key: str) -> None:
        resource, obj_key = key.split("|", 1)
        obj = self.informers[resource].get(obj_key)
        if obj is None or obj["metadata"].get("deletionTimestamp"):
            return
        refs = obj["metadata"].get("ownerReferences") or []
        ns = obj["metadata"].get("namespace", "")
        if not refs or any(self._owner_exists(ns, r, resource) for r in refs):
            return
        # The cache says every owner is gone; confirm with the API server before deleting,
        # as the real collector does, so a lagging cache never costs a live object.
        for ref in refs:
            owner_resource = OWNERS[resource][ref["kind"]]
            try:
                live = self.server.get(self.user, owner_resource, ref["name"], ns)
            except ApiError as exc:
                if exc.code != 404:
                    raise
                continue
            if live["metadata"].get("uid") == ref.get("uid"):
                return
        try:
            self.server.delete(
                self.user, resource, obj["metadata"]["name"], ns, uid_precondition=obj["metadata"].get("uid")
            )
        except ApiError as exc:
            if exc.code not in (404, 409):
                raise
