"""The plugin registry and the default profile, written out literally.

As in kube-scheduler's `plugins/registry.go` (the registry: name → plugin) and
`apis/config/v1/default_plugins.go` (the default profile). Since `kubescheduler.config.k8s.io/v1`
a profile lists its plugins once under `multiPoint`, in order, with their score weights; each
plugin is then enabled at every extension point it implements, in that order. So filters run
in this order and a node is rejected by the first that fails, and the score weights are
Kubernetes' defaults (TaintToleration 3, NodeAffinity 2, PodTopologySpread 2,
InterPodAffinity 2, NodeResourcesFit 1, NodeResourcesBalancedAllocation 1, ImageLocality 1).

A `Profile` can also disable a plugin at one extension point (`disabled`) or everywhere, and
carries per-plugin args (`pluginConfig`); `scheduler_config.py` reads them from a
KubeSchedulerConfiguration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .framework import Plugin
from .plugins.balanced_allocation import NodeResourcesBalancedAllocation
from .plugins.default_binder import DefaultBinder
from .plugins.default_preemption import DefaultPreemption
from .plugins.image_locality import ImageLocality
from .plugins.inter_pod_affinity import InterPodAffinity
from .plugins.node_affinity import NodeAffinity
from .plugins.node_name import NodeName
from .plugins.node_ports import NodePorts
from .plugins.node_resources_fit import NodeResourcesFit
from .plugins.node_unschedulable import NodeUnschedulable
from .plugins.pod_topology_spread import PodTopologySpread
from .plugins.scheduling_gates import SchedulingGates
from .plugins.taint_toleration import TaintToleration
from .plugins.volume_binding import VolumeBinding

REGISTRY: dict[str, type[Plugin]] = {
    "SchedulingGates": SchedulingGates,
    "NodeUnschedulable": NodeUnschedulable,
    "NodeName": NodeName,
    "TaintToleration": TaintToleration,
    "NodeAffinity": NodeAffinity,
    "NodePorts": NodePorts,
    "NodeResourcesFit": NodeResourcesFit,
    "VolumeBinding": VolumeBinding,
    "PodTopologySpread": PodTopologySpread,
    "NodeResourcesBalancedAllocation": NodeResourcesBalancedAllocation,
    "InterPodAffinity": InterPodAffinity,
    "DefaultPreemption": DefaultPreemption,
    "ImageLocality": ImageLocality,
    "DefaultBinder": DefaultBinder,
}

# getDefaultPlugins() for v1.32: (name, score weight) in multiPoint order. Score weight 0
# means the plugin does not score (or scores with weight 1 if it does: see `weight_of`).
DEFAULT_MULTI_POINT: list[tuple[str, int]] = [
    ("SchedulingGates", 0),
    ("NodeUnschedulable", 0),
    ("NodeName", 0),
    ("TaintToleration", 3),
    ("NodeAffinity", 2),
    ("NodePorts", 0),
    ("NodeResourcesFit", 1),
    ("VolumeBinding", 0),
    ("PodTopologySpread", 2),
    ("InterPodAffinity", 2),
    ("DefaultPreemption", 0),
    ("NodeResourcesBalancedAllocation", 1),
    ("ImageLocality", 1),
    ("DefaultBinder", 0),
]

EXTENSION_POINTS = (
    "preFilter",
    "filter",
    "postFilter",
    "preScore",
    "score",
    "reserve",
    "permit",
    "preBind",
    "bind",
    "postBind",
)


@dataclass
class Profile:
    """One KubeSchedulerConfiguration profile: which plugins run, in which order, weighted how."""

    scheduler_name: str = "default-scheduler"
    multi_point: list[tuple[str, int]] = field(default_factory=lambda: list(DEFAULT_MULTI_POINT))
    # extension point → plugins disabled there ("*" disables all of the multiPoint set there)
    disabled: dict[str, set[str]] = field(default_factory=dict)
    # extension point → plugins enabled there explicitly, with their weight (score)
    enabled_at: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    plugin_args: dict[str, dict[str, Any]] = field(default_factory=dict)
    percentage_of_nodes_to_score: int = 0  # 0 = the adaptive default

    def enabled(self, point: str) -> list[str]:
        """Plugin names enabled at an extension point, in order (implementing it is checked by
        the scheduler). As kube-scheduler's `expandMultiPointPlugins` orders them: multiPoint
        plugins also enabled explicitly here first (in their explicit order: an override), then
        the other multiPoint plugins, then the other explicit ones; "*" disabled here keeps only
        the explicit ones."""
        explicit = [name for name, _ in self.enabled_at.get(point, ())]
        off = self.disabled.get(point, set())
        if "*" in off:
            return explicit
        multi = [name for name, _ in self.multi_point if name not in off]
        overrides = [name for name in explicit if name in multi]
        return (
            overrides
            + [name for name in multi if name not in explicit]
            + [name for name in explicit if name not in overrides]
        )

    def weight_of(self, name: str) -> int:
        """The score weight: an explicit `score` entry's wins over multiPoint's; 0 means 1."""
        for plugin, weight in [*self.enabled_at.get("score", ()), *self.multi_point]:
            if plugin == name:
                return weight or 1
        return 1

    def plugin_names(self) -> list[str]:
        """Every plugin the profile enables somewhere, each once (the ones to instantiate)."""
        names = dict.fromkeys(name for name, _ in self.multi_point)
        for plugins in self.enabled_at.values():
            names.update(dict.fromkeys(name for name, _ in plugins))
        return list(names)


DEFAULT_PROFILE = Profile()
