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
from itertools import accumulate, compress, repeat
from typing import Any

from .framework import OK, SUCCESS, CycleState, FilterPlugin, NodeInfo, Status

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


def select_host(totals: list[int], rng: random.Random) -> int:
    """selectHost: the index of the best total, ties broken by reservoir sampling as
    kube-scheduler does — walking the nodes in order, each node that equals the best so far
    replaces it with probability 1/(number of such nodes seen).

    The random source is drawn exactly as often as that walk draws it, but only the walk from
    the first node at the overall maximum decides the result: before it, each node equal to
    (not above) the running maximum only consumes a draw, and those are counted in C-level
    passes (every node at the running maximum, less the ones that raised it) and drawn in a
    bare loop."""
    if not totals:
        return 0
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


def filter_nodes(
    state: CycleState, pod: Obj, filters: list[FilterPlugin], order: list[NodeInfo], want: int
) -> tuple[list[NodeInfo], list[tuple[NodeInfo, Status]], int]:
    """Filter nodes in `order` until `want` pass: (feasible nodes, failed nodes with the first
    failing status, in node order, and how many nodes were processed).

    The same verdicts as running each node through the filters in turn and stopping at the
    `want`-th feasible node, computed in batches: each round takes just as many of the next
    nodes as are still wanted (so it can never overshoot) and runs every filter's
    `filter_many` over the nodes that are still in."""
    feasible: list[NodeInfo] = []
    failures: list[tuple[int, NodeInfo, Status]] = []
    pos, n = 0, len(order)
    while pos < n and len(feasible) < want:
        chunk = order[pos : pos + want - len(feasible)]
        positions: range | list[int] = range(pos, pos + len(chunk))
        pos += len(chunk)
        for plugin in filters:
            if not chunk:
                break
            statuses = plugin.filter_many(state, pod, chunk)
            if statuses.count(OK) == len(chunk):  # (identity first: one C-level pass)
                continue
            kept: list[NodeInfo] = []
            kept_at: list[int] = []
            for at, info, st in zip(positions, chunk, statuses, strict=True):
                if st is OK or st.code == SUCCESS:
                    kept.append(info)
                    kept_at.append(at)
                else:
                    failures.append((at, info, st))
            chunk, positions = kept, kept_at
        feasible.extend(chunk)
    return feasible, [(info, st) for _, info, st in sorted(failures, key=lambda f: f[0])], pos
