"""kube-apiserver's impersonation filter: `Impersonate-User` / `Impersonate-Group` headers
(kubectl's `--as` and `--as-group`).

Before anything else is authorized, the filter asks whether the requester may `impersonate`
the named user (`users`), service account (`serviceaccounts` in its namespace) and each group
(`groups`); any refusal is the real Forbidden, e.g. `users "jane" is forbidden: User "bob" cannot
impersonate resource "users" in API group "" at the cluster scope`. Then the request proceeds
as the impersonated user (`ApiRequest.user`). The lab's admin is a cluster-admin, so it may
impersonate anyone — which is how `kubectl auth can-i … --as=…` and `kubectl get … --as=…`
show another identity's view of the cluster.
"""

from __future__ import annotations

from dataclasses import replace

from clusterlab.engine import Cluster
from clusterlab.engine.errors import BadRequest
from clusterlab.engine.rbac import SA_PREFIX, Attributes
from clusterlab.kubeapi.messages import LEARNER_NAME, ApiRequest


def resolve(cluster: Cluster, req: ApiRequest) -> ApiRequest:
    """The request as it proceeds: from the lab's learner (narrowed if a lesson said so), and
    refused unless that requester may impersonate whom it names."""
    if cluster.learner.name != LEARNER_NAME or cluster.learner.groups:
        req = replace(req, learner=cluster.learner)
    if not req.impersonate_user:
        if req.impersonate_groups:
            raise BadRequest(f"requested {list(req.impersonate_groups)} groups without impersonating a user")
        return req
    server = cluster.server
    requester = req.requester
    groups = server.groups(requester)
    name = req.impersonate_user
    wanted: list[Attributes] = []
    if name.startswith(SA_PREFIX) and name.count(":") == 3:
        namespace, account = name[len(SA_PREFIX) :].split(":", 1)
        wanted.append(
            Attributes(requester.name, groups, "impersonate", "", "serviceaccounts", "", namespace, account)
        )
    else:
        wanted.append(Attributes(requester.name, groups, "impersonate", "", "users", "", "", name))
    for group in req.impersonate_groups:
        wanted.append(Attributes(requester.name, groups, "impersonate", "", "groups", "", "", group))
    for attributes in wanted:
        server.authorizer.check(attributes)
    return req
