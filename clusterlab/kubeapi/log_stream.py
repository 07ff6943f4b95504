"""`GET …/pods/<name>/log`: the query's `PodLogOptions`, and `follow=true` as a held-open stream.

kube-apiserver proxies a log request to the kubelet and copies the kubelet's answer through:
with `follow=true` the response is chunked and stays open, each line sent as the container
writes it, and it ends when the container stops (or the pod goes, or `limitBytes` is used up).
`kubectl logs -f` prints the chunks as they come and returns when the stream ends.

`open_follow` does the synchronous part on the loop that owns the cluster (resolve, validate,
pick the container instance), so a bad request is still a plain 4xx answer; `stream` then
yields the log so far and, as the virtual clock advances, what the container writes next.

Simplified: the stream polls the engine on the wall clock (every `POLL_SECONDS`) instead of
being woken by the write, and gives up after `MAX_FOLLOW_SECONDS` like a watch does.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from clusterlab.engine import Cluster
from clusterlab.engine.errors import BadRequest
from clusterlab.engine.pod_logs import LogOptions, LogReader, parse_since_time
from clusterlab.kubeapi import impersonation
from clusterlab.kubeapi.messages import ApiRequest
from clusterlab.kubeapi.routing import Route

#: How often a follower looks for new lines (wall seconds).
POLL_SECONDS = 0.25
#: Longest a follow stays open (wall seconds), as a watch's default timeout.
MAX_FOLLOW_SECONDS = 1800.0


def log_options(req: ApiRequest) -> LogOptions:
    """The `PodLogOptions` of the query (`container`, `tailLines`, `sinceSeconds`, `sinceTime`,
    `timestamps`, `previous`, `limitBytes`, `follow`); malformed numbers and times are 400s."""
    since_seconds = req.int_param("sinceSeconds")
    return LogOptions(
        container=req.query.get("container") or None,
        tail_lines=req.int_param("tailLines"),
        since_seconds=float(since_seconds) if since_seconds is not None else None,
        since_time=parse_since_time(req.query.get("sinceTime")),
        timestamps=req.flag("timestamps"),
        previous=req.flag("previous"),
        limit_bytes=req.int_param("limitBytes"),
        follow=req.flag("follow"),
    )


def is_follow(route: Route, req: ApiRequest) -> bool:
    """A `GET pods/<name>/log?follow=true`: answered as a stream, not by the dispatcher."""
    return req.method == "GET" and route.subresource == "log" and req.flag("follow")


def open_follow(cluster: Cluster, route: Route, req: ApiRequest) -> LogReader:
    if route.kind.kind != "Pod" or route.name is None:
        raise BadRequest("only pods have logs")
    req = impersonation.resolve(cluster, req)  # as the dispatcher does first
    return cluster.server.open_pod_log(req.user, route.name, route.namespace or "default", log_options(req))


async def stream(reader: LogReader, alive: Callable[[], bool]) -> AsyncIterator[bytes]:
    """The log so far, then each new chunk, until the container stops, the byte limit is used
    up, the lab stops (``alive()`` false), the client leaves, or `MAX_FOLLOW_SECONDS` pass."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + MAX_FOLLOW_SECONDS
    # The first chunk (possibly empty) makes the server send the status line and headers now.
    yield reader.read().encode()
    while not reader.finished() and alive() and loop.time() < deadline:
        await asyncio.sleep(POLL_SECONDS)
        chunk = reader.read()
        if chunk:
            yield chunk.encode()
    tail = reader.read() if alive() else ""  # what the container wrote as it stopped
    if tail:
        yield tail.encode()
