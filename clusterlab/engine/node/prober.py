"""The kubelet's prober: liveness, readiness and startup probes (pkg/kubelet/prober).

What the real kubelet does, on the virtual clock:
- **Workers** (prober_manager.go `AddPod`): when a pod is admitted, one worker per probe of each
  container (startup, readiness, liveness). A worker (worker.go `run`) probes at once, then on
  a ticker every `periodSeconds`; only when the kubelet started less than one period ago does
  it first sleep a random part of the period (so a restarted kubelet does not probe everything
  at once).
- **Each probe** (`doProbe`): nothing until the container has an ID; a new container ID resets
  the worker's result to its initial value (readiness Failure, liveness Success, startup
  Unknown) and takes it off hold; a container that is not running counts as Failure (the
  worker stops for good once it terminated under restartPolicy Never, or the pod finished);
  nothing during `initialDelaySeconds` (whole seconds since the container started); liveness
  and readiness wait until the startup probe has succeeded, and the startup probe stops then.
  A result must repeat `failureThreshold` (or `successThreshold`) times in a row before it is
  set; a liveness or startup Failure puts the worker on hold until the next container.
- **The probes** (prober.go, pkg/probe): `exec` runs the command in the container (exit 0 is
  Success; the combined output is the message; a command running past `timeoutSeconds`:
  `command "…" timed out`); `httpGet` GETs `scheme://host:port/path` from the node (200-399 is
  Success, else `HTTP probe failed with statuscode: N`; a closed port: `Get "url": dial tcp
  ip:port: connect: connection refused`); `tcpSocket` connects (`dial tcp ip:port: connect:
  connection refused`); `grpc` calls grpc.health.v1 Check (`service unhealthy (responded with
  "NOT_SERVING")`; nothing listening: `timeout: failed to connect service "ip:port" within 1s:
  context deadline exceeded`). Each Failure records `Unhealthy` (`Liveness probe failed: …`).
- **Results** (syncLoopIteration, kuberuntime_manager.go `computePodActions`): readiness sets the
  container's `ready`, and so the pod's Ready/ContainersReady conditions (which EndpointSlices
  and Deployments read); a startup Success sets `started`; a liveness or startup Failure kills
  the container (`Killing`: `Container x failed liveness probe, will be restarted`; without
  `, will be restarted` under restartPolicy Never) with the pod's grace period, or the probe's
  own `terminationGracePeriodSeconds`, and the same sync starts it again — through the crash
  backoff, judged on the instance that exited before it (`doBackOff`), so repeated kills end
  in CrashLoopBackOff like crashes. Each status the kubelet computes (`UpdatePodStatus`)
  triggers an immediate run of the readiness probe of a running container not yet ready.

Simplified: probes answer instantly except exec and gRPC timeouts; probes of init containers
(sidecars) are not run; readiness probing stops, with the others, when the pod is deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from .container_files import ContainerFiles
from .crash_backoff import CrashBackoff
from .images import config_for
from .listeners import listeners_for, listening
from .pod_state import ContainerState, PodState
from .processes import Exit, Out, ShellContext, Sleep, shell_program
from .shell import Container, NotFoundInPath, run_command

Obj = dict[str, Any]

SUCCESS, FAILURE, UNKNOWN = "success", "failure", "unknown"
#: AddPod's order, and each kind's initial result for a new container (worker.go newWorker)
PROBE_KINDS = (("startup", UNKNOWN), ("readiness", FAILURE), ("liveness", SUCCESS))
TITLES = {"startup": "Startup", "readiness": "Readiness", "liveness": "Liveness"}
SHELL_PROGRAMS = frozenset(
    {"sh", "ash", "bash", "sleep", "echo", "cat", "touch", "rm", "mkdir", "true", "false"}
)
OCI_NOT_FOUND = (
    "OCI runtime exec failed: exec failed: unable to start container process: exec: "
    '"{program}": executable file not found in $PATH: unknown'
)
MINIMUM_GRACE = 2.0  # minimumGracePeriodInSeconds, when a pod sets no grace period


@dataclass
class ProbeWorker:
    """One probe of one container (worker.go's `worker`)."""

    key: str
    index: int
    name: str
    kind: str  # startup | readiness | liveness
    spec: Obj
    initial: str
    container_id: str = ""
    result: str | None = None  # what the results manager holds for container_id
    last_result: str = ""
    result_run: int = 0
    on_hold: bool = False
    stopped: bool = False
    triggered: bool = False  # a manual run is queued (manualTriggerCh, buffer 1)
    last_manual: float = -1.0  # when the last manual run was queued


@dataclass(frozen=True)
class ProbeKill:
    """A liveness/startup kill under way: restart afterwards?, and when the instance before
    the killed one exited (None: there was none), which `doBackOff` judges the restart on."""

    restart: bool
    previous_finish: float | None


@dataclass(frozen=True)
class Outcome:
    result: str
    output: str
    seconds: float = 0.0  # how long the probe took (a timeout)


class Prober:
    """Kubelet mixin: the probe manager, its workers and what their results do."""

    server: Any
    clock: Any
    rng: Any
    runtime: Any
    recorder: Any
    config: Any
    pods: dict[str, PodState]
    crash_backoff: CrashBackoff
    probe_workers: dict[str, list[ProbeWorker]]
    started_clock: float

    if TYPE_CHECKING:  # provided by the Kubelet and its container lifecycle mixin

        def _pod(self, key: str) -> Obj | None: ...
        def _later(self, delay: float, fn: Any, bucket: Any = None) -> Any: ...
        def _report(self, key: str) -> None: ...
        def _env_of(self, pod: Obj, spec: Obj) -> dict[str, str]: ...
        def _program_runner(self, pod: Obj, spec: Obj, files: dict[str, str]) -> Any: ...
        def _kill_container(
            self, key: str, init: bool, index: int, grace: float, message: str | None = None
        ) -> None: ...
        def _launch(self, key: str, init: bool, index: int, then: Any) -> None: ...
        def _sync_restart(
            self, key: str, init: bool, index: int, cid: str, announced: bool = False
        ) -> None: ...
        def _check_finished(self, key: str) -> None: ...

    # -- the manager ------------------------------------------------------------------------------

    def _add_probe_workers(self, key: str, pod: Obj) -> None:
        """`AddPod`: a worker per probe of each app container, started at once. A worker's
        timers are its own (it stops itself once the pod finished or is being deleted), so a
        long-lived pod's timer list does not grow with its probes."""
        st = self.pods.get(key)
        if st is None:
            return
        workers: list[ProbeWorker] = []
        for index, spec in enumerate(pod["spec"].get("containers") or ()):
            cs = st.containers[index]
            cs.readiness_probe = bool(spec.get("readinessProbe"))
            cs.startup_probe = bool(spec.get("startupProbe"))
            for kind, initial in PROBE_KINDS:
                probe = spec.get(f"{kind}Probe")
                if probe:
                    workers.append(ProbeWorker(key, index, cs.name, kind, probe, initial))
        if not workers:
            return
        self.probe_workers[key] = workers
        for w in workers:
            period = _period(w)
            delay = 0.0
            if period > self.clock.now - self.started_clock:  # the kubelet started recently
                delay = self.rng.random() * period
            self._later(delay, lambda w=w: self._probe_tick(w), [])

    def _remove_probe_workers(self, key: str) -> None:
        for w in self.probe_workers.pop(key, ()):
            w.stopped = True

    def _trigger_readiness(self, key: str) -> None:
        """`UpdatePodStatus`: a running container whose readiness probe has not succeeded yet
        gets an immediate (non-blocking, coalesced) run of it."""
        st = self.pods.get(key)
        if st is None or st.terminating or st.finished:
            return
        for w in self.probe_workers.get(key, ()):
            if w.kind != "readiness" or w.stopped or w.triggered or w.last_manual == self.clock.now:
                continue  # one run per status computation: the syncs of one instant count once
            cs = st.containers[w.index]
            if cs.is_started() and not cs.is_ready():
                w.triggered, w.last_manual = True, self.clock.now
                self._later(0.0, lambda w=w: self._probe_manual(w), [])

    # -- the worker -------------------------------------------------------------------------------

    def _probe_tick(self, w: ProbeWorker) -> None:
        if w.stopped:
            return
        if not self._do_probe(w):
            w.stopped = True
            return
        self._later(_period(w), lambda: self._probe_tick(w), [])

    def _probe_manual(self, w: ProbeWorker) -> None:
        w.triggered = False
        if not w.stopped and not self._do_probe(w):
            w.stopped = True

    def _do_probe(self, w: ProbeWorker) -> bool:
        """worker.go `doProbe`: one probe; False when the worker should stop."""
        st, pod = self.pods.get(w.key), self._pod(w.key)
        if st is None or pod is None:
            return True  # no status yet
        if st.finished or st.terminating:
            return False  # the pod is Succeeded or Failed, or being deleted
        cs = st.containers[w.index]
        if not cs.container_id:
            return True
        if w.container_id != cs.container_id:
            w.container_id = cs.container_id
            self._set_result(w, w.initial)
            w.on_hold = False
        if w.on_hold:
            return True
        if cs.state != "running":
            self._set_result(w, FAILURE)
            return not (cs.state == "terminated" and pod["spec"].get("restartPolicy") == "Never")
        if int(self.clock.now - cs.started_clock + 1e-9) < int(w.spec.get("initialDelaySeconds") or 0):
            return True
        if cs.is_started():
            if w.kind == "startup":
                return True
        elif w.kind != "startup":
            return True
        outcome = self._run_probe(w, pod, st, cs)
        cid = cs.container_id
        if outcome.seconds > 0:
            self._later(outcome.seconds, lambda: self._probe_done(w, cid, outcome), [])
        else:
            self._probe_done(w, cid, outcome)
        return True

    def _probe_done(self, w: ProbeWorker, cid: str, outcome: Outcome) -> None:
        """prober.go's event, then the worker's threshold counting and the result."""
        st, pod = self.pods.get(w.key), self._pod(w.key)
        if st is None or pod is None or st.terminating or w.stopped or w.container_id != cid:
            return
        if outcome.result == FAILURE:
            self.recorder.event(
                pod,
                "Warning",
                "Unhealthy",
                f"{TITLES[w.kind]} probe failed: {outcome.output}",
                f"spec.containers{{{w.name}}}",
            )
        if w.last_result == outcome.result:
            w.result_run += 1
        else:
            w.last_result, w.result_run = outcome.result, 1
        threshold = int(
            w.spec.get("failureThreshold" if outcome.result == FAILURE else "successThreshold") or 1
        )
        if w.result_run < threshold:
            return
        self._set_result(w, outcome.result)
        if w.kind in ("liveness", "startup") and outcome.result == FAILURE:
            w.on_hold, w.result_run = True, 0

    def _set_result(self, w: ProbeWorker, result: str) -> None:
        """The results manager: an update only when the result changes."""
        if w.result == result:
            return
        w.result = result
        st = self.pods.get(w.key)
        if st is None:
            return
        cs = st.containers[w.index]
        if cs.container_id != w.container_id:
            return
        if w.kind == "readiness":
            cs.ready_cid = w.container_id if result == SUCCESS else None
            self._report(w.key)
        elif w.kind == "startup":
            cs.started_cid = w.container_id if result == SUCCESS else None
            self._report(w.key)
        if w.kind in ("liveness", "startup") and result == FAILURE and cs.state == "running":
            self._probe_kill(w.key, w.index, w.kind)

    # -- running one probe ------------------------------------------------------------------------

    def _run_probe(self, w: ProbeWorker, pod: Obj, st: PodState, cs: ContainerState) -> Outcome:
        spec = pod["spec"]["containers"][w.index]
        probe = w.spec
        timeout = float(probe.get("timeoutSeconds") or 1)
        elapsed = self.clock.now - cs.started_clock
        pod_ip = (
            self.config.internal_ip
            if pod["spec"].get("hostNetwork")
            else (st.pod_ip or self.config.internal_ip)
        )
        if "exec" in probe:
            command = [str(x) for x in (probe["exec"] or {}).get("command") or ()]
            return self._exec_probe(pod, spec, cs, command, timeout)
        files = ContainerFiles.of(self.runtime, pod, spec, cs.container_id)  # what its server reads
        listeners = listeners_for(cs.image, spec, pod["metadata"]["name"], files)
        if "httpGet" in probe:
            http = probe["httpGet"] or {}
            port = _resolve_port(http.get("port"), spec)
            host = http.get("host") or pod_ip
            scheme = str(http.get("scheme") or "HTTP").lower()
            path = str(http.get("path") or "/")
            url = f"{scheme}://{host}:{port}{path}"
            listener = listening(listeners, port, elapsed)
            if listener is None:
                return Outcome(FAILURE, f'Get "{url}": dial tcp {host}:{port}: connect: connection refused')
            if listener.http is None:
                return Outcome(FAILURE, f'Get "{url}": EOF')
            if scheme == "https" and listener.port is not None:
                return Outcome(FAILURE, f'Get "{url}": http: server gave HTTP response to HTTPS client')
            answer = listener.http(path, elapsed)
            if 200 <= answer.status < 400:
                return Outcome(SUCCESS, answer.body)
            return Outcome(FAILURE, f"HTTP probe failed with statuscode: {answer.status}")
        if "tcpSocket" in probe:
            tcp = probe["tcpSocket"] or {}
            port = _resolve_port(tcp.get("port"), spec)
            host = tcp.get("host") or pod_ip
            if listening(listeners, port, elapsed) is None:
                return Outcome(FAILURE, f"dial tcp {host}:{port}: connect: connection refused")
            return Outcome(SUCCESS, "")
        if "grpc" in probe:
            port = int((probe["grpc"] or {}).get("port") or 0)
            listener = listening(listeners, port, elapsed)
            if listener is None:
                return Outcome(
                    FAILURE,
                    f'timeout: failed to connect service "{pod_ip}:{port}" within {timeout:g}s: '
                    "context deadline exceeded",
                    timeout,
                )
            if listener.grpc is None:
                return Outcome(
                    FAILURE,
                    "error: health rpc probe failed: rpc error: code = Unavailable desc = connection error: "
                    'desc = "error reading server preface: http2: frame too large"',
                )
            if listener.grpc != "SERVING":
                return Outcome(FAILURE, f'service unhealthy (responded with "{listener.grpc}")')
            return Outcome(SUCCESS, "service healthy")
        return Outcome(UNKNOWN, "")

    def _exec_probe(
        self, pod: Obj, spec: Obj, cs: ContainerState, command: list[str], timeout: float
    ) -> Outcome:
        """ExecSync in the container: its files and environment, its image's programs."""
        if not command:
            return Outcome(FAILURE, "")
        files: dict[str, str] = self.runtime.files.setdefault(cs.container_id or "", {})
        config = config_for(cs.image)
        program = command[0].rsplit("/", 1)[-1]
        if config.shell and program in SHELL_PROGRAMS:
            ctx = ShellContext(
                dict(self._env_of(pod, spec)),
                files,
                self._program_runner(pod, spec, files),
                busybox=config.busybox,
            )
            out: list[str] = []
            spent = 0.0
            code = 0
            for step in shell_program(command, ctx):
                if isinstance(step, Out):
                    out.append(step.text + "\n")
                elif isinstance(step, Sleep):
                    spent += step.seconds
                    if spent > timeout:
                        return Outcome(FAILURE, f'command "{" ".join(command)}" timed out', timeout)
                elif isinstance(step, Exit):
                    code = step.code
                    break
            return Outcome(SUCCESS if code == 0 else FAILURE, "".join(out), spent)
        box = Container(pod, spec, cs.image, self.server.epoch + timedelta(seconds=self.clock.now))
        box.resolved_env = list(self._env_of(pod, spec).items())
        box.writable = files
        try:
            result = run_command(box, command)
        except NotFoundInPath as missing:
            return Outcome(FAILURE, OCI_NOT_FOUND.format(program=missing.program))
        if result.seconds > timeout:
            return Outcome(FAILURE, f'command "{" ".join(command)}" timed out', timeout)
        return Outcome(
            SUCCESS if result.exit_code == 0 else FAILURE, result.stdout + result.stderr, result.seconds
        )

    # -- what a failure does ----------------------------------------------------------------------

    def _probe_kill(self, key: str, index: int, kind: str) -> None:
        """computePodActions for a container that failed its liveness/startup probe: kill it
        (and, unless restartPolicy is Never, start it again in the same sync)."""
        st, pod = self.pods.get(key), self._pod(key)
        if st is None or pod is None or st.terminating:
            return
        cs = st.containers[index]
        if cs.process is None or cs.stopping or cs.probe_kill is not None:
            return
        spec = pod["spec"]["containers"][index]
        restart = pod["spec"].get("restartPolicy", "Always") != "Never"
        message = f"Container {cs.name} failed {kind} probe" + (", will be restarted" if restart else "")
        grace = pod["spec"].get("terminationGracePeriodSeconds")
        grace = float(grace) if grace is not None else MINIMUM_GRACE
        own = (spec.get(f"{kind}Probe") or {}).get("terminationGracePeriodSeconds")
        if own is not None:
            grace = float(own)
        previous = cs.finished_clock if cs.last_state.get("terminated") else None
        cs.probe_kill = ProbeKill(restart, previous)
        self._kill_container(key, False, index, grace, message)

    def _probe_killed(self, key: str, index: int, cid: str) -> None:
        """The killed container has stopped: the sync goes on to start it again, unless the
        crash backoff (judged on the instance before it) holds it back."""
        st, pod = self.pods.get(key), self._pod(key)
        if st is None or pod is None:
            return
        cs = st.containers[index]
        kill, cs.probe_kill, cs.stopping = cs.probe_kill, None, False
        self._report(key)
        if kill is None or not kill.restart:
            self._check_finished(key)
            return
        meta = pod["metadata"]
        bkey = f"{meta['uid']}/{cs.name}"
        if kill.previous_finish is not None:
            if self.crash_backoff.in_backoff(bkey, kill.previous_finish, self.clock.now):
                self._sync_restart(key, False, index, cid)
                return
            self.crash_backoff.next(bkey, kill.previous_finish, self.clock.now)
        self._launch(key, False, index, lambda: self._report(key))


def _period(w: ProbeWorker) -> float:
    return float(w.spec.get("periodSeconds") or 10)


def _resolve_port(port: Any, spec: Obj) -> int:
    """An int, or the name of one of the container's ports (`ResolveContainerPort`)."""
    if isinstance(port, int):
        return port
    for p in spec.get("ports") or ():
        if p.get("name") == port:
            return int(p.get("containerPort") or 0)
    try:
        return int(str(port))
    except ValueError:
        return 0
