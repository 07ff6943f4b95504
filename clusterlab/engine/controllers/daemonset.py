"""The DaemonSet controller: one daemon pod on every node that should run it.

Like Kubernetes' `pkg/controller/daemon` (`daemon_controller.go`, `update.go`, 1.32); this
module is the controller's informer handlers and `syncDaemonSet`. A sync of a DaemonSet key:

1. **History** (`constructHistory`, `daemonset_history.py`): the ControllerRevision holding
   the current pod template is found or created and numbered one above the old ones; its hash
   labels every pod made from it.
2. **Manage** (`manage`, `daemonset_manage.py`): for each node, `NodeShouldRunDaemonPod`
   (`daemon_pods.py`) decides; missing daemon pods are created in slow-start batches, failed
   ones (rate-limited per node), surplus ones and those on nodes that should no longer run
   them are deleted. "Expectations" hold further syncs back until the watch has shown every
   create and delete.
3. **Rolling update** (`rollingUpdate`, `daemonset_rolling.py`; RollingUpdate strategy only,
   once expectations are met): old pods replaced within `maxUnavailable`, or beside new ones
   within `maxSurge`.
4. **History clean-up**: old revisions beyond `revisionHistoryLimit` that no live pod uses.
5. **Status** (`updateDaemonSetStatus`, `daemonset_status.py`): the node counts and
   `observedGeneration` (not raised while expectations are pending).

Events are Kubernetes' (`SuccessfulCreate` "Created pod: x", `SuccessfulDelete` "Deleted pod:
x", `FailedCreate`, `FailedDelete`, `FailedDaemonPod`), and every sync that acts records why
(`explain`), with the node counts.

Simplified: the controller works from the pods it owns (no adoption of orphans matching the
selector, no release of pods whose labels stop matching); where Kubernetes walks nodes in Go's
random map order (the rolling update's choice of the next nodes) this walks them by name, so
runs are repeatable; duplicate current revisions are not deduplicated (the newest is used).
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..informers import key_of
from .base import ControllerContext, controller_of, is_pod_ready, owner_uid_index
from .daemon_pods import REVISION_HASH, node_should_run
from .daemonset_history import DaemonSetHistory
from .daemonset_manage import FailedPodsBackoff
from .daemonset_rolling import DaemonSetRollingUpdate
from .daemonset_status import DaemonSetStatus
from .replicaset import Expectations

Obj = dict[str, Any]


class DaemonSetController(DaemonSetRollingUpdate, DaemonSetStatus, DaemonSetHistory):
    name = "daemonset-controller"
    account = "daemon-set-controller"
    workers = 2  # --concurrent-daemonset-syncs

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.expectations = Expectations()
        self.backoff = FailedPodsBackoff()
        self.ds_informer = ctx.informers.get("daemonsets")
        self.pod_informer = ctx.informers.get("pods")
        self.node_informer = ctx.informers.get("nodes")
        self.history_informer = ctx.informers.get("controllerrevisions")
        self.pod_informer.add_index("controller-uid", owner_uid_index)
        self.history_informer.add_index("controller-uid", owner_uid_index)
        self.ds_informer.add_handler(self._enqueue, lambda old, new: self._enqueue(new), self._on_ds_delete)
        self.pod_informer.add_handler(self._on_pod_add, self._on_pod_update, self._on_pod_delete)
        self.node_informer.add_handler(self._on_node_add, self._on_node_update, None)

    # -- handlers -------------------------------------------------------------------------

    def _enqueue(self, ds: Obj) -> None:
        self.queue.add(key_of(ds))

    def _on_ds_delete(self, ds: Obj) -> None:
        self.expectations.forget(key_of(ds))

    def _owner_key(self, pod: Obj) -> str | None:
        ref = controller_of(pod)
        if ref is None or ref.get("kind") != "DaemonSet":
            return None
        return f"{pod['metadata']['namespace']}/{ref['name']}"

    def _on_pod_add(self, pod: Obj) -> None:
        key = self._owner_key(pod)
        if key is None:
            return
        if pod["metadata"].get("deletionTimestamp"):
            self.expectations.observed(key, dels=1)
        else:
            self.expectations.observed(key, adds=1)
        self.queue.add(key)

    def _on_pod_update(self, old: Obj, new: Obj) -> None:
        key = self._owner_key(new)
        if key is None:
            return
        if new["metadata"].get("deletionTimestamp") and not old["metadata"].get("deletionTimestamp"):
            self.expectations.observed(key, dels=1)
        self.queue.add(key)
        ds = self.ds_informer.get(key)
        mrs = int((ds or {}).get("spec", {}).get("minReadySeconds", 0) or 0)
        if mrs and is_pod_ready(new) and not is_pod_ready(old):
            self.queue.add_after(key, mrs + 1)  # "a second to avoid milliseconds skew"

    def _on_pod_delete(self, pod: Obj) -> None:
        key = self._owner_key(pod)
        if key is None:
            return
        if not pod["metadata"].get("deletionTimestamp"):
            self.expectations.observed(key, dels=1)
        self.queue.add(key)

    def _on_node_add(self, node: Obj) -> None:
        for ds in self.ds_informer.list():
            if node_should_run(node, ds)[0]:
                self._enqueue(ds)

    def _on_node_update(self, old: Obj, new: Obj) -> None:
        """`updateNode`: only DaemonSets whose verdict for the node changed."""
        if old.get("spec") == new.get("spec") and old["metadata"].get("labels") == new["metadata"].get(
            "labels"
        ):
            return
        for ds in self.ds_informer.list():
            if node_should_run(old, ds) != node_should_run(new, ds):
                self._enqueue(ds)

    # -- sync -----------------------------------------------------------------------------

    def sync(self, key: str) -> int:
        ds = self.ds_informer.get(key)
        if ds is None:
            self.expectations.forget(key)
            return 0
        if ds["metadata"].get("deletionTimestamp"):
            return 0
        nodes = self._nodes()
        cur, old = self._construct_history(ds)
        hash_ = (cur["metadata"].get("labels") or {}).get(REVISION_HASH, "")
        if not self.expectations.satisfied(key, self.clock.now):
            self._update_status(ds, nodes, hash_, observed=False)
            return len(nodes)
        error: ApiError | None = None
        try:
            self._manage(ds, nodes, hash_)
            strategy = ds["spec"].get("updateStrategy") or {}
            if self.expectations.satisfied(key, self.clock.now) and strategy.get("type") == "RollingUpdate":
                self._rolling_update(ds, nodes, hash_)
            self._cleanup_history(ds, old)
        except ApiError as exc:
            error = exc
        self._update_status(ds, nodes, hash_, observed=True)
        if error is not None:
            raise error
        return len(nodes)
