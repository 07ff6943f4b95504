"""What an API request asked of etcd: the key, the etcd operation and the revision.

kube-apiserver keeps every object in etcd under `/registry/<prefix>/<namespace>/<name>`
(cluster-scoped objects: `/registry/<prefix>/<name>`). The prefix is the resource's plural,
except for a few historic names compiled into the API server (its storage factory's
`SpecialDefaultResourcePrefixes`): Nodes live under `minions`, Services under `services/specs`,
Endpoints under `services/endpoints`, ReplicationControllers under `controllers`, Ingresses
under `ingress`. A list or a watch covers a key range: `/registry/pods/default/` for one
namespace, `/registry/pods/` for all of them.

Its etcd3 storage layer turns each request into etcd operations:

- get → a Range on the object's key; list → a Range over the prefix. A 404 is a Range that
  found nothing.
- create → a Txn: *if the key does not exist* (create revision 0) *then Put*. When the compare
  fails the answer is 409 AlreadyExists and nothing is written.
- update, patch, delete and the write subresources (binding, eviction, status, scale, finalize)
  → `GuaranteedUpdate`: read the current object (a Range), run the update on it
  (preconditions, the resourceVersion check, admission, validation), then a Txn *if the key's
  mod revision is still the one read then Put* (a graceful delete is such an update: it writes
  `deletionTimestamp`; the final delete is a Txn with a DeleteRange). A stale resourceVersion
  (409 Conflict), a missing object (404), an update that fails validation or admission
  (422/403), an eviction a PodDisruptionBudget refuses (429), an update that changes nothing
  and a dry run are all decided after that Range, so the request reached etcd and wrote nothing.
- watch → an etcd Watch on the key range, from a revision.

Requests refused before storage never reach etcd: a body that does not decode (400), a user
RBAC does not allow (403), request options that do not validate (422 on `CreateOptions`,
`PatchOptions`…), a create that admission or validation refuses (403/422), a watch whose
resourceVersion is too old (410, answered from the watch cache).

Each recorded request carries etcd's answer revision (its response header's `revision`): for a
write, the revision the write created, which is the object's new `resourceVersion`; for a Range,
the revision it read at; for a Watch, the revision when it started; for a Txn whose compare
failed, the revision it was compared at. A request etcd did not answer (no quorum: the 500
`etcdserver: request timed out`) shows the operation it attempted and revision 0.

Simplified: a real API server serves client watches — and, since 1.31's
`ConsistentListFromCache`, most lists — from its watch cache, which follows one etcd Watch per
resource; here a client's watch is shown with the etcd Watch on its key range that feeds it.
One etcd operation is shown per request: the one that decided it (an update's Txn, not the Range
before it). Custom resources (`/registry/<group>/<plural>/`) do not exist in the lab.
"""

from __future__ import annotations

from .errors import ApiError
from .store import DELETED, Store

RANGE, TXN_PUT, TXN_DELETE, WATCH = "range", "txn put", "txn delete", "watch"
REGISTRY = "/registry"

#: kube-apiserver's compiled-in etcd prefixes that differ from the resource's plural.
SPECIAL_PREFIXES = {
    "nodes": "minions",
    "services": "services/specs",
    "endpoints": "services/endpoints",
    "replicationcontrollers": "controllers",
    "ingresses": "ingress",
}

#: (etcd operation, key or key range, revision): what the audit log records per request.
StorageRequest = tuple[str, str, int]
NOT_REACHED: StorageRequest = ("", "", 0)

#: Errors an update-like request can only get after reading the current object.
_DECIDED_AFTER_READ = frozenset({403, 404, 409, 422, 429})
#: Request options whose validation fails before the handler goes near storage.
_OPTIONS_GROUP = "meta.k8s.io"


def object_key(plural: str, namespace: str | None, name: str) -> str:
    """The etcd key of one object: `/registry/pods/default/web-x`, `/registry/minions/worker-1`."""
    prefix = SPECIAL_PREFIXES.get(plural, plural)
    if namespace:
        return f"{REGISTRY}/{prefix}/{namespace}/{name}"
    return f"{REGISTRY}/{prefix}/{name}"


def key_range(plural: str, namespace: str | None) -> str:
    """The key range a list or watch covers: `/registry/pods/default/`, `/registry/pods/`."""
    prefix = SPECIAL_PREFIXES.get(plural, plural)
    if namespace:
        return f"{REGISTRY}/{prefix}/{namespace}/"
    return f"{REGISTRY}/{prefix}/"


def storage_request(
    store: Store,
    revision_before: int,
    verb: str,
    resource: str,
    namespace: str | None,
    name: str | None,
    error: ApiError | None = None,
) -> StorageRequest:
    """What a request that got past authentication and authorization did in etcd.

    `revision_before`: the store's revision when the request started (a later one means it
    wrote). `error`: what the request failed with, if it did."""
    plural, _, subresource = resource.partition("/")
    if store.revision != revision_before:
        change = store.last_change
        if change is not None and change.plural == plural:
            meta = change.object["metadata"]
            op = TXN_DELETE if change.type == DELETED else TXN_PUT
            return op, object_key(plural, meta.get("namespace"), meta["name"]), change.revision
    if error is not None:
        return _failed(store, verb, plural, subresource, namespace, name, error)
    if verb == "list":
        return RANGE, key_range(plural, namespace), store.revision
    if verb == "watch":
        return WATCH, key_range(plural, namespace), store.revision
    # get, and a write that wrote nothing (no change, dry run, already terminating, exec).
    return RANGE, object_key(plural, namespace, name or ""), store.revision


def _failed(
    store: Store,
    verb: str,
    plural: str,
    subresource: str,
    namespace: str | None,
    name: str | None,
    error: ApiError,
) -> StorageRequest:
    code = error.code
    if code == 500 and not error.reason:  # etcd did not answer: what was attempted
        return attempted(verb, plural + (f"/{subresource}" if subresource else ""), namespace, name)
    key = object_key(plural, namespace, name or "")
    if verb in ("get", "list"):
        if code == 404:
            return RANGE, key, store.revision
        if code == 410 and verb == "list":  # a continue token etcd has compacted away
            return RANGE, key_range(plural, namespace), store.revision
        return NOT_REACHED
    if verb == "watch":
        return NOT_REACHED
    if verb == "create" and not subresource:
        if error.reason == "AlreadyExists":  # the name a generateName drew is in the error
            return (
                TXN_PUT,
                object_key(plural, namespace, error.details.get("name") or name or ""),
                store.revision,
            )
        return NOT_REACHED
    if code in _DECIDED_AFTER_READ and error.details.get("group") != _OPTIONS_GROUP:
        return RANGE, key, store.revision
    return NOT_REACHED


def attempted(verb: str, resource: str, namespace: str | None, name: str | None) -> StorageRequest:
    """The etcd operation a request sent and got no answer to (revision 0)."""
    plural, _, subresource = resource.partition("/")
    if verb == "list":
        return RANGE, key_range(plural, namespace), 0
    if verb == "watch":
        return WATCH, key_range(plural, namespace), 0
    op = TXN_PUT if verb == "create" and not subresource else RANGE
    return op, object_key(plural, namespace, name or ""), 0
