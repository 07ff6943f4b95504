"""DefaultPreemption (PostFilter): evict lower-priority pods to make room for a pending one.

When no node passes the filters, kube-scheduler's DefaultPreemption decides whether the pod
may preempt (`PodEligibleToPreemptOthers`: not with `preemptionPolicy: Never`, and not while
lower-priority pods it already preempted on its nominated node are still terminating), then
lets the preemption evaluator (`..preemption`) dry-run the nodes that failed with a plain
`Unschedulable`. On each, `SelectVictimsOnNode` removes every pod of lower priority, checks
that the pod then fits (the profile's filters, nominated pods included), and reprieves as
many as possible — those whose eviction would violate a PodDisruptionBudget first, then the
rest, most important first — keeping the ones that must go as victims. The chosen node's
victims are evicted and the pod is nominated there (`status.nominatedNodeName`); it is
scheduled when they are gone.

What the FailedScheduling event says after the filters' `0/N nodes are available: ...`:
nothing more when preemption succeeded; `preemption: 0/N nodes are available: ...` (per node
`No preemption victims found for incoming pod`, a filter's reason, or `Preemption is not
helpful for scheduling`) when no node could be helped; `preemption: not eligible due to ...`
when the pod may not preempt.

Args (`DefaultPreemptionArgs`): `minCandidateNodesPercentage` (10) and
`minCandidateNodesAbsolute` (100) bound how many candidate nodes the dry run looks for.

Simplified: the victims' PodDisruptionBudgets are read from the scheduler's informer as the
real plugin reads its lister; pod affinity between the preemptor and its victims is not
considered (neither does kube-scheduler).
"""

from __future__ import annotations

from typing import Any

from ...errors import ApiError
from ...selectors import LabelSelector, selector_from_spec
from ..framework import (
    ERROR,
    UNRESOLVABLE,
    CycleState,
    Diagnosis,
    Handle,
    NodeInfo,
    PostFilterPlugin,
    PostFilterResult,
    Status,
)
from ..nominator import pod_priority
from ..preemption import Evaluator, fit_error_message, more_important_key

Obj = dict[str, Any]

NO_VICTIMS = "No preemption victims found for incoming pod"
NOT_ELIGIBLE_NEVER = "not eligible due to preemptionPolicy=Never."
NOT_ELIGIBLE_TERMINATING = "not eligible due to a terminating pod on the nominated node."


def validate_args(args: Obj) -> tuple[int, int]:
    """`ValidateDefaultPreemptionArgs`: (percentage, absolute), or ValueError in its words."""
    percentage = int(args.get("minCandidateNodesPercentage", 10))
    absolute = int(args.get("minCandidateNodesAbsolute", 100))
    errs = []
    if not 0 <= percentage <= 100:
        errs.append(f"minCandidateNodesPercentage: Invalid value: {percentage}: not in valid range [0, 100]")
    if absolute < 0:
        errs.append(f"minCandidateNodesAbsolute: Invalid value: {absolute}: not in valid range [0, inf)")
    if percentage == 0 and absolute == 0:
        errs.append(
            "minCandidateNodesPercentage: Invalid value: 0: cannot be zero at the same time as "
            "minCandidateNodesAbsolute"
        )
        errs.append(
            "minCandidateNodesAbsolute: Invalid value: 0: cannot be zero at the same time as "
            "minCandidateNodesPercentage"
        )
    if errs:
        raise ValueError(errs[0] if len(errs) == 1 else "[" + ", ".join(errs) + "]")
    return percentage, absolute


def pod_terminating_by_preemption(pod: Obj) -> bool:
    """Being deleted, with the DisruptionTarget condition preemption gives its victims."""
    if not pod["metadata"].get("deletionTimestamp"):
        return False
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == "DisruptionTarget":
            return c.get("status") == "True" and c.get("reason") == "PreemptionByScheduler"
    return False


def _selector(pdb: Obj) -> LabelSelector | None:
    """The budget's selector; None for one that matches nothing (nil, or invalid)."""
    spec = (pdb.get("spec") or {}).get("selector")
    if spec is None:
        return None
    try:
        return selector_from_spec(spec)
    except ApiError:
        return None


def filter_pods_with_pdb_violation(
    pods: list[tuple[str, Obj]], pdbs: list[Obj]
) -> tuple[list[tuple[str, Obj]], list[tuple[str, Obj]]]:
    """`filterPodsWithPDBViolation`: (violating, non-violating), each keeping the input order.
    Each matching budget's `disruptionsAllowed` is spent as pods are counted against it; a pod
    already in its `disruptedPods` has been accounted for by the API server."""
    allowed = [int((pdb.get("status") or {}).get("disruptionsAllowed") or 0) for pdb in pdbs]
    selectors = [_selector(pdb) for pdb in pdbs]
    violating: list[tuple[str, Obj]] = []
    non_violating: list[tuple[str, Obj]] = []
    for key, pod in pods:
        meta = pod["metadata"]
        labels = meta.get("labels") or {}
        violated = False
        if labels:
            for i, pdb in enumerate(pdbs):
                if pdb["metadata"].get("namespace") != meta.get("namespace"):
                    continue
                selector = selectors[i]
                if selector is None or selector.empty() or not selector.matches(labels):
                    continue  # a nil or empty selector matches nothing here
                if meta["name"] in ((pdb.get("status") or {}).get("disruptedPods") or {}):
                    continue
                allowed[i] -= 1
                if allowed[i] < 0:
                    violated = True
        (violating if violated else non_violating).append((key, pod))
    return violating, non_violating


class DefaultPreemption(PostFilterPlugin):
    name = "DefaultPreemption"

    def __init__(self, args: Obj | None = None, handle: Handle | None = None) -> None:
        super().__init__(args, handle)
        self.min_candidate_nodes_percentage, self.min_candidate_nodes_absolute = validate_args(self.args)
        informers = handle.informers if handle is not None else None
        self.pdbs = informers.get("poddisruptionbudgets") if informers is not None else None
        self.evaluator = (
            Evaluator(
                handle,
                self.select_victims_on_node,
                self.min_candidate_nodes_percentage,
                self.min_candidate_nodes_absolute,
            )
            if handle is not None
            else None
        )

    # -- PostFilter (the evaluator's Preempt) ------------------------------------------------

    def post_filter(
        self, state: CycleState, pod: Obj, diagnosis: Diagnosis, nodes: list[NodeInfo]
    ) -> PostFilterResult:
        ev = self.evaluator
        assert ev is not None, "DefaultPreemption needs the framework handle"
        pod = self._live(pod)
        nominated = (pod.get("status") or {}).get("nominatedNodeName") or ""
        eligible, why = self.pod_eligible_to_preempt_others(pod, diagnosis.node_status.get(nominated))
        if not eligible:
            return PostFilterResult(f"preemption: {why}")
        pdbs = self.pdbs.list() if self.pdbs is not None else []
        candidates, statuses = ev.find_candidates(state, pod, diagnosis, nodes, pdbs)
        errors = [st.message() for st in statuses.values() if st.code == ERROR]
        if errors and not candidates:  # the dry run failed (an aggregate of its errors)
            return PostFilterResult(
                "preemption: " + (errors[0] if len(errors) == 1 else f"[{', '.join(errors)}]")
            )
        if not candidates:
            # A FitError over the dry run; the pod's nomination, if any, is cleared.
            return PostFilterResult(f"preemption: {fit_error_message(len(nodes), statuses)}", "")
        best = ev.select_candidate(candidates)
        err = ev.prepare_candidate(best, pod)
        if err is not None:
            return PostFilterResult(f"preemption: {err.message()}")
        return PostFilterResult("", best.name)

    def pod_eligible_to_preempt_others(self, pod: Obj, nominated_status: Status | None) -> tuple[bool, str]:
        """`PodEligibleToPreemptOthers`: (eligible, why not)."""
        if pod["spec"].get("preemptionPolicy") == "Never":
            return False, NOT_ELIGIBLE_NEVER
        nominated = (pod.get("status") or {}).get("nominatedNodeName")
        if nominated:
            # A nominated node that now fails for good may be given up for another.
            if nominated_status is not None and nominated_status.code == UNRESOLVABLE:
                return True, ""
            info = self.handle.node_infos.get(nominated) if self.handle is not None else None
            if info is not None:
                priority = pod_priority(pod)
                for key, other in info.pods.items():
                    other = self._live(other, key)
                    if pod_priority(other) < priority and pod_terminating_by_preemption(other):
                        return False, NOT_ELIGIBLE_TERMINATING
        return True, ""

    # -- the dry run on one node ---------------------------------------------------------------

    def select_victims_on_node(
        self, state: CycleState, pod: Obj, info: NodeInfo, pdbs: list[Obj]
    ) -> tuple[list[Obj], int, Status]:
        """`SelectVictimsOnNode` on a copy of the node: (victims most important first, how
        many violate a PDB, status)."""
        h = self.handle
        assert h is not None
        priority = pod_priority(pod)
        potential = [(k, self._live(p, k)) for k, p in info.pods.items() if pod_priority(p) < priority]
        for key, victim in potential:
            info.remove_pod(key)
            h.run_pre_filter_extension_remove_pod(state, pod, key, victim, info)
        if not potential:
            return [], 0, Status(UNRESOLVABLE, [NO_VICTIMS])
        st = h.run_filters_with_nominated_pods(state, pod, info)
        if not st.ok:
            return [], 0, st
        importance = more_important_key(h.server.timestamp())
        potential.sort(key=lambda kv: importance(kv[1]))
        violating, non_violating = filter_pods_with_pdb_violation(potential, pdbs)
        victims: list[tuple[str, Obj]] = []

        def reprieve(key: str, victim: Obj) -> bool:
            info.add_pod(key, victim)
            h.run_pre_filter_extension_add_pod(state, pod, key, victim, info)
            fits = h.run_filters_with_nominated_pods(state, pod, info).ok
            if not fits:
                info.remove_pod(key)
                h.run_pre_filter_extension_remove_pod(state, pod, key, victim, info)
                victims.append((key, victim))
            return fits

        num_violating = sum(1 for key, victim in violating if not reprieve(key, victim))
        for key, victim in non_violating:
            reprieve(key, victim)
        if violating and non_violating:
            victims.sort(key=lambda kv: importance(kv[1]))
        return [v for _, v in victims], num_violating, Status()

    def _live(self, pod: Obj, key: str | None = None) -> Obj:
        """The pod as the scheduler's informer has it now (the cache may hold the copy it
        assumed at binding, without later status and deletion)."""
        framework = self.handle.framework if self.handle is not None else None
        pods = getattr(framework, "pods", None)
        if pods is None:
            return pod
        if key is None:
            key = f"{pod['metadata'].get('namespace')}/{pod['metadata']['name']}"
        return pods.get(key) or pod
