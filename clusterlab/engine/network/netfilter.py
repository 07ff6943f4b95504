"""What a node's kernel does with a new connection, by the iptables rules kube-proxy wrote.

A packet that opens a connection from a pod or from the node itself traverses the `nat`
table's PREROUTING (from a pod) or OUTPUT (from the node) chain, both of which jump to
`KUBE-SERVICES`; from there kube-proxy's chains pick a Service's endpoint and DNAT the packet
to it. If no NAT rule took it, the `filter` table's `KUBE-SERVICES` and
`KUBE-EXTERNAL-SERVICES` chains may REJECT it (a Service port without endpoints: the client
gets an ICMP port-unreachable, which its `connect()` reports as "Connection refused") or DROP
it (a `Local` policy without local endpoints: the client waits until it gives up).

`Walk` interprets the rule lines themselves (the tables `proxy.py` keeps, exactly what
`iptables-save` shows), so what a connection does is what the node's rules say, stale or
not: the matches kube-proxy uses (`-s`/`-d` with `!`, `-p`, `--dport`, `-m addrtype
--dst-type/--src-type LOCAL`, `-m statistic --mode random --probability`, `-m recent
--rcheck --seconds … --reap` and `--set`, comments) and its targets (jumps to its chains,
`KUBE-MARK-MASQ` (a mark: traversal goes on), `RETURN`, `DNAT`, `REJECT`, `DROP`, `ACCEPT`).
The `recent` module's lists live in the node's kernel (`Recent`), keyed by list name and
source address, as `xt_recent` keeps them: ClientIP session affinity.

`outcomes` gives every possible result with its probability (how the statistic matches split
traffic); `pick` draws one for a single connection and records the `--set` it passed.

Simplified: no conntrack (every connection is new), IPv4 TCP/UDP/SCTP only; the built-in
chains are entered straight at kube-proxy's `KUBE-SERVICES`.
"""

from __future__ import annotations

import ipaddress
import random
import weakref
from dataclasses import dataclass, field

from ..node.iptables_rules import Tables

#: kubeadm's pod network (kube-proxy's `clusterCIDR`).
_MAX_DEPTH = 16


@dataclass(frozen=True)
class Packet:
    """The first packet of a connection: its addresses and destination port."""

    src: str
    dst: str
    dport: int
    protocol: str = "tcp"
    local_addresses: frozenset[str] = frozenset()  # the node's own addresses (addrtype LOCAL)


@dataclass(frozen=True)
class Outcome:
    """Where the rules send the packet. `verdict`: `DNAT` (to `ip`:`port`), `REJECT`, `DROP`
    or `PASS` (no kube-proxy rule took it: it goes on to `dst` unchanged)."""

    verdict: str
    ip: str = ""
    port: int = 0
    service: str = ""  # the service port the rules matched (`ns/name[:port]`), if any
    affinity_list: str = ""  # the `recent` list a DNAT rule `--set`s (ClientIP affinity)
    sticky: bool = False  # decided by a `recent --rcheck` (an existing affinity entry)


@dataclass
class Recent:
    """`xt_recent`'s lists on one node: list name → source address → last seen (seconds)."""

    lists: dict[str, dict[str, float]] = field(default_factory=dict)

    def seen(self, name: str, src: str, seconds: float, now: float) -> bool:
        """`--rcheck --seconds S --reap`: seen within the last S seconds (older entries go)."""
        entries = self.lists.get(name)
        if not entries or src not in entries:
            return False
        if now - entries[src] > seconds:
            del entries[src]  # --reap
            return False
        return True

    def set(self, name: str, src: str, now: float) -> None:
        self.lists.setdefault(name, {})[src] = now


@dataclass(frozen=True)
class Rule:
    """One parsed `-A` line."""

    chain: str
    src: str = ""
    src_negated: bool = False
    dst: str = ""
    dst_negated: bool = False
    protocol: str = ""
    dport: int | None = None
    dst_local: bool = False
    src_local: bool = False
    probability: float | None = None
    rcheck: tuple[str, float] | None = None  # (list, seconds)
    set_list: str = ""
    comment: str = ""
    target: str = ""
    target_args: tuple[str, ...] = ()


def split_words(line: str) -> list[str]:
    """Split a rule line as `iptables-restore` does: on spaces, a double-quoted word taking
    `\\`-escaped characters (what `xtables_save_string` writes)."""
    words: list[str] = []
    i, n = 0, len(line)
    while i < n:
        if line[i] == " ":
            i += 1
            continue
        if line[i] == '"':
            i += 1
            word: list[str] = []
            while i < n and line[i] != '"':
                if line[i] == "\\" and i + 1 < n:
                    i += 1
                word.append(line[i])
                i += 1
            words.append("".join(word))
            i += 1
            continue
        end = line.find(" ", i)
        end = n if end < 0 else end
        words.append(line[i:end])
        i = end
    return words


def parse_rule(line: str) -> Rule:
    """Parse one `iptables-save` rule line of the forms kube-proxy writes."""
    words = split_words(line)
    fields: dict[str, object] = {"chain": words[1]}
    i, negate = 2, False
    recent_name, rcheck_seconds, rcheck, set_flag = "", 0.0, False, False
    while i < len(words):
        w = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if w == "!":
            negate = True
            i += 1
            continue
        if w in ("-s", "-d"):
            key = "src" if w == "-s" else "dst"
            fields[key], fields[f"{key}_negated"] = nxt, negate
            i += 2
        elif w == "-p":
            fields["protocol"] = nxt
            i += 2
        elif w == "--dport":
            fields["dport"] = int(nxt)
            i += 2
        elif w == "--dst-type":
            fields["dst_local"] = nxt == "LOCAL"
            i += 2
        elif w == "--src-type":
            fields["src_local"] = nxt == "LOCAL"
            i += 2
        elif w == "--probability":
            fields["probability"] = float(nxt)
            i += 2
        elif w == "--comment":
            fields["comment"] = nxt
            i += 2
        elif w == "--rcheck":
            rcheck = True
            i += 1
        elif w == "--set" and i > 0 and "recent" in words[max(0, i - 3) : i]:
            set_flag = True
            i += 1
        elif w == "--seconds":
            rcheck_seconds = float(nxt)
            i += 2
        elif w == "--name":
            recent_name = nxt
            i += 2
        elif w == "-j":
            fields["target"] = nxt
            fields["target_args"] = tuple(words[i + 2 :])
            break
        else:
            i += 1
        negate = False
    if rcheck:
        fields["rcheck"] = (recent_name, rcheck_seconds)
    if set_flag:
        fields["set_list"] = recent_name
    return Rule(**fields)  # type: ignore[arg-type]


def _in(addr: str, cidr: str) -> bool:
    try:
        return ipaddress.ip_address(addr) in ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False


def _service_of(comment: str) -> str:
    """The service port a `KUBE-SERVICES`/`KUBE-NODEPORTS` rule's comment names."""
    for suffix in (
        " cluster IP",
        " external IP",
        " loadbalancer IP",
        " has no endpoints",
        " has no local endpoints",
    ):
        if comment.endswith(suffix):
            return comment[: -len(suffix)]
    return comment


_PARSED: weakref.WeakKeyDictionary[Tables, dict[str, dict[str, list[Rule]]]] = weakref.WeakKeyDictionary()


class Walk:
    """One node's tables as a packet sees them. Parsed once per set of tables."""

    def __init__(self, tables: Tables) -> None:
        parsed = _PARSED.get(tables)
        if parsed is None:  # each sync's tables are parsed once, whoever walks them
            parsed = _PARSED[tables] = {
                table: {name: [parse_rule(line) for line in lines] for name, lines in chains.items()}
                for table, chains in tables.chains.items()
            }
        self.chains: dict[str, dict[str, list[Rule]]] = parsed

    def _matches(self, rule: Rule, p: Packet) -> bool:
        if rule.src and _in(p.src, rule.src) == rule.src_negated:
            return False
        if rule.dst and _in(p.dst, rule.dst) == rule.dst_negated:
            return False
        if rule.protocol and rule.protocol != p.protocol:
            return False
        if rule.dport is not None and rule.dport != p.dport:
            return False
        if rule.dst_local and p.dst not in p.local_addresses and not _in(p.dst, "127.0.0.0/8"):
            return False
        return not (rule.src_local and p.src not in p.local_addresses)

    def outcomes(self, p: Packet, recent: Recent, now: float) -> list[tuple[float, Outcome]]:
        """Every way the packet can go, with its probability (they sum to 1)."""
        nat = self._walk("nat", "KUBE-SERVICES", p, recent, now, 1.0, "", 0)
        out: list[tuple[float, Outcome]] = []
        for prob, outcome in nat:
            if outcome is None:
                outcome = self._filter(p)
            out.append((prob, outcome))
        return out

    def _filter(self, p: Packet) -> Outcome:
        for chain in ("KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES"):
            for rule in self.chains["filter"].get(chain, ()):
                if self._matches(rule, p) and rule.target in ("REJECT", "DROP"):
                    return Outcome(rule.target, service=_service_of(rule.comment))
        return Outcome("PASS")

    def _walk(
        self,
        table: str,
        chain: str,
        p: Packet,
        recent: Recent,
        now: float,
        prob: float,
        service: str,
        depth: int,
    ) -> list[tuple[float, Outcome | None]]:
        """Traverse `chain`: (probability, outcome) pairs, None where the chain fell through."""
        if depth > _MAX_DEPTH:
            return [(prob, None)]
        results: list[tuple[float, Outcome | None]] = []
        remaining = prob
        sticky = False
        for rule in self.chains[table].get(chain, ()):
            if remaining <= 0:
                break
            if not self._matches(rule, p):
                continue
            if rule.rcheck is not None:
                name, seconds = rule.rcheck
                if not recent.seen(name, p.src, seconds, now):
                    continue
                sticky = True
            share = remaining if rule.probability is None else remaining * rule.probability
            named = chain in ("KUBE-SERVICES", "KUBE-NODEPORTS") and rule.target != "KUBE-NODEPORTS"
            svc = service or (_service_of(rule.comment) if named else "")
            target = rule.target
            if target == "KUBE-MARK-MASQ":
                continue  # sets the masquerade mark; traversal goes on
            if target == "RETURN":
                results.append((share, None))
            elif target == "DNAT":
                args = list(rule.target_args)
                dest = args[args.index("--to-destination") + 1] if "--to-destination" in args else ""
                ip, _, port = dest.rpartition(":")
                results.append((share, Outcome("DNAT", ip, int(port or 0), svc, rule.set_list, sticky)))
            elif target in ("REJECT", "DROP", "ACCEPT"):
                results.append((share, Outcome(target, service=svc)))
            elif target in self.chains[table]:
                for sub_prob, sub in self._walk(table, target, p, recent, now, share, svc, depth + 1):
                    if sub is None:
                        # fell through the jumped-to chain: continue here with that share
                        results += self._rest(table, chain, rule, p, recent, now, sub_prob, svc, depth)
                    else:
                        if sticky and not sub.sticky:
                            sub = Outcome(sub.verdict, sub.ip, sub.port, sub.service, sub.affinity_list, True)
                        results.append((sub_prob, sub))
            else:
                continue  # a target kube-proxy does not write: ignored
            remaining -= share
        if remaining > 1e-12:
            results.append((remaining, None))
        return results

    def _rest(
        self,
        table: str,
        chain: str,
        after: Rule,
        p: Packet,
        recent: Recent,
        now: float,
        prob: float,
        service: str,
        depth: int,
    ) -> list[tuple[float, Outcome | None]]:
        """The rest of `chain` after the rule `after`, for traffic that returned from a jump."""
        rules = self.chains[table].get(chain, [])
        index = rules.index(after)
        tail = f"{chain}\x00rest{index}"
        self.chains[table][tail] = rules[index + 1 :]
        try:
            return self._walk(table, tail, p, recent, now, prob, service, depth + 1)
        finally:
            del self.chains[table][tail]


def pick(walk: Walk, p: Packet, recent: Recent, now: float, rng: random.Random) -> Outcome:
    """One connection: draw an outcome by its probability and record its affinity `--set`."""
    options = walk.outcomes(p, recent, now)
    roll = rng.random()
    chosen = options[-1][1]
    for prob, outcome in options:
        if roll < prob:
            chosen = outcome
            break
        roll -= prob
    assert chosen is not None
    if chosen.affinity_list:
        recent.set(chosen.affinity_list, p.src, now)
    return chosen
