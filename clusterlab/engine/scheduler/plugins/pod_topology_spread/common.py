"""What PodTopologySpread's filtering and scoring share: parsed constraints, node inclusion,
the counting rule and the default selector.

As kube-scheduler's `podtopologyspread/common.go` and `helper/spread.go` do it:

- A pod's `topologySpreadConstraints` are taken for one `whenUnsatisfiable` at a time
  (`DoNotSchedule` for Filter, `ScheduleAnyway` for Score). A nil `labelSelector` selects
  nothing; `matchLabelKeys` adds `key=<the incoming pod's value>` for each key the pod carries
  (ANDed with the selector). Unset `minDomains` is 1, `nodeAffinityPolicy` Honor,
  `nodeTaintsPolicy` Ignore (the v1.32 feature gates MinDomains, NodeInclusionPolicy and
  MatchLabelKeys are all on).
- A pod without constraints of its own gets the plugin's default constraints, whose selector is
  deduced from the Services, ReplicationControllers, ReplicaSets and StatefulSets selecting it;
  no deduced selector, no constraints.
- A node only counts for a constraint when it has every constraint's topology key, and (Honor)
  matches the pod's nodeSelector/required node affinity and (Honor) has no NoSchedule/NoExecute
  taint the pod does not tolerate.
- Pods count when they are in the incoming pod's namespace, match the selector and are not
  terminating (a deletionTimestamp).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ....errors import BadRequest
from ....selectors import LabelSelector, Requirement, selector_from_spec
from ....taints import tolerated_by_any
from ...framework import NodeInfo
from ..node_affinity import term_matches

Obj = dict[str, Any]

DO_NOT_SCHEDULE = "DoNotSchedule"
SCHEDULE_ANYWAY = "ScheduleAnyway"
HONOR = "Honor"
IGNORE = "Ignore"
LABEL_HOSTNAME = "kubernetes.io/hostname"
LABEL_ZONE = "topology.kubernetes.io/zone"

REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints"
REASON_NODE_LABEL_NOT_MATCH = REASON_CONSTRAINTS_NOT_MATCH + " (missing required label)"

# `defaultingType: System`: what the plugin applies when the profile configures nothing.
SYSTEM_DEFAULT_CONSTRAINTS: list[Obj] = [
    {"topologyKey": LABEL_HOSTNAME, "whenUnsatisfiable": SCHEDULE_ANYWAY, "maxSkew": 3},
    {"topologyKey": LABEL_ZONE, "whenUnsatisfiable": SCHEDULE_ANYWAY, "maxSkew": 5},
]


@dataclass(frozen=True)
class SpreadConstraint:
    """A `TopologySpreadConstraint` with its selector compiled and its defaults filled in."""

    max_skew: int
    topology_key: str
    selector: LabelSelector
    min_domains: int = 1
    node_affinity_policy: str = HONOR
    node_taints_policy: str = IGNORE

    def includes_node(self, pod: Obj, node: NodeInfo) -> bool:
        """`matchNodeInclusionPolicies`: does this node's domain count for the pod at all?"""
        if self.node_affinity_policy == HONOR and not required_node_affinity_matches(pod, node):
            return False
        if self.node_taints_policy == HONOR:
            tolerations = pod["spec"].get("tolerations") or []
            for taint in node.taints:
                if taint.get("effect") in ("NoSchedule", "NoExecute") and not tolerated_by_any(
                    taint, tolerations
                ):
                    return False
        return True


def required_node_affinity_matches(pod: Obj, node: NodeInfo) -> bool:
    """`nodeaffinity.GetRequiredNodeAffinity(pod).Match(node)`: nodeSelector and required terms."""
    for key, value in (pod["spec"].get("nodeSelector") or {}).items():
        if node.labels.get(key) != value:
            return False
    affinity = ((pod["spec"].get("affinity") or {}).get("nodeAffinity")) or {}
    required = affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    if required is not None:
        return any(term_matches(t, node.node) for t in required.get("nodeSelectorTerms") or [])
    return True


def _merge_match_label_keys(
    selector: LabelSelector, keys: Iterable[str], pod_labels: dict[str, str]
) -> LabelSelector:
    """`mergeLabelSetWithSelector`: `key=value` for each key the pod has, plus the selector's
    own requirements (a nil selector has none to add)."""
    pairs = {k: pod_labels[k] for k in keys if k in pod_labels}
    if not pairs:
        return selector
    reqs = [Requirement(k, "=", (v,)) for k, v in sorted(pairs.items())]
    if not selector.nothing:
        reqs += selector.requirements
    return LabelSelector(reqs)


def filter_constraints(
    constraints: list[Obj], pod_labels: dict[str, str], action: str
) -> list[SpreadConstraint]:
    """`filterTopologySpreadConstraints`: the constraints with `whenUnsatisfiable == action`.

    Raises BadRequest for a selector that does not compile (the plugin reports an Error)."""
    result = []
    for c in constraints:
        if c.get("whenUnsatisfiable") != action:
            continue
        selector = selector_from_spec(c.get("labelSelector"))
        if c.get("matchLabelKeys"):
            selector = _merge_match_label_keys(selector, c["matchLabelKeys"], pod_labels)
        min_domains = c.get("minDomains")
        result.append(
            SpreadConstraint(
                max_skew=int(c.get("maxSkew") or 0),
                topology_key=c.get("topologyKey") or "",
                selector=selector,
                min_domains=int(min_domains) if min_domains is not None else 1,
                node_affinity_policy=c.get("nodeAffinityPolicy") or HONOR,
                node_taints_policy=c.get("nodeTaintsPolicy") or IGNORE,
            )
        )
    return result


def node_has_all_keys(labels: dict[str, str], constraints: list[SpreadConstraint]) -> bool:
    """`nodeLabelsMatchSpreadConstraints`."""
    return all(c.topology_key in labels for c in constraints)


def count_matching(pods: Iterable[Obj], selector: LabelSelector, namespace: str) -> int:
    """`countPodsMatchSelector`: same namespace, not terminating, labels match."""
    count = 0
    for p in pods:
        meta = p["metadata"]
        if meta.get("deletionTimestamp") or meta.get("namespace") != namespace:
            continue
        if selector.matches(meta.get("labels") or {}):
            count += 1
    return count


def count_matching_on(node: NodeInfo, selector: LabelSelector, namespace: str) -> int:
    """`count_matching` over a node's pods, remembered on the NodeInfo until its pods change.

    kube-scheduler recounts every node's pods in each cycle's PreFilter/PreScore (in parallel,
    in Go); the count is a function of the node's pods, so between two changes to them the
    same (namespace, selector) gives the same number and is not recounted here."""
    key = (namespace, selector.nothing, *selector.requirements)
    count = node.match_counts.get(key)
    if count is None:
        count = node.match_counts[key] = count_matching(node.pods.values(), selector, namespace)
    return count


Lookup = Callable[[str, str], Obj | None]  # (resource, "namespace/name") → cached object


def default_selector(pod: Obj, services: list[Obj], lookup: Lookup) -> LabelSelector:
    """`helper.DefaultSelector`: the selectors of the Services that select the pod (merged as
    a label set), ANDed with the selector of the pod's controller when that is a
    ReplicationController, ReplicaSet or StatefulSet the scheduler knows."""
    meta = pod["metadata"]
    ns = meta.get("namespace")
    labels = meta.get("labels") or {}
    label_set: dict[str, str] = {}
    for svc in services:
        if svc["metadata"].get("namespace") != ns:
            continue
        sel = (svc.get("spec") or {}).get("selector")
        if sel is None:  # a nil selector matches nothing, not everything
            continue
        if all(labels.get(k) == v for k, v in sel.items()):
            label_set.update(sel)
    reqs = [Requirement(k, "=", (str(v),)) for k, v in sorted(label_set.items())]
    owner = next((o for o in meta.get("ownerReferences") or () if o.get("controller")), None)
    if owner is None:
        return LabelSelector(reqs)
    kind = (owner.get("apiVersion"), owner.get("kind"))
    key = f"{ns}/{owner.get('name')}"
    if kind == ("v1", "ReplicationController"):
        rc = lookup("replicationcontrollers", key)
        if rc is not None:
            label_set.update((rc.get("spec") or {}).get("selector") or {})
            reqs = [Requirement(k, "=", (str(v),)) for k, v in sorted(label_set.items())]
    elif kind in (("apps/v1", "ReplicaSet"), ("apps/v1", "StatefulSet")):
        obj = lookup("replicasets" if kind[1] == "ReplicaSet" else "statefulsets", key)
        if obj is not None:
            try:
                other = selector_from_spec((obj.get("spec") or {}).get("selector"))
            except BadRequest:
                other = None
            if other is not None and not other.nothing:
                reqs = reqs + other.requirements
    return LabelSelector(reqs)
