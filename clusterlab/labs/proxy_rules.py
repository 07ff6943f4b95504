"""A node's kube-proxy rule table, as the lab page shows it when a node is clicked.

On a real node, `iptables-save -t nat` prints what kube-proxy last programmed into the kernel.
The engine keeps exactly that per node (`Cluster.proxy_rules`); this module turns the text into
lines the template can mark:

- **A Service's chains.** Given `namespace/name`, every rule whose comment names one of the
  Service's ports (`default/web`, `default/web:http cluster IP`, `default/web -> 10.244.1.3:80`),
  every chain those rules jump to that kube-proxy made for it (`KUBE-SVC-`, `KUBE-SVL-`,
  `KUBE-EXT-`, `KUBE-FW-`, `KUBE-SEP-`), the rules in those chains and their declarations.
- **Stale rules.** A stopped kube-proxy leaves its last rules in the kernel. The page compares
  them with what a running kube-proxy would write from the Services and EndpointSlices stored
  now (the same `syncProxyRules` code, fed what its informers would list): lines no longer
  wanted are marked stale, and the lines it would add are listed as missing.

Reading the tables here is what an onlooker does, not an API request: it uses `Cluster.observe`.
Simplified: the comparison is line by line (iptables-save's own order), so a rule that only moved
within its chain does not count as stale.
"""

from __future__ import annotations

import re
from typing import Any

from clusterlab.engine import Cluster, NotFound
from clusterlab.engine.errors import ApiError
from clusterlab.engine.node.proxy import PROXY_SELECTOR, node_tables
from clusterlab.engine.selectors import parse_label_selector

Obj = dict[str, Any]

#: The chains kube-proxy makes per Service port (and per endpoint): what "its chains" are.
SERVICE_CHAIN_PREFIXES = ("KUBE-SVC-", "KUBE-SVL-", "KUBE-EXT-", "KUBE-FW-", "KUBE-SEP-")
_COMMENT = re.compile(r'-m comment --comment ("(?:[^"\\]|\\.)*"|\S+)')
_JUMP = re.compile(r" -j (\S+)")


def _comment(line: str) -> str:
    match = _COMMENT.search(line)
    if match is None:
        return ""
    text = match.group(1)
    if text.startswith('"'):
        text = re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


def _names_service(comment: str, service: str) -> bool:
    """Whether a rule's comment is about `service` (`ns/name`): kube-proxy's comments start
    with the service port name, `ns/name` or `ns/name:port`, then a space or nothing."""
    if not comment.startswith(service):
        return False
    rest = comment[len(service) :]
    return rest == "" or rest[0] in ": "


def _chain_of(line: str) -> str:
    """The chain a saved line belongs to: `-A CHAIN ...` or the declaration `:CHAIN ...`."""
    if line.startswith("-A "):
        return line.split(" ", 2)[1]
    if line.startswith(":"):
        return line[1:].split(" ", 1)[0]
    return ""


def service_chains(lines: list[str], service: str) -> set[str]:
    """The chains kube-proxy wrote for `service` (`ns/name`), found from the rules' comments
    and the jumps between kube-proxy's per-service chains."""
    chains: set[str] = set()
    for line in lines:
        if line.startswith("-A ") and _names_service(_comment(line), service):
            jump = _JUMP.search(line)
            if jump and jump.group(1).startswith(SERVICE_CHAIN_PREFIXES):
                chains.add(jump.group(1))
            chain = _chain_of(line)
            if chain.startswith(SERVICE_CHAIN_PREFIXES):
                chains.add(chain)
    # Follow jumps out of the Service's chains (KUBE-EXT- → KUBE-SVC- → KUBE-SEP-).
    grew = True
    while grew:
        grew = False
        for line in lines:
            if line.startswith("-A ") and _chain_of(line) in chains:
                jump = _JUMP.search(line)
                if jump and jump.group(1).startswith(SERVICE_CHAIN_PREFIXES) and jump.group(1) not in chains:
                    chains.add(jump.group(1))
                    grew = True
    return chains


def wanted_rules(cluster: Cluster, node: str) -> str:
    """`iptables-save -t nat` as a running kube-proxy on `node` would write it from the objects
    stored now (the header's time line is the same as the programmed one's)."""
    selector = parse_label_selector(PROXY_SELECTOR)
    services = [s for s in cluster.observe("services") if selector.matches(s["metadata"].get("labels"))]
    slices = [e for e in cluster.observe("endpointslices") if selector.matches(e["metadata"].get("labels"))]
    return node_tables(services, slices, node).save("nat", "")


def _body(text: str) -> list[str]:
    """The saved lines without iptables-save's `# Generated/Completed` comments."""
    return [line for line in text.splitlines() if not line.startswith("#")]


def rule_table(cluster: Cluster, node: str, service: str = "") -> Obj | None:
    """The template context for `node`'s nat table, with `service`'s (`ns/name`) rules marked;
    None when there is no such node."""
    try:
        running = cluster.kube_proxy_running(node)
        stopped = cluster.kube_proxy_stopped(node)
        powered = cluster.node_powered(node)
    except NotFound:
        return None
    context: Obj = {
        "node": node,
        "service": service,
        "running": running,
        "stopped": stopped,  # by the learner; else not running yet (its pod's container)
        "powered": powered,
        "lines": [],
        "missing": [],
        "stale": 0,
        "services": _service_names(cluster),
        "highlighted": 0,
    }
    if not powered:
        return context
    try:
        text = cluster.proxy_rules(node, "nat")
    except ApiError:
        return context
    lines = text.splitlines()
    body = _body(text)
    wanted_body = body if running else _body(wanted_rules(cluster, node))
    wanted = set(wanted_body)
    chains = service_chains(body, service) if service else set()
    rows = []
    for line in lines:
        chain = _chain_of(line)
        mine = bool(service) and (
            chain in chains
            or (line.startswith("-A ") and _names_service(_comment(line), service))
            or bool((jump := _JUMP.search(line)) and jump.group(1) in chains)
        )
        stale = not running and not line.startswith("#") and line not in wanted
        rows.append({"text": line, "service": mine, "stale": stale})
    present = set(body)
    context.update(
        lines=rows,
        missing=[line for line in wanted_body if line not in present],
        stale=sum(1 for row in rows if row["stale"]),
        highlighted=sum(1 for row in rows if row["service"]),
        last_sync=_last_sync(cluster, node),
    )
    return context


def _service_names(cluster: Cluster) -> list[str]:
    """Every Service kube-proxy programs (it has a cluster IP), as `ns/name`, for the chooser."""
    names = []
    for svc in cluster.observe("services"):
        ip = (svc.get("spec") or {}).get("clusterIP")
        if ip and ip != "None":
            names.append(f"{svc['metadata'].get('namespace', 'default')}/{svc['metadata']['name']}")
    return sorted(names)


def _last_sync(cluster: Cluster, node: str) -> str:
    """When this node's kube-proxy last wrote its rules, as the page's clock shows times."""
    from clusterlab.labs.board import clock_text  # the board imports this module's neighbours

    proxy = cluster.proxies.get(node)
    if proxy is None or proxy.last_sync is None:
        return ""
    return clock_text(proxy.last_sync)
