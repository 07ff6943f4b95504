"""A canned Kubernetes API for printer tests, and a way to point the real kubectl at it.

`CannedAPI` answers like kube-apiserver does for the few shapes the tests need: aggregated
discovery (`GET /api`, `GET /apis`), collection GETs (a `Table` when the Accept asks for one,
else a `*List`), item GETs (the object or a 404 `Status`), events and logs. It implements the
console's `Transport`, and `serve()` puts it behind a local HTTP server so the real kubectl
binary can read the very same answers. Comparing both outputs checks the console's printers
against kubectl itself. It is not an API server: writes are only recorded and answered with
what the test canned.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from clusterlab.kubectl.transport import JSON, Request, Response

AGG = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
TABLE_CT = "application/json;as=Table;v=v1;g=meta.k8s.io"
ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

# (group, version, plural, kind, namespaced, shortNames, categories, subresources)
RESOURCES: list[tuple[str, str, str, str, bool, list[str], list[str], list[str]]] = [
    ("", "v1", "namespaces", "Namespace", False, ["ns"], [], ["status"]),
    ("", "v1", "nodes", "Node", False, ["no"], [], ["status"]),
    ("", "v1", "pods", "Pod", True, ["po"], ["all"], ["eviction", "log", "status", "binding"]),
    ("", "v1", "events", "Event", True, ["ev"], [], []),
    ("apps", "v1", "deployments", "Deployment", True, ["deploy"], ["all"], ["scale", "status"]),
    ("apps", "v1", "replicasets", "ReplicaSet", True, ["rs"], ["all"], ["scale", "status"]),
    ("coordination.k8s.io", "v1", "leases", "Lease", True, [], [], []),
]


def discovery(group_names: list[str]) -> dict[str, Any]:
    """An `APIGroupDiscoveryList` for the given groups (`""` is the core group), each served at
    the version its `RESOURCES` name."""
    items = []
    for g in group_names:
        resources = []
        served = "v1"
        for group, version, plural, kind, namespaced, short, cats, subs in RESOURCES:
            if group != g:
                continue
            served = version
            entry: dict[str, Any] = {
                "resource": plural,
                "responseKind": {"group": group, "version": version, "kind": kind},
                "scope": "Namespaced" if namespaced else "Cluster",
                "singularResource": kind.lower(),
                "verbs": ALL_VERBS if kind != "Event" else [*ALL_VERBS],
            }
            if short:
                entry["shortNames"] = short
            if cats:
                entry["categories"] = cats
            if subs:
                entry["subresources"] = [
                    {
                        "subresource": s,
                        "responseKind": {"group": group, "version": version, "kind": kind},
                        "verbs": ["get"],
                    }
                    for s in subs
                ]
            resources.append(entry)
        items.append(
            {
                "metadata": {"name": g, "creationTimestamp": None},
                "versions": [{"version": served, "resources": resources, "freshness": "Current"}],
            }
        )
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": items,
    }


def _plural_of(obj: dict[str, Any]) -> tuple[str, str, bool]:
    for group, version, plural, kind, namespaced, *_ in RESOURCES:
        if kind == obj.get("kind"):
            return (f"/apis/{group}/{version}" if group else f"/api/{version}"), plural, namespaced
    raise KeyError(obj.get("kind"))


class CannedAPI:
    """See the module docstring. `tables[plural]` builds a Table from a list of objects;
    `groups` are the API groups `GET /apis` discovers."""

    def __init__(
        self,
        objects: list[dict[str, Any]],
        tables: dict[str, Any] | None = None,
        logs: dict[str, str] | None = None,
        canned: dict[tuple[str, str], Response] | None = None,
        groups: list[str] | None = None,
    ) -> None:
        self.objects = objects
        self.tables = tables or {}
        self.logs = logs or {}
        self.canned = canned or {}
        self.groups = groups or ["apps", "coordination.k8s.io"]
        self.requests: list[Request] = []

    def request(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
        accept: str = JSON,
    ) -> Response:
        query = dict(query or {})
        self.requests.append(Request(method, path, query, body, content_type, accept))
        if (method, path) in self.canned:
            return self.canned[(method, path)]
        if path == "/version":
            return _json(
                200, {"major": "1", "minor": "32", "gitVersion": "v1.32.0", "platform": "linux/amd64"}
            )
        if path == "/api":
            return Response(200, AGG, json.dumps(discovery([""])).encode())
        if path == "/apis":
            return Response(200, AGG, json.dumps(discovery(self.groups)).encode())
        if method != "GET":
            return _status(405, "MethodNotAllowed", "the canned API only reads")
        if path.endswith("/log"):
            return Response(200, "text/plain", self.logs.get(path.split("/")[-2], "").encode())
        for obj in self.objects:
            prefix, plural, namespaced = _plural_of(obj)
            meta = obj["metadata"]
            base = (
                f"{prefix}/namespaces/{meta.get('namespace')}/{plural}"
                if namespaced
                else f"{prefix}/{plural}"
            )
            if path == f"{base}/{meta['name']}":
                if "as=Table" in accept and plural in self.tables:
                    return Response(200, TABLE_CT, json.dumps(self.tables[plural]([obj])).encode())
                return _json(200, obj)
        for group, version, plural, kind, namespaced, *_ in RESOURCES:
            prefix = f"/apis/{group}/{version}" if group else f"/api/{version}"
            ns = None
            if path == f"{prefix}/{plural}":
                pass
            elif namespaced and path.startswith(f"{prefix}/namespaces/") and path.endswith(f"/{plural}"):
                ns = path[len(f"{prefix}/namespaces/") : -len(plural) - 1]
            else:
                continue
            items = [
                o
                for o in self.objects
                if o["kind"] == kind and (ns is None or o["metadata"].get("namespace") == ns)
            ]
            items = _field_filter(items, query.get("fieldSelector", ""))
            if "as=Table" in accept and plural in self.tables:
                table = self.tables[plural](items)
                return Response(200, TABLE_CT, json.dumps(table).encode())
            lst = {
                "kind": f"{kind}List",
                "apiVersion": f"{group}/{version}" if group else version,
                "metadata": {"resourceVersion": "100"},
                "items": items,
            }
            return _json(200, lst)
        name = path.rsplit("/", 1)[-1]
        return _status(404, "NotFound", f'{path.split("/")[-2]} "{name}" not found')


def _field_filter(items: list[dict[str, Any]], selector: str) -> list[dict[str, Any]]:
    for term in filter(None, selector.split(",")):
        negate = "!=" in term
        key, _, value = term.replace("!=", "=").partition("=")
        path = key.split(".")

        def get(o: Any, path: list[str] = path) -> Any:
            for p in path:
                o = o.get(p) if isinstance(o, dict) else None
            return "" if o is None else o

        items = [o for o in items if (str(get(o)) == value) != negate]
    return items


def _json(code: int, body: Any) -> Response:
    return Response(code, JSON, json.dumps(body).encode())


def _status(code: int, reason: str, message: str) -> Response:
    return _json(
        code,
        {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "code": code,
        },
    )


@contextmanager
def serve(api: CannedAPI) -> Iterator[str]:
    """Serve `api` over HTTP on a free local port; yields the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def _do(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            query = dict(parse_qsl(url.query))
            query.pop("timeout", None)
            resp = api.request(
                self.command,
                url.path,
                query=query,
                body=body,
                content_type=self.headers.get("Content-Type"),
                accept=self.headers.get("Accept") or JSON,
            )
            self.send_response(resp.status)
            self.send_header("Content-Type", resp.content_type)
            self.send_header("Content-Length", str(len(resp.body)))
            self.end_headers()
            self.wfile.write(resp.body)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _do

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


KUBECTL = shutil.which("kubectl.1.32") or "/usr/lib/google-cloud-sdk/bin/kubectl.1.32"


def have_kubectl() -> bool:
    return os.path.exists(KUBECTL)


def real_kubectl(api: CannedAPI, args: list[str], stdin: str = "") -> tuple[str, str, int]:
    """Run the real kubectl 1.32 against `api`; returns (stdout, stderr, exit code)."""
    with serve(api) as url, tempfile.TemporaryDirectory() as home:
        env = {"HOME": home, "PATH": "/usr/bin:/bin", "KUBECONFIG": os.path.join(home, "none")}
        proc = subprocess.run(
            [KUBECTL, f"--server={url}", f"--cache-dir={home}/cache", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=30,
        )
    return proc.stdout, proc.stderr, proc.returncode
