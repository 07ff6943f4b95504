"""The nodes x plugins decision table of one scheduling attempt (see `explain.py` for the
paragraph that goes with it).

One row per node of the cluster (evaluated or not), a column per Filter plugin (✓, the
plugin's reason, "skipped" when its PreFilter said there was nothing to check, "not run" after
an earlier Filter already rejected the node), then per Score plugin `raw → normalised × weight
= weighted`, the total, and which node was chosen; plus the PreFilter rejection and the
PostFilter (preemption) outcome. Built from the attempt's `Diagnosis`; the scheduler keeps the
last attempt per pod only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .framework import Diagnosis

NO_RECORD = (
    "kube-scheduler has no record of this pod — it was scheduled before the scheduler restarted, "
    "or it names its node"
)
PASSED = "✓"
SKIPPED = "skipped (nothing to check for this pod)"
NOT_RUN = "not run"  # an earlier Filter already rejected the node
NOT_EVALUATED = "not evaluated — numFeasibleNodesToFind reached"
NOT_EVALUATED_NOMINATED = "not evaluated — the nominated node was tried first, and fit"
NOT_CACHED = "not in the scheduler's cache at the time of this attempt"
NOT_SCORED_NOMINATED = "not scored: the node an earlier preemption nominated fit"
NOT_SCORED_ONE = "not scored: it was the only feasible node"

# ---------------------------------------------------------------------------------------------
# The table


@dataclass(frozen=True)
class Cell:
    """One table cell: its text and its state (`pass`, `fail`, `skipped`, `not-run`, `score`)."""

    text: str
    state: str


@dataclass(frozen=True)
class ScoreColumn:
    plugin: str
    weight: int
    skipped: bool  # PreScore said Skip: nothing to score for this pod


@dataclass(frozen=True)
class NodeRow:
    node: str
    verdict: str  # "chosen", "feasible", "filtered out", "rejected by PreFilter", "not evaluated"
    filters: list[Cell]
    scores: list[Cell]
    total: int | None
    chosen: bool = False
    note: str = ""  # for a row without cells: why the attempt never looked at the node


@dataclass(frozen=True)
class DecisionTable:
    pod: str
    time: float
    filter_plugins: list[str]
    score_columns: list[ScoreColumn]
    rows: list[NodeRow]
    selected: str | None
    scored: bool  # Score ran (more than one node passed the filters)
    fit_error: str = ""  # the FailedScheduling message, when no node fit
    pre_filter_plugin: str = ""
    pre_filter_msg: str = ""
    post_filter_msg: str = ""
    nominated_node: str | None = None
    bind_error: str = ""
    skipped_filter_plugins: list[str] = field(default_factory=list)
    skipped_score_plugins: list[str] = field(default_factory=list)


def _filter_cells(d: Diagnosis, node: str) -> list[Cell]:
    status = d.node_status.get(node)
    cells = []
    rejected = False
    for plugin in d.filter_plugins:
        if rejected:
            cells.append(Cell(NOT_RUN, "not-run"))
        elif status is not None and d.pre_filter_plugin:
            # PreFilter rejected the pod: every node carries its status, no Filter ran.
            if plugin == status.plugin:
                cells.append(Cell(status.message(), "fail"))
            else:
                cells.append(Cell(NOT_RUN, "not-run"))
        elif plugin in d.skipped_filter_plugins:
            cells.append(Cell(SKIPPED, "skipped"))
        elif status is not None and status.plugin == plugin:
            cells.append(Cell(status.message(), "fail"))
            rejected = True
        else:
            cells.append(Cell(PASSED, "pass"))
    if d.pre_filter_plugin and d.pre_filter_plugin not in d.filter_plugins:
        # A PreFilter-only plugin rejected the pod: its column is not among the filters.
        cells.insert(0, Cell(d.pre_filter_msg, "fail"))
    return cells


def _score_cells(d: Diagnosis, columns: list[ScoreColumn], node: str) -> list[Cell]:
    cells = []
    for col in columns:
        if col.skipped:
            cells.append(Cell(SKIPPED, "skipped"))
            continue
        scores = d.plugin_scores.get(col.plugin)
        if scores is None or node not in scores.raw:
            cells.append(Cell("", "not-run"))
            continue
        raw, normalized = scores.raw[node], scores.normalized[node]
        weighted = normalized * scores.weight
        cells.append(Cell(f"{raw} → {normalized} × {scores.weight} = {weighted}", "score"))
    return cells


def natural_order(name: str) -> list[Any]:
    """Sort key: worker-2 before worker-10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def took_nominated_node(d: Diagnosis) -> bool:
    """`evaluateNominatedNode`: a pod an earlier preemption nominated (status.nominatedNodeName)
    tries that node alone first, and takes it without scoring when it passes the filters."""
    nominated = (d.subject.get("status") or {}).get("nominatedNodeName")
    return bool(nominated) and d.selected == nominated and d.nodes_evaluated == 1 and not d.node_status


def decision_table(d: Diagnosis, nodes: Iterable[str] = ()) -> DecisionTable:
    """The attempt as a nodes × plugins table. `nodes` are the cluster's nodes now: one the
    attempt never looked at gets a row saying why."""
    scored = bool(d.totals)
    columns: list[ScoreColumn] = []
    if scored:
        for plugin, weight in d.score_weights.items():
            skipped = plugin in d.skipped_score_plugins
            if skipped or plugin in d.plugin_scores:
                w = d.plugin_scores[plugin].weight if plugin in d.plugin_scores else weight
                columns.append(ScoreColumn(plugin, w, skipped))
        for plugin, scores in d.plugin_scores.items():  # a plugin the weights did not list
            if plugin not in d.score_weights:
                columns.append(ScoreColumn(plugin, scores.weight, False))
    filter_plugins = list(d.filter_plugins)
    if d.pre_filter_plugin and d.pre_filter_plugin not in filter_plugins:
        filter_plugins.insert(0, d.pre_filter_plugin)
    evaluated = set(d.node_status) | set(d.feasible)
    rows = []
    for node in sorted(evaluated | set(nodes), key=natural_order):
        if node not in evaluated:
            # Filtering stops early only once enough nodes passed; otherwise the node is newer.
            stopped_early = bool(d.feasible) and d.nodes_evaluated < d.num_all_nodes
            note = NOT_EVALUATED if stopped_early else NOT_CACHED
            if took_nominated_node(d):
                note = NOT_EVALUATED_NOMINATED
            rows.append(NodeRow(node, "not evaluated", [], [], None, note=note))
            continue
        chosen = node == d.selected
        if node in d.node_status:
            verdict = "rejected by PreFilter" if d.pre_filter_plugin else "filtered out"
        else:
            verdict = "chosen" if chosen else "feasible"
        scores = _score_cells(d, columns, node) if node in d.totals else []
        note = NOT_SCORED_ONE if chosen and not scored else ""
        if chosen and took_nominated_node(d):
            note = NOT_SCORED_NOMINATED
        rows.append(
            NodeRow(
                node, verdict, _filter_cells(d, node), scores, d.totals.get(node), chosen=chosen, note=note
            )
        )
    return DecisionTable(
        pod=d.pod,
        time=d.time,
        filter_plugins=filter_plugins,
        score_columns=columns,
        rows=rows,
        selected=d.selected,
        scored=scored,
        fit_error=d.fit_error() if d.selected is None and d.num_all_nodes else "",
        pre_filter_plugin=d.pre_filter_plugin,
        pre_filter_msg=d.pre_filter_msg,
        post_filter_msg=d.post_filter_msg,
        nominated_node=d.nominated_node,
        bind_error=d.bind_error,
        skipped_filter_plugins=list(d.skipped_filter_plugins),
        skipped_score_plugins=list(d.skipped_score_plugins),
    )


# ---------------------------------------------------------------------------------------------
# Plain words for quantities and lists
