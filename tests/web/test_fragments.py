"""Fragments: which partial renders which part of the board, and what counts as a change."""

from __future__ import annotations

import copy

from clusterlab.engine import Cluster
from clusterlab.labs.fragments import (
    FragmentTracker,
    board_fragments,
    render_error,
    render_fragments,
    top_level,
)
from clusterlab.labs.runner import LabRunner


def a_board() -> dict:  # type: ignore[type-arg]
    return LabRunner("lab1", Cluster.from_scenario("default", seed=7)).board()


def ids(fragments: list) -> list[str]:  # type: ignore[type-arg]
    return [f.dom_id for f in fragments]


def test_every_fragment_renders_an_element_with_its_own_id() -> None:
    for fragment in board_fragments(a_board()):
        html = fragment.render().strip()
        assert html.startswith("<"), fragment.dom_id
        assert f'id="{fragment.dom_id}"' in html.split(">", 1)[0], fragment.dom_id


def test_a_changed_card_is_sent_alone_and_a_new_node_resends_the_panel() -> None:
    board = a_board()
    tracker = FragmentTracker()
    assert "nodes" in ids(tracker.changed(board_fragments(board)))
    assert tracker.changed(board_fragments(board)) == []

    changed = copy.deepcopy(board)
    changed["nodes"][2]["status"] = "NotReady"
    assert ids(tracker.changed(board_fragments(changed))) == ["node-worker-2"]

    grown = copy.deepcopy(changed)
    extra = copy.deepcopy(grown["nodes"][3])
    extra.update(name="worker-4", dom_id="node-worker-4")
    grown["nodes"].append(extra)
    assert ids(tracker.changed(board_fragments(grown))) == ["nodes"]


def test_a_full_refresh_renders_each_node_once_inside_the_panel() -> None:
    html = render_fragments(top_level(board_fragments(a_board())))
    for node in ("control-plane", "worker-1", "worker-2", "worker-3"):
        assert html.count(f'id="node-{node}"') == 1


def test_error_notice_is_escaped_and_can_be_cleared() -> None:
    shown = render_error('pods "<script>" not found')
    assert "&lt;script&gt;" in shown and "<script>" not in shown
    assert 'id="lab-error"' in shown
    assert "lab-error--empty" in render_error("")
