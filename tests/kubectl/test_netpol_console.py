"""The documentation's "Declare Network Policy" task typed into the console, on an engine
cluster through the lab REST API's dispatcher: the commands as the task gives them (its
interactive `kubectl run busybox --rm -ti ... -- /bin/sh` shell becomes a waiting busybox pod
and `kubectl exec`), with the outputs the task shows."""

from __future__ import annotations

from clusterlab.engine import Cluster
from clusterlab.kubectl import run
from tests.manifests import DOCS_NGINX_POLICY

WGET = "wget --spider --timeout=1 nginx"


def test_declare_network_policy(live_transport, live_cluster: Cluster) -> None:
    t = live_transport
    assert run("kubectl create deployment nginx --image=nginx", t).stdout == "deployment.apps/nginx created\n"
    assert run("kubectl expose deployment nginx --port=80", t).stdout == "service/nginx exposed\n"
    assert run("kubectl run busybox --image=busybox:1.28 -- sleep 3600", t).stdout == "pod/busybox created\n"
    labelled = run('kubectl run busybox-access --labels="access=true" --image=busybox:1.28 -- sleep 3600', t)
    assert labelled.stdout == "pod/busybox-access created\n"
    live_cluster.advance(30)
    ip = live_cluster.get("service", "nginx")["spec"]["clusterIP"]
    connecting = f"Connecting to nginx ({ip}:80)\n"

    first = run(f"kubectl exec busybox -- {WGET}", t)
    assert (first.stdout, first.stderr, first.exit_code) == ("", connecting + "remote file exists\n", 0)

    assert run("kubectl apply -f -", t, stdin=DOCS_NGINX_POLICY).stdout == (
        "networkpolicy.networking.k8s.io/access-nginx created\n"
    )
    assert (
        run("kubectl get netpol", t).stdout
        == "NAME           POD-SELECTOR   AGE\naccess-nginx   app=nginx      0s\n"
    )

    denied = run(f"kubectl exec busybox -- {WGET}", t)
    assert (denied.stdout, denied.stderr, denied.exit_code) == (
        "",
        connecting + "wget: download timed out\ncommand terminated with exit code 1\n",
        1,
    )
    allowed = run(f"kubectl exec busybox-access -- {WGET}", t)
    assert (allowed.stdout, allowed.stderr, allowed.exit_code) == ("", connecting + "remote file exists\n", 0)
    assert live_cluster.network_policy_drops() == {("default", "access-nginx"): 1}
