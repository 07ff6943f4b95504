"""The control-plane components as processes that can stop, start and fail over.

On a kubeadm control-plane node, kube-apiserver, etcd, kube-scheduler and
kube-controller-manager are static pods: the kubelet runs them from manifests in
`/etc/kubernetes/manifests`. Stopping one the way an administrator does (moving its manifest
out of the folder) makes the kubelet kill the container and delete the mirror pod; putting it
back starts a fresh process. Each component here is one such process on one node:

- **kube-scheduler / kube-controller-manager** start, then campaign for their Lease in
  `kube-system` (see `leader_election.py`); only the leader schedules or runs controllers,
  with brand-new informers and caches, as a restarted process would. A leader that cannot renew
  for 10 s (the API server is gone) exits with "leaderelection lost" and is restarted.
- **kube-apiserver**: while no API server runs, every request is refused (clients see
  "connection refused") and nothing in the cluster can change.
- **etcd**: a member; while fewer than a majority of members run, the API server's storage
  requests time out ("etcdserver: request timed out"), so reads and writes fail.

Simplified: a component's process starts the container create + start time after its manifest
returns (the image is always present on a control-plane node); restarts after a lost election
do not yet show in the mirror pod's restart count; etcd's Raft is reduced to its observable
outcome (quorum, leader, term).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .audit import User
from .clock import Clock, Timer
from .errors import ApiError
from .leader_election import LeaderElector
from .names import new_uid
from .node.runtime import CREATE_SECONDS, SANDBOX_SECONDS, START_SECONDS
from .process import ProcessClock
from .recorder import EventRecorder

if TYPE_CHECKING:
    from .apiserver import APIServer

Obj = dict[str, Any]

# In the order a kubeadm node starts them.
COMPONENTS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")
CONTAINER_START_SECONDS = SANDBOX_SECONDS + CREATE_SECONDS + START_SECONDS
# kube-apiserver serves once its storage is ready and post-start hooks have run.
APISERVER_READY_SECONDS = 5.0
# etcd's default --election-timeout (1000 ms): a follower that hears no heartbeat campaigns.
ETCD_ELECTION_TIMEOUT = 1.0


STATIC_POD_SPECS: dict[str, tuple[str, dict[str, str]]] = {
    "etcd": ("registry.k8s.io/etcd:3.5.16-0", {"cpu": "100m", "memory": "100Mi"}),
    "kube-apiserver": ("registry.k8s.io/kube-apiserver:v1.32.0", {"cpu": "250m"}),
    "kube-controller-manager": ("registry.k8s.io/kube-controller-manager:v1.32.0", {"cpu": "200m"}),
    "kube-scheduler": ("registry.k8s.io/kube-scheduler:v1.32.0", {"cpu": "100m"}),
}


def static_pod(component: str, version: str = "v1.32.0") -> Obj:
    """A control-plane component's static pod manifest; its image is tagged with the version
    kubeadm installed (etcd has its own release)."""
    image, requests = STATIC_POD_SPECS[component]
    if component != "etcd":
        image = f"registry.k8s.io/{component}:{version}"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": component, "labels": {"component": component, "tier": "control-plane"}},
        "spec": {
            "containers": [{"name": component, "image": image, "resources": {"requests": requests}}],
            "hostNetwork": True,
            "priorityClassName": "system-node-critical",
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
            "tolerations": [{"effect": "NoExecute", "operator": "Exists"}],
        },
    }


class Component:
    """One control-plane component's process on one node."""

    name = ""

    def __init__(self, node: str, clock: Clock, on_change: Callable[[], None]) -> None:
        self.node = node
        self.clock = clock
        self.on_change = on_change
        self.running = False  # the process is up
        self.enabled = True  # its static pod manifest is in place
        self.process: ProcessClock | None = None
        self.started_at: float | None = None
        self._pending: Timer | None = None

    @property
    def leading(self) -> bool:
        """An API server or etcd member that runs does its job (Raft leadership is `Etcd`'s)."""
        return self.running

    def boot(self) -> None:
        """The process starts now (cluster creation: the node booted long ago)."""
        self._start_process()

    def schedule_start(self, delay: float = CONTAINER_START_SECONDS) -> None:
        """The kubelet (re)creates the container; the process runs once it has started."""
        if self._pending is not None:
            self._pending.cancel()

        def go() -> None:
            self._pending = None
            if self.enabled and not self.running:
                self._start_process()

        self._pending = self.clock.call_later(delay, go)

    def stop(self) -> None:
        """The process exits (its manifest was removed, or its node lost power)."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        if not self.running:
            return
        self._stop_process()
        self.running = False
        if self.process is not None:
            self.process.kill()
            self.process = None
        self.on_change()

    def _start_process(self) -> None:
        self.running = True
        self.started_at = self.clock.now
        self.process = ProcessClock(self.clock)
        self._run(self.process)
        self.on_change()

    def _run(self, process: ProcessClock) -> None:
        """What the process does when it starts."""

    def _stop_process(self) -> None:
        """What the process does on its way out (before its timers are cancelled)."""

    def describe(self) -> Obj:
        return {"name": self.name, "node": self.node, "running": self.running}


class ElectedComponent(Component):
    """kube-scheduler or kube-controller-manager: runs only while it holds its Lease."""

    release_on_cancel = False

    def __init__(
        self,
        node: str,
        clock: Clock,
        on_change: Callable[[], None],
        server: APIServer,
        seed: int,
        user: User,
        recorder_component: str,
    ) -> None:
        super().__init__(node, clock, on_change)
        self.server = server
        self.seed = seed
        self.user = user
        self.recorder = EventRecorder(server, user, recorder_component)
        self.elector: LeaderElector | None = None
        self.incarnation = 0
        self.identity = ""

    @property
    def leading(self) -> bool:
        return self.running and self.elector is not None and self.elector.leading

    def describe(self) -> Obj:
        return {
            **super().describe(),
            "leader": self.leading,
            "identity": self.identity if self.running else "",
        }

    def _run(self, process: ProcessClock) -> None:
        self.incarnation += 1
        # A dedicated generator per process keeps the cluster's random stream untouched.
        rng = random.Random(f"{self.seed}/{self.name}/{self.node}/{self.incarnation}")
        self.identity = f"{self.node}_{new_uid(rng)}"
        self.elector = LeaderElector(
            self.server,
            process,
            self.user,
            self.recorder,
            self.name,
            self.identity,
            rng,
            release_on_cancel=self.release_on_cancel,
            on_started_leading=lambda: self._lead(process),
            on_stopped_leading=self._lost,
        )
        self.elector.run()

    def _lead(self, process: ProcessClock) -> None:
        try:
            self._start_work(process)
        except ApiError:
            # The API server went away between winning and starting: exit and start over.
            self._lost()
            return
        self.on_change()

    def _lost(self) -> None:
        """`leaderelection lost`: the process exits and the kubelet restarts its container."""
        self.stop()
        self.schedule_start()

    def _stop_process(self) -> None:
        if self.elector is not None:
            self.elector.stop()
        self._stop_work()

    def _start_work(self, process: ProcessClock) -> None:
        raise NotImplementedError

    def _stop_work(self) -> None:
        raise NotImplementedError


class SchedulerComponent(ElectedComponent):
    name = "kube-scheduler"
    release_on_cancel = True  # kube-scheduler sets ReleaseOnCancel

    def __init__(self, *args: Any, make: Callable[[ProcessClock], Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.make = make
        self.scheduler: Any = None

    def _start_work(self, process: ProcessClock) -> None:
        self.scheduler = self.make(process)
        self.scheduler.start()

    def _stop_work(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.stop()


class ControllerManagerComponent(ElectedComponent):
    name = "kube-controller-manager"

    def __init__(self, *args: Any, make: Callable[[ProcessClock], Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.make = make
        self.manager: Any = None

    def _start_work(self, process: ProcessClock) -> None:
        self.manager = self.make(process)
        self.manager.start()

    def _stop_work(self) -> None:
        if self.manager is not None and self.manager.running:
            self.manager.stop()


class APIServerComponent(Component):
    name = "kube-apiserver"

    def schedule_start(self, delay: float = CONTAINER_START_SECONDS + APISERVER_READY_SECONDS) -> None:
        super().schedule_start(delay)


class EtcdMember(Component):
    name = "etcd"


class Etcd:
    """The etcd cluster as the API server experiences it. Raft reduced to what can be observed
    (`etcdctl endpoint status`: leader, term, index):

    - A majority of members must run for any request to be served, and only through a leader.
    - Every committed write is one entry in the replicated log (its index); a new leader's term
      adds one more. Running members that follow the leader hold the whole log; a stopped member
      keeps the index it had, and catches up from the leader once it runs again while a
      majority serves.
    - When the leader stops, the others elect a new one after an election timeout, in a new
      term; a candidate whose log is behind cannot win (Raft's election restriction), so the
      most up-to-date running member leads. Without a majority, candidates keep campaigning,
      each attempt in a new term.
    """

    def __init__(self, clock: Clock, members: list[EtcdMember], revision: Callable[[], int]) -> None:
        self.clock = clock
        self.members = members
        self.revision = revision  # the keyspace revision: one log entry per committed write
        self.term = 2 if members else 0  # a new etcd's first election is in term 2
        self.leader: EtcdMember | None = members[0] if members else None
        self.elections = 1 if members else 0  # entries the leaders' terms added to the log
        self.frozen: dict[int, int] = {}  # member position → the log index it stopped at
        self._election: Timer | None = None

    def has_quorum(self) -> bool:
        up = sum(1 for m in self.members if m.running)
        return up > len(self.members) // 2

    def serving(self) -> bool:
        """Requests succeed only through a leader that a majority follows."""
        return self.leader is not None and self.leader.running and self.has_quorum()

    def log_index(self) -> int:
        """The index of the last committed entry."""
        return self.revision() + self.elections

    def member_index(self, member: EtcdMember) -> int:
        return self.frozen.get(self.members.index(member), self.log_index())

    def member_changed(self) -> None:
        for position, m in enumerate(self.members):
            if not m.running and position not in self.frozen:
                self.frozen[position] = self.log_index()
        if self.serving():
            self._catch_up()
            return
        if self.leader is not None and self.leader.running:
            return
        self.leader = None
        if self._election is None:
            self._election = self.clock.call_later(ETCD_ELECTION_TIMEOUT, self._elect)

    def _catch_up(self) -> None:
        """Running followers receive the entries they missed from the leader."""
        for position, m in enumerate(self.members):
            if m.running:
                self.frozen.pop(position, None)

    def _elect(self) -> None:
        self._election = None
        if self.leader is not None and self.leader.running:
            return
        candidates = [m for m in self.members if m.running]
        if not candidates:
            return  # nobody left to campaign; a member that starts again will
        self.term += 1
        if not self.has_quorum():
            self._election = self.clock.call_later(ETCD_ELECTION_TIMEOUT, self._elect)
            return
        self.leader = max(candidates, key=lambda m: (self.member_index(m), -self.members.index(m)))
        self.elections += 1
        self._catch_up()
