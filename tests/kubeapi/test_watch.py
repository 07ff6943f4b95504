"""Watch streams against an engine cluster (no server): event lines, Tables, bookmarks,
initial events, timeouts, resuming, 410."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.kubeapi import watch
from clusterlab.kubeapi.dispatch import dispatch
from clusterlab.kubeapi.messages import ApiRequest
from clusterlab.kubeapi.routing import resolve_route

PODS = "/api/v1/namespaces/default/pods"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


def pod(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
    }


@pytest.fixture
def cluster() -> Cluster:
    c = Cluster.from_scenario("default", seed=2)
    c.advance(2)
    return c


def open_stream(cluster: Cluster, query: dict[str, str], accept: str = "") -> AsyncIterator[bytes]:
    req = ApiRequest("GET", PODS, query={"watch": "true", **query}, accept=accept)
    watcher = watch.open_watch(cluster, resolve_route(PODS), req)
    return watch.stream(watcher, lambda: True)


async def next_event(lines: AsyncIterator[bytes]) -> dict[str, Any]:
    while True:
        chunk = await asyncio.wait_for(anext(lines), 5)
        if chunk:
            return json.loads(chunk)  # type: ignore[no-any-return]


def rv_now(cluster: Cluster) -> str:
    return str(cluster.revision)


async def test_events_arrive_as_the_clock_delivers_them(cluster: Cluster) -> None:
    lines = open_stream(cluster, {"resourceVersion": rv_now(cluster)})
    assert await anext(lines) == b""
    dispatch(cluster, ApiRequest("POST", PODS, body=pod("a")))
    cluster.advance(0.1)
    event = await next_event(lines)
    assert event["type"] == "ADDED" and event["object"]["metadata"]["name"] == "a"
    dispatch(cluster, ApiRequest("DELETE", PODS + "/a", body={"gracePeriodSeconds": 0}))
    cluster.advance(0.1)
    types = [(await next_event(lines))["type"]]
    while types[-1] != "DELETED":
        types.append((await next_event(lines))["type"])
    assert types[-1] == "DELETED"
    await lines.aclose()  # type: ignore[attr-defined]


async def test_table_events_carry_headers_once(cluster: Cluster) -> None:
    lines = open_stream(cluster, {"resourceVersion": rv_now(cluster)}, accept=TABLE)
    dispatch(cluster, ApiRequest("POST", PODS, body=pod("a")))
    dispatch(cluster, ApiRequest("POST", PODS, body=pod("b")))
    cluster.advance(0.1)
    first, second = await next_event(lines), await next_event(lines)
    assert first["object"]["kind"] == "Table" and first["object"]["columnDefinitions"][0]["name"] == "Name"
    assert second["object"]["columnDefinitions"] is None
    assert [first["object"]["rows"][0]["cells"][0], second["object"]["rows"][0]["cells"][0]] == ["a", "b"]
    await lines.aclose()  # type: ignore[attr-defined]


async def test_without_a_version_the_current_state_comes_first(cluster: Cluster) -> None:
    dispatch(cluster, ApiRequest("POST", PODS, body=pod("a")))
    lines = open_stream(cluster, {})
    event = await next_event(lines)
    assert (event["type"], event["object"]["metadata"]["name"]) == ("ADDED", "a")
    await lines.aclose()  # type: ignore[attr-defined]


async def test_initial_events_end_with_a_bookmark(cluster: Cluster) -> None:
    dispatch(cluster, ApiRequest("POST", PODS, body=pod("a")))
    lines = open_stream(
        cluster,
        {"sendInitialEvents": "true", "allowWatchBookmarks": "true", "resourceVersionMatch": "NotOlderThan"},
    )
    assert (await next_event(lines))["type"] == "ADDED"
    bookmark = await next_event(lines)
    assert bookmark["type"] == "BOOKMARK"
    assert bookmark["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert int(bookmark["object"]["metadata"]["resourceVersion"]) >= int(rv_now(cluster)) - 1
    await lines.aclose()  # type: ignore[attr-defined]


async def test_periodic_bookmarks_and_timeout(cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watch, "BOOKMARK_SECONDS", 0.2)
    lines = open_stream(
        cluster, {"resourceVersion": rv_now(cluster), "allowWatchBookmarks": "true", "timeoutSeconds": "1"}
    )
    event = await next_event(lines)
    assert event["type"] == "BOOKMARK" and event["object"]["kind"] == "Pod"
    rest = [c async for c in lines]  # ends by itself after timeoutSeconds
    assert all(json.loads(c)["type"] == "BOOKMARK" for c in rest if c)


async def test_resuming_from_a_version_replays_what_came_after(cluster: Cluster) -> None:
    rv = rv_now(cluster)
    dispatch(cluster, ApiRequest("POST", PODS, body=pod("late")))
    lines = open_stream(cluster, {"resourceVersion": rv})
    cluster.advance(0.1)
    event = await next_event(lines)
    assert (event["type"], event["object"]["metadata"]["name"]) == ("ADDED", "late")
    await lines.aclose()  # type: ignore[attr-defined]


async def test_a_compacted_version_is_a_410_error_event(cluster: Cluster) -> None:
    cluster.advance(900)
    lines = open_stream(cluster, {"resourceVersion": "5"})
    event = await next_event(lines)
    assert (
        event["type"] == "ERROR" and event["object"]["code"] == 410 and event["object"]["reason"] == "Expired"
    )
    assert [c async for c in lines] == []


async def test_a_watch_nobody_reads_is_dropped(cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watch, "MAX_PENDING", 2)
    req = ApiRequest("GET", PODS, query={"watch": "true", "resourceVersion": rv_now(cluster)})
    watcher = watch.open_watch(cluster, resolve_route(PODS), req)
    for name in ("a", "b", "c"):
        dispatch(cluster, ApiRequest("POST", PODS, body=pod(name)))
    cluster.advance(0.1)
    assert watcher.engine_watch is None and not watcher.pending  # unregistered from the engine
    lines = watch.stream(watcher, lambda: True)
    event = await next_event(lines)
    assert event["type"] == "ERROR" and event["object"]["code"] == 410
