"""What every controller shares: an identity, informers from one shared factory, a work queue.

kube-controller-manager runs many controllers in one process; they share one informer per
resource (the SharedInformerFactory) and each acts as its own service account
(`--use-service-account-credentials`, as kubeadm configures it), so the API-call stream shows
`system:serviceaccount:kube-system:replicaset-controller` and so on.

A controller is level-triggered: informer handlers only enqueue keys; `sync(key)` reads the
current state from the caches and converges it. A sync that fails with an API error is
retried with per-item exponential backoff on the virtual clock. A sync returns how many
objects it examined; the work queue turns that into the virtual time the worker is busy.
"""

from __future__ import annotations

import random
from typing import Any

from ..apiserver import APIServer
from ..audit import User
from ..clock import Clock
from ..decisions import DecisionLog
from ..errors import ApiError
from ..informers import Informer, key_of
from ..recorder import EventRecorder
from ..workqueue import WorkQueue

Obj = dict[str, Any]

# What a sync costs a Go controller: a fixed overhead plus a little per object it looks at.
SYNC_BASE_SECONDS = 0.0002
SYNC_PER_OBJECT_SECONDS = 0.000001


class InformerFactory:
    """One shared informer per resource for a process (client-go's SharedInformerFactory)."""

    def __init__(self, server: APIServer, user: User) -> None:
        self.server = server
        self.user = user
        self._informers: dict[tuple[str, str | None], Informer] = {}

    def get(self, resource: str, namespace: str | None = None) -> Informer:
        key = (resource, namespace)
        if key not in self._informers:
            self._informers[key] = Informer(self.server, self.user, resource, namespace=namespace)
        return self._informers[key]

    def start(self) -> None:
        for informer in self._informers.values():
            if not informer.synced and not informer.retrying:
                informer.start()

    def stop(self) -> None:
        for informer in self._informers.values():
            informer.stop()


class ControllerContext:
    """What kube-controller-manager hands each controller."""

    def __init__(
        self, server: APIServer, clock: Clock, rng: random.Random, informers: InformerFactory
    ) -> None:
        self.server = server
        self.clock = clock
        self.rng = rng
        self.informers = informers
        self.decisions = DecisionLog(clock)  # why each controller acted, per object
        self.metrics: Any = None  # the aggregated Metrics API (metrics.k8s.io), when the cluster has one


class Controller:
    """Base class: subclasses set `name`, register handlers in `__init__`, implement `sync`."""

    name = "controller"
    #: The kube-system service account it acts as, when not its own name (the taint-eviction
    #: controller borrows the node controller's, as kube-controller-manager wires it).
    account = ""
    workers = 1  # kube-controller-manager's --concurrent-<name>-syncs

    def __init__(self, ctx: ControllerContext) -> None:
        self.ctx = ctx
        self.server = ctx.server
        self.clock = ctx.clock
        self.user = User(
            f"system:serviceaccount:kube-system:{self.account or self.name}",
            f"kube-controller-manager/{self.name}",
        )
        self.recorder = EventRecorder(ctx.server, self.user, self.component_name())
        self.queue = WorkQueue(ctx.clock, self._process, self.workers)

    def component_name(self) -> str:
        return self.name

    def explain(self, obj: Obj, text: str) -> None:
        """Record why this controller acted on `obj` (plain words with the numbers), for the
        lab to show beside the object; see decisions.py."""
        self.ctx.decisions.record_for(self.name, obj, text)

    def start(self) -> None:
        """Called once the shared informers have synced."""

    def stop(self) -> None:
        self.queue.pause()

    def _process(self, key: str) -> float:
        examined = 0
        try:
            examined = self.sync(key) or 0
        except ApiError:
            self.queue.add_rate_limited(key)
        else:
            self.queue.forget(key)
        return SYNC_BASE_SECONDS + SYNC_PER_OBJECT_SECONDS * examined

    def write_status(self, obj: Obj, status: Obj) -> None:
        """PUT the status subresource if it changed; a conflict (stale cache) retries the key."""
        if status == obj.get("status"):
            return
        # the status subresource takes only status (and the resourceVersion) from the body and
        # copies it: the rest of the cached object is passed along, not copied
        new = {**obj, "status": status}
        try:
            self.server.update(self.user, new, subresource="status", copy=False)
        except ApiError:
            self.queue.add_rate_limited(key_of(obj))

    def sync(self, key: str) -> int | None:
        """Converge one key; return the number of objects examined (for the sync's duration)."""
        raise NotImplementedError


def controller_of(obj: Obj) -> Obj | None:
    """`metav1.GetControllerOf`: the ownerReference with `controller: true`."""
    for ref in obj["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return ref
    return None


def owner_uid_index(obj: Obj) -> list[str]:
    """Informer index: the UID of the object's controller (to find what an owner owns)."""
    ref = controller_of(obj)
    return [ref["uid"]] if ref and ref.get("uid") else []


def is_pod_active(pod: Obj) -> bool:
    """`controller.IsPodActive`: not finished and not being deleted."""
    return pod.get("status", {}).get("phase") not in ("Succeeded", "Failed") and not pod["metadata"].get(
        "deletionTimestamp"
    )


def is_pod_ready(pod: Obj) -> bool:
    for c in pod.get("status", {}).get("conditions") or ():
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return False


def owner_reference(owner: Obj) -> Obj:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }
