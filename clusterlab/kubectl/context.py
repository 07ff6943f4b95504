"""What every console command gets: the parsed line, the transport, discovery and stdin."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .discovery import Discovery, Resource
from .errors import CommandError, server_error
from .parser import Parsed
from .resources import Selection, from_args, load_manifests
from .transport import JSON, Transport, call


@dataclass
class Ctx:
    parsed: Parsed
    transport: Transport
    discovery: Discovery
    stdin: str = ""
    now: datetime | None = None
    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)
    failed: bool = False
    exit_code: int | None = None  # a specific code (exec passes the command's on)

    @property
    def flags(self) -> dict[str, Any]:
        return self.parsed.flags

    @property
    def args(self) -> list[str]:
        return self.parsed.args

    @property
    def namespace(self) -> str:
        return self.flags.get("namespace") or "default"

    def print(self, text: str) -> None:
        self.out.append(text if text.endswith("\n") or not text else text + "\n")

    def error(self, text: str) -> None:
        """Report a failure on stderr as kubectl does and make the exit code 1."""
        self.failed = True
        self.err.append(text if text.endswith("\n") else text + "\n")

    def report(self, errors: list[Any]) -> None:
        """kubectl's aggregate error printing: one error gets its `error: ` prefix, several are
        printed one a line; API errors always read `Error from server (Reason): ...`."""
        from .transport import ApiStatusError

        for e in errors:
            if isinstance(e, ApiStatusError):
                self.error(server_error(e, single=len(errors) == 1))
            elif len(errors) == 1:
                self.error(f"error: {e}")
            else:
                self.error(str(e))

    def call(self, method: str, path: str, **kw: Any) -> Any:
        kw.setdefault("accept", JSON)
        return call(self.transport, method, path, **kw)

    def selection(self, verb: str, *, allow_types: bool = True) -> Selection:
        """The targets of the command, from `-f` input or from the arguments."""
        files = self.flags.get("filename") or ()
        if files:
            if self.args:
                raise CommandError(
                    f"Unexpected args: {_go_list(self.args)}\nSee 'kubectl {verb} -h' for help and examples"
                )
            for f in files:
                if f != "-":
                    raise CommandError(
                        f'the path "{f}" does not exist (this console reads manifests from the '
                        f"editor: use -f -)"
                    )
            try:
                validate = str(self.flags.get("validate", "false")).lower() in ("strict", "true", "warn")
                enforce = "namespace" in self.parsed.given
                return load_manifests(self.stdin, "STDIN", self.discovery, self.namespace, validate, enforce)
            except CommandError as exc:
                raise CommandError(exc.message.replace("{verb}", verb), raw=exc.raw) from None
        return from_args(self.args, self.discovery, self.namespace, verb)

    def listing_path(self, r: Resource) -> str:
        if r.namespaced and not self.flags.get("all-namespaces"):
            return r.path(self.namespace)
        return r.path()


def _go_list(items: list[str]) -> str:
    return "[" + " ".join(items) + "]"
