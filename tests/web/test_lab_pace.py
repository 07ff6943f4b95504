"""A lab at a speed the server cannot keep up with: each tick spends at most its work budget in
the engine (the event loop stays free for sockets and requests), the clock runs slower and the
page says so; a busy control plane re-sends one component's row, not the whole panel."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest

from clusterlab.engine import Cluster
from clusterlab.labs import api_stream
from clusterlab.labs.commands import Command
from clusterlab.labs.fragments import FragmentTracker, board_fragments
from clusterlab.labs.runner import LabRunner


def fake_work_clock(step: float):  # type: ignore[no-untyped-def]
    """A processor-time clock that moves ``step`` seconds each time it is read (as if each slice
    of engine work took that long)."""
    counter = itertools.count()
    return lambda: next(counter) * step


def new_runner(speed: int = 600) -> LabRunner:
    return LabRunner("lab1", Cluster.from_scenario("default", seed=7), speed=speed)


def controls_html(runner: LabRunner) -> str:
    return next(f for f in runner.fragments() if f.dom_id == "controls").render()


def test_without_a_budget_a_tick_runs_all_its_virtual_time() -> None:
    runner = new_runner()
    runner.work_clock = fake_work_clock(10.0)  # never read
    assert runner.advance_wall(0.15) == pytest.approx(90.0)
    assert not runner.behind


def test_a_tick_stops_when_its_work_budget_is_spent_and_the_page_says_the_clock_is_behind() -> None:
    runner = new_runner()
    runner.work_budget = 0.2
    runner.work_clock = fake_work_clock(0.05)  # 0.05 s per slice, read after each one
    ran = runner.advance_wall(0.15)
    assert ran == pytest.approx(12.0)  # four slices of 3 virtual seconds (0.005 wall s at 600x)
    assert runner.now == pytest.approx(12.0)
    assert runner.behind
    assert 'data-testid="clock-behind"' in controls_html(runner)
    assert "the clock runs slower than 600×" in controls_html(runner)

    # a paused lab is not behind
    runner.execute(Command("pause"), "learner")
    assert 'data-testid="clock-behind"' not in controls_html(runner)
    runner.execute(Command("play"), "learner")

    # caught up only after two wall seconds of full ticks, so the note does not flicker
    runner.work_clock = fake_work_clock(0.0)
    for _ in range(13):
        assert runner.advance_wall(0.15) == pytest.approx(90.0)
        assert runner.behind
    runner.advance_wall(0.15)
    assert not runner.behind
    assert 'data-testid="clock-behind"' not in controls_html(runner)


def test_a_budgeted_tick_at_1x_runs_its_fraction_of_a_second_exactly() -> None:
    runner = new_runner(speed=1)
    runner.work_budget = 0.2
    runner.work_clock = fake_work_clock(0.0)
    for _ in range(7):
        assert runner.advance_wall(0.15) == pytest.approx(0.15)
    assert runner.now == pytest.approx(1.05)
    assert not runner.behind


def test_a_budgeted_clock_reaches_the_same_cluster_as_an_unbudgeted_one() -> None:
    """Slicing a tick changes nothing the engine does: advance(a) then advance(b) is advance(a+b)."""
    sliced, whole = new_runner(), new_runner()
    sliced.work_budget = 1000.0
    for runner in (sliced, whole):
        runner.execute(Command("create_sample"), "learner")
        for _ in range(2):
            runner.advance_wall(0.15)
    assert sliced.now == whole.now == pytest.approx(180.0)
    assert sliced.board()["nodes"] == whole.board()["nodes"]
    assert sliced.cluster.revision == whole.cluster.revision


def test_a_busy_control_plane_resends_one_component_row() -> None:
    runner = new_runner()
    tracker = FragmentTracker()
    tracker.changed(board_fragments(runner.board()))
    board = runner.board()
    etcd = next(c for c in board["control_plane"] if c["name"] == "etcd")
    etcd["note"] += "1"  # etcd's log index moved
    changed = tracker.changed(board_fragments(board))
    assert [f.dom_id for f in changed] == [etcd["key"]]
    html = changed[0].render()
    assert html.lstrip().startswith(f'<li id="{etcd["key"]}"')
    assert etcd["note"] in html


def test_a_late_push_keeps_every_clients_share_so_the_schedulers_bindings_survive() -> None:
    """A server pushing late (loaded, or a fast clock) finds more calls than one push carries:
    each client keeps an equal share, its newest calls, so a burst of kubelet and controller
    calls does not crowd out the scheduler's bindings of a new Deployment (the newest 50 of
    these calls hold none of them)."""
    runner = new_runner(speed=10)
    runner.changed_fragments()
    # The lab's own start-up first (CoreDNS, kube-proxy's DaemonSet pods, metrics-server,
    # local-path-provisioner created and bound): its burst is not the one this test is about.
    runner.advance_wall(0.5)
    runner.changed_fragments()
    runner.execute(Command("create_sample"), "learner")
    runner.changed_fragments()
    runner.advance_wall(0.5)  # five virtual seconds: the sample's pods are created and bound
    new = runner.cluster.api_calls(since=runner._api_stream.published)
    assert len(new) > api_stream.MAX_PUSHED_CALLS
    push = runner.changed_fragments()[-1]
    assert push.dom_id == "api-call-list"
    rows = push.context["api_calls"]
    assert len(rows) == api_stream.MAX_PUSHED_CALLS
    assert push.context["skipped"] == len(new) - api_stream.MAX_PUSHED_CALLS
    assert not [c for c in new[-api_stream.MAX_PUSHED_CALLS :] if c.resource == "pods/binding"]
    bindings = [r for r in rows if r["resource"] == "pods/binding" and r["target"].startswith("default/web-")]
    assert len(bindings) == 6
    assert {r["component"] for r in bindings} == {"kube-scheduler"}


def test_a_fair_share_takes_each_clients_newest_calls_in_turn() -> None:
    calls = [
        SimpleNamespace(seq=seq, component=component, actor="", resource="pods", verb="update", namespace="")
        for seq, component in enumerate(
            ["kubelet/worker-1"] * 6 + ["kube-scheduler"] * 2 + ["kubelet/worker-2"] * 4, start=1
        )
    ]
    kept, skipped, only_heartbeats = api_stream.pick(calls, limit=6)
    # kubelets (all nodes together) and the scheduler alternate, newest first: 12, 8, 11, 7, 10, 9
    assert [c.seq for c in kept] == [7, 8, 9, 10, 11, 12]
    assert (skipped, only_heartbeats) == (6, False)
