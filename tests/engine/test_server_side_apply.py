"""Server-side apply: create, field ownership, conflicts, force, and removal of dropped fields."""

from __future__ import annotations

from typing import Any

import pytest

from clusterlab.engine import Cluster, Conflict, Invalid
from clusterlab.engine.cluster import LEARNER

from .conftest import web


def config(
    replicas: int | None = None,
    labels: dict[str, str] | None = None,
    image: str = "nginx:1.27",
    container: str = "app",
) -> dict:
    d: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api"},
        "spec": {
            "selector": {"matchLabels": {"app": "api"}},
            "template": {
                "metadata": {"labels": {"app": "api"}},
                "spec": {"containers": [{"name": container, "image": image}]},
            },
        },
    }
    if replicas is not None:
        d["spec"]["replicas"] = replicas
    if labels:
        d["metadata"]["labels"] = labels
    return d


def apply(c: Cluster, body: dict, manager: str = "kubectl", **kw: Any) -> dict:
    return c.server.patch(
        LEARNER,
        "deployments",
        body["metadata"]["name"],
        body,
        "default",
        patch_type="apply",
        field_manager=manager,
        **kw,
    )


@pytest.fixture
def c() -> Cluster:
    return Cluster.from_scenario("default", seed=7)


def test_apply_creates_and_records_apply_ownership(c: Cluster) -> None:
    d = apply(c, config(replicas=2, labels={"team": "a"}))
    assert c.server.audit.records[-1].code == 201
    assert d["metadata"]["uid"] and d["spec"]["replicas"] == 2
    assert d["metadata"]["managedFields"] == [
        {
            "manager": "kubectl",
            "operation": "Apply",
            "apiVersion": "apps/v1",
            "time": "2026-01-01T09:00:00Z",
            "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:metadata": {"f:labels": {"f:team": {}}},
                "f:spec": {
                    "f:replicas": {},
                    "f:selector": {},
                    "f:template": {
                        "f:metadata": {"f:labels": {"f:app": {}}},
                        "f:spec": {
                            "f:containers": {'k:{"name":"app"}': {".": {}, "f:image": {}, "f:name": {}}}
                        },
                    },
                },
            },
        }
    ]
    c.advance(5)
    d = c.get("deployment", "api")
    again = apply(c, config(replicas=2, labels={"team": "a"}))
    assert c.server.audit.records[-1].code == 200
    assert again["metadata"]["resourceVersion"] == d["metadata"]["resourceVersion"]  # no-op
    assert again["metadata"]["managedFields"][0]["time"] == "2026-01-01T09:00:00Z"
    moved = apply(c, config(replicas=3, labels={"team": "a"}))
    assert moved["metadata"]["managedFields"][0]["time"] == "2026-01-01T09:00:05Z"


def test_conflict_with_client_side_apply_then_force(c: Cluster) -> None:
    c.apply(web(3, name="api"))  # kubectl apply (client-side): owns .spec.replicas as an Update
    with pytest.raises(Conflict) as exc:
        apply(c, config(replicas=5))
    assert exc.value.code == 409
    assert exc.value.message == (
        'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: '
        ".spec.replicas"
    )
    assert exc.value.details["causes"] == [
        {
            "reason": "FieldManagerConflict",
            "message": 'conflict with "kubectl-client-side-apply" using apps/v1',
            "field": ".spec.replicas",
        }
    ]
    # The same value is no conflict: the field becomes shared.
    shared = apply(c, config(replicas=3, image="nginx:1.27"))
    owners = {
        e["manager"]
        for e in shared["metadata"]["managedFields"]
        if "f:replicas" in e["fieldsV1"].get("f:spec", {})
    }
    assert owners == {"kubectl", "kubectl-client-side-apply"}
    forced = apply(c, config(replicas=5), force=True)
    assert forced["spec"]["replicas"] == 5
    owners = {
        e["manager"]
        for e in forced["metadata"]["managedFields"]
        if "f:replicas" in e["fieldsV1"].get("f:spec", {})
    }
    assert owners == {"kubectl"}


def test_several_conflicts_are_listed_by_manager(c: Cluster) -> None:
    c.apply(web(3, name="api", image="nginx:1.26"))
    with pytest.raises(Conflict) as exc:
        apply(c, config(replicas=5, image="nginx:1.28", container="nginx"))
    assert exc.value.message == (
        'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:\n'
        "- .spec.replicas\n"
        '- .spec.template.spec.containers[name="nginx"].image'
    )


def test_fields_dropped_from_the_config_are_removed_unless_shared(c: Cluster) -> None:
    apply(c, config(replicas=2, labels={"team": "a", "tier": "web"}))
    apply(c, {**config(), "metadata": {"name": "api", "labels": {"tier": "web"}}}, manager="other")
    out = apply(c, config(replicas=2))  # drops both labels; "tier" is co-owned by "other"
    assert out["metadata"]["labels"] == {"tier": "web"}
    out = apply(c, config())  # drops replicas: removed, then defaulted again by the server
    assert out["spec"]["replicas"] == 1


def test_apply_needs_a_field_manager(c: Cluster) -> None:
    with pytest.raises(Invalid) as exc:
        c.server.patch(LEARNER, "deployments", "api", config(), "default", patch_type="apply")
    assert exc.value.message == (
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch'
    )
