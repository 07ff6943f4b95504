"""The scheduling framework's vocabulary: Status, CycleState, NodeInfo, plugins, Diagnosis.

Mirrors `k8s.io/kubernetes/pkg/scheduler/framework`. For each pod the scheduler runs the
profile's plugins at fixed extension points — PreFilter (once per pod: compute state, or
`Skip` to say "my Filter has nothing to check for this pod", or reject outright), Filter (per
node: can the pod run here?), PostFilter (when no node fits: preemption), PreScore, Score (per
feasible node, 0–100), NormalizeScore, then the highest weighted sum wins; Reserve (claim
what the node will give the pod), Permit (approve, reject — waiting is not simulated),
PreBind, Bind (the `pods/binding` write) and PostBind. Everything a plugin said is kept in a
`Diagnosis`, which the UI renders as the nodes × plugins table and the FailedScheduling
event quotes in Kubernetes' own words.

A plugin is constructed with its args (from the profile's `pluginConfig`) and a `Handle` —
kube-scheduler's `framework.Handle`: the API client it acts through, the clock, the event
recorder and the scheduler's cache of nodes.
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
        "name",
        "node",
        "non_zero_requested",
        "pods",
        "pods_with_affinity",
        "pods_with_required_anti_affinity",
        "requested",
        "taints",
        "unschedulable",
        "used_ports",
    )

    def __init__(self, node: Obj) -> None:
        self.name = node["metadata"]["name"]
        self.pods: dict[str, Obj] = {}
        self.requested = Resources()
        self.non_zero_requested = Resources()
        self.pods_with_affinity: dict[str, Obj] = {}
        self.pods_with_required_anti_affinity: dict[str, Obj] = {}
        self.used_ports: dict[tuple[str, str, int], int] = {}  # triple → pods using it
        self.set_node(node)

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

    def add_pod(self, key: str, pod: Obj) -> None:
        if key in self.pods:
            self.remove_pod(key)
        self.pods[key] = pod
        self.requested.add(pod_requests(pod))
        self.non_zero_requested.add(pod_requests(pod, non_zero=True))
        has_affinity, required_anti = _pod_affinity(pod)
        if has_affinity:
            self.pods_with_affinity[key] = pod
        if required_anti:
            self.pods_with_required_anti_affinity[key] = pod
        for triple in host_ports(pod):
            self.used_ports[triple] = self.used_ports.get(triple, 0) + 1

    def remove_pod(self, key: str) -> None:
        pod = self.pods.pop(key, None)
        if pod is not None:
            self.requested.sub(pod_requests(pod))
            self.non_zero_requested.sub(pod_requests(pod, non_zero=True))
            self.pods_with_affinity.pop(key, None)
            self.pods_with_required_anti_affinity.pop(key, None)
            for triple in host_ports(pod):
                left = self.used_ports.get(triple, 0) - 1
                if left > 0:
                    self.used_ports[triple] = left
                else:
                    self.used_ports.pop(triple, None)


class CycleState(dict[str, Any]):
    """Per-attempt scratch space plugins share (PreFilter computes, Filter reads)."""


@dataclass
class Handle:
    """What the framework hands every plugin (kube-scheduler's `framework.Handle`)."""

    server: Any  # the APIServer the scheduler's client talks to
    user: Any  # the scheduler's identity (system:kube-scheduler)
    clock: Any
    recorder: Any  # EventRecorder reporting as the profile's schedulerName
    node_infos: dict[str, NodeInfo] = field(default_factory=dict)  # the scheduler's cache


class Plugin:
    name: ClassVar[str] = ""

    def __init__(self, args: Obj | None = None, handle: Handle | None = None) -> None:
        self.args = args or {}
        self.handle = handle


class PreFilterPlugin(Plugin):
    def pre_filter(self, state: CycleState, pod: Obj, nodes: list[NodeInfo]) -> Status:
        """Once per attempt, before any Filter. `SKIP` means this plugin's Filter is not run
        for this pod; a failure rejects every node with the status's message."""
        raise NotImplementedError


class FilterPlugin(Plugin):
    def filter(self, state: CycleState, pod: Obj, node: NodeInfo) -> Status:
        raise NotImplementedError


@dataclass
class PostFilterResult:
    """What PostFilter found: the message appended to the FitError (`preemption: ...`) and,
    when preemption made room, the node the pod is nominated to."""

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

    def normalize(self, state: CycleState, pod: Obj, scores: dict[str, int]) -> None:
        """NormalizeScore, in place; the default is no normalisation."""


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
    pre_filter_plugin: str = ""  # the PreFilter that rejected the pod, if one did
    skipped_filter_plugins: list[str] = field(default_factory=list)  # PreFilter said Skip
    post_filter_msg: str = ""
    nominated_node: str | None = None  # set by PostFilter (preemption)
    selected: str | None = None
    nodes_evaluated: int = 0
    bind_error: str = ""  # a Reserve/Permit/PreBind/Bind failure after a node was chosen
    state: CycleState = field(default_factory=CycleState, repr=False, compare=False)

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
            for name, raw in col.raw.items():
                row = table[name]
                row.raw[plugin] = raw
                row.normalized[plugin] = col.normalized[name]
                row.weighted[plugin] = col.normalized[name] * col.weight
        return table

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
