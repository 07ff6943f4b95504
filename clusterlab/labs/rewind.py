"""Rewind: a lab's cluster as it was at an earlier virtual time, rebuilt from its command log.

The engine is deterministic (same scenario, seed and commands at the same virtual times give the
same cluster, bit for bit), so the cluster at time ``t`` is the scenario replayed with the
commands logged before ``t``, run to ``t``. Nothing is stored per instant: scrubbing backwards
rebuilds from the start; scrubbing forwards continues the last rebuild of that lab, so dragging
the scrubber to the right costs only the time in between.

Rebuilding is CPU work (about two seconds per virtual hour of a small lab), so it runs in a worker
thread; each lab's rebuilds are serialised by a lock, and a few labs' rebuilds are kept.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clusterlab.engine import Cluster
from clusterlab.engine.errors import ApiError
from clusterlab.labs.runner import LabRunner, LoggedCommand, apply_to_cluster

MAX_CACHED_LABS = 8


@dataclass
class _Rebuild:
    runner: LabRunner
    applied: int = 0  # how many of the log's commands it has applied
    last_seq: int = 0  # the sequence number of the last one


_cache: OrderedDict[str, _Rebuild] = OrderedDict()
_cache_lock = threading.Lock()
_lab_locks: dict[str, threading.Lock] = {}


def _lock_for(lab_id: str) -> threading.Lock:
    with _cache_lock:
        return _lab_locks.setdefault(lab_id, threading.Lock())


def board_at(
    lab_id: str,
    *,
    scenario: str,
    seed: int,
    epoch: datetime | None,
    commands: Sequence[LoggedCommand],
    t: float,
) -> dict[str, Any]:
    """The board (as the lab page shows it) of the lab's cluster at virtual time ``t``."""
    with _lock_for(lab_id):
        with _cache_lock:
            cached = _cache.get(lab_id)
        if cached is None or cached.runner.now > t or not _same_prefix(cached, commands):
            cached = _Rebuild(LabRunner(lab_id, Cluster.from_scenario(scenario, seed=seed, epoch=epoch)))
        cluster = cached.runner.cluster
        for entry in commands[cached.applied :]:
            if entry.virtual_time > t:
                break
            if entry.virtual_time > cluster.now:
                cluster.advance(entry.virtual_time - cluster.now)
            with contextlib.suppress(ApiError):
                apply_to_cluster(cluster, entry.action, entry.args)
            cached.applied += 1
            cached.last_seq = entry.seq
        if t > cluster.now:
            cluster.advance(t - cluster.now)
        with _cache_lock:
            _cache[lab_id] = cached
            _cache.move_to_end(lab_id)
            while len(_cache) > MAX_CACHED_LABS:
                _cache.popitem(last=False)
        return cached.runner.board()


def _same_prefix(cached: _Rebuild, commands: Sequence[LoggedCommand]) -> bool:
    """The rebuild applied the same first commands (a lab's log only grows, but be sure)."""
    if cached.applied == 0:
        return True
    return cached.applied <= len(commands) and commands[cached.applied - 1].seq == cached.last_seq


def forget(lab_id: str) -> None:
    with _cache_lock:
        _cache.pop(lab_id, None)
