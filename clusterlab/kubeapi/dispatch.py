"""Answer one Kubernetes API request against a cluster: discovery, then resources.

`dispatch(cluster, request)` is synchronous and touches only the engine, so the server runs it
on the event loop that owns the lab's cluster, and replay runs the very same function on a
cluster being rebuilt. Watches are served by `watch.py` (they stream); everything else is here
(subresources in `subresources.py`). Every failure is a Kubernetes `Status`; an unexpected
exception is logged and answered as a 500 Status, never an HTML page.
"""

from __future__ import annotations

import logging
from typing import Any

from clusterlab.engine import Cluster, conversion, decoding
from clusterlab.engine.dry_run import check_dry_run
from clusterlab.engine.errors import ApiError, BadRequest
from clusterlab.engine.jsonutil import copy_json
from clusterlab.engine.patching import apply_patch
from clusterlab.kubeapi import (
    compat,
    discovery,
    impersonation,
    metrics_api,
    negotiation,
    reviews,
    subresources,
)
from clusterlab.kubeapi.errors import method_not_allowed
from clusterlab.kubeapi.messages import ApiRequest, ApiResponse
from clusterlab.kubeapi.routing import Route, resolve_route
from clusterlab.kubeapi.tables import table_for

logger = logging.getLogger(__name__)
Obj = dict[str, Any]

HEALTH_PATHS = {"healthz", "livez", "readyz"}
#: Kinds whose DELETE answers with the deleted object (kube-apiserver's `ReturnDeletedObject`).
RETURN_DELETED_OBJECT = frozenset({"Pod", "Service"})


class _Trace:
    """Whether a write got as far as the engine (then it belongs in the command log), and the
    warnings for the client (unknown fields dropped)."""

    def __init__(self) -> None:
        self.wrote = False
        self.warnings: list[str] = []


def dispatch(cluster: Cluster, req: ApiRequest, *, prefix: str = "", server_address: str = "") -> ApiResponse:
    """The answer to ``req``. ``prefix`` is the lab API's URL path (`/k8s/<key>`)."""
    trace = _Trace()
    try:
        req = impersonation.resolve(cluster, req)
        resp = _dispatch(cluster, req, trace, prefix, server_address)
        resp.wrote = trace.wrote
        resp.warnings = trace.warnings
        return resp
    except ApiError as error:
        return ApiResponse.error(error, wrote=trace.wrote)
    except Exception:
        logger.exception("kube API: %s %s failed", req.method, req.path)
        internal = ApiError("an error on the server has prevented the request from succeeding")
        return ApiResponse.error(internal, wrote=trace.wrote)


def _dispatch(
    cluster: Cluster, req: ApiRequest, trace: _Trace, prefix: str, server_address: str
) -> ApiResponse:
    parts = [p for p in req.path.split("/") if p]
    metrics = metrics_api.find(req.path)
    if metrics is not None:
        return metrics_api.handle(cluster, metrics, req)
    if req.method in ("GET", "HEAD"):
        if not parts:
            return ApiResponse(body={"paths": ["/api", "/api/v1", "/apis", "/openapi/v3", "/version"]})
        if len(parts) == 1 and parts[0] in HEALTH_PATHS:
            return ApiResponse(text="ok", content_type="text/plain; charset=utf-8")
        doc = discovery.openapi_document(req.path, prefix)
        if doc is None:
            aggregated = negotiation.wants_aggregated_discovery(req.accept)
            doc = discovery.discovery_document(
                req.path, aggregated_wanted=aggregated, server_address=server_address
            )
            if doc is not None and parts == ["apis"]:
                metrics_api.add_to_discovery(doc, cluster, aggregated)
            if doc is not None and aggregated and parts in (["api"], ["apis"]):
                return ApiResponse(body=doc, content_type=negotiation.AGGREGATED_CONTENT_TYPE)
        if doc is not None:
            return ApiResponse(body=doc)
    review = reviews.find(req.path)
    if review is not None:
        return reviews.handle(review, req, cluster)
    route = resolve_route(req.path)
    if route.subresource is not None:
        resp = subresources.handle(cluster, route, req, trace)
    elif route.is_collection:
        resp = _collection(cluster, route, req, trace)
    else:
        resp = _item(cluster, route, req, trace)
    if route.version and route.subresource != "scale":  # answers in the URL's version
        resp.body = conversion.from_storage(route.kind, route.version, resp.body)
    return resp


# -- collections -------------------------------------------------------------------------------


def _collection(cluster: Cluster, route: Route, req: ApiRequest, trace: _Trace) -> ApiResponse:
    server, kind = cluster.server, route.kind
    if req.method in ("GET", "HEAD"):
        table = negotiation.wants_table(req.accept)
        items, rv, cont, remaining = compat.list_page(
            server,
            req.user,
            kind,
            route.namespace,
            req.query.get("labelSelector") or None,
            req.query.get("fieldSelector") or None,
            limit=req.int_param("limit"),
            continue_token=req.query.get("continue") or None,
        )
        if table:
            body = table_for(cluster, kind, items, req.query.get("includeObject"), rv, cont, remaining)
            return ApiResponse(body=body, content_type=negotiation.TABLE_CONTENT_TYPE)
        meta: Obj = {"resourceVersion": rv}
        if cont:
            meta["continue"] = cont
        if remaining is not None:
            meta["remainingItemCount"] = remaining
        return ApiResponse(
            body={
                "kind": f"{kind.kind}List",
                "apiVersion": kind.api_version,
                "metadata": meta,
                "items": items,
            }
        )
    if req.method == "POST":
        if kind.namespaced and route.namespace is None:
            raise method_not_allowed()
        dry = dry_run(req)
        obj = checked_body(route, req, trace, naming=False)
        trace.wrote = not dry
        created = server.create(req.user, obj, route.namespace, field_manager=_manager(req), dry_run=dry)
        return ApiResponse(201, created)
    if req.method == "DELETE":
        dry = dry_run(req)
        items, _rv = server.list(
            req.user,
            kind.plural,
            route.namespace,
            req.query.get("labelSelector") or None,
            req.query.get("fieldSelector") or None,
        )
        grace, policy, _uid = delete_options(req)
        trace.wrote = not dry
        deleted = [
            server.delete(
                req.user,
                kind.plural,
                o["metadata"]["name"],
                o["metadata"].get("namespace"),
                grace_period_seconds=grace,
                propagation_policy=policy,
                dry_run=dry,
            )
            for o in items
        ]
        rv = str(cluster.revision)
        return ApiResponse(
            body={
                "kind": f"{kind.kind}List",
                "apiVersion": kind.api_version,
                "metadata": {"resourceVersion": rv},
                "items": deleted,
            }
        )
    raise method_not_allowed()


# -- items -------------------------------------------------------------------------------------


def _item(cluster: Cluster, route: Route, req: ApiRequest, trace: _Trace) -> ApiResponse:
    server, kind, name = cluster.server, route.kind, route.name or ""
    if req.method in ("GET", "HEAD"):
        table = negotiation.wants_table(req.accept)
        obj = server.get(req.user, kind.plural, name, route.namespace)
        if table:
            body = table_for(
                cluster, kind, [obj], req.query.get("includeObject"), obj["metadata"].get("resourceVersion")
            )
            return ApiResponse(body=body, content_type=negotiation.TABLE_CONTENT_TYPE)
        return ApiResponse(body=obj)
    if req.method == "PUT":
        dry = dry_run(req)
        obj = checked_body(route, req, trace, naming=True)
        trace.wrote = not dry
        return ApiResponse(body=server.update(req.user, obj, field_manager=_manager(req), dry_run=dry))
    if req.method == "PATCH":
        creating = negotiation.patch_type(req.content_type) == "apply" and not compat.exists(
            server, kind, name, route.namespace
        )
        obj = patched(cluster, route, req, trace, None, compat.stored(server, kind, name, route.namespace))
        return ApiResponse(201 if creating else 200, obj)
    if req.method == "DELETE":
        dry = dry_run(req)
        grace, policy, uid = delete_options(req)
        trace.wrote = not dry
        obj = server.delete(
            req.user,
            kind.plural,
            name,
            route.namespace,
            grace_period_seconds=grace,
            propagation_policy=policy,
            uid_precondition=uid,
            dry_run=dry,
        )
        return ApiResponse(body=deleted_answer(cluster, route, obj))
    raise method_not_allowed()


def deleted_answer(cluster: Cluster, route: Route, obj: Obj) -> Obj:
    """What DELETE answers: the object while it is still there (graceful deletion, finalizers)
    or for kinds whose storage returns it (pods); otherwise a Success Status naming it."""
    kind = route.kind
    if kind.kind in RETURN_DELETED_OBJECT or compat.exists(
        cluster.server, kind, route.name or "", route.namespace
    ):
        return obj
    details = {
        "name": obj["metadata"].get("name", ""),
        "group": kind.group,
        "kind": kind.plural,
        "uid": obj["metadata"].get("uid", ""),
    }
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}


# -- request bodies ----------------------------------------------------------------------------


def checked_body(route: Route, req: ApiRequest, trace: _Trace, *, naming: bool) -> Obj:
    """The body of a create/update/apply, checked against the URL as kube-apiserver checks it:
    an object of the URL's kind (apiVersion and kind filled in when absent), in the URL's
    namespace, and (``naming``) with the URL's name."""
    body = req.body
    kind = route.kind
    if not isinstance(body, dict):
        raise BadRequest(
            f"the request body must be a {kind.kind} object, not "
            f"{'nothing' if body is None else type(body).__name__}"
        )
    obj = copy_json(body)
    api_version = obj.get("apiVersion") or route.api_version
    if api_version != route.api_version:
        raise BadRequest(
            f"the API version in the data ({str(api_version)[:60]}) does not match the expected API "
            f"version ({route.api_version})"
        )
    got_kind = obj.get("kind") or kind.kind
    if got_kind != kind.kind:
        raise BadRequest(
            f"the kind in the data ({str(got_kind)[:60]}) does not match the expected kind ({kind.kind})"
        )
    obj["apiVersion"], obj["kind"] = api_version, got_kind
    meta = obj.get("metadata")
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise BadRequest("metadata must be an object")
    meta = dict(meta)
    obj["metadata"] = meta
    for field in decoding.check_body(obj, strict=decoding.strict(req.query)):
        trace.warnings.append(f'unknown field "{field}"')
    ns = meta.get("namespace")
    if kind.namespaced and ns and route.namespace and ns != route.namespace:
        raise BadRequest(
            "the namespace of the provided object does not match the namespace sent on the request"
        )
    if naming:
        name = meta.get("name")
        if name in (None, "") and req.method == "PATCH":
            meta["name"] = route.name
        elif name != route.name:
            raise BadRequest(
                f"the name of the object ({str(name)[:60]}) does not match the name on the URL ({route.name})"
            )
    return conversion.to_storage(kind, route.served_version, obj)


def delete_options(req: ApiRequest) -> tuple[int | None, str | None, str | None]:
    """(gracePeriodSeconds, propagationPolicy, preconditions.uid) from the body or the query."""
    body = req.body if isinstance(req.body, dict) else {}
    if req.body is not None and not isinstance(req.body, dict):
        raise BadRequest("the body of a delete must be a DeleteOptions object")
    grace = body.get("gracePeriodSeconds")
    if grace is None:
        grace = req.int_param("gracePeriodSeconds")
    if grace is not None and (not isinstance(grace, int) or isinstance(grace, bool)):
        raise BadRequest("gracePeriodSeconds must be an integer")
    if grace is not None and grace < 0:
        grace = 0
    policy = body.get("propagationPolicy") or req.query.get("propagationPolicy") or None
    if body.get("orphanDependents") is True:
        policy = "Orphan"
    if policy is not None and not isinstance(policy, str):
        raise BadRequest("propagationPolicy must be a string")
    uid = (
        (body.get("preconditions") or {}).get("uid") if isinstance(body.get("preconditions"), dict) else None
    )
    return grace, policy, uid if isinstance(uid, str) else None


def patched(
    cluster: Cluster,
    route: Route,
    req: ApiRequest,
    trace: _Trace,
    subresource: str | None,
    current: Obj | None,
) -> Obj:
    """PATCH of an object or of its `status`/`scale` (`current` is what the patch applies to):
    the result must decode as the real server's decoder demands, then the engine patches it."""
    ptype = negotiation.patch_type(req.content_type)
    dry = dry_run(req)
    if req.body is None:
        raise BadRequest("the body of the request was empty")
    if ptype == "apply" and subresource is None:
        body = checked_body(route, req, trace, naming=True)
    elif route.version and subresource != "scale" and current is not None:
        body = _storage_patch(route, req, trace, ptype, current)
        ptype = "merge" if ptype != "apply" else ptype
    else:
        body = req.body
        strict = decoding.strict(req.query)
        for field in decoding.check_patch(current, route.kind, ptype, body, strict=strict):
            trace.warnings.append(f'unknown field "{field}"')
    trace.wrote = not dry
    return cluster.server.patch(
        req.user,
        route.kind.plural,
        route.name or "",
        body,
        route.namespace,
        subresource,
        patch_type=ptype,
        field_manager=_manager(req),
        force=req.flag("force"),
        dry_run=dry,
    )


def _storage_patch(route: Route, req: ApiRequest, trace: _Trace, ptype: str, current: Obj) -> Obj:
    """A patch sent in a served version other than the storage one applies to the object as
    that version shows it (kube-apiserver converts, patches, converts back); the result reaches
    the stored object as a merge patch of the difference. An apply body is just converted."""
    kind, version = route.kind, route.served_version
    if ptype == "apply":
        given = req.body if isinstance(req.body, dict) else {}
        body = {"apiVersion": route.api_version, "kind": kind.kind, **given}
        return conversion.to_storage(kind, version, body)
    seen = conversion.from_storage(kind, version, copy_json(current))
    strict = decoding.strict(req.query)
    for field in decoding.check_patch(seen, kind, ptype, req.body, strict=strict):
        trace.warnings.append(f'unknown field "{field}"')
    merged = apply_patch(ptype, seen, req.body)
    if not isinstance(merged, dict):
        raise BadRequest(f"the patch must leave a {kind.kind} object")
    merged["apiVersion"], merged["kind"] = route.api_version, kind.kind
    return conversion.merge_diff(current, conversion.to_storage(kind, version, merged))


def _manager(req: ApiRequest) -> str | None:
    """`?fieldManager=` (kubectl names itself there: `kubectl-client-side-apply`, `kubectl-edit`)."""
    return req.query.get("fieldManager") or None


#: The options object each write method's `dryRun` belongs to (named in its 422).
OPTIONS_KIND = {
    "POST": "CreateOptions",
    "PUT": "UpdateOptions",
    "PATCH": "PatchOptions",
    "DELETE": "DeleteOptions",
}


def dry_run(req: ApiRequest) -> bool:
    """`?dryRun=All` (or, for a delete, `dryRun: [All]` in the DeleteOptions body): run the write
    without storing it. Any other value is the API server's 422 on the request's options."""
    values = [req.query["dryRun"]] if req.query.get("dryRun") else []
    if req.method == "DELETE" and isinstance(req.body, dict) and req.body.get("dryRun") is not None:
        listed = req.body["dryRun"]
        if not isinstance(listed, list) or not all(isinstance(v, str) for v in listed):
            raise BadRequest("DeleteOptions.dryRun must be a list of strings")
        values += [v for v in listed if v not in values]
    return check_dry_run(OPTIONS_KIND.get(req.method, "CreateOptions"), values)
