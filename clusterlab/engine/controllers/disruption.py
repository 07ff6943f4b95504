"""The disruption controller: keep every PodDisruptionBudget's status current.

As kube-controller-manager's `pkg/controller/disruption` does it: a budget is synced when it
is created or changed, and whenever one of its pods is added, changes or goes away (a pod
that several budgets select enqueues the first and gets a `MultiplePodDisruptionBudgets`
warning). A sync lists the budget's pods and computes (see `disruption_budgets.py`)
`expectedPods`, `desiredHealthy`, `currentHealthy` and `disruptionsAllowed`, keeps the
`disruptedPods` entries the eviction handler wrote for pods that have not started terminating
yet (for at most two minutes; the budget is rechecked when the oldest runs out, and a pod that
outlived it gets a `NotDeleted` warning), and writes the status with the `DisruptionAllowed`
condition (`SufficientPods` / `InsufficientPods`). Events: `NoPods` when the selector matches
nothing, `UnmanagedPods` when a percentage or `maxUnavailable` budget selects pods without a
controller, `CalculateExpectedPodCountFailed` when a pod's controller cannot be found; in that
last case the fail-safe writes `disruptionsAllowed: 0` with the condition False / `SyncFailed`.

Simplified: the controllers whose scale counts are the ones simulated (Deployments through their
ReplicaSets, and bare ReplicaSets); the stale `DisruptionTarget` pod-condition cleanup is not
modelled.
"""

from __future__ import annotations

from typing import Any

from ..disruption_budgets import (
    DELETION_TIMEOUT,
    disruption_allowed_condition,
    is_pod_ready,
    scaled,
    selects,
    set_condition,
)
from ..errors import ApiError
from ..informers import key_of
from ..jsonutil import copy_json
from ..timefmt import seconds_since
from .base import Controller, ControllerContext, controller_of

Obj = dict[str, Any]


class ExpectedCountError(Exception):
    """`getExpectedScale` could not find a pod's controller."""


class DisruptionController(Controller):
    name = "disruption-controller"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.pdbs = ctx.informers.get("poddisruptionbudgets")
        self.pods = ctx.informers.get("pods")
        self.replicasets = ctx.informers.get("replicasets")
        self.deployments = ctx.informers.get("deployments")
        self.pdbs.add_handler(self._enqueue, lambda old, new: self._enqueue(new), None)
        self.pods.add_handler(self._pod_changed, lambda old, new: self._pod_changed(new), self._pod_changed)

    def _enqueue(self, pdb: Obj) -> None:
        self.queue.add(key_of(pdb))

    def _pod_changed(self, pod: Obj) -> None:
        """`getPdbForPod`: the first budget (by name) whose selector matches the pod."""
        matches = sorted(
            (p for p in self.pdbs.list() if selects(p, pod)), key=lambda p: p["metadata"]["name"]
        )
        if not matches:
            return
        if len(matches) > 1:
            ns, name = pod["metadata"].get("namespace"), pod["metadata"]["name"]
            self.recorder.event(
                pod,
                "Warning",
                "MultiplePodDisruptionBudgets",
                f'Pod "{ns}"/"{name}" matches multiple PodDisruptionBudgets.  '
                f'Chose "{matches[0]["metadata"]["name"]}" arbitrarily.',
            )
        self._enqueue(matches[0])

    # -- sync -----------------------------------------------------------------------------

    def sync(self, key: str) -> int:
        pdb = self.pdbs.get(key)
        if pdb is None:
            return 0
        pods = [p for p in self.pods.list() if selects(pdb, p)]
        try:
            self._try_sync(pdb, pods)
        except ExpectedCountError as exc:
            self._fail_safe(pdb, str(exc))
        return len(pods)

    def _try_sync(self, pdb: Obj, pods: list[Obj]) -> None:
        if not pods:
            self.recorder.event(pdb, "Normal", "NoPods", "No matching pods found")
        try:
            expected, desired, unmanaged = self._expected_pod_count(pdb, pods)
        except ExpectedCountError as exc:
            self.recorder.event(
                pdb,
                "Warning",
                "CalculateExpectedPodCountFailed",
                f"Failed to calculate the number of expected pods: {exc}",
            )
            raise
        if unmanaged:
            self.recorder.event(
                pdb,
                "Warning",
                "UnmanagedPods",
                f"Pods selected by this PodDisruptionBudget (selector: {_go_selector(pdb)}) were found to "
                "be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which "
                'may result in undefined behavior. To account for these pods please set ".spec.minAvailable" '
                "field of the PDB to an integer value.",
            )
        now = self.clock.now
        disrupted, recheck = self._disrupted_pods(pdb, pods, now)
        healthy = 0
        for pod in pods:
            if pod["metadata"].get("deletionTimestamp") or pod["metadata"]["name"] in disrupted:
                continue
            if is_pod_ready(pod):
                healthy += 1
        self._update_status(pdb, healthy, desired, expected, disrupted)
        if recheck is not None:
            self.queue.add_after(key_of(pdb), recheck - now)

    def _expected_pod_count(self, pdb: Obj, pods: list[Obj]) -> tuple[int, int, list[str]]:
        """`getExpectedPodCount`: (expectedPods, desiredHealthy, unmanaged pod names)."""
        spec = pdb.get("spec") or {}
        max_unavailable, min_available = spec.get("maxUnavailable"), spec.get("minAvailable")
        if max_unavailable is not None:
            expected, unmanaged = self._expected_scale(pods)
            return expected, max(0, expected - scaled(max_unavailable, expected)), unmanaged
        if min_available is not None:
            if isinstance(min_available, int):
                return len(pods), min_available, []
            expected, unmanaged = self._expected_scale(pods)
            return expected, scaled(min_available, expected), unmanaged
        return 0, 0, []

    def _expected_scale(self, pods: list[Obj]) -> tuple[int, list[str]]:
        """`getExpectedScale`: the sum of the scales of the pods' controllers."""
        scales: dict[str, int] = {}
        unmanaged: list[str] = []
        for pod in pods:
            ref = controller_of(pod)
            if ref is None:
                unmanaged.append(pod["metadata"]["name"])
                continue
            if ref.get("uid") in scales:
                continue
            found = self._controller_scale(ref, pod["metadata"]["namespace"])
            if found is None:
                raise ExpectedCountError(f'found no controllers for pod "{pod["metadata"]["name"]}"')
            uid, scale = found
            scales[uid] = scale
        return sum(scales.values()), unmanaged

    def _controller_scale(self, ref: Obj, namespace: str) -> tuple[str, int] | None:
        """The finders, in order: a ReplicaSet's Deployment, else the bare ReplicaSet."""
        if ref.get("kind") != "ReplicaSet" or ref.get("apiVersion", "apps/v1").split("/")[0] != "apps":
            return None
        rs = self.replicasets.get(f"{namespace}/{ref.get('name')}")
        if rs is None or rs["metadata"].get("uid") != ref.get("uid"):
            return None
        owner = controller_of(rs)
        if owner is not None and owner.get("kind") == "Deployment":
            dep = self.deployments.get(f"{namespace}/{owner.get('name')}")
            if dep is None or dep["metadata"].get("uid") != owner.get("uid"):
                return None
            return dep["metadata"]["uid"], int((dep.get("spec") or {}).get("replicas", 1))
        if owner is not None:
            return None
        return rs["metadata"]["uid"], int((rs.get("spec") or {}).get("replicas", 1))

    def _disrupted_pods(self, pdb: Obj, pods: list[Obj], now: float) -> tuple[dict[str, str], float | None]:
        """`buildDisruptedPodMap`: keep entries for pods that exist, are not terminating yet and
        were evicted less than two minutes ago; say when the oldest kept one runs out."""
        listed = (pdb.get("status") or {}).get("disruptedPods") or {}
        kept: dict[str, str] = {}
        recheck: float | None = None
        for pod in pods:
            name = pod["metadata"]["name"]
            if pod["metadata"].get("deletionTimestamp") or name not in listed:
                continue
            expires = seconds_since(self.server.epoch, listed[name]) + DELETION_TIMEOUT
            if expires < now:
                ns = pdb["metadata"]["namespace"]
                self.recorder.event(
                    pod,
                    "Warning",
                    "NotDeleted",
                    # kube-controller-manager prints the namespace twice here.
                    f"Pod was expected by PDB {ns}/{ns} to be deleted but it wasn't",
                )
                continue
            kept[name] = listed[name]
            recheck = expires if recheck is None else min(recheck, expires)
        return kept, recheck

    def _update_status(
        self, pdb: Obj, healthy: int, desired: int, expected: int, disrupted: dict[str, str]
    ) -> None:
        allowed = healthy - desired
        if expected <= 0 or allowed <= 0:
            allowed = 0
        generation = pdb["metadata"].get("generation", 0)
        status: Obj = {"observedGeneration": generation}
        if disrupted:
            status["disruptedPods"] = disrupted
        status.update(
            {
                "disruptionsAllowed": allowed,
                "currentHealthy": healthy,
                "desiredHealthy": desired,
                "expectedPods": expected,
            }
        )
        status["conditions"] = disruption_allowed_condition(pdb, status, self.server.timestamp())
        self._write(pdb, status)

    def _fail_safe(self, pdb: Obj, message: str) -> None:
        """`failSafe`: disruptionsAllowed 0 and DisruptionAllowed False / SyncFailed."""
        status = copy_json(pdb.get("status") or {})
        status["disruptionsAllowed"] = 0
        wanted = {
            "type": "DisruptionAllowed",
            "status": "False",
            "reason": "SyncFailed",
            "message": message,
            "observedGeneration": status.get("observedGeneration", 0),
        }
        status["conditions"] = set_condition(status.get("conditions") or [], wanted, self.server.timestamp())
        self._write(pdb, status)

    def _write(self, pdb: Obj, status: Obj) -> None:
        if status == pdb.get("status"):
            return
        new = copy_json(pdb)
        new["status"] = status
        try:
            self.server.update(self.user, new, subresource="status", copy=False)
        except ApiError:
            self.queue.add_rate_limited(key_of(pdb))


def _go_selector(pdb: Obj) -> str:
    """The selector as the event prints it: the generated `String()` of `*LabelSelector`."""
    selector = (pdb.get("spec") or {}).get("selector") or {}
    labels = "".join(f"{k}: {v}," for k, v in sorted((selector.get("matchLabels") or {}).items()))
    exprs = "".join(
        f"LabelSelectorRequirement{{Key:{e.get('key')},Operator:{e.get('operator')},"
        f"Values:[{' '.join(e.get('values') or [])}],}},"
        for e in selector.get("matchExpressions") or []
    )
    return (
        f"&LabelSelector{{MatchLabels:map[string]string{{{labels}}},"
        f"MatchExpressions:[]LabelSelectorRequirement{{{exprs}}},}}"
    )
