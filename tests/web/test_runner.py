"""The runner, without websockets or a database: clock pacing, commands, replay, fragments."""

from __future__ import annotations

import itertools

import pytest

from clusterlab.engine import Cluster, NotFound
from clusterlab.labs.commands import Command
from clusterlab.labs.runner import MAX_TICK_WALL_SECONDS, LabRunner, LoggedCommand


def new_runner(**kwargs: object) -> LabRunner:
    return LabRunner("lab1", Cluster.from_scenario("default", seed=7), **kwargs)  # type: ignore[arg-type]


def pods_by_node(runner: LabRunner) -> dict[str, list[tuple[str, str]]]:
    """``{node: [(pod, status word), ...]}`` from the runner's board."""
    return {
        card["name"]: [(p["name"], p["status"]) for p in card["pods"]] for card in runner.board()["nodes"]
    }


def run_until(runner: LabRunner, predicate, *, wall_seconds: float, tick: float = 0.15) -> None:  # type: ignore[no-untyped-def]
    """Tick (simulated wall time) until ``predicate(runner)`` holds."""
    elapsed = 0.0
    while not predicate(runner):
        assert elapsed < wall_seconds, f"condition not reached after {wall_seconds}s of wall time"
        runner.tick(tick)
        elapsed += tick


def web_pods_running(runner: LabRunner) -> bool:
    statuses = [s for pods in pods_by_node(runner).values() for name, s in pods if name.startswith("web-")]
    return len(statuses) == 6 and all(s == "Running" for s in statuses)


def test_tick_at_600x_advances_sixty_virtual_seconds_per_tenth_of_a_wall_second() -> None:
    runner = new_runner(speed=600)
    runner.tick(0.1)
    assert runner.now == pytest.approx(60.0)
    for _ in range(9):
        runner.tick(0.1)
    assert runner.now == pytest.approx(600.0)  # ten minutes of cluster time per wall second


@pytest.mark.parametrize("speed", [1, 10, 60, 600])
def test_each_speed_scales_wall_time(speed: int) -> None:
    runner = new_runner(speed=speed)
    runner.tick(0.2)
    assert runner.now == pytest.approx(0.2 * speed)


def test_a_stalled_tick_does_not_lurch_the_clock() -> None:
    runner = new_runner(speed=10)
    runner.tick(30.0)
    assert runner.now == pytest.approx(MAX_TICK_WALL_SECONDS * 10)


def test_paused_clock_stands_still_but_steps() -> None:
    runner = new_runner(speed=600, paused=True)
    runner.tick(1.0)
    assert runner.now == 0.0
    runner.execute(Command("step", {"seconds": 10}), "learner")
    runner.execute(Command("step", {"seconds": 1}), "learner")
    assert runner.now == pytest.approx(11.0)
    runner.execute(Command("play"), "learner")
    runner.tick(0.1)
    assert runner.now == pytest.approx(71.0)


def test_speed_and_pause_commands_change_the_pacing_and_are_not_logged() -> None:
    runner = new_runner()
    assert runner.execute(Command("speed", {"speed": 60}), "learner") is None
    assert runner.speed == 60
    assert runner.execute(Command("pause"), "learner") is None
    assert runner.paused
    assert runner.next_seq == 1


def test_engine_commands_are_logged_at_the_current_virtual_time() -> None:
    runner = new_runner(speed=60)
    runner.tick(0.5)
    first = runner.execute(Command("create_sample"), "learner")
    runner.tick(0.25)
    second = runner.execute(Command("kill_node", {"node": "worker-2"}), "user:ada")
    assert first == LoggedCommand(1, pytest.approx(30.0), "learner", "create_sample", {})
    assert second == LoggedCommand(2, pytest.approx(45.0), "user:ada", "kill_node", {"node": "worker-2"})
    assert runner.cluster.get("deployment", "web", namespace="default")["spec"]["replicas"] == 6
    assert runner.cluster.node_powered("worker-2") is False


def test_a_refused_command_raises_the_engine_error_and_logs_nothing() -> None:
    runner = new_runner()
    with pytest.raises(NotFound):
        runner.execute(Command("kill_node", {"node": "worker-9"}), "learner")
    with pytest.raises(NotFound):
        runner.execute(Command("scale", {"deployment": "nope", "replicas": 2}), "learner")
    assert runner.next_seq == 1


def test_replaying_the_log_rebuilds_the_same_cluster() -> None:
    live = new_runner(speed=600)
    log = []
    live.tick(0.13)
    log.append(live.execute(Command("create_sample"), "learner"))
    for wall in (0.11, 0.17, 0.05, 0.2):
        live.tick(wall)
    log.append(live.execute(Command("scale", {"deployment": "web", "replicas": 4}), "learner"))
    live.tick(0.3)
    log.append(live.execute(Command("kill_node", {"node": "worker-1"}), "learner"))
    live.tick(0.07)
    log.append(live.execute(Command("stop_component", {"component": "kube-scheduler"}), "learner"))
    log.append(
        live.execute(Command("stop_component", {"component": "kubelet", "node": "worker-3"}), "learner")
    )
    live.tick(0.21)
    log.append(live.execute(Command("start_component", {"component": "kube-scheduler"}), "learner"))
    for _ in range(5):
        live.tick(0.19)

    rebuilt = LabRunner.from_log(
        "lab1", scenario="default", seed=7, commands=[e for e in log if e], virtual_time=live.now, speed=600
    )

    assert rebuilt.now == pytest.approx(live.now)
    assert rebuilt.next_seq == 7
    assert rebuilt.cluster.state() == live.cluster.state()
    assert rebuilt.board()["nodes"] == live.board()["nodes"]


def test_first_tick_sends_every_fragment_then_only_changes() -> None:
    runner = new_runner(paused=True)
    first = {f.dom_id for f in runner.tick(0.15)}
    assert {
        "clock",
        "controls",
        "control-plane",
        "nodes",
        "pending",
        "deployments",
        "events",
        "api-calls",
    } <= first
    assert "node-worker-1" not in first  # inside "nodes", which was sent whole
    assert runner.tick(0.15) == []
    runner.execute(Command("create_sample"), "learner")
    changed = {f.dom_id for f in runner.changed_fragments()}
    assert "deployments" in changed
    assert "clock" not in changed


def test_a_node_card_is_sent_alone_when_only_that_node_changes() -> None:
    runner = new_runner(speed=600)
    runner.execute(Command("create_sample"), "learner")
    run_until(runner, web_pods_running, wall_seconds=5)
    runner.tick(0.15)
    runner.execute(Command("kill_node", {"node": "worker-1"}), "learner")
    sent: set[str] = set()
    for _ in range(100):
        sent |= {f.dom_id for f in runner.tick(0.02)}
        if "node-worker-1" in sent:
            break
    assert "node-worker-1" in sent
    assert "nodes" not in sent
    assert "node-worker-2" not in sent


def test_killing_a_node_moves_its_pods_elsewhere_at_600x() -> None:
    runner = new_runner(speed=600)
    runner.execute(Command("create_sample"), "learner")
    run_until(runner, web_pods_running, wall_seconds=5)
    placement = pods_by_node(runner)
    assert not [name for name, _ in placement["control-plane"] if name.startswith("web-")]
    victim = next(node for node in ("worker-1", "worker-2", "worker-3") if placement[node])
    lost = {name for name, _ in placement[victim] if name.startswith("web-")}
    runner.execute(Command("kill_node", {"node": victim}), "learner")

    def victim_card(r: LabRunner) -> dict:  # type: ignore[type-arg]
        return next(c for c in r.board()["nodes"] if c["name"] == victim)

    run_until(runner, lambda r: victim_card(r)["status"] == "NotReady", wall_seconds=2)
    assert victim_card(runner)["powered"] is False

    def replaced(r: LabRunner) -> bool:
        elsewhere = [
            (name, status)
            for node, pods in pods_by_node(r).items()
            if node != victim
            for name, status in pods
            if name.startswith("web-")
        ]
        return len(elsewhere) == 6 and all(s == "Running" for _, s in elsewhere)

    run_until(runner, replaced, wall_seconds=5)
    survivors = {name for node, pods in pods_by_node(runner).items() if node != victim for name, _ in pods}
    assert lost
    assert not lost & survivors, "the replacements are new pods, not the lost ones"


def test_drawing_the_board_is_not_an_api_call() -> None:
    runner = new_runner()
    runner.cluster.advance(5)
    last = runner.cluster.api_calls()[-1].seq
    runner.board()
    runner.changed_fragments()
    assert runner.cluster.api_calls(since=last) == []


@pytest.mark.django_db(transaction=True)
async def test_a_labs_timestamps_start_when_the_lab_was_created() -> None:
    from clusterlab.labs import live
    from clusterlab.labs.models import Lab

    lab = await Lab.objects.acreate(owner_session_key="k", seed=3)
    try:
        running = await live.get_live_lab(lab)
        assert running.runner.cluster.epoch == lab.created.replace(microsecond=0)
        ns = running.runner.cluster.get("namespace", "default", None)
        assert ns["metadata"]["creationTimestamp"] == lab.created.strftime("%Y-%m-%dT%H:%M:%SZ")
    finally:
        await live.stop_all()


def test_upgrade_from_the_page_changes_versions_node_by_node() -> None:
    runner = new_runner(speed=10)  # 1.5 virtual seconds a tick: each node's turn is seen
    runner.execute(Command("upgrade_cluster", {"version": "v1.33.0"}), "learner")
    seen: list[list[str]] = []

    def finished(runner: LabRunner) -> bool:
        board = runner.board()
        versions = [card["version"] for card in board["nodes"]]
        if not seen or seen[-1] != versions:
            seen.append(versions)
        return board["upgrade"]["procedure"]["state"] == "done"

    run_until(runner, finished, wall_seconds=120)
    board = runner.board()
    assert board["upgrade"]["version"] == "v1.33.0"
    assert [card["version"] for card in board["nodes"]] == ["v1.33.0"] * 4
    assert board["upgrade"]["procedure"]["title"] == "upgrade the cluster to v1.33.0"
    # the VERSION column changed one node at a time: never two nodes switching in one step
    for before, after in itertools.pairwise(seen):
        assert sum(1 for a, b in zip(before, after, strict=True) if a != b) == 1
    assert seen[0] == ["v1.32.0"] * 4
