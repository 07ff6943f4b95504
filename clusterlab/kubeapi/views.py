"""Thin async views: find the lab by its API key, turn the HTTP request into an `ApiRequest`,
run it on the lab's live cluster (on this event loop, where the runner ticks it), log writes
for replay, and shape the answer. Also the owner-only kubeconfig download."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from clusterlab.engine.errors import ApiError, ServiceUnavailable
from clusterlab.kubeapi import impersonation, log_stream, metrics_api, negotiation, reviews, watch
from clusterlab.kubeapi.dispatch import dispatch
from clusterlab.kubeapi.errors import MAX_BODY_BYTES, RequestEntityTooLarge, resource_not_found
from clusterlab.kubeapi.keys import lab_for
from clusterlab.kubeapi.kubeconfig import context_name, kubeconfig_yaml
from clusterlab.kubeapi.messages import ApiRequest, ApiResponse, component_from_user_agent
from clusterlab.kubeapi.replay import API_ACTION
from clusterlab.kubeapi.routing import Route, resolve_route
from clusterlab.labs.access import aget_owned_lab
from clusterlab.labs.live import LiveLab, get_live_lab

logger = logging.getLogger(__name__)

_WATCH_PREFIX = re.compile(r"^(/api/[^/]+|/apis/[^/]+/[^/]+)/watch(/.*)$")


def _warning(text: str) -> str:
    """One RFC 7234 warning as kube-apiserver sends them (`299 - "text"`)."""
    quoted = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'299 - "{quoted}"'


def _json_response(resp: ApiResponse) -> HttpResponse:
    if resp.text is not None:
        out = HttpResponse(resp.text, status=resp.status, content_type=resp.content_type)
    else:
        body = json.dumps(resp.body, separators=(",", ":"))
        out = HttpResponse(body, status=resp.status, content_type=resp.content_type)
    if resp.warnings:
        out["Warning"] = ", ".join(_warning(w) for w in resp.warnings)
    # 404s are routine here (kubectl apply asks before it creates) and the path holds the lab's
    # key: keep them out of django.request's warnings (failures are logged by the dispatcher).
    out._has_been_logged = True  # type: ignore[attr-defined]
    return out


def _error(error: ApiError) -> HttpResponse:
    return _json_response(ApiResponse.error(error))


def _read_body(request: HttpRequest) -> bytes:
    """The raw body, refusing more than kube-apiserver's 3 MiB before reading it all."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        raise RequestEntityTooLarge(f"Request entity too large: limit is {MAX_BODY_BYTES}")
    raw = request.read(MAX_BODY_BYTES + 1)
    negotiation.check_size(raw)
    return raw


def _api_request(request: HttpRequest, path: str) -> ApiRequest:
    query = {k: request.GET.get(k, "") for k in request.GET}
    match = _WATCH_PREFIX.match(path)
    if match:  # the legacy /api/v1/watch/… form of ?watch=true
        path = match.group(1) + match.group(2)
        query["watch"] = "true"
    body = None
    content_type = request.META.get("CONTENT_TYPE", "")
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if reviews.find(path) is None and metrics_api.find(path) is None:
            resolve_route(path)  # a path that names nothing is a 404 whatever its body
        body = negotiation.decode_body(_read_body(request), content_type)
    return ApiRequest(
        method=request.method or "GET",
        path=path,
        query=query,
        body=body,
        content_type=negotiation.media_type(content_type),
        accept=request.META.get("HTTP_ACCEPT", ""),
        component=component_from_user_agent(request.META.get("HTTP_USER_AGENT")),
        impersonate_user=request.headers.get("Impersonate-User", ""),
        impersonate_groups=_header_values(request, "Impersonate-Group"),
    )


def _header_values(request: HttpRequest, name: str) -> tuple[str, ...]:
    """Every value of a header that may repeat (the server joins repeats with commas)."""
    raw = request.headers.get(name, "")
    return tuple(v.strip() for v in raw.split(",") if v.strip())


@csrf_exempt
async def kube_api(request: HttpRequest, key: str, rest: str | None = None) -> HttpResponse:
    """Everything under `/k8s/<key>/`: the lab's Kubernetes API. Under `/k8s/-/` the key comes as
    a bearer token instead (kubectl sends tokens over https only; the key-in-URL form is for http)."""
    try:
        lab = await lab_for(key, request.META.get("HTTP_AUTHORIZATION", ""))
        if lab is None:
            return _error(resource_not_found())
        req = _api_request(request, rest or "/")
        live = await get_live_lab(lab)
        live.touch()
        if not live.runner.cluster.api_available():
            # No kube-apiserver runs: on a real cluster not even discovery would answer.
            return _error(ServiceUnavailable("The connection to the server was refused"))
        if req.method == "GET" and req.flag("watch") and metrics_api.find(req.path) is None:
            return _watch(live, req)
        if req.method == "GET" and req.flag("follow") and req.path.rstrip("/").endswith("/log"):
            route = resolve_route(req.path)
            if log_stream.is_follow(route, req):
                return _follow_log(live, route, req)
        at = live.runner.now
        resp = dispatch(live.runner.cluster, req, prefix=f"/k8s/{key}", server_address=request.get_host())
        if resp.wrote:
            entry = live.runner.log_applied(API_ACTION, req.to_log(), f"kubeapi:{req.component}", at)
            await live.record(entry)
        return _json_response(resp)
    except ApiError as error:
        return _error(error)
    except Exception:
        logger.exception("kube API request failed: %s %s", request.method, rest)
        return _error(ApiError("an error on the server has prevented the request from succeeding"))


def _watch(live: LiveLab, req: ApiRequest) -> HttpResponse:
    """Open a watch now (errors are plain answers) and stream it; the lab stays live meanwhile."""
    cluster = live.runner.cluster
    req = impersonation.resolve(cluster, req)
    watcher = watch.open_watch(cluster, resolve_route(req.path), req)

    def alive() -> bool:
        return live.running and live.runner.cluster is cluster

    async def lines() -> AsyncIterator[bytes]:
        live.attach()  # here, so a stream that never starts cannot hold the lab forever
        try:
            async for line in watch.stream(watcher, alive):
                yield line
        finally:
            live.detach()

    response = StreamingHttpResponse(lines(), content_type="application/json")
    response["Cache-Control"] = "no-cache, private"
    return response


def _follow_log(live: LiveLab, route: Route, req: ApiRequest) -> HttpResponse:
    """`logs -f`: open the log now (errors are plain answers) and stream it while the lab runs."""
    cluster = live.runner.cluster
    reader = log_stream.open_follow(cluster, route, req)

    def alive() -> bool:
        return live.running and live.runner.cluster is cluster

    async def chunks() -> AsyncIterator[bytes]:
        live.attach()
        try:
            async for chunk in log_stream.stream(reader, alive):
                yield chunk
        finally:
            live.detach()

    response = StreamingHttpResponse(chunks(), content_type="text/plain")
    response["Cache-Control"] = "no-cache, private"
    return response


@require_GET
async def download_kubeconfig(request: HttpRequest, lab_id: str) -> HttpResponse:
    """The lab's kubeconfig, for its owner only (anyone else: 404, as for the lab page)."""
    user = await request.auser()
    lab = await aget_owned_lab(lab_id, user, request.session.session_key)
    if lab is None:
        raise Http404("No such lab.")
    base = f"{request.scheme}://{request.get_host()}"
    response = HttpResponse(kubeconfig_yaml(lab, base), content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{context_name(lab)}.kubeconfig"'
    response["Cache-Control"] = "no-store"
    return response
