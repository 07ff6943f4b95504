"""The console's Services end to end on a live engine: `expose` creates what the lab then
serves (cluster IP, endpoints), `get`/`describe` show it, and completion knows `svc`."""

from __future__ import annotations

import re

from clusterlab.engine import Cluster
from clusterlab.kubeapi.inprocess import DispatchTransport
from clusterlab.kubectl import complete, run


def sh(line: str, transport: DispatchTransport) -> str:
    result = run("kubectl " + line, transport)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_expose_then_get_and_describe(live_cluster: Cluster, live_transport: DispatchTransport) -> None:
    sh("create deployment web --image=nginx:1.27 --port=80 --replicas=2", live_transport)
    live_cluster.advance(20)
    assert sh("expose deploy web --type=NodePort", live_transport) == "service/web exposed\n"
    live_cluster.advance(1)
    svc = live_cluster.get("services", "web")
    node_port = svc["spec"]["ports"][0]["nodePort"]
    rows = sh("get svc -o wide", live_transport).splitlines()
    assert rows[0].split() == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"]
    assert rows[2].split()[:5] == [
        "web",
        "NodePort",
        svc["spec"]["clusterIP"],
        "<none>",
        f"80:{node_port}/TCP",
    ]
    ips = sorted(p["status"]["podIP"] for p in live_cluster.list("pods", "default", selector="app=web"))
    text = sh("describe svc web", live_transport)
    assert re.search(rf"^NodePort: +<unset>  {node_port}/TCP$", text, re.M)
    shown = re.search(r"^Endpoints: +(\S+)$", text, re.M)
    assert shown and sorted(shown.group(1).split(",")) == [f"{ip}:80" for ip in ips]
    ep_row = sh("get ep web", live_transport).splitlines()[1].split()
    assert sorted(ep_row[1].split(",")) == [f"{ip}:80" for ip in ips]


def test_completion_knows_services(live_transport: DispatchTransport) -> None:
    def c(line: str) -> list[str]:
        return complete(line, len(line), live_transport)

    assert c("kubectl get sv") == ["svc"]
    assert c("kubectl describe svc k") == ["kubernetes"]
    assert c("kubectl get endpoint") == ["endpoints", "endpointslice", "endpointslices"]
    assert c("kubectl expo") == ["expose"]
    assert c("kubectl expose deploy") == ["deploy", "deployment", "deployments"]
    assert "--target-port" in c("kubectl expose deploy web --tar")
