"""Defaulting of a container's probes, as the core/v1 defaulters do (`SetDefaults_Probe`,
`SetDefaults_HTTPGetAction` in pkg/apis/core/v1/defaults.go): timeoutSeconds 1, periodSeconds
10, successThreshold 1, failureThreshold 3; an httpGet's path `/` and scheme `HTTP`; a grpc
probe's service `""`.
initialDelaySeconds stays unset (0)."""

from __future__ import annotations

from typing import Any

PROBE_FIELDS = ("livenessProbe", "readinessProbe", "startupProbe")
PROBE_DEFAULTS = {"timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}


def default_probes(container: dict[str, Any]) -> None:
    for name in PROBE_FIELDS:
        probe = container.get(name)
        if not isinstance(probe, dict):
            continue
        for key, value in PROBE_DEFAULTS.items():
            probe.setdefault(key, value)
        grpc = probe.get("grpc")
        if isinstance(grpc, dict):
            grpc.setdefault("service", "")
        http = probe.get("httpGet")
        if isinstance(http, dict):
            http.setdefault("path", "/")
            http.setdefault("scheme", "HTTP")
