"""Fixtures for the console's kubectl: engine objects, a canned API, and a live transport.

`live_transport` is the end-to-end fixture: a `Transport` over the lab REST API's in-process
dispatcher (`clusterlab.kubeapi.dispatch`) on a real engine cluster. The lead may replace
`_DispatchTransport` with the production wiring; tests written against it then test the
console end to end. It is skipped when the REST API package is not importable.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.kubectl.transport import JSON, Response

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


def engine_objects() -> list[dict[str, Any]]:
    """Objects of a real engine cluster (default scenario, a 2-replica Deployment, 60 s on)."""
    global _OBJECTS
    if _OBJECTS is None:
        c = Cluster()
        c.apply(DEPLOYMENT)
        c.advance(60)
        kinds = ("namespaces", "nodes", "pods", "deployments", "replicasets", "leases", "events")
        _OBJECTS = [copy.deepcopy(o) for k in kinds for o in c.observe(k)]
    return copy.deepcopy(_OBJECTS)


@pytest.fixture
def objects() -> list[dict[str, Any]]:
    return engine_objects()


@pytest.fixture
def canned(objects: list[dict[str, Any]]) -> CannedAPI:
    return CannedAPI(objects, TABLES)


class _DispatchTransport:
    """The console's Transport over the REST API's dispatcher, in process."""

    def __init__(self, cluster: Cluster) -> None:
        from clusterlab.kubeapi import negotiation
        from clusterlab.kubeapi.dispatch import dispatch
        from clusterlab.kubeapi.messages import ApiRequest

        self.cluster = cluster
        self._dispatch = dispatch
        self._request = ApiRequest
        self._negotiation = negotiation

    def request(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
        accept: str = JSON,
    ) -> Response:
        decoded = self._negotiation.decode_body(body, content_type or "") if body else None
        req = self._request(
            method=method,
            path=path,
            query=dict(query or {}),
            body=decoded,
            content_type=self._negotiation.media_type(content_type or ""),
            accept=accept,
            component="kubectl",
        )
        resp = self._dispatch(self.cluster, req)
        if resp.text is not None:
            return Response(resp.status, resp.content_type or "text/plain", resp.text.encode())
        return Response(resp.status, resp.content_type or JSON, json.dumps(resp.body).encode())


@pytest.fixture
def live_cluster() -> Cluster:
    c = Cluster()
    c.advance(5)
    return c


@pytest.fixture
def live_transport(live_cluster: Cluster) -> _DispatchTransport:
    try:
        return _DispatchTransport(live_cluster)
    except ImportError as exc:  # pragma: no cover - until the REST API lands
        pytest.skip(f"the lab REST API dispatcher is not available: {exc}")


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
