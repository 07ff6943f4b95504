"""The scheduling framework's vocabulary: Status, CycleState, NodeInfo, plugins, Diagnosis.

Mirrors `k8s.io/kubernetes/pkg/scheduler/framework`. For each pod the scheduler runs the
profile's plugins at fixed extension points — PreFilter, Filter (per node: can the pod run
here?), PostFilter (when no node fits: preemption), PreScore, Score (per feasible node,
0–100), NormalizeScore, then picks the highest weighted sum and binds. Everything a plugin
said is kept in a `Diagnosis`, which the UI renders as the nodes × plugins table and the
FailedScheduling event quotes in Kubernetes' own words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..quantity import int_value, milli_value

Obj = dict[str, Any]

SUCCESS = "Success"
UNSCHEDULABLE = "Unschedulable"
UNRESOLVABLE = "UnschedulableAndUnresolvable"
SKIP = "Skip"
ERROR = "Error"

MAX_NODE_SCORE = 100
# Scoring counts a container without requests as asking for this much (schedutil defaults).
DEFAULT_MILLI_CPU_REQUEST = 100
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024


@dataclass
class Status:
    code: str = SUCCESS
    reasons: list[str] = field(default_factory=list)
    plugin: str = ""

    @property
    def ok(self) -> bool:
        return self.code == SUCCESS

    def message(self) -> str:
        return ", ".join(self.reasons)


# Plugins return this shared instance for success (never mutate it).
OK = Status()


@dataclass(slots=True)
class Resources:
    milli_cpu: int = 0
    memory: int = 0

    def add(self, other: Resources) -> None:
        self.milli_cpu += other.milli_cpu
        self.memory += other.memory

    def sub(self, other: Resources) -> None:
        self.milli_cpu -= other.milli_cpu
        self.memory -= other.memory


def _container_requests(c: Obj, non_zero: bool) -> Resources:
    req = (c.get("resources") or {}).get("requests") or {}
    cpu = milli_value(req["cpu"]) if "cpu" in req else (DEFAULT_MILLI_CPU_REQUEST if non_zero else 0)
    mem = int_value(req["memory"]) if "memory" in req else (DEFAULT_MEMORY_REQUEST if non_zero else 0)
    return Resources(cpu, mem)


def pod_requests(pod: Obj, non_zero: bool = False) -> Resources:
    """`resourcehelper.PodRequests`: sum of containers, at least the largest init container."""
    spec = pod["spec"]
    total = Resources()
    for c in spec.get("containers") or ():
        total.add(_container_requests(c, non_zero))
    for c in spec.get("initContainers") or ():
        r = _container_requests(c, non_zero)
        total.milli_cpu = max(total.milli_cpu, r.milli_cpu)
        total.memory = max(total.memory, r.memory)
    return total


class NodeInfo:
    """The scheduler's view of one node: the Node and what its pods request."""

    __slots__ = (
        "allocatable",
        "allowed_pods",
        "name",
        "node",
        "non_zero_requested",
        "pods",
        "requested",
        "taints",
        "unschedulable",
    )

    def __init__(self, node: Obj) -> None:
        self.name = node["metadata"]["name"]
        self.pods: dict[str, Obj] = {}
        self.requested = Resources()
        self.non_zero_requested = Resources()
        self.set_node(node)

    def set_node(self, node: Obj) -> None:
        self.node = node
        spec = node.get("spec") or {}
        self.taints: list[Obj] = spec.get("taints") or []
        self.unschedulable = bool(spec.get("unschedulable"))
        alloc = node.get("status", {}).get("allocatable") or {}
        self.allocatable = Resources(milli_value(alloc.get("cpu", 0)), int_value(alloc.get("memory", 0)))
        self.allowed_pods = int_value(alloc.get("pods", 110))

    def add_pod(self, key: str, pod: Obj) -> None:
        if key in self.pods:
            self.remove_pod(key)
        self.pods[key] = pod
        self.requested.add(pod_requests(pod))
        self.non_zero_requested.add(pod_requests(pod, non_zero=True))

    def remove_pod(self, key: str) -> None:
        pod = self.pods.pop(key, None)
        if pod is not None:
            self.requested.sub(pod_requests(pod))
            self.non_zero_requested.sub(pod_requests(pod, non_zero=True))


class CycleState(dict[str, Any]):
    """Per-attempt scratch space plugins share (PreFilter computes, Filter reads)."""


class Plugin:
    name: ClassVar[str] = ""

    def __init__(self, args: Obj | None = None) -> None:
        self.args = args or {}


class PreFilterPlugin(Plugin):
    def pre_filter(self, state: CycleState, pod: Obj) -> Status:
        raise NotImplementedError


class FilterPlugin(Plugin):
    def filter(self, state: CycleState, pod: Obj, node: NodeInfo) -> Status:
        raise NotImplementedError


class PostFilterPlugin(Plugin):
    def post_filter(self, state: CycleState, pod: Obj, diagnosis: Diagnosis, nodes: list[NodeInfo]) -> str:
        """Returns the message appended to the FitError (`preemption: ...`)."""
        raise NotImplementedError


class PreScorePlugin(Plugin):
    def pre_score(self, state: CycleState, pod: Obj, nodes: list[NodeInfo]) -> Status:
        raise NotImplementedError


class ScorePlugin(Plugin):
    def score(self, state: CycleState, pod: Obj, node: NodeInfo) -> int:
        raise NotImplementedError

    def normalize(self, state: CycleState, pod: Obj, scores: dict[str, int]) -> None:
        """NormalizeScore, in place; the default is no normalisation."""


@dataclass
class NodeScore:
    """One node's row of the score table: per plugin raw, normalised and weighted scores."""

    raw: dict[str, int] = field(default_factory=dict)
    normalized: dict[str, int] = field(default_factory=dict)
    weighted: dict[str, int] = field(default_factory=dict)
    total: int = 0


@dataclass
class PluginScores:
    """One score plugin's column: raw and normalised score per node, and its weight."""

    weight: int
    raw: dict[str, int]
    normalized: dict[str, int]


@dataclass
class Diagnosis:
    """Everything one scheduling attempt found out, for the UI and the event message."""

    pod: str
    time: float
    num_all_nodes: int = 0
    node_status: dict[str, Status] = field(default_factory=dict)  # filter verdicts (failures)
    feasible: list[str] = field(default_factory=list)
    plugin_scores: dict[str, PluginScores] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    skipped_score_plugins: list[str] = field(default_factory=list)
    pre_filter_msg: str = ""
    post_filter_msg: str = ""
    selected: str | None = None
    nodes_evaluated: int = 0

    @property
    def scores(self) -> dict[str, NodeScore]:
        """The score table by node (built on demand; the scheduler stores it by plugin)."""
        table = {name: NodeScore(total=total) for name, total in self.totals.items()}
        for plugin, col in self.plugin_scores.items():
            for name, raw in col.raw.items():
                row = table[name]
                row.raw[plugin] = raw
                row.normalized[plugin] = col.normalized[name]
                row.weighted[plugin] = col.normalized[name] * col.weight
        return table

    def fit_error(self) -> str:
        """`FitError.Error()`: `0/4 nodes are available: <sorted histogram>. <postfilter>.`"""
        msg = f"0/{self.num_all_nodes} nodes are available:"
        if self.pre_filter_msg:
            msg += f" {self.pre_filter_msg}."
        histogram: dict[str, int] = {}
        for st in self.node_status.values():
            for reason in st.reasons:
                histogram[reason] = histogram.get(reason, 0) + 1
        if histogram:
            msg += " " + ", ".join(sorted(f"{n} {r}" for r, n in histogram.items())) + "."
        if self.post_filter_msg:
            msg += f" {self.post_filter_msg}."
        return msg
