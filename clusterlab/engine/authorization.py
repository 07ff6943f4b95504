"""The API server's authorization step and RBAC's escalation checks, mixed into `APIServer`.

kube-apiserver authorizes a request in its handler chain, after authentication and before
admission; a denial is a 403 and the request goes no further. Here `_audited` (every verb's
entry) calls `_authorize` first, with the attributes kube-apiserver's RequestInfo would carry:
verb, API group, resource and subresource, namespace and name (no name on a plain create, a
list or a watch). The rules themselves live in `rbac.py`.

Writes of Roles, ClusterRoles and bindings then pass RBAC's escalation checks (`_guard_rbac`),
which kube-apiserver runs in the RBAC registry after mutating admission: nobody grants what they
do not hold unless they may `escalate` roles or `bind` the role (or are in `system:masters`).
"""

from __future__ import annotations

from typing import Any

from .audit import User
from .errors import Forbidden, NotFound
from .kinds import Kind, resolve
from .rbac import (
    MASTERS,
    RBAC_PLURALS,
    Attributes,
    Authorizer,
    escalation_error,
    groups_of,
    missing_rights,
)
from .rbac_policy import RBAC_GROUP, rule
from .store import Store

Obj = dict[str, Any]
_GROUPS: dict[str, str] = {}  # plural → API group
FULL_AUTHORITY = [rule("*", "*", "*"), {"nonResourceURLs": ["*"], "verbs": ["*"]}]


class Authorization:
    """Mixed into the API server (which provides `store`)."""

    store: Store
    authorizer: Authorizer
    _requester: User | None

    def _init_authorization(self) -> None:
        self.authorizer = Authorizer(self.store)
        self._requester = None
        self._groups: dict[User, tuple[str, ...]] = {}

    def groups(self, user: User) -> tuple[str, ...]:
        """The groups the request carries (memoized per identity: it is asked on every request)."""
        groups = self._groups.get(user)
        if groups is None:
            if len(self._groups) >= 10_000:  # impersonation can name any number of users
                self._groups.clear()
            groups = self._groups[user] = groups_of(user)
        return groups

    def attributes(
        self, user: User, verb: str, resource: str, namespace: str | None, name: str | None
    ) -> Attributes:
        """What kube-apiserver's RequestInfo says of a request (`resource` may be `pods/log`)."""
        plural, _, sub = resource.partition("/")
        group = _GROUPS.get(plural)
        if group is None:
            try:
                group = _GROUPS[plural] = resolve(plural).group
            except NotFound:  # an unknown resource is answered by the verb itself (404)
                group = ""
        if verb in ("list", "watch") or (verb == "create" and not sub):
            name = ""
        return Attributes(user.name, self.groups(user), verb, group, plural, sub, namespace or "", name or "")

    def _authorize(
        self, user: User, verb: str, resource: str, namespace: str | None, name: str | None
    ) -> None:
        self.authorizer.check(self.attributes(user, verb, resource, namespace, name))

    def _rbac_changed(self, plural: str) -> None:
        if plural in RBAC_PLURALS:
            self.authorizer.invalidate()

    # -- escalation checks ---------------------------------------------------------------

    def _guard_rbac(self, kind: Kind, obj: Obj, current: Obj | None) -> None:
        """Refuse a Role/ClusterRole/binding write that would grant more than the requester holds."""
        user = self._requester
        if user is None or kind.plural not in RBAC_PLURALS:
            return
        groups = self.groups(user)
        if MASTERS in groups:
            return
        meta = obj.get("metadata") or {}
        ns, name = meta.get("namespace") or "", meta.get("name") or ""
        if kind.kind in ("Role", "ClusterRole"):
            if (
                current is not None
                and (current.get("rules") or []) == (obj.get("rules") or [])
                and current.get("aggregationRule") == obj.get("aggregationRule")
            ):
                return  # rules unchanged: nothing new is granted
            if self._allowed(user, groups, "escalate", kind.plural, ns, name):
                return
            missing = missing_rights(self._held(user, groups, ns), obj.get("rules") or [])
            if missing:
                raise self._escalation(kind, name, escalation_error(user.name, groups, missing))
            if obj.get("aggregationRule") and missing_rights(self._held(user, groups, ns), FULL_AUTHORITY):
                raise self._escalation(
                    kind, name, "must have cluster-admin privileges to use the aggregationRule"
                )
            return
        ref = obj.get("roleRef") or {}
        role_plural = "clusterroles" if ref.get("kind") == "ClusterRole" else "roles"
        if self._allowed(user, groups, "bind", role_plural, ns, ref.get("name") or ""):
            return
        errors: list[str] = []
        rules = self.authorizer.role_rules(ref, ns, errors)
        if errors:
            raise self._escalation(kind, name, errors[0])
        missing = missing_rights(self._held(user, groups, ns), rules)
        if missing:
            raise self._escalation(kind, name, escalation_error(user.name, groups, missing))

    def _allowed(
        self, user: User, groups: tuple[str, ...], verb: str, plural: str, ns: str, name: str
    ) -> bool:
        a = Attributes(user.name, groups, verb, RBAC_GROUP, plural, "", ns, name)
        return self.authorizer.authorize(a)[0]

    def _held(self, user: User, groups: tuple[str, ...], ns: str) -> list[Obj]:
        return list(self.authorizer.rules_for(user.name, groups, ns))

    @staticmethod
    def _escalation(kind: Kind, name: str, message: str) -> Forbidden:
        return Forbidden(
            f'{kind.qualified} "{name}" is forbidden: {message}',
            details={"name": name, "group": kind.group, "kind": kind.plural},
        )
