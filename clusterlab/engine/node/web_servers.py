"""What nginx and Apache httpd answer from their document roots, as the official images
configure them.

Both servers map the request's path onto a directory of the container's filesystem and answer
with what is there — so a page put into a volume mounted over that directory (an emptyDir a
sidecar writes, a PersistentVolume's hostPath directory, a configMap) is what they serve, and
the image's own pages are gone while the mount hides them.

- nginx (the image's `/etc/nginx/conf.d/default.conf`: `root /usr/share/nginx/html;`, `index
  index.html index.htm;`, `server_tokens` left on): a path naming a file → 200 and the file;
  a path ending in `/` → its first index file, else — the directory exists but `autoindex` is
  off — 403 (`directory index of "…" is forbidden`), else 404; a path naming a directory
  without the slash → 301 to the path with it; anything else → 404. Error bodies are nginx's
  built-in pages (ngx_http_special_response.c) with the `nginx/<version>` footer.
- httpd (the image's `httpd.conf`: `DocumentRoot "/usr/local/apache2/htdocs"`, `DirectoryIndex
  index.html`, `Options Indexes FollowSymLinks`, no `ServerSignature`): the same for files; a
  directory without `index.html` is listed by mod_autoindex (plain, not fancy, indexing:
  `<ul>` of links, a `Parent Directory` link below the root); errors are Apache's canned
  documents (HTML 2.0, no signature line).
Both images ship their own pages: nginx `index.html` (the welcome page) and `50x.html`, httpd
`index.html` ("It works!").

`registry.k8s.io/nginx-slim` (the StatefulSet tutorials' image, built by Kubernetes' contrib and
later ingress repositories: nginx compiled with `--prefix=/usr/share/nginx` and the source
tree's own `nginx.conf`, whose default server has `root html; index index.html index.htm;`)
serves /usr/share/nginx/html the same way; its pages are the nginx source distribution's of
that time (the 612-byte welcome page, the 537-byte `50x.html`).

A directory's 301 carries an absolute `Location` (`Moved`): nginx (`absolute_redirect on`,
`server_name_in_redirect off`, `port_in_redirect on`) writes `http://`, the Host header's name
(lowercased, its port dropped) and, unless it is 80, the port the connection reached nginx on
— so behind a Service on another port the redirect names port 80; httpd (`UseCanonicalName
Off`) writes the Host header's name and port (80 left out), and its page links that URL.

Simplified: a request path is cleaned as curl and wget send it (dot segments removed, `%XX`
decoded), so no 400 for a path above the root; no MIME types, ranges or conditional requests;
the query string is not carried into a redirect; a request without a Host header (none of the
simulated clients sends one) is redirected to `localhost` rather than the server's address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote, unquote

NGINX_ROOT = "/usr/share/nginx/html"
NGINX_INDEX = ("index.html", "index.htm")
HTTPD_ROOT = "/usr/local/apache2/htdocs"
HTTPD_INDEX = "index.html"

#: The official nginx image's /usr/share/nginx/html/index.html (615 bytes).
NGINX_WELCOME = (
    "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n<style>\n"
    "html { color-scheme: light dark; }\nbody { width: 35em; margin: 0 auto;\n"
    "font-family: Tahoma, Verdana, Arial, sans-serif; }\n</style>\n</head>\n<body>\n"
    "<h1>Welcome to nginx!</h1>\n<p>If you see this page, the nginx web server is successfully "
    "installed and\nworking. Further configuration is required.</p>\n\n<p>For online documentation "
    'and support please refer to\n<a href="http://nginx.org/">nginx.org</a>.<br/>\nCommercial '
    'support is available at\n<a href="http://nginx.com/">nginx.com</a>.</p>\n\n<p><em>Thank you '
    "for using nginx.</em></p>\n</body>\n</html>\n"
)
#: The official nginx image's /usr/share/nginx/html/50x.html (the `error_page 500 502 503 504`
#: target of its default server).
NGINX_50X = (
    "<!DOCTYPE html>\n<html>\n<head>\n<title>Error</title>\n<style>\n"
    "html { color-scheme: light dark; }\nbody { width: 35em; margin: 0 auto;\n"
    "font-family: Tahoma, Verdana, Arial, sans-serif; }\n</style>\n</head>\n<body>\n"
    "<h1>An error occurred.</h1>\n<p>Sorry, the page you are looking for is currently unavailable.<br/>\n"
    "Please try again later.</p>\n<p>If you are the system administrator of this resource then you should "
    "check\nthe error log for details.</p>\n<p><em>Faithfully yours, nginx.</em></p>\n</body>\n</html>\n"
)
#: The official httpd image's htdocs/index.html.
HTTPD_IT_WORKS = "<html><body><h1>It works!</h1></body></html>\n"

#: nginx's source distribution's html/index.html of the 1.11–1.13 releases (612 bytes), which
#: `make install` puts into nginx-slim's /usr/share/nginx/html.
NGINX_SOURCE_WELCOME = (
    "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n<style>\n    body {\n"
    "        width: 35em;\n        margin: 0 auto;\n"
    "        font-family: Tahoma, Verdana, Arial, sans-serif;\n"
    "    }\n</style>\n</head>\n<body>\n<h1>Welcome to nginx!</h1>\n<p>If you see this page, the nginx web "
    "server is successfully installed and\nworking. Further configuration is required.</p>\n\n"
    "<p>For online documentation and support please refer to\n"
    '<a href="http://nginx.org/">nginx.org</a>.<br/>\nCommercial support is available at\n'
    '<a href="http://nginx.com/">nginx.com</a>.</p>\n\n<p><em>Thank you for using nginx.</em></p>\n'
    "</body>\n</html>\n"
)
#: nginx's source distribution's html/50x.html of the same era (537 bytes).
NGINX_SOURCE_50X = (
    "<!DOCTYPE html>\n<html>\n<head>\n<title>Error</title>\n<style>\n    body {\n"
    "        width: 35em;\n        margin: 0 auto;\n"
    "        font-family: Tahoma, Verdana, Arial, sans-serif;\n"
    "    }\n</style>\n</head>\n<body>\n<h1>An error occurred.</h1>\n<p>Sorry, the page you are looking for "
    "is currently unavailable.<br/>\nPlease try again later.</p>\n<p>If you are the system administrator "
    'of this resource then you should check\nthe <a href="http://nginx.org/r/error_log">error log</a> '
    "for details.</p>\n<p><em>Faithfully yours, nginx.</em></p>\n</body>\n</html>\n"
)

#: The files each web server image ships in its document root (absolute path → content).
NGINX_FILES = {f"{NGINX_ROOT}/index.html": NGINX_WELCOME, f"{NGINX_ROOT}/50x.html": NGINX_50X}
NGINX_SLIM_FILES = {
    f"{NGINX_ROOT}/index.html": NGINX_SOURCE_WELCOME,
    f"{NGINX_ROOT}/50x.html": NGINX_SOURCE_50X,
}
HTTPD_FILES = {f"{HTTPD_ROOT}/index.html": HTTPD_IT_WORKS}

_NGINX_TITLES = {301: "301 Moved Permanently", 403: "403 Forbidden", 404: "404 Not Found"}


class Files(Protocol):
    """A container's filesystem as its processes see it (`container_files.ContainerFiles`)."""

    def read(self, path: str) -> str | None: ...

    def is_dir(self, path: str) -> bool: ...

    def entries(self, path: str) -> list[str]: ...


@dataclass(frozen=True)
class Moved:
    """A directory's 301 to its path with the slash. The server builds the absolute `Location`
    (and httpd its page) from the request's Host header, which the simulated request carries
    only as far as the client: the client completes them (`location`, `page`)."""

    path: str  # the new path, as the server writes it into the URL
    server: str  # "nginx" or "httpd"
    port: int = 80  # the port the connection reached the server on (nginx's port_in_redirect)

    def location(self, host: str = "") -> str:
        """The `Location` a request with Host header `host` gets."""
        name, _, port = (host or "localhost").partition(":")
        name = name.lower().rstrip(".")
        if self.server == "nginx":
            port = "" if self.port == 80 else str(self.port)
        elif port == "80":
            port = ""
        return f"http://{name}{':' + port if port else ''}{self.path}"

    def page(self, host: str, body: str) -> str:
        """The 301's body for a request with Host header `host` (`body`: as answered without
        one): nginx's page names no URL, httpd's links the new one."""
        if self.server == "nginx":
            return body
        href = _html(self.location(host))
        moved = f'<p>The document has moved <a href="{href}">here</a>.</p>\n'
        return _apache_error("301 Moved Permanently", "Moved Permanently", moved)


@dataclass(frozen=True)
class Page:
    """A response: status code and body (and, for a redirect, where to)."""

    status: int
    body: str
    moved: Moved | None = None


def _html(text: str) -> str:
    """ap_escape_html: `&`, `<`, `>` and `"` as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def clean_path(raw: str) -> str:
    """The request path as curl and wget send it and the servers resolve it: no query or
    fragment, `%XX` decoded, `.`/`..` segments removed (never above the root), `//` merged;
    a trailing slash kept."""
    path = unquote(raw.split("?", 1)[0].split("#", 1)[0]) or "/"
    out: list[str] = []
    parts = path.split("/")
    for part in parts:
        if part in ("", "."):
            continue
        if part == "..":
            if out:
                out.pop()
            continue
        out.append(part)
    trailing = parts[-1] in ("", ".", "..")
    return "/" + "/".join(out) + ("/" if trailing and out else "")


def nginx_error(status: int, version: str) -> str:
    """nginx's built-in error page for `status`, with `server_tokens on`'s footer."""
    title = _NGINX_TITLES[status]
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx/{version}</center>\r\n"
        "</body>\r\n</html>\r\n"
    )


def nginx_answer(files: Files, version: str, raw_path: str) -> Page:
    """What the official image's default server answers to a GET of `raw_path`."""
    path = clean_path(raw_path)
    full = NGINX_ROOT + path
    if path.endswith("/"):
        for index in NGINX_INDEX:
            body = files.read(full + index)
            if body is not None:
                return Page(200, body)
        status = 403 if files.is_dir(full.rstrip("/")) else 404
        return Page(status, nginx_error(status, version))
    body = files.read(full)
    if body is not None:
        return Page(200, body)
    if files.is_dir(full):
        return Page(301, nginx_error(301, version), Moved(path + "/", "nginx"))
    return Page(404, nginx_error(404, version))


def _apache_error(title: str, heading: str, text: str) -> str:
    return (
        '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n'
        f"<title>{title}</title>\n</head><body>\n<h1>{heading}</h1>\n{text}</body></html>\n"
    )


#: Apache's canned 404 document (http_protocol.c; since 2.4.x it no longer echoes the URL).
HTTPD_NOT_FOUND = _apache_error(
    "404 Not Found", "Not Found", "<p>The requested URL was not found on this server.</p>\n"
)


def httpd_listing(path: str, names: list[str]) -> str:
    """mod_autoindex's plain listing of the directory at request path `path` (ending in `/`):
    `names` with a trailing `/` for directories, sorted as its default `C=N;O=A` does."""
    title = _html(path.rstrip("/") or "/")
    lines = [
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n',
        f"<html>\n <head>\n  <title>Index of {title}</title>\n </head>\n <body>\n",
        f"<h1>Index of {title}</h1>\n<ul>",
    ]
    if path != "/":
        parent = path.rstrip("/").rsplit("/", 1)[0] + "/"
        lines.append(f'<li><a href="{_html(quote(parent))}"> Parent Directory</a></li>\n')
    for name in sorted(names):
        lines.append(f'<li><a href="{_html(quote(name))}"> {_html(name)}</a></li>\n')
    lines.append("</ul>\n</body></html>\n")
    return "".join(lines)


def httpd_answer(files: Files, raw_path: str) -> Page:
    """What the official httpd image answers to a GET of `raw_path`."""
    path = clean_path(raw_path)
    full = HTTPD_ROOT + path
    if path.endswith("/"):
        body = files.read(full + HTTPD_INDEX)
        if body is not None:
            return Page(200, body)
        directory = full.rstrip("/")
        if files.is_dir(directory):
            return Page(200, httpd_listing(path, files.entries(directory)))
        return Page(404, HTTPD_NOT_FOUND)
    body = files.read(full)
    if body is not None:
        return Page(200, body)
    if files.is_dir(full):
        moved = Moved(quote(path + "/"), "httpd")  # mod_dir: ap_escape_uri of the path, then "/"
        return Page(301, moved.page("", ""), moved)
    return Page(404, HTTPD_NOT_FOUND)
