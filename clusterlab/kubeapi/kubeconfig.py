"""A kubeconfig for one lab: its API at `<base>/k8s/<api key>`, with a cluster, a user and a
context all named after the lab. Over plain http kubectl sends no credentials, so the key in
the server URL is the credential (keep the file private)."""

from __future__ import annotations

import yaml

from clusterlab.labs.models import Lab


def api_path(lab: Lab) -> str:
    """The path of a lab's Kubernetes API (no trailing slash, as a kubeconfig `server`)."""
    return f"/k8s/{lab.api_key}"


def context_name(lab: Lab) -> str:
    return f"clusterlab-{lab.id}"


def kubeconfig_yaml(lab: Lab, base_url: str) -> str:
    """The kubeconfig text; ``base_url`` is the site's scheme and host (`http://127.0.0.1:8000`).

    Over http kubectl sends no credentials, so the key goes in the server URL. Over https the
    key is the user's bearer token on the key-less `/k8s/-` path, so it never appears in URLs
    (and access logs)."""
    name = context_name(lab)
    base = base_url.rstrip("/")
    if base.startswith("https://"):
        cluster: dict[str, str] = {"server": f"{base}/k8s/-"}
        user: dict[str, str] = {"token": lab.api_key}
    else:
        cluster, user = {"server": base + api_path(lab)}, {}
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": cluster}],
        "users": [{"name": name, "user": user}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name, "namespace": "default"}}],
        "current-context": name,
        "preferences": {},
    }
    where = "The user's token is" if user else "The server URL holds"
    header = (
        f"# ClusterLab lab {lab.id} ({lab.scenario}). {where} the lab's secret key:\n"
        "# anyone with this file can drive the lab. Use: KUBECONFIG=this-file kubectl get nodes\n"
    )
    return header + yaml.safe_dump(config, sort_keys=False, default_flow_style=False)
