"""A Kubernetes API request and its answer, independent of Django.

The view turns an `HttpRequest` into an `ApiRequest` (path relative to the lab's API root,
query, decoded body), the dispatcher answers it with an `ApiResponse` against a cluster, and a
write's `ApiRequest` is what the lab's command log keeps (`to_log`/`from_log`), so replay
re-issues the very same request at the same virtual time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from clusterlab.engine.audit import User
from clusterlab.engine.errors import ApiError

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LEARNER_NAME = "kubernetes-admin"
DEFAULT_COMPONENT = "kubectl"
_PRODUCT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
#: User-Agent products and the component name the API-call stream shows for them.
KNOWN_AGENTS = {"openapi-generator": "kubernetes-python"}


def component_from_user_agent(user_agent: str | None) -> str:
    """`kubectl/v1.32.4 (linux/amd64) kubernetes/…` → `kubectl`; unknown or odd → `kubectl`."""
    product = (user_agent or "").split("/", 1)[0].strip()
    if not _PRODUCT.fullmatch(product):
        return DEFAULT_COMPONENT
    lowered = product.lower()
    if lowered.startswith("kubectl"):
        return "kubectl"
    return KNOWN_AGENTS.get(lowered, lowered)


@dataclass(frozen=True)
class ApiRequest:
    """One REST request to a lab's API. ``path`` starts at the API root (`/api/v1/...`)."""

    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    body: Any = None
    content_type: str = ""
    accept: str = ""
    component: str = DEFAULT_COMPONENT
    #: `Impersonate-User` / `Impersonate-Group` (kubectl's `--as` / `--as-group`).
    impersonate_user: str = ""
    impersonate_groups: tuple[str, ...] = ()
    #: The learner's identity when a lesson narrowed it (`Cluster.act_as`); None: the admin.
    learner: User | None = field(default=None, compare=False)

    @property
    def requester(self) -> User:
        """Who sent the request: the learner, labelled with the client they came from."""
        if self.learner is not None:
            return User(self.learner.name, self.component, self.learner.groups)
        return User(LEARNER_NAME, self.component)

    @property
    def user(self) -> User:
        """Whom the request acts as: the requester, or whom they impersonate. As kube-apiserver's
        impersonation filter does it, a user impersonated without groups is only
        `system:authenticated`; a service account gets its account's groups."""
        name = self.impersonate_user
        if not name:
            return self.requester
        groups = self.impersonate_groups
        if not groups and not name.startswith("system:serviceaccount:"):
            groups = ("system:authenticated",)
        return User(name, self.component, tuple(groups))

    @property
    def is_write(self) -> bool:
        return self.method in WRITE_METHODS

    def flag(self, name: str) -> bool:
        """A boolean query parameter (`watch=true`, `watch=1`, `force=true`)."""
        return self.query.get(name, "").lower() in ("true", "1")

    def int_param(self, name: str) -> int | None:
        """An integer query parameter, or None; a malformed one is a 400."""
        raw = self.query.get(name)
        if raw in (None, ""):
            return None
        try:
            value = int(raw)
        except ValueError as exc:
            from clusterlab.engine.errors import BadRequest

            raise BadRequest(f'invalid {name} "{raw[:40]}": must be an integer') from exc
        return value

    def to_log(self) -> dict[str, Any]:
        """The command-log form of a write (everything replay needs, nothing secret)."""
        return {
            "method": self.method,
            "path": self.path,
            "query": dict(self.query),
            "content_type": self.content_type,
            "body": self.body,
            "component": self.component,
            **({"impersonate_user": self.impersonate_user} if self.impersonate_user else {}),
            **({"impersonate_groups": list(self.impersonate_groups)} if self.impersonate_groups else {}),
        }

    @classmethod
    def from_log(cls, args: dict[str, Any]) -> ApiRequest:
        return cls(
            method=str(args["method"]),
            path=str(args["path"]),
            query=dict(args.get("query") or {}),
            body=args.get("body"),
            content_type=str(args.get("content_type") or ""),
            component=str(args.get("component") or DEFAULT_COMPONENT),
            impersonate_user=str(args.get("impersonate_user") or ""),
            impersonate_groups=tuple(str(g) for g in args.get("impersonate_groups") or ()),
        )


@dataclass
class ApiResponse:
    """An answer: JSON ``body`` (or text when ``text`` is set) with a status and media type."""

    status: int = 200
    body: Any = None
    content_type: str = "application/json"
    text: str | None = None
    #: True when the request reached the engine as a write, so it goes into the command log.
    wrote: bool = False
    #: Warnings for the client (the `Warning` header kubectl prints), e.g. unknown fields dropped.
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def error(cls, error: ApiError, *, wrote: bool = False) -> ApiResponse:
        return cls(error.code, error.status(), wrote=wrote)
