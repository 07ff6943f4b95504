"""App config for the per-lab Kubernetes API."""

from __future__ import annotations

from django.apps import AppConfig


class KubeapiConfig(AppConfig):
    """The ``kubeapi`` app: registers its logged ``api`` action with the lab runner's replay."""

    name = "clusterlab.kubeapi"
    label = "kubeapi"
    verbose_name = "Kubernetes API"

    def ready(self) -> None:
        from clusterlab.kubeapi.replay import replay_request
        from clusterlab.labs.runner import register_action

        register_action("api", replay_request)
