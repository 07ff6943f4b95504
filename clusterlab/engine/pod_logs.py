"""Reading a container's log: the `pods/log` subresource, once or followed.

kube-apiserver validates the `PodLogOptions` (`tailLines` ≥ 0, `limitBytes` > 0,
`sinceSeconds` > 0, not both `sinceSeconds` and `sinceTime`) and proxies the request to the
kubelet of the pod's node, which reads the container's log file (`GET /containerLogs/...`):
- `sinceSeconds`/`sinceTime` keep the lines written from then on, `tailLines` the last N of
  those, `timestamps` prefixes each line with its RFC 3339 nanosecond time;
- `limitBytes` stops the output after that many bytes, even inside a line;
- `follow` keeps the response open and sends each line as the container writes it; the
  stream ends when the container stops running (or is replaced, or its pod goes), when
  `limitBytes` is used up, or when the client hangs up.

`LogReader` is that file position: the first `read()` answers what a plain request answers,
each later `read()` the lines written since; `finished()` says whether a follower should stop.

Simplified: the kubelet learns of new lines through fsnotify; a follower here asks again
(the API layer polls on the wall clock while the virtual clock advances).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import ApiError, BadRequest, invalid
from .node.container_logs import LogLine, log_timestamp
from .timefmt import seconds_since

if TYPE_CHECKING:
    from datetime import datetime

    from .clock import Clock
    from .store import Store

Obj = dict[str, Any]
KUBELET_PORT = 10250
NEGATIVE = "must be greater than or equal to 0"
NOT_POSITIVE = "must be greater than 0"


@dataclass(frozen=True)
class LogOptions:
    """`PodLogOptions` as the query string carries them."""

    container: str | None = None
    tail_lines: int | None = None
    since_seconds: float | None = None
    since_time: str | None = None
    timestamps: bool = False
    previous: bool = False
    limit_bytes: int | None = None
    follow: bool = False

    def validate(self, pod: str) -> None:
        """kube-apiserver's `ValidatePodLogOptions`: a 422 naming every bad option."""
        causes: list[tuple[str, str]] = []
        if self.tail_lines is not None and self.tail_lines < 0:
            causes.append(("tailLines", f"Invalid value: {self.tail_lines}: {NEGATIVE}"))
        if self.limit_bytes is not None and self.limit_bytes < 1:
            causes.append(("limitBytes", f"Invalid value: {self.limit_bytes}: {NOT_POSITIVE}"))
        if self.since_seconds is not None and self.since_time is not None:
            causes.append(("", "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified"))
        elif self.since_seconds is not None and self.since_seconds < 1:
            causes.append(("sinceSeconds", f"Invalid value: {int(self.since_seconds)}: {NOT_POSITIVE}"))
        if causes:
            raise invalid("PodLogOptions", "", pod, causes)


class LogReader:
    """One container instance's log, read from where the last `read()` stopped."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        epoch: datetime,
        runtime: Any,
        pod: Obj,
        container: str,
        container_id: str,
        options: LogOptions,
    ) -> None:
        self._store, self._clock, self._epoch, self._runtime = store, clock, epoch, runtime
        meta = pod["metadata"]
        self.namespace, self.pod, self.uid = meta.get("namespace"), meta["name"], meta.get("uid")
        self.container, self.container_id, self.options = container, container_id, options
        self._sent: int | None = None  # lines of the log already answered (None: nothing read yet)
        self._bytes_left = options.limit_bytes

    def read(self) -> str:
        """The first call: the log as the options select it; later calls: the lines written since."""
        lines: list[LogLine] = self._runtime.container_log(self.container_id) if self._runtime else []
        picked = self._initial(lines) if self._sent is None else lines[self._sent :]
        self._sent = len(lines)
        text = "".join(
            f"{log_timestamp(self._epoch, t)} {line}\n" if self.options.timestamps else f"{line}\n"
            for t, line in picked
        )
        if self._bytes_left is not None:
            data = text.encode()[: self._bytes_left]
            self._bytes_left -= len(data)
            text = data.decode(errors="ignore")
        return text

    def _initial(self, lines: list[LogLine]) -> list[LogLine]:
        opts = self.options
        if opts.since_seconds is not None:
            lines = [line for line in lines if line[0] >= self._clock.now - opts.since_seconds]
        elif opts.since_time is not None:
            since = seconds_since(self._epoch, opts.since_time)
            lines = [line for line in lines if line[0] >= since]
        if opts.tail_lines is not None:
            lines = lines[-opts.tail_lines :] if opts.tail_lines > 0 else []
        return lines

    def finished(self) -> bool:
        """Whether a follower should stop: the byte limit is used up, the node is gone, the pod
        was deleted or replaced, or this container instance is no longer the running one."""
        if self._bytes_left is not None and self._bytes_left <= 0:
            return True
        if self._runtime is None or self.options.previous:
            return True
        pod = self._store.get("pods", self.namespace, self.pod)
        if pod is None or pod["metadata"].get("uid") != self.uid:
            return True
        status = pod.get("status") or {}
        for s in (*(status.get("containerStatuses") or ()), *(status.get("initContainerStatuses") or ())):
            if s.get("name") == self.container:
                running = (s.get("state") or {}).get("running") is not None
                return not (running and s.get("containerID") == self.container_id)
        return True


def parse_since_time(text: str | None) -> str | None:
    """`sinceTime` must be an RFC 3339 time (the query decoder's 400 otherwise)."""
    if text in (None, ""):
        return None
    assert text is not None
    from .timefmt import parse_epoch

    try:
        parse_epoch(text)
    except ValueError as exc:
        raise BadRequest(f'parsing time "{text[:40]}" as "2006-01-02T15:04:05Z07:00": cannot parse') from exc
    return text


def unreachable(node_ip: str, namespace: str, pod: str, container: str) -> ApiError:
    """What kube-apiserver answers when the node's kubelet cannot be reached."""
    return ApiError(
        f'Get "https://{node_ip}:{KUBELET_PORT}/containerLogs/{namespace}/{pod}/{container}": '
        f"dial tcp {node_ip}:{KUBELET_PORT}: connect: no route to host"
    )
