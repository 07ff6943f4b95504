"""The ServiceAccount controller: every active namespace has a `default` service account.

kube-controller-manager's serviceaccount controller watches namespaces and service accounts;
when a namespace appears (or its `default` account is deleted) it creates the account again,
so pods, which run as `default` unless they name another, always have one. A Terminating
namespace gets nothing new.

Simplified: only `default` is managed (the real controller's list of accounts to ensure is
configurable, with `default` its only entry in practice).
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from .base import Controller, ControllerContext

Obj = dict[str, Any]
DEFAULT_ACCOUNT = "default"


class ServiceAccountsController(Controller):
    name = "service-account-controller"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.namespaces = ctx.informers.get("namespaces")
        self.accounts = ctx.informers.get("serviceaccounts")
        self.namespaces.add_handler(self._enqueue_ns, lambda old, new: self._enqueue_ns(new), None)
        self.accounts.add_handler(None, None, self._on_account_delete)

    def component_name(self) -> str:
        return "serviceaccount-controller"

    def _enqueue_ns(self, ns: Obj) -> None:
        self.queue.add(ns["metadata"]["name"])

    def _on_account_delete(self, sa: Obj) -> None:
        if sa["metadata"]["name"] == DEFAULT_ACCOUNT:
            self.queue.add(sa["metadata"]["namespace"])

    def sync(self, key: str) -> int:
        ns = self.namespaces.get(key)
        if ns is None or (ns.get("status") or {}).get("phase", "Active") != "Active":
            return 0
        if self.accounts.get(f"{key}/{DEFAULT_ACCOUNT}") is not None:
            return 1
        account = {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": DEFAULT_ACCOUNT, "namespace": key},
        }
        try:
            self.server.create(self.user, account, key, copy=False)
        except ApiError as exc:
            if exc.code not in (403, 409):  # the namespace is going away, or it exists already
                raise
        return 1
