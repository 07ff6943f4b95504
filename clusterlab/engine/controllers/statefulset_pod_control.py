"""The StatefulSet controller's pod control: create, delete and relabel a set's pods.

As `pkg/controller/statefulset/stateful_pod_control.go`: `CreateStatefulPod` creates the pod's
claims first (`statefulset_claims.py`), then the pod, then sets the claims' owners as the
retention policy says; a pod scaled away has `whenScaled` decide whether its claims go with
it; `UpdateStatefulPod` restores the identity labels. Each act is recorded as Kubernetes does
(`recordPodEvent`): `create Pod web-0 in StatefulSet web successful` (SuccessfulCreate), or
`... failed error: <why>` as a FailedCreate warning; a pod that already exists is no event.

Simplified: none of note.
"""

from __future__ import annotations

from typing import Any

from ..errors import AlreadyExists, ApiError
from ..jsonutil import copy_json
from ..statefulsets import POD_INDEX_LABEL, POD_NAME_LABEL
from .base import Controller
from .statefulset_claims import create_claims, update_retention
from .statefulset_utils import ordinal_of

Obj = dict[str, Any]


class StatefulPodControl(Controller):
    """`StatefulPodControl`: the set's pod writes and their events."""

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
