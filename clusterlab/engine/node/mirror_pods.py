"""Mirror pods: how static pods (read by the kubelet from its manifest folder) show in the API.

A kubeadm control plane runs as static pods: the kubelet starts them from
`/etc/kubernetes/manifests` without the API server, and publishes a *mirror pod* for each,
named `<pod>-<node>` in `kube-system`, annotated with the manifest's hash and source
(`kubernetes.io/config.source: file`) and owned by the Node. Deleting a mirror pod does not
stop the static pod.

Simplified: here the kubelet runs a static pod through its normal pod path once the mirror
pod exists (the observable lifecycle is the same).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ..jsonutil import copy_json

Obj = dict[str, Any]


def config_hash(manifest: Obj) -> str:
    """The hash of a static pod's manifest, which its mirror pod carries."""
    return hashlib.md5(json.dumps(manifest, sort_keys=True).encode()).hexdigest()


def mirror_pod(manifest: Obj, node_name: str, node_uid: str, seen: str) -> Obj:
    pod = copy_json(manifest)
    meta = pod["metadata"]
    meta["name"] = f"{manifest['metadata']['name']}-{node_name}"
    meta["namespace"] = "kube-system"
    config_hash_ = config_hash(manifest)
    meta.setdefault("annotations", {}).update(
        {
            "kubernetes.io/config.hash": config_hash_,
            "kubernetes.io/config.mirror": config_hash_,
            "kubernetes.io/config.seen": seen,
            "kubernetes.io/config.source": "file",
        }
    )
    meta["ownerReferences"] = [
        {"apiVersion": "v1", "kind": "Node", "name": node_name, "uid": node_uid, "controller": True}
    ]
    pod["spec"]["nodeName"] = node_name
    return pod
