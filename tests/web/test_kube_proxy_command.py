"""Stopping and starting a node's kube-proxy from the lab page: the command, its effect on the
node card, and its replay."""

from __future__ import annotations

import pytest

from clusterlab.engine import Cluster
from clusterlab.labs.commands import Command, CommandError, parse_command
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
    assert 'data-testid="stop-kube-proxy-worker-2"' in node_html(runner, "worker-2")
    assert 'data-testid="stop-kube-proxy-worker-1"' in node_html(runner, "worker-1")
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
    runner.tick(0.5)  # 30 virtual seconds
    assert "default/web" not in runner.cluster.proxy_rules("worker-2", None)
    assert "default/web" in runner.cluster.proxy_rules("worker-1", None)
    runner.execute(Command("start_component", {"component": "kube-proxy", "node": "worker-2"}), "learner")
    assert runner.cluster.proxy_rules("worker-2") == runner.cluster.proxy_rules("worker-1")
    assert 'data-testid="stop-kube-proxy-worker-2"' in node_html(runner, "worker-2")


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
