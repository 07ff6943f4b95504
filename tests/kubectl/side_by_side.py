"""The console and the real kubectl 1.32, side by side on the same canned API answers.

A side-by-side test snapshots what an engine cluster shows after the test's setup
(`EngineSnapshot`), serves those objects (with the engine's own Tables) from two identical
`CannedAPI`s, runs the real kubectl binary against one and the console against the other
(`run_both`), and asserts that stdout, stderr, the exit code and the requests each sent after
discovery are the same (`assert_prints_what_kubectl_prints`). Kinds the base canned API does
not serve are made discoverable with an autouse fixture (`serve_kinds`).
"""

from __future__ import annotations

import copy
import json
import shlex
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine import tables as engine_tables
from clusterlab.kubectl import run
from clusterlab.kubectl.transport import Request

from . import fakeapi
from .fakeapi import CannedAPI, real_kubectl

Resource = tuple[str, str, str, str, bool, list[str], list[str], list[str]]


def applied(manifest: str, seconds: float) -> Callable[[], Cluster]:
    """A setup that applies `manifest` to a fresh default cluster and lets `seconds` pass."""

    def setup() -> Cluster:
        c = Cluster()
        c.apply(manifest)
        c.advance(seconds)
        return c

    return setup


class EngineSnapshot:
    """The objects of `kinds` an engine cluster holds after `setup`, observed once (on first use)
    and handed out as fresh copies, so each canned API may be changed by the test that uses it."""

    def __init__(
        self,
        setup: Callable[[], Cluster],
        kinds: Iterable[str],
        keep: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        self._setup = setup
        self._kinds = tuple(kinds)
        self._keep = keep
        self._taken: tuple[list[dict[str, Any]], Cluster] | None = None

    def _take(self) -> tuple[list[dict[str, Any]], Cluster]:
        if self._taken is None:
            c = self._setup()
            objs = [copy.deepcopy(o) for k in self._kinds for o in c.observe(k)]
            if self._keep is not None:
                objs = [o for o in objs if self._keep(o)]
            self._taken = (objs, c)
        return self._taken

    @property
    def cluster(self) -> Cluster:
        return self._take()[1]

    def objects(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self._take()[0])

    def tables(self, plurals: Iterable[str]) -> dict[str, Callable[[list[dict[str, Any]]], Any]]:
        """The engine's Tables for `plurals`, with ages on the snapshot cluster's clock."""
        return {p: engine_tables_at(self.cluster, p) for p in plurals}

    def api(
        self,
        table_plurals: Iterable[str],
        *,
        groups: list[str] | None = None,
        logs: Callable[[list[dict[str, Any]]], dict[str, str]] | None = None,
        canned: dict[Any, Any] | None = None,
    ) -> CannedAPI:
        """A canned API over a fresh copy of the objects; `logs` picks the log text per pod."""
        objs = self.objects()
        return CannedAPI(
            objs,
            self.tables(table_plurals),
            logs=logs(objs) if logs else None,
            canned=canned,
            groups=groups,
        )


def engine_tables_at(cluster: Cluster, plural: str) -> Callable[[list[dict[str, Any]]], Any]:
    """kube-apiserver's Table for `plural`, as the engine prints it at `cluster`'s now."""
    return lambda items: engine_tables.to_table(plural, items, now=cluster.now, epoch=cluster.epoch)


def serve_kinds(*resources: Resource) -> Any:
    """An autouse fixture that makes `resources` discoverable on every canned API of the module
    (assign it to a module-level name)."""

    @pytest.fixture(autouse=True)
    def _served(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
        monkeypatch.setattr(fakeapi, "RESOURCES", [*fakeapi.RESOURCES, *resources])
        yield

    return _served


def sent_requests(reqs: list[Request]) -> list[Any]:
    """The requests after discovery, as comparable tuples: method, path, query (without
    kubectl's `timeout`, field selectors sorted: kubectl builds some from a Go map), the body's
    media type and the JSON body (`"<protobuf>"` for one that is not JSON)."""
    out = []
    for r in reqs:
        if r.path in ("/api", "/apis", "/version") or r.path.startswith("/openapi"):
            continue
        query = {k: v for k, v in r.query.items() if k != "timeout"}
        if "fieldSelector" in query:
            query["fieldSelector"] = ",".join(sorted(query["fieldSelector"].split(",")))
        try:
            body = json.loads(r.body) if r.body else None
        except ValueError:
            body = "<protobuf>"
        out.append((r.method, r.path, query, (r.content_type or "").split(";")[0] if r.body else None, body))
    return out


Printed = tuple[str, str, int]


def run_both(
    apis: tuple[CannedAPI, CannedAPI],
    command: str | list[str],
    *,
    stdin: str = "",
    now: datetime | None = None,
) -> tuple[Printed, Printed]:
    """Run `command` (what follows `kubectl`) with the real kubectl on `apis[0]` and in the
    console on `apis[1]`; returns both (stdout, stderr, exit code). A string is split on white
    space for kubectl and typed as it is into the console; a list is kubectl's argv, quoted for
    the console."""
    args = command.split() if isinstance(command, str) else command
    line = command if isinstance(command, str) else shlex.join(command)
    theirs = real_kubectl(apis[0], args, stdin)
    mine = run("kubectl " + line, apis[1], stdin=stdin, now=now)
    return theirs, (mine.stdout, mine.stderr, mine.exit_code)


def assert_prints_what_kubectl_prints(
    make_api: Callable[[], CannedAPI],
    command: str | list[str],
    *,
    stdin: str = "",
    same_requests: bool = True,
) -> Printed:
    """The console prints what kubectl prints (and, unless told otherwise, sends the same
    requests) for `command`, each on an API of its own from `make_api`. The console's clock is
    the wall clock's now, as the real kubectl's is when it computes an age itself."""
    apis = (make_api(), make_api())
    theirs, mine = run_both(apis, command, stdin=stdin, now=datetime.now(UTC))
    assert mine == theirs, command
    if same_requests:
        assert sent_requests(apis[1].requests) == sent_requests(apis[0].requests)
    return theirs
