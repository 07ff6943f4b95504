"""Engine tests: plain pytest, no Django. Clusters on the virtual clock, exact timelines."""

from __future__ import annotations

from typing import Any

import pytest

from clusterlab.engine import Cluster

WEB = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {
        "replicas": 6,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {
                        "name": "nginx",
                        "image": "nginx:1.27",
                        "resources": {"requests": {"cpu": "250m", "memory": "128Mi"}},
                    }
                ]
            },
        },
    },
}


def web(replicas: int = 6, cpu: str = "250m", image: str = "nginx:1.27", name: str = "web") -> dict[str, Any]:
    d: dict[str, Any] = {**WEB, "metadata": {"name": name}}
    d["spec"] = {
        **WEB["spec"],
        "replicas": replicas,
        "selector": {"matchLabels": {"app": name}},
        "template": {
            "metadata": {"labels": {"app": name}},
            "spec": {
                "containers": [
                    {
                        "name": "nginx",
                        "image": image,
                        "resources": {"requests": {"cpu": cpu, "memory": "128Mi"}},
                    }
                ]
            },
        },
    }
    return d


@pytest.fixture
def cluster() -> Cluster:
    return Cluster.from_scenario("default", seed=7)


def pods_of(c: Cluster, app: str = "web") -> list[dict[str, Any]]:
    return c.list("pods", "default", selector=f"app={app}")


def events_for(c: Cluster, name: str) -> list[dict[str, Any]]:
    return [e for e in c.events() if e["involvedObject"]["name"] == name]


def run_until(c: Cluster, predicate: Any, limit: float = 600.0, step: float = 0.1) -> float:
    """Advance in small steps until `predicate()` holds; returns the virtual time it first held."""
    end = c.now + limit
    while c.now < end:
        if predicate():
            return c.now
        c.advance(step)
    raise AssertionError(f"condition not reached within {limit} virtual seconds")
