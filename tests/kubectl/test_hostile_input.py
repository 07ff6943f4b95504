"""Hostile and malformed input: kubectl-style errors, exit code 1, never a traceback.

The YAML messages are go-yaml v2's as kubectl 1.32 prints them (checked with the binary:
see test_against_kubectl.py for the ones compared side by side).
"""

import pytest

from clusterlab.kubectl import run

from .fakeapi import CannedAPI

PREFIX = "error: error parsing STDIN: error converting YAML to JSON: yaml: "


def laughs(levels: int) -> str:
    text = "a: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']\n"
    for i in range(levels):
        prev, cur = chr(97 + i), chr(98 + i)
        text += f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    return text


@pytest.mark.parametrize(
    ("stdin", "stderr"),
    [
        (laughs(8), PREFIX + "document contains excessive aliasing\n"),
        ("a: &a [*a]\n", PREFIX + "anchor contains itself\n"),
        ("a: b\x01\n", PREFIX + "control characters are not allowed\n"),
        ("a: *nope\n", PREFIX + "unknown anchor 'nope' referenced\n"),
        ("a:\n  b: 1\n c: 2\n", PREFIX + "line 2: did not find expected key\n"),
        ("a: [1, 2\nb: 3\n", PREFIX + "line 1: did not find expected ',' or ']'\n"),
        ('key: "unterminated\nother: 1\n', PREFIX + "line 3: found unexpected end of stream\n"),
        ("a: " + "[" * 3000 + "]" * 3000 + "\n", PREFIX + "exceeded max depth of 10000\n"),
        (
            "x" * (3 * 1024 * 1024 + 1),
            "Error from server (RequestEntityTooLarge): Request entity too large: limit is 3145728\n",
        ),
        (
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: ../../etc\n",
            "error: invalid resource name \"../../etc\": [may not contain '/']\n",
        ),
        (
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  namespace: ..\n",
            "error: invalid namespace \"..\": [may not be '..']\n",
        ),
    ],
)
def test_bad_manifests(stdin: str, stderr: str) -> None:
    r = run("kubectl apply -f -", CannedAPI([]), stdin=stdin)
    assert (r.stdout, r.stderr, r.exit_code) == ("", stderr, 1)


@pytest.mark.parametrize(
    ("line", "stderr"),
    [
        ("kubectl get pod ..", "error: invalid resource name \"..\": [may not be '..']\n"),
        ("kubectl get pod a%b", "error: invalid resource name \"a%b\": [may not contain '%']\n"),
        ("kubectl get pods -n ../x", "error: invalid namespace \"../x\": [may not contain '/']\n"),
        (
            "kubectl get 'pods/../../x'",
            "error: arguments in resource/name form may not have more than one slash\n",
        ),
        ("kubectl get pods " + "x" * 20_000, "error: the command line is longer than 10000 characters\n"),
        ("kubectl get pods -l 'unclosed", "error: cannot parse the command line: no closing quotation\n"),
        ("", 'error: no command given: try "kubectl get pods"\n'),
    ],
)
def test_bad_command_lines(line: str, stderr: str) -> None:
    r = run(line, CannedAPI([]))
    assert (r.stdout, r.stderr, r.exit_code) == ("", stderr, 1)


def test_a_server_that_answers_garbage_is_reported_not_raised() -> None:
    from clusterlab.kubectl.transport import Response

    from .recording import RecordingTransport

    t = RecordingTransport([Response(200, "text/html", b"<html>nope</html>")] * 3)
    r = run("kubectl get pods", t)
    assert r.exit_code == 1 and "Traceback" not in r.stderr
