"""Chunked lists: limit, continue tokens, remainingItemCount and expired tokens (410)."""

from __future__ import annotations

import base64
import json

import pytest

from clusterlab.engine import BadRequest, Cluster, Gone
from clusterlab.engine.cluster import LEARNER
from clusterlab.engine.paging import EXPIRED

from .conftest import web


@pytest.fixture
def c() -> Cluster:
    cluster = Cluster.from_scenario("default", seed=7)
    cluster.apply(web(5))
    cluster.advance(30)
    return cluster


def test_pages_in_key_order_with_a_stable_resource_version(c: Cluster) -> None:
    everything = sorted(p["metadata"]["name"] for p in c.list("pods", "default"))
    items, rv, token, remaining = c.server.list_page(LEARNER, "pods", "default", limit=2)
    assert [p["metadata"]["name"] for p in items] == everything[:2]
    assert (rv, remaining) == (str(c.revision), 3)
    assert token is not None
    decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    assert decoded == {"v": "meta.k8s.io/v1", "rv": int(rv), "start": f"default/{everything[1]}\u0000"}
    c.advance(1)  # the cluster moves on; every chunk still reports the first chunk's resourceVersion
    items2, rv2, token2, remaining2 = c.server.list_page(
        LEARNER, "pods", "default", limit=2, continue_token=token
    )
    assert [p["metadata"]["name"] for p in items2] == everything[2:4]
    assert (rv2, remaining2) == (rv, 1)
    items3, rv3, token3, remaining3 = c.server.list_page(
        LEARNER, "pods", "default", limit=2, continue_token=token2
    )
    assert [p["metadata"]["name"] for p in items3] == everything[4:]
    assert (rv3, token3, remaining3) == (rv, None, None)


def test_no_limit_and_filtered_lists(c: Cluster) -> None:
    items, _, token, remaining = c.server.list_page(LEARNER, "namespaces")
    assert [n["metadata"]["name"] for n in items] == [
        "default",
        "kube-node-lease",
        "kube-public",
        "kube-system",
        "local-path-storage",  # the default StorageClass's provisioner
    ]
    assert (token, remaining) == (None, None)
    items, _, token, remaining = c.server.list_page(LEARNER, "pods", None, "app=web", limit=3)
    assert len(items) == 3 and token is not None
    assert remaining is None  # kube-apiserver does not count what a selector would filter
    all_ns, _, _, left = c.server.list_page(LEARNER, "pods", None, limit=1)
    assert all_ns[0]["metadata"]["namespace"] == "default" and left is not None and left > 4


def test_expired_and_invalid_tokens(c: Cluster) -> None:
    _, _, token, _ = c.server.list_page(LEARNER, "pods", "default", limit=2)
    assert token is not None
    c.advance(400)  # etcd compacts history older than 5 minutes
    with pytest.raises(Gone) as exc:
        c.server.list_page(LEARNER, "pods", "default", limit=2, continue_token=token)
    assert exc.value.code == 410 and exc.value.reason == "Expired"
    assert exc.value.message == EXPIRED
    assert EXPIRED.startswith(
        "The provided continue parameter is too old to display a consistent list result."
    )
    fresh = exc.value.status()["metadata"]["continue"]
    items, rv, _, _ = c.server.list_page(LEARNER, "pods", "default", limit=2, continue_token=fresh)
    assert len(items) == 2 and rv == str(c.revision)
    with pytest.raises(BadRequest, match="invalid continue token"):
        c.server.list_page(LEARNER, "pods", "default", limit=2, continue_token="not-a-token!")
    assert c.server.audit.records[-1].code == 400
