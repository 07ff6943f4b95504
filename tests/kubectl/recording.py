"""A transport that answers from canned responses and records the requests (for tests of
request construction only)."""

from __future__ import annotations

from clusterlab.kubectl.transport import JSON, Request, Response


class RecordingTransport:
    """Answers from a list of canned responses in order and records every request.

    For tests of request construction only: it knows nothing of API semantics.
    """

    def __init__(self, responses: list[Response] | None = None) -> None:
        self.responses = list(responses or [])
        self.requests: list[Request] = []

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
        self.requests.append(Request(method, path, dict(query or {}), body, content_type, accept))
        if not self.responses:
            return Response(404, JSON, b'{"kind":"Status","code":404,"reason":"NotFound","message":"none"}')
        return self.responses.pop(0)
