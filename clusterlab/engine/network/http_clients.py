"""`wget` (busybox's) and `curl` run inside a pod: their options, their requests and their texts.

busybox `wget` (1.36): `-q`, `-O FILE` (`-` for stdout; `-qO-` bundled), `-T SEC` /
`--timeout=SEC`, `--spider`, `-S`, `-U`; the URL's scheme defaults to `http://`. Unless quiet it
writes `Connecting to HOST (IP:PORT)` to stderr (HOST as the URL wrote it, `:port` and all),
then `writing to stdout` / `saving to 'FILE'`, the progress bar and `written to stdout` /
`'FILE' saved` (or `remote file exists` for `--spider`). Its failures: `bad address 'HOST'`
(the name does not resolve), `can't connect to remote host (IP): <errno text>`, `download timed
out` (the `-T` alarm fired first; the default is 900 s, longer than the kernel's SYN retries),
`server returned error: HTTP/1.1 404 Not Found` (any status but 200–204 and the redirects
below), `error getting response` (the server closed without a response line) — each `wget: …`
on stderr with exit status 1. Without `-O` it refuses to overwrite (`can't open 'index.html':
File exists`).
It follows a 300, 301, 302, 303, 307 or 308 with a `Location`: a path (`/…`) on the same
connection target, anything else parsed as a URL, resolved and announced with `Connecting to`
again; the fifth `Location` of one download is `too many redirections`. The file keeps the name
the first URL gave it. Other 3xx (304…) are errors; a 3xx without `Location` is the document.

`curl` (8.x): `-s`, `-S`, `-f`, `-o FILE`, `-I`, `-L`, `-m`/`--max-time`, `--connect-timeout`,
`--max-redirs`;
writes the body to stdout and, when stdout is not a terminal (as under `kubectl exec`
without `-t`) and not `-s`, its progress meter to stderr. Failures: `(6) Could not resolve
host: HOST`, `(7) Failed to connect to HOST port N after T ms: Couldn't connect to server`,
`(28) Failed to connect to HOST port N after T ms: Timeout was reached` (its own timeout),
`(52) Empty reply from server`, `(22) The requested URL returned error: 404` (with `-f`).
A 3xx is the document (the server's redirect page) unless `-L`/`--location`: then curl follows
the `Location` of any 3xx but 304, up to `--max-redirs` (50) times (`(47) Maximum (50) redirects
followed`), its meter showing a row per transfer.

Each run reports how long it blocked (the round trip, or the timeout it waited out), and a
shell script running it waits that long on the virtual clock (`processes.ProgramRunner`), so a
`while true; do wget -T 2 …; done` against a dropped address tries every 2 s.

Names are resolved as the pod's resolver would (`lookup`: the DNS module's `resolve` with the
C library of the program's image — glibc for busybox's default image, uClibc for busybox 1.28,
musl for curl's Alpine image — else the Service records of the search path directly). A
lookup whose nameservers do not answer takes that library's time (`dns.py`) before `bad
address` or `Could not resolve host`; curl's `--connect-timeout`/`-m` cut it short (`(28)
Resolving timed out after N milliseconds`), busybox wget's `-T` does not cover it.

Simplified: one URL per invocation, always a GET (`--spider` and `curl -I` ask the same; `-I`
prints the status line, length and location only), no TLS; the progress meter and bar are
printed once per transfer, complete; a web server's redirect names the Host header the client
sent (`web_servers.Moved`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..node.listeners import Answer
from .traffic import Network, Reply, Source

Obj = dict[str, Any]

WGET_DEFAULT_TIMEOUT = 900.0
BAR = 32  # stars in busybox's bar at its default 80-column width
REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    304: "Not Modified",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


@dataclass(frozen=True)
class Outcome:
    """What the program did: exit code, stdout, stderr, and how long it took (virtual s)."""

    code: int
    stdout: str
    stderr: str
    seconds: float = 0.0


#: busybox wget: what it takes as the document, and what it follows when there is a Location
WGET_SUCCESS = frozenset({200, 201, 202, 203, 204})
WGET_REDIRECTS = frozenset({300, 301, 302, 303, 307, 308})
WGET_REDIRECT_LIMIT = 5  # `redir_limit = 5`, checked as `--redir_limit == 0`: four are followed
CURL_MAX_REDIRS = 50


@dataclass(frozen=True)
class Url:
    host: str
    port: int
    path: str
    hostport: str = ""  # the host as the URL wrote it (with its `:port`): the Host header


def parse_url(url: str) -> Url | None:
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "http", url
    if scheme not in ("http", "https"):
        return None
    hostport, slash, path = rest.partition("/")
    hostport = hostport.rpartition("@")[2]
    host, colon, port = hostport.partition(":")
    try:
        number = int(port) if colon else (443 if scheme == "https" else 80)
    except ValueError:
        return None
    return Url(host, number, "/" + path if slash else "/", hostport)


def _received(answer: Answer, host: str) -> tuple[str, str]:
    """The response's body and `Location` as a request with Host header `host` gets them."""
    moved = answer.moved
    if moved is None:
        return answer.body, ""
    return moved.page(host, answer.body), moved.location(host)


def _follow(url: Url, location: str) -> Url | None:
    """The URL a `Location` names, relative to `url` (a path keeps its server)."""
    if location.startswith("/"):
        return Url(url.host, url.port, location, url.hostport)
    return parse_url(location)


#: Which HTTP clients an image ships: busybox's applets (wget), curl's image (curl, and
#: busybox's wget from its Alpine base), the official nginx image (curl: its Dockerfile installs
#: it beside nginx, so the docs' `curl http://localhost/` runs in it) and nginx-slim (its build
#: script keeps the curl it fetched the sources with; the StatefulSet tutorial curls from it).
CURL_IMAGES = ("docker.io/curlimages/curl", "docker.io/library/nginx", "registry.k8s.io/nginx-slim")
WGET_IMAGES = ("docker.io/curlimages/curl",)


def has_client(program: str, repository: str, busybox: bool) -> bool:
    """Whether an image of `repository` (normalized, no tag) has `program` (wget or curl)."""
    if program == "wget":
        return busybox or repository in WGET_IMAGES
    return program == "curl" and repository in CURL_IMAGES


def _is_ip(host: str) -> bool:
    parts = host.split(".")
    return len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts)


def resolve_name(network: Network, pod: Obj | None, host: str) -> str | None:
    """The address `host` resolves to from `pod` (None: it does not resolve)."""
    return lookup(network, pod, host)[0]


def lookup(network: Network, pod: Obj | None, host: str, libc: str = "glibc") -> tuple[str | None, float]:
    """The address `host` resolves to from `pod` (None: it does not resolve), and how long
    the resolver of C library `libc` waited for nameservers that did not answer."""
    if _is_ip(host):
        return host, 0.0
    if host == "localhost":
        return "127.0.0.1", 0.0
    dns = _dns_resolve()
    if dns is not None and pod is not None and getattr(network, "dns", None) is not None:
        answer = dns(network, pod, host, libc=libc)
        ok = getattr(answer, "status", "") == "ok" and getattr(answer, "addresses", ())
        return (str(answer.addresses[0]) if ok else None), float(answer.seconds)
    # Without the cluster DNS model: the Service records of the search path, directly.
    namespace = (pod or {}).get("metadata", {}).get("namespace", "default")
    name = host.rstrip(".")
    search = [f"{namespace}.svc.cluster.local", "svc.cluster.local", "cluster.local"]
    # ndots:5: a name with fewer dots tries the search domains first
    candidates = [name] if host.endswith(".") else [*(f"{name}.{d}" for d in search), name]
    for fqdn in candidates:
        parts = fqdn.split(".")
        if len(parts) == 5 and parts[2:] == ["svc", "cluster", "local"]:
            svc = network.store.get("services", parts[1], parts[0])
            ip = ((svc or {}).get("spec") or {}).get("clusterIP")
            if ip and ip != "None":
                return str(ip), 0.0
    return None, 0.0


def _libc(image: str) -> str:
    from ..node.dns_tools import libc_of

    return libc_of(image) if image else "glibc"


def _dns_resolve() -> Callable[..., Any] | None:
    """`network.dns.resolve`, once that module exists."""
    full = f"{__package__}.dns"
    try:
        module = importlib.import_module(full)
    except ModuleNotFoundError as exc:
        if exc.name != full:
            raise
        return None
    return getattr(module, "resolve", None)


def _status_line(status: int) -> str:
    return f"HTTP/1.1 {status} {REASONS.get(status, '')}".rstrip()


def _bar(name: str, size: int) -> str:
    return f"\r{name:<20.20}{100:>4}% |{'*' * BAR}|{size:>6}  0:00:00 ETA\n"


def _options(
    args: list[str], with_value: str, long_values: set[str]
) -> tuple[dict[str, str], list[str]] | str:
    """getopt: bundled short flags, short options taking a value (`with_value`), long ones
    (`--name=value` or `--name value`). Returns (options, operands) or the bad option."""
    opts: dict[str, str] = {}
    operands: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith("--") and len(a) > 2:
            name, eq, value = a[2:].partition("=")
            if name in long_values and not eq:
                if i + 1 >= len(args):
                    return a
                value, i = args[i + 1], i + 1
            opts[name] = value
        elif a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                flag = a[j]
                if flag in with_value:
                    value = a[j + 1 :]
                    if not value:
                        if i + 1 >= len(args):
                            return a
                        value, i = args[i + 1], i + 1
                    opts[flag] = value
                    break
                opts[flag] = ""
                j += 1
        else:
            operands.append(a)
        i += 1
    return opts, operands


def wget(
    network: Network,
    source: Source,
    pod: Obj | None,
    args: list[str],
    files: dict[str, str],
    image: str = "",
) -> Outcome:
    """busybox `wget ARGS` from `source` (a container of `image`); writes a saved file into
    `files` (the container's)."""
    parsed = _options(args, "OTPUYo", {"timeout", "output-document", "user-agent", "header", "post-data"})
    if isinstance(parsed, str):
        return Outcome(1, "", f"wget: option requires an argument -- '{parsed.lstrip('-')[:1]}'\n")
    opts, urls = parsed
    if not urls:
        return Outcome(
            1,
            "",
            "BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\nUsage: wget [-cqS] URL...\n",
        )
    quiet = "q" in opts or "quiet" in opts
    spider = "spider" in opts
    out_name = opts.get("O", opts.get("output-document"))
    try:
        timeout = float(opts.get("T", opts.get("timeout", WGET_DEFAULT_TIMEOUT)))
    except ValueError:
        return Outcome(1, "", f"wget: invalid number '{opts.get('T', opts.get('timeout'))}'\n")
    url = parse_url(urls[0])
    if url is None:
        return Outcome(1, "", f"wget: not an http or ftp url: {urls[0]}\n")
    first = url  # the file's name comes from the URL as given, before any redirect
    err: list[str] = []
    took = 0.0
    redirects_left = WGET_REDIRECT_LIMIT
    ip: str | None = None
    while True:
        if ip is None:
            ip, resolving = lookup(network, pod, url.host, _libc(image))  # -T's alarm is not set yet
            took += resolving
            if ip is None:
                return Outcome(1, "", "".join(err) + f"wget: bad address '{url.host}'\n", took)
            if not quiet:
                err.append(f"Connecting to {url.hostport or url.host} ({ip}:{url.port})\n")
        reply = network.request(source, ip, url.port, url.path, host=url.hostport or url.host)
        conn = reply.connection
        if conn.error:
            if reply.seconds > timeout:
                return Outcome(1, "", "".join(err) + "wget: download timed out\n", took + timeout)
            err.append(f"wget: can't connect to remote host ({ip}): {conn.error}\n")
            return Outcome(1, "", "".join(err), took + reply.seconds)
        took += reply.seconds
        if reply.answer is None:
            return Outcome(1, "", "".join(err) + "wget: error getting response\n", took)
        status = reply.answer.status
        if status not in WGET_SUCCESS and status not in WGET_REDIRECTS:
            err.append(f"wget: server returned error: {_status_line(status)}\n")
            return Outcome(1, "", "".join(err), took)
        body, location = _received(reply.answer, url.hostport or url.host)
        if status < 300 or not location:
            break
        redirects_left -= 1
        if redirects_left == 0:
            return Outcome(1, "", "".join(err) + "wget: too many redirections\n", took)
        target = _follow(url, location)
        if target is None:
            return Outcome(1, "", "".join(err) + f"wget: not an http or ftp url: {location}\n", took)
        if not location.startswith("/"):
            ip = None  # another server: resolved and connected to afresh
        url = target
    if spider:
        if not quiet:
            err.append("remote file exists\n")
        return Outcome(0, "", "".join(err), took)
    to_stdout = out_name == "-"
    name = out_name or (first.path.rstrip("/").rsplit("/", 1)[-1] or "index.html")
    path = name if name.startswith("/") else "/" + name
    if not to_stdout:
        if out_name is None and path in files:
            return Outcome(1, "", "".join(err) + f"wget: can't open '{name}': File exists\n", took)
        files[path] = body
    if not quiet:
        err.append("writing to stdout\n" if to_stdout else f"saving to '{name}'\n")
        err.append(_bar("-" if to_stdout else name.rsplit("/", 1)[-1], len(body.encode())))
        err.append("written to stdout\n" if to_stdout else f"'{name}' saved\n")
    return Outcome(0, body if to_stdout else "", "".join(err), took)


def _speed(value: float) -> str:
    """curl's 5-column speed/size format."""
    if value < 100000:
        return f"{int(value):>5}"
    for unit in "kMGTP":
        value /= 1024
        if value < 1000:
            return f"{value:>4.0f}{unit}" if value >= 100 else f"{value:>4.1f}{unit}".replace(" ", " ")
    return f"{int(value):>5}"


METER_HEAD = (
    "  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n"
    "                                 Dload  Upload   Total   Spent    Left  Speed\n"
)


def _meter_row(size: int, seconds: float) -> str:
    """One transfer's row of curl's meter: its start, then its completed state and a newline."""
    speed = _speed(size / seconds if seconds > 0 else size)
    start = "\r  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0"
    total = _speed(size)
    done = f"\r100 {total}  100 {total}    0     0  {speed}      0 --:--:-- --:--:-- --:--:-- {speed}\n"
    return start + done


def _meter(size: int, seconds: float) -> str:
    return METER_HEAD + _meter_row(size, seconds)


def curl(
    network: Network,
    source: Source,
    pod: Obj | None,
    args: list[str],
    files: dict[str, str],
    image: str = "",
) -> Outcome:
    """`curl ARGS` from `source` (a container of `image`)."""
    parsed = _options(
        args, "omHXwAu", {"max-time", "connect-timeout", "output", "header", "request", "max-redirs"}
    )
    if isinstance(parsed, str):
        return Outcome(2, "", f"curl: option {parsed}: requires parameter\n")
    opts, urls = parsed
    if not urls:
        return Outcome(2, "", "curl: try 'curl --help' or 'curl --manual' for more information\n")
    silent = "s" in opts or "silent" in opts
    show_error = not silent or "S" in opts or "show-error" in opts
    fail = "f" in opts or "fail" in opts
    limit: float | None = None
    for key in ("m", "max-time", "connect-timeout"):
        if key in opts:
            try:
                limit = float(opts[key])
            except ValueError:
                return Outcome(2, "", f"curl: option --{key}: expected a proper numerical parameter\n")
    follow = "L" in opts or "location" in opts
    try:
        max_redirs = int(opts.get("max-redirs", CURL_MAX_REDIRS))
    except ValueError:
        return Outcome(2, "", "curl: option --max-redirs: expected a proper numerical parameter\n")
    url = parse_url(urls[0])
    if url is None:
        scheme = urls[0].partition("://")[0]
        return Outcome(1, "", f'curl: (1) Protocol "{scheme}" not supported\n' if show_error else "")

    def failed(code: int, text: str, seconds: float = 0.0) -> Outcome:
        return Outcome(code, "", f"curl: ({code}) {text}\n" if show_error else "", seconds)

    head = "I" in opts or "head" in opts
    rows: list[str] = []  # the meter's row of each transfer
    heads: list[str] = []  # with -I, each response's header block
    spent = 0.0  # the transfers before this one (redirects followed)
    redirects = 0
    while True:
        budget = None if limit is None else limit - spent  # -m bounds the whole operation
        ip, resolving = lookup(network, pod, url.host, _libc(image))
        if limit is not None and budget is not None and resolving > budget:
            return failed(28, f"Resolving timed out after {int(limit * 1000)} milliseconds", limit)
        if ip is None:
            return failed(6, f"Could not resolve host: {url.host}", spent + resolving)
        reply: Reply = network.request(source, ip, url.port, url.path, host=url.hostport or url.host)
        reply = Reply(reply.connection, reply.answer, reply.seconds + resolving)
        conn = reply.connection
        if conn.error:
            if limit is not None and budget is not None and reply.seconds > budget:
                ms = int(limit * 1000) + 1
                return failed(
                    28,
                    f"Failed to connect to {url.host} port {url.port} after {ms} ms: Timeout was reached",
                    limit,
                )
            ms = int(reply.seconds * 1000)
            return failed(
                7,
                f"Failed to connect to {url.host} port {url.port} after {ms} ms: Couldn't connect to server",
                spent + reply.seconds,
            )
        if reply.answer is None:
            return failed(52, "Empty reply from server", spent + reply.seconds)
        status = reply.answer.status
        body, location = _received(reply.answer, url.hostport or url.host)
        if head:
            moved = f"Location: {location}\r\n" if location else ""
            body = f"{_status_line(status)}\r\nContent-Length: {len(body.encode())}\r\n{moved}\r\n"
            heads.append(body)
        rows.append(_meter_row(len(body.encode()), max(reply.seconds, 1e-4)))
        spent += reply.seconds
        target = _follow(url, location) if location else None
        if not (follow and target is not None and 300 <= status < 400 and status != 304):
            break
        if redirects == max_redirs:
            return failed(47, f"Maximum ({max_redirs}) redirects followed", spent)
        redirects += 1
        url = target
    if fail and status >= 400:
        return failed(22, f"The requested URL returned error: {status}", spent)
    if head:
        body = "".join(heads)
    target_file = opts.get("o", opts.get("output"))
    stdout = body
    if target_file is not None and target_file != "-":
        files[target_file if target_file.startswith("/") else "/" + target_file] = body
        stdout = ""
    meter = "" if silent else METER_HEAD + "".join(rows)
    return Outcome(0, stdout, meter, spent)
