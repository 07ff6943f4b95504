"""The work queue's rate limiter, as client-go's default controller rate limiter: the longer of
a per-item exponential back-off and one token bucket for the whole queue (10 a second, 100 at once)."""

from __future__ import annotations

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.clock import Clock
from clusterlab.engine.controllers.deployment import DeploymentController
from clusterlab.engine.workqueue import WorkQueue


def recording_queue(clock: Clock) -> tuple[WorkQueue, list[tuple[float, str]]]:
    synced: list[tuple[float, str]] = []

    def process(key: str) -> float:
        synced.append((clock.now, key))
        return 0.0

    return WorkQueue(clock, process), synced


def test_a_failing_key_backs_off_exponentially_from_5_ms() -> None:
    clock = Clock()
    queue, synced = recording_queue(clock)
    for _ in range(4):
        queue.add_rate_limited("default/web")
        clock.run_until(clock.next_time() or clock.now)
    assert [t for t, _ in synced] == pytest.approx([0.005, 0.015, 0.035, 0.075])
    assert queue.num_requeues("default/web") == 4
    queue.forget("default/web")
    queue.add_rate_limited("default/web")
    clock.run_until(1.0)
    assert synced[-1][0] == pytest.approx(0.08)  # forgotten: back to 5 ms


def test_the_bucket_lets_100_requeues_through_then_10_a_second() -> None:
    clock = Clock()
    queue, synced = recording_queue(clock)
    for i in range(130):
        queue.add_rate_limited(f"ns/obj-{i}")
    clock.run_until(10.0)
    times = [t for t, _ in synced]
    assert times[:100] == pytest.approx([0.005] * 100)
    assert times[100:103] == pytest.approx([0.1, 0.2, 0.3])
    assert times[-1] == pytest.approx(3.0)


def test_a_key_requeued_after_every_successful_sync_settles_at_10_syncs_a_second() -> None:
    """A Deployment waiting for its progress check (`requeueStuckDeployment`) is forgotten after
    each sync and requeued rate-limited: the bucket, not the 5 ms back-off, sets the pace."""
    clock = Clock()
    synced: list[float] = []

    def process(key: str) -> float:
        synced.append(clock.now)
        queue.forget(key)
        queue.add_rate_limited(key)
        return 0.0

    queue = WorkQueue(clock, process)
    queue.add("kube-system/coredns")
    clock.run_until(20.0)
    burst = [t for t in synced if t < 0.55]
    # the first sync, then 5 ms apart while the bucket lasts: its 100 tokens and the 5 refilled
    # over that half second
    assert len(burst) == 106
    assert burst[1:4] == pytest.approx([0.005, 0.01, 0.015])
    later = [t for t in synced if 10.0 < t <= 20.0]
    assert len(later) == 100
    assert later[1] - later[0] == pytest.approx(0.1)


def test_a_deployment_that_lost_a_pod_to_a_dead_node_is_checked_10_times_a_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CoreDNS lost a replica on a dead node: its Deployment is complete, so its Progressing
    condition never times out, and `requeueStuckDeployment` requeues it rate-limited after
    every sync until the replacement is available. The queue's bucket holds that to 10 syncs a
    second (it was one every 5 ms, which froze a lab at 600x)."""
    synced: list[tuple[float, str]] = []
    original = DeploymentController.sync

    def counting(self: DeploymentController, key: str) -> int:
        synced.append((self.clock.now, key))
        return original(self, key)

    monkeypatch.setattr(DeploymentController, "sync", counting)
    cluster = Cluster.from_scenario("default", seed=1)
    cluster.advance(700)  # CoreDNS's rollout finished more than its 600 s progress deadline ago
    coredns = cluster.list("pod", namespace="kube-system", selector="k8s-app=kube-dns")
    node = next(p["spec"]["nodeName"] for p in coredns if p["spec"]["nodeName"].startswith("worker-"))
    cluster.kill_node(node)
    killed_at = cluster.now
    cluster.advance(200)
    window = [key for t, key in synced if killed_at + 100 < t <= killed_at + 200]
    assert window.count("kube-system/coredns") >= 30  # still waiting for its replacement
    assert len(window) <= 10 * 100 + 1
