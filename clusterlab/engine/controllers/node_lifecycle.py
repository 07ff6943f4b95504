"""The node lifecycle controller: notice dead nodes, mark them, and taint them.

In Kubernetes this controller (in kube-controller-manager) checks every node every
`--node-monitor-period` (5 s). A node is alive while its kubelet renews its Lease in
`kube-node-lease` (every 10 s) or posts status. When neither has been seen for
`--node-monitor-grace-period` (50 s since v1.32), the controller sets the node's conditions to
`Unknown` ("Kubelet stopped posting node status."), marks its pods not ready, and taints it
`node.kubernetes.io/unreachable` — `NoSchedule` so the scheduler avoids it and `NoExecute`
so the taint-eviction controller evicts pods once their 300 s toleration runs out. A node
reporting `Ready=False` gets the `not-ready` taints instead. When the node is back, the
taints are removed. A node whose kubelet reports a pressure condition (`MemoryPressure`,
`DiskPressure`, `PIDPressure` True) is tainted `node.kubernetes.io/<memory|disk|pid>-pressure`
NoSchedule for as long as it does (TaintNodesByCondition).

NoExecute tainting is rate-limited per zone like the real controller: `--node-eviction-rate`
0.1 nodes/s (burst 1); in a zone where at least 55 % of nodes (and more than 2) are not ready,
a small cluster (≤ 50 nodes) stops tainting; if every zone is fully disrupted the controller
assumes a control-plane network problem, removes the NoExecute taints and evicts nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ApiError
from ..jsonutil import copy_json
from ..taints import NOT_READY, UNREACHABLE, UNSCHEDULABLE
from .base import Controller, ControllerContext, is_pod_ready

Obj = dict[str, Any]

MONITOR_PERIOD = 5.0
GRACE_PERIOD = 50.0
EVICTION_QPS = 0.1
SECONDARY_EVICTION_QPS = 0.01
UNHEALTHY_ZONE_THRESHOLD = 0.55
LARGE_CLUSTER_THRESHOLD = 50
CONDITIONS = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")
# TaintNodesByCondition: a pressure condition that is True taints the node NoSchedule.
PRESSURE_TAINTS = {
    "MemoryPressure": "node.kubernetes.io/memory-pressure",
    "DiskPressure": "node.kubernetes.io/disk-pressure",
    "PIDPressure": "node.kubernetes.io/pid-pressure",
}
ZONE_LABEL = "topology.kubernetes.io/zone"
REGION_LABEL = "topology.kubernetes.io/region"


@dataclass
class NodeHealth:
    probe: float
    lease_renew: str | None = None
    heartbeat: str | None = None
    ready: str | None = None


class TokenBucket:
    """`flowcontrol.NewTokenBucketRateLimiter(qps, burst=1)` on the virtual clock."""

    def __init__(self, qps: float, now: float) -> None:
        self.qps = qps
        self.tokens = 1.0
        self.last = now

    def set_rate(self, qps: float, now: float) -> None:
        """`RateLimitedTimedQueue.SwapLimiter`: a new rate gets a fresh (full) bucket; 0 never admits."""
        if qps == self.qps:
            return
        self.qps, self.tokens, self.last = qps, 1.0, now

    def _refill(self, now: float) -> None:
        self.tokens = min(1.0, self.tokens + (now - self.last) * self.qps)
        self.last = now

    def try_take(self, now: float) -> bool:
        if self.qps <= 0:
            return False
        self._refill(now)
        if self.tokens >= 1.0 - 1e-9:
            self.tokens -= 1.0
            return True
        return False

    def next_token(self, now: float) -> float | None:
        self._refill(now)
        if self.qps <= 0:
            return None
        return now + max(0.0, (1.0 - self.tokens) / self.qps)


def condition(node: Obj, ctype: str) -> Obj | None:
    for c in node.get("status", {}).get("conditions") or ():
        if c.get("type") == ctype:
            return c
    return None


def ready_status(node: Obj) -> str:
    c = condition(node, "Ready")
    return c.get("status", "Unknown") if c else "Unknown"


def zone_of(node: Obj) -> str:
    labels = node["metadata"].get("labels") or {}
    return f"{labels.get(REGION_LABEL, '')}:\x00:{labels.get(ZONE_LABEL, '')}"


class NodeLifecycleController(Controller):
    name = "node-controller"
    workers = 8  # NoSchedule tainting workers (UpdateWorkerSize)

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.nodes = ctx.informers.get("nodes")
        self.leases = ctx.informers.get("leases", "kube-node-lease")
        self.pods = ctx.informers.get("pods")
        if "node" not in self.pods._indexers:
            self.pods.add_index(
                "node", lambda p: [p["spec"]["nodeName"]] if p["spec"].get("nodeName") else []
            )
        self.health: dict[str, NodeHealth] = {}
        self.buckets: dict[str, TokenBucket] = {}
        self.taint_queue: list[str] = []  # nodes waiting for their NoExecute taint, in order
        self.zone_states: dict[str, str] = {}
        self._retry_timer: Any = None
        self._monitor_timer: Any = None
        self.nodes.add_handler(self._enqueue, lambda old, new: self._enqueue(new), self._on_node_delete)

    def _enqueue(self, node: Obj) -> None:
        self.queue.add(node["metadata"]["name"])

    def _on_node_delete(self, node: Obj) -> None:
        name = node["metadata"]["name"]
        self.health.pop(name, None)
        if name in self.taint_queue:
            self.taint_queue.remove(name)

    def start(self) -> None:
        self._monitor()

    def stop(self) -> None:
        super().stop()
        for t in (self._monitor_timer, self._retry_timer):
            if t is not None:
                t.cancel()

    # -- NoSchedule taints from conditions (TaintNodesByCondition), per node key ----------

    def sync(self, key: str) -> None:
        node = self.nodes.get(key)
        if node is None:
            return
        want: list[Obj] = []
        status = ready_status(node)
        if status == "False":
            want.append({"key": NOT_READY, "effect": "NoSchedule"})
        elif status == "Unknown" and condition(node, "Ready") is not None:
            want.append({"key": UNREACHABLE, "effect": "NoSchedule"})
        for ctype, taint_key in PRESSURE_TAINTS.items():  # nodeConditionToTaintKeyStatusMap
            c = condition(node, ctype)
            if c is not None and c.get("status") == "True":
                want.append({"key": taint_key, "effect": "NoSchedule"})
        if node.get("spec", {}).get("unschedulable"):
            want.append({"key": UNSCHEDULABLE, "effect": "NoSchedule"})
        managed = {NOT_READY, UNREACHABLE, UNSCHEDULABLE, *PRESSURE_TAINTS.values()}
        have = [
            t
            for t in node.get("spec", {}).get("taints") or ()
            if t["key"] in managed and t["effect"] == "NoSchedule"
        ]
        if sorted(t["key"] for t in have) == sorted(t["key"] for t in want):
            return
        self._set_taints(
            key,
            lambda taints: (
                [t for t in taints if not (t["key"] in managed and t["effect"] == "NoSchedule")] + want
            ),
        )

    def _set_taints(self, name: str, change: Any) -> None:
        """Read the node live (not from the cache), change its taints, write with its resourceVersion."""
        node = self.server.get(self.user, "nodes", name)
        taints = node["spec"].get("taints") or []
        new_taints = change(copy_json(taints))
        if new_taints == taints:
            return
        if new_taints:
            node["spec"]["taints"] = new_taints
        else:
            node["spec"].pop("taints", None)
        self.server.update(self.user, node)

    # -- the monitor loop -----------------------------------------------------------------

    def _monitor(self) -> None:
        self._monitor_timer = self.clock.call_later(MONITOR_PERIOD, self._monitor, late=True)
        now = self.clock.now
        for node in sorted(self.nodes.list(), key=lambda n: n["metadata"]["name"]):
            try:
                self._check_node(node, now)
            except ApiError:
                continue  # retried at the next monitor pass, as the real loop does
        self._handle_disruption(now)
        self._process_taint_queue()

    def _check_node(self, node: Obj, now: float) -> None:
        name = node["metadata"]["name"]
        health = self.health.get(name)
        ready = condition(node, "Ready")
        if health is None:
            health = NodeHealth(
                probe=now, heartbeat=(ready or {}).get("lastHeartbeatTime"), ready=ready_status(node)
            )
            lease = self.leases.get(f"kube-node-lease/{name}")
            health.lease_renew = (lease or {}).get("spec", {}).get("renewTime")
            self.health[name] = health
            self.recorder.event(
                node, "Normal", "RegisteredNode", f"Node {name} event: Registered Node {name} in Controller"
            )
        lease = self.leases.get(f"kube-node-lease/{name}")
        renew = (lease or {}).get("spec", {}).get("renewTime")
        if renew is not None and renew != health.lease_renew:
            health.lease_renew, health.probe = renew, now
        heartbeat = (ready or {}).get("lastHeartbeatTime")
        if heartbeat != health.heartbeat:
            health.heartbeat, health.probe = heartbeat, now

        # Real checks drift a little past their period, so the check landing exactly on
        # probe + grace is already "after" it: compare inclusively.
        if now >= health.probe + GRACE_PERIOD and ready_status(node) != "Unknown":
            node = self._mark_unknown(node)
        status = ready_status(node)
        if health.ready == "True" and status != "True":
            self._mark_pods_not_ready(node)
            self.recorder.event(node, "Normal", "NodeNotReady", f"Node {name} status is now: NodeNotReady")
        health.ready = status

        # Taint-based eviction: which NoExecute taint should this node carry?
        if status == "True":
            if name in self.taint_queue:
                self.taint_queue.remove(name)
            if any(
                t["key"] in (NOT_READY, UNREACHABLE) and t["effect"] == "NoExecute"
                for t in node.get("spec", {}).get("taints") or ()
            ):
                self._set_no_execute(name, None)
        else:
            key = UNREACHABLE if status == "Unknown" else NOT_READY
            current = [
                t
                for t in node.get("spec", {}).get("taints") or ()
                if t["effect"] == "NoExecute" and t["key"] in (NOT_READY, UNREACHABLE)
            ]
            if current and current[0]["key"] != key:
                self._set_no_execute(name, key)  # swap not-ready ↔ unreachable at once
            elif not current and name not in self.taint_queue:
                self.taint_queue.append(name)

    def _mark_unknown(self, node: Obj) -> Obj:
        ts = self.server.timestamp()
        conditions = []
        for ctype in CONDITIONS:
            c = condition(node, ctype)
            c = dict(c) if c else {"type": ctype}
            if c.get("status") != "Unknown":
                c["lastTransitionTime"] = ts
            c.update(
                status="Unknown", reason="NodeStatusUnknown", message="Kubelet stopped posting node status."
            )
            c.setdefault("lastHeartbeatTime", ts)
            conditions.append(c)
        others = [c for c in node.get("status", {}).get("conditions") or () if c["type"] not in CONDITIONS]
        return self.server.patch(
            self.user,
            "nodes",
            node["metadata"]["name"],
            {"status": {"conditions": conditions + others}},
            subresource="status",
        )

    def _mark_pods_not_ready(self, node: Obj) -> None:
        """`MarkPodsNotReady`: a dead kubelet cannot say so itself."""
        ts = self.server.timestamp()
        for pod in sorted(
            self.pods.by_index("node", node["metadata"]["name"]),
            key=lambda p: (p["metadata"]["namespace"], p["metadata"]["name"]),
        ):
            if not is_pod_ready(pod):
                continue
            conditions = copy_json(pod["status"].get("conditions") or [])
            for c in conditions:
                if c["type"] == "Ready":
                    c["status"] = "False"
                    c["lastTransitionTime"] = ts
            try:
                self.server.patch(
                    self.user,
                    "pods",
                    pod["metadata"]["name"],
                    {"status": {"conditions": conditions}},
                    namespace=pod["metadata"]["namespace"],
                    subresource="status",
                )
            except ApiError:
                continue
            self.recorder.event(pod, "Warning", "NodeNotReady", "Node is not ready")

    def _set_no_execute(self, name: str, key: str | None) -> None:
        ts = self.server.timestamp()

        def change(taints: list[Obj]) -> list[Obj]:
            kept = [
                t for t in taints if not (t["effect"] == "NoExecute" and t["key"] in (NOT_READY, UNREACHABLE))
            ]
            if key is not None:
                kept.append({"key": key, "effect": "NoExecute", "timeAdded": ts})
            return kept

        self._set_taints(name, change)

    # -- zones and the rate-limited taint queue ------------------------------------------

    def _handle_disruption(self, now: float) -> None:
        zones: dict[str, list[Obj]] = {}
        for node in self.nodes.list():
            zones.setdefault(zone_of(node), []).append(node)
        states: dict[str, str] = {}

        def observed(n: Obj) -> str:
            h = self.health.get(n["metadata"]["name"])
            return h.ready if h is not None and h.ready is not None else ready_status(n)

        for zone, nodes in zones.items():
            ready = sum(1 for n in nodes if observed(n) == "True")
            not_ready = len(nodes) - ready
            if ready == 0 and not_ready > 0:
                states[zone] = "FullDisruption"
            elif not_ready > 2 and not_ready / len(nodes) >= UNHEALTHY_ZONE_THRESHOLD:
                states[zone] = "PartialDisruption"
            else:
                states[zone] = "Normal"
        self.zone_states = states
        cluster_size = sum(len(v) for v in zones.values())
        for zone, state in states.items():
            if state == "Normal":
                qps = EVICTION_QPS
            elif state == "PartialDisruption":
                qps = SECONDARY_EVICTION_QPS if cluster_size > LARGE_CLUSTER_THRESHOLD else 0.0
            else:
                qps = EVICTION_QPS
            bucket = self.buckets.setdefault(zone, TokenBucket(qps, now))
            bucket.set_rate(qps, now)
        if states and all(s == "FullDisruption" for s in states.values()):
            # "Controller detected that all Nodes are not-Ready. Entering master disruption mode."
            self.taint_queue.clear()
            for node in sorted(self.nodes.list(), key=lambda n: n["metadata"]["name"]):
                if any(
                    t["effect"] == "NoExecute" and t["key"] in (NOT_READY, UNREACHABLE)
                    for t in node.get("spec", {}).get("taints") or ()
                ):
                    try:
                        self._set_no_execute(node["metadata"]["name"], None)
                    except ApiError:
                        continue

    def _process_taint_queue(self) -> None:
        if self._retry_timer is not None:
            self._retry_timer.cancel()
            self._retry_timer = None
        if any(s == "FullDisruption" for s in self.zone_states.values()) and all(
            s == "FullDisruption" for s in self.zone_states.values()
        ):
            return
        now = self.clock.now
        next_try: float | None = None
        for name in list(self.taint_queue):
            node = self.nodes.get(name)
            health = self.health.get(name)
            # The monitor pass's verdict is newer than the cache, which catches up asynchronously.
            status = health.ready if health is not None else None
            if node is None or status in (None, "True"):
                self.taint_queue.remove(name)
                continue
            bucket = self.buckets.get(zone_of(node))
            if bucket is None:
                continue
            if not bucket.try_take(now):
                t = bucket.next_token(now)
                if t is not None:
                    next_try = t if next_try is None else min(next_try, t)
                continue
            key = UNREACHABLE if status == "Unknown" else NOT_READY
            try:
                self._set_no_execute(name, key)
            except ApiError:
                continue
            self.taint_queue.remove(name)
        if self.taint_queue and next_try is not None:
            self._retry_timer = self.clock.call_at(next_try, self._process_taint_queue)
