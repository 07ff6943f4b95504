"""Name-lookup tools run in a container: `nslookup` (busybox's and bind's) and `getent hosts`.

- **busybox 1.36 `nslookup`** (busybox images from 1.29 on) builds its own DNS queries: the
  nameservers are the `nameserver` lines of `/etc/resolv.conf`; a name *without any dot* is
  queried under each `search` domain (and never as given), a name with a dot only as given —
  it ignores `ndots`, which is why `nslookup kubernetes.default` answers NXDOMAIN in a pod
  while `wget kubernetes.default` resolves. It sends an A and an AAAA query per name, prints
  `Server:`/`Address:` (with `:53`) once the first reply arrives, then per reply its records
  (`Name:\t…` / `Address: …`, `… canonical name = …`) or `** server can't find NAME: NXDOMAIN`,
  each followed by an empty line; an IP address is looked up with a PTR query. With no reply
  within 5 s from every server it prints `;; connection timed out; no servers could be
  reached`. Any failed query makes the exit status 1.
- **busybox 1.28 and older** resolved through the C library (`getaddrinfo`, search path and
  `ndots` included) and printed `Server:    …` / `Address 1: … <reverse name>` columns — the
  format the Kubernetes docs' DNS debugging page shows.
- **bind's `nslookup`** (Debian's dnsutils, the docs' `jessie-dnsutils` image) applies the
  search path with `ndots` like the C library, prints the server as `Address:\t10.96.0.10#53`
  and the name it found, or `** server can't find <name as typed>: NXDOMAIN` (exit 1).
- **`getent hosts NAME`** (glibc images) prints `<address>      <name>` for each address
  (`/etc/hosts` first, then DNS) and exits 2 when the name is unknown.

A lookup that gets no answer takes virtual time (the exec's or the script's `seconds`), each
tool on its own schedule:
- busybox 1.36 sends all its queries at once and, per server, resends after `timeout /
  retry` (5 s / 2) and gives up after 5 s — refused or dropped alike (a port-unreachable
  error is printed as `read: Connection refused` and the wait goes on): 5 s per server.
- busybox 1.28 goes through uClibc (`dns.py`): first the reverse name of the server (for the
  `Address 1:` line), then the name, each `attempts × timeout` (10 s) when dropped; refused
  tries fail at once.
- bind's nslookup (`dighost`) sends from an unconnected socket (it never sees port
  unreachable), waits 5 s per try and tries 3 times (`tries`), then prints `;; connection
  timed out; no servers could be reached`: 15 s per server, refused or dropped alike.
- `getent` is glibc's resolver (`dns.py`).

Simplified: queries are answered in the order they were sent; no `-type=`/`-debug` beyond A,
AAAA, PTR, SRV, CNAME; `-timeout=`/`-retry=` options are not read; uClibc's getaddrinfo asks
for A only.
"""

from __future__ import annotations

from typing import Any

from ..network.dns import (
    DnsView,
    Libc,
    Reply,
    query,
    reaches,
    res_options,
    resolve,
    unreachable_wait,
)
from .pod_dns_config import resolv_conf

Obj = dict[str, Any]
Result = tuple[int, str, str, float]  # exit code, stdout, stderr, seconds it waited
TIMEOUT_TEXT = ";; connection timed out; no servers could be reached\n"
#: busybox nslookup's own schedule (`INIT_G`: default_timeout 5, default_retry 2): it gives a
#: server 5 s in all, whatever the number of resends.
BUSYBOX_TIMEOUT = 5.0
#: bind 9's dighost: UDP_TIMEOUT per try, `tries` per lookup.
BIND_UDP_TIMEOUT = 5.0
BIND_TRIES = 3
QTYPES = ("SOA", "NS", "A", "AAAA", "CNAME", "MX", "TXT", "PTR", "SRV", "ANY")


def _ptr_name(arg: str) -> str | None:
    parts = arg.split(".")
    if len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts):
        return ".".join(reversed(parts)) + ".in-addr.arpa"
    return None


def _server(view: DnsView | None, pod: Obj, servers: list[str]) -> tuple[str | None, list[str], float]:
    """busybox 1.36: the first nameserver that answers, stderr lines of the ones that
    refused, and the seconds spent on those that did not answer (5 s each)."""
    errors: list[str] = []
    waited = 0.0
    for ns, reach in zip(servers, reaches(view, pod, servers), strict=True):
        if reach == "answers":
            return ns, errors, waited
        if reach == "refused":  # ICMP port unreachable, once per (re)send
            errors += ["nslookup: read: Connection refused\n"] * 2
        waited += BUSYBOX_TIMEOUT
    return None, errors, waited


def _record_lines(reply: Reply) -> str:
    out = []
    for r in reply.records:
        if r.type in ("A", "AAAA"):
            out.append(f"Name:\t{r.name}\nAddress: {r.value}\n")
        elif r.type == "CNAME":
            out.append(f"{r.name}\tcanonical name = {r.value}\n")
        elif r.type == "PTR":
            out.append(f"{r.name}\tname = {r.value}\n")
        elif r.type == "SRV":
            out.append(f"{r.name}\tservice = {r.priority} {r.weight} {r.port} {r.value}\n")
    return "".join(out)


def busybox_nslookup(view: DnsView | None, pod: Obj, args: list[str]) -> Result:
    """busybox 1.36's `nslookup [-type=T] HOST [SERVER]`: (exit code, stdout, stderr, seconds)."""
    types: list[str] = []
    rest: list[str] = []
    for a in args:
        if a.startswith("-") and not rest:
            key, _, val = a[1:].partition("=")
            if key in ("type", "querytype", "q", "query"):
                if val.upper() not in QTYPES:
                    return 1, "", f'nslookup: invalid query type "{val}"\n', 0.0
                types.append(val.upper())
            continue
        rest.append(a)
    if not rest or len(rest) > 2:
        return (
            1,
            "",
            "BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\n"
            "Usage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]\n",
            0.0,
        )
    host = rest[0]
    conf = resolv_conf(pod)
    queries: list[tuple[str, str]] = []
    ptr = _ptr_name(host)

    def add(qtype: str) -> None:
        if qtype == "PTR" and ptr is not None:
            queries.append(("PTR", ptr))
        elif "." in host or not conf.searches or qtype == "PTR":
            queries.append((qtype, host))
        else:
            queries.extend((qtype, f"{host}.{domain}") for domain in conf.searches)

    if not types:
        if ptr is not None:
            queries.append(("PTR", ptr))
        else:
            add("A")
            add("AAAA")
    for t in types:
        add(t)
    servers = [rest[1]] if len(rest) > 1 else list(conf.nameservers) or ["127.0.0.1"]
    server, errors, waited = _server(view, pod, servers)
    if server is None or view is None:
        return 1, TIMEOUT_TEXT + "\n", "".join(errors), waited
    out = [f"Server:\t\t{server}\nAddress:\t{server}:53\n\n"]
    code = 0
    for qtype, name in queries:
        reply = (
            query(view, name, qtype) if server == "10.96.0.10" else Reply(name, qtype, "NXDOMAIN", (), False)
        )
        if reply.rcode != "NOERROR":
            out.append(f"** server can't find {name}: {reply.rcode}\n\n")
            code = 1
            continue
        if reply.records and not reply.authoritative:
            out.append("Non-authoritative answer:\n")
        out.append(_record_lines(reply) + "\n")
    return code, "".join(out), "".join(errors), waited


def _reverse(view: DnsView, ip: str) -> str:
    reply = query(view, ".".join(reversed(ip.split("."))) + ".in-addr.arpa", "PTR")
    return next((r.value for r in reply.records), "")


def busybox_old_nslookup(view: DnsView | None, pod: Obj, args: list[str]) -> Result:
    """busybox 1.28's `nslookup HOST [SERVER]`, through uClibc's getaddrinfo and getnameinfo."""
    if not args or args[0].startswith("-"):
        return (
            1,
            "",
            "BusyBox v1.28.4 (2018-05-22 17:00:17 UTC) multi-call binary.\n\n"
            "Usage: nslookup [HOST] [SERVER]\n",
            0.0,
        )
    conf = resolv_conf(pod)
    server = args[1] if len(args) > 1 else (conf.nameservers[0] if conf.nameservers else "127.0.0.1")
    if view is None:
        return 1, "", f"nslookup: can't resolve '{args[0]}'\n", 0.0
    (reach,) = reaches(view, pod, [server])
    timeout, attempts = res_options(conf)
    # getnameinfo asks the same server: no answer (down, dropped by a policy), no name
    server_rev = _reverse(view, server) if reach == "answers" else ""
    waited = 0.0 if reach == "answers" else unreachable_wait("uclibc", [reach], timeout, attempts, 1)
    out = f"Server:    {server}\nAddress 1: {server}" + (f" {server_rev}\n" if server_rev else "\n") + "\n"
    answer = resolve(view, pod, args[0], libc="uclibc")  # then the name, through the resolver
    waited += answer.seconds
    if answer.status != "ok":
        return 1, out, f"nslookup: can't resolve '{args[0]}'\n", waited
    out += f"Name:      {args[0]}\n"
    for i, ip in enumerate(answer.addresses, 1):
        rev = _reverse(view, ip)
        out += f"Address {i}: {ip}" + (f" {rev}\n" if rev else "\n")
    return 0, out, "", waited


def bind_nslookup(view: DnsView | None, pod: Obj, args: list[str]) -> Result:
    """bind 9's `nslookup HOST [SERVER]` (non-interactive)."""
    names = [a for a in args if not a.startswith("-")]
    if not names:
        return 1, "", "", 0.0  # interactive mode: nothing to read from a closed stdin
    host = names[0]
    conf = resolv_conf(pod)
    servers = [names[1]] if len(names) > 1 else list(conf.nameservers)
    server, waited = None, 0.0
    for candidate, reach in zip(servers, reaches(view, pod, servers), strict=True):
        if reach == "answers" and view is not None:
            server = candidate
            break
        waited += BIND_UDP_TIMEOUT  # a try waits it out, then the next server is asked
    if server is None or view is None:
        # the remaining tries go round the servers again
        return 1, TIMEOUT_TEXT + "\n", "", BIND_UDP_TIMEOUT * BIND_TRIES * len(servers)
    head = f"Server:\t\t{server}\nAddress:\t{server}#53\n\n"
    ptr = _ptr_name(host)
    if ptr is not None:
        reply = query(view, ptr, "PTR")
        if reply.rcode != "NOERROR" or not reply.records:
            return 1, head + f"** server can't find {ptr}: NXDOMAIN\n\n", "", waited
        lines = "".join(f"{r.name}\tname = {r.value}.\n" for r in reply.records)
        return 0, head + lines + "\n", "", waited
    answer = resolve(view, pod, host)
    if answer.status != "ok":
        return 1, head + f"** server can't find {host}: NXDOMAIN\n\n", "", waited
    name = answer.name
    lines = ""
    if answer.canonical:
        lines += f"{name}\tcanonical name = {answer.canonical}.\n"
        name = answer.canonical
    lines += "".join(f"Name:\t{name}\nAddress: {ip}\n" for ip in answer.addresses)
    return 0, head + lines + "\n", "", waited


def getent_hosts(view: DnsView | None, pod: Obj, hosts: str, args: list[str]) -> Result:
    """glibc's `getent hosts NAME…` (IPv4 only here)."""
    if not args:
        return 0, hosts_lines(hosts), "", 0.0
    out = []
    code = 0
    waited = 0.0
    for name in args:
        answer = resolve(view, pod, name, hosts)
        waited += answer.seconds
        if answer.status != "ok":
            code = 2
            continue
        shown = answer.canonical or answer.name
        out += [f"{ip:<15} {shown}\n" for ip in answer.addresses]
    return code, "".join(out), "", waited


def hosts_lines(hosts: str) -> str:
    """`getent hosts` without a key: the hosts database, one line per entry."""
    out = []
    for line in hosts.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 2:
            out.append(f"{fields[0]:<15} {' '.join(fields[1:])}\n")
    return "".join(out)


# -- which image has which tool -------------------------------------------------------------

BUSYBOX_REPOS = ("docker.io/library/busybox", "registry.k8s.io/busybox")
BIND_REPOS = ("registry.k8s.io/e2e-test-images/jessie-dnsutils", "gcr.io/kubernetes-e2e-test-images/dnsutils")
# glibc images with `getent` (Debian-based official images and dnsutils)
GLIBC_REPOS = (
    "docker.io/library/nginx",
    "docker.io/library/httpd",
    "docker.io/library/redis",
    "docker.io/library/postgres",
    "docker.io/library/mysql",
    "docker.io/library/perl",
    *BIND_REPOS,
)


def _repo_tag(image: str) -> tuple[str, str]:
    repo, _, tag = image.partition("@")[0].rpartition(":")
    return repo, tag


def _old_busybox(repo: str, tag: str) -> bool:
    """busybox before 1.29 (and registry.k8s.io's 2016 busybox) has the getaddrinfo nslookup."""
    if repo == "registry.k8s.io/busybox":
        return True
    parts = tag.split("-", 1)[0].split(".")
    try:
        return (int(parts[0]), int(parts[1])) < (1, 29)
    except (ValueError, IndexError):
        return False


def libc_of(image: str) -> Libc:
    """The C library whose resolver a program of `image` uses: musl in Alpine-based images
    (curl's, busybox's `-musl`), uClibc in busybox before 1.29 and its `-uclibc` variant,
    glibc elsewhere (Debian-based images, busybox's default glibc variant)."""
    repo, tag = _repo_tag(image)
    if repo == "docker.io/curlimages/curl" or tag.endswith("-musl"):
        return "musl"
    if repo in BUSYBOX_REPOS and (tag.endswith("-uclibc") or _old_busybox(repo, tag)):
        return "uclibc"
    return "glibc"


def has_lookup_tool(program: str, image: str) -> bool:
    repo, _ = _repo_tag(image)
    if program == "nslookup":
        return repo in BUSYBOX_REPOS or repo in BIND_REPOS
    return program == "getent" and (
        repo in GLIBC_REPOS or (repo in BUSYBOX_REPOS and image.endswith("-glibc"))
    )


def lookup_tool(view: DnsView | None, pod: Obj, image: str, hosts: str, argv: list[str]) -> Result:
    """Run `nslookup …` or `getent …` as the container's image has it: (exit code, out, err,
    seconds it waited on nameservers that did not answer)."""
    program, args = argv[0].rsplit("/", 1)[-1], argv[1:]
    repo, tag = _repo_tag(image)
    if program == "getent":
        if not args or args[0] not in ("hosts", "ahostsv4", "ahosts"):
            return 1, "", "Unknown database: " + (args[0] if args else "") + "\n" if args else "", 0.0
        return getent_hosts(view, pod, hosts, args[1:])
    if repo in BIND_REPOS:
        return bind_nslookup(view, pod, args)
    if _old_busybox(repo, tag):
        return busybox_old_nslookup(view, pod, args)
    return busybox_nslookup(view, pod, args)
