"""What a kubelet reports about its node: the Node it registers and the status it posts.

Mirrors the kubelet's `nodestatus` setters: capacity and allocatable (allocatable memory is
capacity less kubeadm's 100Mi hard-eviction threshold), the MemoryPressure / DiskPressure /
PIDPressure / Ready conditions with their reasons, addresses, daemon endpoints, a complete
`nodeInfo` (clients such as the official Python client insist on every field) and the images
on disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..jsonutil import copy_json
from ..quantity import format_bytes, int_value
from .eviction_ranking import DEFAULT_EVICTION_HARD, NODEFS_AVAILABLE, ROOT_FS_BYTES, binary_si
from .runtime import KERNEL_VERSION, Runtime, image_id

Obj = dict[str, Any]

KUBELET_VERSION = "v1.32.0"
# kubeadm's default hard eviction threshold: allocatable memory = capacity - 100Mi.
EVICTION_HARD_MEMORY = 100 * 1024 * 1024


@dataclass
class NodeConfig:
    """The machine a kubelet runs on, as a scenario describes it."""

    name: str
    index: int
    cpu: str = "2"
    memory: str = "4Gi"
    pods: int = 110
    role: str = "worker"
    labels: dict[str, str] = field(default_factory=dict)
    taints: list[Obj] = field(default_factory=list)
    static_pods: list[Obj] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    # The installed kubelet package's version: what status.nodeInfo reports.
    kubelet_version: str = KUBELET_VERSION
    # Whether the container runtime's CNI plugin is set up (a new node's is not, at first).
    network_ready: bool = True

    @property
    def internal_ip(self) -> str:
        return f"172.18.{self.index // 250}.{self.index % 250 + 2}"

    @property
    def pod_cidr(self) -> str:
        return f"10.244.{self.index}.0/24"


def capacity(config: NodeConfig) -> tuple[Obj, Obj]:
    """capacity and allocatable: capacity less what is reserved (kubeadm reserves nothing) less
    the hard eviction thresholds — 100Mi of memory, 10 % of the root filesystem
    (`nodefs.available`, computed as the kubelet does with a float32 percentage)."""
    mem = int_value(config.memory)
    nodefs = next(t for t in DEFAULT_EVICTION_HARD if t.signal == NODEFS_AVAILABLE)
    alloc = {
        "cpu": config.cpu,
        "ephemeral-storage": binary_si(ROOT_FS_BYTES - nodefs.amount(ROOT_FS_BYTES)),
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
        "memory": format_bytes(mem) if mem % 1024 == 0 else str(mem),
        "pods": str(config.pods),
    }
    cap_mem = mem + EVICTION_HARD_MEMORY
    cap = {**alloc, "ephemeral-storage": binary_si(ROOT_FS_BYTES), "memory": format_bytes(cap_mem)}
    return cap, alloc


NETWORK_NOT_READY = (
    "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady "
    "message:Network plugin returns error: cni plugin not initialized"
)


def node_conditions(
    previous: list[Obj] | None, ts: str, network_ready: bool = True, memory_pressure: bool = False
) -> list[Obj]:
    """The conditions a healthy kubelet posts, keeping transition times that did not change.
    Until the runtime's network (the CNI plugin) is ready, Ready is False (`KubeletNotReady`)
    with the runtime's message, as on a node that has just joined. MemoryPressure is the
    eviction manager's (`KubeletHasInsufficientMemory` while it reports the condition)."""
    prev = {c["type"]: c for c in previous or ()}
    ready = (
        ("Ready", "True", "KubeletReady", "kubelet is posting ready status")
        if network_ready
        else ("Ready", "False", "KubeletNotReady", NETWORK_NOT_READY)
    )
    memory = (
        (
            "MemoryPressure",
            "True",
            "KubeletHasInsufficientMemory",
            "kubelet has insufficient memory available",
        )
        if memory_pressure
        else (
            "MemoryPressure",
            "False",
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available",
        )
    )
    spec = [
        memory,
        ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        ready,
    ]
    out = []
    for ctype, status, reason, message in spec:
        p = prev.get(ctype)
        transition = p["lastTransitionTime"] if p and p.get("status") == status else ts
        out.append(
            {
                "type": ctype,
                "status": status,
                "lastHeartbeatTime": ts,
                "lastTransitionTime": transition,
                "reason": reason,
                "message": message,
            }
        )
    return out


def node_object(config: NodeConfig, runtime: Runtime, boot_id: str, ts: str) -> Obj:
    """The Node a kubelet registers: labels, podCIDR, capacity, conditions, addresses, nodeInfo."""
    cfg = config
    cap, alloc = capacity(config)
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": cfg.name,
        "kubernetes.io/os": "linux",
    }
    if cfg.role == "control-plane":
        labels["node-role.kubernetes.io/control-plane"] = ""
        labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
    labels.update(cfg.labels)
    spec: Obj = {"podCIDR": cfg.pod_cidr, "podCIDRs": [cfg.pod_cidr]}
    if cfg.taints:
        spec["taints"] = copy_json(cfg.taints)
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": cfg.name,
            "labels": labels,
            "annotations": {
                "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///var/run/containerd/containerd.sock",
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        },
        "spec": spec,
        "status": {
            "capacity": cap,
            "allocatable": alloc,
            "conditions": node_conditions(None, ts, config.network_ready),
            "addresses": [
                {"type": "InternalIP", "address": cfg.internal_ip},
                {"type": "Hostname", "address": cfg.name},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": node_info(config, boot_id),
            "images": node_images(runtime),
        },
    }


def node_info(config: NodeConfig, boot_id: str) -> Obj:
    """status.nodeInfo, complete: strict clients reject a Node missing any of these fields."""
    machine = f"{config.index:032x}"
    return {
        "machineID": machine,
        "systemUUID": f"{machine[:8]}-{machine[8:12]}-{machine[12:16]}-{machine[16:20]}-{machine[20:]}",
        "bootID": boot_id,
        "kernelVersion": KERNEL_VERSION,
        "osImage": "Ubuntu 24.04.1 LTS",
        "containerRuntimeVersion": "containerd://1.7.24",
        "kubeletVersion": config.kubelet_version,
        "kubeProxyVersion": config.kubelet_version,
        "operatingSystem": "linux",
        "architecture": "amd64",
    }


def node_images(runtime: Runtime) -> list[Obj]:
    """status.images: what the runtime has on disk, as the kubelet lists it."""
    out = []
    for ref, size in sorted(runtime.images.items()):
        repo = ref.rpartition(":")[0]
        out.append({"names": [f"{repo}@{image_id(ref).split('@', 1)[1]}", ref], "sizeBytes": size})
    return out
