"""Who asked the API server for what, and what it answered: the audit log.

Every request is recorded with the authenticated user (`system:kube-scheduler`,
`system:node:worker-1`, `kubernetes-admin`…), a human label for the component behind it, the
verb, the resource (with subresource: `pods/binding`, `pods/status`), namespace, name, the
HTTP status code and the virtual time, and what reached etcd (`etcd_requests.py`): the etcd
operation, the key or key range and the revision etcd answered at. The lab's API-call stream
and the lessons' "which component did this?" read from here. The most recent `AUDIT_LIMIT`
records are kept.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from .clock import Clock

AUDIT_LIMIT = 20000


@dataclass(frozen=True)
class User:
    """An authenticated identity and, for people reading the log, the component it belongs to.

    `groups`: the groups the authenticator vouches for. Empty means "what the cluster's
    authenticators give this identity" (`rbac.groups_of`): a service account's groups, a
    kubelet's `system:nodes`, the kubeadm admin's `kubeadm:cluster-admins`."""

    name: str
    component: str
    groups: tuple[str, ...] = ()


@dataclass(slots=True, frozen=True)
class ApiCall:
    """One request as the audit log records it."""

    seq: int
    time: float
    actor: str  # the authenticated user, e.g. system:kube-scheduler
    component: str  # who that is, for people: kube-scheduler, kubelet/worker-1, kubectl
    verb: str  # get, list, watch, create, update, patch, delete
    resource: str  # pods, deployments, pods/binding, pods/status
    namespace: str
    name: str
    code: int
    etcd_op: str = ""  # range, txn put, txn delete, watch; "" when the request did not reach etcd
    etcd_key: str = ""  # /registry/pods/default/web-x, or a key range /registry/pods/default/
    revision: int = 0  # etcd's answer revision (a write's new resourceVersion); 0: no answer


class AuditLog:
    def __init__(self, clock: Clock, limit: int = AUDIT_LIMIT) -> None:
        self.clock = clock
        self.records: deque[ApiCall] = deque(maxlen=limit)
        self.seq = 0  # requests served so far (also counts those that fell out of the log)

    def record(
        self,
        user: User,
        verb: str,
        resource: str,
        namespace: str | None,
        name: str | None,
        code: int,
        etcd: tuple[str, str, int] = ("", "", 0),
    ) -> None:
        """`etcd`: (operation, key, revision) of what the request did in etcd, if anything."""
        self.seq += 1
        self.records.append(
            ApiCall(
                self.seq,
                self.clock.now,
                user.name,
                user.component,
                verb,
                resource,
                namespace or "",
                name or "",
                code,
                *etcd,
            )
        )

    def since(self, seq: int) -> list[ApiCall]:
        """Records with a sequence number greater than `seq`, oldest first."""
        records = self.records
        if not records or records[-1].seq <= seq:
            return []
        start = max(0, seq - records[0].seq + 1)
        return [records[i] for i in range(start, len(records))]
