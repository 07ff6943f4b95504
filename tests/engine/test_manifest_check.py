"""Checking manifests before applying: strict schema problems and API rules, each with its line."""

from clusterlab.engine.manifest_check import check_manifest
from clusterlab.engine.schema import schema_problems

BROKEN = """apiVersion: v1
kind: Namespace
metadata:
  name: team-a
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicaz: 3
  replicas: three
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels:
        app: webb
    spec:
      containers:
      - image: nginx
        imagePullPolicy: Sometimes
        portz: [1]
---
kind: Widget
apiVersion: v1
"""


def test_every_problem_is_reported_with_its_line():
    problems = [(p.document, p.line, p.field, p.message) for p in check_manifest(BROKEN)]
    assert problems == [
        (2, 11, "spec.replicaz", "unknown field"),
        (2, 12, "spec.replicas", 'expected integer, got "three"'),
        (2, 21, "spec.template.spec.containers[0].name", "Required value"),
        (2, 23, "spec.template.spec.containers[0].portz", "unknown field"),
        (
            2,
            17,
            "spec.template.metadata.labels",
            'Invalid value: "map[app:webb]": `selector` does not match template `labels`',
        ),
        (
            2,
            22,
            "spec.template.spec.containers[0].imagePullPolicy",
            'Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"',
        ),
        (3, 25, "", 'no matches for kind "Widget" in version "v1"'),
    ]


def test_semantic_rules_once_the_shapes_are_right():
    fixed = (
        BROKEN.replace("  replicaz: 3\n", "")
        .replace("replicas: three", "replicas: 2")
        .replace("portz: [1]", "name: web")
        .split("---\nkind: Widget")[0]
    )
    problems = [(p.line, p.field, p.message) for p in check_manifest(fixed)]
    assert problems == [
        (
            16,
            "spec.template.metadata.labels",
            'Invalid value: "map[app:webb]": `selector` does not match template `labels`',
        ),
        (
            21,
            "spec.template.spec.containers[0].imagePullPolicy",
            'Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"',
        ),
    ]
    assert check_manifest(fixed.replace("app: webb", "app: web").replace("Sometimes", "Always")) == []


def test_yaml_syntax_errors_point_at_their_line():
    (problem,) = check_manifest("apiVersion: v1\nkind: Pod\nmetadata: {name: [x\n")
    assert problem.line is not None and problem.line >= 3
    assert problem.message.startswith("YAML: ")


def test_missing_name_and_non_objects():
    problems = check_manifest("apiVersion: v1\nkind: Pod\nspec:\n  containers: []\n---\n- just\n- a list\n")
    assert [(p.document, p.field, p.message) for p in problems] == [
        (1, "metadata.name", "Required value"),
        (2, "", "expected an object (a mapping), got list"),
    ]


def test_huge_manifests_are_refused_without_parsing():
    (problem,) = check_manifest("a: b\n" * 700_000)
    assert "larger than 3 MiB" in problem.message


def test_schema_problems_for_a_pod():
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "labelz": {}},
        "spec": {"containers": [{"name": "c", "image": "nginx", "resources": {"limits": {"cpu": []}}}]},
    }
    assert [(p.field, p.message) for p in schema_problems(pod)] == [
        ("metadata.labelz", "unknown field"),
        ("spec.containers[0].resources.limits.cpu", "expected string or number, got []"),
    ]
