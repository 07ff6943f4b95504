"""Node selection: how many feasible nodes to look for, the Filter walk, and selectHost.

kube-scheduler's `findNodesThatPassFilters` walks the nodes from where the previous cycle
stopped and stops once `numFeasibleNodesToFind` passed; `selectHost` picks the best total,
breaking ties by reservoir sampling. The walk here runs in batches through each plugin's
`filter_many` and the tie-break draws the seeded random source exactly as often as the
node-by-node versions would (tests/engine/test_scheduler_batch.py holds them to that).
"""

from __future__ import annotations

import operator
import random
from collections.abc import Sequence
from itertools import accumulate, compress, repeat
from typing import Any

import numpy as np
import numpy.typing as npt

from .framework import OK, SUCCESS, CycleState, FilterPlugin, NodeInfo, Status
from .node_columns import Column, Rows, remember_rows

Obj = dict[str, Any]
MIN_FEASIBLE_NODES = 100
MIN_FEASIBLE_PERCENTAGE = 5


def num_feasible_nodes_to_find(num_nodes: int, percentage: int = 0) -> int:
    """`numFeasibleNodesToFind` from kube-scheduler's schedule_one.go."""
    if num_nodes < MIN_FEASIBLE_NODES or percentage >= 100:
        return num_nodes
    adaptive = percentage
    if adaptive <= 0:
        adaptive = max(50 - num_nodes // 125, MIN_FEASIBLE_PERCENTAGE)
    return max(num_nodes * adaptive // 100, MIN_FEASIBLE_NODES)


def select_host(totals: Sequence[int] | Column, rng: random.Random) -> int:
    """selectHost: the index of the best total, ties broken by reservoir sampling as
    kube-scheduler does — walking the nodes in order, each node that equals the best so far
    replaces it with probability 1/(number of such nodes seen).

    The random source is drawn exactly as often as that walk draws it, but only the walk from
    the first node at the overall maximum decides the result: before it, each node equal to
    (not above) the running maximum only consumes a draw. Over an int64 column the draws are
    taken in one `getrandbits` call whose 32-bit words are exactly the words `random()` would
    consume two at a time (CPython's Mersenne Twister: `random()` is
    `((a >> 5) * 2**26 + (b >> 6)) / 2**53`), so the counting and the sampling are array
    arithmetic; any other input walks in Python."""
    if len(totals) == 0:
        return 0
    if isinstance(totals, np.ndarray) and totals.dtype == np.int64 and type(rng) is random.Random:
        return _select_host_column(totals, rng)
    totals = list(totals)
    running = list(accumulate(totals, max))
    top = running[-1]
    first = totals.index(top)
    rand = rng.random
    if first:
        head = running[:first]
        at_max = sum(map(operator.eq, totals[:first], head))
        for _ in repeat(None, at_max - len(set(head))):  # the ties before `first`: draws only
            rand()
    best, ties = first, 1
    for i in compress(range(first + 1, len(totals)), map(operator.eq, totals[first + 1 :], repeat(top))):
        ties += 1
        if rand() * ties < 1.0:
            best = i
    return best


def _select_host_column(totals: Column, rng: random.Random) -> int:
    first = int(np.argmax(totals))  # the first node at the maximum
    if first:
        head = totals[:first]
        running = np.maximum.accumulate(head)
        raises = int(np.count_nonzero(running[1:] != running[:-1])) + 1
        _skip(rng, int(np.count_nonzero(head == running)) - raises)
    ties = np.flatnonzero(totals[first + 1 :] == totals[first])
    if not len(ties):
        return first
    draws = _draws(rng, len(ties))
    hits = np.flatnonzero(draws * np.arange(2, len(ties) + 2, dtype=np.float64) < 1.0)
    return first + 1 + int(ties[hits[-1]]) if len(hits) else first


def _skip(rng: random.Random, count: int) -> None:
    """Advance the source past `count` calls of `random()` (two 32-bit words each)."""
    if count > 0:
        rng.getrandbits(64 * count)


def _draws(rng: random.Random, count: int) -> npt.NDArray[np.float64]:
    """The next `count` values `rng.random()` would return, drawing the source as far."""
    words = np.frombuffer(rng.getrandbits(64 * count).to_bytes(8 * count, "little"), dtype="<u4")
    pairs = words.reshape(count, 2).astype(np.uint64)
    mantissa = (pairs[:, 0] >> np.uint64(5)) * np.uint64(67108864) + (pairs[:, 1] >> np.uint64(6))
    return mantissa.astype(np.float64) * (1.0 / 9007199254740992.0)


def filter_nodes(
    state: CycleState,
    pod: Obj,
    filters: list[FilterPlugin],
    order: list[NodeInfo],
    want: int,
    rows: Rows | None = None,
    start: int = 0,
) -> tuple[list[NodeInfo], list[tuple[NodeInfo, Status]], int]:
    """Filter the nodes of `order`, beginning at index `start` and wrapping around, until
    `want` pass: (feasible nodes, failed nodes with the first failing status, in the order
    walked, and how many nodes were processed).

    The same verdicts as running each node through the filters in turn and stopping at the
    `want`-th feasible node, computed in batches: each round takes just as many of the next
    nodes as are still wanted (so it can never overshoot) and runs every filter's
    `filter_many` over the nodes that are still in. With `rows` (the cache table's rows of
    `order`) every batch handed to a plugin, and the feasible list, has its rows registered in
    the state for the plugins' column reads."""
    feasible: list[NodeInfo] = []
    failures: list[tuple[int, NodeInfo, Status]] = []
    feasible_rows: list[npt.NDArray[np.intp]] = []
    pos, n = 0, len(order)
    start = start % n if n else 0
    while pos < n and len(feasible) < want:
        size = min(want - len(feasible), n - pos)
        at = (start + pos) % n
        if at + size <= n:
            chunk = order[at : at + size]
            chunk_rows = rows[1][at : at + size] if rows is not None else None
        else:  # the walk wraps around the end of the node list
            chunk = order[at:] + order[: at + size - n]
            chunk_rows = (
                np.concatenate((rows[1][at:], rows[1][: at + size - n])) if rows is not None else None
            )
        positions: range | list[int] = range(pos, pos + size)
        if rows is not None:
            remember_rows(state, chunk, (rows[0], chunk_rows))  # type: ignore[arg-type]
        pos += size
        for plugin in filters:
            if not chunk:
                break
            statuses = plugin.filter_many(state, pod, chunk)
            if statuses.count(OK) == len(chunk):  # (identity first: one C-level pass)
                continue
            kept: list[NodeInfo] = []
            kept_at: list[int] = []
            local: list[int] = []
            for i, (p, info, st) in enumerate(zip(positions, chunk, statuses, strict=True)):
                if st is OK or st.code == SUCCESS:
                    kept.append(info)
                    kept_at.append(p)
                    local.append(i)
                else:
                    failures.append((p, info, st))
            chunk, positions = kept, kept_at
            if rows is not None:
                chunk_rows = chunk_rows[np.array(local, dtype=np.intp)]  # type: ignore[index]
                remember_rows(state, chunk, (rows[0], chunk_rows))
        feasible.extend(chunk)
        if rows is not None:
            feasible_rows.append(chunk_rows)  # type: ignore[arg-type]
    if rows is not None:
        joined = (
            feasible_rows[0] if len(feasible_rows) == 1 else np.concatenate([rows[1][:0], *feasible_rows])
        )
        remember_rows(state, feasible, (rows[0], joined))
    return feasible, [(info, st) for _, info, st in sorted(failures, key=lambda f: f[0])], pos
