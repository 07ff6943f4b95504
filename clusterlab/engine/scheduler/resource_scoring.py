"""NodeResourcesFit's scoring strategies: how full a node would be, turned into a 0–100 score.

`NodeResourcesFitArgs.scoringStrategy` (kube-scheduler's `noderesources` package) picks one:

- **LeastAllocated** (the default): per resource `(allocatable - requested) * 100 /
  allocatable`, so the emptiest node wins and pods spread.
- **MostAllocated**: per resource `requested * 100 / allocatable` (requested capped at
  allocatable), so the fullest node that still fits wins: bin packing, which lets a cluster
  autoscaler drain and remove the emptied nodes.
- **RequestedToCapacityRatio**: the utilisation `requested * 100 / allocatable` mapped through a
  broken-line `shape` of `(utilization, score 0–10)` points, the score scaled to 0–100; a
  rising shape packs, a falling one spreads. Resources that score 0 do not count in the mean.

`requested` includes the incoming pod. The node score is the weighted mean over the strategy's
`resources` (default cpu and memory, weight 1 each; integer division, as in Go, except
RequestedToCapacityRatio which rounds). For cpu and memory, containers without requests count
as 100m / 200Mi (the "non-zero" requests); other resources count what pods request. A node that
does not offer a resource (allocatable 0) leaves it out of the mean, and an extended resource
(`example.com/gpu`, `hugepages-*`) the pod does not request is left out too.

Simplified: pod overhead and ephemeral storage are read from the pod and node objects as they
are; the in-place pod resize status is not looked at.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..quantity import int_value, milli_value
from .framework import DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST, MAX_NODE_SCORE, NodeInfo

Obj = dict[str, Any]

LEAST_ALLOCATED = "LeastAllocated"
MOST_ALLOCATED = "MostAllocated"
REQUESTED_TO_CAPACITY_RATIO = "RequestedToCapacityRatio"
STRATEGY_TYPES = (LEAST_ALLOCATED, MOST_ALLOCATED, REQUESTED_TO_CAPACITY_RATIO)
DEFAULT_RESOURCES: tuple[tuple[str, int], ...] = (("cpu", 1), ("memory", 1))
MAX_CUSTOM_PRIORITY_SCORE = 10  # a shape point's score is 0–10
MAX_UTILIZATION = 100
MAX_RESOURCE_WEIGHT = 100


class InvalidArgs(ValueError):
    """Plugin args that fail validation; the text is kube-scheduler's field errors."""


@dataclass(frozen=True)
class ScoringStrategy:
    type: str = LEAST_ALLOCATED
    resources: tuple[tuple[str, int], ...] = DEFAULT_RESOURCES  # (resource name, weight)
    shape: tuple[tuple[int, int], ...] = ()  # RequestedToCapacityRatio: (utilization, score)

    def score(self, requested: list[int], allocatable: list[int]) -> int:
        """The node's score from the per-resource `requested` (with the pod) and `allocatable`."""
        node_score = weight_sum = 0
        for (_, weight), req, alloc in zip(self.resources, requested, allocatable, strict=True):
            if alloc == 0:
                continue
            if self.type == MOST_ALLOCATED:
                resource_score = most_requested_score(req, alloc)
            elif self.type == REQUESTED_TO_CAPACITY_RATIO:
                resource_score = self._shape_score(req, alloc)
                if resource_score <= 0:
                    continue
            else:
                resource_score = least_requested_score(req, alloc)
            node_score += resource_score * weight
            weight_sum += weight
        if weight_sum == 0:
            return 0
        if self.type == REQUESTED_TO_CAPACITY_RATIO:
            return math.floor(node_score / weight_sum + 0.5)  # Go's math.Round: half away from 0
        return node_score // weight_sum

    def _shape_score(self, requested: int, capacity: int) -> int:
        if capacity == 0 or requested > capacity:
            return broken_linear(self.scaled_shape, MAX_UTILIZATION)
        return broken_linear(self.scaled_shape, requested * MAX_UTILIZATION // capacity)

    @property
    def scaled_shape(self) -> tuple[tuple[int, int], ...]:
        scale = MAX_NODE_SCORE // MAX_CUSTOM_PRIORITY_SCORE
        return tuple((u, s * scale) for u, s in self.shape)


def least_requested_score(requested: int, capacity: int) -> int:
    if capacity == 0 or requested > capacity:
        return 0
    return (capacity - requested) * MAX_NODE_SCORE // capacity


def most_requested_score(requested: int, capacity: int) -> int:
    if capacity == 0:
        return 0
    requested = min(requested, capacity)  # pods without requests count the non-zero defaults
    return requested * MAX_NODE_SCORE // capacity


def _go_div(a: int, b: int) -> int:
    """Go's integer division truncates toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def broken_linear(shape: tuple[tuple[int, int], ...], p: int) -> int:
    """`helper.BuildBrokenLinearFunction`: linear between the shape's points, flat outside."""
    for i, (utilization, score) in enumerate(shape):
        if p <= utilization:
            if i == 0:
                return score
            u0, s0 = shape[i - 1]
            return s0 + _go_div((score - s0) * (p - u0), utilization - u0)
    return shape[-1][1]


# -- what a pod requests and a node has, per resource ------------------------------------------


def is_scalar_resource(name: str) -> bool:
    """Extended resources (`example.com/gpu`), hugepages and attachable volumes: the resources
    a pod only counts when it asks for them."""
    if name.startswith(("hugepages-", "attachable-volumes-")):
        return True
    if "/" not in name or name.startswith("requests."):
        return False
    domain = name.split("/", 1)[0]
    return not (domain == "kubernetes.io" or domain.endswith(".kubernetes.io"))


def _quantity(name: str, raw: Any) -> int:
    return milli_value(raw) if name == "cpu" else int_value(raw)


def pod_request(pod: Obj, name: str, non_zero: bool) -> int:
    """`resourcehelper.PodRequests` for one resource: the containers' sum, at least the
    largest init container, plus the pod overhead; with `non_zero`, a container that requests
    no cpu or memory counts as 100m / 200Mi."""

    def container(c: Obj) -> int:
        req = (c.get("resources") or {}).get("requests") or {}
        if name in req:
            return _quantity(name, req[name])
        if non_zero and name == "cpu":
            return DEFAULT_MILLI_CPU_REQUEST
        if non_zero and name == "memory":
            return DEFAULT_MEMORY_REQUEST
        return 0

    spec = pod.get("spec") or {}
    total = sum(container(c) for c in spec.get("containers") or ())
    for c in spec.get("initContainers") or ():
        total = max(total, container(c))
    overhead = spec.get("overhead") or {}
    if name in overhead:
        total += _quantity(name, overhead[name])
    return total


def allocatable_and_requested(node: NodeInfo, name: str, pod_req: int) -> tuple[int, int]:
    """`calculateResourceAllocatableRequest`: what the node offers of a resource and what its
    pods plus the incoming one would request (cpu and memory: the non-zero requests)."""
    if name == "cpu":
        return node.allocatable.milli_cpu, node.non_zero_requested.milli_cpu + pod_req
    if name == "memory":
        return node.allocatable.memory, node.non_zero_requested.memory + pod_req
    scalar = is_scalar_resource(name)
    if pod_req == 0 and scalar:
        return 0, 0  # an extended resource the pod does not ask for is not scored
    if name != "ephemeral-storage" and not scalar:
        return 0, 0
    alloc = ((node.node.get("status") or {}).get("allocatable") or {}).get(name)
    if alloc is None:
        return 0, 0
    used = sum(pod_request(p, name, non_zero=False) for p in node.pods.values())
    return int_value(alloc), used + pod_req


# -- reading NodeResourcesFitArgs ------------------------------------------------------------


def invalid(path: str, value: Any, detail: str) -> str:
    """A `field.Invalid` error's text: strings quoted, numbers bare."""
    shown = f'"{value}"' if isinstance(value, str) else ("null" if value is None else value)
    return f"{path}: Invalid value: {shown}: {detail}"


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def strategy_from_args(args: Obj | None) -> ScoringStrategy:
    """Default, then validate `NodeResourcesFitArgs` (camelCase keys, as in the config file) and
    return its scoring strategy; raises `InvalidArgs` with kube-scheduler's wording."""
    raw = (args or {}).get("scoringStrategy")
    if raw is None:
        return ScoringStrategy()
    errors: list[str] = []
    path = "scoringStrategy"
    if not isinstance(raw, dict):
        raise InvalidArgs(f"{path}: Invalid value: {raw!r}: must be an object")
    kind = raw.get("type", "")
    if kind not in STRATEGY_TYPES:
        supported = ", ".join(f'"{t}"' for t in sorted(STRATEGY_TYPES))
        errors.append(f'{path}.type: Unsupported value: "{kind}": supported values: {supported}')
    resources: list[tuple[str, int]] = []
    for i, spec in enumerate(raw.get("resources") or ()):
        name = str((spec or {}).get("name", ""))
        weight = _int((spec or {}).get("weight", 0))
        if weight is None:
            errors.append(invalid(f"{path}.resources[{i}].weight", spec.get("weight"), "must be an integer"))
            continue
        weight = weight or 1  # SetDefaults_NodeResourcesFitArgs: an unset weight is 1
        if not 0 < weight <= MAX_RESOURCE_WEIGHT:
            errors.append(
                invalid(
                    f"{path}.resources[{i}].weight",
                    weight,
                    f"resource weight of {name} not in valid range (0, {MAX_RESOURCE_WEIGHT}]",
                )
            )
        resources.append((name, weight))
    shape: list[tuple[int, int]] = []
    ratio = raw.get("requestedToCapacityRatio")
    ratio_path = f"{path}.requestedToCapacityRatio"
    if kind == REQUESTED_TO_CAPACITY_RATIO:
        if ratio is None:
            errors.append(f"{ratio_path}: Required value: must be specified when type is {kind}")
        else:
            shape, shape_errors = _shape((ratio or {}).get("shape") or [], f"{ratio_path}.shape")
            errors += shape_errors
    elif ratio is not None:
        errors.append(f"{ratio_path}: Forbidden: must be nil when type is not RequestedToCapacityRatio")
    if errors:
        raise InvalidArgs(errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]")
    return ScoringStrategy(str(kind), tuple(resources) or DEFAULT_RESOURCES, tuple(shape))


def _shape(points: list[Any], path: str) -> tuple[list[tuple[int, int]], list[str]]:
    """`validateFunctionShape`: at least one point, utilisations increasing within 0–100,
    scores within 0–10."""
    if not points:
        return [], [f"{path}: Required value: at least one point must be specified"]
    shape: list[tuple[int, int]] = []
    errors: list[str] = []
    for point in points:
        point = point if isinstance(point, dict) else {}
        shape.append((_int(point.get("utilization", 0)) or 0, _int(point.get("score", 0)) or 0))
    for i in range(1, len(shape)):
        if shape[i - 1][0] >= shape[i][0]:
            errors.append(
                invalid(f"{path}[{i}].utilization", shape[i][0], "values must be sorted in increasing order")
            )
            break
    for i, (utilization, score) in enumerate(shape):
        if not 0 <= utilization <= MAX_UTILIZATION:
            errors.append(
                invalid(f"{path}[{i}].utilization", utilization, f"not in valid range [0, {MAX_UTILIZATION}]")
            )
        if not 0 <= score <= MAX_CUSTOM_PRIORITY_SCORE:
            errors.append(
                invalid(f"{path}[{i}].score", score, f"not in valid range [0, {MAX_CUSTOM_PRIORITY_SCORE}]")
            )
    return shape, errors
