"""Validation of a container's probes, worded as kube-apiserver's (pkg/apis/core/validation:
`validateProbe`, `validateHandler`, and the liveness/readiness/startup rules of
`validateContainers`): exactly one handler (`must specify a handler type`, `may not specify
more than 1 handler type`), an exec command, valid ports and scheme, non-negative timings,
`successThreshold` 1 for liveness and startup probes, a positive probe-level
`terminationGracePeriodSeconds`, which readiness probes may not set."""

from __future__ import annotations

from typing import Any

Causes = list[tuple[str, str]]
HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
TIMINGS = ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold")
PORT_RANGE = "must be between 1 and 65535, inclusive"


def _port_causes(port: Any, path: str) -> Causes:
    if isinstance(port, int):
        return [] if 1 <= port <= 65535 else [(path, f"Invalid value: {port}: {PORT_RANGE}")]
    if isinstance(port, str) and port:
        return []
    return [(path, "Required value")]


def _handler_causes(probe: dict[str, Any], path: str) -> Causes:
    causes: Causes = []
    count = 0
    for handler in HANDLERS:
        if not isinstance(probe.get(handler), dict):
            continue
        if count:
            causes.append((f"{path}.{handler}", "Forbidden: may not specify more than 1 handler type"))
            continue
        count += 1
        action, hpath = probe[handler], f"{path}.{handler}"
        if handler == "exec" and not action.get("command"):
            causes.append((f"{hpath}.command", "Required value"))
        elif handler in ("httpGet", "tcpSocket"):
            causes += _port_causes(action.get("port"), f"{hpath}.port")
            scheme = action.get("scheme")
            if handler == "httpGet" and scheme not in (None, "HTTP", "HTTPS"):
                causes.append(
                    (f"{hpath}.scheme", f'Unsupported value: "{scheme}": supported values: "HTTP", "HTTPS"')
                )
        elif handler == "grpc":
            causes += _port_causes(action.get("port"), f"{hpath}.port")
    if not count:
        causes.append((path, "Required value: must specify a handler type"))
    return causes


def probe_causes(container: dict[str, Any], path: str) -> Causes:
    causes: Causes = []
    for kind in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = container.get(kind)
        if not isinstance(probe, dict):
            continue
        ppath = f"{path}.{kind}"
        causes += _handler_causes(probe, ppath)
        for key in TIMINGS:
            value = probe.get(key)
            if isinstance(value, int) and value < 0:
                causes.append(
                    (f"{ppath}.{key}", f"Invalid value: {value}: must be greater than or equal to 0")
                )
        grace = probe.get("terminationGracePeriodSeconds")
        if isinstance(grace, int) and grace <= 0:
            causes.append(
                (f"{ppath}.terminationGracePeriodSeconds", f"Invalid value: {grace}: must be greater than 0")
            )
        if kind != "readinessProbe" and probe.get("successThreshold", 1) != 1:
            value = probe.get("successThreshold")
            causes.append((f"{ppath}.successThreshold", f"Invalid value: {value}: must be 1"))
        if kind == "readinessProbe" and grace is not None:
            causes.append(
                (
                    f"{ppath}.terminationGracePeriodSeconds",
                    f"Invalid value: {grace}: must not be set for readinessProbes",
                )
            )
    return causes
