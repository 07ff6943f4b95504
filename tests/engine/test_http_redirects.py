"""Redirects as the servers send them and the clients follow them.

nginx and httpd answer a directory named without its slash with a 301 whose `Location` is
absolute, built from the request's Host header: nginx keeps the name and drops the port (it
names the port it listens on, 80, however the client reached it), httpd keeps the Host's port.
busybox wget follows 300–303/307/308 (announcing each new server with `Connecting to`, giving
up at the fifth `Location`); curl shows the 301 page unless `-L`, then follows up to 50."""

from __future__ import annotations

from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.audit import User
from clusterlab.engine.network.http_clients import curl, wget
from clusterlab.engine.network.traffic import Connection, Reply
from clusterlab.engine.node.listeners import Answer
from clusterlab.engine.node.web_servers import Moved

ADMIN = User("kubernetes-admin", "kubectl")
HTDOCS = "/usr/local/apache2/htdocs"
NGINX_301 = (
    "<html>\r\n<head><title>301 Moved Permanently</title></head>\r\n<body>\r\n"
    "<center><h1>301 Moved Permanently</h1></center>\r\n<hr><center>nginx/1.27.5</center>\r\n"
    "</body>\r\n</html>\r\n"
)
METER_HEAD = (
    "  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n"
    "                                 Dload  Upload   Total   Spent    Left  Speed\n"
)
ROW_START = "\r  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0"


def pod(name: str, image: str, **container: Any) -> dict:
    spec = {"containers": [{"name": "c", "image": image, **container}]}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": spec,
    }


def service(name: str) -> dict:
    spec = {"selector": {"app": name}, "ports": [{"port": 8080, "targetPort": 80}]}
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec}


@pytest.fixture(scope="module")
def lab() -> Cluster:
    """nginx and httpd, each behind a Service on port 8080, with a directory holding an
    index; a busybox and a curl client."""
    c = Cluster.from_scenario("default", seed=7)
    c.apply(pod("plain", "nginx:1.27"))
    c.apply(pod("apache", "httpd:2.4"))
    c.apply(pod("client", "busybox:1.37", args=["sleep", "3600"]))
    c.apply(pod("curl", "curlimages/curl:8.11.1", args=["sleep", "3600"]))
    c.apply(service("plain"))
    c.apply(service("apache"))
    c.advance(20)
    run(c, "plain", "sh", "-c", "echo docs > /usr/share/nginx/html/docs/index.html")
    run(c, "apache", "sh", "-c", f"echo sub > {HTDOCS}/sub/index.html")
    return c


def run(c: Cluster, name: str, *argv: str) -> tuple[int, str, str]:
    r = c.server.pod_exec(ADMIN, name, "default", None, list(argv))
    return r.exit_code, r.stdout, r.stderr


def ip_of(c: Cluster, name: str) -> str:
    return str(c.get("pod", name)["status"]["podIP"])


def test_nginx_redirects_to_the_host_it_was_asked_for_on_its_own_port(lab: Cluster) -> None:
    # curl without -L: the 301 page is the document
    assert run(lab, "plain", "curl", "-s", "localhost/docs") == (0, NGINX_301, "")
    assert run(lab, "plain", "curl", "-sI", "LocalHost/docs") == (
        0,
        "HTTP/1.1 301 Moved Permanently\r\nContent-Length: 169\r\nLocation: http://localhost/docs/\r\n\r\n",
        "",
    )
    # -L follows it: a meter row per transfer, the headers of each response with -I
    code, out, err = run(lab, "plain", "curl", "-L", "localhost/docs")
    assert (code, out) == (0, "docs\n")
    rows = err.removeprefix(METER_HEAD).split("\n")
    assert [r[: len(ROW_START) + 21] for r in rows] == [
        ROW_START + "\r100   169  100   169",
        ROW_START + "\r100     5  100     5",
        "",
    ]
    assert run(lab, "plain", "curl", "-sIL", "localhost/docs")[1] == (
        "HTTP/1.1 301 Moved Permanently\r\nContent-Length: 169\r\nLocation: http://localhost/docs/\r\n\r\n"
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
    )
    # through the Service's port 8080 the Location names port 80, where the Service has no rule
    assert run(lab, "curl", "curl", "-sSL", "-m", "2", "http://plain:8080/docs") == (
        28,
        "",
        "curl: (28) Failed to connect to plain port 80 after 2001 ms: Timeout was reached\n",
    )
    svc = lab.get("service", "plain")["spec"]["clusterIP"]
    assert run(lab, "client", "wget", "-T", "2", "-O-", "http://plain:8080/docs") == (
        1,
        "",
        f"Connecting to plain:8080 ({svc}:8080)\nConnecting to plain ({svc}:80)\nwget: download timed out\n",
    )


def test_busybox_wget_follows_to_the_new_url_and_keeps_the_first_name(lab: Cluster) -> None:
    ip = ip_of(lab, "plain")
    connecting = f"Connecting to {ip} ({ip}:80)\n"
    assert run(lab, "client", "wget", "-O-", f"http://{ip}/docs") == (
        0,
        "docs\n",
        connecting * 2 + "writing to stdout\n"
        "\r-                    100% |********************************|     5  0:00:00 ETA\n"
        "written to stdout\n",
    )
    # the file is named after the URL asked for, not the one redirected to
    assert run(lab, "client", "wget", f"http://{ip}/docs") == (
        0,
        "",
        connecting * 2 + "saving to 'docs'\n"
        "\rdocs                 100% |********************************|     5  0:00:00 ETA\n"
        "'docs' saved\n",
    )
    assert run(lab, "client", "cat", "/docs") == (0, "docs\n", "")
    assert run(lab, "client", "wget", "--spider", f"http://{ip}/docs") == (
        0,
        "",
        connecting * 2 + "remote file exists\n",
    )


def test_httpd_keeps_the_hosts_port_in_its_location_and_page(lab: Cluster) -> None:
    moved = (
        '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n'
        "<title>301 Moved Permanently</title>\n</head><body>\n<h1>Moved Permanently</h1>\n"
        '<p>The document has moved <a href="http://apache:8080/sub/">here</a>.</p>\n</body></html>\n'
    )
    assert run(lab, "curl", "curl", "-s", "http://apache:8080/sub") == (0, moved, "")
    assert run(lab, "curl", "curl", "-sL", "http://apache:8080/sub") == (0, "sub\n", "")
    assert run(lab, "client", "wget", "-qO-", "http://apache:8080/sub") == (0, "sub\n", "")
    ip = ip_of(lab, "apache")
    assert run(lab, "curl", "curl", "-sI", f"http://{ip}:80/sub")[1] == (
        f"HTTP/1.1 301 Moved Permanently\r\nContent-Length: 230\r\nLocation: http://{ip}/sub/\r\n\r\n"
    )


class RedirectLoop:
    """A server that sends every request on to the next path (`/0` → `/1` → …), as a
    misconfigured application would: `status` with an absolute Location on the asked host."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.asked: list[str] = []

    def request(
        self, source: object, ip: str, port: int, path: str = "/", host: str = "", record: bool = True
    ):
        self.asked.append(path)
        step = int(path.strip("/") or "0")
        answer = Answer(self.status, "", Moved(f"/{step + 1}", "httpd"))
        return Reply(Connection("", 0.001, ip=ip, port=port), answer, 0.001)


def test_wget_gives_up_at_the_fifth_location_and_curl_at_max_redirs() -> None:
    loop = RedirectLoop(302)
    out = wget(loop, None, None, ["-O-", "http://10.0.0.9/0"], {})  # type: ignore[arg-type]
    assert (out.code, out.stdout) == (1, "")
    assert out.stderr == "Connecting to 10.0.0.9 (10.0.0.9:80)\n" * 5 + "wget: too many redirections\n"
    assert loop.asked == ["/0", "/1", "/2", "/3", "/4"]
    # 307 and 308 are followed too; 304 is an error, not a redirect
    for status in (307, 308):
        assert wget(RedirectLoop(status), None, None, ["-q", "http://10.0.0.9/"], {}).stderr == (  # type: ignore[arg-type]
            "wget: too many redirections\n"
        )
    assert wget(RedirectLoop(304), None, None, ["-q", "http://10.0.0.9/"], {}).stderr == (  # type: ignore[arg-type]
        "wget: server returned error: HTTP/1.1 304 Not Modified\n"
    )

    loop = RedirectLoop(302)
    out = curl(loop, None, None, ["-sSL", "http://10.0.0.9/0"], {})  # type: ignore[arg-type]
    assert (out.code, out.stderr, len(loop.asked)) == (47, "curl: (47) Maximum (50) redirects followed\n", 51)
    loop = RedirectLoop(301)
    out = curl(loop, None, None, ["-sSL", "--max-redirs", "3", "http://10.0.0.9/0"], {})  # type: ignore[arg-type]
    assert (out.code, out.stderr, loop.asked) == (
        47,
        "curl: (47) Maximum (3) redirects followed\n",
        ["/0", "/1", "/2", "/3"],
    )
    # without -L the first response is the document
    loop = RedirectLoop(302)
    out = curl(loop, None, None, ["-s", "http://10.0.0.9/0"], {})  # type: ignore[arg-type]
    assert (out.code, '<a href="http://10.0.0.9/1">here</a>' in out.stdout, loop.asked) == (0, True, ["/0"])
