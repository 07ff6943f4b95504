"""The Deployment controller: roll a Deployment's pod template out through ReplicaSets.

As Kubernetes' `pkg/controller/deployment` (v1.32), whose `deployment_controller.go` this is:
informers on Deployments, ReplicaSets and pods queue the owning Deployment, and
`syncDeployment` takes its ReplicaSets (by ownerReference, one per distinct pod template, named
`<deployment>-<pod-template-hash>`) and then, in this order:

- a selector that selects everything → a `SelectingAll` warning and nothing else;
- being deleted → only recompute status;
- `checkPausedConditions`: Progressing Unknown `DeploymentPaused` / `DeploymentResumed`;
- paused, or a *scaling event* (an active ReplicaSet's desired-replicas annotation differs from
  `spec.replicas`) → `sync`: resize without rolling, in proportion during a rollout; a paused
  Deployment also cleans up old revisions (sync.go, `deployment_sync.py`);
- `Recreate`: scale every old ReplicaSet to 0, wait until none of their pods is left,
  create/scale the new one to `replicas` (recreate.go, `deployment_recreate.py`);
- `RollingUpdate`: grow the new ReplicaSet up to `replicas + maxSurge` pods in all, else remove
  old pods while at least `replicas − maxUnavailable` stay available (rolling.go,
  `deployment_rolling.py`); once complete, the oldest empty ReplicaSets beyond
  `revisionHistoryLimit` are deleted.

The new ReplicaSet and the revisions are in `deployment_revisions.py`; status and the
`Available`/`Progressing`/`ReplicaFailure` conditions in `deployment_status.py`; the progress
deadline (`ProgressDeadlineExceeded`, and the requeue one second after it) in
`deployment_progress.py`; the ReplicaSet annotations and orders they share in
`deployment_util.py`, the surge/unavailable arithmetic in `rollout_math.py`. Every resize is a
`ScalingReplicaSet` event worded as Kubernetes words it, and every decision is recorded with its
arithmetic (`explain`).

Simplified: ReplicaSets are not adopted or released by label (ownerReferences decide); the
deprecated `rollbackTo` (extensions/v1beta1) does not exist — `kubectl rollout undo` patches the
template, as kubectl 1.32 does, so there is no rollback.go; the revision annotation on the
Deployment is written with an update of the object, status with the status subresource; after
writing an object the controller goes on with the stored copy instead of meeting the conflicts
a real one sometimes retries.
"""

from __future__ import annotations

from typing import Any

from ..informers import key_of
from ..jsonutil import copy_json
from .base import ControllerContext, controller_of, owner_uid_index
from .deployment_recreate import Recreate
from .deployment_rolling import RollingUpdate
from .deployment_util import by_creation

Obj = dict[str, Any]


class DeploymentController(RollingUpdate, Recreate):
    name = "deployment-controller"
    workers = 5

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.d_informer = ctx.informers.get("deployments")
        self.rs_informer = ctx.informers.get("replicasets")
        self.pod_informer = ctx.informers.get("pods")
        self.rs_informer.add_index("controller-uid", owner_uid_index)
        self.pod_informer.add_index("controller-uid", owner_uid_index)
        self.d_informer.add_handler(self._enqueue, lambda old, new: self._enqueue(new), None)
        self.rs_informer.add_handler(self._on_rs, lambda old, new: self._on_rs(new), self._on_rs)
        self.pod_informer.add_handler(None, None, self._on_pod_delete)

    def _enqueue(self, d: Obj) -> None:
        self.queue.add(key_of(d))

    def _on_rs(self, rs: Obj) -> None:
        ref = controller_of(rs)
        if ref and ref.get("kind") == "Deployment":
            self.queue.add(f"{rs['metadata']['namespace']}/{ref['name']}")

    def _on_pod_delete(self, pod: Obj) -> None:
        """`deletePod`: a Recreate Deployment waits for its old pods to be gone."""
        ref = controller_of(pod)
        if not ref or ref.get("kind") != "ReplicaSet":
            return
        rs = self.rs_informer.get(f"{pod['metadata']['namespace']}/{ref['name']}")
        owner = controller_of(rs) if rs else None
        if not owner or owner.get("kind") != "Deployment":
            return
        key = f"{pod['metadata']['namespace']}/{owner['name']}"
        d = self.d_informer.get(key)
        if d and (d["spec"].get("strategy") or {}).get("type") == "Recreate":
            self.queue.add(key)

    # -- sync -----------------------------------------------------------------------------

    def sync(self, key: str) -> int:
        cached = self.d_informer.get(key)
        if cached is None:
            return 0
        d = copy_json(cached)
        rs_list = sorted(self.rs_informer.by_index("controller-uid", d["metadata"]["uid"]), key=by_creation)
        selector = d["spec"].get("selector") or {}
        if not selector.get("matchLabels") and not selector.get("matchExpressions"):
            self.recorder.event(
                d,
                "Warning",
                "SelectingAll",
                "This deployment is selecting all pods. A non-empty selector is required.",
            )
            return len(rs_list)
        if d["metadata"].get("deletionTimestamp"):
            new_rs, old, d = self._get_all(d, rs_list, create=False)
            self._sync_deployment_status([*old, new_rs], new_rs, d)
            return len(rs_list)
        d = self._check_paused_conditions(d)
        new_rs, old, d = self._get_all(d, rs_list, create=False)
        if d["spec"].get("paused") or self._is_scaling_event(d, [*old, new_rs]):
            self._sync(d, new_rs, old)
        elif (d["spec"].get("strategy") or {}).get("type") == "Recreate":
            self._rollout_recreate(d, new_rs, old)
        else:
            self._rollout_rolling(d, new_rs, old)
        return len(rs_list)
