"""What a command run with `kubectl exec` does inside a simulated container.

The kubelet asks the runtime to exec a command in a running container (CRI `Exec`); the
process runs in the container's filesystem, environment and namespaces. Here a small
interpreter answers the commands learners use to look around a container: `hostname`,
`env`/`printenv` (the environment the kubelet built: `env`, `envFrom`, the downward API),
`echo`, `cat` of the files Kubernetes manages (`/etc/hostname`, `/etc/hosts`,
`/etc/resolv.conf`), of the container's configMap/secret volume files and of what it sees
through `container_files.py` (its writable layer, its data volumes, the web servers' own pages),
`ls` of `/` and `/etc` (as in the Debian-based images) and of a config volume's mount point or
another directory of those files (one name a line, as `ls` writes to a pipe), `pwd`,
`whoami`, `id`, `date`, `true`/`false`, `nginx -v`, and `sh -c` with `;`/`&&`/`||` chains,
`exit N`, `$NAME`/`${NAME}`/`$((…))`/`$(command)` expansions (as the container's own shell
expands them, `processes.expand`) and `>`/`>>` into a file. A program the image does not have
fails as runc fails it (exec: executable file not found in $PATH); inside `sh -c`, as the shell
reports it (`sh: 1: foo: not found`, 127).

`wget` (busybox images) and `curl` (curl's image) make real requests across the
simulated pod network (`network/http_clients.py`); `nslookup` (busybox, dnsutils) and `getent
hosts` (glibc images) ask the cluster's DNS (`dns_tools.py`).

Simplified: no real filesystem beyond those files, no pipes, no processes; quoting does not
keep a word from expansion.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .container_env import service_env
from .container_files import ContainerFiles
from .container_logs import NGINX_VERSIONS
from .dns_tools import has_lookup_tool, lookup_tool
from .pod_dns_config import fqdn as pod_fqdn
from .pod_dns_config import hostname as pod_hostname
from .pod_dns_config import hosts_file, resolv_conf
from .processes import ShellContext, expand, sleep_total

Obj = dict[str, Any]

IMAGE_ENV = {
    "nginx": {"NJS_VERSION": "0.8.10", "PKG_RELEASE": "1~bookworm"},
    "httpd": {"HTTPD_PREFIX": "/usr/local/apache2", "HTTPD_VERSION": "2.4.65"},
    "redis": {"REDIS_VERSION": "7.4.6"},
}
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# `ls /` in Debian-based official images; nginx's adds its entrypoint files.
ROOT_DIRS = {
    "nginx": (
        "bin   dev                  docker-entrypoint.sh  home  lib64  mnt  proc  run   srv  tmp  var\n"
        "boot  docker-entrypoint.d  etc                   lib   media  opt  root  sbin  sys  usr\n"
    ),
    "": "bin  boot  dev  etc  home  lib  lib64  media  mnt  opt  proc  root  run  sbin  srv  sys  tmp  usr  "
    "var\n",
}
# `ls /etc` of a Debian bookworm image, with the three files the kubelet mounts in.
ETC = (
    "adduser.conf  debian_version  group    hostname  issue       motd           os-release  "
    "passwd  resolv.conf  shadow  systemd\n"
    "bash.bashrc   default         gshadow  hosts     ld.so.conf  nsswitch.conf  profile     "
    "rc0.d   security     skel    timezone\n"
)


@dataclass(frozen=True)
class ExecResult:
    stdout: str
    stderr: str
    exit_code: int
    seconds: float = 0.0  # virtual time it took (a request waiting for its timeout)


class NotFoundInPath(Exception):
    """runc could not start the process: the image has no such program."""

    def __init__(self, program: str) -> None:
        super().__init__(program)
        self.program = program


@dataclass
class Container:
    """What a process inside the container can see."""

    pod: Obj
    spec: Obj
    image: str  # normalized reference: docker.io/library/nginx:1.27
    now: datetime
    # what the kubelet gave the container: its resolved environment (None: only literal
    # `value`s are known) and the files of its configMap/secret volumes
    resolved_env: list[tuple[str, str]] | None = None
    config_files: dict[str, bytes] = field(default_factory=dict)
    config_dirs: dict[str, list[str]] = field(default_factory=dict)
    # the container's writable layer: files its processes created (`touch /tmp/healthy`)
    writable: dict[str, str] = field(default_factory=dict)
    # the pod network (`network/traffic.py`), for the image's HTTP clients (wget, curl)
    network: Any = None
    took: float = 0.0  # virtual seconds the programs run so far waited (timeouts)
    # what CoreDNS has seen and who answers (`network/coredns.py`), for nslookup and getent
    dns: Any = None

    @property
    def hostname(self) -> str:
        """The UTS hostname: the node's for a host-network pod, else the pod's (`hostname`,
        or its FQDN under `setHostnameAsFQDN`)."""
        spec = self.pod.get("spec") or {}
        if spec.get("hostNetwork"):
            return str(spec.get("nodeName") or "")
        return pod_fqdn(self.pod) if spec.get("setHostnameAsFQDN") else pod_hostname(self.pod)

    @property
    def image_name(self) -> str:
        return self.image.partition("@")[0].rpartition(":")[0].rsplit("/", 1)[-1]

    def env(self) -> dict[str, str]:
        env = {"PATH": PATH, "HOSTNAME": self.hostname}
        env.update(IMAGE_ENV.get(self.image_name, {}))
        tag = self.image.partition("@")[0].rpartition(":")[2]
        if self.image_name == "nginx":
            env["NGINX_VERSION"] = NGINX_VERSIONS.get(tag, tag)
        if self.resolved_env is not None:
            env.update(self.resolved_env)
        else:
            for var in self.spec.get("env") or ():
                if "value" in var:
                    env[var["name"]] = str(var["value"])
        for name, value in service_env().items():
            env.setdefault(name, value)
        env["HOME"] = "/root"
        return env

    def view(self) -> ContainerFiles:
        """Its filesystem: the image's files under its writable layer and data volumes."""
        return ContainerFiles(self.image, self.spec, self.pod, self.writable)

    def files(self) -> dict[str, str]:
        mounted = {path: data.decode("utf-8", "replace") for path, data in self.config_files.items()}
        return (
            self.view().image_visible()
            | dict(self.writable)
            | mounted
            | {
                "/etc/hostname": f"{self.hostname}\n",
                "/etc/hosts": self.hosts(),
                "/etc/resolv.conf": resolv_conf(self.pod).text(),
            }
        )

    def hosts(self) -> str:
        """The kubelet-managed `/etc/hosts` (`pod_dns_config.py`)."""
        status = self.pod.get("status") or {}
        return hosts_file(self.pod, self.hostname, status.get("hostIP", ""))


def run_command(container: Container, argv: list[str], stdin: str = "") -> ExecResult:
    """Run `argv` (not through a shell, as exec does) in `container`. Raises NotFoundInPath when
    the program is missing (the runtime then fails the exec itself)."""
    out: list[str] = []
    err: list[str] = []
    code = _program(container, argv, stdin, out, err, in_shell=False)
    return ExecResult("".join(out), "".join(err), code, container.took)


def _program(
    c: Container, argv: list[str], stdin: str, out: list[str], err: list[str], *, in_shell: bool
) -> int:
    if not argv:
        return 0
    prog, args = argv[0].rsplit("/", 1)[-1], argv[1:]
    env = c.env()
    if prog in ("sh", "bash") and args[:1] == ["-c"]:
        return _shell(c, " ".join(args[1:2]), stdin, out, err)
    if prog in ("sh", "bash") and not args:
        return _shell(c, stdin, "", out, err)
    if prog == "hostname":
        out.append(f"{c.hostname}\n")
    elif prog in ("nslookup", "getent") and has_lookup_tool(prog, c.image):
        code, stdout, stderr, waited = lookup_tool(c.dns, c.pod, c.image, c.hosts(), argv)
        out.append(stdout)
        err.append(stderr)
        c.took += waited  # nameservers that did not answer (`dns_tools.py`)
        return code
    elif prog in ("env", "printenv"):
        if prog == "printenv" and args:
            values = [env[a] for a in args if a in env]
            out.extend(f"{v}\n" for v in values)
            return 0 if len(values) == len(args) else 1
        out.extend(f"{k}={v}\n" for k, v in env.items())
    elif prog == "echo":
        out.append(" ".join(args) + "\n")
    elif prog == "cat":
        files = c.files()
        if not args:
            out.append(stdin)
        for path in args:
            if path in files:
                out.append(files[path])
            else:
                err.append(f"cat: {path}: No such file or directory\n")
                return 1
    elif prog == "ls":
        target = args[-1] if args and not args[-1].startswith("-") else "/"
        if target in ("/", "/."):
            out.append(ROOT_DIRS.get(c.image_name, ROOT_DIRS[""]))
        elif target in ("/etc", "/etc/"):
            out.append(ETC)
        elif (target.rstrip("/") or "/") in c.config_dirs:
            out.extend(f"{entry}\n" for entry in c.config_dirs[target.rstrip("/") or "/"])
        elif c.view().is_dir(target):  # e.g. a web server's document root, or a volume
            out.extend(f"{entry.rstrip('/')}\n" for entry in sorted(c.view().entries(target)))
        else:
            err.append(f"ls: cannot access '{target}': No such file or directory\n")
            return 2
    elif prog == "sleep":  # `kubectl exec … -- sleep 5` answers 5 s later on the lab's clock
        seconds, error = sleep_total(args)
        if error:
            err.append(error)
            return 1
        c.took += seconds
    elif prog == "pwd":
        out.append("/\n")
    elif prog == "whoami":
        out.append("root\n")
    elif prog == "id":
        out.append("uid=0(root) gid=0(root) groups=0(root)\n")
    elif prog == "date":
        t = c.now
        out.append(f"{t:%a %b} {t.day:2d} {t:%H:%M:%S} UTC {t.year}\n")
    elif prog == "true":
        return 0
    elif prog == "false":
        return 1
    elif prog == "nginx" and c.image_name == "nginx" and args[:1] == ["-v"]:
        err.append(f"nginx version: nginx/{c.env()['NGINX_VERSION']}\n")
    elif prog in ("wget", "curl") and c.network is not None and _has_client(prog, c.image):
        from ..network.http_clients import curl, wget

        result = (wget if prog == "wget" else curl)(
            c.network, c.network.pod_source(c.pod), c.pod, args, c.writable, image=c.image
        )
        out.append(result.stdout)
        err.append(result.stderr)
        c.took += result.seconds
        return result.code
    else:
        if in_shell:
            err.append(f"sh: 1: {argv[0]}: not found\n")
            return 127
        raise NotFoundInPath(argv[0])
    return 0


def _has_client(program: str, image: str) -> bool:
    from ..network.http_clients import has_client
    from .images import config_for

    return has_client(program, image.partition("@")[0].rpartition(":")[0], config_for(image).busybox)


def _shell(c: Container, script: str, stdin: str, out: list[str], err: list[str]) -> int:
    """`sh -c SCRIPT`: commands separated by `;`, `&&`, `||`; `exit N` ends the script."""
    try:
        lexer = shlex.shlex(script, posix=True, punctuation_chars=";&|")
        lexer.whitespace_split = True
        tokens = list(lexer)
    except ValueError:
        err.append("sh: 1: Syntax error: Unterminated quoted string\n")
        return 2
    code = 0
    command: list[str] = []
    op = ";"
    for token in [*tokens, ";"]:
        if token not in (";", "&&", "||"):
            command.append(token)
            continue
        run = op == ";" or (op == "&&" and code == 0) or (op == "||" and code != 0)
        if command and run:
            if command[0] == "exit":
                try:
                    return int(command[1]) & 0xFF if len(command) > 1 else code
                except ValueError:
                    err.append(f"sh: 1: exit: Illegal number: {command[1]}\n")
                    return 2
            code = _redirected(c, [_expanded(c, word, err) for word in command], stdin, out, err)
        command, op = [], token
    return code


def _expanded(c: Container, word: str, err: list[str]) -> str:
    """A word with its `$…` expansions done; a `$(command)` runs in this container (its
    output, trailing newlines cut, replaces it; what it writes to stderr goes to the shell's)."""
    if "$" not in word:
        return word

    def run(argv: list[str]) -> tuple[int, str, str]:
        captured: list[str] = []
        code = _program(c, argv, "", captured, err, in_shell=True)
        return code, "".join(captured), ""

    return expand(word, ShellContext(c.env(), c.writable, run))


def _redirected(c: Container, command: list[str], stdin: str, out: list[str], err: list[str]) -> int:
    """One command, with its output redirected (`> FILE`, `>> FILE`, or `>FILE`) into the
    container's files — its writable layer, or a volume mounted there."""
    target, append, words = None, False, []
    i = 0
    while i < len(command):
        word = command[i]
        if word in (">", ">>") and i + 1 < len(command):
            target, append = command[i + 1], word == ">>"
            i += 2
            continue
        if word.startswith(">") and len(word.lstrip(">")) > 0 and word[:3] != ">>>":
            append = word.startswith(">>")
            target = word.lstrip(">")
            i += 1
            continue
        words.append(word)
        i += 1
    if target is None:
        return _program(c, words, stdin, out, err, in_shell=True)
    captured: list[str] = []
    code = _program(c, words, stdin, captured, err, in_shell=True)
    if target != "/dev/null":
        c.writable[target] = (c.writable.get(target, "") if append else "") + "".join(captured)
    return code
