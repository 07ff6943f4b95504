"""The console's `kubectl drain` against the lab's own API when a PodDisruptionBudget refuses an
eviction: kubectl's retry line, the node left cordoned, and the drain that goes through once
the budget allows it."""

from __future__ import annotations

from clusterlab.engine import Cluster
from clusterlab.kubectl import run
from tests.manifests import nginx_web_deployment, web_disruption_budget

WEB = nginx_web_deployment(3) + "---" + web_disruption_budget(3)
REFUSED = "Cannot evict pod as it would violate the pod's disruption budget."


def test_drain_blocked_by_a_budget_then_allowed(live_transport, live_cluster: Cluster) -> None:
    c = live_cluster
    assert run("kubectl apply -f -", live_transport, stdin=WEB).exit_code == 0
    c.advance(15)
    out = run("kubectl get pdb", live_transport).stdout.splitlines()
    assert out[0].split() == [
        "NAME",
        "MIN",
        "AVAILABLE",
        "MAX",
        "UNAVAILABLE",
        "ALLOWED",
        "DISRUPTIONS",
        "AGE",
    ]
    assert out[1].split()[:4] == ["web", "3", "N/A", "0"]
    (pod,) = [p for p in c.list("pods", "default") if p["spec"]["nodeName"] == "worker-1"]
    name = pod["metadata"]["name"]
    r = run("kubectl drain worker-1 --ignore-daemonsets", live_transport)
    assert r.stdout.startswith("node/worker-1 cordoned\n") and "drained" not in r.stdout
    assert f"pod/{name} evicted" not in r.stdout  # other pods on the node may have gone
    assert f"evicting pod default/{name}\n" in r.stdout  # kubectl says so before each attempt
    assert f'error when evicting pods/"{name}" -n "default" (will retry after 5s): {REFUSED}\n' in r.stderr
    assert r.stderr.endswith(
        "(the console does not wait to retry: the node stays cordoned; once the disruption budget "
        "allows it, run the command again)\n"
    )
    assert c.get("node", "worker-1", None)["spec"]["unschedulable"] is True
    assert not c.get("pod", name)["metadata"].get("deletionTimestamp")
    assert (
        run(
            """kubectl patch pdb web --type=merge -p '{"spec":{"minAvailable":2}}'""", live_transport
        ).exit_code
        == 0
    )
    c.advance(1)
    r = run("kubectl drain worker-1 --ignore-daemonsets", live_transport)
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("node/worker-1 already cordoned\n")
    assert r.stdout.endswith("node/worker-1 drained\n")
    assert f"pod/{name} evicted\n" in r.stdout
    text = run("kubectl describe pdb web", live_transport).stdout
    assert "Min available:  2\n" in text and "Selector:       app=web\n" in text
