"""Cluster DNS with a real kubectl: the docs' "Debugging DNS Resolution" steps against a lab —
the kube-dns Service and CoreDNS pods, and `kubectl exec … -- nslookup` from the docs'
dnsutils pod (bind's nslookup) and from busybox (its own)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.kubeapi.kubectl_cli import Kubectl, columns, kubectl_for_new_lab, wait_for
from tests.live_server import LiveServer

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")

DNSUTILS = """\
apiVersion: v1
kind: Pod
metadata:
  name: dnsutils
  namespace: default
spec:
  containers:
  - name: dnsutils
    image: registry.k8s.io/e2e-test-images/jessie-dnsutils:1.3
    command:
      - sleep
      - "infinity"
    imagePullPolicy: IfNotPresent
  restartPolicy: Always
"""


@pytest.fixture(scope="module")
def kubectl(live_server_process: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    yield kubectl_for_new_lab(live_server_process, tmp_path_factory, "kubectl-dns")


def test_the_docs_dns_debugging_steps(kubectl: Kubectl, tmp_path_factory: pytest.TempPathFactory) -> None:
    manifest = tmp_path_factory.mktemp("dns") / "dnsutils.yaml"
    manifest.write_text(DNSUTILS)
    assert kubectl.out("apply", "-f", str(manifest)).strip() == "pod/dnsutils created"
    kubectl.out("run", "bb", "--image=busybox:1.36", "--", "sleep", "3600")
    for pod in ("dnsutils", "bb"):
        wait_for(
            lambda pod=pod: kubectl.out("get", "pod", pod, "-o", "jsonpath={.status.phase}") == "Running"
        )
    wait_for(
        lambda: kubectl("exec", "bb", "--", "nslookup", "kubernetes", ok=False).stdout.count("Name:") == 1
    )

    # "Check if the DNS pod is running" / "Is DNS service up?"
    pods = columns(kubectl.out("get", "pods", "--namespace=kube-system", "-l", "k8s-app=kube-dns"))
    assert pods[0] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert len(pods) == 3 and all(
        p[0].startswith("coredns-") and p[1:3] == ["1/1", "Running"] for p in pods[1:]
    )
    service = columns(kubectl.out("get", "svc", "--namespace=kube-system"))
    assert ["kube-dns", "ClusterIP", "10.96.0.10", "<none>", "53/UDP,53/TCP,9153/TCP"] in [
        row[:5] for row in service
    ]

    # bind's nslookup applies the search path
    assert kubectl.out("exec", "-i", "-t", "dnsutils", "--", "nslookup", "kubernetes.default") == (
        "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\n"
        "Name:\tkubernetes.default.svc.cluster.local\nAddress: 10.96.0.1\n\n"
    )
    assert kubectl.out("exec", "-ti", "dnsutils", "--", "cat", "/etc/resolv.conf") == (
        "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\n"
        "options ndots:5\n"
    )
    # busybox's nslookup queries a dotted name as given
    failed = kubectl("exec", "bb", "--", "nslookup", "kubernetes.default", ok=False)
    assert failed.returncode == 1 and "command terminated with exit code 1" in failed.stderr
    assert failed.stdout == (
        "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n"
        "** server can't find kubernetes.default: NXDOMAIN\n\n"
        "** server can't find kubernetes.default: NXDOMAIN\n\n"
    )
    assert kubectl.out("exec", "bb", "--", "nslookup", "kubernetes.default.svc.cluster.local") == (
        "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n"
        "Name:\tkubernetes.default.svc.cluster.local\nAddress: 10.96.0.1\n\n\n"
    )
    kubectl.out("delete", "pod", "dnsutils", "bb", "--grace-period=0", "--force")
