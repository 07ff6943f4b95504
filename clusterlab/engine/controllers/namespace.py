"""The namespace controller: empty a Terminating namespace, then let it go.

Deleting a namespace in Kubernetes does not delete it at once: its `spec.finalizers` holds
`kubernetes`, so the API server only sets `deletionTimestamp` and `status.phase:
Terminating` (and refuses new objects in it). The namespace controller then deletes every
object inside, and once nothing is left removes the `kubernetes` finalizer (the `finalize`
subresource), after which the namespace disappears.

Simplified: the `NamespaceDeletionDiscoverySucceeded`/`...ContentRemaining` status conditions
are not reported.
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..kinds import KINDS
from .base import Controller, ControllerContext

Obj = dict[str, Any]
RECHECK_SECONDS = 1.0


class NamespaceController(Controller):
    name = "namespace-controller"
    workers = 10

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.namespaces = ctx.informers.get("namespaces")
        self.namespaces.add_handler(self._enqueue, lambda old, new: self._enqueue(new), None)

    def _enqueue(self, ns: Obj) -> None:
        if ns["metadata"].get("deletionTimestamp"):
            self.queue.add(ns["metadata"]["name"])

    def sync(self, key: str) -> int:
        ns = self.namespaces.get(key)
        if ns is None or not ns["metadata"].get("deletionTimestamp"):
            return 0
        remaining = 0
        for kind in KINDS:
            if not kind.namespaced:
                continue
            items, _ = self.server.list(self.user, kind.plural, key)
            for obj in items:
                remaining += 1
                if obj["metadata"].get("deletionTimestamp"):
                    continue
                try:
                    self.server.delete(self.user, kind.plural, obj["metadata"]["name"], key)
                except ApiError as exc:
                    if exc.code != 404:
                        raise
        if remaining:
            self.queue.add_after(key, RECHECK_SECONDS)  # pods take their grace period to go
            return remaining
        finalizers = [f for f in ns.get("spec", {}).get("finalizers") or [] if f != "kubernetes"]
        self.server.finalize_namespace(self.user, key, finalizers)
        return 0
