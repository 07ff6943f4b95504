"""The probe lines of a container in `kubectl describe pod` (describe.go `describeContainerProbe`
and `DescribeProbe`): `Liveness:`, `Readiness:`, `Startup:`, each the handler then
`delay=5s timeout=1s period=5s #success=1 #failure=3` — `exec [cat /tmp/healthy]` (Go's `%v`
of the command), `http-get http://:8080/healthz` (a URL with the probe's host, empty by
default), `tcp-socket :8080`, `grpc <pod>:2379 <service>`."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

Obj = dict[str, Any]
LABELS = (("livenessProbe", "Liveness"), ("readinessProbe", "Readiness"), ("startupProbe", "Startup"))


def describe_probe(probe: Obj) -> str:
    def n(key: str) -> int:
        return int(probe.get(key) or 0)

    attrs = (
        f"delay={n('initialDelaySeconds')}s timeout={n('timeoutSeconds')}s period={n('periodSeconds')}s "
        f"#success={n('successThreshold')} #failure={n('failureThreshold')}"
    )
    if isinstance(probe.get("exec"), dict):
        command = " ".join(str(w) for w in probe["exec"].get("command") or ())
        return f"exec [{command}] {attrs}"
    if isinstance(probe.get("httpGet"), dict):
        http = probe["httpGet"]
        port = str(http.get("port", ""))
        host = str(http.get("host") or "")
        if port:
            host = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        scheme = str(http.get("scheme") or "").lower()
        path = quote(str(http.get("path") or ""), safe="/:@!$&'()*+,;=-._~")
        url = f"{scheme}://{host}{path}" if scheme else f"//{host}{path}"
        return f"http-get {url} {attrs}"
    if isinstance(probe.get("tcpSocket"), dict):
        tcp = probe["tcpSocket"]
        return f"tcp-socket {tcp.get('host') or ''}:{tcp.get('port', '')} {attrs}"
    if isinstance(probe.get("grpc"), dict):
        grpc = probe["grpc"]
        return f"grpc <pod>:{grpc.get('port', 0)} {grpc.get('service') or ''} {attrs}"
    return f"unknown {attrs}"


def probe_lines(container: Obj, indent: str) -> str:
    return "".join(
        f"{indent}{label}:\t{describe_probe(container[key])}\n"
        for key, label in LABELS
        if isinstance(container.get(key), dict)
    )
