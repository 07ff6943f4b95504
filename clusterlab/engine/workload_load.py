"""Load put on a workload: traffic shared by the pods a selector picks.

A load generator (the HPA walkthrough's `while sleep 0.01; do wget -q -O- http://php-apache;
done`) sends requests to a Service; kube-proxy spreads them over the Service's ready
endpoints, so each Ready pod gets an equal share and a pod that is not Ready gets none. Here
a lesson says how much load a workload gets (`Cluster.set_load(selector, namespace, load)`,
in units of its image's busy profile, see `node/usage.py`) and, before each scrape of the
kubelets, the share of every matching Running, Ready, not terminating pod is set on the
usage model — so when the HPA adds pods, each one's usage falls as it does on a real cluster.

Requests that really flow (`Cluster.send_traffic`, a `wget` loop in a pod) add their own
per-pod load (`network/live_traffic.py`), passed to `spread` alongside.

Simplified: the share is exactly equal (iptables' random choice evens out over a 15 s scrape)
and follows readiness at the moment of the scrape.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .node.usage import UsageModel
from .selectors import parse_label_selector

Obj = dict[str, Any]


@dataclass(frozen=True)
class WorkloadLoad:
    namespace: str
    selector: str  # a label selector, as `kubectl get -l` takes it
    load: float


def _ready(pod: Obj) -> bool:
    status = pod.get("status") or {}
    if status.get("phase") != "Running" or pod["metadata"].get("deletionTimestamp"):
        return False
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or ())


@dataclass
class WorkloadLoads:
    """The loads in force, and which pods' load factors they set last time."""

    loads: dict[tuple[str, str], WorkloadLoad] = field(default_factory=dict)
    _assigned: set[tuple[str, str]] = field(default_factory=set)

    def set(self, selector: str, namespace: str, load: float) -> None:
        """Put `load` on the pods `selector` picks in `namespace` (0 takes it away)."""
        if load < 0:
            raise ValueError("a load is never negative")
        parse_label_selector(selector)  # a bad selector fails here, not at the next scrape
        key = (namespace, selector)
        if load == 0:
            self.loads.pop(key, None)
        else:
            self.loads[key] = WorkloadLoad(namespace, selector, load)

    def shares(self, pods: Iterable[Obj]) -> dict[tuple[str, str], float]:
        """Each receiving pod's share: (namespace, name) → load factor."""
        out: dict[tuple[str, str], float] = {}
        pods = list(pods)
        for wl in self.loads.values():
            selector = parse_label_selector(wl.selector)
            ready = [
                p
                for p in pods
                if p["metadata"].get("namespace") == wl.namespace
                and selector.matches(p["metadata"].get("labels"))
                and _ready(p)
            ]
            for p in ready:
                key = (wl.namespace, p["metadata"]["name"])
                out[key] = out.get(key, 0.0) + wl.load / len(ready)
        return out

    def spread(
        self, pods: Iterable[Obj], usage: UsageModel, traffic: dict[tuple[str, str], float] | None = None
    ) -> None:
        """Set the usage model's per-pod load factors from the loads in force, plus what the
        requests each pod served cost it (`traffic`, from `network/live_traffic.py`)."""
        shares = self.shares(pods)
        for key, factor in (traffic or {}).items():
            shares[key] = shares.get(key, 0.0) + factor
        for namespace, name in self._assigned - shares.keys():
            usage.set_load(namespace, name, 0)
        for (namespace, name), share in shares.items():
            usage.set_load(namespace, name, share)
        self._assigned = set(shares)
