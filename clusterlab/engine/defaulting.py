"""Defaulting: the fields the real API server fills in when a client leaves them out.

These mirror the generated defaulters of `k8s.io/kubernetes/pkg/apis/*/v1` (e.g. a pod's
`restartPolicy: Always`, `terminationGracePeriodSeconds: 30`, a Deployment's 25%/25%
RollingUpdate). Each function mutates the object it is given (a private copy).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import autoscaling, batch_api, daemonsets, persistent_volumes, services, statefulsets
from .configmaps import default_configmap
from .ingresses import default_ingress_class
from .limit_ranges import default_limit_range
from .network_policies import default_network_policy
from .pod_config_defaults import default_config_sources
from .priority_classes import default_priority_class
from .probe_defaults import default_probes
from .secrets import default_secret

Obj = dict[str, Any]


def _image_pull_policy(image: str) -> str:
    """`Always` for `:latest` or untagged images, otherwise `IfNotPresent` (core/v1 defaults)."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if "@" in image:
        return "IfNotPresent"
    if ":" not in last or last.endswith(":latest"):
        return "Always"
    return "IfNotPresent"


def default_container(c: Obj) -> None:
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    c.setdefault("imagePullPolicy", _image_pull_policy(str(c.get("image", ""))))
    c.setdefault("resources", {})
    res = c["resources"]
    # A container with limits but no requests gets requests equal to its limits.
    if res.get("limits"):
        req = res.setdefault("requests", {})
        for k, v in res["limits"].items():
            req.setdefault(k, v)
    for port in c.get("ports") or []:
        port.setdefault("protocol", "TCP")
    default_probes(c)


def default_pod_spec(spec: Obj) -> None:
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("enableServiceLinks", True)
    for c in spec.get("initContainers") or []:
        default_container(c)
    for c in spec.get("containers") or []:
        default_container(c)
    default_config_sources(spec)


def default_pod(pod: Obj) -> None:
    default_pod_spec(pod.setdefault("spec", {}))
    # spec.priority and spec.preemptionPolicy are not defaults: the Priority admission
    # plugin sets them from the pod's PriorityClass.


def _default_template(obj: Obj) -> None:
    template = obj.setdefault("spec", {}).setdefault("template", {})
    # A template's ObjectMeta always carries a zero creationTimestamp, which Kubernetes
    # serialises as null: keep it so, whether or not the client sent it, so equal templates
    # stay equal (and hash the same) however they arrived.
    template.setdefault("metadata", {}).setdefault("creationTimestamp", None)
    default_pod_spec(template.setdefault("spec", {}))


def default_replicaset(rs: Obj) -> None:
    spec = rs.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    _default_template(rs)


def default_deployment(d: Obj) -> None:
    spec = d.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    strategy = spec.setdefault("strategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        ru = strategy.setdefault("rollingUpdate", {})
        ru.setdefault("maxUnavailable", "25%")
        ru.setdefault("maxSurge", "25%")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    _default_template(d)


def default_namespace(ns: Obj) -> None:
    ns.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
    labels = ns["metadata"].setdefault("labels", {})
    labels.setdefault("kubernetes.io/metadata.name", ns["metadata"]["name"])


def default_node(node: Obj) -> None:
    node.setdefault("spec", {})


DEFAULTERS: dict[str, Callable[[Obj], None]] = {
    "Pod": default_pod,
    "ReplicaSet": default_replicaset,
    "Deployment": default_deployment,
    "StatefulSet": statefulsets.default_statefulset,
    "DaemonSet": daemonsets.default_daemonset,
    "Job": batch_api.default_job,
    "CronJob": batch_api.default_cronjob,
    "Namespace": default_namespace,
    "Node": default_node,
    "HorizontalPodAutoscaler": autoscaling.default_hpa,
    "LimitRange": default_limit_range,
    "PriorityClass": default_priority_class,
    "Service": services.default_service,
    "Endpoints": services.default_endpoint_ports,
    "EndpointSlice": services.default_endpoint_ports,
    "ConfigMap": default_configmap,
    "Secret": default_secret,
    "IngressClass": default_ingress_class,
    "NetworkPolicy": default_network_policy,
    "PersistentVolume": persistent_volumes.default_volume,
    "PersistentVolumeClaim": persistent_volumes.default_claim,
    "StorageClass": persistent_volumes.default_storage_class,
}


def apply_defaults(kind: str, obj: Obj) -> None:
    if kind in ("RoleBinding", "ClusterRoleBinding"):
        from .rbac_validation import default_rbac

        default_rbac(kind, obj)
    fn = DEFAULTERS.get(kind)
    if fn is not None:
        fn(obj)
