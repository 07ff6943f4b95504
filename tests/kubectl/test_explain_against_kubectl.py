"""`kubectl explain` in the console against the real kubectl 1.32, on the OpenAPI v3 documents
the lab's API serves: same requests, same output, same errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from clusterlab.kubeapi import discovery
from clusterlab.kubectl import run
from clusterlab.kubectl.cmd_explain import wrap

from .fakeapi import CannedAPI, _json, have_kubectl, real_kubectl
from .side_by_side import sent_requests
from .tables import TABLES

pytestmark = pytest.mark.skipif(not have_kubectl(), reason="the kubectl.1.32 binary is not installed")


def _openapi() -> dict[Any, Any]:
    canned = {("GET", "/openapi/v3"): _json(200, discovery.openapi_index(""))}
    for group, version in discovery.group_versions():
        path = "/openapi/v3/" + (f"apis/{group}/{version}" if group else f"api/{version}")
        canned[("GET", path)] = _json(200, discovery.openapi_gv(group, version))
    return canned


EXPLAINS = [
    "explain pods",
    "explain pod.spec",
    "explain pod.spec.containers --recursive",
    "explain pod --recursive",
    "explain pod.spec.restartPolicy",
    "explain pod.metadata.creationTimestamp",
    "explain deployment.spec.strategy",
    "explain deployments.apps",
    "explain deployments.apps.spec.replicas",
    "explain deploy --recursive",
    "explain deploy.spec.template.spec.containers.resources.limits",
    "explain svc --recursive",
    "explain nodes.status",
    "explain rs.spec.selector",
    "explain ns",
    "explain events",
    "explain deployments.apps --api-version=apps/v1",
    "explain deployment --api-version=v1",
    "explain deploy --api-version=apps/v2",
    "explain pods.spec.nope.x",
    "explain widgets",
    "explain widgets.spec",
    "explain pods -o yaml",
    "explain pods nodes",
    "explain",
]


@pytest.mark.parametrize("line", EXPLAINS)
def test_explain_prints_what_kubectl_prints(line: str) -> None:
    apis = [CannedAPI([], TABLES, canned=_openapi()) for _ in range(2)]
    theirs = real_kubectl(apis[0], line.split())
    mine = run("kubectl " + line, apis[1])
    assert (mine.stdout, mine.stderr, mine.exit_code) == theirs, line
    assert sent_requests(apis[1].requests) == sent_requests(apis[0].requests)


@pytest.mark.parametrize(
    ("text", "limit", "wrapped"),
    [
        ("one two three", 7, "one two\nthree"),
        ("a verylongwordhere b", 5, "a\nverylongwordhere\nb"),
        ("para one\n\npara two", 76, "para one\n\npara two"),
        ("ends with space ", 76, "ends with space "),
        ("x" * 10 + " y", 10, "x" * 10 + "\ny"),
    ],
)
def test_wrap_breaks_as_go_wordwrap(text: str, limit: int, wrapped: str) -> None:
    assert wrap(text, limit) == wrapped


def test_the_documents_are_json_and_name_their_kinds() -> None:
    doc = discovery.openapi_gv("apps", "v1")
    json.dumps(doc)
    schemas = doc["components"]["schemas"]
    deployment = schemas["io.k8s.api.apps.v1.Deployment"]
    assert deployment["x-kubernetes-group-version-kind"] == [
        {"group": "apps", "kind": "Deployment", "version": "v1"}
    ]
    assert "enum" not in deployment["properties"]["kind"]
    assert deployment["properties"]["spec"]["allOf"] == [
        {"$ref": "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec"}
    ]
    assert schemas["io.k8s.api.apps.v1.DeploymentStrategy"]["properties"]["type"]["type"] == "string"
    assert "io.k8s.api.core.v1.PodSpec" in schemas  # referenced types come along
