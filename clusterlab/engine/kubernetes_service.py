"""The `default/kubernetes` Service: how Pods find the API server.

kube-apiserver's bootstrap controller creates this Service at start-up with the first IP of
the service range (`10.96.0.1` for kubeadm's `10.96.0.0/12`), port 443 named `https` to the
API server's secure port 6443, no selector, and labels `component: apiserver`, `provider:
kubernetes`. Because it has no selector, no controller writes its endpoints: the API server's
endpoint reconciler keeps an `Endpoints` object (marked `endpointslice.kubernetes.io/
skip-mirror`) and an `EndpointSlice` named `kubernetes` listing each API server's address.

Simplified: one API server (the first control-plane node); the reconciler writes them once
at start-up rather than refreshing them through the master lease.
"""

from __future__ import annotations

from typing import Any

from .apiserver import APIServer
from .audit import User
from .services import KUBERNETES_SERVICE_IP

Obj = dict[str, Any]
SECURE_PORT = 6443


def create_kubernetes_service(server: APIServer, user: User, apiserver_ip: str | None) -> None:
    """Create the Service and, when the API server's address is known, its endpoints."""
    server.create(
        user,
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": "kubernetes",
                "namespace": "default",
                "labels": {"component": "apiserver", "provider": "kubernetes"},
            },
            "spec": {
                "clusterIP": KUBERNETES_SERVICE_IP,
                "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": SECURE_PORT}],
            },
        },
    )
    if apiserver_ip is None:
        return
    server.create(
        user,
        {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {
                "name": "kubernetes",
                "namespace": "default",
                "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"},
            },
            "subsets": [
                {
                    "addresses": [{"ip": apiserver_ip}],
                    "ports": [{"name": "https", "port": SECURE_PORT, "protocol": "TCP"}],
                }
            ],
        },
    )
    server.create(
        user,
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "name": "kubernetes",
                "namespace": "default",
                "labels": {"kubernetes.io/service-name": "kubernetes"},
            },
            "addressType": "IPv4",
            "endpoints": [{"addresses": [apiserver_ip], "conditions": {"ready": True}}],
            "ports": [{"name": "https", "port": SECURE_PORT, "protocol": "TCP"}],
        },
    )
