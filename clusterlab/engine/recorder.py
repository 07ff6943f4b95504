"""The event recorder components use to report what they did (client-go's EventRecorder).

Each `event()` call becomes a core/v1 Event written through the API server, named
`<object>.<hex nanoseconds>` as client-go names them. A repeat of the same event (same
object, type, reason, message and source) increments `count` and `lastTimestamp` on the
existing Event instead of creating another — the correlator's de-duplication, which is why
`kubectl describe` shows `(x4 over 2m)`. Recording never fails the caller.

Simplified: the correlator's aggregation of *similar* events ("combined from similar
events") and its spam filter are not modelled.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from .apiserver import APIServer
from .audit import User
from .errors import ApiError
from .timefmt import parse_epoch

Obj = dict[str, Any]
# client-go's EventCorrelator keeps an LRU of 4096 recent events per recorder.
CACHE_SIZE = 4096


def object_ref(obj: Obj, field_path: str | None = None) -> Obj:
    """`ObjectReference` to `obj`. A mirror pod stands for a static pod, whose UID (as the kubelet
    knows it, and so in the events it records) is the config hash in its `config.mirror`
    annotation; `kubectl describe` looks its events up by that UID."""
    meta = obj["metadata"]
    uid = (meta.get("annotations") or {}).get("kubernetes.io/config.mirror") or meta.get("uid")
    ref = {
        "kind": obj["kind"],
        "namespace": meta.get("namespace"),
        "name": meta["name"],
        "uid": uid,
        "apiVersion": obj["apiVersion"],
        "resourceVersion": meta.get("resourceVersion"),
    }
    if field_path:
        ref["fieldPath"] = field_path
    return {k: v for k, v in ref.items() if v is not None}


class EventRecorder:
    def __init__(self, server: APIServer, user: User, component: str, host: str | None = None) -> None:
        self.server = server
        self.user = user
        self.component = component
        self.host = host
        self._seen: OrderedDict[tuple[Any, ...], str] = OrderedDict()
        self._epoch_ns = int(server.epoch.timestamp()) * 10**9 if server.epoch else 0

    def event(self, obj: Obj, etype: str, reason: str, message: str, field_path: str | None = None) -> None:
        ref = object_ref(obj, field_path)
        namespace = ref.get("namespace") or "default"
        key = (
            ref.get("kind"),
            namespace,
            ref.get("name"),
            ref.get("uid"),
            field_path,
            etype,
            reason,
            message,
        )
        now = self.server.timestamp()
        existing = self._seen.get(key)
        try:
            if existing is not None:
                current = self.server.store.get("events", namespace, existing)
                if current is not None:
                    self.server.patch(
                        self.user,
                        "events",
                        existing,
                        {"count": int(current.get("count", 1)) + 1, "lastTimestamp": now},
                        namespace=namespace,
                        copy=False,
                    )
                    return
            nanos = self._epoch_ns + round(self.server.clock.now * 1e9)
            name = f"{ref['name']}.{nanos:x}"
            while self.server.store.get("events", namespace, name) is not None:
                nanos += 1
                name = f"{ref['name']}.{nanos:x}"
            source: Obj = {"component": self.component}
            if self.host:
                source["host"] = self.host
            self.server.create(
                self.user,
                {
                    "apiVersion": "v1",
                    "kind": "Event",
                    "metadata": {"name": name, "namespace": namespace},
                    "involvedObject": ref,
                    "reason": reason,
                    "message": message,
                    "source": source,
                    "firstTimestamp": now,
                    "lastTimestamp": now,
                    "count": 1,
                    "type": etype,
                    "eventTime": None,
                    "reportingComponent": self.component,
                    "reportingInstance": self.host or "",
                },
                copy=False,
            )
            self._seen[key] = name
            if len(self._seen) > CACHE_SIZE:
                self._seen.popitem(last=False)
        except ApiError:
            pass  # events are best-effort, as in client-go's broadcaster


__all__ = ["EventRecorder", "object_ref", "parse_epoch"]
