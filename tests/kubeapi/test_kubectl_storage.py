"""Real kubectl 1.32 against a lab's API: a claim of the default StorageClass provisioned for
its first pod, `get`/`describe` of the claim, volume and class, a file written through
`kubectl exec` that outlives the pod, and a refusal in Kubernetes' words."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator

import pytest

from tests.kubeapi.kubectl_cli import Kubectl, columns, kubectl_for_new_lab, wait_for
from tests.live_server import LiveServer
from tests.manifests import DATA_CLAIM, DATA_CLAIM_POD

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")


@pytest.fixture(scope="module")
def kubectl(live_server_process: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    yield kubectl_for_new_lab(live_server_process, tmp_path_factory, "storage-user")


def _phase(kubectl: Kubectl, pod: str) -> str:
    return kubectl.out("get", "pod", pod, "-o", "jsonpath={.status.phase}")


def test_a_claim_is_provisioned_for_its_first_pod_and_keeps_its_files(kubectl: Kubectl) -> None:
    classes = columns(kubectl.out("get", "sc"))
    assert classes[0] == [
        "NAME",
        "PROVISIONER",
        "RECLAIMPOLICY",
        "VOLUMEBINDINGMODE",
        "ALLOWVOLUMEEXPANSION",
        "AGE",
    ]
    assert classes[1][:6] == [
        "standard",
        "(default)",
        "rancher.io/local-path",
        "Delete",
        "WaitForFirstConsumer",
        "false",
    ]
    assert kubectl.out("apply", "-f", "-", stdin=DATA_CLAIM) == "persistentvolumeclaim/data created\n"
    assert columns(kubectl.out("get", "pvc"))[1][:2] == ["data", "Pending"]
    text = kubectl.out("describe", "pvc", "data")
    assert re.search(r"WaitForFirstConsumer .* persistentvolume-controller +waiting for first consumer", text)

    kubectl.out("apply", "-f", "-", stdin=DATA_CLAIM_POD % "writer")
    wait_for(lambda: _phase(kubectl, "writer") == "Running", 60)
    claim = columns(kubectl.out("get", "pvc", "data"))[1]
    assert (
        claim[:2] == ["data", "Bound"]
        and claim[2].startswith("pvc-")
        and claim[3:6] == ["1Gi", "RWO", "standard"]
    )
    node = kubectl.out("get", "pod", "writer", "-o", "jsonpath={.spec.nodeName}")
    volume = kubectl.out("describe", "pv", claim[2])
    assert re.search(rf"^    Term 0: +kubernetes.io/hostname in \[{node}\]$", volume, re.M)
    assert re.search(r"^Claim: +default/data$", volume, re.M)

    kubectl.out("exec", "writer", "--", "sh", "-c", "echo kept > /data/f")
    kubectl.out("delete", "pod", "writer", "--wait=false")
    kubectl.out("apply", "-f", "-", stdin=DATA_CLAIM_POD % "reader")
    wait_for(lambda: _phase(kubectl, "reader") == "Running", 90)
    assert kubectl.out("exec", "reader", "--", "cat", "/data/f") == "kept\n"


def test_a_bound_claims_access_modes_cannot_change(kubectl: Kubectl) -> None:
    wait_for(lambda: columns(kubectl.out("get", "pvc", "data"))[1][1] == "Bound", 60)
    result = kubectl("patch", "pvc", "data", "-p", '{"spec":{"accessModes":["ReadWriteMany"]}}', ok=False)
    assert result.returncode == 1
    assert (
        'The PersistentVolumeClaim "data" is invalid: spec: Forbidden: spec is immutable after creation '
        "except resources.requests and volumeAttributesClassName for bound claims"
    ) in result.stderr
