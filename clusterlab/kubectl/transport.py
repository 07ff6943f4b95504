"""How the console reaches the API: the same REST requests real kubectl sends.

Real kubectl talks HTTP to kube-apiserver through client-go's REST client. The console does
the same through a `Transport`: every command becomes the requests kubectl would send
(method, path, query, Accept, Content-Type, body) and reads the answers, including `Status`
errors. The lab wires the transport to its REST API's in-process dispatcher, so the console
and a real kubectl pointed at the lab run through one implementation of the semantics.

Simplified: no `/version` dispatch, no auth headers, no protobuf (JSON only), no retries,
no watch streams (the console runs one command and returns).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

JSON = "application/json"
ACCEPT_JSON_ANY = "application/json, */*"
ACCEPT_TABLE = (
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,"
    "application/json"
)
ACCEPT_DISCOVERY = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
)
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"


@dataclass
class Response:
    """One HTTP answer: status code, Content-Type and raw body."""

    status: int
    content_type: str = JSON
    body: bytes = b""

    def json(self) -> Any:
        """The body parsed as JSON (`None` when empty or not JSON)."""
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Transport(Protocol):
    """Sends one request to the API server and returns its answer (never raises for HTTP errors)."""

    def request(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
        accept: str = JSON,
    ) -> Response: ...


@dataclass
class Request:
    """A request as a transport received it; what `RecordingTransport` keeps."""

    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    content_type: str | None = None
    accept: str = JSON

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class ConnectionRefused(Exception):
    """Nothing listens where the API server should be (every kube-apiserver is stopped)."""

    def __init__(self, server: str) -> None:
        super().__init__(server)
        self.server = server


class ApiStatusError(Exception):
    """A non-2xx answer, carrying the server's `Status` (or a synthesised one)."""

    def __init__(self, response: Response, status: dict[str, Any]) -> None:
        super().__init__(status.get("message", ""))
        self.response = response
        self.status = status

    @property
    def code(self) -> int:
        return int(self.status.get("code") or self.response.status)

    @property
    def reason(self) -> str:
        return str(self.status.get("reason") or "")

    @property
    def message(self) -> str:
        return str(self.status.get("message") or "")


# client-go's `reasonForError` fallbacks when a Status carries no reason (apimachinery errors.go).
_REASON_BY_CODE = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    410: "Expired",
    413: "RequestEntityTooLarge",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


def status_error(response: Response) -> ApiStatusError:
    """Turn an error answer into `ApiStatusError`, as client-go's `transformResponse` does."""
    body = response.json()
    if isinstance(body, dict) and body.get("kind") == "Status":
        status = dict(body)
    else:
        text = response.body.decode("utf-8", "replace").strip()
        # Not a Status: client-go's `newUnstructuredResponseError` names a reason by the code.
        status = {"code": response.status, "message": text or "unknown"}
        status["reason"] = _REASON_BY_CODE.get(response.status, "")
    status.setdefault("code", response.status)  # a Status without a reason keeps none
    return ApiStatusError(response, status)


def impersonating(transport: Transport, user: str, groups: tuple[str, ...] | list[str]) -> Transport:
    """The transport for `--as` / `--as-group`: the same one, sending kubectl's `Impersonate-User`
    and `Impersonate-Group` headers (a transport offers `impersonating(user, groups)` if it can)."""
    if not user and not groups:
        return transport
    hook = getattr(transport, "impersonating", None)
    if hook is None:
        from .errors import CommandError

        raise CommandError("impersonation (--as, --as-group) is not available in this console")
    return hook(user, tuple(groups))  # type: ignore[no-any-return]


def call(
    transport: Transport,
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    body: Any = None,
    content_type: str | None = None,
    accept: str = JSON,
) -> Any:
    """Send a request with a JSON body (when `body` is not bytes) and return the parsed answer,
    raising `ApiStatusError` for an error status."""
    raw: bytes | None
    if body is None or isinstance(body, bytes):
        raw = body
    else:
        raw = json.dumps(body, separators=(",", ":")).encode()
    if raw is not None and content_type is None:
        content_type = JSON
    response = transport.request(
        method, path, query=query, body=raw, content_type=content_type, accept=accept
    )
    if not response.ok:
        raise status_error(response)
    if response.content_type.startswith("text/"):
        return response.body.decode("utf-8", "replace")
    return response.json()
