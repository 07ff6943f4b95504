"""The lab page's kubectl console: run one command line against the lab's Kubernetes API.

The command runs in the emulated kubectl (`clusterlab.kubectl`), whose requests go through the
lab API's own dispatcher (`clusterlab.kubeapi.inprocess`): the same handlers a real kubectl
reaches at `/k8s/<key>/`. Writes are added to the lab's command log like any API write, so a
replay rebuilds what the console did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from clusterlab.kubeapi.inprocess import DispatchTransport
from clusterlab.kubeapi.replay import API_ACTION
from clusterlab.kubectl.cli import run
from clusterlab.kubectl.complete import complete
from clusterlab.kubectl.transport import ConnectionRefused
from clusterlab.labs.live import LiveLab

MAX_COMMAND_CHARS = 4096


@dataclass(frozen=True)
class ConsoleEntry:
    command: str
    stdout: str
    stderr: str
    exit_code: int


async def run_command(
    live: LiveLab, command: str, stdin: str = "", server: str = "localhost:8080"
) -> ConsoleEntry:
    """Run `kubectl <command>` on the lab, log its writes, and return what kubectl printed.
    `server`: the lab API's host:port, as kubectl names it in its messages."""
    command = command.strip()
    if command.startswith("kubectl "):
        command = command[len("kubectl ") :]
    if len(command) > MAX_COMMAND_CHARS:
        return ConsoleEntry(command[:80] + "…", "", "error: the command line is too long\n", 1)
    cluster = live.runner.cluster
    transport = DispatchTransport(cluster, server=server)
    now = cluster.epoch + timedelta(seconds=cluster.now)
    result = run(command, transport, stdin=stdin, now=now)
    for args, at in transport.writes:
        entry = live.runner.log_applied(API_ACTION, args, "console:kubectl", at)
        await live.record(entry)
    return ConsoleEntry(command, result.stdout, result.stderr, result.exit_code)


def _common_prefix(words: list[str]) -> str:
    """The longest string every word starts with (character by character, as shells complete)."""
    first, last = min(words), max(words)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


def complete_line(live: LiveLab, line: str, cursor: int) -> tuple[list[str], str, int]:
    """Completion candidates for the word at `cursor`, and the line with it completed as far as
    the candidates agree (one candidate: the whole word and a space)."""
    cursor = max(0, min(cursor, len(line)))
    transport = DispatchTransport(live.runner.cluster)
    try:
        options = complete(line, cursor, transport)
    except ConnectionRefused:  # no API server runs: nothing to complete from
        return [], line, cursor
    start = max(line.rfind(" ", 0, cursor), line.rfind("=", 0, cursor)) + 1
    word = line[start:cursor]
    if not options:
        return [], line, cursor
    common = _common_prefix(options)
    if len(options) == 1 and not common.endswith(("/", "=")):
        common += " "
    if len(common) <= len(word) and len(options) > 1:
        return options, line, cursor
    new_line = line[:start] + common + line[cursor:]
    return options, new_line, start + len(common)
