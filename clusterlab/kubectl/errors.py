"""Errors the console prints the way kubectl prints them.

kubectl's `cmdutil.CheckErr` writes `error: <message>` for client-side errors and
`Error from server (<Reason>): <message>` for API `Status` errors, then exits with code 1.
"""

from __future__ import annotations

from .transport import ApiStatusError


class CommandError(Exception):
    """A client-side failure; printed as `error: <message>` (unless `raw`), exit code 1."""

    def __init__(self, message: str, *, raw: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.raw = raw

    def render(self) -> str:
        text = self.message if self.raw else f"error: {self.message}"
        return text if text.endswith("\n") else text + "\n"


def server_error(exc: ApiStatusError, single: bool = False) -> str:
    """kubectl's rendering of an API error: `StandardErrorMessage`, or, when it is the only
    error of the command and the server said Invalid with details, `CheckErr`'s
    `The Deployment "web" is invalid: spec.replicas: ...` (several causes: one `* ` line each)."""
    details = exc.status.get("details") if isinstance(exc.status.get("details"), dict) else None
    if single and exc.reason == "Invalid":
        return _invalid(exc, details)
    reason = exc.reason
    msg = exc.message
    if exc.code == 404 and not msg:
        return "Error from server (NotFound): the server could not find the requested resource\n"
    if reason and reason not in ("Unknown",):
        return f"Error from server ({reason}): {msg}\n"
    return f"Error from server: {msg}\n"


def _invalid(exc: ApiStatusError, details: dict[str, object] | None) -> str:
    if details is None:
        return "The request is invalid" + (f": {exc.message}" if exc.message else "") + "\n"
    causes = [c for c in details.get("causes") or [] if isinstance(c, dict)]  # type: ignore[attr-defined]
    text = "The request is invalid"
    if details.get("kind") or details.get("name"):
        text = f'The {details.get("kind", "")} "{details.get("name", "")}" is invalid'
    elif causes and causes[0].get("field"):
        text = f"The {causes[0]['field']} is invalid"
    lines = [f"{c.get('field', '')}: {c.get('message', '')}" for c in causes]
    if not lines:
        return text + "\n"
    if len(lines) == 1:
        return f"{text}: {lines[0]}\n"
    return f"{text}: \n" + "".join(f"* {line}\n" for line in lines)
