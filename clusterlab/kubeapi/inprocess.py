"""The lab's Kubernetes API, called in process: what the browser console's kubectl talks to.

The console's kubectl (`clusterlab.kubectl`) sends the same REST requests a real kubectl sends,
through a `Transport`. This one hands each request to the very dispatcher the HTTP API uses,
so the console and a real kubectl pointed at `/k8s/<key>/` share one implementation of the
semantics. Writes that reached the engine are remembered, for the caller to put in the lab's
command log (replay re-issues them at the same virtual time), exactly as the HTTP views do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from clusterlab.engine import ApiError, Cluster
from clusterlab.engine.audit import User
from clusterlab.kubeapi import negotiation
from clusterlab.kubeapi.dispatch import dispatch
from clusterlab.kubeapi.messages import ApiRequest
from clusterlab.kubectl.transport import JSON, ConnectionRefused, Response


@dataclass(frozen=True)
class ExecOutcome:
    """What `kubectl exec` gets back: the output and exit code, or the server's error."""

    stdout: str = ""
    stderr: str = ""
    exit_code: int = 0
    error: str = ""


@dataclass
class DispatchTransport:
    """A `clusterlab.kubectl.transport.Transport` over the lab API's dispatcher."""

    cluster: Cluster
    component: str = "kubectl"
    #: (the write's command-log form, virtual time it happened) for every write that reached the engine
    writes: list[tuple[dict[str, Any], float]] = field(default_factory=list)
    #: kubectl's `--as` / `--as-group` (the Impersonate-* headers)
    impersonate_user: str = ""
    impersonate_groups: tuple[str, ...] = ()
    #: host:port of the lab's API as the learner's kubeconfig names it (for kubectl's messages)
    server: str = "localhost:8080"

    def impersonating(self, user: str, groups: tuple[str, ...]) -> DispatchTransport:
        """This transport, acting as `user` (the writes list is shared)."""
        return replace(self, impersonate_user=user, impersonate_groups=groups)

    def request(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
        accept: str = JSON,
    ) -> Response:
        if not self.cluster.api_available():
            raise ConnectionRefused(self.server)
        try:
            decoded = negotiation.decode_body(body, content_type or "") if body else None
        except ApiError as error:  # malformed, too large, or an unknown media type
            return Response(error.code, JSON, json.dumps(error.status()).encode())
        req = ApiRequest(
            method=method,
            path=path,
            query=dict(query or {}),
            body=decoded,
            content_type=negotiation.media_type(content_type or ""),
            accept=accept,
            component=self.component,
            impersonate_user=self.impersonate_user,
            impersonate_groups=self.impersonate_groups,
        )
        at = self.cluster.now
        resp = dispatch(self.cluster, req)
        if resp.wrote:
            self.writes.append((req.to_log(), at))
        if resp.text is not None:
            return Response(resp.status, resp.content_type or "text/plain", resp.text.encode())
        return Response(resp.status, resp.content_type or JSON, json.dumps(resp.body).encode())

    def exec(
        self, namespace: str, pod: str, container: str, command: list[str], stdin: str = ""
    ) -> ExecOutcome:
        """`pods/exec`, as the lab API's WebSocket serves it (the engine's one implementation)."""
        user = User("kubernetes-admin", self.component)
        try:
            result = self.cluster.server.pod_exec(user, pod, namespace, container or None, command, stdin)
        except ApiError as error:
            return ExecOutcome(error=error.message)
        return ExecOutcome(result.stdout, result.stderr, result.exit_code)
