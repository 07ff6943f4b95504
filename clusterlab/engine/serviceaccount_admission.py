"""The ServiceAccount admission plugin: every pod runs as a service account, and gets its token.

On pod creation kube-apiserver's ServiceAccount plugin sets `spec.serviceAccountName` to
`default` when the pod names none, refuses the pod if that account does not exist (`pods "x"
is forbidden: error looking up service account ns/name: serviceaccount "name" not found`;
a ReplicaSet retries), and, unless the pod or the account sets
`automountServiceAccountToken: false`, adds the projected volume `kube-api-access-<5 random
chars>` (a bound token that expires after 3607 s, the cluster's CA bundle from the
`kube-root-ca.crt` ConfigMap, and the pod's namespace) mounted read-only at
`/var/run/secrets/kubernetes.io/serviceaccount` in every container and init container that
does not already mount something there. Mirror pods are left alone, and may not name an account.
The API writes the deprecated `spec.serviceAccount` as a copy of `serviceAccountName`.

Simplified: no token is issued and the kubelet does not mount the volume; the account's
`imagePullSecrets` are copied but nothing pulls with them.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from .errors import Forbidden
from .names import random_suffix

Obj = dict[str, Any]
MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
VOLUME_PREFIX = "kube-api-access-"
TOKEN_EXPIRATION_SECONDS = 3607  # a bound token warned about after an hour and 7 seconds
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"


def token_volume(name: str) -> Obj:
    return {
        "name": name,
        "projected": {
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": TOKEN_EXPIRATION_SECONDS, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {
                    "downwardAPI": {
                        "items": [
                            {
                                "path": "namespace",
                                "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                            }
                        ]
                    }
                },
            ],
            "defaultMode": 420,
        },
    }


def admit_pod(
    pod: Obj, label: str, namespace: str, account_of: Callable[[str], Obj | None], rng: random.Random
) -> None:
    """Mutate (and possibly refuse) a pod being created, as the plugin does. `label`: the name
    or generateName the request carried (what admission refusals quote)."""
    meta = pod.get("metadata") or {}
    spec = pod.setdefault("spec", {})
    label = label or "Unknown"
    if MIRROR_ANNOTATION in (meta.get("annotations") or {}):
        if spec.get("serviceAccountName"):
            raise Forbidden(f'pods "{label}" is forbidden: a mirror pod may not reference service accounts')
        return
    name = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
    spec["serviceAccountName"] = name
    account = account_of(name)
    if account is None:
        raise Forbidden(
            f'pods "{label}" is forbidden: error looking up service account {namespace}/{name}: '
            f'serviceaccount "{name}" not found',
            details={"name": label, "kind": "pods"},
        )
    automount = spec.get("automountServiceAccountToken")
    if automount is None:
        automount = account.get("automountServiceAccountToken")
    if automount is not False:
        _mount_token(spec, rng)
    if not spec.get("imagePullSecrets") and account.get("imagePullSecrets"):
        spec["imagePullSecrets"] = [{"name": s.get("name", "")} for s in account["imagePullSecrets"]]
    spec["serviceAccount"] = name


def _mount_token(spec: Obj, rng: random.Random) -> None:
    volumes = spec.get("volumes") or []
    existing = next((v["name"] for v in volumes if str(v.get("name", "")).startswith(VOLUME_PREFIX)), None)
    volume_name = existing or f"{VOLUME_PREFIX}{random_suffix(rng)}"
    mount = {"name": volume_name, "readOnly": True, "mountPath": MOUNT_PATH}
    needed = False
    for group in ("initContainers", "containers"):
        for container in spec.get(group) or []:
            mounts = container.get("volumeMounts") or []
            if any(m.get("mountPath") == MOUNT_PATH for m in mounts):
                continue
            container["volumeMounts"] = [*mounts, dict(mount)]
            needed = True
    if needed and existing is None:
        spec["volumes"] = [*volumes, token_volume(volume_name)]
