"""The garbage collector: delete objects whose owners are gone.

Kubernetes' garbage collector keeps a graph of ownerReferences across all resources; when
every owner of an object has been deleted, the object is deleted too (background cascading
deletion, the default — the owner goes first, then its dependents). That is how deleting a
Deployment removes its ReplicaSets, and with them their pods.

Simplified: the graph covers the workload kinds the engine has (Deployment → ReplicaSet →
Pod); foreground and orphan propagation arrive with the API-semantics work.
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..informers import Informer, key_of
from .base import Controller, ControllerContext

Obj = dict[str, Any]

# dependent resource → owner kinds it may point at, with the informer resource of each
OWNERS = {"replicasets": {"Deployment": "deployments"}, "pods": {"ReplicaSet": "replicasets"}}


def _all_owner_uids(obj: Obj) -> list[str]:
    return [r["uid"] for r in obj["metadata"].get("ownerReferences") or () if r.get("uid")]


class GarbageCollector(Controller):
    name = "generic-garbage-collector"
    workers = 20

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.informers: dict[str, Informer] = {}
        for resource in ("deployments", "replicasets", "pods"):
            self.informers[resource] = ctx.informers.get(resource)
        for dependent in OWNERS:
            inf = self.informers[dependent]
            inf.add_index("owner-uids", _all_owner_uids)
            inf.add_handler(
                lambda o, r=dependent: self._check(r, o), lambda old, new, r=dependent: self._check(r, new)
            )
        for resource in ("deployments", "replicasets"):
            self.informers[resource].add_handler(on_delete=self._owner_deleted)

    def component_name(self) -> str:
        return "garbage-collector-controller"

    def _check(self, resource: str, obj: Obj) -> None:
        if obj["metadata"].get("ownerReferences"):
            self.queue.add(f"{resource}|{key_of(obj)}")

    def _owners_changed(self, resource: str, old: Obj, new: Obj) -> None:
        if old["metadata"].get("ownerReferences") != new["metadata"].get("ownerReferences"):
            self._check(resource, new)

    def _owner_deleted(self, owner: Obj) -> None:
        uid = owner["metadata"].get("uid")
        for resource in OWNERS:
            for dep in self.informers[resource].by_index("owner-uids", uid):
                self.queue.add(f"{resource}|{key_of(dep)}")

    def _owner_exists(self, namespace: str, ref: Obj, dependent_resource: str) -> bool:
        owner_resource = OWNERS[dependent_resource].get(ref.get("kind", ""))
        if owner_resource is None:
            return True  # an owner kind we do not track: never collect on its account
        owner = self.informers[owner_resource].get(f"{namespace}/{ref['name']}")
        return owner is not None and owner["metadata"].get("uid") == ref.get("uid")

    def sync(self, key: str) -> None:
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
