"""The API-call stream: each call as a message flow, the pushes that append new calls, the
filters' choices, and one call's detail page."""

from __future__ import annotations

import re

import pytest
from django.test import AsyncClient

from clusterlab.engine import Cluster
from clusterlab.engine.audit import ApiCall
from clusterlab.labs import api_stream, live
from clusterlab.labs.api_stream import ApiStream, api_call_detail, api_call_row, filters, pick
from clusterlab.labs.commands import Command
from clusterlab.labs.fragments import api_calls_push, render_fragments, top_level
from clusterlab.labs.models import Lab
from clusterlab.labs.runner import LabRunner
from clusterlab.labs.samples import SAMPLE_DEPLOYMENT


def call(**fields: object) -> ApiCall:
    base: dict[str, object] = {
        "seq": 7,
        "time": 83.25,
        "actor": "system:kube-scheduler",
        "component": "kube-scheduler",
        "verb": "create",
        "resource": "pods/binding",
        "namespace": "default",
        "name": "web-1",
        "code": 201,
        "etcd_op": "txn put",
        "etcd_key": "/registry/pods/default/web-1",
        "revision": 812,
    }
    base.update(fields)
    return ApiCall(**base)  # type: ignore[arg-type]


def lease_renewal(seq: int, node: str = "worker-1") -> ApiCall:
    return call(
        seq=seq,
        actor=f"system:node:{node}",
        component=f"kubelet/{node}",
        verb="update",
        resource="leases",
        namespace="kube-node-lease",
        name=node,
        code=200,
        etcd_key=f"/registry/leases/kube-node-lease/{node}",
    )


def test_a_binding_reads_as_a_flow_to_etcd() -> None:
    row = api_call_row(call())
    assert row == {
        "seq": 7,
        "time": "00:01:23",
        "component": "kube-scheduler",
        "user": "system:kube-scheduler",
        "verb": "create",
        "resource": "pods/binding",
        "target": "default/web-1",
        "code_text": "201 Created",
        "tone": "ok",
        "heartbeat": False,
        "etcd": True,
        "etcd_summary": "txn put /registry/pods/default/web-1 → revision 812",
    }
    detail = api_call_detail(call())
    assert (detail["method"], detail["path"]) == ("POST", "/api/v1/namespaces/default/pods/web-1/binding")
    assert detail["seconds"] == "83.250"
    assert detail["etcd_meaning"] == (
        "The transaction wrote the object at revision 812: its resourceVersion is now 812."
    )
    assert detail["code_meaning"] == "the API server created it."


@pytest.mark.parametrize(
    ("fields", "method", "path"),
    [
        ({"verb": "create", "resource": "pods", "name": "web-"}, "POST", "/api/v1/namespaces/default/pods"),
        (
            {"verb": "list", "resource": "deployments", "name": ""},
            "GET",
            "/apis/apps/v1/namespaces/default/deployments",
        ),
        (
            {"verb": "watch", "resource": "pods", "namespace": "", "name": ""},
            "GET",
            "/api/v1/pods?watch=true",
        ),
        (
            {"verb": "get", "resource": "nodes", "namespace": "", "name": "worker-1"},
            "GET",
            "/api/v1/nodes/worker-1",
        ),
        (
            {"verb": "update", "resource": "leases", "namespace": "kube-node-lease", "name": "worker-1"},
            "PUT",
            "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/worker-1",
        ),
        (
            {"verb": "patch", "resource": "nodes/status", "namespace": "", "name": "worker-1"},
            "PATCH",
            "/api/v1/nodes/worker-1/status",
        ),
        (
            {"verb": "delete", "resource": "pods", "name": "web-1"},
            "DELETE",
            "/api/v1/namespaces/default/pods/web-1",
        ),
    ],
)
def test_the_http_request_behind_each_verb(fields: dict[str, str], method: str, path: str) -> None:
    detail = api_call_detail(call(**fields))
    assert (detail["method"], detail["path"]) == (method, path)


def test_refusals_and_what_reached_etcd() -> None:
    refused = api_call_row(call(verb="get", resource="pods", code=403, etcd_op="", etcd_key="", revision=0))
    assert (refused["code_text"], refused["tone"], refused["etcd"], refused["etcd_summary"]) == (
        "403 Forbidden",
        "bad",
        False,
        "not sent to etcd",
    )
    conflict = call(verb="update", resource="replicasets/status", code=409, etcd_op="range")
    assert api_call_row(conflict)["etcd_summary"] == "range /registry/pods/default/web-1 @ 812"
    assert "stale resourceVersion" in api_call_detail(conflict)["code_meaning"]
    taken = call(verb="create", resource="pods", code=409)
    assert api_call_row(taken)["etcd_summary"] == "txn put /registry/pods/default/web-1 · compare failed"
    assert "already exists" in api_call_detail(taken)["code_meaning"]
    timed_out = call(verb="get", resource="pods", code=500, etcd_op="range", revision=0)
    assert api_call_row(timed_out)["code_text"] == "500 Internal Server Error"
    assert api_call_row(timed_out)["etcd_summary"] == "range /registry/pods/default/web-1 · no answer"
    watch = call(verb="watch", resource="pods", code=200, etcd_op="watch", etcd_key="/registry/pods/")
    assert api_call_row(watch)["etcd_summary"] == "watch /registry/pods/ from revision 812"
    assert api_call_row(call(code=422, etcd_op="", revision=0))["code_text"] == "422 Unprocessable Entity"


def test_heartbeats_are_lease_renewals() -> None:
    assert api_call_row(lease_renewal(1))["heartbeat"]
    leader = call(
        actor="system:kube-controller-manager",
        component="kube-controller-manager",
        verb="update",
        resource="leases",
        namespace="kube-system",
        name="kube-controller-manager",
    )
    assert api_call_row(leader)["heartbeat"]
    assert not api_call_row(call(verb="create", resource="leases", namespace="kube-node-lease"))["heartbeat"]
    assert not api_call_row(call(verb="update", resource="leases", namespace="default"))["heartbeat"]


def test_a_crowded_push_leaves_heartbeats_out_first() -> None:
    calls = [lease_renewal(i) for i in range(1, 8)] + [call(seq=8), call(seq=9)] + [lease_renewal(10)]
    kept, skipped, only_heartbeats = pick(calls, limit=4)
    assert [c.seq for c in kept] == [7, 8, 9, 10]
    assert (skipped, only_heartbeats) == (6, True)
    kept, skipped, only_heartbeats = pick([call(seq=i) for i in range(1, 6)], limit=3)
    assert ([c.seq for c in kept], skipped, only_heartbeats) == ([3, 4, 5], 2, False)
    assert pick(calls[:3], limit=4) == (calls[:3], 0, False)


def test_filter_choices_group_components_and_subresources() -> None:
    clients = {
        "kubectl": "kubernetes-admin",
        "kubelet/worker-2": "system:node:worker-2",
        "kube-scheduler": "system:kube-scheduler",
        "kubelet/worker-1": "system:node:worker-1",
        "kube-controller-manager": "system:kube-controller-manager",
        "kube-controller-manager/replicaset-controller": "system:serviceaccount:kube-system:rs",
        "metrics-server": "system:serviceaccount:kube-system:metrics-server",
    }
    choices = filters(clients, ["pods", "pods/binding", "leases", "pods/status"])

    def shown(groups: list[dict]) -> list[tuple[str | None, list[tuple[str, str]]]]:  # type: ignore[type-arg]
        return [(g["label"], [(o["value"], o["label"]) for o in g["options"]]) for g in groups]

    assert shown(choices["components"]) == [
        (None, [("", "every component")]),
        ("you (kubernetes-admin)", [("user:kubernetes-admin", "any client"), ("kubectl", "kubectl")]),
        (None, [("kube-scheduler", "kube-scheduler")]),
        (
            "kube-controller-manager",
            [
                ("kube-controller-manager", "any controller"),
                ("kube-controller-manager/replicaset-controller", "replicaset-controller"),
            ],
        ),
        (
            "kubelet",
            [("kubelet", "any node"), ("kubelet/worker-1", "worker-1"), ("kubelet/worker-2", "worker-2")],
        ),
        (None, [("metrics-server", "metrics-server")]),
    ]
    assert shown(choices["resources"]) == [
        (None, [("", "every resource")]),
        (None, [("leases", "leases")]),
        (
            "pods",
            [
                ("pods", "with its subresources"),
                ("pods/binding", "pods/binding"),
                ("pods/status", "pods/status"),
            ],
        ),
    ]


def test_the_stream_takes_only_new_calls_newest_first() -> None:
    cluster = Cluster.from_scenario("default", seed=7)
    stream = ApiStream()
    first = stream.take(cluster)
    assert first is not None
    seqs = [row["seq"] for row in first["api_calls"]]
    assert seqs == sorted(seqs, reverse=True)
    assert seqs[0] == cluster.api_calls()[-1].seq == stream.published
    assert len(seqs) == min(api_stream.MAX_PUSHED_CALLS, len(cluster.api_calls()))
    assert stream.take(cluster) is None
    assert "kube-scheduler" in stream.clients and "pods/binding" not in stream.resources
    cluster.apply(SAMPLE_DEPLOYMENT)
    cluster.advance(2)
    second = stream.take(cluster)
    assert second is not None
    assert min(row["seq"] for row in second["api_calls"]) > seqs[0]
    assert "pods/binding" in stream.resources
    assert stream.first_render()[0] == second["api_calls"][0]
    assert len(stream.first_render()) == api_stream.FIRST_RENDER_CALLS


def test_the_runner_sends_the_panel_once_then_appends_new_calls() -> None:
    runner = LabRunner("lab1", Cluster.from_scenario("default", seed=7), paused=True)
    first = {f.dom_id: f for f in runner.tick(0.15)}
    assert "api-calls" in first and "api-call-list" not in first  # the panel holds the calls
    panel_rows = first["api-calls"].context["api_calls"]
    assert panel_rows and panel_rows[0]["seq"] == runner.cluster.api_calls()[-1].seq
    assert runner.tick(0.15) == []  # paused: nothing new

    runner.execute(Command("create_sample"), "learner")
    pushed = {f.dom_id: f for f in runner.changed_fragments()}
    assert "api-calls" not in pushed
    push = pushed["api-call-list"]
    new = [row["seq"] for row in push.context["api_calls"]]
    assert new and min(new) > panel_rows[0]["seq"]
    assert {(row["verb"], row["resource"]) for row in push.context["api_calls"]} >= {
        ("create", "deployments")
    }
    html = push.render()
    assert html.lstrip().startswith('<ol id="api-call-list" hx-swap-oob="afterbegin">')
    assert html.count('data-testid="api-call"') == len(new)

    # a clock running fast: ticks append calls at most every API_PUSH_WALL_SECONDS
    runner.paused = False
    runner.speed = 600
    sent = [{f.dom_id for f in runner.tick(0.1)} for _ in range(6)]
    assert ["api-call-list" in ids for ids in sent] == [False, False, True, False, False, True]

    # a reconnect gets the panel with what was already sent, never what is still to come
    refresh = render_fragments(top_level(runner.fragments()))
    shown = [int(s) for s in re.findall(r'data-seq="(\d+)"', refresh)]
    assert shown[0] == runner._api_stream.published
    assert 'hx-swap-oob="afterbegin"' not in refresh


def test_rows_are_escaped() -> None:
    nasty = call(component="<script>x</script>", name="<b>", etcd_key="/registry/pods/default/<b>")
    html = api_calls_push(
        {"api_calls": [api_call_row(nasty)], "skipped": 0, "skipped_heartbeats": False}
    ).render()
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html


def test_a_push_says_how_many_calls_it_left_out() -> None:
    rows = [api_call_row(call(seq=9))]
    html = api_calls_push({"api_calls": rows, "skipped": 12, "skipped_heartbeats": True}).render()
    assert 'data-skipped="12"' in html and 'data-heartbeat="1"' in html
    assert "12 earlier calls not shown (heartbeats)" in html


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("live_labs")
async def test_one_calls_detail_for_the_owner_only(async_client: AsyncClient) -> None:
    url = str((await async_client.post("/labs/"))["Location"])
    await async_client.get(url)
    lab = await Lab.objects.aget()
    running = live.running_lab(lab.id)
    assert running is not None
    running.runner.execute(Command("create_sample"), "learner")
    running.runner.cluster.advance(3)
    binding = next(
        c
        for c in running.runner.cluster.api_calls()
        if c.resource == "pods/binding" and c.namespace == "default"
    )

    response = await async_client.get(f"{url}api-calls/{binding.seq}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert f"Call #{binding.seq}: create pods/binding" in body
    assert "<code>system:kube-scheduler</code>" in body
    assert f"POST /api/v1/namespaces/default/pods/{binding.name}/binding" in body
    assert '<strong data-testid="api-detail-code">201 Created</strong>' in body
    assert f"<code>txn put</code> <code>/registry/pods/default/{binding.name}</code>" in body
    assert f"revision <code>{binding.revision}</code>" in body

    gone = await async_client.get(f"{url}api-calls/999999999/")
    assert gone.status_code == 200
    assert "Call #999999999 is not in the API server's audit log" in gone.content.decode()
    assert (await AsyncClient().get(f"{url}api-calls/{binding.seq}/")).status_code == 404
    assert (await async_client.post(f"{url}api-calls/{binding.seq}/")).status_code == 405
