"""Cascading deletion: what `propagationPolicy` asks of the garbage collector.

`DELETE` takes `propagationPolicy` (kubectl's `--cascade`):
- **Background** (kubectl's default): the owner goes at once; the garbage collector then deletes
  its dependents.
- **Foreground**: the owner stays, with a `deletionTimestamp` and the `foregroundDeletion`
  finalizer, until the collector has deleted every dependent that blocks it
  (`blockOwnerDeletion: true`); then the collector removes the finalizer and the owner goes.
- **Orphan**: the owner stays with the `orphan` finalizer while the collector removes its
  ownerReference from every dependent; then the finalizer goes, and the dependents live on.

Simplified: the collector here tracks the workload kinds the engine has (Deployment,
ReplicaSet, Pod, Service and its EndpointSlices, CronJob and Job, and those in `GC_OWNERS`
since); for other kinds every policy acts as
Background.
"""

from __future__ import annotations

from .errors import invalid

FOREGROUND_FINALIZER = "foregroundDeletion"
ORPHAN_FINALIZER = "orphan"
POLICIES = ("Foreground", "Background", "Orphan")
# Resources the garbage collector watches as owners.
GC_OWNERS = frozenset(
    {"deployments", "replicasets", "services", "pods", "statefulsets", "jobs", "cronjobs", "daemonsets"}
)


def finalizer_for(policy: str | None, plural: str) -> str | None:
    """The finalizer a DELETE with `policy` adds to an object of `plural` (None: delete as usual)."""
    if policy is not None and policy not in POLICIES:
        supported = ", ".join(f'"{p}"' for p in POLICIES)
        raise invalid(
            "DeleteOptions",
            "meta.k8s.io",
            "",
            [("propagationPolicy", f'Unsupported value: "{policy}": supported values: {supported}')],
        )
    if plural not in GC_OWNERS:
        return None
    return {"Foreground": FOREGROUND_FINALIZER, "Orphan": ORPHAN_FINALIZER}.get(policy or "")
