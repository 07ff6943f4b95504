"""Scenario files: the nodes, taints and preloaded objects a lab starts from.

A scenario is a YAML file in this folder. Lessons, exercises and tests all start clusters
from these, so a scenario means the same cluster everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from ..errors import NotFound
from ..timefmt import DEFAULT_EPOCH


@dataclass
class NodeSpec:
    name: str
    role: str = "worker"
    cpu: str = "2"
    memory: str = "4Gi"
    pods: int = 110
    labels: dict[str, str] = field(default_factory=dict)
    taints: list[dict[str, Any]] = field(default_factory=list)
    components: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)


@dataclass
class Scenario:
    name: str
    title: str
    description: str
    epoch: str
    nodes: list[NodeSpec]
    objects: list[dict[str, Any]]


def available() -> list[str]:
    return sorted(p.name[:-5] for p in resources.files(__package__).iterdir() if p.name.endswith(".yaml"))


def load(name: str) -> Scenario:
    if name not in available():
        raise NotFound(f'scenario "{name}" not found (available: {", ".join(available())})')
    data = yaml.safe_load(resources.files(__package__).joinpath(f"{name}.yaml").read_text())
    nodes = [NodeSpec(**n) for n in data.get("nodes") or []]
    return Scenario(
        name=data.get("name", name),
        title=data.get("title", name),
        description=data.get("description", ""),
        epoch=str(data.get("epoch", DEFAULT_EPOCH)),
        nodes=nodes,
        objects=list(data.get("objects") or []),
    )
