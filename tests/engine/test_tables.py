"""Tables as kube-apiserver's table convertor builds them, rendered as kubectl 1.32 prints them.

`render` reproduces kubectl's printer (headers upper-cased, `priority: 1` columns only with
`-o wide`, Go tabwriter with minwidth 6 and padding 3). The expected strings were checked
against the real kubectl 1.32 binary fed these same Tables by a stub server.
"""

from __future__ import annotations

from typing import Any

import pytest

from clusterlab.engine import BadRequest, Cluster
from clusterlab.engine.tables import to_table

from .conftest import run_until, web


def render(table: dict[str, Any], wide: bool = False) -> str:
    cols = [i for i, c in enumerate(table["columnDefinitions"]) if wide or c["priority"] == 0]
    lines = [[table["columnDefinitions"][i]["name"].upper() for i in cols]]
    lines += [[str(row["cells"][i]) for i in cols] for row in table["rows"]]
    widths = [max(6, max(len(line[i]) for line in lines) + 3) for i in range(len(cols) - 1)]
    out = []
    for line in lines:
        out.append("".join(cell.ljust(w) for cell, w in zip(line, widths, strict=False)) + line[-1])
    return "\n".join(out)


def table(c: Cluster, resource: str, namespace: str | None = "default", **kw: Any) -> dict[str, Any]:
    return to_table(resource, c.list(resource, namespace), now=c.now, epoch=c.epoch, **kw)


@pytest.fixture
def running() -> Cluster:
    c = Cluster.from_scenario("default", seed=7)
    c.apply(web(3))
    c.advance(90)
    return c


def test_pods_as_kubectl_prints_them(running: Cluster) -> None:
    t = table(running, "pods")
    assert render(t) == (
        "NAME                   READY   STATUS    RESTARTS   AGE\n"
        "web-56dd9ccc9f-b862f   1/1     Running   0          90s\n"
        "web-56dd9ccc9f-k7xnl   1/1     Running   0          90s\n"
        "web-56dd9ccc9f-vr9vg   1/1     Running   0          90s"
    )
    assert render(t, wide=True).splitlines()[:2] == [
        "NAME                   READY   STATUS    RESTARTS   AGE   IP           NODE       NOMINATED NODE   READINESS GATES",  # noqa: E501
        "web-56dd9ccc9f-b862f   1/1     Running   0          90s   10.244.2.3   worker-2   <none>           <none>",  # noqa: E501
    ]
    row = t["rows"][0]
    assert row["object"]["kind"] == "PartialObjectMetadata"
    assert row["object"]["apiVersion"] == "meta.k8s.io/v1"
    assert row["object"]["metadata"]["name"] == "web-56dd9ccc9f-b862f"
    assert "spec" not in row["object"]
    assert t["kind"] == "Table" and t["apiVersion"] == "meta.k8s.io/v1"
    assert [c["name"] for c in t["columnDefinitions"] if c["priority"] == 1] == [
        "IP",
        "Node",
        "Nominated Node",
        "Readiness Gates",
    ]
    assert t["columnDefinitions"][0]["format"] == "name"


def test_pending_pod_and_include_object(running: Cluster) -> None:
    running.apply(web(1, image="nginx:9.99", name="bad"))
    running.advance(1)
    t = table(running, "pods")
    bad = next(r for r in t["rows"] if r["cells"][0].startswith("bad-"))
    assert bad["cells"][1:5] == ["0/1", "ContainerCreating", "0", "1s"]
    full = table(running, "pods", include_object="Object")
    assert full["rows"][0]["object"]["kind"] == "Pod"
    none = table(running, "pods", include_object="None")
    assert none["rows"][0]["object"] is None
    with pytest.raises(BadRequest):
        table(running, "pods", include_object="Everything")


def test_nodes_deployments_replicasets_namespaces_leases(running: Cluster) -> None:
    assert render(table(running, "nodes", None), wide=True).splitlines()[:3] == [
        "NAME            STATUS   ROLES           AGE   VERSION   INTERNAL-IP   EXTERNAL-IP   OS-IMAGE             KERNEL-VERSION     CONTAINER-RUNTIME",  # noqa: E501
        "control-plane   Ready    control-plane   90s   v1.32.0   172.18.0.2    <none>        Ubuntu 24.04.1 LTS   6.8.0-49-generic   containerd://1.7.24",  # noqa: E501
        "worker-1        Ready    <none>          90s   v1.32.0   172.18.0.3    <none>        Ubuntu 24.04.1 LTS   6.8.0-49-generic   containerd://1.7.24",  # noqa: E501
    ]
    assert render(table(running, "deployments"), wide=True) == (
        "NAME   READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES       SELECTOR\n"
        "web    3/3     3            3           90s   nginx        nginx:1.27   app=web"
    )
    assert render(table(running, "replicasets"), wide=True) == (
        "NAME             DESIRED   CURRENT   READY   AGE   CONTAINERS   IMAGES       SELECTOR\n"
        "web-56dd9ccc9f   3         3         3       90s   nginx        nginx:1.27   app=web,pod-template-hash=56dd9ccc9f"  # noqa: E501
    )
    assert render(table(running, "namespaces", None)) == (
        "NAME                 STATUS   AGE\n"
        "default              Active   90s\n"
        "kube-node-lease      Active   90s\n"
        "kube-public          Active   90s\n"
        "kube-system          Active   90s\n"
        "local-path-storage   Active   90s"
    )
    assert render(table(running, "leases", "kube-node-lease")).splitlines()[:2] == [
        "NAME            HOLDER          AGE",
        "control-plane   control-plane   90s",
    ]
    running.server.patch(running_user(), "nodes", "worker-1", {"spec": {"unschedulable": True}})
    assert table(running, "nodes", None)["rows"][1]["cells"][1] == "Ready,SchedulingDisabled"


def running_user() -> Any:
    from clusterlab.engine.cluster import LEARNER

    return LEARNER


def test_events_as_kubectl_get_events(running: Cluster) -> None:
    t = table(running, "events")
    lines = render(t).splitlines()
    assert lines[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    # worker-2 pulls one image at a time (serializeImagePulls): nginx waits for metrics-server's
    # 1.056 s pull, so it is pulled at t=3.71, 86s before t=90.
    pulled = next(r["cells"] for r in t["rows"] if r["cells"][2] == "Pulled")
    assert pulled[:5] == [
        "86s",
        "Normal",
        "Pulled",
        "pod/web-56dd9ccc9f-b862f",
        "spec.containers{nginx}",
    ]
    assert pulled[5] == "kubelet, worker-2"
    assert pulled[6] == (
        'Successfully pulled image "nginx:1.27" in 2.656s (3.712s including waiting). '
        "Image size: 72099410 bytes."
    )
    assert pulled[7:9] == ["86s", 1]
    assert [c["name"] for c in t["columnDefinitions"]] == [
        "Last Seen",
        "Type",
        "Reason",
        "Object",
        "Subobject",
        "Source",
        "Message",
        "First Seen",
        "Count",
        "Name",
    ]


def test_restarts_show_when_the_last_restart_was() -> None:
    c = Cluster.from_scenario("default", seed=7)
    c.apply(web(3))
    c.advance(30)
    c.kill_node("worker-1")
    c.advance(20)
    c.restore_node("worker-1")

    def restarted() -> bool:
        return any(
            r["cells"][3].startswith("1 (") for r in table(c, "pods")["rows"] if r["cells"][6] == "worker-1"
        )

    run_until(c, restarted, limit=120)
    c.advance(300)
    row = next(r["cells"] for r in table(c, "pods")["rows"] if r["cells"][6] == "worker-1")
    assert row[1:4] == ["1/1", "Running", "1 (5m ago)"]
    assert table(c, "pods")["columnDefinitions"][3]["type"] == "string"


def test_table_metadata_and_terminal_pod_conditions(running: Cluster) -> None:
    t = table(running, "pods", resource_version="42", continue_token="abc", remaining_item_count=3)
    assert t["metadata"] == {"resourceVersion": "42", "continue": "abc", "remainingItemCount": 3}
    pod = running.list("pods", "default")[0]
    pod["status"]["phase"] = "Succeeded"
    pod["status"]["containerStatuses"][0]["state"] = {"terminated": {"exitCode": 0, "reason": "Completed"}}
    row = to_table("pods", [pod], now=running.now, epoch=running.epoch)["rows"][0]
    assert row["cells"][2] == "Completed"
    assert row["conditions"] == [
        {
            "type": "Completed",
            "status": "True",
            "reason": "Succeeded",
            "message": "The pod has completed successfully.",
        }
    ]
    assert to_table("pods", [], now=0, epoch=running.epoch, no_headers=True)["columnDefinitions"] is None


def test_a_kind_without_a_printer_gets_name_and_age(monkeypatch):
    """kube-apiserver's default table convertor, for kinds registered before their printer."""
    from clusterlab.engine import Cluster, tables

    c = Cluster()
    c.advance(125)
    monkeypatch.delitem(tables.PRINTERS, "Lease")
    t = tables.to_table("leases", c.observe("leases", "kube-node-lease"), now=c.now, epoch=c.epoch)
    assert [col["name"] for col in t["columnDefinitions"]] == ["Name", "Age"]
    assert t["rows"][0]["cells"] == ["control-plane", "2m5s"]
