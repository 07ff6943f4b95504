"""Same scenario + seed + commands at the same virtual times ⇒ the same cluster, bit for bit."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from clusterlab.engine import Cluster

from .conftest import web

SCRIPT = """
import hashlib, json, sys
from clusterlab.engine import Cluster
from tests.engine.test_determinism import run_story
c = run_story(int(sys.argv[1]))
data = [c.state(), [repr(a) for a in c.api_calls()]]
print(hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest())
"""


def run_story(seed: int) -> Cluster:
    c = Cluster.from_scenario("default", seed=seed)
    c.apply(web(replicas=9))
    c.advance(20)
    c.kill_node("worker-2")
    c.advance(90)
    c.scale("deployment", "web", 14)
    c.advance(300)
    c.restore_node("worker-2")
    c.add_node("worker-4", cpu="4", memory="8Gi")
    c.advance(60)
    return c


def _digest(c: Cluster) -> str:
    data = [c.state(), [repr(a) for a in c.api_calls()], c.now]
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def test_same_seed_same_commands_same_cluster():
    a, b = run_story(11), run_story(11)
    assert a.state() == b.state()
    assert a.events() == b.events()
    assert _digest(a) == _digest(b)


def test_another_seed_changes_generated_names():
    a, b = run_story(11), run_story(12)
    names = lambda c: sorted(p["metadata"]["name"] for p in c.list("pods", "default"))  # noqa: E731
    assert names(a) != names(b)


def test_identical_across_interpreter_hash_seeds():
    """Set/dict ordering of strings must not leak into decisions (PYTHONHASHSEED differs per run)."""
    root = Path(__file__).resolve().parents[2]
    digests = set()
    for hash_seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(root)}
        out = subprocess.run(
            [sys.executable, "-c", SCRIPT, "5"], capture_output=True, text=True, env=env, cwd=root, check=True
        )
        digests.add(out.stdout.strip())
    assert len(digests) == 1


def run_ha_story(seed: int) -> Cluster:
    """The `ha` scenario with control-plane faults, an etcd restore and well over 1,000 objects."""
    c = Cluster.from_scenario("ha", seed=seed)
    for i in range(4, 10):
        c.add_node(f"worker-{i}", cpu="4", memory="8Gi")
    c.apply(web(replicas=150, cpu="20m"))
    c.apply(web(replicas=60, cpu="20m", name="api"))
    c.advance(40)
    c.etcd_snapshot("early")
    c.kill_node("control-plane-1")  # the leaders and the etcd leader go with it
    c.advance(30)
    c.stop_component("etcd", node="control-plane-2")  # quorum lost
    c.advance(20)
    c.start_component("etcd", node="control-plane-2")
    c.advance(20)
    c.kill_node("worker-5")
    c.scale("deployment", "web", 170)
    c.advance(120)
    for node in ("control-plane-2", "control-plane-3"):
        c.stop_component("kube-apiserver", node=node)
    c.etcd_restore("early")
    for node in ("control-plane-2", "control-plane-3"):
        c.start_component("kube-apiserver", node=node)
    c.restore_node("control-plane-1")
    c.advance(90)
    return c


def test_ha_story_with_faults_and_a_thousand_objects_replays_bit_for_bit():
    a = run_ha_story(3)
    objects = sum(len(items) for items in a.state().values())
    assert objects > 1000
    b = run_ha_story(3)
    assert a.state() == b.state()
    assert a.events() == b.events()
    assert _digest(a) == _digest(b)
    assert a.components() == b.components()


def run_default_story_at_scale(seed: int) -> Cluster:
    """The `default` scenario grown past 1,000 objects, with component and node faults."""
    c = Cluster.from_scenario("default", seed=seed)
    for i in range(4, 9):
        c.add_node(f"worker-{i}", cpu="4", memory="8Gi")
    c.apply(web(replicas=200, cpu="20m"))
    c.advance(30)
    c.stop_component("kube-scheduler")
    c.scale("deployment", "web", 260)
    c.advance(20)
    c.start_component("kube-scheduler")
    c.stop_component("kube-controller-manager")
    c.kill_node("worker-2")
    c.advance(70)
    c.start_component("kube-controller-manager")
    c.stop_component("kubelet", node="worker-6")
    c.advance(90)
    c.start_component("kubelet", node="worker-6")
    c.restore_node("worker-2")
    c.advance(60)
    return c


def test_default_story_at_scale_replays_bit_for_bit():
    a = run_default_story_at_scale(8)
    assert sum(len(items) for items in a.state().values()) > 1000
    b = run_default_story_at_scale(8)
    assert a.state() == b.state()
    assert a.events() == b.events()
    assert _digest(a) == _digest(b)
