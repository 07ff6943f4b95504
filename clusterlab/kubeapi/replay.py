"""Replay of the command log's ``api`` entries: the request is re-issued against the cluster
being rebuilt, at the virtual time it was first served, through the same dispatcher."""

from __future__ import annotations

from typing import Any

from clusterlab.engine import Cluster
from clusterlab.kubeapi.dispatch import dispatch
from clusterlab.kubeapi.messages import ApiRequest

#: The command-log action of a write made through a lab's Kubernetes API.
API_ACTION = "api"


def replay_request(cluster: Cluster, args: dict[str, Any]) -> None:
    """Re-issue one logged API write. Its answer (even an error) was already given the first
    time; the same request at the same virtual time changes the cluster the same way."""
    dispatch(cluster, ApiRequest.from_log(args))
