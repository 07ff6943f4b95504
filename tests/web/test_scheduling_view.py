"""The pod decision view (owner only, hostile names are 404s) and the Pending panel's groups."""

from __future__ import annotations

import copy
import html as htmllib
import re
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import AsyncClient

from clusterlab.engine import Cluster
from clusterlab.engine.scheduler.decision_table import NO_RECORD, decision_table
from clusterlab.engine.scheduler.explain import explain
from clusterlab.labs import board, live
from clusterlab.labs.models import Lab

HOG = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "hog", "namespace": "default"},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "hog"}},
        "template": {
            "metadata": {"labels": {"app": "hog"}},
            "spec": {
                "containers": [{"name": "c", "image": "nginx:1.27", "resources": {"requests": {"cpu": "3"}}}]
            },
        },
    },
}


def pinned(name: str, node: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"nodeName": node, "containers": [{"name": "c", "image": "nginx:1.27"}]},
    }


def text(html: str) -> str:
    """The page's words, tags dropped and whitespace collapsed."""
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


async def open_lab(client: AsyncClient) -> tuple[str, Cluster]:
    url = str((await client.post("/labs/"))["Location"])
    await client.get(url)
    lab = await Lab.objects.aget()
    running = live.running_lab(lab.id)
    assert running is not None
    return url, running.runner.cluster


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("live_labs")
async def test_the_owner_reads_a_pending_pods_decision(async_client: AsyncClient) -> None:
    url, cluster = await open_lab(async_client)
    cluster.apply(HOG)
    cluster.apply(pinned("named", "worker-1"))
    cluster.advance(0.5)
    hog = cluster.list("pods", "default", selector="app=hog")[0]["metadata"]["name"]

    response = await async_client.get(f"{url}pods/default/{hog}/scheduling/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<table class="decision__table" data-testid="decision-table">' in html
    assert '<caption id="decision-caption">kube-scheduler\'s last attempt, at <time>' in html
    assert '<th scope="col">TaintToleration</th>' in html and '<th scope="col">NodeResourcesFit</th>' in html
    assert '<tr class="decision__row" data-node="control-plane" data-verdict="filtered out">' in html
    assert '<td class="cell cell--fail">Insufficient cpu</td>' in html
    assert "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }" in html
    words = text(html)
    assert f"Scheduling of default/{hog} Pending" in words
    assert "Unschedulable 0/4 nodes are available: 1 node(s) had untolerated taint" in words
    # the add-ons' pods (CoreDNS, metrics-server) already request CPU on some workers: the
    # sentence names the most any worker has left
    most = max(2000 - requested_millicpu(cluster, node) for node in ("worker-1", "worker-2", "worker-3"))
    assert (
        "3 (worker-1, worker-2, worker-3) were ruled out by NodeResourcesFit because the pod requests 3 CPU "
        f"and none of them has more than {most / 1000:g} CPU unrequested." in words
    )
    assert "It waits until a taint is removed, or a node is added, or a pod is deleted." in words

    # A pod that names its node never met the scheduler.
    named = text((await async_client.get(f"{url}pods/default/named/scheduling/")).content.decode())
    assert NO_RECORD + "." in named
    assert "on worker-1" in named


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("live_labs")
async def test_a_scheduled_pods_decision_marks_the_chosen_node(async_client: AsyncClient) -> None:
    url, cluster = await open_lab(async_client)
    small = copy.deepcopy(HOG)
    small["metadata"]["name"] = "small"
    small["spec"]["replicas"] = 1
    small["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "100m"
    cluster.apply(small)
    cluster.advance(0.5)
    (pod,) = cluster.list("pods", "default", selector="app=hog")
    name, node = pod["metadata"]["name"], pod["spec"]["nodeName"]
    diagnosis = cluster.scheduling_diagnosis(name)
    assert diagnosis is not None and diagnosis.selected == node
    columns = len(decision_table(diagnosis).score_columns)

    html = (await async_client.get(f"{url}pods/default/{name}/scheduling/")).content.decode()
    assert (
        f'<tr class="decision__row decision__row--chosen" data-node="{node}" data-verdict="chosen">' in html
    )
    assert f'<th scope="colgroup" colspan="{columns}">Score</th>' in html
    assert '<th scope="col" rowspan="2">Total</th>' in html
    assert '<td class="cell cell--score">0 → 100 × 3 = 300</td>' in html  # TaintToleration, weight 3
    assert explain(diagnosis) in text(html)
    assert f"{node} won with a total of" in explain(diagnosis) or "tied with a total of" in explain(diagnosis)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("live_labs")
async def test_only_the_owner_and_only_pod_names(async_client: AsyncClient) -> None:
    url, cluster = await open_lab(async_client)
    cluster.apply(HOG)
    cluster.advance(0.5)
    hog = cluster.list("pods", "default", selector="app=hog")[0]["metadata"]["name"]
    assert (await async_client.get(f"{url}pods/default/{hog}/scheduling/")).status_code == 200
    assert (await AsyncClient().get(f"{url}pods/default/{hog}/scheduling/")).status_code == 404
    assert (await async_client.post(f"{url}pods/default/{hog}/scheduling/")).status_code == 405
    for namespace, name in [
        ("default", "no-such-pod"),
        ("Default", hog),
        ("default", "%3Cscript%3Ealert(1)%3C%2Fscript%3E"),
        ("default", "..%2F..%2Fetc"),
        ("default", "a" * 300),
        ("-bad-", "x"),
        ("default", "x%00y"),
        ("default", "%E2%9C%93"),
    ]:
        response = await async_client.get(f"{url}pods/{namespace}/{name}/scheduling/")
        assert response.status_code == 404, (namespace, name)
        assert b"<script>" not in response.content
    assert (await async_client.get("/labs/nosuchlab/pods/default/x/scheduling/")).status_code == 404


def requested_millicpu(cluster: Cluster, node: str) -> int:
    """The CPU the pods bound to `node` request, in millicores (`100m` or whole cores)."""
    total = 0
    for pod in cluster.list("pods"):
        finished = pod.get("status", {}).get("phase") in ("Succeeded", "Failed")
        if pod["spec"].get("nodeName") != node or finished:
            continue
        for container in pod["spec"]["containers"]:
            cpu = str(((container.get("resources") or {}).get("requests") or {}).get("cpu", "0"))
            total += int(cpu[:-1]) if cpu.endswith("m") else int(float(cpu) * 1000)
    return total


def test_the_pending_panel_groups_pods_by_reason() -> None:
    cluster = Cluster.from_scenario("default", seed=7)
    cluster.advance(5)
    cluster.apply(HOG)
    custom = pinned("custom", "")
    custom["spec"] = {"schedulerName": "my-scheduler", "containers": [{"name": "c", "image": "nginx:1.27"}]}
    cluster.apply(custom)
    cluster.apply(pinned("named", "worker-1"))  # bound: on its node's card, not pending
    cluster.advance(0.5)
    panel = board.cluster_board(cluster)["pending"]
    assert panel["total"] == 3 and panel["more"] == 0
    assert [(g["reason"], g["count"], len(g["pods"]), g["more"]) for g in panel["groups"]] == [
        ("NoScheduler", 1, 1, 0),
        ("Unschedulable", 2, 2, 0),
    ]
    html = render_to_string("labs/lab.html#pending", {"pending": panel})
    assert html.count('data-testid="pending-group"') == 2
    assert '<span class="badge badge--progress pending__reason">Unschedulable</span>' in html
    assert '<span class="count" title="pods in this group">2</span> 0/4 nodes are available:' in html
    assert "No scheduler named my-scheduler is running: nothing will schedule the pod." in html
    assert 'data-action="pod-scheduling" data-testid="pod-default-custom"' in html
    assert 'data-pod="custom" data-status="Pending" data-namespace="default"' in html
