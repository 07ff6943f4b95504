"""The API-call stream: every request the lab's API server served, as a message flow.

Each call reads `component → kube-apiserver → etcd`: who sent it (a controller of
kube-controller-manager, the kubelet of one node, the learner's kubectl…), what it asked (verb,
resource, namespace/name, and the HTTP request a client sends for it), the answer (`201 Created`,
`409 Conflict`…) and what reached etcd (the etcd operation, key and revision, from the engine's
audit log; no etcd hop for a request the API server refused first).

The page starts with the newest ``FIRST_RENDER_CALLS`` calls and then gets only new ones, at most
``MAX_PUSHED_CALLS`` per push: when more arrive at once (a fast clock, or a busy server pushing
late), the renewals of the node Leases and the leader-election Leases ("heartbeats", most of a
quiet cluster's traffic) are the first left out; if that is not enough, each client keeps an
equal share of the push, its newest calls (so the scheduler's few bindings are not crowded out
by a burst of kubelet status updates: the learner may be filtering to the scheduler), and the
push says how many calls it left out. Filtering, pausing and trimming
happen in the browser (``static/js/api_stream.js``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from clusterlab.engine import Cluster, NotFound
from clusterlab.engine.kinds import resolve
from clusterlab.labs.board import clock_text

#: How many calls the first render of the page (or a reconnect) shows.
FIRST_RENDER_CALLS = 100
#: Most calls one push carries.
MAX_PUSHED_CALLS = 50
#: The user kubeadm's admin kubeconfig authenticates as: the learner, whatever client they use.
LEARNER = "kubernetes-admin"

#: Status lines as Go's net/http (and so kubectl -v) writes them.
STATUS_TEXT = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    410: "Gone",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

_CODE_MEANINGS = {
    200: "the API server did what was asked.",
    201: "the API server created it.",
    400: "the request itself was malformed (a body that does not decode, a bad selector or option).",
    401: "the API server could not tell who sent it.",
    403: "refused: RBAC does not allow this user to do this, or an admission rule forbids it.",
    404: "there is no such object (or no such namespace).",
    405: "this resource does not support that verb.",
    406: "the API server cannot answer in the format asked for.",
    410: "the resourceVersion asked for is older than the history etcd still keeps: list again.",
    415: "the API server does not accept a body of that content type here.",
    422: "the object (or the request's options) failed validation; nothing was stored.",
    429: "refused for now: evicting this pod would break a PodDisruptionBudget; try again later.",
    500: "etcd did not answer in time (no quorum): the API server passes etcd's error on.",
    503: "the API server is not serving.",
}
_CONFLICT = (
    "the object changed since the client read it (a stale resourceVersion): it reads again and retries."
)
_ALREADY_EXISTS = "an object with that name already exists: etcd's create transaction found the key taken."

_METHODS = {
    "get": "GET",
    "list": "GET",
    "watch": "GET",
    "create": "POST",
    "update": "PUT",
    "patch": "PATCH",
    "delete": "DELETE",
}
#: Components in the order the component filter lists them; others follow alphabetically.
_COMPONENT_ORDER = ("kube-apiserver", "kube-scheduler", "kube-controller-manager", "kubelet")
_ANY_OF = {"kube-controller-manager": "any controller", "kubelet": "any node"}
_HEARTBEAT_NAMESPACES = ("kube-node-lease", "kube-system")


def code_text(code: int) -> str:
    """`201 Created`, `409 Conflict`: the status line's code and text."""
    text = STATUS_TEXT.get(code)
    return f"{code} {text}" if text else str(code)


def is_heartbeat(call: Any) -> bool:
    """A Lease renewal: a kubelet's node Lease in `kube-node-lease`, or a leader's election Lease
    in `kube-system` (kube-scheduler, kube-controller-manager). Reads of those Leases count too."""
    return (
        call.resource == "leases"
        and call.verb in ("get", "update", "patch")
        and call.namespace in _HEARTBEAT_NAMESPACES
    )


def request_line(verb: str, resource: str, namespace: str, name: str) -> tuple[str, str]:
    """The HTTP method and path a client sends for a request: `POST`,
    `/api/v1/namespaces/default/pods/web-x/binding`; a watch is a GET with `?watch=true`."""
    plural, _, subresource = resource.partition("/")
    try:
        kind = resolve(plural)
        root = f"/apis/{kind.group}/{kind.version}" if kind.group else f"/api/{kind.version}"
    except NotFound:
        root = "/api/v1"
    parts = [root]
    if namespace:
        parts += ["namespaces", namespace]
    parts.append(plural)
    collection = verb in ("list", "watch") or (verb == "create" and not subresource)
    if name and not collection:
        parts.append(name)
    if subresource:
        parts.append(subresource)
    path = "/".join(parts)
    return _METHODS.get(verb, verb.upper()), path + ("?watch=true" if verb == "watch" else "")


def etcd_summary(call: Any) -> str:
    """The flow's etcd hop in a few words: `txn put /registry/pods/default/web-x → revision 812`."""
    op, key, revision = call.etcd_op, call.etcd_key, call.revision
    if not op:
        return "not sent to etcd"
    if revision == 0:
        return f"{op} {key} · no answer"
    if op == "watch":
        return f"watch {key} from revision {revision}"
    if op == "range":
        return f"range {key} @ {revision}"
    if call.code >= 400:
        return f"{op} {key} · compare failed"
    return f"{op} {key} → revision {revision}"


def etcd_meaning(call: Any) -> str:
    """What happened in etcd, in a sentence for people."""
    op, revision, code = call.etcd_op, call.revision, call.code
    if not op:
        return "The API server refused the request before it reached storage: etcd never saw it."
    if revision == 0:
        return "Sent to etcd, which did not answer: without a quorum it serves no reads and no writes."
    if op == "watch":
        return (
            f"Watching the key range from revision {revision}: every later change under it is "
            "streamed to the client (a real API server feeds client watches from its watch cache, "
            "which follows one etcd watch per resource)."
        )
    if op == "range":
        if code == 404:
            return f"Read at revision {revision}: there is no such key."
        if code >= 400:
            return (
                f"Read the current object at revision {revision}, then refused the request: "
                "nothing was written."
            )
        if call.verb in ("get", "list"):
            return f"Read at revision {revision}."
        return (
            f"Read the current object at revision {revision}; nothing needed writing, so nothing was written."
        )
    if code >= 400:
        return (
            f"The transaction's compare failed at revision {revision} (the key already exists): "
            "nothing was written."
        )
    if op == "txn delete":
        return f"The transaction deleted the key at revision {revision}."
    return f"The transaction wrote the object at revision {revision}: its resourceVersion is now {revision}."


def code_meaning(call: Any) -> str:
    """What the answer means, in a sentence for people."""
    if call.code == 409:
        return _ALREADY_EXISTS if call.verb == "create" and call.etcd_op == "txn put" else _CONFLICT
    return _CODE_MEANINGS.get(call.code, "")


def api_call_row(call: Any) -> dict[str, Any]:
    """An engine ``ApiCall`` as one message of the flow."""
    code = call.code
    return {
        "seq": call.seq,
        "time": clock_text(call.time),
        "component": call.component or call.actor,
        "user": call.actor,
        "verb": call.verb,
        "resource": call.resource,
        "target": f"{call.namespace}/{call.name}"
        if call.namespace and call.name
        else call.namespace or call.name,
        "code_text": code_text(code),
        "tone": "ok" if 200 <= code < 300 else "bad",
        "heartbeat": is_heartbeat(call),
        "etcd": bool(call.etcd_op),
        "etcd_summary": etcd_summary(call),
    }


def api_call_detail(call: Any) -> dict[str, Any]:
    """Everything the stream says about one call when the learner stops on it."""
    method, path = request_line(call.verb, call.resource, call.namespace, call.name)
    return {
        **api_call_row(call),
        "seconds": f"{call.time:.3f}",
        "namespace": call.namespace,
        "name": call.name,
        "method": method,
        "path": path,
        "code_meaning": code_meaning(call),
        "etcd_op": call.etcd_op,
        "etcd_key": call.etcd_key,
        "revision": call.revision,
        "etcd_meaning": etcd_meaning(call),
    }


def find(cluster: Cluster, seq: int) -> Any | None:
    """The call with sequence number ``seq``, while the audit log still keeps it."""
    calls = cluster.api_calls(since=seq - 1) if seq > 0 else []
    return calls[0] if calls and calls[0].seq == seq else None


def client_of(call: Any) -> str:
    """The client a call counts against when a push must leave calls out: the component without
    its part (every kubelet together, every controller of kube-controller-manager together)."""
    return str(call.component or call.actor).partition("/")[0]


def fair_share(calls: Sequence[Any], indexes: list[int], limit: int) -> list[int]:
    """``limit`` of ``indexes`` (positions in ``calls``), shared equally between clients: each
    round takes every client's newest call not yet taken, until ``limit`` are taken."""
    by_client: dict[str, list[int]] = {}
    for i in reversed(indexes):  # newest first
        by_client.setdefault(client_of(calls[i]), []).append(i)
    taken: list[int] = []
    depth = 0
    while len(taken) < limit:
        for newest in by_client.values():
            if depth < len(newest) and len(taken) < limit:
                taken.append(newest[depth])
        depth += 1
    return sorted(taken)


def pick(calls: Sequence[Any], limit: int = MAX_PUSHED_CALLS) -> tuple[list[Any], int, bool]:
    """The calls one push carries, oldest first: all of them, or when there are more than
    ``limit``, heartbeats left out first, then an equal share of the rest for each client (its
    newest calls). Returns (calls, how many were left out, whether only heartbeats were)."""
    if len(calls) <= limit:
        return list(calls), 0, False
    others = [i for i, call in enumerate(calls) if not is_heartbeat(call)]
    if len(others) >= limit:
        kept = fair_share(calls, others, limit)
    else:
        chosen = set(others)
        beats = [i for i in range(len(calls)) if i not in chosen]
        kept = sorted(others + beats[len(beats) - (limit - len(others)) :])
    kept_set = set(kept)
    only_heartbeats = all(is_heartbeat(calls[i]) for i in range(len(calls)) if i not in kept_set)
    return [calls[i] for i in kept], len(calls) - len(kept), only_heartbeats


def api_call_rows(calls: Iterable[Any]) -> list[dict[str, Any]]:
    """Calls as rows, newest first."""
    return [api_call_row(call) for call in reversed(list(calls))]


def filters(clients: Mapping[str, str], resources: Iterable[str]) -> dict[str, Any]:
    """The stream's filter choices, from the clients (component → authenticated user) and the
    resources seen so far. Each is a list of groups: ``label`` None is a plain option, else an
    option group whose first option picks the whole group (a kubelet on any node, any controller
    of kube-controller-manager, any subresource of pods)."""
    components: list[dict[str, Any]] = [_plain("", "every component")]
    learner = sorted(c for c, user in clients.items() if user == LEARNER)
    if learner:
        options = [_option(f"user:{LEARNER}", "any client"), *(_option(c, c) for c in learner)]
        components.append({"label": f"you ({LEARNER})", "options": options})
    by_top: dict[str, set[str]] = {}
    for component, user in clients.items():
        if user == LEARNER:
            continue
        top, _, sub = component.partition("/")
        subs = by_top.setdefault(top, set())
        if sub:
            subs.add(sub)
    order = {name: i for i, name in enumerate(_COMPONENT_ORDER)}
    for top in sorted(by_top, key=lambda t: (order.get(t, len(order)), t)):
        components.append(_grouped(top, by_top[top], _ANY_OF.get(top, "any")))
    by_plural: dict[str, set[str]] = {}
    for resource in resources:
        plural, _, sub = resource.partition("/")
        subs = by_plural.setdefault(plural, set())
        if sub:
            subs.add(sub)
    kinds: list[dict[str, Any]] = [_plain("", "every resource")]
    for plural in sorted(by_plural):
        kinds.append(_grouped(plural, by_plural[plural], "with its subresources", full_names=True))
    return {"components": components, "resources": kinds}


def _option(value: str, label: str) -> dict[str, str]:
    return {"value": value, "label": label}


def _plain(value: str, label: str) -> dict[str, Any]:
    return {"label": None, "options": [_option(value, label)]}


def _grouped(top: str, subs: set[str], any_label: str, *, full_names: bool = False) -> dict[str, Any]:
    if not subs:
        return _plain(top, top)
    options = [_option(top, any_label)]
    options += [_option(f"{top}/{sub}", f"{top}/{sub}" if full_names else sub) for sub in sorted(subs)]
    return {"label": top, "options": options}


class ApiStream:
    """What one lab's stream has published: the newest rows (for a first render or a
    reconnect), the last call sent, and the clients and resources seen (for the filters)."""

    def __init__(self) -> None:
        self.rows: deque[dict[str, Any]] = deque(maxlen=FIRST_RENDER_CALLS)  # oldest first
        self.published = 0  # the sequence number of the last call taken
        self.clients: dict[str, str] = {}  # component → the user it authenticated as
        self.resources: set[str] = set()
        self.filters = filters({}, ())

    def first_render(self) -> list[dict[str, Any]]:
        """The rows a page starts with, newest first."""
        return list(reversed(self.rows))

    def take(self, cluster: Cluster) -> dict[str, Any] | None:
        """The calls since the last push as the next push's context (None if there are none):
        ``api_calls`` newest first, ``skipped`` how many were left out, ``skipped_heartbeats``
        whether they were all heartbeats."""
        new = cluster.api_calls(since=self.published)
        if not new:
            return None
        clients, resources, grew = self.clients, self.resources, False
        for call in new:
            if call.component not in clients:
                clients[call.component] = call.actor
                grew = True
            if call.resource not in resources:
                resources.add(call.resource)
                grew = True
        if grew:
            self.filters = filters(clients, resources)
        kept, skipped, heartbeats = pick(new)
        rows = [api_call_row(call) for call in kept]
        self.rows.extend(rows)
        self.published = new[-1].seq
        return {"api_calls": rows[::-1], "skipped": skipped, "skipped_heartbeats": heartbeats}
