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
--rcheck --seconds … --reap` and `--set`, `-m mark [!] --mark V/M`, comments) and its targets
(jumps to its chains, `RETURN`, `MARK --set-xmark V/M` (traversal goes on), `DNAT`, `REJECT`,
`DROP`, `ACCEPT`, `MASQUERADE`).

The packet's mark travels with it: `KUBE-MARK-MASQ` (a chain whose one rule sets bit 0x4000)
marks the connections kube-proxy wants source-NATed — traffic to a cluster IP from outside the
pod CIDR, traffic entering by an external address under `externalTrafficPolicy: Cluster`
(`KUBE-EXT-…`), and a pod reaching itself through its Service (`KUBE-SEP-…`'s `-s <endpoint>`,
hairpin). After routing, the packet leaves through `nat` POSTROUTING, whose `KUBE-POSTROUTING`
returns unmarked packets and `MASQUERADE`s marked ones (`postrouting`): the kernel then
rewrites the source to the address of the interface the packet leaves by.
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
from dataclasses import dataclass, field, replace

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
    mark: int = 0  # the packet's mark when the rules decided (0x4000: to be masqueraded)
    marked_by: str = ""  # the chain whose rule jumped to the mark's chain (KUBE-EXT-…, KUBE-SEP-…)


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
    mark: tuple[int, int] | None = None  # `-m mark --mark VALUE/MASK`
    mark_negated: bool = False
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
        elif w == "--mark":
            fields["mark"], fields["mark_negated"] = _mark_value(nxt), negate
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


def _mark_value(text: str) -> tuple[int, int]:
    """`VALUE[/MASK]` as iptables prints a mark (hexadecimal); the mask defaults to all bits."""
    value, _, mask = text.partition("/")
    return int(value, 0), int(mask, 0) if mask else 0xFFFFFFFF


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


#: One way through a chain: (probability, outcome or None when it fell through, the packet's
#: mark, the chain that had it marked).
Branch = tuple[float, "Outcome | None", int, str]

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

    def _matches(self, rule: Rule, p: Packet, mark: int = 0) -> bool:
        if rule.mark is not None and ((mark & rule.mark[1]) == rule.mark[0]) == rule.mark_negated:
            return False
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
        nat = self._walk("nat", "KUBE-SERVICES", p, recent, now, 1.0, "", 0, 0, "")
        out: list[tuple[float, Outcome]] = []
        for prob, outcome, mark, marker in nat:
            if outcome is None:
                outcome = self._filter(p)
                if mark:
                    outcome = replace(outcome, mark=mark, marked_by=marker)
            out.append((prob, outcome))
        return out

    def postrouting(self, p: Packet, mark: int) -> bool:
        """Whether the `nat` POSTROUTING chain masquerades a packet (`p` as it leaves, after
        any DNAT) carrying `mark`: kube-proxy's `KUBE-POSTROUTING` returns unmarked packets and
        MASQUERADEs the ones `KUBE-MARK-MASQ` marked."""
        for _prob, outcome, _mark, _marker in self._walk(
            "nat", "POSTROUTING", p, Recent(), 0.0, 1.0, "", 0, mark, ""
        ):
            if outcome is not None and outcome.verdict == "MASQUERADE":
                return True
        return False

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
        mark: int,
        marker: str,
    ) -> list[Branch]:
        """Traverse `chain` with the packet carrying `mark` (set by `marker`'s jump):
        (probability, outcome, mark, marker) branches, the outcome None where the chain fell
        through (the mark as it was set on the way)."""
        if depth > _MAX_DEPTH:
            return [(prob, None, mark, marker)]
        rules = self.chains[table].get(chain, ())
        return self._from(table, chain, rules, 0, p, recent, now, prob, service, depth, mark, marker)

    def _from(
        self,
        table: str,
        chain: str,
        rules: list[Rule] | tuple[Rule, ...],
        start: int,
        p: Packet,
        recent: Recent,
        now: float,
        prob: float,
        service: str,
        depth: int,
        mark: int,
        marker: str,
    ) -> list[Branch]:
        """`chain`'s rules from index `start` on (the rest of a chain a jump returned to)."""
        results: list[Branch] = []
        remaining = prob
        sticky = False
        for index in range(start, len(rules)):
            rule = rules[index]
            if remaining <= 0:
                break
            if not self._matches(rule, p, mark):
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
            if target == "MARK":
                args = list(rule.target_args)
                if "--set-xmark" in args:
                    value, mask = _mark_value(args[args.index("--set-xmark") + 1])
                    mark = (mark & ~mask & 0xFFFFFFFF) ^ value
                continue  # a non-terminating target: traversal goes on
            if target == "RETURN":
                results.append((share, None, mark, marker))
            elif target == "DNAT":
                args = list(rule.target_args)
                dest = args[args.index("--to-destination") + 1] if "--to-destination" in args else ""
                ip, _, port = dest.rpartition(":")
                outcome = Outcome("DNAT", ip, int(port or 0), svc, rule.set_list, sticky, mark, marker)
                results.append((share, outcome, mark, marker))
            elif target in ("REJECT", "DROP", "ACCEPT", "MASQUERADE"):
                verdict = Outcome(target, service=svc, mark=mark, marked_by=marker)
                results.append((share, verdict, mark, marker))
            elif target in self.chains[table]:
                # the first jump to the masquerade mark's chain names who wanted the SNAT
                jumper = chain if target == "KUBE-MARK-MASQ" and not mark else marker
                sub_results = self._walk(table, target, p, recent, now, share, svc, depth + 1, mark, jumper)
                for sub_prob, sub, sub_mark, sub_marker in sub_results:
                    if sub is None:
                        # fell through the jumped-to chain: continue here with that share
                        results += self._from(
                            table,
                            chain,
                            rules,
                            index + 1,
                            p,
                            recent,
                            now,
                            sub_prob,
                            svc,
                            depth + 1,
                            sub_mark,
                            sub_marker,
                        )
                    else:
                        if sticky and not sub.sticky:
                            sub = replace(sub, sticky=True)
                        results.append((sub_prob, sub, sub_mark, sub_marker))
            else:
                continue  # a target kube-proxy does not write: ignored
            remaining -= share
        if remaining > 1e-12:
            results.append((remaining, None, mark, marker))
        return results


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
