"""Indexed Jobs (`completionMode: Indexed`), after `pkg/controller/job/indexed_job_utils.go`.

Each pod of an Indexed Job runs one completion index from 0 to `completions - 1`: the index
is in the pod's `batch.kubernetes.io/job-completion-index` annotation and label, its
`JOB_COMPLETION_INDEX` environment variable (read from that label through the downward API),
its name (`<job>-<index>-<random>`) and hostname (`<job>-<index>`). The Job is complete when
every index has a succeeded pod; `status.completedIndexes` lists them as intervals
(`0-2,4`). New pods take the lowest indexes that have neither succeeded nor an active pod.

Simplified: pods with a duplicate or out-of-range index are not deleted; backoffLimitPerIndex
and successPolicy are not acted on.
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]
INDEX_KEY = "batch.kubernetes.io/job-completion-index"
INDEX_ENV = "JOB_COMPLETION_INDEX"


def completion_index(pod: Obj) -> int | None:
    """`getCompletionIndex`: the pod's index from its annotation, or None if absent or invalid."""
    text = (pod["metadata"].get("annotations") or {}).get(INDEX_KEY)
    if text is None or not str(text).isdigit():
        return None
    return int(text)


def parse_intervals(text: str | None, completions: int) -> set[int]:
    """`parseIndexesFromString`: `0-2,4` → {0, 1, 2, 4} (indexes ≥ completions dropped)."""
    out: set[int] = set()
    for part in (text or "").split(","):
        if not part:
            continue
        first, _, last = part.partition("-")
        if not first.isdigit() or (last and not last.isdigit()):
            continue
        out.update(i for i in range(int(first), int(last or first) + 1) if i < completions)
    return out


def format_intervals(indexes: set[int]) -> str:
    """`orderedIntervals.String`: consecutive indexes as `a-b`, others alone, comma-separated."""
    parts: list[str] = []
    ordered = sorted(indexes)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(parts)


def succeeded_indexes(job: Obj, pods: list[Obj], completions: int) -> set[int]:
    """`calculateSucceededIndexes`: the recorded ones plus those of succeeded pods."""
    done = parse_intervals((job.get("status") or {}).get("completedIndexes"), completions)
    for pod in pods:
        ix = completion_index(pod)
        if (pod.get("status") or {}).get("phase") == "Succeeded" and ix is not None and ix < completions:
            done.add(ix)
    return done


def first_pending(done: set[int], active_pods: list[Obj], count: int, completions: int) -> list[int]:
    """`firstPendingIndexes`: the lowest `count` indexes neither succeeded nor running."""
    taken = done | {ix for p in active_pods if (ix := completion_index(p)) is not None}
    return [i for i in range(completions) if i not in taken][:count]


def indexed_pod(pod: Obj, job_name: str, index: int) -> None:
    """Stamp a new pod with its index: annotation, label, env var, name prefix and hostname."""
    meta = pod["metadata"]
    meta.setdefault("annotations", {})[INDEX_KEY] = str(index)
    meta.setdefault("labels", {})[INDEX_KEY] = str(index)
    meta["generateName"] = f"{job_name}-{index}-"
    spec = pod["spec"]
    spec["hostname"] = f"{job_name}-{index}"
    for container in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        env = container.setdefault("env", [])
        if not any(e.get("name") == INDEX_ENV for e in env):
            env.append(
                {
                    "name": INDEX_ENV,
                    "valueFrom": {
                        "fieldRef": {"apiVersion": "v1", "fieldPath": f"metadata.labels['{INDEX_KEY}']"}
                    },
                }
            )
