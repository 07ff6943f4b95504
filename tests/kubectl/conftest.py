"""Fixtures for the console's kubectl: engine objects, a canned API, and a live transport.

`live_transport` is the end-to-end fixture: the production transport over the lab REST API's
in-process dispatcher (`clusterlab.kubeapi.inprocess`) on a real engine cluster.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.kubeapi.inprocess import DispatchTransport

from .fakeapi import CannedAPI
from .tables import TABLES

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: nginx, image: 'nginx:1.27'}]}
"""

_OBJECTS: list[dict[str, Any]] | None = None
_DAEMONSETS: list[dict[str, Any]] = []


def engine_objects() -> list[dict[str, Any]]:
    """Objects of a real engine cluster (default scenario, a 2-replica Deployment, 60 s on)."""
    global _OBJECTS
    if _OBJECTS is None:
        c = Cluster()
        c.apply(DEPLOYMENT)
        c.advance(60)
        kinds = ("namespaces", "nodes", "pods", "deployments", "replicasets", "leases", "events")
        _OBJECTS = [copy.deepcopy(o) for k in kinds for o in c.observe(k)]
        _DAEMONSETS[:] = [copy.deepcopy(o) for o in c.observe("daemonsets")]
    return copy.deepcopy(_OBJECTS)


def engine_daemonsets() -> list[dict[str, Any]]:
    """The DaemonSets of `engine_objects`' cluster (kubeadm's kube-proxy, owner of a pod on each
    node): not among the kinds the base canned API lists, but `kubectl drain` GETs them by name."""
    engine_objects()
    return copy.deepcopy(_DAEMONSETS)


@pytest.fixture
def objects() -> list[dict[str, Any]]:
    return engine_objects()


@pytest.fixture
def canned(objects: list[dict[str, Any]]) -> CannedAPI:
    return CannedAPI(objects, TABLES)


@pytest.fixture
def live_cluster() -> Cluster:
    c = Cluster()
    c.advance(5)
    return c


@pytest.fixture
def live_transport(live_cluster: Cluster) -> DispatchTransport:
    """The console's production transport: the lab REST API's dispatcher, in process."""
    return DispatchTransport(live_cluster)


_TWO_REVISIONS: list[dict[str, Any]] | None = None


def two_revision_objects() -> list[dict[str, Any]]:
    """Objects after a rollout: the Deployment moved from nginx:1.27 to nginx:1.28."""
    global _TWO_REVISIONS
    if _TWO_REVISIONS is None:
        c = Cluster()
        c.apply(DEPLOYMENT)
        c.advance(30)
        c.apply(DEPLOYMENT.replace("nginx:1.27", "nginx:1.28"))
        c.advance(60)
        kinds = ("namespaces", "nodes", "pods", "deployments", "replicasets", "events")
        _TWO_REVISIONS = [copy.deepcopy(o) for k in kinds for o in c.observe(k)]
    return copy.deepcopy(_TWO_REVISIONS)
