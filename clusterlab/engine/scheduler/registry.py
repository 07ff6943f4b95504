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
from .plugins.node_affinity import NodeAffinity
from .plugins.node_name import NodeName
from .plugins.node_resources_fit import NodeResourcesFit
from .plugins.node_unschedulable import NodeUnschedulable
from .plugins.taint_toleration import TaintToleration

REGISTRY: dict[str, type[Plugin]] = {
    "NodeUnschedulable": NodeUnschedulable,
    "NodeName": NodeName,
    "TaintToleration": TaintToleration,
    "NodeAffinity": NodeAffinity,
    "NodeResourcesFit": NodeResourcesFit,
    "NodeResourcesBalancedAllocation": NodeResourcesBalancedAllocation,
    "DefaultPreemption": DefaultPreemption,
    "DefaultBinder": DefaultBinder,
}

# getDefaultPlugins() for v1.32: (name, score weight) in multiPoint order. Score weight 0
# means the plugin does not score (or scores with weight 1 if it does: see `weight_of`).
DEFAULT_MULTI_POINT: list[tuple[str, int]] = [
    ("NodeUnschedulable", 0),
    ("NodeName", 0),
    ("TaintToleration", 3),
    ("NodeAffinity", 2),
    ("NodeResourcesFit", 1),
    ("DefaultPreemption", 0),
    ("NodeResourcesBalancedAllocation", 1),
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
    plugin_args: dict[str, dict[str, Any]] = field(default_factory=dict)
    percentage_of_nodes_to_score: int = 0  # 0 = the adaptive default

    def enabled(self, point: str) -> list[str]:
        """Plugin names enabled at an extension point, in order (implementing it is checked by
        the scheduler)."""
        off = self.disabled.get(point, set())
        if "*" in off:
            return []
        return [name for name, _ in self.multi_point if name not in off]

    def weight_of(self, name: str) -> int:
        for plugin, weight in self.multi_point:
            if plugin == name:
                return weight or 1
        return 1


DEFAULT_PROFILE = Profile()
