""" "Why is my pod Pending?": one scheduling attempt as a paragraph (the table is in
`decision_table.py`).

kube-scheduler says what it decided in two places: the `FailedScheduling` event (the FitError
histogram, `0/4 nodes are available: 1 node(s) had untolerated taint ..., 3 Insufficient
cpu.`) and, at higher log verbosity, per-plugin scores. Neither says which plugin rejected
which node, or why the winner won. This module reads the attempt's `Diagnosis` and builds:

- a `DecisionTable`: one row per node (evaluated or not), a column per Filter plugin (✓, the
  plugin's reason, "skipped" when its PreFilter said there was nothing to check, "not run" after
  an earlier Filter already rejected the node), then per Score plugin `raw → normalised ×
  weight = weighted`, the total, and which node was chosen; plus the PreFilter rejection and the
  PostFilter (preemption) outcome;
- `explain()`: a plain-language paragraph, composed from small phrase functions keyed by plugin
  name (`FILTER_PHRASES`, `WAITS_FOR`), with a generic fallback that quotes a plugin it has no
  phrase for, so plugins added later are explained too.

Simplified: the table covers the last attempt only (the scheduler keeps one per pod), and a node
that was filtered out is described with what the scheduler's cache held for it at the time
(`NodeFacts`, kept for the first hundred such nodes of an attempt).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..quantity import int_value, milli_value
from ..taints import UNSCHEDULABLE as UNSCHEDULABLE_TAINT
from ..taints import taint_string, taint_text, tolerated_by_any
from .decision_table import natural_order, took_nominated_node
from .framework import Diagnosis, NodeFacts, Resources, Status, pod_requests

Obj = dict[str, Any]

# Nodes named in a sentence ("3 (worker-1, worker-2, worker-3) were ruled out ..."), at most.
NAMED_NODES = 3


def cpu_words(millis: int) -> str:
    """Millicores as a learner reads them: `2 CPU`, `1.5 CPU`, `250m CPU`."""
    if millis % 1000 == 0 or millis >= 1000:
        return f"{millis / 1000:g} CPU"
    return f"{millis}m CPU"


def memory_words(n: int) -> str:
    """Bytes in the largest binary unit that keeps one decimal: `3.5 GiB`, `128 MiB`."""
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= size:
            return f"{round(n / size, 1):g} {unit}"
    return f"{n} bytes"


def _names(nodes: list[str]) -> str:
    return ", ".join(nodes)


def _count(nodes: list[str]) -> str:
    """`1 (cp-1)`, `3 (a, b, c)`, or `12` past NAMED_NODES."""
    return f"{len(nodes)} ({_names(nodes)})" if len(nodes) <= NAMED_NODES else str(len(nodes))


def _join(parts: list[str], word: str = "and") -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + f" {word} " + parts[-1]


# ---------------------------------------------------------------------------------------------
# Why a group of nodes failed one filter: phrase functions keyed by plugin name


@dataclass(frozen=True)
class Rejection:
    """Nodes one plugin rejected for the same reasons, and what the phrase may look at."""

    plugin: str
    reasons: list[str]
    nodes: list[str]
    diagnosis: Diagnosis

    @property
    def one(self) -> bool:
        return len(self.nodes) == 1

    def facts(self) -> list[NodeFacts]:
        return [f for n in self.nodes if (f := self.diagnosis.node_facts.get(n)) is not None]


Phrase = Callable[[Rejection], str]


def _free(facts: NodeFacts) -> Resources:
    alloc = (facts.node.get("status") or {}).get("allocatable") or {}
    return Resources(
        milli_value(alloc.get("cpu", 0)) - facts.requested.milli_cpu,
        int_value(alloc.get("memory", 0)) - facts.requested.memory,
    )


def _short_of(r: Rejection, wants: str, most: int | None, words: Callable[[int], str], what: str) -> str:
    """`the pod requests 2 CPU and none of them has more than 1.5 CPU unrequested`."""
    if most is None:  # the node's facts were not kept (past NODE_FACTS_KEPT)
        return (
            f"the pod requests {wants} and {'it does' if r.one else 'they do'} not have that much unrequested"
        )
    if most <= 0:
        left = (
            f"it has no {what} left unrequested" if r.one else f"none of them has any {what} left unrequested"
        )
    elif r.one:
        left = f"it has only {words(most)} unrequested"
    else:
        left = f"none of them has more than {words(most)} unrequested"
    return f"the pod requests {wants} and {left}"


def _resources_fit(r: Rejection) -> str:
    wants = pod_requests(r.diagnosis.subject) if r.diagnosis.subject.get("spec") else Resources()
    free = [_free(f) for f in r.facts()]
    clauses = []
    for reason in r.reasons:
        if reason == "Insufficient cpu":
            most = max((f.milli_cpu for f in free), default=None)
            clauses.append(_short_of(r, cpu_words(wants.milli_cpu), most, cpu_words, "CPU"))
        elif reason == "Insufficient memory":
            most = max((f.memory for f in free), default=None)
            clauses.append(
                _short_of(r, f"{memory_words(wants.memory)} of memory", most, memory_words, "memory")
            )
        elif reason == "Too many pods":
            clauses.append(
                "it already runs its maximum number of pods (status.allocatable.pods)"
                if r.one
                else "they already run their maximum number of pods (status.allocatable.pods)"
            )
        else:
            clauses.append(_quoted(reason))
    return _join(clauses)


def _untolerated_taint(r: Rejection) -> str:
    tolerations = (r.diagnosis.subject.get("spec") or {}).get("tolerations") or []
    for facts in r.facts():
        for taint in (facts.node.get("spec") or {}).get("taints") or ():
            hard = taint.get("effect") in ("NoSchedule", "NoExecute")
            quoted = any(taint_text(taint) in reason for reason in r.reasons)
            if hard and quoted and not tolerated_by_any(taint, tolerations):
                return taint_string(taint)
    match = re.search(r"untolerated taint \{(.*?): (.*?)\}", " ".join(r.reasons))
    if match:
        return f"{match[1]}={match[2]}" if match[2] else match[1]
    return ""


def _taint_toleration(r: Rejection) -> str:
    taint = _untolerated_taint(r)
    if not taint:
        return _generic(r)
    have = "it has" if r.one else "they have"
    return f"{have} the taint {taint} that this pod does not tolerate"


def _unschedulable(r: Rejection) -> str:
    subject = "it is" if r.one else "they are"
    return (
        f"{subject} cordoned (spec.unschedulable, as kubectl cordon sets it) and the pod does not "
        f"tolerate {UNSCHEDULABLE_TAINT}:NoSchedule"
    )


def _node_affinity(r: Rejection) -> str:
    spec = r.diagnosis.subject.get("spec") or {}
    labels = "its labels do" if r.one else "their labels do"
    selector = spec.get("nodeSelector") or {}
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    )
    asks = []
    if selector:
        asks.append("nodeSelector " + ", ".join(f"{k}={v}" for k, v in sorted(selector.items())))
    if required:
        asks.append("required node affinity")
    wanted = _join(asks) if asks else "node affinity"
    return f"{labels} not match the pod's {wanted}"


def _node_name(r: Rejection) -> str:
    wanted = (r.diagnosis.subject.get("spec") or {}).get("nodeName") or "another node"
    return f"the pod asks for node {wanted} by name (spec.nodeName)"


def _node_ports(r: Rejection) -> str:
    taken = "it already has" if r.one else "they already have"
    return f"{taken} a pod using the host port this pod asks for"


def _quoted(reason: str) -> str:
    return f"“{reason}”"


def _generic(r: Rejection) -> str:
    """A plugin without a phrase: say what it said, in its own words."""
    return f"it said {_join([_quoted(x) for x in r.reasons])}"


FILTER_PHRASES: dict[str, Phrase] = {
    "NodeResourcesFit": _resources_fit,
    "TaintToleration": _taint_toleration,
    "NodeUnschedulable": _unschedulable,
    "NodeAffinity": _node_affinity,
    "NodeName": _node_name,
    "NodePorts": _node_ports,
}

# What cluster change could let the pod in, by the plugin that kept it out (the events
# kube-scheduler's queueing hints react to).
WAITS_FOR: dict[str, str] = {
    "NodeResourcesFit": "a node is added, or a pod is deleted",
    "TaintToleration": "a taint is removed, or a node is added",
    "NodeUnschedulable": "a node is uncordoned, or a node is added",
    "NodeAffinity": "a node's labels change, or a node is added",
    "NodeName": "the named node is added",
    "NodePorts": "a pod using the port is deleted, or a node is added",
    "InterPodAffinity": "pods (or node labels) change so that the affinity rules can be met",
    "PodTopologySpread": "pods (or node labels) change so that the spread constraint can be met",
    "VolumeBinding": "a volume or claim it can use becomes available",
}


def rejections(d: Diagnosis) -> list[Rejection]:
    """Filtered-out nodes grouped by plugin and reasons, in the order the plugins run."""
    groups: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for node in sorted(d.node_status, key=natural_order):
        st: Status = d.node_status[node]
        groups.setdefault((st.plugin, tuple(st.reasons)), []).append(node)
    order = {name: i for i, name in enumerate(d.filter_plugins)}
    keys = sorted(groups, key=lambda k: (order.get(k[0], -1), -len(groups[k])))
    return [Rejection(plugin, list(reasons), groups[(plugin, reasons)], d) for plugin, reasons in keys]


def rejection_sentence(r: Rejection) -> str:
    """`1 (cp-1) was ruled out by TaintToleration because it has the taint ...`."""
    phrase = FILTER_PHRASES.get(r.plugin, _generic)(r)
    verb = "was" if r.one else "were"
    by = f" by {r.plugin}" if r.plugin else ""
    return f"{_count(r.nodes)} {verb} ruled out{by} because {phrase}"


# ---------------------------------------------------------------------------------------------
# PostFilter (preemption), in plain words

_NOT_HELPFUL = re.compile(r"(\d+) Preemption is not helpful for scheduling")
_NO_VICTIMS = re.compile(r"(\d+) No preemption victims found for incoming pod")


def preemption_sentence(d: Diagnosis) -> str:
    msg = d.post_filter_msg
    if d.nominated_node:
        return (
            f"Preemption found room: lower-priority pods on {d.nominated_node} are evicted and the pod is "
            f"nominated to that node (status.nominatedNodeName); the next attempt places it there once "
            "they are gone."
        )
    if not msg:
        return ""
    if "preemptionPolicy=Never" in msg:
        return "Preemption was not tried: the pod's preemptionPolicy is Never."
    useless = sum(int(n) for n in _NOT_HELPFUL.findall(msg))
    no_victims = sum(int(n) for n in _NO_VICTIMS.findall(msg))
    if useless or no_victims:
        if not no_victims:
            return (
                "Preemption could not help: evicting pods does not remove what ruled the nodes out "
                "(a taint, a cordon, a label)."
            )
        if not useless:
            return "Preemption could not help: no lower-priority pods to evict."
        return (
            f"Preemption could not help: on {useless} node{'s' if useless != 1 else ''} evicting pods would "
            f"not remove what ruled it out, and on {no_victims} there are no lower-priority pods to evict."
        )
    return f"Preemption: {msg}"


# ---------------------------------------------------------------------------------------------
# The paragraph


def _looked_at(d: Diagnosis) -> str:
    n = d.num_all_nodes
    if took_nominated_node(d):
        return f"The scheduler looked at 1 of {n} nodes."
    if d.nodes_evaluated and d.nodes_evaluated < n:
        return (
            f"The scheduler looked at {d.nodes_evaluated} of {n} nodes: it stops once it has found "
            f"{len(d.feasible)} feasible ones (numFeasibleNodesToFind)."
        )
    return f"The scheduler looked at {n} node{'s' if n != 1 else ''}."


def _why_winner(d: Diagnosis) -> str:
    winner = d.selected
    assert winner is not None
    if took_nominated_node(d):
        return (
            f"An earlier preemption nominated it to {winner} (status.nominatedNodeName); the scheduler tried "
            f"that node first, it passed the filters, and it was chosen without looking further."
        )
    if not d.totals:
        passed = len(d.feasible)
        if passed == 1:
            return f"Only {winner} passed the filters, so it was chosen without scoring."
        return f"It was bound to {winner}."
    others = sorted(
        ((t, n) for n, t in d.totals.items() if n != winner), key=lambda x: (-x[0], natural_order(x[1]))
    )
    total = d.totals[winner]
    if not others:
        return f"{winner} scored {total}."
    runner_total, runner = others[0]
    if runner_total == total:
        tied = [winner] + [n for t, n in others if t == total]
        return (
            f"{_join(sorted(tied, key=natural_order))} tied with a total of {total}; the scheduler picked "
            f"{winner} at random among them."
        )
    table = d.scores
    ahead, behind = [], []
    for plugin in d.plugin_scores:
        mine, theirs = table[winner].weighted[plugin], table[runner].weighted[plugin]
        if mine > theirs:
            ahead.append((mine - theirs, plugin, mine, theirs))
        elif theirs > mine:
            behind.append((theirs - mine, plugin, mine, theirs))
    ahead.sort(key=lambda x: -x[0])
    behind.sort(key=lambda x: -x[0])
    text = f"{winner} won with a total of {total} against {runner_total} for {runner}, the runner-up"
    if ahead:
        parts = [f"{p} gave it {diff} more ({mine} against {theirs})" for diff, p, mine, theirs in ahead]
        text += f": {_join(parts)}"
    if behind:
        parts = [f"{p} by {diff} ({theirs} against {mine})" for diff, p, mine, theirs in behind]
        text += f", while {runner} was ahead on {_join(parts)}"
    return text + "."


def _waits_for(d: Diagnosis) -> str:
    plugins = sorted(d.unschedulable_plugins, key=lambda p: [*d.filter_plugins, p].index(p))
    changes: list[str] = []
    for plugin in plugins:
        change = WAITS_FOR.get(plugin, f"something {plugin} checks changes")
        for part in change.split(", or "):
            if part not in changes:
                changes.append(part)
    if not changes:
        return "It waits for a cluster change and is retried."
    return f"It waits until {', or '.join(changes)}."


def explain(d: Diagnosis) -> str:
    """One paragraph: where the scheduler looked, what ruled nodes out and why, what
    preemption found, and what the pod waits for — or why the chosen node won."""
    if d.num_all_nodes == 0:
        return (
            "There are no nodes, so the scheduler has nowhere to put the pod. It waits until a node is added."
        )
    sentences = [_looked_at(d)]
    if d.pre_filter_plugin:
        sentences.append(
            f"{d.pre_filter_plugin} rejected the pod before any node was checked (PreFilter): "
            f"{_quoted(d.pre_filter_msg)}."
        )
    else:
        said = [rejection_sentence(r) for r in rejections(d)]
        if said:
            sentences.append("; ".join(said) + ".")
    if d.selected is None:
        if not d.pre_filter_plugin and not d.node_status:
            sentences.append("No node passed the filters.")
        preemption = preemption_sentence(d)
        if preemption:
            sentences.append(preemption)
        if not d.nominated_node:
            sentences.append(_waits_for(d))
        return " ".join(sentences)
    if d.node_status:
        n = len(d.feasible)
        sentences.append(f"{n} node{'s' if n != 1 else ''} passed the filters.")
    sentences.append(_why_winner(d))
    if d.bind_error:
        sentences.append(
            f"Binding it to {d.selected} then failed ({_quoted(d.bind_error)}), so the pod is retried "
            "after a backoff."
        )
    return " ".join(sentences)
