"""Real kubectl 1.32 against a lab's API: ConfigMaps and Secrets made from real files, consumed
by a pod as env and volumes, read back with `exec`; refusals as kube-apiserver words them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.kubeapi.kubectl_cli import Kubectl, kubectl_for_new_lab, wait_for
from tests.live_server import LiveServer

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")

POD = """
apiVersion: v1
kind: Pod
metadata: {name: dapi-test-pod}
spec:
  containers:
  - name: test-container
    image: nginx:1.27
    env:
    - name: SPECIAL_LEVEL_KEY
      valueFrom: {configMapKeyRef: {name: special-config, key: special.how}}
    - name: SECRET_USERNAME
      valueFrom: {secretKeyRef: {name: db-user-pass, key: username}}
    envFrom:
    - configMapRef: {name: game-config-env-file}
    volumeMounts:
    - {name: config-volume, mountPath: /etc/config}
  volumes:
  - name: config-volume
    configMap: {name: game-config}
"""


@pytest.fixture(scope="module")
def kubectl(live_server_process: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    yield kubectl_for_new_lab(live_server_process, tmp_path_factory, "config-user")


def test_configmaps_and_secrets_from_files_reach_the_container(kubectl: Kubectl) -> None:
    game = kubectl.home / "game.properties"
    game.write_text("enemies=aliens\nlives=3\n")
    env_file = kubectl.home / "game-env-file.properties"
    env_file.write_text("enemies=aliens\nlives=3\n# comment\nallowed=true\n")
    assert (
        kubectl.out("create", "configmap", "game-config", f"--from-file={game}")
        == "configmap/game-config created\n"
    )
    out = kubectl.out("create", "configmap", "game-config-env-file", f"--from-env-file={env_file}")
    assert out == "configmap/game-config-env-file created\n"
    out = kubectl.out("create", "configmap", "special-config", "--from-literal=special.how=very")
    assert out == "configmap/special-config created\n"
    out = kubectl.out("create", "secret", "generic", "db-user-pass", "--from-literal=username=admin")
    assert out == "secret/db-user-pass created\n"
    assert kubectl.out("get", "secret", "db-user-pass", "-o", "jsonpath={.data.username}") == "YWRtaW4="
    assert kubectl.out("get", "cm", "game-config-env-file", "-o", "jsonpath={.data.allowed}") == "true"
    assert kubectl.out("apply", "-f", "-", stdin=POD) == "pod/dapi-test-pod created\n"
    wait_for(
        lambda: kubectl.out("get", "pod", "dapi-test-pod", "-o", "jsonpath={.status.phase}") == "Running"
    )
    assert kubectl.out(
        "exec", "dapi-test-pod", "--", "printenv", "SPECIAL_LEVEL_KEY", "SECRET_USERNAME", "lives"
    ) == ("very\nadmin\n3\n")
    assert kubectl.out("exec", "dapi-test-pod", "--", "ls", "/etc/config") == "game.properties\n"
    assert kubectl.out("exec", "dapi-test-pod", "--", "cat", "/etc/config/game.properties") == (
        "enemies=aliens\nlives=3\n"
    )


def test_refusals_read_as_kube_apiserver_writes_them(kubectl: Kubectl) -> None:
    again = kubectl("create", "secret", "generic", "dup", "--from-literal=a=b", ok=False)
    assert again.returncode == 0
    again = kubectl("create", "secret", "generic", "dup", "--from-literal=a=b", ok=False)
    assert again.stderr == 'error: failed to create secret secrets "dup" already exists\n'
    tls = (
        "apiVersion: v1\nkind: Secret\nmetadata: {name: t}\ntype: kubernetes.io/tls\ndata: {tls.crt: eA==}\n"
    )
    bad = kubectl("apply", "-f", "-", stdin=tls, ok=False)
    assert bad.stderr == ('The Secret "t" is invalid: data[tls.key]: Required value\n')
    frozen = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: frozen}\nimmutable: true\ndata: {a: '1'}\n"
    assert kubectl.out("apply", "-f", "-", stdin=frozen) == "configmap/frozen created\n"
    changed = kubectl("apply", "-f", "-", stdin=frozen.replace("'1'", "'2'"), ok=False)
    assert changed.stderr == (
        'The ConfigMap "frozen" is invalid: data: Forbidden: field is immutable when `immutable` is set\n'
    )
