"""What the DaemonSet controller knows about daemon pods and nodes (`pkg/controller/daemon/util`
and the predicates of `daemon_controller.go`, Kubernetes 1.32).

- `NodeShouldRunDaemonPod`: a node should run the daemon pod when the template's `nodeName`
  (if any) is the node, its `nodeSelector` and required node affinity match the node, and the
  pod — with the tolerations every daemon pod gets — tolerates the node's NoSchedule and
  NoExecute taints. A pod already there *continues running* as long as only NoSchedule taints
  are untolerated (the NoExecute ones decide eviction).
- The automatic tolerations (`AddOrUpdateDaemonPodTolerations`), without tolerationSeconds:
  `node.kubernetes.io/not-ready` and `unreachable` NoExecute (so node problems never evict a
  daemon pod), `disk-pressure`, `memory-pressure`, `pid-pressure`, `unschedulable` NoSchedule,
  and `network-unavailable` NoSchedule for host-network pods.
- Each pod is pinned to its node by replacing the template's required node affinity with
  `matchFields metadata.name In [<node>]` (`ReplaceDaemonSetPodNodeNameNodeAffinity`); the
  default scheduler then binds it there (daemon pods are scheduled by kube-scheduler since
  1.12).
- Pods carry the `controller-revision-hash` label of the template they were made from and,
  for compatibility, `pod-template-generation`; a pod is *updated* when either matches.
"""

from __future__ import annotations

from typing import Any

from ..jsonutil import copy_json
from ..names import pod_template_hash
from ..scheduler.plugins.node_affinity import required_matches
from ..taints import NOT_READY, UNREACHABLE, node_taints, tolerates

Obj = dict[str, Any]

REVISION_HASH = "controller-revision-hash"  # apps.DefaultDaemonSetUniqueLabelKey
TEMPLATE_GENERATION_LABEL = "pod-template-generation"  # extensions.DaemonSetTemplateGenerationKey

_NO_SCHEDULE = (
    "node.kubernetes.io/disk-pressure",
    "node.kubernetes.io/memory-pressure",
    "node.kubernetes.io/pid-pressure",
    "node.kubernetes.io/unschedulable",
)
NETWORK_UNAVAILABLE = "node.kubernetes.io/network-unavailable"


def _add_or_update_toleration(spec: Obj, toleration: Obj) -> None:
    """`AddOrUpdateTolerationInPodSpec`: replace a toleration with the same key, operator,
    value and effect, or append it."""
    tolerations = list(spec.get("tolerations") or [])
    same = ("key", "operator", "value", "effect")

    def matches(t: Obj) -> bool:
        return all((t.get(f) or "") == (toleration.get(f) or "") for f in same)

    for i, t in enumerate(tolerations):
        if matches(t):
            if t == toleration:
                return
            tolerations[i] = dict(toleration)
            spec["tolerations"] = tolerations
            return
    tolerations.append(dict(toleration))
    spec["tolerations"] = tolerations


def add_daemon_tolerations(spec: Obj) -> None:
    """`AddOrUpdateDaemonPodTolerations`, in Kubernetes' order."""
    for key in (NOT_READY, UNREACHABLE):
        _add_or_update_toleration(spec, {"key": key, "operator": "Exists", "effect": "NoExecute"})
    for key in _NO_SCHEDULE:
        _add_or_update_toleration(spec, {"key": key, "operator": "Exists", "effect": "NoSchedule"})
    if spec.get("hostNetwork"):
        _add_or_update_toleration(
            spec, {"key": NETWORK_UNAVAILABLE, "operator": "Exists", "effect": "NoSchedule"}
        )


def template_hash(ds: Obj) -> str:
    """`controller.ComputeHash(&ds.Spec.Template, ds.Status.CollisionCount)`."""
    collision = int((ds.get("status") or {}).get("collisionCount") or 0)
    return pod_template_hash(ds["spec"]["template"], collision)


def pod_template(ds: Obj, generation: int | None, hash_: str) -> Obj:
    """`CreatePodTemplate`: the template with the daemon tolerations and the two labels."""
    template = copy_json(ds["spec"]["template"])
    add_daemon_tolerations(template.setdefault("spec", {}))
    labels = template.setdefault("metadata", {}).get("labels") or {}
    if generation is not None:
        labels[TEMPLATE_GENERATION_LABEL] = str(generation)
    if hash_:
        labels[REVISION_HASH] = hash_
    template["metadata"]["labels"] = labels
    return template


def pin_to_node(spec: Obj, node: str) -> None:
    """`ReplaceDaemonSetPodNodeNameNodeAffinity`: the required node affinity selects the node
    by name; preferred terms and other affinities stay."""
    term = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}
    affinity = spec.get("affinity") or {}
    node_affinity = affinity.get("nodeAffinity") or {}
    node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {"nodeSelectorTerms": [term]}
    affinity["nodeAffinity"] = node_affinity
    spec["affinity"] = affinity


def target_node(pod: Obj) -> str | None:
    """`GetTargetNodeName`: `spec.nodeName`, else the node the pinning affinity names."""
    if pod["spec"].get("nodeName"):
        return str(pod["spec"]["nodeName"])
    required = ((pod["spec"].get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    for term in required.get("nodeSelectorTerms") or ():
        for req in term.get("matchFields") or ():
            if req.get("key") == "metadata.name" and req.get("operator") == "In":
                values = req.get("values") or []
                return str(values[0]) if len(values) == 1 else None
    return None


def _untolerated(taints: list[Obj], tolerations: list[Obj], effects: tuple[str, ...]) -> Obj | None:
    """`FindMatchingUntoleratedTaint` over the taints with one of `effects`."""
    for taint in taints:
        if taint.get("effect") in effects and not any(tolerates(t, taint) for t in tolerations):
            return taint
    return None


def node_should_run(node: Obj, ds: Obj) -> tuple[bool, bool]:
    """`NodeShouldRunDaemonPod`: (should run, should continue running)."""
    name = node["metadata"]["name"]
    tspec = ds["spec"]["template"].get("spec") or {}
    if tspec.get("nodeName") and tspec["nodeName"] != name:
        return False, False
    pod_spec = copy_json(tspec)
    add_daemon_tolerations(pod_spec)
    pod = {"metadata": {}, "spec": pod_spec}
    if not required_matches(pod, node):
        return False, False
    taints = node_taints(node)
    tolerations = pod_spec.get("tolerations") or []
    if _untolerated(taints, tolerations, ("NoSchedule", "NoExecute")) is not None:
        return False, _untolerated(taints, tolerations, ("NoExecute",)) is None
    return True, True


def why_not(node: Obj, ds: Obj) -> str:
    """In plain words, why `node_should_run` says no (for the decision log)."""
    name = node["metadata"]["name"]
    tspec = ds["spec"]["template"].get("spec") or {}
    if tspec.get("nodeName") and tspec["nodeName"] != name:
        return f"the template names node {tspec['nodeName']}"
    pod_spec = copy_json(tspec)
    add_daemon_tolerations(pod_spec)
    if not required_matches({"metadata": {}, "spec": pod_spec}, node):
        return "its labels do not match the nodeSelector / node affinity"
    taint = _untolerated(node_taints(node), pod_spec.get("tolerations") or [], ("NoSchedule", "NoExecute"))
    if taint is not None:
        value = f"={taint['value']}" if taint.get("value") else ""
        return f"the taint {taint.get('key')}{value}:{taint.get('effect')} is not tolerated"
    return "it is eligible"


def is_pod_updated(pod: Obj, hash_: str, generation: int | None) -> bool:
    """`IsPodUpdated`: the pod's hash label is the current one, or its template generation."""
    labels = pod["metadata"].get("labels") or {}
    if generation is not None and labels.get(TEMPLATE_GENERATION_LABEL) == str(generation):
        return True
    return bool(hash_) and labels.get(REVISION_HASH) == hash_


def oldest_first(pod: Obj) -> tuple[int, str, str]:
    """`podByCreationTimestampAndPhase`: scheduled pods first, then oldest, then by name."""
    meta = pod["metadata"]
    return (0 if pod["spec"].get("nodeName") else 1, meta.get("creationTimestamp") or "", meta["name"])
