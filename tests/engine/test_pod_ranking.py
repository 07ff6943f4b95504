"""Which pod a ReplicaSet deletes first: Kubernetes' `ActivePodsWithRanks`, criterion by criterion."""

from __future__ import annotations

from typing import Any

import pytest

from clusterlab.engine.controllers.pod_ranking import Ranked, deleted_before, pods_to_delete
from clusterlab.engine.timefmt import parse_epoch, rfc3339

EPOCH = parse_epoch("2026-01-01T00:00:00Z")
NOW = 10_000.0
Obj = dict[str, Any]


def pod(
    name: str,
    node: str = "worker-1",
    phase: str = "Running",
    ready_at: float | None = 100.0,
    created: float = 50.0,
    restarts: int = 0,
    cost: str | None = None,
    uid: str | None = None,
) -> Obj:
    conditions = []
    if ready_at is not None:
        conditions.append({"type": "Ready", "status": "True", "lastTransitionTime": rfc3339(EPOCH, ready_at)})
    else:
        conditions.append({"type": "Ready", "status": "False", "lastTransitionTime": rfc3339(EPOCH, created)})
    meta: Obj = {"name": name, "uid": uid or f"uid-{name}", "creationTimestamp": rfc3339(EPOCH, created)}
    if cost is not None:
        meta["annotations"] = {"controller.kubernetes.io/pod-deletion-cost": cost}
    return {
        "metadata": meta,
        "spec": {"nodeName": node, "containers": [{"name": "c"}]},
        "status": {
            "phase": phase,
            "conditions": conditions,
            "containerStatuses": [{"name": "c", "restartCount": restarts}],
        },
    }


# (first deleted, kept, rank of each, the criterion that decides)
TABLE = [
    (pod("a", node=""), pod("b"), (0, 0), "unassigned before assigned"),
    (
        pod("a", phase="Pending", ready_at=None),
        pod("b", phase="Running", ready_at=None),
        (0, 0),
        "Pending < Unknown < Running",
    ),
    (
        pod("a", phase="Unknown", ready_at=None),
        pod("b", phase="Running", ready_at=None),
        (0, 0),
        "Pending < Unknown < Running",
    ),
    (pod("a", ready_at=None), pod("b"), (0, 0), "not ready before ready"),
    (pod("a", cost="-10"), pod("b"), (0, 0), "lower pod-deletion-cost first"),
    (pod("a"), pod("b", cost="100"), (0, 0), "lower pod-deletion-cost first"),
    (pod("a", cost="not-a-number", restarts=1), pod("b"), (0, 0), "more restarts first"),  # invalid cost: 0
    (pod("a"), pod("b"), (3, 1), "more co-located pods first"),
    # ready 2 s ago vs 1000 s ago: different log2 buckets
    (pod("a", ready_at=NOW - 2), pod("b", ready_at=NOW - 1000), (0, 0), "ready more recently first"),
    (pod("a", restarts=4), pod("b", restarts=1), (0, 0), "more restarts first"),
    (pod("a", created=NOW - 3), pod("b", created=NOW - 5000), (0, 0), "newer first"),
    # ready 600 s and 700 s ago fall in the same log2 bucket of nanoseconds: the lower UID goes first
    (
        pod("a", ready_at=NOW - 700, uid="0001"),
        pod("b", ready_at=NOW - 600, uid="0002"),
        (0, 0),
        "ready more recently first",
    ),
]


@pytest.mark.parametrize(
    ("first", "kept", "ranks", "why"), TABLE, ids=[f"{i}-{row[3]}" for i, row in enumerate(TABLE)]
)
def test_each_criterion_decides_which_pod_goes_first(
    first: Obj, kept: Obj, ranks: tuple[int, int], why: str
) -> None:
    a, b = Ranked(first, ranks[0], EPOCH), Ranked(kept, ranks[1], EPOCH)
    assert deleted_before(a, b, NOW) == (True, why)
    assert deleted_before(b, a, NOW) == (False, why)


def test_earlier_criteria_win_over_later_ones() -> None:
    # A ready pod with many restarts on a crowded node is still kept over a Pending one.
    crowded = pod("crowded", restarts=9)
    pending = pod("pending", phase="Pending", ready_at=None, node="worker-2")
    others = [pod(f"x{i}") for i in range(4)]
    victims = pods_to_delete([crowded, pending], [crowded, pending, *others], 1, NOW, EPOCH)
    assert [v.pod["metadata"]["name"] for v in victims] == ["pending"]


def test_doubled_up_pods_go_first_counting_every_replicaset_of_the_owner() -> None:
    alone = pod("alone", node="worker-2")
    doubled = pod("doubled", node="worker-1")
    sibling = pod("old-rs-pod", node="worker-1")  # a pod of the Deployment's other ReplicaSet
    victims = pods_to_delete([alone, doubled], [alone, doubled, sibling], 1, NOW, EPOCH)
    assert [v.pod["metadata"]["name"] for v in victims] == ["doubled"]
    assert (victims[0].rank, Ranked(alone, 1, EPOCH).rank) == (2, 1)


def test_deleting_every_pod_needs_no_ranking() -> None:
    pods = [pod("b"), pod("a", node="")]
    assert [v.pod["metadata"]["name"] for v in pods_to_delete(pods, pods, 2, NOW, EPOCH)] == ["b", "a"]
