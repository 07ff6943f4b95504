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
    """The kubeconfig text; ``base_url`` is the site's scheme and host (`http://127.0.0.1:8000`)."""
    name = context_name(lab)
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": base_url.rstrip("/") + api_path(lab)}}],
        "users": [{"name": name, "user": {}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name, "namespace": "default"}}],
        "current-context": name,
        "preferences": {},
    }
    header = (
        f"# ClusterLab lab {lab.id} ({lab.scenario}). The server URL holds the lab's secret key:\n"
        "# anyone with this file can drive the lab. Use: KUBECONFIG=this-file kubectl get nodes\n"
    )
    return header + yaml.safe_dump(config, sort_keys=False, default_flow_style=False)
