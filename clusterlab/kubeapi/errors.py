"""Request-level errors the engine never raises (they concern HTTP, not the cluster).

They subclass the engine's ``ApiError`` so every failure renders as the same Kubernetes
``Status`` object, with the codes and reasons kube-apiserver uses.
"""

from __future__ import annotations

from clusterlab.engine.errors import ApiError

#: kube-apiserver's request body limit (3 MiB).
MAX_BODY_BYTES = 3 * 1024 * 1024


class NotAcceptable(ApiError):
    """The client accepts no media type this server can produce (406)."""

    code, reason = 406, "NotAcceptable"


class UnsupportedMediaType(ApiError):
    """The request body's media type is not one this endpoint reads (415)."""

    code, reason = 415, "UnsupportedMediaType"


class RequestEntityTooLarge(ApiError):
    """The request body is over ``MAX_BODY_BYTES`` (413)."""

    code, reason = 413, "RequestEntityTooLarge"


def resource_not_found() -> ApiError:
    """The answer to any path that names nothing (also to a wrong lab key: it leaks nothing)."""
    from clusterlab.engine.errors import NotFound

    return NotFound("the server could not find the requested resource", details={})


def method_not_allowed() -> ApiError:
    from clusterlab.engine.errors import MethodNotAllowed

    return MethodNotAllowed("the server does not allow this method on the requested resource")
