"""The console's ConfigMap and Secret commands against the real kubectl 1.32 binary (see
test_against_kubectl.py): `get`/`describe` on the same canned API answers, and `create
configmap`/`create secret` built client-side (`--dry-run=client`), where kubectl reads a real
file and the console reads the same text from its editor. Identical stdout, stderr, exit code."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime

import pytest

from .fakeapi import CannedAPI, have_kubectl
from .side_by_side import EngineSnapshot, applied, assert_prints_what_kubectl_prints, run_both, serve_kinds

pytestmark = pytest.mark.skipif(not have_kubectl(), reason="the kubectl.1.32 binary is not installed")

OBJECTS = """
apiVersion: v1
kind: ConfigMap
metadata: {name: game-config, labels: {app: game}}
data:
  game.properties: |
    enemies=aliens
    lives=3
binaryData:
  logo.png: iVBORw0KGgo=
---
apiVersion: v1
kind: ConfigMap
metadata: {name: empty}
---
apiVersion: v1
kind: Secret
metadata: {name: db-user-pass}
stringData: {password: "S!B\\\\*d$zDsb="}
---
apiVersion: v1
kind: Secret
metadata: {name: tls-secret}
type: kubernetes.io/tls
stringData: {tls.crt: "", tls.key: ""}
---
apiVersion: v1
kind: Pod
metadata: {name: dapi-test-pod}
spec:
  containers:
  - name: test-container
    image: nginx:1.27
    resources: {limits: {memory: 64Mi}}
    envFrom:
    - configMapRef: {name: game-config}
    - prefix: DB_
      secretRef: {name: db-user-pass, optional: true}
    env:
    - name: GREETING
      value: |-
        hello
        world
    - name: SPECIAL_LEVEL_KEY
      valueFrom: {configMapKeyRef: {name: game-config, key: game.properties}}
    - name: PASSWORD
      valueFrom: {secretKeyRef: {name: db-user-pass, key: password, optional: true}}
    - name: MY_POD_NAME
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    - name: MY_NODE_NAME
      valueFrom: {fieldRef: {fieldPath: spec.nodeName}}
    - name: MY_MEM_LIMIT
      valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}
    - name: MY_CPU_LIMIT
      valueFrom: {resourceFieldRef: {resource: limits.cpu}}
    volumeMounts:
    - {name: config-volume, mountPath: /etc/config}
    - {name: secret-volume, mountPath: /etc/secret-volume, readOnly: true}
  volumes:
  - name: config-volume
    configMap: {name: game-config}
  - name: secret-volume
    secret: {secretName: db-user-pass, optional: false}
"""
CONFIG_KINDS = [
    ("", "v1", "configmaps", "ConfigMap", True, ["cm"], [], []),
    ("", "v1", "secrets", "Secret", True, [], [], []),
]
SNAPSHOT = EngineSnapshot(
    applied(OBJECTS, 30),
    ("namespaces", "configmaps", "secrets", "pods", "events"),
    keep=lambda o: o["kind"] != "ConfigMap" or o["metadata"]["name"] != "kube-root-ca.crt",
)
_config_kinds = serve_kinds(*CONFIG_KINDS)


def _api() -> CannedAPI:
    return SNAPSHOT.api(("configmaps", "secrets"))


READS = [
    "get cm",
    "get cm game-config -o yaml",
    "get secrets",
    "get secret db-user-pass -o json",
    "describe cm game-config",
    "describe secret db-user-pass",
    "describe pod dapi-test-pod",
]


@pytest.mark.parametrize("line", READS)
def test_reads_print_what_kubectl_prints(line: str) -> None:
    assert_prints_what_kubectl_prints(_api, line)


def test_describe_secret_prints_what_kubectl_prints_in_some_order() -> None:
    """kubectl's describeSecret ranges over the Go map `secret.Data`, so the real binary prints
    the keys' `<key>:  <n> bytes` lines in a random order from run to run: the console must
    print the same lines (exactly) with the same exit code, in whatever order (a secret with
    one key, as db-user-pass above, is compared exactly)."""
    line = "describe secrets tls-secret"
    theirs, mine = run_both((_api(), _api()), line, now=datetime.now(UTC))
    assert (mine[1], mine[2]) == (theirs[1], theirs[2])
    assert sorted(mine[0].splitlines()) == sorted(theirs[0].splitlines())
    data = mine[0].split("====\n", 1)[1]
    assert data.count(" bytes") == 2, mine[0]


FILE = "enemies=aliens\nlives=3\nenemies.cheat=true\n"
ENV_FILE = '# a comment\nenemies=aliens\n\n  lives=3\nallowed="true"\n'
WRITES = [
    ("create configmap special-config --from-literal=special.how=very --from-literal=special.type=charm", ""),
    ("create cm game-config --from-file=FILE", FILE),
    ("create configmap game-config-3 --from-file=game-special-key=FILE", FILE),
    ("create configmap game-config-env-file --from-env-file=FILE", ENV_FILE),
    ("create configmap x --from-env-file=FILE --from-literal=a=1", ENV_FILE),
    ("create configmap x --from-env-file=FILE", "bad key=1\n"),
    ("create configmap x --from-literal=a=1 -o yaml", ""),
    ("create secret generic db-user-pass --from-literal=username=admin --from-literal=password=S!B*d", ""),
    (
        "create secret generic ssh-key-secret --from-file=ssh-privatekey=FILE --type=kubernetes.io/ssh-auth",
        FILE,
    ),
    ("create secret generic x --from-literal=a=1 --from-literal=a=2", ""),
    ("create secret generic x --cert=FILE", ""),
    (
        "create secret docker-registry regcred --docker-username=u --docker-password=p --docker-email=u@x.io",
        "",
    ),
    ("create secret docker-registry regcred", ""),
    ("create secret tls t", ""),
    ("create secret tls t --cert=FILE --key=FILE", "no pem here\n"),
    ("create secret", ""),
    ("create secret nope x", ""),
]


@pytest.mark.parametrize(("line", "text"), WRITES)
def test_create_builds_what_kubectl_builds(line: str, text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "game.properties")
        with open(path, "w") as f:
            f.write(text)
        args = line.replace("FILE", path).split()
        if args[1:3] not in (["secret"], ["secret", "nope"]):  # the parent command has no such flags
            args += ["--dry-run=client"] + ([] if "-o" in args else ["-o", "json"])
        assert_prints_what_kubectl_prints(_api, " ".join(args), stdin=text, same_requests=False)


def test_a_tls_secret_holds_the_pem_files_as_they_are() -> None:
    """kubectl checks the key against the certificate; the console cannot, so this case only
    compares with a structurally valid pair generated here."""
    with tempfile.TemporaryDirectory() as tmp:
        key = os.path.join(tmp, "tls.pem")
        rc = os.system(
            f"openssl req -x509 -newkey rsa:2048 -nodes -keyout {key}.k -out {key}.c -days 1 "
            f"-subj /CN=lab >/dev/null 2>&1 && cat {key}.c {key}.k > {key}"
        )
        if rc != 0:
            pytest.skip("openssl is not available")
        with open(key) as f:
            text = f.read()
        args = [
            "create",
            "secret",
            "tls",
            "lab-tls",
            f"--cert={key}",
            f"--key={key}",
            "--dry-run=client",
            "-o",
            "yaml",
        ]
        theirs, mine = run_both((_api(), _api()), args, stdin=text)
    assert mine == theirs
