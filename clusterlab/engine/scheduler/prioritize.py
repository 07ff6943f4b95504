"""Scoring the nodes that passed the filters, and picking one.

As `pkg/scheduler/schedule_one.go` (`prioritizeNodes`, `selectHost`): PreScore plugins run once
(a `Skip` leaves that plugin's Score out), each Score plugin scores every feasible node, its
NormalizeScore (when it has one) maps the scores to 0–100, and the weighted sum decides; ties
are broken at random from the seeded source (`selection.select_host`).

Simplified: no score extenders; the columns are summed as numpy int64 arrays while the scores
and weights are small enough for that to be exact, and as Python ints otherwise.
"""

from __future__ import annotations

import operator
import random
from collections.abc import Sequence
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt

from .framework import SKIP, CycleState, Diagnosis, NodeInfo, PluginScores, ScorePlugin, Status
from .node_columns import STATE_KEY as COLUMNS_KEY
from .profiles import Framework
from .selection import select_host

Obj = dict[str, Any]


def prioritize_nodes(
    fw: Framework,
    rng: random.Random,
    state: CycleState,
    pod: Obj,
    feasible: list[NodeInfo],
    names: tuple[str, ...],
    diagnosis: Diagnosis,
) -> None:
    """`prioritizeNodes` then `selectHost`: PreScore, each Score plugin's column (normalized
    when the plugin normalizes) times its weight, summed per node; the highest total wins.
    Every column is kept with the Diagnosis (`plugin_scores`) for the explanation."""
    skipped: set[str] = set()
    for plugin in fw.pre_scores:
        st: Status = plugin.pre_score(state, pod, feasible)
        if st.code == SKIP:
            skipped.add(plugin.name)
    diagnosis.skipped_score_plugins = sorted(skipped)
    totals = np.zeros(len(feasible), dtype=np.int64)
    exact: list[int] | None = None  # Python ints, once a column leaves int64's safe range
    for plugin, weight in fw.scores:
        if plugin.name in skipped:
            continue
        raw = plugin.score_many(state, pod, feasible)
        kind = type(plugin)
        if kind.normalize is ScorePlugin.normalize and kind.normalize_many is ScorePlugin.normalize_many:
            normalized = raw  # no NormalizeScore: the column is its raw scores
        else:
            normalized = plugin.normalize_many(state, pod, names, raw)
        diagnosis.plugin_scores[plugin.name] = PluginScores(weight, names, raw, normalized)
        if len(normalized) != len(names):
            raise ValueError(f"{plugin.name} scored {len(normalized)} of {len(names)} nodes")
        column = _int64_column(normalized, weight)
        if exact is None and column is not None:
            totals += column if weight == 1 else column * weight
            continue
        if exact is None:
            exact = totals.tolist()
        exact = list(map(operator.add, exact, map(operator.mul, map(int, normalized), repeat(weight))))
    state.pop(COLUMNS_KEY, None)  # the scored nodes' columns: not kept with the Diagnosis
    diagnosis.scored_nodes = names
    if exact is None:
        diagnosis.total_scores = totals.tolist()
        diagnosis.selected = names[select_host(totals, rng)]
    else:
        diagnosis.total_scores = exact
        diagnosis.selected = names[select_host(exact, rng)]


SAFE = 1 << 30  # |score| and |weight| below this: a weighted sum of a few hundred stays in int64


def _int64_column(scores: Sequence[int] | npt.NDArray[np.int64], weight: int) -> npt.NDArray[np.int64] | None:
    """A score column as int64 when it and its weight are small enough for exact sums."""
    if not -SAFE < weight < SAFE:
        return None
    try:
        column = scores if isinstance(scores, np.ndarray) else np.array(scores, dtype=np.int64)
    except OverflowError:
        return None
    if column.dtype != np.int64 or (len(column) and (column.max() >= SAFE or column.min() <= -SAFE)):
        return None
    return column
