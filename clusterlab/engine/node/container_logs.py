"""What a container writes to stdout/stderr: the lines `kubectl logs` shows.

containerd's CRI plugin writes each container's output to `/var/log/pods/...` with a
nanosecond timestamp per line; the kubelet reads that file to serve `GET
/containerLogs/<ns>/<pod>/<container>` (tail, since, timestamps), which kube-apiserver proxies
as the `pods/log` subresource. Here the runtime keeps each container's lines in memory with
their virtual times, and the images in the catalogue write what their real entrypoints write
when they start: nginx 1.2x's `/docker-entrypoint.sh` and worker start-up notices, httpd 2.4's
`AH00558`/`AH00489`/`AH00094`, Redis 7's banner.

Other images' lines come from what their processes do (`images.py`, `processes.py`: a busybox
loop's `echo`, postgres's missing-password error); each container *instance* has its own log,
so after a restart `logs --previous` reads the one before (the kubelet's
`validateContainerLogStatus`: a container waiting to restart shows its last instance's log).

Simplified: servers write only their start-up output; no access logs (no traffic is
simulated yet).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from ..quantity import parse_quantity

LogLine = tuple[float, str]  # (virtual seconds, text without newline)

NGINX_VERSIONS = {
    "1.25": "1.25.5",
    "1.26": "1.26.3",
    "1.27": "1.27.5",
    "1.27.3": "1.27.3",
    "1.28": "1.28.0",
    "stable": "1.28.0",
    "alpine": "1.29.3",
    "latest": "1.29.3",
}
NGINX_ENTRYPOINT = (
    "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
    "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
    "10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf",
    "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf",
    "/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh",
    "/docker-entrypoint.sh: Configuration complete; ready for start up",
)
HTTPD_VERSIONS = {"2.4": "2.4.65", "2.4.62": "2.4.62", "alpine": "2.4.65", "latest": "2.4.65"}
REDIS_VERSIONS = {"7": "7.4.6", "7.2": "7.2.11", "7.4": "7.4.6", "alpine": "8.2.2", "latest": "8.2.2"}


def startup_output(
    image: str, started: float, epoch: datetime, pod_ip: str, cpu: str, kernel: str
) -> list[LogLine]:
    """The lines `image` (a normalized reference) writes when its container starts at `started`."""
    repo, _, tag = image.partition("@")[0].rpartition(":")
    name = repo.rsplit("/", 1)[-1]
    at = epoch + timedelta(seconds=started)
    if name == "nginx":
        version = NGINX_VERSIONS.get(tag, tag)
        workers = max(1, math.ceil(parse_quantity(cpu)))
        stamp = (at + timedelta(seconds=0.1)).strftime("%Y/%m/%d %H:%M:%S")
        notices = [
            'using the "epoll" event method',
            f"nginx/{version}",
            "built by gcc 12.2.0 (Debian 12.2.0-14) ",
            f"OS: Linux {kernel}",
            "getrlimit(RLIMIT_NOFILE): 1048576:1048576",
            "start worker processes",
            *(f"start worker process {29 + i}" for i in range(workers)),
        ]
        lines = [(started + 0.01 * i, text) for i, text in enumerate(NGINX_ENTRYPOINT)]
        return lines + [(started + 0.1, f"{stamp} [notice] 1#1: {text}") for text in notices]
    if name == "httpd":
        version = HTTPD_VERSIONS.get(tag, tag)
        fqdn = (
            "AH00558: httpd: Could not reliably determine the server's fully qualified domain name, "
            f"using {pod_ip}. Set the 'ServerName' directive globally to suppress this message"
        )
        stamp = at.strftime("%a %b %d %H:%M:%S.%f %Y")
        return [
            (started, fqdn),
            (started + 0.01, fqdn),
            (
                started + 0.02,
                f"[{stamp}] [mpm_event:notice] [pid 1:tid 1] AH00489: Apache/{version} (Unix) "
                "configured -- resuming normal operations",
            ),
            (
                started + 0.02,
                f"[{stamp}] [core:notice] [pid 1:tid 1] AH00094: Command line: 'httpd -D FOREGROUND'",
            ),
        ]
    if name == "redis":
        version = REDIS_VERSIONS.get(tag, tag)
        stamp = at.strftime("%d %b %Y %H:%M:%S.") + f"{at.microsecond // 1000:03d}"
        return [
            (started, f"1:C {stamp} * oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo"),
            (
                started,
                f"1:C {stamp} * Redis version={version}, bits=64, commit=00000000, modified=0, pid=1, "
                "just started",
            ),
            (
                started,
                f"1:C {stamp} # Warning: no config file specified, using the default config. In order to "
                "specify a config file use redis-server /path/to/redis.conf",
            ),
            (started + 0.001, f"1:M {stamp} * monotonic clock: POSIX clock_gettime"),
            (started + 0.001, f"1:M {stamp} * Running mode=standalone, port=6379."),
            (started + 0.002, f"1:M {stamp} * Server initialized"),
            (started + 0.002, f"1:M {stamp} * Ready to accept connections tcp"),
        ]
    return []


def log_timestamp(epoch: datetime, seconds: float) -> str:
    """The kubelet's `timestamps=true` prefix: RFC 3339 with exactly nine fractional digits."""
    at = epoch + timedelta(seconds=seconds)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond:06d}000Z"
