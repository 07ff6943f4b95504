"""DefaultBinder (Bind): write the decision as a `pods/binding` subresource create.

kube-scheduler binds through `POST /api/v1/namespaces/{ns}/pods/{name}/binding` with a
Binding whose target is the node; the API server sets `spec.nodeName` and the PodScheduled
condition, and the node's kubelet, watching for pods bound to it, takes over. A failure (the
pod was deleted, or already bound) sends the pod back to the queue with backoff.
"""

from __future__ import annotations

from typing import Any

from ...errors import ApiError
from ..framework import ERROR, OK, BindPlugin, CycleState, Status


class DefaultBinder(BindPlugin):
    name = "DefaultBinder"

    def bind(self, state: CycleState, pod: dict[str, Any], node: str) -> Status:
        assert self.handle is not None
        meta = pod["metadata"]
        try:
            self.handle.server.bind(self.handle.user, meta["namespace"], meta["name"], node)
        except ApiError as e:
            return Status(ERROR, [str(e)], self.name)
        return OK
