"""Real kubectl 1.32 against a lab's API: PodDisruptionBudgets (`get pdb`, `describe pdb`) and a
`kubectl drain` that a budget holds up until it is relaxed."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from collections.abc import Iterator

import pytest

from tests.kubeapi.kubectl_cli import Kubectl, columns, kubectl_for_new_lab, ready, wait_for
from tests.live_server import LiveServer

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")

PDB = """
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: {name}}}
spec:
  {bound}
  selector:
    matchLabels: {{app: {app}}}
"""
REFUSED = "Cannot evict pod as it would violate the pod's disruption budget."


@pytest.fixture(scope="module")
def kubectl(live_server_process: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    yield kubectl_for_new_lab(live_server_process, tmp_path_factory, "pdb-user")


def test_get_and_describe_pdb(kubectl: Kubectl) -> None:
    ready(kubectl, "shop", 3)
    out = kubectl.out("apply", "-f", "-", stdin=PDB.format(name="shop", bound="minAvailable: 2", app="shop"))
    assert out == "poddisruptionbudget.policy/shop created\n"
    wait_for(
        lambda: kubectl.out("get", "pdb", "shop", "-o", "jsonpath={.status.disruptionsAllowed}") == "1", 30
    )
    table = columns(kubectl.out("get", "pdb"))
    assert table[0] == ["NAME", "MIN", "AVAILABLE", "MAX", "UNAVAILABLE", "ALLOWED", "DISRUPTIONS", "AGE"]
    assert table[1][:4] == ["shop", "2", "N/A", "1"]
    text = kubectl.out("describe", "pdb", "shop")
    assert re.search(r"^Name: +shop$", text, re.M)
    assert re.search(r"^Namespace: +default$", text, re.M)
    assert re.search(r"^Min available: +2$", text, re.M)
    assert re.search(r"^Selector: +app=shop$", text, re.M)
    assert re.search(
        r"^Status:\n    Allowed disruptions: +1\n    Current: +3\n    Desired: +2\n    Total: +3$", text, re.M
    )
    invalid = kubectl(
        "apply", "-f", "-", stdin=PDB.format(name="bad", bound="minAvailable: 120%", app="shop"), ok=False
    )
    assert invalid.returncode == 1
    assert (
        'spec.minAvailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: must not be '
        in (invalid.stderr)
    )


def test_drain_waits_for_the_budget_and_retries_every_5s(kubectl: Kubectl) -> None:
    ready(kubectl, "cart", 3)
    kubectl.out("apply", "-f", "-", stdin=PDB.format(name="cart", bound="maxUnavailable: 0", app="cart"))
    wait_for(lambda: kubectl.out("get", "pdb", "cart", "-o", "jsonpath={.status.expectedPods}") == "3", 30)
    nodes = kubectl.out("get", "pods", "-l", "app=cart", "-o", "jsonpath={.items[*].spec.nodeName}").split()
    node = nodes[0]
    proc = subprocess.Popen(
        kubectl.argv("drain", node, "--ignore-daemonsets", "--delete-emptydir-data"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=kubectl.env(),
    )
    # kubectl's stderr, read as it comes (its retries are 5 s of real time apart, however slow
    # the machine is to start it)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr or []), daemon=True)
    reader.start()
    try:
        # a refusal, and the retry 5 s later refused again: kubectl keeps retrying
        wait_for(lambda: sum("(will retry after 5s)" in line for line in lines) >= 2, 60)
        assert proc.poll() is None
        kubectl.out("patch", "pdb", "cart", "--type=merge", "-p", '{"spec":{"maxUnavailable":1}}')
        out = proc.stdout.read() if proc.stdout else ""
        proc.wait(timeout=60)
        reader.join(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    err = "".join(lines)
    assert proc.returncode == 0, err
    refusals = [line for line in err.splitlines() if "(will retry after 5s)" in line]
    assert len(refusals) >= 2
    assert re.fullmatch(
        r'error when evicting pods/"cart-[a-z0-9]+-[a-z0-9]+" -n "default" \(will retry after 5s\): '
        + re.escape(REFUSED),
        refusals[0],
    )
    assert f"node/{node} cordoned" in out and f"node/{node} drained" in out
    assert kubectl.out("get", "node", node, "-o", "jsonpath={.spec.unschedulable}") == "true"
    kubectl.out("uncordon", node)
