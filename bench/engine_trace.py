"""A digest of everything a few seeded runs of the engine make observable, to prove that a
change (a speed-up, a refactoring) changed no behaviour.

The engine is deterministic: one seeded random stream, one virtual clock. So two versions of
the engine that behave alike produce, run for run, the same sequence of etcd writes, the same
API request log and the same node rules. This script runs a few scenarios and prints, per
scenario, a SHA-256 of:

- every write that reached the store, in order: revision, virtual time, ADDED/MODIFIED/DELETED,
  resource and the object as written, serialized with its key order (the order the API
  server's JSON shows);
- every API request the audit log recorded, in order: time, user, component, verb, resource,
  namespace, name, status code and what reached etcd;
- at the end: every stored object (kind, namespace, name, resourceVersion, whole object,
  Events included), each node's iptables rules (every table, when powered), the virtual time
  and the state of the seeded random stream.

Scenarios:

- `default`: the default lab, a Deployment scaled to 50 behind a Service and one with
  `minReadySeconds`, worker-2 powered off at 60 s (its pods are evicted 5 minutes after it goes
  NotReady), both Deployments scaled down at 480 s, run to 520 virtual seconds;
- `ingress`: the ingress scenario as it comes, run to 300 virtual seconds;
- `scale`: the default lab plus 17 workers (8 CPU / 32 GiB), a 600-replica Deployment once every
  node is Ready, run until all are available (as bench/engine_scale.py does).

    python bench/engine_trace.py            # every scenario
    python bench/engine_trace.py default    # some of them

Compare the printed lines before and after a change: any difference is a behaviour change.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from clusterlab.engine import Cluster
from clusterlab.engine.audit import AuditLog
from clusterlab.engine.errors import ApiError
from clusterlab.engine.kinds import KINDS
from clusterlab.engine.store import Change, Store


class Digest:
    """Running hashes of the store's writes and the API request log."""

    def __init__(self) -> None:
        self.writes = hashlib.sha256()
        self.calls = hashlib.sha256()
        self.n_writes = 0
        self.n_calls = 0


CURRENT = Digest()


def _dump(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), default=repr).encode()


def _hook() -> None:
    """Wrap the store's history and the audit log so every write and request is hashed as it
    happens (the audit log keeps only the most recent requests)."""
    record_change = Store._record
    record_call = AuditLog.record

    def _record(self: Store, change: Change) -> None:
        CURRENT.n_writes += 1
        CURRENT.writes.update(
            _dump(
                [
                    change.revision,
                    change.time,
                    change.type,
                    change.plural,
                    change.old if change.new is None else change.new,
                ]
            )
        )
        record_change(self, change)

    def record(self: AuditLog, *args: Any, **kwargs: Any) -> None:
        record_call(self, *args, **kwargs)
        call = self.records[-1]
        CURRENT.n_calls += 1
        CURRENT.calls.update(
            _dump(
                [
                    call.seq,
                    call.time,
                    call.actor,
                    call.component,
                    call.verb,
                    call.resource,
                    call.namespace,
                    call.name,
                    call.code,
                    call.etcd_op,
                    call.etcd_key,
                    call.revision,
                ]
            )
        )

    Store._record = _record  # type: ignore[method-assign]
    AuditLog.record = record  # type: ignore[method-assign]


def final_state(c: Cluster) -> str:
    """Every stored object, each node's rules, the clock and the random stream."""
    h = hashlib.sha256()
    for kind in KINDS:
        for obj in c.store.iter(kind.plural):
            meta = obj["metadata"]
            h.update(
                _dump([kind.kind, meta.get("namespace", ""), meta["name"], meta["resourceVersion"], obj])
            )
    for node in sorted(c.kubelets):
        try:
            rules = c.proxy_rules(node, None)
        except ApiError as exc:
            rules = f"unavailable: {exc}"
        h.update(_dump([node, rules]))
    h.update(_dump([c.now, c.store.revision, c.server.audit.seq, c.rng.getstate()]))
    return h.hexdigest()


def deployment(name: str, replicas: int, cpu: str, memory: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": "nginx",
                            "image": "nginx:1.27",
                            "ports": [{"containerPort": 80}],
                            "resources": {"requests": {"cpu": cpu, "memory": memory}},
                        }
                    ]
                },
            },
        },
    }


def service(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 80}]},
    }


def run_default() -> Cluster:
    c = Cluster.from_scenario("default", seed=7)
    c.advance(5)
    api = deployment("api", 4, "50m", "32Mi")
    api["spec"]["minReadySeconds"] = 10
    c.apply([deployment("web", 3, "50m", "32Mi"), service("web"), api])
    c.advance(20)
    c.scale("Deployment", "web", 50)
    c.advance(35)
    c.kill_node("worker-2")
    c.advance(420)
    c.scale("Deployment", "web", 20)
    c.scale("Deployment", "api", 2)
    c.advance(40)
    return c


def run_ingress() -> Cluster:
    c = Cluster.from_scenario("ingress", seed=3)
    c.advance(300)
    return c


def all_nodes_ready(c: Cluster) -> bool:
    return all(
        any(x["type"] == "Ready" and x["status"] == "True" for x in n["status"].get("conditions", ()))
        for n in c.store.iter("nodes")
    )


def run_scale() -> Cluster:
    c = Cluster.from_scenario("default", seed=1)
    for i in range(17):
        c.add_node(f"worker-{i + 4}", cpu="8", memory="32Gi")
    while not all_nodes_ready(c):
        c.advance(1)
    c.apply(deployment("bench", 600, "100m", "64Mi"))
    while c.store.get("deployments", "default", "bench")["status"].get("availableReplicas", 0) < 600:
        c.advance(1)
        if c.now > 3600:
            raise SystemExit("scale run did not converge")
    c.advance(30)
    return c


SCENARIOS: dict[str, Callable[[], Cluster]] = {
    "default": run_default,
    "ingress": run_ingress,
    "scale": run_scale,
}


def main() -> None:
    _hook()
    global CURRENT
    for name in sys.argv[1:] or list(SCENARIOS):
        CURRENT = Digest()
        t0 = time.perf_counter()
        c = SCENARIOS[name]()
        seconds = time.perf_counter() - t0
        print(
            f"{name}: writes={CURRENT.n_writes} {CURRENT.writes.hexdigest()[:16]} "
            f"calls={CURRENT.n_calls} {CURRENT.calls.hexdigest()[:16]} "
            f"state={final_state(c)[:16]} t={c.now:g} ({seconds:.1f} s wall)",
            flush=True,
        )


if __name__ == "__main__":
    main()
