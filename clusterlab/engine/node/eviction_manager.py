"""The kubelet's eviction manager: node-pressure eviction and the admission it guards.

What the real one (`pkg/kubelet/eviction/eviction_manager.go`) does, on the virtual clock:
- **Monitoring.** Every 10 s it takes a stats summary and observes its signals (see
  `eviction_ranking.py`) against the hard thresholds of the kubelet's configuration — kubeadm
  keeps the Linux defaults `memory.available<100Mi`, `nodefs.available<10%`,
  `nodefs.inodesFree<5%`, `imagefs.available<15%`.
- **Node conditions.** A met threshold sets its condition (memory → `MemoryPressure`); the
  condition holds until no threshold has been met for `evictionPressureTransitionPeriod` (5 min),
  so a node does not flap. The kubelet's node status (every 10 s) reports it
  (`KubeletHasInsufficientMemory`), and the node lifecycle controller taints the node
  `node.kubernetes.io/memory-pressure:NoSchedule`.
- **Eviction.** With a hard threshold met it records `EvictionThresholdMet` ("Attempting to
  reclaim memory") on the node, ranks the active pods (`rankMemoryPressure`) and evicts the
  first one that is not critical — one pod per round, with the immediate-eviction grace period
  of 1 s (`immediateEvictionGracePeriodSeconds`; the runtime still allows its 2 s minimum). The
  pod gets an `Evicted` event and, once its containers have stopped, phase `Failed`, reason
  `Evicted` and the message; a `DisruptionTarget` condition (`TerminationByKubelet`) says why
  from the start. The pod object stays (its controller makes a replacement; pod GC removes it
  only past its threshold). The manager then waits for the pod's cleanup (polled every second,
  at most 30 s) before it looks again.
- **Admission.** While the node has a pressure condition, a new pod is rejected (`Evicted`,
  "Pod was rejected: The node had condition: [MemoryPressure]. "), except critical pods (static,
  mirror, or priority ≥ 2000000000) and, under memory pressure alone, pods that are not
  BestEffort or that tolerate the memory-pressure taint.

Simplified: no soft thresholds, minimum reclaim or memcg notifications (kubeadm sets none);
disk signals are observed but image garbage collection and disk-pressure ranking are not
modelled, as the simulated disks never fill; `allocatableMemory.available` is not evaluated (with
nothing reserved it is never lower than `memory.available`).
"""

from __future__ import annotations

import contextlib
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ApiError
from ..informers import key_of
from ..quantity import int_value
from ..strategy import qos_class
from ..taints import tolerated_by_any
from .eviction_ranking import (
    DEFAULT_EVICTION_HARD,
    MEMORY_AVAILABLE,
    SIGNAL_CONDITION,
    SIGNAL_RESOURCE,
    Observation,
    Threshold,
    eviction_message,
    observe,
    rank_memory_pressure,
    summarize,
    thresholds_met,
)
from .node_status import capacity
from .usage import UsageModel

if TYPE_CHECKING:
    from .kubelet import Kubelet

Obj = dict[str, Any]

MONITORING_INTERVAL = 10.0  # the kubelet's housekeeping period, which the manager runs at
PRESSURE_TRANSITION_PERIOD = 300.0  # evictionPressureTransitionPeriod's default
POD_CLEANUP_TIMEOUT = 30.0
POD_CLEANUP_POLL = 1.0
IMMEDIATE_EVICTION_GRACE_PERIOD = 1.0
REASON = "Evicted"
NODE_CONDITION_MESSAGE = "The node had condition: [{}]. "
REJECTED_PREFIX = "Pod was rejected: "
SYSTEM_CRITICAL_PRIORITY = 2_000_000_000
# The kubelet's API client: kubeAPIQPS 50, kubeAPIBurst 100 (KubeletConfiguration defaults).
# They pace the rejections' status updates, so a controller that keeps replacing rejected
# pods (a Deployment pinned to this node) makes at most 50 a second, as on a real cluster.
KUBE_API_QPS = 50.0
KUBE_API_BURST = 100.0
MEMORY_PRESSURE_TAINT = "node.kubernetes.io/memory-pressure"
DISRUPTION_TARGET = "DisruptionTarget"
TERMINATION_BY_KUBELET = "TerminationByKubelet"


def is_critical(pod: Obj) -> bool:
    """`kubelettypes.IsCriticalPod`: a static or mirror pod, or system-critical priority."""
    annotations = pod["metadata"].get("annotations") or {}
    if "kubernetes.io/config.mirror" in annotations:
        return True
    if annotations.get("kubernetes.io/config.source", "api") != "api":
        return True
    return int(pod["spec"].get("priority") or 0) >= SYSTEM_CRITICAL_PRIORITY


@dataclass(frozen=True)
class Eviction:
    """One decision of the manager, for the explanation trail."""

    at: float
    pod: str
    message: str
    ranking: tuple[str, ...]


class EvictionManager:
    """One kubelet's eviction manager. `usage` is the usage model container working sets
    come from (the cluster shares its own; a kubelet on its own gets an idle one)."""

    def __init__(self, kubelet: Kubelet, thresholds: tuple[Threshold, ...] = DEFAULT_EVICTION_HARD) -> None:
        self.kubelet = kubelet
        self.thresholds = list(thresholds)
        self.usage = UsageModel(random.Random(0))  # demand() draws nothing from it
        self.evictions: list[Eviction] = []
        self._rejected: set[str] = set()  # UIDs already rejected at admission
        self._tokens = KUBE_API_BURST
        self._tokens_at = 0.0
        self.reset()

    def reset(self) -> None:
        """A (re)started kubelet process: the manager's state lived in its memory."""
        self.node_conditions: list[str] = []
        self.conditions_last_observed: dict[str, float] = {}
        self.thresholds_first_observed: dict[Threshold, float] = {}
        self.thresholds_met: list[Threshold] = []
        self.last_observations: dict[str, Observation] = {}

    # -- the control loop -------------------------------------------------------------------

    def start(self) -> None:
        self.reset()
        self.kubelet._later(MONITORING_INTERVAL, self._loop)

    def _loop(self) -> None:
        evicted = self.synchronize()
        if evicted is None:
            self.kubelet._later(MONITORING_INTERVAL, self._loop)
            return
        started = self.kubelet.clock.now

        def poll() -> None:
            cleaned = self._cleaned_up(evicted)
            if cleaned or self.kubelet.clock.now - started >= POD_CLEANUP_TIMEOUT:
                self._loop()
            else:
                self.kubelet._later(POD_CLEANUP_POLL, poll)

        self.kubelet._later(POD_CLEANUP_POLL, poll)

    def _cleaned_up(self, key: str) -> bool:
        """`podResourcesAreReclaimed`: nothing of the pod runs any more."""
        st = self.kubelet.pods.get(key)
        return st is None or st.finished

    def memory_capacity(self) -> int:
        return int_value(capacity(self.kubelet.config)[0]["memory"])

    def synchronize(self) -> str | None:
        """One round (`synchronize`): observe, update the conditions, evict at most one pod.
        Returns the evicted pod's key."""
        kubelet = self.kubelet
        now = kubelet.clock.now
        summary = summarize(kubelet, self.usage)
        observations = observe(summary, self.memory_capacity(), now)
        met = thresholds_met(self.thresholds, observations)
        for t in thresholds_met(self.thresholds_met, observations):  # not yet resolved
            if t not in met:
                met.append(t)
        first_observed = {t: self.thresholds_first_observed.get(t, now) for t in met}
        for t in met:
            condition = SIGNAL_CONDITION[t.signal]
            self.conditions_last_observed[condition] = now
        self.node_conditions = sorted(
            c for c, at in self.conditions_last_observed.items() if now - at < PRESSURE_TRANSITION_PERIOD
        )
        self.thresholds_first_observed = first_observed
        self.thresholds_met = [t for t, at in first_observed.items() if now - at >= t.grace_period]
        self.last_observations = observations
        if not self.thresholds_met:
            return None
        # byEvictionPriority: memory before every other resource.
        ordered = sorted(self.thresholds_met, key=lambda t: t.signal != MEMORY_AVAILABLE)
        threshold = ordered[0]
        resource = SIGNAL_RESOURCE[threshold.signal]
        node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": kubelet.name, "uid": kubelet.name}}
        kubelet.recorder.event(node, "Warning", "EvictionThresholdMet", f"Attempting to reclaim {resource}")
        if resource != "memory":
            return None  # disk reclaim (image GC, disk ranking) is not modelled
        active = [
            pod
            for key, st in sorted(kubelet.pods.items())
            if not st.finished and not st.terminating and (pod := kubelet._pod(key)) is not None
        ]
        if not active:
            return None
        ranked = rank_memory_pressure(active, summary.pods)
        for pod in ranked:
            if is_critical(pod):
                continue  # "Eviction manager: cannot evict a critical pod"
            key = key_of(pod)
            message = eviction_message(resource, pod, summary.pods.get(key), ordered, observations)
            self.evictions.append(Eviction(now, key, message, tuple(key_of(p) for p in ranked)))
            self._evict(pod, message)
            return key
        return None

    def _evict(self, pod: Obj, message: str) -> None:
        """`evictPod` → `TerminatePodAbnormallyAndWait`: the `Evicted` event, then the pod's
        containers killed with the immediate grace period; the pod ends Failed (`Evicted`)."""
        kubelet = self.kubelet
        key = key_of(pod)
        kubelet.recorder.event(pod, "Warning", REASON, message)
        st = kubelet.pods[key]
        st.eviction = (REASON, message)
        st.terminating = True
        st.cancel_timers()
        ts = kubelet.server.timestamp()
        for c in st.all_containers():
            if c.process is None and c.state == "waiting" and not c.container_id:
                c.state, c.reason, c.exit_code, c.finished_at = (
                    "terminated",
                    "ContainerStatusUnknown",
                    137,
                    ts,
                )
        st.kill_deadline = kubelet.clock.now + IMMEDIATE_EVICTION_GRACE_PERIOD
        for i, c in enumerate(st.containers):
            if c.process is not None:
                kubelet._kill_container(key, False, i, IMMEDIATE_EVICTION_GRACE_PERIOD)
        for i, c in enumerate(st.init_containers):
            if c.process is not None and not c.sidecar:
                kubelet._kill_container(key, True, i, IMMEDIATE_EVICTION_GRACE_PERIOD)
        kubelet._report(key)
        kubelet._termination_progress(key)

    # -- admission --------------------------------------------------------------------------

    def admit(self, pod: Obj) -> bool:
        """`Admit`: whether the kubelet may run `pod` now; a refused pod is rejected (its
        `Evicted` event and status Failed) and False returned."""
        if not self.node_conditions or is_critical(pod):
            return True
        if self.node_conditions == ["MemoryPressure"]:
            if qos_class(pod["spec"]) != "BestEffort":
                return True
            taint = {"key": MEMORY_PRESSURE_TAINT, "effect": "NoSchedule"}
            if tolerated_by_any(taint, pod["spec"].get("tolerations") or []):
                return True
        uid = pod["metadata"]["uid"]
        if uid in self._rejected:
            return False
        self._rejected.add(uid)
        message = NODE_CONDITION_MESSAGE.format(" ".join(self.node_conditions))
        self._reject(pod, message)
        return False

    def _reject(self, pod: Obj, message: str) -> None:
        """`rejectPod`: the event, and the status a rejected pod is left with."""
        kubelet = self.kubelet
        kubelet.recorder.event(pod, "Warning", REASON, message)
        status: Obj = {
            "phase": "Failed",
            "reason": REASON,
            "message": REJECTED_PREFIX + message,
            "qosClass": qos_class(pod["spec"]),
            "startTime": pod.get("status", {}).get("startTime") or kubelet.server.timestamp(),
        }

        def post() -> None:
            with contextlib.suppress(ApiError):
                kubelet.server.patch(
                    kubelet.user,
                    "pods",
                    pod["metadata"]["name"],
                    {"status": status},
                    namespace=pod["metadata"]["namespace"],
                    subresource="status",
                )

        now = kubelet.clock.now
        self._tokens = min(KUBE_API_BURST, self._tokens + (now - self._tokens_at) * KUBE_API_QPS)
        self._tokens_at = now
        self._tokens -= 1  # a reservation, as the client's rate limiter makes
        if self._tokens >= 0:
            post()
        else:
            kubelet._later(-self._tokens / KUBE_API_QPS, post)

    # -- what the lab can show --------------------------------------------------------------

    def is_under_memory_pressure(self) -> bool:
        return "MemoryPressure" in self.node_conditions

    def report(self) -> Obj:
        """The last observations against the thresholds, the conditions, the evictions so far."""
        signals = []
        for t in self.thresholds:
            seen = self.last_observations.get(t.signal)
            if seen is None:
                continue
            signals.append(
                {
                    "signal": t.signal,
                    "available": seen.available,
                    "capacity": seen.capacity,
                    "threshold": t.amount(seen.capacity),
                    "thresholdText": t.describe(seen.capacity),
                    "met": t.amount(seen.capacity) > seen.available,
                    "observedAt": seen.time,
                }
            )
        return {
            "signals": signals,
            "conditions": list(self.node_conditions),
            "conditionsLastObserved": dict(self.conditions_last_observed),
            "evictions": [
                {"at": e.at, "pod": e.pod, "message": e.message, "ranking": list(e.ranking)}
                for e in self.evictions
            ],
        }
