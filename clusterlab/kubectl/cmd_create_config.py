"""`kubectl create configmap` and `kubectl create secret generic|tls|docker-registry`, as
kubectl 1.32 builds them.

- `create configmap NAME` (alias `cm`) with `--from-literal=key=value` (repeatable),
  `--from-file=[key=]path` (the key defaults to the file's base name; a value that is not
  UTF-8 goes to `binaryData`) and `--from-env-file=path` (`KEY=value` lines; blank lines and
  `#` comments skipped; each key must be an environment variable name), which cannot be
  combined with the other two.
- `create secret generic NAME` the same sources (values base64-encoded into `data`) and
  `--type`; `create secret tls NAME --cert=path --key=path` (`tls.crt`, `tls.key`, type
  `kubernetes.io/tls`; the PEM blocks are checked as Go's `tls.X509KeyPair` looks for them);
  `create secret docker-registry NAME --docker-username --docker-password [--docker-email]
  [--docker-server=https://index.docker.io/v1/]` (a `.dockerconfigjson` of type
  `kubernetes.io/dockerconfigjson` with `auths.<server>.auth` = base64(user:password)).
Keys are checked with `IsConfigMapKey` and must not repeat, in kubectl's words, before
anything is sent; the server's refusals come back as `failed to create configmap: ...` /
`failed to create secret ...`.

This console has no local disk: a file path reads the text in the console's editor (as
`-f -` does), so one file's contents can be given; `--cert` and `--key` both read it (put the
certificate and the key in it, as one PEM file). Simplified: the key is not checked against
the certificate; `--append-hash` and directories as `--from-file` sources are not available.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from clusterlab.engine.config_keys import key_errors

from .cmd_write import _create_object
from .context import Ctx
from .errors import CommandError
from .transport import ApiStatusError

Obj = dict[str, Any]
DOCKER_SERVER = "https://index.docker.io/v1/"
ENV_NAME_MSG = (
    "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', "
    "and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex "
    "used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')"
)
SECRET_TYPES = ("docker-registry", "generic", "tls")
TYPE_FLAGS = {
    "generic": {"from-file", "from-literal", "from-env-file", "type"},
    "tls": {"cert", "key"},
    "docker-registry": {"docker-server", "docker-username", "docker-password", "docker-email", "from-file"},
}


def _name(ctx: Ctx, command: str, args: list[str]) -> str:
    if len(args) != 1:
        raise CommandError(
            f"error: exactly one NAME is required, got {len(args)}\n"
            f"See 'kubectl create {command} -h' for help and examples\n",
            raw=True,
        )
    return str(args[0])


class _Files:
    """The console's one file: every path reads the editor's text."""

    def __init__(self, ctx: Ctx) -> None:
        self.text = ctx.stdin
        self.used: str | None = None

    def read(self, path: str, missing: str) -> bytes:
        if not self.text or (self.used is not None and self.used != path):
            raise CommandError(missing + " (this console reads one file, from the editor)")
        self.used = path
        return self.text.encode()


def _env_file(text: str, path: str) -> list[tuple[str, str]]:
    """kubectl's `processEnvFileLine`, line by line."""
    pairs = []
    for number, raw in enumerate(text.split("\n")):
        line = raw.removeprefix("\ufeff") if number == 0 else raw
        line = line.lstrip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not _env_name(key):
            raise CommandError(f'"{key}" is not a valid key name: {ENV_NAME_MSG}')
        pairs.append((key, value if sep else ""))
    return pairs


def _env_name(key: str) -> bool:
    import re

    return (
        bool(re.match(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$", key))
        and key not in (".", "..")
        and not key.startswith("..")
    )


def _sources(ctx: Ctx, files: _Files) -> list[tuple[str, bytes]]:
    """Every (key, value) of the literal, file and env-file sources, in kubectl's order."""
    literals = ctx.flags.get("from-literal") or ()
    from_files = ctx.flags.get("from-file") or ()
    env_files = ctx.flags.get("from-env-file") or ()
    if env_files and (literals or from_files):
        raise CommandError("from-env-file cannot be combined with from-file or from-literal")
    out: list[tuple[str, bytes]] = []
    for source in from_files:
        key, sep, path = source.partition("=")
        if not sep:
            key, path = source.rstrip("/").rsplit("/", 1)[-1], source
        elif not key:
            raise CommandError(f"key name for file path {path} missing")
        elif not path:
            raise CommandError(f"file path for key name {key} missing")
        out.append((key, files.read(path, f"error reading {path}: no such file or directory")))
    for literal in literals:
        key, sep, value = literal.partition("=")
        if not sep:
            raise CommandError(f"invalid literal source {literal}, expected key=value")
        out.append((key, value.encode()))
    for path in env_files:
        text = files.read(path, f"error reading {path}: no such file or directory").decode()
        out += [(k, v.encode()) for k, v in _env_file(text, path)]
    return out


def _print_or_create(ctx: Ctx, what: str, resource: str, obj: Obj, separator: str) -> None:
    try:
        _create_object(ctx, resource, obj)
    except ApiStatusError as exc:
        raise CommandError(f"failed to create {what}{separator}{exc.message}") from None


def run_create_configmap(ctx: Ctx) -> None:
    name = _name(ctx, "configmap", ctx.args)
    obj: Obj = {
        "kind": "ConfigMap",
        "apiVersion": "v1",
        "metadata": {"name": name, "creationTimestamp": None},
    }
    data: dict[str, str] = {}
    binary: dict[str, str] = {}
    for key, value in _sources(ctx, _Files(ctx)):
        errors = key_errors(key)
        if errors:
            raise CommandError(f'"{key}" is not a valid key name for a ConfigMap: {",".join(errors)}')
        for bag, label in ((data, "Data"), (binary, "BinaryData")):
            if key in bag:
                raise CommandError(
                    f'cannot add key "{key}", another key by that name already exists in {label} for '
                    f'ConfigMap "{name}"'
                )
        try:
            data[key] = value.decode("utf-8")
        except UnicodeDecodeError:
            binary[key] = base64.b64encode(value).decode()
    if data:  # kubectl's JSON has map keys sorted, as Go marshals maps
        obj["data"] = dict(sorted(data.items()))
    if binary:
        obj["binaryData"] = dict(sorted(binary.items()))
    _print_or_create(ctx, "configmap", "configmaps", obj, ": ")


def _secret_data(data: dict[str, str], key: str, value: bytes) -> None:
    errors = key_errors(key)
    if errors:
        raise CommandError(f'"{key}" is not valid key name for a Secret {";".join(errors)}')
    if key in data:
        raise CommandError(f"cannot add key {key}, another key by that name already exists")
    data[key] = base64.b64encode(value).decode()


def run_create_secret(ctx: Ctx) -> None:
    kind = ctx.args[0] if ctx.args else ""
    if kind not in SECRET_TYPES:
        if not ctx.args:
            raise CommandError(SECRET_HELP, raw=True)
        raise CommandError(
            f"error: unknown command \"{' '.join(ctx.args)}\"\nSee 'kubectl create secret -h' for help "
            "and examples\n",
            raw=True,
        )
    for flag in sorted(ctx.parsed.given):
        owner = next((t for t, names in TYPE_FLAGS.items() if flag in names), None)
        if owner is not None and flag not in TYPE_FLAGS[kind]:
            raise CommandError(
                f"error: unknown flag: --{flag}\nSee 'kubectl create secret {kind} --help' for usage.\n",
                raw=True,
            )
    name = _name(ctx, f"secret {kind}", ctx.args[1:])
    obj: Obj = {"kind": "Secret", "apiVersion": "v1", "metadata": {"name": name, "creationTimestamp": None}}
    data: dict[str, str] = {}
    files = _Files(ctx)
    if kind == "generic":
        for key, value in _sources(ctx, files):
            _secret_data(data, key, value)
        secret_type = ctx.flags.get("type") or ""
    elif kind == "tls":
        secret_type = "kubernetes.io/tls"
        cert, key = ctx.flags.get("cert") or "", ctx.flags.get("key") or ""
        if not cert or not key:
            raise CommandError("key and cert must be specified")
        cert_pem = files.read(cert, f"Cannot read file {cert}, open {cert}: no such file or directory")
        key_pem = files.read(key, f"Cannot read file {key}, open {key}: no such file or directory")
        _check_key_pair(cert_pem.decode("utf-8", "replace"), key_pem.decode("utf-8", "replace"))
        data = {"tls.crt": base64.b64encode(cert_pem).decode(), "tls.key": base64.b64encode(key_pem).decode()}
    else:
        secret_type = "kubernetes.io/dockerconfigjson"
        from_files = ctx.flags.get("from-file") or ()
        if from_files:
            for key, value in _sources(ctx, files):
                _secret_data(data, key, value)
        else:
            user, password = ctx.flags.get("docker-username") or "", ctx.flags.get("docker-password") or ""
            if not user or not password:
                raise CommandError(
                    "either --from-file or the combination of --docker-username, --docker-password and "
                    "--docker-server is required"
                )
            entry = {"username": user, "password": password}
            if ctx.flags.get("docker-email"):
                entry["email"] = ctx.flags["docker-email"]
            entry["auth"] = base64.b64encode(f"{user}:{password}".encode()).decode()
            server = ctx.flags.get("docker-server") or DOCKER_SERVER
            config = json.dumps({"auths": {server: entry}}, separators=(",", ":"), ensure_ascii=False)
            data = {".dockerconfigjson": base64.b64encode(config.encode()).decode()}
    if data:
        obj["data"] = dict(sorted(data.items()))
    if secret_type:
        obj["type"] = secret_type
    _print_or_create(ctx, "secret", "secrets", obj, " ")


def _pem_types(text: str) -> list[str]:
    types = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("-----BEGIN ") and line.endswith("-----"):
            types.append(line[len("-----BEGIN ") : -5])
    return types


def _check_key_pair(cert: str, key: str) -> None:
    """The PEM checks of Go's `tls.X509KeyPair`."""
    cert_types = _pem_types(cert)
    if "CERTIFICATE" not in cert_types:
        if not cert_types:
            raise CommandError("tls: failed to find any PEM data in certificate input")
        if any(t.endswith("PRIVATE KEY") for t in cert_types):
            raise CommandError(
                "tls: failed to find certificate PEM data in certificate input, but did find a private key; "
                "PEM inputs may have been switched"
            )
        raise CommandError(
            'tls: failed to find "CERTIFICATE" PEM block in certificate input after skipping PEM blocks of '
            f"the following types: [{' '.join(cert_types)}]"
        )
    key_types = _pem_types(key)
    if not any(t == "PRIVATE KEY" or t.endswith(" PRIVATE KEY") for t in key_types):
        if not key_types:
            raise CommandError("tls: failed to find any PEM data in key input")
        if key_types == ["CERTIFICATE"] * len(key_types):
            raise CommandError("tls: found a certificate rather than a key in the PEM for the private key")
        raise CommandError(
            'tls: failed to find PEM block with type ending in "PRIVATE KEY" in key input after skipping PEM '
            f"blocks of the following types: [{' '.join(key_types)}]"
        )


SECRET_HELP = """Create a secret with specified type.

 A docker-registry type secret is for accessing a container registry.

 A generic type secret indicate an Opaque secret type.

 A tls type secret holds TLS certificate and its associated key.

Available Commands:
  docker-registry   Create a secret for use with a Docker registry
  generic           Create a secret from a local file, directory, or literal value
  tls               Create a TLS secret

Usage:
  kubectl create secret (docker-registry | generic | tls) [options]

Use "kubectl create secret <command> --help" for more information about a given command.
Use "kubectl options" for a list of global command-line options (applies to all commands).
"""
