"""The console against the real kubectl 1.32 binary, on the same canned API answers.

`CannedAPI` serves engine objects (and kube-apiserver-shaped Tables) both to the console,
in process, and to the real kubectl over a local HTTP server; stdout, stderr and exit code
must be identical. For commands that write, the canned API answers writes with canned
objects, so those cases compare the *requests* (method, path, query, Content-Type, JSON
body) and the printed lines, not end-to-end behaviour (see test_end_to_end.py for that).
Skipped when the kubectl binary is not installed.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from clusterlab.kubectl import run

from .conftest import engine_daemonsets, engine_objects
from .fakeapi import CannedAPI, _json, have_kubectl, real_kubectl
from .side_by_side import sent_requests
from .tables import TABLES

pytestmark = pytest.mark.skipif(not have_kubectl(), reason="the kubectl.1.32 binary is not installed")
NOW = datetime(2026, 1, 1, 9, 5, tzinfo=UTC)


def _pod_name(objs: list[dict[str, Any]]) -> str:
    return next(o for o in objs if o["kind"] == "Pod" and o["metadata"]["namespace"] == "default")[
        "metadata"
    ]["name"]


def _api(canned: dict[Any, Any] | None = None) -> CannedAPI:
    objs = engine_objects()
    pod = _pod_name(objs)
    # The DaemonSets by name, as `kubectl drain` looks up the owner of each DaemonSet pod.
    daemonsets = {
        (
            "GET",
            f"/apis/apps/v1/namespaces/{ds['metadata']['namespace']}/daemonsets/{ds['metadata']['name']}",
        ): _json(200, ds)
        for ds in engine_daemonsets()
    }
    return CannedAPI(objs, TABLES, logs={pod: "hello\nworld\n"}, canned={**daemonsets, **(canned or {})})


def _compare(line: str, stdin: str = "", canned_writes: bool = False) -> tuple[list[Any], list[Any]]:
    objs = engine_objects()
    rs = next(o for o in objs if o["kind"] == "ReplicaSet")["metadata"]["name"]
    line = line.replace("POD", _pod_name(objs)).replace("RS", rs)
    apis = [_api(_writes(objs) if canned_writes else None) for _ in range(2)]
    out, err, rc = real_kubectl(apis[0], line.split(), stdin)
    mine = run("kubectl " + line, apis[1], stdin=stdin, now=datetime.now(UTC))  # kubectl ages use its clock
    assert (mine.stdout, mine.stderr, mine.exit_code) == (out, err, rc), line
    return sent_requests(apis[0].requests), sent_requests(apis[1].requests)


def _writes(objs: list[dict[str, Any]]) -> dict[Any, Any]:
    dep = next(o for o in objs if o["kind"] == "Deployment")
    pod = next(o for o in objs if o["kind"] == "Pod" and o["metadata"]["namespace"] == "default")
    node = next(o for o in objs if o["metadata"]["name"] == "worker-1")
    d = "/apis/apps/v1/namespaces/default/deployments"
    p = f"/api/v1/namespaces/default/pods/{pod['metadata']['name']}"
    api = copy.deepcopy(dep)
    api["metadata"] = {"name": "api", "namespace": "default", "uid": "u-api", "resourceVersion": "1"}
    scale = {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {"name": "web"},
        "spec": {"replicas": 5},
    }
    return {
        ("PATCH", d + "/web/scale"): _json(200, scale),
        ("DELETE", p): _json(200, pod),
        ("PATCH", p): _json(200, pod),
        ("PATCH", "/api/v1/nodes/worker-1"): _json(200, node),
        ("PATCH", d + "/web"): _json(200, dep),
        ("POST", d): _json(201, dep),
        ("PATCH", d + "/api"): _json(201, api),
    }


READS = [
    "get pods",
    "get pods -o wide",
    "get pods -A",
    "get po -A -o wide --show-labels",
    "get nodes",
    "get nodes -A",
    "get nodes -o wide",
    "get deploy",
    "get deployments.apps -o yaml",
    "get pods,deploy",
    "get all",
    "get pods -n nope",
    "get pods -n nope -o json",
    "get pods -n nope -o name",
    "get widgets",
    "get pods nope",
    "get deploy web nope",
    "get deploy/web pods/nope",
    "get pods -o name",
    "get deploy web -o json",
    "get deploy web -o jsonpath={.spec.replicas}",
    "get pods -o jsonpath={.items[*].metadata.name}",
    "get pods -L app -L pod-template-hash",
    "get nodes --no-headers",
    "get node worker-1 worker-2",
    "get pods -o foo",
    "get pods -o jsonpath",
    "get pods -o jsonpath={.items[",
    "get pods -l app=web",
    "get pods -o custom-columns=NAME:.metadata.name,NODE:.spec.nodeName,IMAGES:.spec.containers[*].image",
    "get pods -o custom-columns=X:.missing",
    "get pods -A -o custom-columns=NS:metadata.namespace,N:{.metadata.name}",
    "get pods -o custom-columns=BAD",
    "get pods -o custom-columns=A:.metadata.labels --no-headers",
    "get deploy web -o custom-columns=R:.spec.replicas,S:.spec.selector",
    "get pods -n nope -o custom-columns=A:.x",
    "describe pod POD",
    "describe deploy web",
    "describe pod nope",
    "describe pod web",
    "describe node worker-3",
    "describe node control-plane",
    "describe nodes",
    "describe rs",
    "describe ns default",
    "describe ns",
    "describe deploy",
    "get events",
    "get leases -A",
    "api-resources",
    "api-resources --namespaced=false",
    "api-resources -o name",
    "api-versions",
    "logs POD",
    "logs POD --tail=1",
    "logs deploy/web",
    "logs rs/RS --tail=1",
    "logs node/worker-1",
    "cordon nope",
]


@pytest.mark.parametrize("line", READS)
def test_reads_print_exactly_what_kubectl_prints(line: str) -> None:
    theirs, mine = _compare(line)
    if line.startswith(("get ", "describe ")) and "-o " not in line:
        assert mine == theirs  # same GETs, same queries


@pytest.mark.parametrize(
    "line", ["get pods", "get pods -o wide", "get deploy web", "get pods -o yaml", "get nodes -o name"]
)
def test_get_asks_for_tables_only_for_human_output(line: str) -> None:
    apis = [_api() for _ in range(2)]
    real_kubectl(apis[0], line.split())
    run(line, apis[1])
    accepts = [
        [(r.path, r.accept) for r in api.requests if r.path not in ("/api", "/apis", "/version")]
        for api in apis
    ]
    assert accepts[1] == accepts[0]


NEW = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: app
        image: nginx:1.27
        ports: [{containerPort: 80}]
"""
EXISTING = NEW.replace("name: api\n", "name: web\n").replace("app: api", "app: web")

WRITES = [
    ("scale deploy web --replicas=5", ""),
    ("scale deploy/web --replicas 5", ""),
    ("scale deploy web", ""),
    ("delete pod POD --wait=false", ""),
    ("delete pod nope", ""),
    ("delete pod POD --dry-run=client", ""),
    ("delete pod POD --dry-run=server --wait=false", ""),
    ("scale deploy web --replicas=5 --dry-run=server", ""),
    ("scale deploy web --replicas=5 --dry-run=client", ""),
    ("apply -f - --validate=false --dry-run=server", NEW),
    ("apply -f - --validate=false --dry-run=server", EXISTING),
    ("apply -f - --validate=false --server-side --dry-run=server", NEW),
    ("create -f - --validate=false --dry-run=server", NEW),
    ("run tmp --image=busybox --dry-run=server", ""),
    ("cordon worker-1 --dry-run=server", ""),
    ("cordon worker-1 --dry-run=client", ""),
    ("uncordon worker-1 --dry-run=server", ""),
    ("drain worker-1 --ignore-daemonsets --dry-run=client", ""),
    ("taint nodes worker-1 dedicated=gpu:NoSchedule --dry-run=client", ""),
    ("label pod POD tier=front --dry-run=server", ""),
    ("annotate pod POD note=hi --dry-run=server", ""),
    ("taint nodes worker-1 dedicated=gpu:NoSchedule --dry-run=server", ""),
    ("delete", ""),
    ("cordon worker-1", ""),
    ("uncordon worker-1", ""),
    ("label pod POD tier=front", ""),
    ("label pod POD app=x", ""),
    ("label pod POD app=x --overwrite", ""),
    ("label pod POD app- nope-", ""),
    ("label pod POD app=web", ""),
    ("annotate pod POD note=hi", ""),
    ("apply -f - --validate=false", NEW),
    ("apply -f - --validate=false --server-side", NEW),
    ("apply -f - --validate=false", EXISTING),
    ("apply -f - --validate=false", NEW + "---\n" + EXISTING),
    ("create -f - --validate=false", NEW),
    ("run tmp --image=busybox", ""),
    ("taint nodes worker-1 dedicated=gpu:NoSchedule", ""),
    ("taint nodes worker-1 dedicated:NoSchedule-", ""),
    ("drain worker-1", ""),
    ("drain worker-1 --ignore-daemonsets", ""),
    ("create deployment web --image=nginx --dry-run=client -o yaml", ""),
    ("create deployment web --image=nginx --replicas=3 --dry-run=client -o json", ""),
    ("apply -f - --validate=false", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  labels: a: b\n"),
    ("apply -f - --validate=false", "apiVersion: v1\nkind: Pod\nmetadata:\n\tname: x\n"),
    ("apply -f - --validate=false", 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: "x\n'),
    ("apply -f - --validate=false", "apiVersion: v1\nmetadata:\n  name: x\n"),
    ("apply -f - --validate=false", "- a\n- b\n"),
    ("apply -f - --validate=false", "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: x\n"),
    ("apply -f - --validate=false", ""),
    ("apply -f -", "apiVersion: v1\n"),
]


@pytest.mark.parametrize(("line", "stdin"), WRITES)
def test_writes_send_the_requests_kubectl_sends(line: str, stdin: str) -> None:
    """Request construction and printed lines only: the canned API does not change state."""
    theirs, mine = _compare(line, stdin, canned_writes=True)
    # kubectl's typed clients send protobuf; the console sends the same object as JSON.
    mine = [
        m if t[4] != "<protobuf>" else (*m[:3], t[3], "<protobuf>")
        for m, t in zip(mine, theirs, strict=False)
    ]
    assert mine == theirs


def test_drain_refuses_a_pod_without_a_controller_in_kubectls_words() -> None:
    """worker-1's CoreDNS pod made a bare pod: `--ignore-daemonsets` lets kube-proxy's pod be
    (its DaemonSet looked up first), and the bare pod stops the drain, in kubectl 1.32's own
    doubled "cannot delete cannot delete" wording, its final line without an `error: ` prefix."""
    objs = engine_objects()
    (bare,) = [
        o
        for o in objs
        if o["kind"] == "Pod"
        and o["spec"].get("nodeName") == "worker-1"
        and o["metadata"]["name"].startswith("coredns-")
    ]
    del bare["metadata"]["ownerReferences"]
    apis = [_api(_writes(objs)) for _ in range(2)]
    for api in apis:
        api.objects = copy.deepcopy(objs)
    line = "drain worker-1 --ignore-daemonsets"
    out, err, rc = real_kubectl(apis[0], line.split())
    mine = run("kubectl " + line, apis[1])
    assert (mine.stdout, mine.stderr, mine.exit_code) == (out, err, rc)
    problem = (
        "cannot delete cannot delete Pods that declare no controller (use --force to override): "
        f"kube-system/{bare['metadata']['name']}"
    )
    assert err == (
        f'error: unable to drain node "worker-1" due to error: {problem}, continuing command...\n'
        f"There are pending nodes to be drained:\n worker-1\n{problem}\n"
    )
    assert sent_requests(apis[1].requests) == sent_requests(apis[0].requests)
    assert [r.path for r in apis[0].requests if "daemonsets" in r.path] == [
        "/apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy"
    ]


def test_yaml_and_json_of_hostile_strings_match_kubectl(objects: list[dict[str, Any]]) -> None:
    pod = copy.deepcopy(next(o for o in objects if o["kind"] == "Pod"))
    pod["metadata"]["annotations"] = {
        "a": "1", "b": "true", "c": "", "d": "<b>&x", "e": "line1\nline2\n", "f": "line1\nline2",
        "g": "x" * 100, "h": "word " * 30, "i": "naïve ✓ 日本", "j": "- item", "k": "a: b", "l": "*star",
        "m": "  lead", "n": "trail ", "o": "null", "p": "yes", "q": "1.5", "r": "0x1F", "s": "on",
        "t": "2026-01-01", "u": "#hash", "v": "it's", "w": "tab\there", "x": 'with "quote"', "y": "@at",
        "z": "%pct", "z1": "{json}", "z2": "[x]", "z3": "1:20", "z4": "~", "z5": "Y",
        "z6": "line\n  indented\n",
    }  # fmt: skip
    api = CannedAPI([pod], TABLES)
    name = pod["metadata"]["name"]
    for fmt in ("yaml", "json"):
        out, _, _ = real_kubectl(api, ["get", "pod", name, "-o", fmt])
        assert run(f"get pod {name} -o {fmt}", api).stdout == out


def _invalid(kind: str, name: str, causes: list[tuple[str, str]]) -> dict[str, Any]:
    first = causes[0]
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": f'{kind} "{name}" is invalid: {first[0]}: {first[1]}',
        "reason": "Invalid",
        "code": 422,
        "details": {
            "name": name,
            "kind": kind,
            "causes": [{"reason": "FieldValueInvalid", "field": f, "message": m} for f, m in causes],
        },
    }


ONE_CAUSE = [("spec.replicas", "Invalid value: -2: must be greater than or equal to 0")]
TWO_CAUSES = [*ONE_CAUSE, ("metadata.name", 'Invalid value: "X": bad name')]
BAD_DEPLOYMENT = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replicas: -2}\n"


@pytest.mark.parametrize("causes", [ONE_CAUSE, TWO_CAUSES])
@pytest.mark.parametrize(
    ("line", "stdin"),
    [
        ("apply -f - --validate=false", BAD_DEPLOYMENT),
        ("apply -f - --validate=false", BAD_DEPLOYMENT + "---\n" + BAD_DEPLOYMENT),
        ("create deployment x --image=nginx", ""),
    ],
)
def test_invalid_objects_are_reported_as_kubectl_reports_them(causes: Any, line: str, stdin: str) -> None:
    from clusterlab.kubectl.transport import Response

    body = json.dumps(_invalid("Deployment", "x", causes)).encode()
    canned = {
        ("POST", "/apis/apps/v1/namespaces/default/deployments"): Response(422, "application/json", body)
    }
    theirs = real_kubectl(CannedAPI([], canned=canned), line.split(), stdin)
    mine = run(line, CannedAPI([], canned=canned), stdin=stdin)
    assert (mine.stdout, mine.stderr, mine.exit_code) == theirs


ROLLOUTS = [
    "rollout history deploy web",
    "rollout history deploy/web --revision=1",
    "rollout undo deployment/web",
    "rollout undo deployment/web --to-revision=2",
    "rollout undo deployment/web --to-revision=5",
    "rollout restart deploy/web",
    "rollout restart deploy/web --dry-run=server",
    "rollout undo deployment/web --dry-run=server",
    "rollout undo deployment/web --dry-run=client",
    "set image deployment/web nginx=nginx:1.29 --dry-run=server",
    "set image deployment/web nginx=nginx:1.29 --dry-run=client",
    'patch deploy web -p {"spec":{"replicas":3}} --dry-run=server',
    'patch deploy web -p {"spec":{"replicas":3}} --dry-run=client',
    "rollout pause deploy/web",
    "rollout resume deploy/web",
    "rollout status deploy/web",
    "describe deploy web",
    "set image deployment/web nginx=nginx:1.29",
    "set image deployment/web nope=nginx:1.29",
    "set image pod/POD *=nginx:1.29",
    'patch deploy web -p {"spec":{"replicas":3}}',
    'patch deploy web --type=merge -p {"spec":{"replicas":3}}',
    'patch deploy web --type=json -p [{"op":"replace","path":"/spec/replicas","value":3}]',
    "patch deploy web",
]


@pytest.mark.parametrize("line", ROLLOUTS)
def test_rollouts_and_patches_after_a_rollout(line: str) -> None:
    """Canned answers (request construction and printing): a Deployment at revision 2."""
    import shlex

    from .conftest import two_revision_objects

    objs = two_revision_objects()
    dep = next(o for o in objs if o["kind"] == "Deployment")
    pod = next(o for o in objs if o["kind"] == "Pod" and o["metadata"]["namespace"] == "default")
    line = line.replace("POD", pod["metadata"]["name"])
    changed = copy.deepcopy(dep)
    changed["spec"]["replicas"] = 3
    canned = {
        ("PATCH", "/apis/apps/v1/namespaces/default/deployments/web"): _json(200, changed),
        ("PATCH", f"/api/v1/namespaces/default/pods/{pod['metadata']['name']}"): _json(200, pod),
    }
    apis = [CannedAPI(copy.deepcopy(objs), TABLES, canned=canned) for _ in range(2)]
    theirs = real_kubectl(apis[0], line.split())
    mine = run(shlex.join(line.split()), apis[1], now=datetime.now(UTC))
    if line.startswith("rollout status"):  # kubectl then watches; the console does not wait
        assert (mine.stdout, mine.exit_code) == (theirs[0], theirs[2])
        return
    assert (mine.stdout, mine.stderr, mine.exit_code) == theirs
    if not line.startswith("describe"):
        sent = [sent_requests(a.requests) for a in apis]
        if "restart" in line:  # the restartedAt stamp differs by the clock
            sent = [[r[:4] for r in s] for s in sent]
        assert sent[1] == sent[0]


LOGS = [
    "logs POD -f",
    "logs POD --since=5m",
    "logs POD --since=90s --timestamps",
    "logs POD --since=1.4s",
    "logs POD --since-time=2026-01-01T09:00:00Z",
    "logs POD --since-time=2026-01-01T10:00:00+01:00",
    "logs POD --since-time=yesterday",
    "logs POD --since=1s --since-time=x",
    "logs POD --limit-bytes=5 --tail=2",
    "logs POD --since=x",
    "logs POD --since=5",
    "logs POD --since=5d",
    "logs POD --since=1h --since-time=2026-01-01T09:00:00Z",
    "logs POD --limit-bytes=-1",
    "logs POD --tail=-2",
    "logs POD --since=-5s",
]


@pytest.mark.parametrize("line", LOGS)
def test_logs_send_the_query_kubectl_sends(line: str) -> None:
    objs = engine_objects()
    line = line.replace("POD", _pod_name(objs))
    apis = [_api() for _ in range(2)]
    out, err, rc = real_kubectl(apis[0], line.split())
    mine = run("kubectl " + line, apis[1])
    if " -f" in line:  # the console adds a note: the container still runs, it cannot keep following
        assert mine.stderr.startswith("(the console stops following here")
        assert (mine.stdout, mine.exit_code) == (out, rc)
    else:
        assert (mine.stdout, mine.stderr, mine.exit_code) == (out, err, rc), line
    logs = [sent_requests([r])[0] for a in apis for r in a.requests if r.path.endswith("/log")]
    assert logs[len(logs) // 2 :] == logs[: len(logs) // 2]
