"""The plugin registry and the default profile, written out literally.

As in kube-scheduler's `plugins/registry.go` and the v1 default configuration: filters run
in this order and a node is rejected by the first that fails; score plugins carry the
default weights (TaintToleration 3, NodeAffinity 2, NodeResourcesFit 1,
NodeResourcesBalancedAllocation 1). Plugins the engine does not have yet (NodePorts,
PodTopologySpread, InterPodAffinity, ImageLocality, ...) join this table when they land.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .framework import Plugin
from .plugins.balanced_allocation import NodeResourcesBalancedAllocation
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
}


@dataclass
class Profile:
    scheduler_name: str = "default-scheduler"
    pre_filter: list[str] = field(default_factory=lambda: ["NodeResourcesFit"])
    filter: list[str] = field(
        default_factory=lambda: [
            "NodeUnschedulable",
            "NodeName",
            "TaintToleration",
            "NodeAffinity",
            "NodeResourcesFit",
        ]
    )
    post_filter: list[str] = field(default_factory=lambda: ["DefaultPreemption"])
    pre_score: list[str] = field(default_factory=lambda: ["NodeResourcesBalancedAllocation"])
    score: dict[str, int] = field(
        default_factory=lambda: {
            "TaintToleration": 3,
            "NodeAffinity": 2,
            "NodeResourcesFit": 1,
            "NodeResourcesBalancedAllocation": 1,
        }
    )
    percentage_of_nodes_to_score: int = 0  # 0 = the adaptive default


DEFAULT_PROFILE = Profile()
