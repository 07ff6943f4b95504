"""The lab page's fragments: which template partial shows which part of the board.

Each fragment is a top-level element with a DOM id, rendered by one ``{% partialdef %}`` in
``labs/lab.html``. The first page render uses the same partials inline; websocket pushes render
them alone and htmx's ws extension swaps each one into the page by its id.

Some fragments contain others (the ``nodes`` panel contains one card per node). A container's
``key`` only holds what decides its own markup (which children exist, in which order), so a pod
changing status re-sends one node card, not the whole panel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string

from clusterlab.labs import ingress_map, service_map

TEMPLATE = "labs/lab.html"
API_CALLS = "api-calls"
API_CALLS_LIST = "api-call-list"
_MISSING = object()


@dataclass(frozen=True)
class Fragment:
    """One swappable element: its DOM id, partial, template context and comparison key."""

    dom_id: str
    partial: str
    context: dict[str, Any]
    key: Any
    parent: str | None = None

    def render(self) -> str:
        """Render this fragment's partial to HTML."""
        return render_to_string(f"{TEMPLATE}#{self.partial}", self.context)


def page_context(board: dict[str, Any]) -> dict[str, Any]:
    """The context the whole lab page renders with (every partial finds its variables here)."""
    return dict(board)


def board_fragments(board: dict[str, Any]) -> list[Fragment]:
    """All fragments of a board, containers before their children."""
    clock = board["clock"]
    fragments = [
        Fragment("clock", "clock", {"clock": clock}, clock["time"]),
        Fragment(
            "controls", "controls", {"clock": clock}, (clock["paused"], clock["speed"], clock["behind"])
        ),
        Fragment("summary", "summary", {"summary": board["summary"]}, board["summary"]),
        Fragment(
            "control-plane",
            "control_plane",
            {
                "control_plane": board["control_plane"],
                "control_plane_alerts": board["control_plane_alerts"],
                "snapshots": board["snapshots"],
                "upgrade": board["upgrade"],
            },
            # etcd's log index moves with every write: a component's row is its own fragment, so
            # a busy cluster re-sends one row, not the panel with its forms.
            (
                [c["key"] for c in board["control_plane"]],
                board["control_plane_alerts"],
                board["snapshots"],
                board["upgrade"],
            ),
        ),
        # Its own fragment, re-sent only when the file changes: a textarea being edited survives
        # the control plane's frequent changes.
        Fragment(
            "scheduler-config",
            "scheduler_config",
            {"scheduler_config": board["scheduler_config"]},
            board["scheduler_config"],
        ),
        Fragment(
            "nodes",
            "nodes",
            {"nodes": board["nodes"]},
            [card["name"] for card in board["nodes"]],
        ),
    ]
    fragments += [
        Fragment(c["key"], "component", {"component": c}, c, parent="control-plane")
        for c in board["control_plane"]
    ]
    fragments += [
        Fragment(card["dom_id"], "node", {"node": card}, card, parent="nodes") for card in board["nodes"]
    ]
    fragments.append(Fragment("pending", "pending", {"pending": board["pending"]}, board["pending"]))
    fragments.append(
        Fragment(
            "deployments",
            "deployments",
            {"deployments": board["deployments"]},
            [(d["dom_id"], d["namespace"], d["name"], d["desired"]) for d in board["deployments"]],
        )
    )
    fragments += [
        Fragment(f"{d['dom_id']}-status", "deployment_status", {"deployment": d}, d, parent="deployments")
        for d in board["deployments"]
    ]
    workloads = board["workloads"]
    fragments.append(Fragment("workloads", "workloads", {"workloads": workloads}, workloads))
    ingresses = board["ingresses"]
    fragments.append(
        Fragment(
            "ingresses",
            "ingresses",
            {"ingresses": ingresses},
            (
                [i["dom_id"] for i in ingresses["ingresses"]],
                {k: v for k, v in ingresses.items() if k not in ("ingresses", "controller")},
                ingresses["controller"] and ingresses["controller"]["service"],
            ),
        )
    )
    fragments += [
        Fragment(i["dom_id"], "ingress", {"ingress": i}, ingress_map.drawing(i), parent="ingresses")
        for i in ingresses["ingresses"]
    ]
    services = board["services"]
    fragments.append(
        Fragment(
            "services",
            "services",
            {"services": services},
            (
                [s["dom_id"] for s in services["services"]],
                {k: v for k, v in services.items() if k != "services"},
            ),
        )
    )
    fragments += [
        Fragment(s["dom_id"], "service", {"service": s}, service_map.drawing(s), parent="services")
        for s in services["services"]
    ]
    # The map's counters and line widths move every second: sent as JSON, applied in place.
    live = service_map.live_values(services).merge(ingress_map.live_values(ingresses)).as_dict()
    fragments.append(Fragment("network-live", "network_live", {"network_live": live}, live))
    fragments.append(Fragment("storage", "storage", {"storage": board["storage"]}, board["storage"]))
    fragments.append(Fragment("events", "events", {"events": board["events"]}, board["events"]))
    # The stream's rows are only sent whole with the panel (first render, reconnect); after
    # that new calls are appended (`api_calls_push`). Its filters grow with the clients seen.
    fragments.append(
        Fragment(
            API_CALLS,
            "api_calls",
            {"api_calls": board["api_calls"], "api_filters": board["api_filters"]},
            API_CALLS,
        )
    )
    fragments.append(
        Fragment(
            "api-filters",
            "api_filters",
            {"api_filters": board["api_filters"]},
            board["api_filters"],
            parent=API_CALLS,
        )
    )
    return fragments


def api_calls_push(push: dict[str, Any]) -> Fragment:
    """New API calls, inserted at the top of the stream's list (an `afterbegin` swap)."""
    return Fragment(
        API_CALLS_LIST, "api_calls_push", push, push["api_calls"][0]["seq"] if push["api_calls"] else 0
    )


def top_level(fragments: list[Fragment]) -> list[Fragment]:
    """The fragments that are not inside another one (what a full refresh sends)."""
    return [f for f in fragments if f.parent is None]


class FragmentTracker:
    """Remembers the keys last published, and picks out the fragments that changed since."""

    def __init__(self) -> None:
        self._sent: dict[str, Any] = {}

    def changed(self, fragments: list[Fragment]) -> list[Fragment]:
        """Fragments whose key differs from the last one sent (a changed container covers its children)."""
        changed_ids = {f.dom_id for f in fragments if self._sent.get(f.dom_id, _MISSING) != f.key}
        self._sent = {f.dom_id: f.key for f in fragments}
        return [f for f in fragments if f.dom_id in changed_ids and f.parent not in changed_ids]


def render_fragments(fragments: list[Fragment]) -> str:
    """Concatenate the fragments' HTML: one websocket message, each top-level element swapped by id."""
    return "\n".join(fragment.render() for fragment in fragments)


def render_error(message: str) -> str:
    """The error notice shown to one client (bad command, API error)."""
    return render_to_string(f"{TEMPLATE}#lab_error", {"error": message})
