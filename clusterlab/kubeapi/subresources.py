"""Subresources: `status`, `scale`, `log`, `binding`, `eviction` (pods) and `finalize`
(namespaces), each with the verbs kube-apiserver serves on it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from clusterlab.engine import Cluster, decoding
from clusterlab.engine.errors import BadRequest
from clusterlab.kubeapi import compat
from clusterlab.kubeapi.errors import method_not_allowed
from clusterlab.kubeapi.log_stream import log_options
from clusterlab.kubeapi.messages import ApiRequest, ApiResponse
from clusterlab.kubeapi.routing import Route

if TYPE_CHECKING:
    from clusterlab.kubeapi.dispatch import _Trace

Obj = dict[str, Any]


def _typed(body: Any, api_version: str, kind: str) -> Obj:
    """A subresource body as an object of its kind (apiVersion and kind filled in if absent)."""
    if not isinstance(body, dict):
        raise BadRequest(f"the request body must be a {kind} object")
    if body.get("kind") not in (None, kind) or body.get("apiVersion") not in (None, api_version):
        raise BadRequest(
            f"the request body must be a {kind} ({api_version}), not {str(body.get('kind'))[:40]}"
        )
    return {**body, "apiVersion": api_version, "kind": kind}


def _success(code: int) -> Obj:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": code}


def handle(cluster: Cluster, route: Route, req: ApiRequest, trace: _Trace) -> ApiResponse:
    """Serve ``route.subresource`` of ``route.name``."""
    sub = route.subresource
    if sub == "status":
        return _status(cluster, route, req, trace)
    if sub == "scale":
        return _scale(cluster, route, req, trace)
    if sub == "log":
        return _log(cluster, route, req)
    if sub == "binding":
        return _binding(cluster, route, req, trace)
    if sub == "eviction":
        return _eviction(cluster, route, req, trace)
    if sub == "finalize":
        return _finalize(cluster, route, req, trace)
    raise method_not_allowed()


def _status(cluster: Cluster, route: Route, req: ApiRequest, trace: _Trace) -> ApiResponse:
    from clusterlab.kubeapi.dispatch import checked_body, dry_run, patched

    server, kind, name = cluster.server, route.kind, route.name or ""
    if req.method == "GET":
        return ApiResponse(body=server.get(req.user, kind.plural, name, route.namespace))
    if req.method == "PUT":
        dry = dry_run(req)
        obj = checked_body(route, req, trace, naming=True)
        trace.wrote = not dry
        manager = req.query.get("fieldManager") or None
        return ApiResponse(body=server.update(req.user, obj, "status", field_manager=manager, dry_run=dry))
    if req.method == "PATCH":
        current = compat.stored(server, kind, name, route.namespace)
        return ApiResponse(body=patched(cluster, route, req, trace, "status", current))
    raise method_not_allowed()


def _scale(cluster: Cluster, route: Route, req: ApiRequest, trace: _Trace) -> ApiResponse:
    from clusterlab.kubeapi.dispatch import dry_run, patched

    server, kind, name = cluster.server, route.kind, route.name or ""
    manager = req.query.get("fieldManager") or None
    if req.method == "GET":
        return ApiResponse(body=compat.get_scale(server, req.user, kind, name, route.namespace))
    if req.method == "PUT":
        dry = dry_run(req)
        scale_body = _typed(req.body, "autoscaling/v1", "Scale")
        decoding.check_body(scale_body, strict=decoding.strict(req.query))
        trace.wrote = not dry
        scale = compat.update_scale(
            server, req.user, kind, name, route.namespace, scale_body, manager, dry_run=dry
        )
        return ApiResponse(body=scale)
    if req.method == "PATCH":
        current = compat.stored_scale(server, kind, name, route.namespace)
        return ApiResponse(body=patched(cluster, route, req, trace, "scale", current))
    raise method_not_allowed()


def _log(cluster: Cluster, route: Route, req: ApiRequest) -> ApiResponse:
    """The log as one answer. Over HTTP a `follow=true` request is streamed by the view
    (`log_stream.py`); a caller that cannot stream (the console, in process) gets what the
    container has written so far, the stream's first chunk."""
    if req.method != "GET":
        raise method_not_allowed()
    reader = compat.open_pod_log(
        cluster.server, req.user, route.name or "", route.namespace or "default", log_options(req)
    )
    return ApiResponse(text=reader.read(), content_type="text/plain")


def _binding(cluster: Cluster, route: Route, req: ApiRequest, trace: _Trace) -> ApiResponse:
    if req.method != "POST":
        raise method_not_allowed()
    body = _typed(req.body, "v1", "Binding")
    decoding.check_body(body, strict=False)
    target = body.get("target") or {}
    node = target.get("name")
    if not isinstance(node, str) or not node:
        raise BadRequest("Binding.target.name: Required value: a node to bind to")
    trace.wrote = True
    cluster.server.bind(req.user, route.namespace or "default", route.name or "", node)
    return ApiResponse(201, _success(201))


def _eviction(cluster: Cluster, route: Route, req: ApiRequest, trace: _Trace) -> ApiResponse:
    if req.method != "POST":
        raise method_not_allowed()
    from clusterlab.kubeapi.dispatch import dry_run

    dry = dry_run(req)
    eviction = _typed(req.body, "policy/v1", "Eviction")
    decoding.check_body(eviction, strict=False)
    options = eviction.get("deleteOptions")
    trace.wrote = not (dry or (isinstance(options, dict) and bool(options.get("dryRun"))))
    namespace = route.namespace or "default"
    compat.evict(cluster.server, req.user, route.name or "", namespace, eviction, dry_run=dry)
    return ApiResponse(201, _success(201))


def _finalize(cluster: Cluster, route: Route, req: ApiRequest, trace: _Trace) -> ApiResponse:
    if req.method != "PUT":
        raise method_not_allowed()
    body = req.body if isinstance(req.body, dict) else {}
    finalizers = (body.get("spec") or {}).get("finalizers") if isinstance(body.get("spec"), dict) else None
    if not isinstance(finalizers, list) or not all(isinstance(f, str) for f in finalizers):
        finalizers = []
    trace.wrote = True
    return ApiResponse(body=cluster.server.finalize_namespace(req.user, route.name or "", finalizers))
