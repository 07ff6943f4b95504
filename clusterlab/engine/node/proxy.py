"""kube-proxy in iptables mode: one per node, turning Services and EndpointSlices into NAT rules.

What the real kube-proxy (1.32, `--proxy-mode iptables`) does, on the virtual clock:

- **Watching.** Informers on Services and EndpointSlices (both with the label selector
  `!service.kubernetes.io/headless,!service.kubernetes.io/service-proxy-name`), as the user
  `system:kube-proxy`, whom kube-apiserver's bootstrap binding `system:node-proxier` lets
  list and watch them (run as kubeadm's DaemonSet, it authenticates with its pod's token as
  `system:serviceaccount:kube-system:kube-proxy`, which kubeadm binds to the same role:
  `proxy_pod.py`). Until both have synced it writes nothing; then it syncs at once.
- **Rate limit.** Every change that matters to the rules (a Service's ports or IPs, a slice's
  endpoints and their conditions; not labels or annotations) asks for a sync through a
  `BoundedFrequencyRunner`: a token bucket of 2 syncs refilled at one per
  `--iptables-min-sync-period` (1 s). A change when a token is left is programmed at once;
  a burst of changes is coalesced into one sync a min-sync-period after the previous one.
  Without changes it resyncs every hour; `--iptables-sync-period` (30 s) is how often it checks
  its canary chain for someone flushing the tables, which nobody does here.
- **Rules.** Each sync rewrites the `filter` and `nat` tables' KUBE-* chains exactly as
  `syncProxyRules` writes them: `KUBE-SERVICES` jumps per cluster IP (and external IP) and port
  to `KUBE-SVC-<hash>` (`KUBE-SVL-` for `Local` policies), which picks an endpoint with
  `-m statistic --mode random --probability 1/n, 1/(n-1), ...` (the last rule unconditional) and
  jumps to its `KUBE-SEP-<hash>` chain (masquerade hairpin traffic, then DNAT to ip:port);
  node ports go through `KUBE-NODEPORTS` and `KUBE-EXT-<hash>`; a service port with no usable
  endpoint gets no NAT chain but a `REJECT` in the filter table (`"<svc> has no endpoints"`).
  Chain hashes are the first 16 base32 characters of the SHA-256 of `ns/name:port` plus the
  lower-case protocol (plus `ip:port` for an endpoint chain), so the names match a real node's.
  Only ready endpoints get rules; if a Service has none, its serving-and-terminating ones do.
- **Stopped.** A stopped kube-proxy changes nothing: the kernel keeps the last rules it wrote,
  so new endpoints are not reachable through the Service and deleted pods' addresses still
  receive traffic. A started one lists everything again and rewrites the whole table. A
  powered-off node loses its tables with the kernel.

The rules themselves are built in `iptables_rules.py`. `rules()` renders the tables the way
`iptables-save` (1.8.10, nf_tables) prints them: built-in
chains first, user chains sorted by name, each rule in iptables' canonical argument order, the
statistic match's probability as the kernel stores it (`0.33333333349`), comments quoted as
`xtables_save_string` quotes them.

Where the scenario installs kubeadm's kube-proxy add-on (the lab's kubeadm scenarios do), the
process runs in the node's pod of the `kube-system/kube-proxy` DaemonSet and lives as long as
that container (`proxy_pod.py`): a node has no rules until that container first starts.
Otherwise it is a node process started with the node (as in clusters that run it as a system
service) and stopped or started directly.

Simplified: only kube-proxy's chains and the built-in chains'
jumps to them are shown (no CNI plugin or kubelet canary rules); services are written in
service-port-name order where the real proxier iterates a Go map; no topology hints, no
conntrack cleanup, no `Starting` event, no IPv6.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..audit import User
from ..clock import Clock, Timer
from ..informers import Informer, key_of
from ..process import ProcessClock
from .iptables_rules import (
    SERVICE_NAME_LABEL,
    TABLES,
    Endpoint,
    Obj,
    Tables,
    build_tables,
    service_ports,
    slice_endpoints,
)

if TYPE_CHECKING:
    from ..apiserver import APIServer

PROXY_USER = User("system:kube-proxy", "kube-proxy")
#: `--iptables-min-sync-period` and `--iptables-sync-period` (KubeProxyConfiguration defaults).
MIN_SYNC_PERIOD = 1.0
SYNC_PERIOD = 30.0
#: `proxyutil.FullSyncPeriod`: the runner's longest interval between syncs.
FULL_SYNC_PERIOD = 3600.0
BURST_SYNCS = 2
#: The informers' label selector (`labels.Selector.String()` sorts by key).
PROXY_SELECTOR = "!service.kubernetes.io/headless,!service.kubernetes.io/service-proxy-name"
_EPSILON = 1e-6  # virtual times are exact to the microsecond

# -- the process ----------------------------------------------------------------------------


class SyncRunner:
    """client-go's `BoundedFrequencyRunner`: run `fn` at most `burst` times at once and then
    once per `min_interval`, and at least once per `max_interval`."""

    def __init__(
        self, clock: Clock, fn: Callable[[], None], min_interval: float, max_interval: float, burst: int
    ) -> None:
        self.clock = clock
        self.fn = fn
        self.min_interval = min_interval
        self.max_interval = max_interval
        self.burst = burst
        self.tokens = float(burst)
        self.token_time = clock.now
        self.last_run = clock.now
        self.timer: Timer | None = None

    def loop(self) -> None:
        self._reset(self.max_interval)

    def _reset(self, delay: float) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.timer = self.clock.call_later(delay, self.try_run)

    def run(self) -> None:
        """Ask for a run (`Run()`): now if a token is left, else when one is."""
        self.try_run()

    def try_run(self) -> None:
        now = self.clock.now
        self.tokens = min(float(self.burst), self.tokens + (now - self.token_time) / self.min_interval)
        self.token_time = now
        if self.tokens >= 1.0 - _EPSILON:
            self.tokens = max(0.0, self.tokens - 1.0)
            self.fn()
            self.last_run = now
            self._reset(self.max_interval)
            return
        next_possible = max(0.0, self.min_interval - (now - self.last_run))
        remaining = self.timer.when - now if self.timer is not None and not self.timer.cancelled else math.inf
        if next_possible < remaining:
            self._reset(next_possible)


class _Informer(Informer):
    """An informer that says when its first list has succeeded (`HasSynced`)."""

    def __init__(self, *args: Any, on_synced: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on_synced = on_synced

    def start(self) -> None:
        super().start()
        if self.synced:
            self.on_synced()


class KubeProxy:
    """kube-proxy on one node. See the module docstring."""

    def __init__(self, server: APIServer, clock: Clock, node: str) -> None:
        self.server = server
        self.clock = clock
        self.node = node
        self.user = PROXY_USER  # whom its requests come from (`proxy_pod.py` sets its pod's)
        self.running = False
        self.process: ProcessClock | None = None
        # What the last sync wrote, as the objects it read (informer objects are never mutated):
        # the kernel's tables, which outlive the process. Rendered when someone looks.
        self._written: tuple[list[Obj], list[Obj]] | None = None
        self._tables: Tables | None = None
        self.syncs = 0
        self.last_sync: float | None = None
        self.started_at: float | None = None
        self._informers: list[_Informer] = []
        self._runner: SyncRunner | None = None
        self._initialized = False
        self._seen: dict[tuple[str, str], Any] = {}

    # -- process --------------------------------------------------------------------------

    def start(self) -> None:
        """The process starts: informers list and watch; once both have synced, a full sync."""
        if self.running:
            return
        self.running = True
        self.started_at = self.clock.now
        self.process = ProcessClock(self.clock)
        self._initialized = False
        self._seen = {}
        self._runner = SyncRunner(self.process, self._sync, MIN_SYNC_PERIOD, FULL_SYNC_PERIOD, BURST_SYNCS)
        self._informers = []
        for resource in ("services", "endpointslices"):
            inf = _Informer(
                self.server, self.user, resource, label_selector=PROXY_SELECTOR, on_synced=self._synced
            )
            inf.add_handler(
                lambda obj, r=resource: self._changed(r, None, obj),
                lambda old, new, r=resource: self._changed(r, old, new),
                lambda obj, r=resource: self._changed(r, obj, None),
            )
            self._informers.append(inf)
        for inf in self._informers:
            inf.start()

    def stop(self) -> None:
        """The process exits; the rules it wrote stay in the kernel."""
        if not self.running:
            return
        self.running = False
        for inf in self._informers:
            inf.stop()
        self._informers = []
        if self.process is not None:
            self.process.kill()
            self.process = None
        self._runner = None

    def flush(self) -> None:
        """The machine lost power: the kernel's tables are gone."""
        self.stop()
        self._written = None
        self._tables = None

    def _synced(self) -> None:
        if self._initialized or not all(i.synced for i in self._informers) or len(self._informers) < 2:
            return
        self._initialized = True
        self._sync()  # OnServiceSynced / OnEndpointSlicesSynced sync unconditionally
        if self._runner is not None:
            self._runner.loop()

    def _changed(self, resource: str, old: Obj | None, new: Obj | None) -> None:
        """A change tracker: ask for a sync only if what the rules depend on changed."""
        obj = new if new is not None else old
        assert obj is not None
        key = (resource, key_of(obj))
        view = self._view(resource, new) if new is not None else None
        before = self._seen.get(key)
        if view is None:
            self._seen.pop(key, None)
        else:
            self._seen[key] = view
        if before != view and self._initialized and self._runner is not None:
            self._runner.run()

    def _view(self, resource: str, obj: Obj) -> Any:
        if resource == "services":
            return service_ports(obj)
        return slice_endpoints(obj, self.node)

    # -- rules ----------------------------------------------------------------------------

    def _sync(self) -> None:
        """`syncProxyRules`: rewrite the tables from the informers' caches."""
        services, slices = self._informers
        self._written = (services.list(), slices.list())
        self._tables = None
        self.syncs += 1
        self.last_sync = self.clock.now

    @property
    def tables(self) -> Tables:
        """The node's tables as the last sync wrote them (empty before the first)."""
        if self._tables is None:
            self._tables = self._build() if self._written is not None else Tables()
        return self._tables

    def _build(self) -> Tables:
        assert self._written is not None
        return node_tables(*self._written, self.node)

    def rules(self, table: str | None = None, epoch: datetime | None = None) -> str:
        """`iptables-save [-t table]` on this node (mangle, filter, nat when no table)."""
        if table is not None and table not in TABLES:
            raise ValueError(f"iptables-save: unknown table {table!r}")
        moment = (epoch or datetime(1970, 1, 1)) + timedelta(seconds=int(self.clock.now))
        # C's ctime format: "Sun Nov 22 10:37:31 2026" (day of month padded with a space).
        when = f"{moment:%a %b} {moment.day:2d} {moment:%H:%M:%S %Y}"
        return self.tables.save(table, when)


def node_tables(services: list[Obj], slices: list[Obj], node: str) -> Tables:
    """The tables a sync on `node` writes from these Services and EndpointSlices (as kube-proxy's
    informers hold them: already filtered by `PROXY_SELECTOR`)."""
    ports = [sp for svc in services for sp in service_ports(svc)]
    by_port: dict[tuple[str, str], dict[str, Endpoint]] = {}
    for eps in slices:
        ns = eps["metadata"].get("namespace")
        svc_name = (eps["metadata"].get("labels") or {}).get(SERVICE_NAME_LABEL)
        for port_name, protocol, ep in slice_endpoints(eps, node):
            name = f"{ns}/{svc_name}" + (f":{port_name}" if port_name else "")
            bucket = by_port.setdefault((name, protocol), {})
            if str(ep) not in bucket or ep.local:
                bucket[str(ep)] = ep
    # Endpoints are kept sorted by their ip:port string.
    endpoints = {k: [v[s] for s in sorted(v)] for k, v in by_port.items()}
    return build_tables(ports, endpoints)
