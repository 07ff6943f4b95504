"""auth can-i, auth whoami.

`kubectl auth can-i VERB TYPE[/NAME]` (or `VERB /non-resource-url`) POSTs a
SelfSubjectAccessReview and prints `yes`, or `no` (with ` - <reason>` when the server gives one)
and exits 1; `-q` prints nothing. The type is mapped through discovery to its API group; an
unknown type is sent as typed, with kubectl's warning. `-A` asks about all namespaces.
`kubectl auth whoami` POSTs a SelfSubjectReview and prints the ATTRIBUTE/VALUE table (or the
review with `-o json|yaml`). With `--as`, both speak for the impersonated user.

Simplified: `can-i --list` (SelfSubjectRulesReview) is not available.
"""

from __future__ import annotations

from typing import Any

from .context import Ctx
from .errors import CommandError
from .printers import formats
from .printers.table import tabwrite

SSAR = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
SSR = "/apis/authentication.k8s.io/v1/selfsubjectreviews"
CAN_I_USAGE = (
    "you must specify two arguments: verb resource or verb resource/resourceName.\n"
    "See 'kubectl auth can-i -h' for help and examples."
)
AUTH_HELP = """Inspect authorization.

Available Commands:
  can-i       Check whether an action is allowed
  reconcile   Reconciles rules for RBAC role, role binding, cluster role, and cluster role binding objects
  whoami      Experimental: Check self subject attributes

Usage:
  kubectl auth [flags] [options]

Use "kubectl auth <command> --help" for more information about a given command.
Use "kubectl options" for a list of global command-line options (applies to all commands).
"""


def run_auth(ctx: Ctx) -> None:
    ctx.print(AUTH_HELP)


def run_auth_can_i(ctx: Ctx) -> None:
    if len(ctx.args) != 2:
        raise CommandError(CAN_I_USAGE)
    verb, target = ctx.args
    spec: dict[str, Any]
    if target.startswith("/"):
        spec = {"nonResourceAttributes": {"path": target, "verb": verb}}
    else:
        type_name, _, name = target.partition("/")
        attrs: dict[str, Any] = {
            "namespace": "" if ctx.flags.get("all-namespaces") else ctx.namespace,
            "verb": verb,
            "group": "",
            "resource": type_name,
        }
        if type_name != "*":
            try:
                found = ctx.discovery.resolve(type_name)[0]
            except CommandError:
                ctx.err.append(f"Warning: the server doesn't have a resource type '{type_name}'\n\n")
            else:
                attrs["group"], attrs["resource"] = found.group, found.plural
        if ctx.flags.get("subresource"):
            attrs["subresource"] = ctx.flags["subresource"]
        if name:
            attrs["name"] = name
        spec = {"resourceAttributes": {k: v for k, v in attrs.items() if v != "" or k == "namespace"}}
    body = {
        "kind": "SelfSubjectAccessReview",
        "apiVersion": "authorization.k8s.io/v1",
        "metadata": {"creationTimestamp": None},
        "spec": spec,
        "status": {"allowed": False},
    }
    review = ctx.call("POST", SSAR, body=body)
    status = review.get("status") or {}
    if status.get("allowed"):
        if not ctx.flags.get("quiet"):
            ctx.print("yes")
        return
    if not ctx.flags.get("quiet"):
        line = "no"
        if status.get("reason"):
            line += f" - {status['reason']}"
        if status.get("evaluationError"):
            line += f" - {status['evaluationError']}"
        ctx.print(line)
    ctx.failed = True


def run_auth_whoami(ctx: Ctx) -> None:
    body = {
        "kind": "SelfSubjectReview",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"creationTimestamp": None},
        "status": {"userInfo": {}},
    }
    review = ctx.call("POST", SSR, body=body)
    output = ctx.flags.get("output") or ""
    if output in ("json", "yaml"):
        ctx.print(formats.to_json(review) if output == "json" else formats.to_yaml(review))
        return
    if output:
        raise CommandError(f'unable to match a printer suitable for the output format "{output}"')
    info = (review.get("status") or {}).get("userInfo") or {}
    rows = [["ATTRIBUTE", "VALUE"], ["Username", info.get("username", "")]]
    if info.get("uid"):
        rows.append(["UID", info["uid"]])
    if info.get("groups"):
        rows.append(["Groups", "[" + " ".join(info["groups"]) + "]"])
    for key, values in sorted((info.get("extra") or {}).items()):
        rows.append([f"Extra: {key}", "[" + " ".join(values) + "]"])
    ctx.print(tabwrite(rows))
