"""Scenario files: the nodes, taints and preloaded objects a lab starts from.

A scenario is a YAML file in this folder. Lessons, exercises and tests all start clusters
from these, so a scenario means the same cluster everywhere. `addons:` names add-ons from
`addons/<name>.yaml` (the objects of an add-on's release manifest, e.g. metrics-server), which
come before the scenario's own `objects:`, so several scenarios install one add-on alike.

A troubleshooting scenario (image-pull-backoff, oom-quota, stuck-rollout, statefulset-pending)
reproduces a failure for the learner to diagnose and fix: its `description` says what the
learner sees, never the answer; `steps:` applies more objects at given virtual seconds (a
rollout that goes out after the lab starts); `check:` says, as data, how the fix is recognised
(`checks.py` evaluates it against the cluster).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from ..errors import NotFound
from ..node.node_status import NodeConfig
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
class Step:
    """Objects the scenario applies itself, as `kubectl apply` would, at virtual second `at`."""

    at: float
    objects: list[dict[str, Any]]


@dataclass
class Scenario:
    name: str
    title: str
    description: str
    epoch: str
    nodes: list[NodeSpec]
    objects: list[dict[str, Any]]
    version: str = "v1.32.0"  # the Kubernetes version the cluster was set up with (kubeadm init)
    # kube-scheduler's KubeSchedulerConfiguration (`--config`), as a mapping or YAML text; None:
    # kubeadm's default, no file (one `default-scheduler` profile)
    scheduler_configuration: dict[str, Any] | str | None = None
    steps: list[Step] = field(default_factory=list)
    # how a troubleshooting scenario's fix is recognised: {"summary": ..., "all": [checks]}
    check: dict[str, Any] | None = None


def available() -> list[str]:
    return sorted(p.name[:-5] for p in resources.files(__package__).iterdir() if p.name.endswith(".yaml"))


def load(name: str, *, without: Collection[str] = ()) -> Scenario:
    """The scenario `name`; `without`: add-ons of its `addons:` to leave out (a cluster that
    differs from the scenario only in not installing them, e.g. with no kube-proxy DaemonSet)."""
    if name not in available():
        raise NotFound(f'scenario "{name}" not found (available: {", ".join(available())})')
    data = yaml.safe_load(resources.files(__package__).joinpath(f"{name}.yaml").read_text())
    nodes = [NodeSpec(**n) for n in data.get("nodes") or []]
    version = str(data.get("version", "v1.32.0"))
    values = {"KUBERNETES_VERSION": version, "CONTROL_PLANE_ENDPOINT": _control_plane_endpoint(nodes)}
    addons = data.get("addons") or []
    if unknown := sorted(set(without) - set(addons)):
        raise NotFound(f'scenario "{name}" installs no add-on {", ".join(unknown)}')
    objects = [obj for addon in addons if addon not in without for obj in _addon(addon, values)]
    objects += list(data.get("objects") or [])
    return Scenario(
        name=data.get("name", name),
        title=data.get("title", name),
        description=data.get("description", ""),
        epoch=str(data.get("epoch", DEFAULT_EPOCH)),
        nodes=nodes,
        objects=objects,
        version=version,
        scheduler_configuration=data.get("schedulerConfiguration"),
        steps=[Step(float(s["at"]), list(s.get("objects") or [])) for s in data.get("steps") or []],
        check=data.get("check"),
    )


def _addon(name: str, values: dict[str, str]) -> list[dict[str, Any]]:
    """An add-on's objects; `${NAME}` in its text is the lab's value of NAME (what kubeadm fills
    into its add-on templates: the Kubernetes version, the API server's address)."""
    path = resources.files(__package__).joinpath("addons", f"{name}.yaml")
    if not path.is_file():
        raise NotFound(f'add-on "{name}" not found')
    text = path.read_text()
    for key, value in values.items():
        text = text.replace("${" + key + "}", value)
    return [doc for doc in yaml.safe_load_all(text) if doc]


def _control_plane_endpoint(nodes: list[NodeSpec]) -> str:
    """The first control-plane node's address and secure port, as `kubeadm init` advertises it
    (nodes are numbered in scenario order)."""
    index = next((i for i, n in enumerate(nodes) if n.components), 0)
    return f"{NodeConfig(name='', index=index).internal_ip}:6443"
