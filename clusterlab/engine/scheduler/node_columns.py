"""Per-node resource numbers of a batch of NodeInfos as numpy columns, for the batch plugins.

kube-scheduler runs Filter and Score on 16 goroutines, one node at a time; here the hot
resource plugins (NodeResourcesFit, NodeResourcesBalancedAllocation) answer a whole batch of
nodes with array arithmetic instead of a Python call per node. The scheduler's cache keeps
every node's numbers in a `NodeTable` (each NodeInfo writes its row as pods are added and
removed), so a batch's columns are one indexed read of the arrays; the scored nodes' columns
are read once per attempt and kept in the CycleState for the list they were read from. Nodes
outside a table (a preemption dry run's copies) are read attribute by attribute.

The table also keeps boolean *flag* columns for the node properties most nodes lack (any
taint, `spec.unschedulable`, any image listed): a plugin asks which nodes of a batch carry the
flag (`flagged`) and calls its per-node code only for those — usually none.

A batch is named by the list object the scheduler hands the plugins: the Filter walk and the
scored list register their rows in the attempt's CycleState (`remember_rows`), so a plugin's
`rows_for` is a dictionary lookup rather than a walk over the nodes.

Exactness: every column is int64 and is used only while all its values are below `LIMIT`
(2**46), so sums stay exact, `x * 100` cannot overflow and the conversion to float64 for a
fraction is exact — the results are bit for bit those of the per-node Python formulas.
A batch with a larger value (or none that fits int64) gets `None`, and the plugin falls back
to its per-node path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from .framework import CycleState, NodeInfo

Column = npt.NDArray[np.int64]
T = TypeVar("T")
LIMIT = 1 << 46
STATE_KEY = "NodeColumns"
ROWS_KEY = "NodeRows"
Rows = tuple["NodeTable", npt.NDArray[np.intp]]

_GETTERS = {
    "pods": attrgetter("pods"),
    "allowed_pods": attrgetter("allowed_pods"),
    "alloc_cpu": attrgetter("allocatable.milli_cpu"),
    "alloc_mem": attrgetter("allocatable.memory"),
    "req_cpu": attrgetter("requested.milli_cpu"),
    "req_mem": attrgetter("requested.memory"),
    "nz_cpu": attrgetter("non_zero_requested.milli_cpu"),
    "nz_mem": attrgetter("non_zero_requested.memory"),
}
_FLAGS = {
    "tainted": attrgetter("taints"),
    "unschedulable": attrgetter("unschedulable"),
    "has_images": attrgetter("images"),
}
_TABLE = attrgetter("table")
_ROW = attrgetter("row")


NAMES = tuple(_GETTERS)  # the matrix's rows, in the order `NodeTable.write` fills them
_INDEX = {name: i for i, name in enumerate(NAMES)}
SCORED = ("alloc_cpu", "alloc_mem", "req_cpu", "req_mem", "nz_cpu", "nz_mem")


class NodeTable:
    """The scheduler cache's per-node numbers as one int64 matrix (a row per number in
    `NAMES`, a column per NodeInfo attached to it), kept current by the NodeInfo itself
    (`NodeInfo.attach`, `add_pod`, `remove_pod`, `set_node`), so that a batch's numbers are
    one indexed read instead of a walk over the nodes. A node holding a value outside the
    exact range is flagged, and a batch touching it reads the NodeInfos instead."""

    def __init__(self, capacity: int = 64) -> None:
        self.matrix = np.zeros((len(NAMES), capacity), dtype=np.int64)
        self.inexact = np.zeros(capacity, dtype=bool)
        self.inexact_count = 0
        self.flags: dict[str, npt.NDArray[np.bool_]] = {
            name: np.zeros(capacity, dtype=bool) for name in _FLAGS
        }
        self.flag_counts = dict.fromkeys(_FLAGS, 0)  # rows with the flag set
        self.free: list[int] = []
        self.used = 0

    @property
    def cols(self) -> dict[str, Column]:
        """Each number's column (views of the matrix)."""
        return {name: self.matrix[i] for i, name in enumerate(NAMES)}

    def new_row(self) -> int:
        if self.free:
            return self.free.pop()
        if self.used == len(self.inexact):
            size = 2 * len(self.inexact)
            grown = np.zeros((len(NAMES), size), dtype=np.int64)
            grown[:, : self.matrix.shape[1]] = self.matrix
            self.matrix = grown
            for name, flag in self.flags.items():
                bigger = np.zeros(size, dtype=bool)
                bigger[: len(flag)] = flag
                self.flags[name] = bigger
            inexact = np.zeros(size, dtype=bool)
            inexact[: len(self.inexact)] = self.inexact
            self.inexact = inexact
        self.used += 1
        return self.used - 1

    def release(self, row: int) -> None:
        for name, flag in self.flags.items():
            if flag[row]:
                flag[row] = False
                self.flag_counts[name] -= 1
        self._set_inexact(row, False)
        self.free.append(row)

    def _set_flag(self, name: str, row: int, value: bool) -> None:
        flag = self.flags[name]
        if bool(flag[row]) != value:
            flag[row] = value
            self.flag_counts[name] += 1 if value else -1

    def _set_inexact(self, row: int, value: bool) -> None:
        if bool(self.inexact[row]) != value:
            self.inexact[row] = value
            self.inexact_count += 1 if value else -1

    def write(self, row: int, info: NodeInfo) -> None:
        """Copy the NodeInfo's numbers into its row."""
        values = [len(info.pods), info.allowed_pods]
        alloc, req, nz = info.allocatable, info.requested, info.non_zero_requested
        values += (alloc.milli_cpu, alloc.memory, req.milli_cpu, req.memory, nz.milli_cpu, nz.memory)
        if all(-LIMIT < v < LIMIT for v in values):
            self.matrix[:, row] = values
            self._set_inexact(row, False)
        else:
            for i, v in enumerate(values):
                if -LIMIT < v < LIMIT:
                    self.matrix[i, row] = v
            self._set_inexact(row, True)

    def write_flags(self, row: int, info: NodeInfo) -> None:
        """Copy the NodeInfo's node properties (taints, unschedulable, images) into its row;
        they change only with the Node, not with its pods."""
        for name, getter in _FLAGS.items():
            self._set_flag(name, row, bool(getter(info)))


def remember_rows(state: CycleState, nodes: Sequence[NodeInfo], rows: Rows) -> None:
    """Register the table rows of a batch the scheduler is about to hand to plugins."""
    registry = state.get(ROWS_KEY)
    if registry is None:
        registry = state[ROWS_KEY] = {}
    registry[id(nodes)] = (nodes, rows)


def rows_for(state: CycleState | None, nodes: Sequence[NodeInfo]) -> Rows | None:
    """The table and rows of a batch: registered, or read from the nodes when they all belong
    to one table; None when they do not (copies made for a preemption dry run)."""
    registry = state.get(ROWS_KEY) if state is not None else None
    if registry:
        hit = registry.get(id(nodes))
        if hit is not None and hit[0] is nodes:
            return hit[1]  # type: ignore[no-any-return]
    tables = set(map(_TABLE, nodes))
    if len(tables) != 1 or (table := tables.pop()) is None:
        return None
    return table, np.fromiter(map(_ROW, nodes), dtype=np.intp, count=len(nodes))


def flagged(state: CycleState | None, nodes: Sequence[NodeInfo], flag: str) -> list[int] | None:
    """The positions in `nodes` of the nodes with `flag` set (`tainted`, `unschedulable`,
    `has_images`); None when the batch is not in a table (ask each node instead)."""
    hit = rows_for(state, nodes)
    if hit is None:
        return None
    table, rows = hit
    if not table.flag_counts[flag]:
        return []
    out: list[int] = np.flatnonzero(table.flags[flag][rows]).tolist()
    return out


def per_flagged_node(
    state: CycleState | None,
    nodes: Sequence[NodeInfo],
    flag: str,
    call: Callable[[NodeInfo], T],
    default: T,
) -> list[T]:
    """`call(node)` for the nodes with `flag` set and `default` for the rest, in node order:
    a plugin's batch answer when only flagged nodes (tainted, cordoned) need looking at."""
    at = flagged(state, nodes, flag)
    if at is None:
        has = _FLAGS[flag]
        return [call(n) if has(n) else default for n in nodes]
    out = [default] * len(nodes)
    for i in at:
        out[i] = call(nodes[i])
    return out


def columns(
    nodes: Sequence[NodeInfo], names: Sequence[str], state: CycleState | None = None
) -> list[Column] | None:
    """One number per node, in order, for each of `names` (`pods` is the pod count); None when
    a value is out of the exact range. Nodes of one NodeTable are read from its arrays (rows
    registered in `state`, or one walk over the nodes for them); others from the NodeInfos,
    one walk per column."""
    hit = rows_for(state, nodes)
    if hit is not None:
        table, rows = hit
        if table.inexact_count and table.inexact[rows].any():
            return None
        block = table.matrix.take(rows, axis=1)  # every number of the batch in one copy
        return [block[_INDEX[name]] for name in names]
    out: list[Column] = []
    for name in names:
        values: Any = map(_GETTERS[name], nodes)
        if name == "pods":
            values = map(len, values)
        try:
            col = np.fromiter(values, dtype=np.int64, count=len(nodes))
        except OverflowError:
            return None
        if col.size and (int(col.max()) >= LIMIT or int(col.min()) <= -LIMIT):
            return None
        out.append(col)
    return out


def columns_for(state: CycleState, nodes: Sequence[NodeInfo]) -> dict[str, Column] | None:
    """The resource columns (`SCORED`) of `nodes` by name, remembered in the attempt's state
    for the plugins that score that same list."""
    cached = state.get(STATE_KEY)
    if cached is None or cached[0] is not nodes:
        cols = columns(nodes, SCORED, state)
        cached = state[STATE_KEY] = (nodes, None if cols is None else dict(zip(SCORED, cols, strict=True)))
    return cached[1]  # type: ignore[no-any-return]


def in_range(value: int) -> bool:
    """Whether a pod's own request can join the column arithmetic exactly."""
    return -LIMIT < value < LIMIT
