"""API errors, mirroring the `Status` objects the Kubernetes API server returns.

Every failed request in the engine raises one of these. Each carries the HTTP code, the
`reason` (Kubernetes' `metav1.StatusReason`) and a message worded as Kubernetes words it, and
can render itself as the `Status` object a real API server would send.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """Base of all API errors: a Kubernetes `Status` with `status: Failure`."""

    code: int = 500
    reason: str = "InternalError"
    list_continue: str | None = None  # a 410 on a paged list offers a token to go on with
    patch_error: str | None = None  # why a JSON patch failed (kube-apiserver does not say)

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def status(self) -> dict[str, Any]:
        """The `Status` object as the API server would serialise it."""
        out: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {"continue": self.list_continue} if self.list_continue else {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if not self.reason:
            del out["reason"]  # StatusReasonUnknown is omitted on the wire
        if self.details:
            out["details"] = self.details
        return out


class BadRequest(ApiError):
    code, reason = 400, "BadRequest"


class Unauthorized(ApiError):
    code, reason = 401, "Unauthorized"


class Forbidden(ApiError):
    code, reason = 403, "Forbidden"


class NotFound(ApiError):
    code, reason = 404, "NotFound"


class MethodNotAllowed(ApiError):
    code, reason = 405, "MethodNotAllowed"


class AlreadyExists(ApiError):
    code, reason = 409, "AlreadyExists"


class Conflict(ApiError):
    code, reason = 409, "Conflict"


class Gone(ApiError):
    """A watch or list asked for a resourceVersion older than the kept history (410)."""

    code, reason = 410, "Expired"


class Invalid(ApiError):
    code, reason = 422, "Invalid"


class TooManyRequests(ApiError):
    code, reason = 429, "TooManyRequests"


class ServiceUnavailable(ApiError):
    code, reason = 503, "ServiceUnavailable"


class StorageUnavailable(ApiError):
    """etcd could not serve the request (no quorum): kube-apiserver passes etcd's error on as a
    500 without a reason, which kubectl prints as `Error from server: etcdserver: ...`."""

    code, reason = 500, ""


def resource_ref(plural: str, group: str) -> str:
    """How Kubernetes names a resource in messages: `pods`, `deployments.apps`."""
    return f"{plural}.{group}" if group else plural


def not_found(plural: str, group: str, name: str) -> NotFound:
    return NotFound(
        f'{resource_ref(plural, group)} "{name}" not found',
        details={"name": name, "group": group, "kind": plural},
    )


def already_exists(plural: str, group: str, name: str) -> AlreadyExists:
    return AlreadyExists(
        f'{resource_ref(plural, group)} "{name}" already exists',
        details={"name": name, "group": group, "kind": plural},
    )


def conflict(plural: str, group: str, name: str) -> Conflict:
    return Conflict(
        f'Operation cannot be fulfilled on {resource_ref(plural, group)} "{name}": '
        "the object has been modified; please apply your changes to the latest version and try again",
        details={"name": name, "group": group, "kind": plural},
    )


def invalid(kind: str, group: str, name: str, causes: list[tuple[str, str]]) -> Invalid:
    """`Deployment.apps "web" is invalid: [spec.replicas: Invalid value: -1: must be ...]`.

    `causes` are (field path, message) pairs; one cause prints bare, several in brackets,
    as apimachinery's `NewInvalid` does.
    """
    qualified = f"{kind}.{group}" if group else kind
    texts = [f"{field}: {msg}" for field, msg in causes]
    body = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    return Invalid(
        f'{qualified} "{name}" is invalid: {body}',
        details={
            "name": name,
            "group": group,
            "kind": kind,
            "causes": [{"reason": "FieldValueInvalid", "message": m, "field": f} for f, m in causes],
        },
    )


class UnsupportedMediaType(ApiError):
    """A PATCH with a Content-Type the server does not accept (415)."""

    code, reason = 415, "UnsupportedMediaType"


PATCH_MEDIA_TYPES = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
)


def unsupported_media_type() -> UnsupportedMediaType:
    """`negotiation.NewUnsupportedMediaTypeError` as kube-apiserver's PATCH handler raises it."""
    return UnsupportedMediaType(
        "the body of the request was in an unknown format - accepted media types include: "
        + ", ".join(PATCH_MEDIA_TYPES)
    )
