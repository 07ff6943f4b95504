"""The node Lease: the kubelet's heartbeat in `kube-node-lease`.

Since Kubernetes 1.17 a kubelet proves it is alive by renewing a Lease named after its node
every 10 s (a quarter of the 40 s `leaseDurationSeconds`), which is far cheaper than posting
the whole NodeStatus. The Lease is owned by the Node, so it goes when the Node goes.
"""

from __future__ import annotations

from typing import Any

LEASE_DURATION = 40
LEASE_RENEW_INTERVAL = 10.0


def node_lease(node_name: str, node_uid: str, renew_time: str) -> dict[str, Any]:
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {
            "name": node_name,
            "namespace": "kube-node-lease",
            "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": node_name, "uid": node_uid}],
        },
        "spec": {
            "holderIdentity": node_name,
            "leaseDurationSeconds": LEASE_DURATION,
            "renewTime": renew_time,
        },
    }
