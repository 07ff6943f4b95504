"""`rollout`, `get` and `describe` of Deployments in the states a rollout goes through, the console
against the real kubectl 1.32 on the same canned answers: paused with a pending template
change, stalled on a broken image past its progress deadline, scaled in proportion mid-rollout.
The objects come from the engine's own controllers."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest

from clusterlab.engine import Cluster

from .fakeapi import CannedAPI, have_kubectl
from .side_by_side import run_both
from .tables import TABLES

pytestmark = pytest.mark.skipif(not have_kubectl(), reason="the kubectl.1.32 binary is not installed")

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations: {kubernetes.io/change-cause: first}
spec:
  replicas: 4
  progressDeadlineSeconds: 30
  strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 1}}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: nginx, image: 'nginx:1.27'}]}
"""
KINDS = ("namespaces", "nodes", "pods", "deployments", "replicasets", "events")


def _set_image(c: Cluster, image: str) -> None:
    body = {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": image}]}}}}
    c.server.patch(c.learner, "deployments", "web", body, "default", patch_type="strategic")


@cache
def _state(name: str) -> list[dict[str, Any]]:
    c = Cluster()
    c.apply(DEPLOYMENT)
    c.advance(30)
    if name == "paused":
        c.server.patch(c.learner, "deployments", "web", {"spec": {"paused": True}}, "default")
        _set_image(c, "nginx:1.28")
        c.advance(5)
    elif name == "stalled":
        _set_image(c, "nginx:1.99")
        c.advance(60)
    elif name in ("rolled", "rolled-paused"):
        _set_image(c, "nginx:1.28")
        c.advance(60)
        if name == "rolled-paused":
            c.server.patch(c.learner, "deployments", "web", {"spec": {"paused": True}}, "default")
            c.advance(1)
    elif name == "proportional":
        _set_image(c, "nginx:1.99")
        c.advance(10)
        c.scale("deployment", "web", 8)
        c.advance(10)
    return [copy.deepcopy(o) for k in KINDS for o in c.observe(k)]


CASES = [
    ("paused", "rollout undo deployment/web"),
    ("paused", "rollout status deploy/web --watch=false"),
    ("paused", "rollout history deploy/web"),
    ("paused", "describe deploy web"),
    ("paused", "get deploy web"),
    ("stalled", "rollout status deploy/web"),
    ("stalled", "rollout history deploy/web"),
    ("stalled", "describe deploy web"),
    ("stalled", "get rs -o wide"),
    ("stalled", "get deploy web -o wide"),
    ("rolled", "describe deploy web"),
    ("rolled-paused", "rollout undo deployment/web"),
    ("rolled", "rollout history deploy/web"),
    ("rolled", "rollout history deploy/web --revision=2"),
    ("proportional", "describe deploy web"),
    ("proportional", "get rs"),
]


@pytest.mark.parametrize(("state", "line"), CASES)
def test_console_prints_what_kubectl_prints(state: str, line: str) -> None:
    objs = _state(state)
    apis = (CannedAPI(copy.deepcopy(objs), TABLES), CannedAPI(copy.deepcopy(objs), TABLES))
    theirs, mine = run_both(apis, line, now=datetime.now(UTC))
    if line.startswith("rollout status"):
        # kubectl reads through a watch, which the canned API cannot stream (client-go warns)
        kept = [x for x in theirs[1].splitlines(True) if "reflector.go" not in x]
        theirs = (theirs[0], "".join(kept), theirs[2])
    assert mine == theirs
