"""The scheduling framework's vocabulary: Status, CycleState, NodeInfo, plugins, Diagnosis.

Mirrors `k8s.io/kubernetes/pkg/scheduler/framework`. For each pod the scheduler runs the
profile's plugins at fixed extension points — PreFilter (once per pod: compute state, or
`Skip` to say "my Filter has nothing to check for this pod", or reject outright), Filter (per
node: can the pod run here?), PostFilter (when no node fits: preemption), PreScore, Score (per
feasible node, 0–100), NormalizeScore, then the highest weighted sum wins; Reserve (claim
what the node will give the pod), Permit (approve, reject — waiting is not simulated),
PreBind, Bind (the `pods/binding` write) and PostBind. Everything a plugin said is kept in a
`Diagnosis`, which the UI renders as the nodes × plugins table and the FailedScheduling
event quotes in Kubernetes' own words. Before all that, PreEnqueue plugins (SchedulingGates)
decide whether a pod may enter the scheduling queue at all, and every plugin that can reject
a pod names the cluster events that could change its verdict (`events_to_register`).

A plugin is constructed with its args (from the profile's `pluginConfig`) and a `Handle` —
kube-scheduler's `framework.Handle`: the API client it acts through, the clock, the event
recorder and the scheduler's cache of nodes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import numpy.typing as npt

from ..quantity import int_value, milli_value
from .events import ANY_EVENT, ClusterEventWithHint

if TYPE_CHECKING:
    from .node_columns import NodeTable

Obj = dict[str, Any]
# A column of scores, one per node: a list, or an int64 array from a plugin's array arithmetic.
Scores = list[int] | npt.NDArray[np.int64]

SUCCESS = "Success"
UNSCHEDULABLE = "Unschedulable"
UNRESOLVABLE = "UnschedulableAndUnresolvable"
SKIP = "Skip"
ERROR = "Error"
#: A PreBind plugin waiting for the API (VolumeBinding for its claims): the binding cycle, which
#: runs apart from scheduling in kube-scheduler, asks it again after `WAIT_POLL_SECONDS`.
WAIT = "Wait"
WAIT_POLL_SECONDS = 1.0

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


_FOOTPRINT = ("containers", "initContainers", "overhead", "affinity")


def _same_footprint(old: Obj, new: Obj) -> bool:
    """Whether two versions of a pod request, claim and (anti-)affine alike: everything a
    NodeInfo derives from a pod (requests, host ports, the affinity indexes)."""
    a, b = old["spec"], new["spec"]
    return all(a.get(f) == b.get(f) for f in _FOOTPRINT)


def host_ports(pod: Obj) -> list[tuple[str, str, int]]:
    """The `(hostIP, protocol, hostPort)` triples a pod's containers claim on their node."""
    ports = []
    for c in pod["spec"].get("containers") or ():
        for p in c.get("ports") or ():
            if p.get("hostPort"):
                ports.append((p.get("hostIP") or "0.0.0.0", p.get("protocol") or "TCP", int(p["hostPort"])))
    return ports


def _pod_affinity(pod: Obj) -> tuple[bool, bool]:
    """(has any pod (anti-)affinity, has required anti-affinity terms)."""
    aff = pod["spec"].get("affinity") or {}
    pa, paa = aff.get("podAffinity") or {}, aff.get("podAntiAffinity") or {}
    has_any = bool(pa or paa)
    return has_any, bool(paa.get("requiredDuringSchedulingIgnoredDuringExecution"))


# Bumped whenever a NodeInfo is made or a pod with pod (anti-)affinity joins or leaves one: the
# Handle's lists of the nodes that have such pods are rebuilt only after it moved.
AFFINITY_CHANGES = [0]


class NodeInfo:
    """The scheduler's view of one node: the Node, its pods and what they request and claim.

    Like kube-scheduler's `framework.NodeInfo` it also indexes the pods that carry pod
    (anti-)affinity (InterPodAffinity only has to look at those), the host ports in use
    (NodePorts) and the images the node reports (ImageLocality).
    """

    __slots__ = (
        "allocatable",
        "allowed_pods",
        "images",
        "labels",
        "match_counts",
        "name",
        "node",
        "non_zero_requested",
        "pods",
        "pods_with_affinity",
        "pods_with_required_anti_affinity",
        "requested",
        "row",
        "table",
        "taints",
        "unschedulable",
        "used_ports",
    )

    def __init__(self, node: Obj) -> None:
        self.name = node["metadata"]["name"]
        self.pods: dict[str, Obj] = {}
        # (namespace, selector) → how many of `pods` PodTopologySpread counts for it; forgotten
        # whenever `pods` changes (`count_matching_on`)
        self.match_counts: dict[tuple[Any, ...], int] = {}
        self.requested = Resources()
        self.non_zero_requested = Resources()
        self.pods_with_affinity: dict[str, Obj] = {}
        self.pods_with_required_anti_affinity: dict[str, Obj] = {}
        self.used_ports: dict[tuple[str, str, int], int] = {}  # triple → pods using it
        self.table: NodeTable | None = None  # the scheduler cache's arrays (`node_columns.py`)
        self.row = -1
        self.set_node(node)
        AFFINITY_CHANGES[0] += 1

    def set_node(self, node: Obj) -> None:
        self.node = node
        spec = node.get("spec") or {}
        self.labels: dict[str, str] = node["metadata"].get("labels") or {}
        self.taints: list[Obj] = spec.get("taints") or []
        self.unschedulable = bool(spec.get("unschedulable"))
        status = node.get("status") or {}
        alloc = status.get("allocatable") or {}
        self.allocatable = Resources(milli_value(alloc.get("cpu", 0)), int_value(alloc.get("memory", 0)))
        self.allowed_pods = int_value(alloc.get("pods", 110))
        # image name (every tag/digest it is known by) → size in bytes
        self.images: dict[str, int] = {
            name: int(img.get("sizeBytes") or 0)
            for img in status.get("images") or ()
            for name in img.get("names") or ()
        }
        if self.table is not None:
            self.table.write(self.row, self)
            self.table.write_flags(self.row, self)

    def attach(self, table: NodeTable) -> None:
        """Keep this node's numbers in a row of `table` from now on."""
        self.table, self.row = table, table.new_row()
        table.write(self.row, self)
        table.write_flags(self.row, self)

    def detach(self) -> None:
        if self.table is not None:
            self.table.release(self.row)
        self.table, self.row = None, -1

    def add_pod(self, key: str, pod: Obj) -> None:
        old = self.pods.get(key)
        if old is not None:
            if _same_footprint(old, pod):  # e.g. the binding confirms an assumed pod
                self.pods[key] = pod
                self.match_counts.clear()  # labels or deletionTimestamp may have changed
                if key in self.pods_with_affinity:
                    self.pods_with_affinity[key] = pod
                    AFFINITY_CHANGES[0] += 1
                if key in self.pods_with_required_anti_affinity:
                    self.pods_with_required_anti_affinity[key] = pod
                return
            self.remove_pod(key)
        self.pods[key] = pod
        self.match_counts.clear()
        self.requested.add(pod_requests(pod))
        self.non_zero_requested.add(pod_requests(pod, non_zero=True))
        has_affinity, required_anti = _pod_affinity(pod)
        if has_affinity:
            self.pods_with_affinity[key] = pod
            AFFINITY_CHANGES[0] += 1
        if required_anti:
            self.pods_with_required_anti_affinity[key] = pod
        for triple in host_ports(pod):
            self.used_ports[triple] = self.used_ports.get(triple, 0) + 1
        if self.table is not None:
            self.table.write(self.row, self)

    def remove_pod(self, key: str) -> None:
        pod = self.pods.pop(key, None)
        if pod is not None:
            self.match_counts.clear()
            self.requested.sub(pod_requests(pod))
            self.non_zero_requested.sub(pod_requests(pod, non_zero=True))
            if self.pods_with_affinity.pop(key, None) is not None:
                AFFINITY_CHANGES[0] += 1
            self.pods_with_required_anti_affinity.pop(key, None)
            for triple in host_ports(pod):
                left = self.used_ports.get(triple, 0) - 1
                if left > 0:
                    self.used_ports[triple] = left
                else:
                    self.used_ports.pop(triple, None)
            if self.table is not None:
                self.table.write(self.row, self)

    def clone(self) -> NodeInfo:
        """`NodeInfo.Snapshot()`: a copy whose pods can be added and removed (preemption's dry
        run) without touching the scheduler's cache; the Node and pod objects are shared."""
        out = NodeInfo.__new__(NodeInfo)
        out.name, out.node, out.labels, out.taints = self.name, self.node, self.labels, self.taints
        out.unschedulable, out.allocatable = self.unschedulable, self.allocatable
        out.allowed_pods = self.allowed_pods
        out.images = self.images
        out.pods = dict(self.pods)
        out.match_counts = dict(self.match_counts)
        out.requested = Resources(self.requested.milli_cpu, self.requested.memory)
        out.non_zero_requested = Resources(self.non_zero_requested.milli_cpu, self.non_zero_requested.memory)
        out.pods_with_affinity = dict(self.pods_with_affinity)
        out.pods_with_required_anti_affinity = dict(self.pods_with_required_anti_affinity)
        out.used_ports = dict(self.used_ports)
        out.table, out.row = None, -1  # a copy's pods never reach the cache's arrays
        return out


class CycleState(dict[str, Any]):
    """Per-attempt scratch space plugins share (PreFilter computes, Filter reads).

    `skip_filter_plugins` are the plugins whose PreFilter said Skip for this pod."""

    skip_filter_plugins: frozenset[str] = frozenset()

    def clone(self) -> CycleState:
        """`CycleState.Clone()`: entries that have a `clone()` (state a PreFilter extension
        mutates as pods are added or removed) are cloned, the rest shared."""
        out = CycleState({k: v.clone() if hasattr(v, "clone") else v for k, v in self.items()})
        out.skip_filter_plugins = self.skip_filter_plugins
        return out


@dataclass
class Handle:
    """What the framework hands every plugin (kube-scheduler's `framework.Handle`)."""

    server: Any  # the APIServer the scheduler's client talks to
    user: Any  # the scheduler's identity (system:kube-scheduler)
    clock: Any
    recorder: Any  # EventRecorder reporting as the profile's schedulerName
    node_infos: dict[str, NodeInfo] = field(default_factory=dict)  # the scheduler's cache
    informers: Any = None  # the scheduler's shared informer factory (SharedInformerFactory)
    # The framework running the profile (the Scheduler): what preemption calls back into.
    framework: Any = None

    _affinity_lists: tuple[tuple[int, int], list[NodeInfo], list[NodeInfo]] | None = field(
        default=None, repr=False, compare=False
    )

    def _with_affinity(self) -> tuple[list[NodeInfo], list[NodeInfo]]:
        key = (AFFINITY_CHANGES[0], len(self.node_infos))
        cached = self._affinity_lists
        if cached is None or cached[0] != key:
            infos = self.node_infos.values()
            with_affinity = [info for info in infos if info.pods_with_affinity]
            with_required_anti = [info for info in with_affinity if info.pods_with_required_anti_affinity]
            cached = self._affinity_lists = (key, with_affinity, with_required_anti)
        return cached[1], cached[2]

    def nodes_with_affinity(self) -> list[NodeInfo]:
        """The cached nodes that hold a pod with pod affinity or anti-affinity, in cache order
        (the snapshot's `HavePodsWithAffinityList()`, which kube-scheduler also keeps so that
        InterPodAffinity need not walk every node). Shared: do not modify."""
        return self._with_affinity()[0]

    def nodes_with_required_anti_affinity(self) -> list[NodeInfo]:
        """The cached nodes that hold a pod with required pod anti-affinity
        (`HavePodsWithRequiredAntiAffinityList()`). Shared: do not modify."""
        return self._with_affinity()[1]

    def run_filters_with_nominated_pods(self, state: CycleState, pod: Obj, node: NodeInfo) -> Status:
        """`RunFilterPluginsWithNominatedPods` of the profile against one NodeInfo."""
        return self.framework.run_filters_with_nominated_pods(state, pod, node)

    def run_pre_filter_extension_add_pod(
        self, state: CycleState, pod: Obj, key: str, to_add: Obj, node: NodeInfo
    ) -> Status:
        return self.framework.run_pre_filter_extension_add_pod(state, pod, key, to_add, node)

    def run_pre_filter_extension_remove_pod(
        self, state: CycleState, pod: Obj, key: str, to_remove: Obj, node: NodeInfo
    ) -> Status:
        return self.framework.run_pre_filter_extension_remove_pod(state, pod, key, to_remove, node)

    def nominated_pods_for_node(self, node: str) -> list[tuple[str, Obj]]:
        return self.framework.nominator.pods_for_node(node)


class Plugin:
    name: ClassVar[str] = ""

    def __init__(self, args: Obj | None = None, handle: Handle | None = None) -> None:
        self.args = args or {}
        self.handle = handle

    def events_to_register(self) -> Sequence[ClusterEventWithHint]:
        """`EnqueueExtensions.EventsToRegister`: the cluster events that could make a pod this
        plugin rejected schedulable, each with an optional QueueingHint (`events.py`). The
        scheduling queue moves a rejected pod out of the unschedulable pool only on such an
        event. The default, as for a kube-scheduler plugin that does not implement the
        interface, is every event of every resource: never wrong, only eager."""
        return ANY_EVENT


class PreEnqueuePlugin(Plugin):
    """PreEnqueue: runs before a pod enters the active queue (on creation, on every move back
    from the unschedulable pool or backoff); a failure keeps the pod out of the queue — gated
    — in the unschedulable pool until an event its `events_to_register` names lets it in."""

    def pre_enqueue(self, pod: Obj) -> Status:
        raise NotImplementedError


class PreFilterPlugin(Plugin):
    def pre_filter(self, state: CycleState, pod: Obj, nodes: list[NodeInfo]) -> Status:
        """Once per attempt, before any Filter. `SKIP` means this plugin's Filter is not run
        for this pod; a failure rejects every node with the status's message."""
        raise NotImplementedError

    # PreFilterExtensions: a plugin whose PreFilter state depends on the pods of other nodes
    # (pod affinity, topology spread) updates it when preemption or a nominated pod adds or
    # removes a pod on `node` (a clone). The default has no such state.
    def add_pod(self, state: CycleState, pod: Obj, key: str, to_add: Obj, node: NodeInfo) -> Status:
        return OK

    def remove_pod(self, state: CycleState, pod: Obj, key: str, to_remove: Obj, node: NodeInfo) -> Status:
        return OK


class FilterPlugin(Plugin):
    def filter(self, state: CycleState, pod: Obj, node: NodeInfo) -> Status:
        raise NotImplementedError

    def filter_many(self, state: CycleState, pod: Obj, nodes: list[NodeInfo]) -> list[Status]:
        """Filter for several nodes at once, one status per node in order. kube-scheduler runs
        Filter on 16 goroutines; here the batch form lets a plugin answer the common case
        (nothing to check for this pod, or for most nodes) without a call per node. It must
        say exactly what `filter` says for each node; the default simply calls it."""
        flt = self.filter
        return [flt(state, pod, node) for node in nodes]


@dataclass
class PostFilterResult:
    """What PostFilter found: the message appended to the FitError (`preemption: ...`) and,
    when preemption made room, the node the pod is nominated to ("" clears a nomination;
    None leaves it as it is)."""

    message: str = ""
    nominated_node: str | None = None


class PostFilterPlugin(Plugin):
    def post_filter(
        self, state: CycleState, pod: Obj, diagnosis: Diagnosis, nodes: list[NodeInfo]
    ) -> PostFilterResult:
        raise NotImplementedError


class PreScorePlugin(Plugin):
    def pre_score(self, state: CycleState, pod: Obj, nodes: list[NodeInfo]) -> Status:
        raise NotImplementedError


class ScorePlugin(Plugin):
    def score(self, state: CycleState, pod: Obj, node: NodeInfo) -> int:
        raise NotImplementedError

    def score_many(self, state: CycleState, pod: Obj, nodes: list[NodeInfo]) -> Scores:
        """Score for several nodes at once, in order (the batch form of `score`, which it must
        agree with; the default calls it per node). A list, or an int64 array."""
        score = self.score
        return [score(state, pod, node) for node in nodes]

    def normalize(self, state: CycleState, pod: Obj, scores: dict[str, int]) -> None:
        """NormalizeScore, in place; the default is no normalisation."""

    def normalize_many(self, state: CycleState, pod: Obj, names: tuple[str, ...], scores: Scores) -> Scores:
        """NormalizeScore on a column of scores aligned to `names`, returning the normalised
        column (the batch form of `normalize`, which it must agree with; the default goes
        through it)."""
        by_node = dict(zip(names, _ints(scores), strict=True))
        self.normalize(state, pod, by_node)
        return [by_node[name] for name in names]


class ReservePlugin(Plugin):
    """Reserve claims node-level resources for the pod in the plugin's own state before the
    (asynchronous, in kube-scheduler) binding cycle; Unreserve undoes it when a later phase
    fails."""

    def reserve(self, state: CycleState, pod: Obj, node: str) -> Status:
        raise NotImplementedError

    def unreserve(self, state: CycleState, pod: Obj, node: str) -> None:
        raise NotImplementedError


class PermitPlugin(Plugin):
    """Permit approves or rejects the binding (the real framework can also make it wait, as
    gang scheduling does; no default plugin waits, and the simulation does not)."""

    def permit(self, state: CycleState, pod: Obj, node: str) -> Status:
        raise NotImplementedError


class PreBindPlugin(Plugin):
    def pre_bind(self, state: CycleState, pod: Obj, node: str) -> Status:
        raise NotImplementedError


class BindPlugin(Plugin):
    """Bind writes the decision; the first bind plugin that does not return `SKIP` binds."""

    def bind(self, state: CycleState, pod: Obj, node: str) -> Status:
        raise NotImplementedError


class PostBindPlugin(Plugin):
    def post_bind(self, state: CycleState, pod: Obj, node: str) -> None:
        raise NotImplementedError


@dataclass
class NodeScore:
    """One node's row of the score table: per plugin raw, normalised and weighted scores."""

    raw: dict[str, int] = field(default_factory=dict)
    normalized: dict[str, int] = field(default_factory=dict)
    weighted: dict[str, int] = field(default_factory=dict)
    total: int = 0


class PluginScores:
    """One score plugin's column: raw and normalised score per node, and its weight.

    Kept compactly — a Diagnosis is kept for each of the last 2,000 pods and a column can
    cover hundreds of nodes — as score lists aligned to the attempt's tuple of scored node
    names (shared by every column); `raw` and `normalized` give them by node name."""

    __slots__ = ("_normalized", "_raw", "nodes", "normalized_scores", "raw_scores", "weight")

    def __init__(
        self, weight: int, nodes: tuple[str, ...], raw_scores: Scores, normalized_scores: Scores
    ) -> None:
        self.weight = weight
        self.nodes = nodes
        # (an array column stays an array until asked for: then it becomes a list of ints)
        self.raw_scores: Scores = raw_scores
        self.normalized_scores: Scores = normalized_scores
        self._raw: dict[str, int] | None = None  # built when first asked for (the UI)
        self._normalized: dict[str, int] | None = None

    @property
    def raw(self) -> dict[str, int]:
        if self._raw is None:
            self._raw = dict(zip(self.nodes, _ints(self.raw_scores), strict=True))
        return self._raw

    @property
    def normalized(self) -> dict[str, int]:
        if self._normalized is None:
            self._normalized = dict(zip(self.nodes, _ints(self.normalized_scores), strict=True))
        return self._normalized

    def __repr__(self) -> str:
        return f"PluginScores(weight={self.weight}, raw={self.raw}, normalized={self.normalized})"


def _ints(scores: Scores) -> list[int]:
    """A score column as Python ints."""
    return scores.tolist() if isinstance(scores, np.ndarray) else scores  # type: ignore[no-any-return]


@dataclass(slots=True)
class NodeFacts:
    """What the scheduler's cache held for one node when an attempt filtered it: the Node as
    cached (shared, never mutated), what its pods requested then, and how many pods it had.
    Kept so the explanation can say "1.5 CPU unrequested" or name the taint."""

    node: Obj
    requested: Resources
    pods: int


@dataclass
class Diagnosis:
    """Everything one scheduling attempt found out, for the UI and the event message."""

    pod: str
    time: float
    num_all_nodes: int = 0
    node_status: dict[str, Status] = field(default_factory=dict)  # filter verdicts (failures)
    feasible: list[str] = field(default_factory=list)
    plugin_scores: dict[str, PluginScores] = field(default_factory=dict)
    scored_nodes: tuple[str, ...] = ()  # the nodes Score ran on, in order
    total_scores: list[int] = field(default_factory=list)  # aligned to scored_nodes
    skipped_score_plugins: list[str] = field(default_factory=list)
    pre_filter_msg: str = ""
    pre_filter_plugin: str = ""  # the PreFilter that rejected the pod, if one did
    skipped_filter_plugins: list[str] = field(default_factory=list)  # PreFilter said Skip
    post_filter_msg: str = ""
    nominated_node: str | None = None  # PostFilter (preemption): the node, or "" to clear it
    selected: str | None = None
    nodes_evaluated: int = 0
    bind_error: str = ""  # a Reserve/Permit/PreBind/Bind failure after a node was chosen
    state: CycleState = field(default_factory=CycleState, repr=False, compare=False)
    # For the explanation: the pod as the attempt saw it, the profile's Filter plugins and
    # Score weights, and the cached facts of the nodes filtered out (the first hundred).
    subject: Obj = field(default_factory=dict, repr=False, compare=False)
    filter_plugins: list[str] = field(default_factory=list)
    score_weights: dict[str, int] = field(default_factory=dict)
    node_facts: dict[str, NodeFacts] = field(default_factory=dict, repr=False, compare=False)

    @property
    def unschedulable_plugins(self) -> set[str]:
        """Plugins that rejected the pod somewhere (the queue requeues on their events)."""
        plugins = {st.plugin for st in self.node_status.values() if st.plugin}
        if self.pre_filter_plugin:
            plugins.add(self.pre_filter_plugin)
        return plugins

    @property
    def scores(self) -> dict[str, NodeScore]:
        """The score table by node (built on demand; the scheduler stores it by plugin)."""
        table = {name: NodeScore(total=total) for name, total in self.totals.items()}
        for plugin, col in self.plugin_scores.items():
            columns = zip(col.nodes, _ints(col.raw_scores), _ints(col.normalized_scores), strict=True)
            for name, raw, normalized in columns:
                row = table[name]
                row.raw[plugin] = raw
                row.normalized[plugin] = normalized
                row.weighted[plugin] = normalized * col.weight
        return table

    @cached_property
    def totals(self) -> dict[str, int]:
        """Each scored node's weighted total (kept as a list aligned to `scored_nodes`; the
        mapping is built when first asked for)."""
        return dict(zip(self.scored_nodes, self.total_scores, strict=True))

    def fit_error(self) -> str:
        """`FitError.Error()`: `0/4 nodes are available: <sorted histogram>. <postfilter>.`"""
        msg = f"0/{self.num_all_nodes} nodes are available:"
        histogram: dict[str, int] = {}
        if self.pre_filter_msg:  # every node has the PreFilter's status; it is said once
            msg += f" {self.pre_filter_msg}."
        else:
            for st in self.node_status.values():
                for reason in st.reasons:
                    histogram[reason] = histogram.get(reason, 0) + 1
        if histogram:
            msg += " " + ", ".join(sorted(f"{n} {r}" for r, n in histogram.items())) + "."
        if self.post_filter_msg:
            msg += f" {self.post_filter_msg}."
        return msg
