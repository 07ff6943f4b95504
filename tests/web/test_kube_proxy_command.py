"""Stopping and starting a node's kube-proxy from the lab page: the command, its effect on the
node card, and its replay."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string

from clusterlab.engine import Cluster
from clusterlab.labs.commands import Command, CommandError, parse_command
from clusterlab.labs.proxy_rules import rule_table
from clusterlab.labs.runner import LabRunner


def node_html(runner: LabRunner, node: str) -> str:
    return next(f for f in runner.fragments() if f.dom_id == f"node-{node}").render()


def test_the_command_names_kube_proxy_and_a_node() -> None:
    message = {"action": "stop_component", "component": "kube-proxy", "node": "worker-2"}
    expected = Command("stop_component", {"component": "kube-proxy", "node": "worker-2"})
    assert parse_command(message) == expected
    with pytest.raises(CommandError, match="not a valid node name"):
        parse_command({"action": "start_component", "component": "kube-proxy", "node": "Worker 2"})


def test_stop_and_start_kube_proxy_from_the_node_card() -> None:
    runner = LabRunner("lab1", Cluster.from_scenario("default", seed=7), speed=60)
    # kube-proxy runs in each node's kube-proxy pod, whose container starts at t=0.8. Before, it
    # does not run, but nothing stopped it: the card offers Stop, and says it is not running yet.
    assert runner.cluster.kube_proxy_running("worker-2") is False
    html = node_html(runner, "worker-2")
    assert 'data-testid="stop-kube-proxy-worker-2"' in html and "kube-proxy is not running yet" in html
    assert 'data-testid="stop-kube-proxy-worker-1"' in node_html(runner, "worker-1")
    runner.tick(0.02)  # 1.2 virtual seconds
    assert runner.cluster.kube_proxy_running("worker-2") is True
    assert "kube-proxy is not running yet" not in node_html(runner, "worker-2")
    runner.changed_fragments()
    stop = Command("stop_component", {"component": "kube-proxy", "node": "worker-2"})
    logged = runner.execute(stop, "learner")
    assert logged is not None and logged.action == "stop_component"
    assert runner.cluster.kube_proxy_running("worker-2") is False
    changed = {f.dom_id for f in runner.changed_fragments(api_calls=False)}
    assert "node-worker-2" in changed and "node-worker-1" not in changed
    html = node_html(runner, "worker-2")
    assert 'data-testid="start-kube-proxy-worker-2"' in html
    assert 'name="component" value="kube-proxy"' in html
    # Its rules freeze: a new Service reaches every other node's table, not this one's.
    runner.execute(Command("create_sample"), "learner")
    runner.cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
        }
    )
    runner.tick(0.5)  # 30 virtual seconds: t=31.2
    assert "default/web" not in runner.cluster.proxy_rules("worker-2", None)
    assert "default/web" in runner.cluster.proxy_rules("worker-1", None)
    runner.changed_fragments()
    runner.execute(Command("start_component", {"component": "kube-proxy", "node": "worker-2"}), "learner")
    # The stop no longer holds, so the card offers Stop again; but the container, killed at 1.2
    # and at the kubelet's restarts since (2.5, 12.8), waits out its 20 s back-off: the next
    # restart, 0.3 s to create and start it later, is at 33.1.
    assert "node-worker-2" in {f.dom_id for f in runner.changed_fragments(api_calls=False)}
    html = node_html(runner, "worker-2")
    assert 'data-testid="stop-kube-proxy-worker-2"' in html and "kube-proxy is not running yet" in html
    runner.cluster.advance(round(33.099 - runner.now, 6))
    assert runner.cluster.kube_proxy_running("worker-2") is False
    assert "default/web" not in runner.cluster.proxy_rules("worker-2", None)
    runner.cluster.advance(0.001)
    assert runner.cluster.kube_proxy_running("worker-2") is True
    assert runner.cluster.proxy_rules("worker-2") == runner.cluster.proxy_rules("worker-1")
    assert "kube-proxy is not running yet" not in node_html(runner, "worker-2")


def test_a_stopped_kube_proxy_survives_replay() -> None:
    live = LabRunner("lab1", Cluster.from_scenario("default", seed=7), speed=60)
    stop = Command("stop_component", {"component": "kube-proxy", "node": "worker-3"})
    log = [live.execute(stop, "learner")]
    live.tick(0.1)
    log.append(live.execute(Command("create_sample"), "learner"))
    live.tick(0.5)
    rebuilt = LabRunner.from_log(
        "lab1", scenario="default", seed=7, commands=[e for e in log if e], virtual_time=live.now, speed=60
    )
    assert rebuilt.cluster.kube_proxy_running("worker-3") is False
    assert rebuilt.cluster.proxy_rules("worker-3", None) == live.cluster.proxy_rules("worker-3", None)
    assert rebuilt.cluster.proxy_rules("worker-1", None) == live.cluster.proxy_rules("worker-1", None)
    assert rebuilt.board()["nodes"] == live.board()["nodes"]


def test_the_rules_panel_tells_a_stopped_kube_proxy_from_one_not_running_yet() -> None:
    cluster = Cluster.from_scenario("default", seed=7)

    def panel() -> str:
        table = rule_table(cluster, "worker-2")
        assert table is not None
        return " ".join(render_to_string("labs/proxy_rules.html", {**table, "url": "/"}).split())

    # t=0: its pod's container has not started; no one stopped it.
    assert "kube-proxy is not running on worker-2 yet (the kubelet is starting its pod's container" in panel()
    assert "kube-proxy is stopped" not in panel()
    cluster.advance(1)
    assert 'data-testid="proxy-rules-stale"' not in panel()
    cluster.stop_component("kube-proxy", node="worker-2")
    assert "kube-proxy is stopped on worker-2: the kernel keeps the last rules it wrote" in panel()
    cluster.start_component("kube-proxy", node="worker-2")  # its restart waits out a back-off
    assert "kube-proxy is not running on worker-2 yet" in panel()
