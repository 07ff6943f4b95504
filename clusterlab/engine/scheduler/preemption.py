"""Preemption's evaluator: find candidate nodes, pick one, evict its victims.

What kube-scheduler's `pkg/scheduler/framework/preemption` does for a PostFilter plugin
(DefaultPreemption supplies the policy: who may preempt, which pods on a node are victims):

1. *Find candidates.* Only nodes whose Filter verdict was `Unschedulable` can be helped —
   `UnschedulableAndUnresolvable` (a taint, a selector, a cordon) stays whatever is evicted.
   Those nodes are dry-run one by one from a random offset, each on a copy of its NodeInfo and
   of the cycle state: remove the lower-priority pods, see whether the pod fits, give back as
   many as possible. The search stops once it has enough candidates (10 % of the nodes, at
   least 100: `minCandidateNodesPercentage` / `minCandidateNodesAbsolute`) and at least one of
   them violates no PodDisruptionBudget.
2. *No candidate:* the result is a FitError over the dry-run verdicts, nodes never tried
   counting as "Preemption is not helpful for scheduling", and the pod's nomination is cleared.
3. *Pick one* (`pickOneNodeForPreemption`): fewest PDB violations, then the lowest highest
   victim priority, then the smallest sum of victim priorities, then the fewest victims, then
   the latest start among the highest-priority victims; then the first candidate.
4. *Prepare it:* each victim gets a `DisruptionTarget` condition (reason
   `PreemptionByScheduler`) and is deleted with its default grace period — the kubelet then
   terminates it like any deleted pod — and a `Preempted` event; pods of lower priority
   nominated to the same node lose their nomination (they may no longer fit there).

Simplified: candidates are checked one at a time rather than on 16 goroutines, so the
search stops exactly when it has enough; scheduler extenders and Permit's waiting pods do
not exist here; the random offset comes from a source seeded from the scheduler's, and the
final tie (Go takes a candidate in map order, i.e. at random) is the first in check order.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import ApiError, NotFound
from .framework import ERROR, UNSCHEDULABLE, CycleState, Diagnosis, Handle, NodeInfo, Status
from .nominator import pod_priority

Obj = dict[str, Any]

NOT_HELPFUL = "Preemption is not helpful for scheduling"
# int64(math.MaxInt32+1): added to each priority so that the sum favours fewer victims.
PRIORITY_OFFSET = 2**31


@dataclass
class Victims:
    """`extenderv1.Victims`: the pods to evict, most important first, and how many of them
    violate a PodDisruptionBudget."""

    pods: list[Obj] = field(default_factory=list)
    num_pdb_violations: int = 0


@dataclass
class Candidate:
    name: str
    victims: Victims


SelectVictims = Callable[[CycleState, Obj, NodeInfo, list[Obj]], tuple[list[Obj], int, Status]]


def fit_error_message(num_all_nodes: int, statuses: dict[str, Status]) -> str:
    """`FitError.Error()` over the dry run's verdicts; nodes without one are not helpful."""
    histogram: dict[str, int] = {}
    for st in statuses.values():
        for reason in st.reasons:
            histogram[reason] = histogram.get(reason, 0) + 1
    absent = num_all_nodes - len(statuses)
    if absent > 0:
        histogram[NOT_HELPFUL] = histogram.get(NOT_HELPFUL, 0) + absent
    msg = f"0/{num_all_nodes} nodes are available:"
    if histogram:
        msg += " " + ", ".join(sorted(f"{n} {r}" for r, n in histogram.items())) + "."
    return msg


def pod_start_time(pod: Obj, now: str) -> str:
    """`util.GetPodStartTime`: status.startTime, or now for a pod not started yet."""
    return (pod.get("status") or {}).get("startTime") or now


def more_important_key(now: str) -> Callable[[Obj], tuple[int, str]]:
    """Sort key for `util.MoreImportantPod`: higher priority first, then the earlier start."""
    return lambda p: (-pod_priority(p), pod_start_time(p, now))


def earliest_start_of_highest_priority(victims: Victims, now: str) -> str:
    """`util.GetEarliestPodStartTime`: the earliest start among the highest-priority victims."""
    top = max(pod_priority(p) for p in victims.pods)
    return min(pod_start_time(p, now) for p in victims.pods if pod_priority(p) == top)


def pick_one_node_for_preemption(candidates: list[Candidate], now: str) -> str:
    """`pickOneNodeForPreemption`: each rule narrows the ties of the one before."""
    rules: list[Callable[[Candidate], Any]] = [
        lambda c: -c.victims.num_pdb_violations,
        lambda c: -pod_priority(c.victims.pods[0]),
        lambda c: -sum(pod_priority(p) + PRIORITY_OFFSET for p in c.victims.pods),
        lambda c: -len(c.victims.pods),
        lambda c: earliest_start_of_highest_priority(c.victims, now),
    ]
    remaining = list(candidates)
    for rule in rules:
        scores = [rule(c) for c in remaining]
        best = max(scores)
        remaining = [c for c, s in zip(remaining, scores, strict=True) if s == best]
        if len(remaining) == 1:
            break
    return remaining[0].name


class Evaluator:
    """`preemption.Evaluator` for one PostFilter plugin."""

    def __init__(
        self,
        handle: Handle,
        select_victims: SelectVictims,
        min_candidate_nodes_percentage: int,
        min_candidate_nodes_absolute: int,
    ) -> None:
        self.handle = handle
        self.select_victims = select_victims
        self.percentage = min_candidate_nodes_percentage
        self.absolute = min_candidate_nodes_absolute
        source = getattr(handle.framework, "rng", None)
        # A dedicated source (as kube-scheduler's getOffsetRand) derived from the scheduler's
        # state without drawing from it, so preemption does not shift the scheduler's own
        # tie-breaks; a string seed is hashed the same way in every process.
        state = source.getstate()[1][:16] if isinstance(source, random.Random) else ()
        self.offset_rng = random.Random("preemption:" + ",".join(map(str, state)))

    def num_candidates(self, num_nodes: int) -> int:
        """`calculateNumCandidates`."""
        n = num_nodes * self.percentage // 100
        return min(max(n, self.absolute), num_nodes)

    def find_candidates(
        self, state: CycleState, pod: Obj, diagnosis: Diagnosis, nodes: list[NodeInfo], pdbs: list[Obj]
    ) -> tuple[list[Candidate], dict[str, Status]]:
        """`findCandidates` + `DryRunPreemption`: candidates (non-violating ones first) and
        the verdict of every node tried that did not become one."""
        potential = [
            info
            for info in nodes
            if (st := diagnosis.node_status.get(info.name)) is not None and st.code == UNSCHEDULABLE
        ]
        if not potential:
            return [], {}
        offset = self.offset_rng.randrange(len(potential))
        want = self.num_candidates(len(potential))
        non_violating: list[Candidate] = []
        violating: list[Candidate] = []
        statuses: dict[str, Status] = {}
        for i in range(len(potential)):
            info = potential[(offset + i) % len(potential)].clone()
            victims, num_violations, st = self.select_victims(state.clone(), pod, info, pdbs)
            if st.ok and victims:
                # Each list holds at most `want` candidates (newCandidateList's fixed size).
                found = violating if num_violations else non_violating
                if len(found) < want:
                    found.append(Candidate(info.name, Victims(victims, num_violations)))
                if non_violating and len(non_violating) + len(violating) >= want:
                    break
                continue
            if st.ok:
                st = Status(ERROR, [f'expected at least one victim pod on node "{info.name}"'])
            statuses[info.name] = st
        return non_violating + violating, statuses

    def select_candidate(self, candidates: list[Candidate]) -> Candidate:
        if len(candidates) == 1:
            return candidates[0]
        name = pick_one_node_for_preemption(candidates, self.handle.server.timestamp())
        return next(c for c in candidates if c.name == name)

    def prepare_candidate(self, c: Candidate, pod: Obj) -> Status | None:
        """`prepareCandidate`: evict the victims, then clear the nominations of lower-priority
        pods nominated to the node. Returns an error status if an eviction failed."""
        for victim in c.victims.pods:
            err = self.preempt_pod(c.name, pod, victim)
            if err is not None:
                return err
        priority = pod_priority(pod)
        for _key, other in self.handle.nominated_pods_for_node(c.name):
            if pod_priority(other) < priority:
                self.clear_nominated_node_name(other)
        return None

    def preempt_pod(self, node: str, preemptor: Obj, victim: Obj) -> Status | None:
        """`PreemptPod`: the DisruptionTarget condition, the deletion, the event."""
        h = self.handle
        meta = victim["metadata"]
        ns, name = meta["namespace"], meta["name"]
        scheduler_name = preemptor["spec"].get("schedulerName") or "default-scheduler"
        condition = {
            "type": "DisruptionTarget",
            "status": "True",
            "lastProbeTime": None,
            "lastTransitionTime": h.server.timestamp(),
            "reason": "PreemptionByScheduler",
            "message": f"{scheduler_name}: preempting to accommodate a higher priority pod",
        }
        conditions = list((victim.get("status") or {}).get("conditions") or ())
        old = next((c for c in conditions if c.get("type") == "DisruptionTarget"), None)
        if old is None or any(old.get(k) != condition[k] for k in ("status", "reason", "message")):
            if old is not None and old.get("status") == condition["status"]:
                condition["lastTransitionTime"] = old.get("lastTransitionTime")
            conditions = [c for c in conditions if c.get("type") != "DisruptionTarget"] + [condition]
            try:
                h.server.patch(
                    h.user, "pods", name, {"status": {"conditions": conditions}}, ns, "status", copy=False
                )
            except ApiError as err:
                return Status(ERROR, [err.message])
        try:
            h.server.delete(h.user, "pods", name, ns)
        except NotFound:
            return None  # already gone: nothing to record
        except ApiError as err:
            return Status(ERROR, [err.message])
        uid = preemptor["metadata"].get("uid")
        h.recorder.event(victim, "Normal", "Preempted", f"Preempted by pod {uid} on node {node}")
        return None

    def clear_nominated_node_name(self, pod: Obj) -> None:
        """`util.ClearNominatedNodeName`: only pods that have one are patched."""
        if not (pod.get("status") or {}).get("nominatedNodeName"):
            return
        h = self.handle
        meta = pod["metadata"]
        with contextlib.suppress(ApiError):  # not critical, as in kube-scheduler
            h.server.patch(
                h.user,
                "pods",
                meta["name"],
                {"status": {"nominatedNodeName": None}},
                meta["namespace"],
                "status",
                copy=False,
            )
