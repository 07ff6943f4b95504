"""The clusterrole-aggregation controller: ClusterRoles with an `aggregationRule` collect the
rules of every ClusterRole its selectors match.

This is how `admin`, `edit` and `view` get their rules: `view` gathers the roles labelled
`rbac.authorization.k8s.io/aggregate-to-view: "true"` (`system:aggregate-to-view`, and any a
learner or an add-on labels so), and is itself labelled aggregate-to-edit, so `edit` includes
it, and so on up to `admin`. Kubernetes' controller re-syncs every aggregated ClusterRole
whenever any ClusterRole changes, takes the matching roles in name order, appends each rule not
already present, and writes the result if it differs (the chain converges over a few syncs).

Simplified: the real controller writes with server-side apply; this one updates.
"""

from __future__ import annotations

from typing import Any

from ..jsonutil import copy_json
from ..selectors import selector_from_spec
from .base import Controller, ControllerContext

Obj = dict[str, Any]


class ClusterRoleAggregationController(Controller):
    name = "clusterrole-aggregation-controller"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.roles = ctx.informers.get("clusterroles")
        self.roles.add_handler(self._enqueue_all, lambda old, new: self._enqueue_all(new), self._enqueue_all)

    def _enqueue_all(self, _changed: Obj) -> None:
        for role in self.roles.list():
            if role.get("aggregationRule"):
                self.queue.add(role["metadata"]["name"])

    def sync(self, key: str) -> int:
        role = self.roles.get(key)
        if role is None or not role.get("aggregationRule"):
            return 0
        selectors = [
            selector_from_spec(s) for s in (role["aggregationRule"].get("clusterRoleSelectors") or [])
        ]
        others = sorted(self.roles.list(), key=lambda r: r["metadata"]["name"])
        rules: list[Obj] = []
        for selector in selectors:
            for other in others:
                if other["metadata"]["name"] == key:
                    continue
                if not selector.matches(other["metadata"].get("labels") or {}):
                    continue
                for rule in other.get("rules") or []:
                    if rule not in rules:
                        rules.append(copy_json(rule))
        if rules == (role.get("rules") or []):
            return len(others)
        new = copy_json(role)
        new["rules"] = rules
        self.server.update(self.user, new, copy=False)
        return len(others)
